"""Question language: zh / en / mixed, and the language the answer is given in."""

from __future__ import annotations

import pytest

from rag.answering.question import reply_language
from rag.lang import detect_language


@pytest.mark.parametrize(
    "text, lang",
    [
        ("环境署氮问题工作组的第三次会议是在哪里召开的？", "zh"),
        ("环境署与TED合作开发了地球学校", "zh"),  # an acronym inside Chinese stays Chinese
        ("根据《2024年排放差距报告》，需要削减多少？", "zh"),
        ("COP29最终商定的新的集体量化气候融资目标具体是每年多少亿美元？", "zh"),
        ("Where was the UN biodiversity COP16 held?", "en"),
        ("How many people attended UNEA-6?", "en"),
        ("What does 昆明生物多样性基金 fund?", "mixed"),
        ("How does the report describe 净零银行联盟?", "mixed"),
        ("", "zh"),
        ("？？！", "zh"),
        ("2024", "zh"),
    ],
)
def test_detects_question_language(text, lang):
    assert detect_language(text) == lang


def test_english_led_mixed_questions_are_answered_in_english():
    assert reply_language("What does 昆明生物多样性基金 fund?", "mixed") == "en"
    assert reply_language("昆明生物多样性基金 fund 是什么 what?", "mixed") == "zh"
    assert reply_language("Where was COP16 held?", "en") == "en"
    assert reply_language("COP16在哪里举行？", "zh") == "zh"
