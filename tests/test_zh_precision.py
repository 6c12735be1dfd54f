"""Chinese answers read each part of a question from the document it names ("循环经济进展报告和2024年年报…各自…"):
a sentence from another document is no answer to that part, however many of the question's words it repeats."""

from __future__ import annotations

from rag.answer import ExtractiveAnswerer
from rag.cite import parse_draft
from rag.docref import designated, scoped, source_words
from rag.index.lexical import LexicalIndex
from rag.terms import TermStats
from rag.types import Chunk, Passage

TITLES = {
    "nitrogen.txt": "关于可持续氮管理的第 4/14 和第 5/2 号决议的执行进展",
    "circular.txt": "关于加强循环经济、促进实现可持续消费和生产的第 5/11 号决议的执行进展",
    "ar2024.txt": "环境署 2024 年度报告",
    "ar2020.txt": "联合国环境署 2020 年度报告",
}
OUTLINE = "第5/11号决议的执行进展报告概述了循环经济政策和《全球资源展望》。"
STRESS = "《全球资源展望》将强调，有针对性的行动可以减少资源使用总量。"
TRIPLED = "根据《全球资源展望》，自然资源的开采量在过去五十年里增加了两倍。"
HEAVY = "环境署一直在收集有关旧重型车辆的新数据，并在此基础上编制一份关于旧重型车辆与环境的全球概况报告。"
WRITING = "环境署正在编写一份关于循环经济进展的报告。"
FILLER = ["环境署 年度 报告 其他 内容 海洋 气候", "会员国 支持 项目 国家 资金", "空气 污染 城市 健康"]


def chunk(n: int, doc: str, text: str) -> Chunk:
    return Chunk(id=f"{doc}:{n}", doc=doc, title=TITLES[doc], section="", paragraph=n, page=None,
                 char_start=n * 1000, char_end=n * 1000 + len(text), text=text)


def passages(*pieces: tuple[str, str]) -> list[Passage]:
    return [Passage(chunk(n, doc, text), 1.0, n=n, rank=n) for n, (doc, text) in enumerate(pieces, start=1)]


def answerer() -> ExtractiveAnswerer:
    texts = [OUTLINE, STRESS, TRIPLED, HEAVY, WRITING] + FILLER * 10
    return ExtractiveAnswerer(TermStats.from_texts(texts), max_sentences=4)


def cited_docs(draft: str, ps: list[Passage]) -> list[str]:
    return [ps[n - 1].chunk.doc for c in parse_draft(draft) for n in c.cited]


def test_a_year_and_annual_report_name_that_years_annual_report():
    assert designated("环境署2024年年报说它在为哪两个国家提供技术咨询？", TITLES) == "ar2024.txt"
    assert designated("2020年的年度报告如何介绍全球珊瑚礁基金？", TITLES) == "ar2020.txt"


def test_words_before_report_name_the_document_whose_title_holds_them_all():
    assert designated("氮管理进展报告提到开展了哪些工作？", TITLES) == "nitrogen.txt"
    assert designated("环境署的循环经济进展报告为什么强调执行机制？", TITLES) == "circular.txt"


def test_a_quoted_report_title_or_an_ambiguous_phrase_names_no_document():
    assert designated("《二手车与环境报告》指出了什么问题？", TITLES) is None  # a report the documents cite
    assert designated("进展报告说了什么？", TITLES) is None  # two titles hold "进展"
    assert designated("报告为什么认为高硫燃料有害？", TITLES) is None
    assert designated("有多少个国家报告了相关政策？", TITLES) is None


def test_source_words_are_the_words_that_name_the_document():
    assert source_words("循环经济进展报告和2024年年报各自强调了什么？", TITLES) >= {"循环", "经济", "进展", "2024"}
    assert source_words("全球资源展望强调了什么？", TITLES) == set()


def test_each_part_is_answered_from_the_document_it_names():
    ps = passages(("circular.txt", OUTLINE), ("circular.txt", STRESS), ("ar2024.txt", TRIPLED))
    draft = answerer().draft("循环经济进展报告和2024年年报在介绍《全球资源展望》时各自强调了什么？", ps, "zh")
    docs = cited_docs(draft, ps)
    assert "ar2024.txt" in docs and "增加了两倍" in draft


def test_a_sentence_repeating_the_named_reports_words_is_not_preferred_to_its_content():
    ps = passages(("circular.txt", OUTLINE), ("circular.txt", STRESS), ("ar2024.txt", TRIPLED))
    draft = answerer().draft("循环经济进展报告和2024年年报在介绍《全球资源展望》时各自强调了什么？", ps, "zh")
    assert "将强调" in draft and "概述了" not in draft  # not the outline repeating 循环经济 … 进展


def test_a_question_naming_one_report_is_not_answered_from_another_document():
    ps = passages(("ar2020.txt", WRITING), ("circular.txt", HEAVY))
    draft = answerer().draft("循环经济进展报告说环境署正在编写关于哪类车辆的新报告？", ps, "zh")
    assert set(cited_docs(draft, ps)) == {"circular.txt"} and "重型车辆" in draft


def test_a_named_documents_passages_are_fused_into_the_ranking():
    chunks = [chunk(1, "circular.txt", OUTLINE), chunk(2, "circular.txt", STRESS), chunk(3, "ar2024.txt", TRIPLED)]
    chunks += [chunk(10 + i, "nitrogen.txt", f"{f}。《全球资源展望》 2024") for i, f in enumerate(FILLER * 3)]
    index = LexicalIndex.build(chunks)

    def retrieve(text: str) -> list[Passage]:
        return [Passage(c, s) for c, s in index.search(text, 30)]

    question = "环境署的循环经济进展报告和2024年年报在介绍《全球资源展望》时各自强调了什么？"
    first = [p for p in retrieve(question) if p.chunk.doc != "ar2024.txt"][:3]  # the named report ranked out
    fused = scoped(retrieve, question, first, TITLES, 4, 60)
    assert "ar2024.txt" in {p.chunk.doc for p in fused}
    assert [p.n for p in fused] == list(range(1, len(fused) + 1))
    assert scoped(retrieve, "《全球资源展望》强调了什么？", first, TITLES, 4, 60) == first  # nothing named
