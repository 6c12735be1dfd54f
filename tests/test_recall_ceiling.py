"""recall@1_ceiling over a system's own units, on hand-made documents with known answers."""

from __future__ import annotations

import pytest

from eval.relevance import Relevance, Span
from eval.runner import by_doc, ceiling

A = "氮工作组成立于2021年。\n\n会员国提名了七十五名联络人。\n\n第三次会议在布加勒斯特举行。\n"
B = "循环经济联盟有十个成员。\n"
EVIDENCE_A = ["成立于2021年", "提名了七十五名联络人"]  # two separate paragraphs of A


def paragraph_units(doc: str, raw: str) -> list[Span]:
    """One unit per paragraph, as a paragraph-true chunker would cut it."""
    units, at = [], 0
    for para in raw.split("\n\n"):
        units.append(Span(doc, at, at + len(para)))
        at += len(para) + 2
    return units


@pytest.fixture
def rel() -> Relevance:
    return Relevance({"a.txt": A, "b.txt": B})


def test_evidence_in_two_paragraphs_caps_paragraph_chunks_at_one_half(rel: Relevance):
    gold = rel.gold(["a.txt"], EVIDENCE_A)
    assert ceiling(gold, by_doc(paragraph_units("a.txt", A)), rel) == pytest.approx(0.5)


def test_one_unit_spanning_both_paragraphs_reaches_one(rel: Relevance):
    gold = rel.gold(["a.txt"], EVIDENCE_A)
    whole = [Span("a.txt", 0, len(A))]
    assert ceiling(gold, by_doc(whole), rel) == 1.0


def test_evidence_in_two_documents_caps_any_unit_at_one_half(rel: Relevance):
    gold = rel.gold(["a.txt", "b.txt"], ["第三次会议在布加勒斯特举行", "十个成员"])
    units = by_doc([Span("a.txt", 0, len(A)), Span("b.txt", 0, len(B))])
    assert ceiling(gold, units, rel) == pytest.approx(0.5)


def test_units_cutting_the_evidence_below_eighty_percent_give_zero(rel: Relevance):
    gold = rel.gold(["a.txt"], ["会员国提名了七十五名联络人"])
    start = A.index("会员国")
    halves = [Span("a.txt", start, start + 6), Span("a.txt", start + 6, start + 13)]
    assert ceiling(gold, by_doc(halves), rel) == 0.0
