"""Why-answers quote the cause, announced lists are quoted with their items, follow-ups that point inside or
past the last answer, "the last one" made concrete, and no answer from a passage about another fund — the
real chain over the shipped corpus, questions written for these tests."""

from __future__ import annotations

from rag.chain import ask
from rag.converse import is_followup, repeats
from rag.ordinal import resolve_last
from rag.sentences import squash
from rag.types import Chunk, Passage, Turn


def test_a_why_answer_quotes_the_cause_stated_before_its_therefore_sentence(corpus_components):
    a = ask("为什么说应对污染和废弃物危机要靠转向可持续的消费和生产？", corpus_components)
    assert not a.refused
    assert "驱动" in a.answer and "因此" in a.answer  # the cause, not only the consequence


def test_a_sentence_announcing_a_count_of_goals_is_quoted_with_the_goals(corpus_components):
    a = ask("东亚减少养分过剩的战略草案提出了哪些目标？", corpus_components)
    assert "六项目标" in a.answer and "优化作物的养分利用" in a.answer


def test_pointing_inside_the_last_answer_makes_a_question_a_follow_up():
    assert is_followup("里面具体有哪些工具？举两个例子。")
    assert is_followup("出口国那边呢？")
    assert not is_followup("环境署的数字加速器实验室是什么时候启动的？")


def test_a_follow_up_does_not_quote_the_last_answer_again(corpus_components):
    said = "数字加速器实验室于2024年5月启动，拥有20个数字应用程序和技术原型。"
    history = [Turn("user", "数字加速器实验室是哪年启动的？"), Turn("assistant", said)]
    a = ask("里面有哪些工具？举个例子。", corpus_components, history)
    assert not a.refused
    assert not any(repeats(s.text, said) for s in a.sentences)
    assert "淡水生态系统探索器" in a.answer  # what the announced "20个数字应用程序" include


def test_the_last_meeting_is_the_highest_numbered_one(corpus_components):
    history = [Turn("user", "环境署氮问题工作组在环境大会第六届会议之前要开几次会？"),
               Turn("assistant", "到环境大会第六届会议时，工作组将举行五次会议。")]
    a = ask("那最后一次会议是在哪个城市举行的？", corpus_components, history)
    assert not a.refused and "第五次会议" in a.answer and "内罗毕" in a.answer


def test_last_is_resolved_to_the_highest_ordinal_of_the_top_passage():
    text = "第一次会议于 2020 年在线举行；第二次会议于 2023 年在线举行；第十二次会议将于 2024 年在内罗毕举行。"
    chunk = Chunk(id="c1", doc="d.txt", title="t", section="", paragraph=1, page=None, char_start=0, char_end=len(text),
                  text=text)
    passages = [Passage(chunk, 1.0, n=1, rank=1)]
    assert resolve_last("那最后一次会议在哪里开？", passages) == "那第十二次会议在哪里开？"
    assert resolve_last("第二次会议在哪里开？", passages) == "第二次会议在哪里开？"


def test_a_question_about_one_fund_is_not_answered_from_a_passage_about_another(corpus_components):
    a = ask("中国向环境署的环境基金承诺出资多少？", corpus_components)
    assert a.refused  # the passage with China's pledge is about the 昆明生物多样性基金
    b = ask("中国承诺向昆明生物多样性基金出资多少？", corpus_components)
    assert not b.refused and "2.3亿美元" in squash(b.answer)
