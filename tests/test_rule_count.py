"""The rule counter of ``eval.rule_count`` on a hand-made module."""

from __future__ import annotations

from eval.rule_count import RuleCount, count_source

SOURCE = '''
import re
LIMIT = 3
RATIO = -0.5
FLAG = True
NAME = "x"
_A = re.compile(r"a+")
STOP = {"the", "of", "a"}
MIXED = ("x", 1)
Lang = Literal["zh", "en"]
def f():
    local = 7
    return re.compile("b"), ["one", "two"], ["alone"]
'''


def test_regexes_word_list_entries_and_module_numbers_are_counted():
    assert count_source(SOURCE) == RuleCount(modules=1, regexes=2, word_list_entries=5, numeric_constants=2)
