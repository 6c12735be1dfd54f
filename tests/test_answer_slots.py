"""The checks that make an extractive answer supply what was asked: the expected answer type (slot), names
and numbers that are new to the question, novelty, the gazetteer — pure functions on hand-made text."""

from __future__ import annotations

import pytest

from rag.answer import link_only
from rag.entities import cities, countries, new_names, organisations, persons, places
from rag.gazetteer import countries_in, places_in
from rag.qtype import expected_slot, quantities
from rag.select import MIN_NOVELTY
from rag.supply import gives_reason, holds_numbers, named_numbers, novelty, offers
from rag.terms import Term, TermStats, coverage, question_terms

# A small index: term statistics need some text to tell rare words from common ones.
FILLER = ["环境署 报告 支持 国家 工作 项目 合作 开展 一项 旨在 提高 去年 启动 包括"] * 30
STATS = TermStats.from_texts(FILLER + [
    "去年启动的项目包括在约旦开展的一项耗资6000万美元的工作，旨在提高75万人的用水安全。",
    "在瑞典政府的资助下，特立尼达和多巴哥海洋事务研究所举办了一次区域讲习班。",
    "第五次会议将于 2024 年 1 月 9 日和 10 日在内罗毕以混合形式举行。",
])


@pytest.mark.parametrize("question, kinds, plural", [
    ("约旦那个项目的资金是谁出的？", ("funder",), False),
    ("恢复基金由哪些国家出资、出资多少？", ("funder", "money"), True),
    ("净零银行联盟的成员具体来自哪些国家？", ("country",), True),
    ("批准项目的15个国家具体是哪些？", ("country",), True),
    ("第四次会议是在哪个城市开的？", ("city",), False),
    ("蓝鲸试点项目在哪个岛屿开展？", ("place",), False),
    ("首个全球尾矿行业标准是在哪场灾难之后推出的？", (), False),  # "在哪场" is not "在哪里"
    ("伙伴关系通过哪几种方式提供技术支持？", ("list",), True),  # "哪几种" is a list, not a count
    ("中国承诺出资约2.3亿美元，目前已经到位了多少？", ("money",), False),  # the amount it names is money
    ("为什么高硫燃料不利于排放控制？", ("reason",), False),
    ("环境署的播客系列叫什么名字？", ("name",), False),
    ("地球学校是和谁合作开发的？", ("agent",), False),
    ("女性工作人员占多大比例？", ("percent",), False),
])
def test_the_expected_slot_is_read_from_the_question_wording(question, kinds, plural):
    slot = expected_slot(question)
    assert slot.kinds[: len(kinds)] == kinds and (not kinds or slot.kind == kinds[0])
    assert slot.plural == plural


def test_a_sentence_that_restates_the_question_does_not_supply_the_funder_it_asks_for():
    q = "约旦那个耗资6000万美元、提升75万人用水安全的项目，资金是谁出的？"
    restating = "去年启动的项目包括在约旦开展的一项耗资6000万美元的工作，旨在提高75万人的用水安全。"
    assert not offers(expected_slot(q), q, restating, STATS)
    funded = "该项目由瑞典政府资助。"
    assert offers(expected_slot(q), q, funded, STATS)
    assert not offers(expected_slot(q), q, "该项目由瑞典政府实施。", STATS)  # a body, but no funding words


def test_numbers_count_as_new_only_when_their_value_is_not_in_the_question():
    slot = expected_slot("2019年全球一共消耗了多少材料？")
    assert offers(slot, "2019年全球一共消耗了多少材料？", "在 2019 年全球消耗的 1 050 亿公吨材料中", STATS)
    assert not offers(slot, "1050亿公吨材料中有多少？", "全球消耗的 1 050 亿公吨材料中", STATS)
    q = "会员国提名的七十五名联络人中有多少人来自非洲？"
    assert not offers(expected_slot(q), q, "会员国提名了超过 75 名联络人参加工作组。", STATS)
    q = "电动汽车占新车销量的百分之18，比五年前增长了多少？"
    assert not offers(expected_slot(q), q, "电动汽车将占全球新车销量的18%。", STATS)


def test_people_are_counted_in_any_of_their_units_and_a_bare_count_still_asks_for_a_number():
    assert quantities("从2025年到2050年，AMR可能会夺走3900万条生命", "人") == ["3900万条生命"]
    assert expected_slot("对话一共举行了几轮？").kinds == ("number",)
    assert expected_slot("报告建议每年提供多少适应资金？").kind == "money"


def test_a_count_needs_its_unit_and_general_classifiers_stand_for_each_other_before_the_noun():
    assert quantities("会员国提名了超过 75 名联络人", "名", "联络人") == ["75 名"]
    assert quantities("增加超过20万个保护区和其他措施的记录", "条", "保护区") == ["20万个"]
    assert quantities("为内容创作者制定一项培训计划", "名", "内容") == []  # "一项" is an article here
    assert quantities("有 62 个成员国已报告", "个", "国家") == ["62 个"]


def test_a_which_countries_question_needs_two_new_country_names():
    q = "批准项目的15个国家具体是哪些？"
    slot = expected_slot(q)
    assert not offers(slot, q, "中国已承诺出资约2.3亿美元，该基金已批准了15个国家的项目。", STATS)
    assert offers(slot, q, "项目在巴巴多斯和牙买加开展。", STATS)


def test_a_place_must_be_new_of_the_asked_kind_and_not_inside_a_body_name():
    q = "第二十六次政府间会议将在哪个城市举行？"
    assert not offers(expected_slot(q), q, "秘书处支持柬埔寨、菲律宾和泰国政府拟定意向书。", STATS)  # countries
    assert offers(expected_slot(q), q, "第四次会议于 2023 年 9 月 28 日在内罗毕以混合形式举行。", STATS)
    q = "报告是在哪个城市发布的？"
    assert not offers(expected_slot(q), q, "由全球资源信息数据库阿伦达尔中心联合编制的报告于 2023 年发布。", STATS)
    q = "蓝鲸试点项目在哪个岛屿开展？"
    assert not offers(expected_slot(q), q, "试点项目在越南开展。", STATS)
    assert offers(expected_slot(q), q, "试点项目于 2024 年在马达加斯加岛开展。", STATS)


def test_a_time_question_needs_a_date_the_question_does_not_give():
    q = "2024年4月纽埃追踪的那场风暴是什么时候形成的？"
    assert not offers(expected_slot(q), q, "纽埃追踪了2024年4月引起暴雨和大风的一场风暴。", STATS)
    q = "第五次会议什么时候举行？"
    assert offers(expected_slot(q), q, "第五次会议将于 2024 年 1 月 9 日和 10 日在内罗毕以混合形式举行。", STATS)


def test_what_the_conversation_already_said_is_not_new():
    q = "那最后一次会议什么时候开？"
    said = "第三次会议于2023年4月27日在布加勒斯特以混合形式举行。"
    assert offers(expected_slot(q), q, said, STATS)
    assert not offers(expected_slot(q), q, said, STATS, given=said)


def test_novelty_is_low_for_a_restating_sentence_and_high_for_an_informative_one():
    q = "约旦那个耗资6000万美元、提升75万人用水安全的项目是谁出资的？"
    restating = "在约旦开展的一项耗资6000万美元的项目，旨在提升75万人的用水安全。"
    informative = "在瑞典政府的资助下，特立尼达和多巴哥海洋事务研究所举办了一次区域讲习班。"
    assert novelty(q, restating, STATS) < MIN_NOVELTY < novelty(q, informative, STATS)
    assert novelty("东帝汶在效仿哪个模式？", "东帝汶正在效仿这一模式。", STATS) == 0.0  # no new noun
    assert novelty("会员国提名了多少名联络人？", "会员国提名了超过 75 名联络人。", STATS) >= MIN_NOVELTY  # a figure


def test_a_why_answer_needs_a_cause_or_purpose():
    assert gives_reason("由于气候变化导致海洋变暖，藻类大量繁殖。")
    assert gives_reason("环境署开展了示范项目，以确定最佳可得技术。")
    assert not gives_reason("帕劳已开始发布国家海洋公报。")


def test_the_numbers_a_question_names_must_be_in_the_passage_but_asked_counts_need_not():
    assert named_numbers("哪两个国家参加了试点项目？") == []
    assert holds_numbers(named_numbers("2020年又有多少个国家批准了修正案？"), "2020年又有21个国家批准")
    assert not holds_numbers(named_numbers("谁担任了UNEA-7的主席？"), "莱拉·贝纳利 UNEA-6主席")


def test_the_gazetteer_matches_the_longest_name_and_skips_treaties():
    assert countries_in("与印度尼西亚和印度合作") == ["印度尼西亚", "印度"]
    assert places_in("《巴黎协定》和斯德哥尔摩公约，会议在内罗毕举行") == ["内罗毕"]
    assert cities("会议在肯尼亚内罗毕举行") == {"内罗毕"}
    assert countries("南苏丹和苏丹") == {"南苏丹", "苏丹"}


def test_names_of_places_persons_and_bodies_are_found_by_kind():
    assert "曼苏里亚村" in "".join(places("伊拉克曼苏里亚村已清理出6万多吨残渣"))
    assert "多达" not in places("使多达20万人受益")  # common characters are not a name
    assert "萨巴" in places("环境署与马来西亚萨巴的社区合作")  # a region right after its country
    assert {"英格·安德森", "Inger Andersen"} <= persons("英格·安德森（Inger Andersen）环境署执行主任")
    assert "Sonia Guajajara" in persons("巴西原住民部部长Sonia Guajajara因保护生物多样性获奖")
    assert "国际家畜研究所" in organisations("环境署与国际家畜研究所的联合报告")
    assert "《生物多样性公约》秘书处" in organisations("《生物多样性公约》秘书处发布了报告")
    assert "TED" in organisations("联合国环境署与TED合作开发了地球学校")
    assert not organisations("以便企业和国家监管机构能够保护社区")  # a generic body is no name
    assert new_names({"菲律宾政府", "泰国"}, "菲律宾在做什么？") == {"泰国"}


def test_a_link_or_document_symbol_alone_is_no_sentence_to_quote():
    assert link_only("1 www.unep.org/nitrogen-management-WG。")
    assert link_only("<sup>2</sup> UNEP/EA.6/INF/9。")
    assert not link_only("预计此举将协助4.5亿消费者做出更明智的购买决定。")
    assert not link_only("EU4Environment 是一个由欧洲联盟供资的方案。")


def test_paraphrased_terms_get_partial_credit_and_the_asked_category_counts_half():
    assert coverage([Term("患病", 1.0)], "人畜共患疾病") == pytest.approx(0.5)
    assert coverage([Term("剖析", 1.0, absent=True)], "阐明了根本原因") == 0.0
    terms = {t.text: t.weight for t in question_terms("环境署和哪个机构联合发布了报告？", STATS)}
    assert terms["机构"] == pytest.approx(0.5 * STATS.idf("机构"))


@pytest.mark.parametrize("question, kinds", [
    ("这份报告是和哪家研究机构合作完成的？", ("org",)),  # words between 哪家 and 机构
    ("这个平台是哪所大学开发的？", ("org",)),
    ("谁是这次大会的主席？", ("person",)),
    ("《水俣公约》这个名字是怎么来的？", ()),  # how a name came about is open, not a request for a name
    ("观测站一共通报了多少起甲烷泄漏？", ("number",)),
    ("这个基金资助了哪些项目？", ("list",)),  # what the fund paid for, not who paid
])
def test_paraphrased_slot_wordings_are_read(question, kinds):
    assert expected_slot(question).kinds == kinds


def test_a_count_of_a_compound_noun_is_found_by_its_head():
    slot = expected_slot("观测站一共通报了多少起甲烷泄漏？")
    assert quantities("向企业和政府通报了1066起泄漏事件。", slot.unit, slot.noun) == ["1066起"]


def test_the_doer_of_the_asked_action_answers_even_when_it_is_a_common_name():
    q = "净零银行联盟是由环境署的哪个部门召集的？"
    assert offers(expected_slot(q), q, "由环境署金融倡议召集的“净零银行联盟”已发展到超过140个成员。", STATS)
    q2 = "气候与清洁空气联盟是由哪个机构召集的？"
    assert offers(expected_slot(q2), q2, "由环境署召集的气候与清洁空气联盟为30多个国家提供技术支持。", STATS)
    assert not offers(expected_slot(q2), q2, "气候与清洁空气联盟为30多个国家提供技术支持。", STATS)


def test_a_longer_name_starting_with_a_given_one_is_new_unless_the_rest_is_generic():
    assert new_names({"菲律宾政府"}, "菲律宾做了什么？") == set()
    assert new_names({"环境署金融倡议"}, "环境署的哪个部门召集的？") == {"环境署金融倡议"}


def test_a_university_question_needs_a_university():
    q = "这份报告是和哪所大学合作完成的？"
    assert not offers(expected_slot(q), q, "在荷兰政府和荷兰合作银行的支持下完成。", STATS)
    assert offers(expected_slot(q), q, "该平台由日内瓦大学开发。", STATS)
