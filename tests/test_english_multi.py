"""English questions about two things at once (two years' reports, two documents), structured BM25 that
weighs a long rendering like one concept, and English follow-ups whose earlier answer is read through
the dictionary."""

from __future__ import annotations

from rag.index.dictionary import build_reverse
from rag.index.english import conjunct_parts
from rag.index.lexical import LexicalIndex
from rag.index.translate import Translator
from rag.types import Chunk

CEDICT = [
    "廢水 废水 [fei4 shui3] /waste water/sewage/",
    "養分 养分 [yang3 fen4] /nutrient/",
    "活動 活动 [huo2 dong4] /activity/event/",
    "國家 国家 [guo2 jia1] /country/nation/state/",
]
TEXTS = ["该活动将突出养分和废水的作用。", "共有50个国家参加。", "首批交易于2020年完成。"]


def _translator() -> Translator:
    return Translator(TEXTS, build_reverse(CEDICT), {"unep": ["环境署"]})


def test_two_years_joined_by_and_make_one_question_per_year():
    q = "Which countries hosted the celebrations according to the 2020 and 2024 annual reports?"
    assert conjunct_parts(q) == ["Which countries hosted the celebrations according to the 2020 annual reports?",
                                 "Which countries hosted the celebrations according to the 2024 annual reports?"]


def test_a_range_between_two_years_stays_one_question():
    q = "How did the assets change between the 2020 and 2024 reports?"
    assert conjunct_parts(q) == [q]
    assert conjunct_parts("How much did funding grow from 2019 and 2021 levels?") == [
        "How much did funding grow from 2019 and 2021 levels?"]


def test_a_preposition_repeated_after_and_makes_one_question_per_phrase():
    q = "What role does the coalition play in the circular economy report and in its 2024 annual report?"
    assert conjunct_parts(q) == ["What role does the coalition play in the circular economy report?",
                                 "What role does the coalition play in its 2024 annual report?"]


def test_a_question_about_one_thing_is_not_split():
    q = "What did the nitrogen report say about wastewater and nutrients in the Caribbean?"
    assert conjunct_parts(q) == [q]


def test_a_long_rendering_counts_like_one_concept_in_structured_bm25():
    texts = ["联合国环境规划署发布了报告。", "UN-REDD方案提供了支持。", "其他内容。"]
    chunks = [Chunk(id=f"c{i}", doc="d.txt", text=t, title="", section="", paragraph=i, page=None,
                    char_start=0, char_end=len(t)) for i, t in enumerate(texts)]
    index = LexicalIndex.build(chunks)
    groups = [(("联合国环境规划署", 1.0),), (("un-redd", 1.0),), (("方案", 1.0),)]
    assert index.search_groups(groups, 3)[0][0].id == "c1"  # two concepts beat the many sub-words of one


def test_first_is_also_rendered_as_the_chinese_first_batch_or_time():
    alts = [a for g in _translator().translate("What were the first deals?").groups for a, _ in g.alts]
    assert "首批" in alts
