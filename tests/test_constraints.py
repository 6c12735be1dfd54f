"""What a question asks that the quotes lack (``rag.answering.constraints``), on hand-made cases, and the
caveat a real near-miss question gets through the chain."""

from __future__ import annotations

from rag.answering.constraints import Unmet, caveat, refuses, shows_amount, shows_figure, unmet
from rag.answering.question import parse_question
from rag.chain import ask


def test_a_figure_is_a_count_or_amount_not_a_date_or_the_indefinite_one():
    assert shows_figure("提名了75名联络人") and shows_figure("十二支球队") and shows_figure("两个缔约国")
    assert shows_figure("provided 5 million dollars") and shows_figure("three teams")
    assert not shows_figure("在瑞典政府的资助下举办了一次讲习班")  # "一次": a, not a count asked for
    assert not shows_figure("并于2022年5月开展了培训") and not shows_figure("统一标准")
    assert shows_figure("通报了1066起泄漏事件") and shows_figure("2000名代表") and not shows_figure("2019至2020年")


def test_a_figure_asked_and_not_quoted_is_unmet():
    q = parse_question("瑞典政府资助的讲习班有多少人参加？")
    assert unmet(q, ["在瑞典政府的资助下举办了一次区域讲习班。"], []) == Unmet("figure")
    assert unmet(q, ["共有120人参加了讲习班。"], []) is None
    assert unmet(q, [], []) is None  # nothing quoted: nothing to frame


def test_an_amount_of_money_is_a_figure_with_its_currency():
    assert shows_amount("瑞典政府提供了12万美元") and shows_amount("出资2500万欧元") and shows_amount("US$ 5 million")
    assert shows_amount("€3.2 billion") and shows_amount("5 million dollars") and shows_amount("两亿美元")
    assert not shows_amount("两个缔约国参加了试点项目") and not shows_amount("1 050亿公吨材料")


def test_money_asked_needs_an_amount_not_any_figure():
    q = parse_question("How much money did the Government of Sweden provide for the workshop?")
    assert q.money and not parse_question("How many people attended the workshop?").money
    assert unmet(q, ["在瑞典政府的资助下，两个缔约国举办了讲习班。"], []) == Unmet("amount")
    assert unmet(q, ["瑞典政府为讲习班提供了12万美元。"], []) is None
    assert unmet(parse_question("讲习班有多少人参加？"), ["两个缔约国举办了讲习班。"], []) is None  # a count


def test_quotes_without_the_kind_asked_are_refused_and_a_missing_year_or_name_is_a_caveat():
    assert refuses(Unmet("figure")) and refuses(Unmet("amount")) and refuses(Unmet("date"))
    assert not refuses(Unmet("year", ("2020",))) and not refuses(Unmet("name", ("UNEA-7",)))


def test_a_date_asked_and_not_quoted_is_unmet():
    q = parse_question("When was the workshop held?")
    assert unmet(q, ["The workshop was held in Nairobi."], []) == Unmet("date")
    assert unmet(q, ["The workshop was held in May 2023."], []) is None


def test_a_named_year_must_hold_in_the_quotes_their_passages_or_their_documents_titles():
    q = parse_question("环境署2020年在泰国开展了哪些工作？")
    quotes = ["2024年，环境署协助泰国建立了海洋避风港。"]
    assert unmet(q, quotes, ["环境署协助泰国……"]) == Unmet("year", ("2020",), ("2024",))
    assert unmet(q, quotes, ["联合国环境规划署2020年年度报告"]) is None  # the document is the 2020 report
    assert unmet(parse_question("环境署在泰国开展了哪些工作？"), quotes, []) is None


def test_a_coded_name_the_question_names_must_hold_but_a_plain_name_is_left_to_the_model():
    q = parse_question("In which city will UNEA-7 be held?")
    assert unmet(q, ["UNEA-6 was held in Nairobi."], ["UNEA-6 met in 2024."]) == Unmet("name", ("UNEA-7",))
    assert unmet(q, ["UNEA-7 will meet in Nairobi."], []) is None
    assert unmet(parse_question("Where did Sweden fund a workshop?"), ["在瑞典政府的资助下举办了讲习班。"], []) is None
    assert caveat(Unmet("name", ("UNEA-7",)), "zh").startswith("所引段落没有提到UNEA-7")


def test_the_caveat_says_what_is_missing_in_the_reply_language():
    assert "数字" in caveat(Unmet("figure"), "zh") and "figure" in caveat(Unmet("figure"), "en")
    assert "金额" in caveat(Unmet("amount"), "zh") and "money" in caveat(Unmet("amount"), "en")
    assert caveat(Unmet("year", ("2020",), ("2024",)), "zh") == "所引段落没有提到2020年，只提到2024年："
    assert caveat(Unmet("year", ("2020",), ()), "en") == "The cited passages do not mention 2020:"


def test_a_near_miss_amount_question_is_refused_saying_what_is_missing(corpus_components):
    answer = ask("环境署召集的塑料问题资金领导小组迄今已经筹集了多少资金？", corpus_components)
    assert answer.refused and answer.answer == caveat(Unmet("amount"), "zh")
    assert not answer.sentences and answer.passages  # nothing shown as fact; the closest passages offered
    assert answer.to_dict()["refused"] is True


def test_an_answer_that_holds_what_is_asked_has_no_caveat(corpus_components):
    answer = ask("会员国为氮问题工作组提名了多少名联络人？", corpus_components)
    assert not answer.refused and "75" in answer.answer and answer.caveat == ""
