"""The extractive answerer: verbatim sentences from the passages, in source order, from one or several
passages as the question needs — on hand-made passages and on the dev set's real questions."""

from __future__ import annotations

import json
import re

from rag.answer import ExtractiveAnswerer, passage_units
from rag.chain import ask
from rag.cite import REFUSAL, parse_draft, strip_markers
from rag.sentences import squash
from rag.terms import TermStats
from rag.types import Chunk, Passage, Turn
from tests.answer_checks import answer_problems
from tests.conftest import DEV_SET

P_MEETINGS = ("5. 到环境大会第六届会议时，工作组将举行五次会议。第一次会议于 2020 年 6 月 8 日和 9 日在线举行，并在会议期间"
              "成立了一个特设工作组；第二次会议于 2023 年 1 月 17 日在线举行；第三次会议于 2023 年 4 月 27 日在布加勒斯特以混合"
              "形式举行，随后于 2023 年 4 月 28 日举行了一次非正式专家会议；第四次会议于 2023 年 9 月 28 日在内罗毕以混合形式举行。")
P_CONTACTS = ("4. 2022 年 8 月 30 日，执行主任邀请会员国提名联络人加入工作组。来自印度和罗马尼亚的共同主席的任命由常驻代表"
              "委员会在环境大会第六届会议主席的领导下进行协调。会员国提名了超过 75 名联络人2参加工作组。")
P_SULPHUR = ("18. 最后，环境署继续支持会员国通过协作办法转向低硫燃料。柴油燃料中的高含量硫在燃烧过程中被氧化为二氧化硫"
             "（SO<sub>2</sub>），随后转化为硫酸盐颗粒物和柴油发动机车辆的黑碳排放。因此，高硫燃料会阻碍排放控制技术的"
             "有效性，并导致有害车辆排放物的增加。")
P_CARIBBEAN = ("2021 年 7 月，保护和开发大加勒比区域海洋环境公约（又称《卡塔赫纳公约》）关于陆地来源和活动的污染的议定书"
               "缔约方大会第五次会议通过了《大加勒比区域减少营养物污染区域战略和行动计划》。")
P_PILOT = ("17. 在执行该战略方面，由于环境署全球养分管理伙伴关系的资助，《关于陆地来源和活动的污染的议定书》的两个缔约国"
           "巴巴多斯和牙买加参加了一个试点项目，从而为国家养分管理战略制定了一项案例研究。")
ALL = [P_MEETINGS, P_CONTACTS, P_SULPHUR, P_CARIBBEAN, P_PILOT]


def passages(*texts: str) -> list[Passage]:
    out = []
    for n, text in enumerate(texts, start=1):
        chunk = Chunk(id=f"c{n}", doc="000_7b030ac21b7d218f.txt", title="关于可持续氮管理的第 4/14 和第 5/2 号决议的执行进展",
                      section="", paragraph=n, page=None, char_start=ALL.index(text) * 1000, char_end=0, text=text)
        out.append(Passage(chunk, 1.0, n=n, rank=n))
    return out


def answerer(max_sentences: int = 4) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(TermStats.from_texts(ALL + ["环境署 年度 报告 其他 内容"] * 20), max_sentences)


def claims(draft: str) -> list[tuple[str, list[int]]]:
    return [(c.text, c.cited) for c in parse_draft(draft)]


def test_quotes_the_sentence_that_answers_verbatim_with_its_citation():
    ps = passages(P_CONTACTS, P_MEETINGS)
    draft = answerer().draft("第三次会议是在哪里召开的？", ps, "zh")
    got = claims(draft)
    assert got[0][1] == [2] and "布加勒斯特" in got[0][0]
    for text, cited in got:
        assert squash(text) in squash(ps[cited[0] - 1].chunk.text)  # verbatim from the cited passage


def test_quantity_question_takes_the_sentence_with_the_number():
    draft = answerer().draft("会员国一共提名了多少名联络人？", passages(P_MEETINGS, P_CONTACTS), "zh")
    assert "75" in draft and claims(draft)[0][1] == [2]


def test_multi_part_question_takes_sentences_from_two_passages_in_source_order():
    ps = passages(P_PILOT, P_CARIBBEAN, P_MEETINGS)
    q = "《大加勒比区域减少营养物污染区域战略和行动计划》最初是何时、由哪个会议通过的？在执行这一战略时，哪两个国家参加了试点项目？"
    got = claims(answerer().draft(q, ps, "zh"))
    assert [c for _, c in got] == [[2], [1]]  # Caribbean paragraph comes first in the document
    assert "第五次会议" in got[0][0] and "巴巴多斯和牙买加" in got[1][0]


def test_why_question_keeps_the_cause_before_a_therefore_sentence():
    draft = answerer().draft("报告为什么认为高硫燃料会导致车辆有害排放增加？", passages(P_SULPHUR), "zh")
    texts = [t for t, _ in claims(draft)]
    assert texts[-1].startswith("因此，高硫燃料")
    assert any("二氧化硫" in t for t in texts)


def test_at_most_max_sentences_are_quoted():
    draft = answerer(max_sentences=1).draft("第三次会议和第四次会议分别在哪里举行？", passages(P_MEETINGS), "zh")
    assert len(parse_draft(draft)) == 1


def test_unrelated_question_gets_the_refusal_sentence():
    draft = answerer().draft("塑料污染条约谈判的下一轮会议在哪里？", passages(P_SULPHUR, P_CONTACTS), "zh")
    assert draft == REFUSAL["zh"]


def test_follow_up_borrows_the_previous_question_terms():
    history = [Turn("user", "环境署氮问题工作组的共同主席来自哪些国家？"), Turn("assistant", "来自印度和罗马尼亚。")]
    draft = answerer().draft("那会员国一共为它提名了多少名联络人？", passages(P_MEETINGS, P_CONTACTS), "zh", history)
    assert "75" in draft


def test_passage_units_strip_marker_lookalikes_and_cover_the_text():
    p = passages(P_SULPHUR)[0]
    units = passage_units(p)
    assert "".join(squash(u.text) for u in units) == squash(P_SULPHUR)
    tricky = Passage(Chunk("x", "d", "t", "", 1, None, 0, 9, "见报告[3]。结论[7]很重要。"), 1.0, n=1)
    assert [u.text for u in passage_units(tricky)] == ["见报告。", "结论很重要。"]
    link = Passage(Chunk("y", "d", "t", "", 1, None, 0, 9, "1 www.unep.org/nitrogen-management-WG。"), 1.0, n=1)
    assert passage_units(link) == []  # a URL footnote is never quoted as an answer


def _dev_items(lang: str = "zh") -> list[dict]:
    with open(DEV_SET, encoding="utf-8") as f:
        return [d for d in map(json.loads, f) if d["lang"] == lang]


def _fact_hit(answer: str, forms: list[str]) -> bool:
    norm = re.sub(r"\s+", "", answer).lower()
    return any(re.sub(r"\s+", "", f).lower() in norm for f in forms)


def test_dev_set_chinese_questions_are_answered_from_the_real_corpus(corpus_components):
    """Lexical-only, extractive: key facts found, unanswerables refused, every sentence verbatim."""
    items = _dev_items("zh")
    recalls, refused_unanswerable, refused_answerable = [], [], []
    for item in items:
        answer = ask(item["question"], corpus_components, history=item.get("history") or [], k=10)
        assert answer_problems(answer) == [], item["id"]
        assert answer.dropped == []  # nothing the extractive answerer quotes can fail enforcement
        by_n = {p.n: p for p in answer.retrieved}
        for s in answer.sentences:  # verbatim: the extractive answerer cannot hallucinate
            assert any(squash(strip_markers(s.text)) in squash(by_n[n].chunk.text) for n in s.citations)
        if not item["answerable"]:
            refused_unanswerable.append(answer.refused)
            continue
        refused_answerable.append(answer.refused)
        facts = item["key_facts"]
        recalls.append(sum(_fact_hit(answer.answer, f) for f in facts) / len(facts))
    assert sum(recalls) / len(recalls) >= 0.85
    assert all(refused_unanswerable)
    assert sum(refused_answerable) / len(refused_answerable) <= 0.1


def test_dev_set_english_questions_in_lexical_mode_are_answered_through_the_dictionary_or_refused(corpus_components):
    from rag.chain import DICTIONARY_NOTICE

    recalls, refused_answerable = [], []
    for item in _dev_items("en"):
        answer = ask(item["question"], corpus_components, history=item.get("history") or [])
        assert answer_problems(answer) == [] and answer.dropped == [], item["id"]  # verbatim Chinese, cited
        assert DICTIONARY_NOTICE in answer.mode["notice"] and "CITEQA_EMBED_MODEL" in answer.mode["notice"]
        if not item["answerable"]:
            assert answer.refused, item["id"]
            continue
        refused_answerable.append(answer.refused)
        recalls.append(sum(_fact_hit(answer.answer, f) for f in item["key_facts"]) / len(item["key_facts"]))
    assert sum(recalls) / len(recalls) >= 0.5
    assert sum(refused_answerable) / len(refused_answerable) <= 0.2


def _own(*texts: str) -> list[Passage]:
    """Hand-made passages of an imaginary report (not the shipped corpus)."""
    out = []
    for n, text in enumerate(texts, start=1):
        chunk = Chunk(id=f"w{n}", doc=f"90{n}_whales.txt", title="海洋年度报告", section="", paragraph=n, page=None,
                      char_start=n * 1000, char_end=0, text=text)
        out.append(Passage(chunk, 1.0, n=n, rank=n))
    return out


W_FUND = "1. 去年启动的蓝鲸保护项目耗资 3000 万美元，旨在保护北大西洋的 400 头蓝鲸。该项目由五个沿海国家共同实施。"
W_PLATFORM = "2. 环境署启动了一个海洋噪声数据平台，其中整合了来自加勒比的声学数据。这一平台包括所有监测站的信息。该平台由卑尔根大学开发。"
W_ALLIANCE = "3. 蓝鲸航运联盟包括 40 家航运公司，占全球集装箱运力的 30%。其目标是到 2030 年将航速降低 10%。"
W_ELSEWHERE = "4. 各国承诺在海洋框架下设定最为雄心勃勃的减速目标，并加强监测。"
W_WAYS = ("5. 作为会议的一项成果，伙伴关系通过以下方式提供支持：(a) 在闭会期间举行关于声学监测的技术网络研讨会和培训活动；"
          "(b) 在每次会议之后组织非正式专家会议，以便各国专家进行技术讨论；(c) 支持会员国分享现有信息和知识以及最佳做法。")
W_YEARS = "6. 2024 年，八个国家批准了航速修正案。2020 年又有 21 个国家批准了航速修正案，使总数达到 112 个。"
W_TRAINING = "7. 航运培训在巴巴多斯和牙买加举行，参加者来自各国港口。"
W_ALL = [W_FUND, W_PLATFORM, W_ALLIANCE, W_ELSEWHERE, W_WAYS, W_YEARS, W_TRAINING]


def _whale_answerer() -> ExtractiveAnswerer:
    return ExtractiveAnswerer(TermStats.from_texts(W_ALL + ["环境署 年度 报告 项目 国家 支持 开展 一项 旨在"] * 20))


def test_a_sentence_that_only_restates_the_question_is_refused_when_the_asked_slot_is_missing():
    a = _whale_answerer()
    ps = _own(*W_ALL)
    assert a.draft("那个耗资3000万美元保护400头蓝鲸的项目，资金是谁出的？", ps, "zh") == REFUSAL["zh"]
    assert a.draft("蓝鲸保护项目是在哪一年结束的？", ps, "zh") == REFUSAL["zh"]
    assert "3000" in a.draft("蓝鲸保护项目耗资多少？", ps, "zh")  # the slot is there: answered


def test_the_asked_name_in_a_later_sentence_of_the_same_passage_is_added():
    got = claims(_whale_answerer().draft("海洋噪声数据平台是由哪个机构开发的？", _own(*W_ALL), "zh"))
    assert any("卑尔根大学" in text for text, _ in got) and {c for _, cs in got for c in cs} == {2}


def test_a_part_that_refers_back_is_answered_from_the_same_passage_not_from_filler_elsewhere():
    got = claims(_whale_answerer().draft("蓝鲸航运联盟包括多少家公司？它设定的减速目标是什么？", _own(*W_ALL), "zh"))
    assert "40" in got[0][0] and any("10%" in text for text, _ in got)
    assert {c for _, cs in got for c in cs} == {3}  # nothing from passage 4


def test_a_list_question_quotes_every_item_of_the_enumeration():
    draft = _whale_answerer().draft("伙伴关系通过哪几种方式提供支持？", _own(*W_ALL), "zh")
    assert "网络研讨会" in draft and "非正式专家会议" in draft and "分享现有信息" in draft


def test_the_years_a_question_names_pick_the_sentence_that_holds_them():
    draft = _whale_answerer().draft("2020年有多少个国家批准了航速修正案？", _own(*W_ALL), "zh")
    assert "21" in draft
    assert _whale_answerer().draft("2018年有多少个国家批准了航速修正案？", _own(*W_ALL), "zh") == REFUSAL["zh"]


def test_an_off_topic_sentence_naming_countries_does_not_answer_a_which_countries_question():
    assert _whale_answerer().draft("蓝鲸保护项目在哪些国家实施？", _own(*W_ALL), "zh") == REFUSAL["zh"]


def test_a_why_question_without_any_cause_in_the_passages_is_refused():
    assert _whale_answerer().draft("为什么蓝鲸航运联盟占全球集装箱运力的30%？", _own(*W_ALL), "zh") == REFUSAL["zh"]


def _ask(components, question: str, history=()):  # type: ignore[no-untyped-def]
    return ask(question, components, history=list(history))


def test_a_name_caption_is_reached_through_the_short_form_the_documents_define(corpus_components):
    a = _ask(corpus_components, "谁是联合国环境大会第六届会议的主席？")
    assert not a.refused and "贝纳利" in a.answer


def test_a_question_term_found_only_inside_a_longer_different_name_is_not_covered(corpus_components):
    from rag.names import missing

    stats = corpus_components.stats
    q = "环境基金在2024年收到了多少捐款？"
    assert missing(q, "在荷兰政府、荷兰合作银行和全球环境基金的9000万美元支持下", stats) == ["环境基金"]
    assert missing(q, "2024年，94个会员国向环境基金捐款。", stats) == []
    assert missing("环境署在印度支持了什么？", "环境署支持印度尼西亚启动了一个项目。", stats) == ["印度"]
    assert missing("环境署在泰国做了什么？", "环境署协助泰国环境部建立了海洋避风港。", stats) == []


def test_the_doer_of_the_asked_action_is_quoted_for_a_which_body_question(corpus_components):
    a = _ask(corpus_components, "净零银行联盟是由环境署的哪个部门召集的？")
    assert not a.refused and "金融倡议" in a.answer


def test_a_count_with_a_measure_word_for_events_is_answered(corpus_components):
    a = _ask(corpus_components, "国际甲烷排放观测站前九个月一共通报了多少起甲烷泄漏？")
    assert not a.refused and "1066" in a.answer


def test_an_origin_of_name_question_is_answered_not_refused(corpus_components):
    a = _ask(corpus_components, "《水俣公约》这个名字是怎么来的？")
    assert not a.refused and "命名" in a.answer


def test_a_second_part_that_refers_back_takes_the_sentence_that_echoes_it(corpus_components):
    a = _ask(corpus_components, "环境署在肯尼亚把空气污染传感器装在了哪里？还有哪个国家在效仿这种做法？")
    assert not a.refused and "机场" in a.answer and "东帝汶" in a.answer


def test_other_items_of_an_enumeration_do_not_supply_the_asked_countries(corpus_components):
    a = _ask(corpus_components, "环境署培训的那115名青年企业家分别来自哪些国家？")
    assert a.refused
