"""Relevance by source span on real evidence strings of the seed documents."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.relevance import DocText, Relevance, Span, coverage, locate, squeeze
from ingest.load import load_document

DOC = "000_7b030ac21b7d218f.txt"
EVIDENCE = "第三次会议于 2023 年 4 月 27 日在布加勒斯特以混合形式举行"


@pytest.fixture
def raw(corpus_dir: Path) -> str:
    return load_document(corpus_dir / DOC).raw


def test_evidence_is_located_across_a_line_break_and_mapped_to_raw_offsets(raw: str):
    span = locate(EVIDENCE, raw)
    assert span is not None
    start, end = span
    assert "\n" in raw[start:end]  # the PDF line break falls inside the evidence
    assert squeeze(raw[start:end]) == squeeze(EVIDENCE)
    assert raw[start] == "第" and raw[end - 1] == "行"


def test_passage_is_relevant_from_eighty_percent_coverage(raw: str):
    text = DocText(raw)
    start, end = locate(EVIDENCE, raw)
    ev = Span(DOC, start, end)
    solid = text.solid(start, end)
    need = math.ceil(0.8 * solid)
    # a passage that starts at the evidence and stops after `need` of its non-whitespace characters
    just_enough = Span(DOC, start, text.offsets[text.offsets.index(start) + need - 1] + 1)
    one_short = Span(DOC, start, text.offsets[text.offsets.index(start) + need - 2] + 1)
    assert coverage(just_enough, ev, text) >= 0.8
    assert coverage(one_short, ev, text) < 0.8
    rel = Relevance({DOC: raw})
    gold = rel.gold([DOC], [EVIDENCE])
    assert rel.covered(just_enough, gold) == {0}
    assert rel.covered(one_short, gold) == set()
    assert rel.covered(Span("other.txt", start, end), gold) == set()
    assert rel.covered(Span(DOC, start - 500, end + 500), gold) == {0}


def test_every_dev_set_evidence_string_is_found_in_its_documents(corpus_dir: Path):
    raws = {p.name: load_document(p).raw for p in sorted(corpus_dir.glob("*.txt"))}
    rel = Relevance(raws)
    dev = Path(__file__).resolve().parents[1] / "eval" / "dev.jsonl"
    missing = []
    for line in dev.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        docs = [item["doc"]] if isinstance(item["doc"], str) else item["doc"] or []
        gold = rel.gold(docs, item["evidence"])
        missing += [(item["id"], m) for m in gold.missing]
    assert missing == []


def test_evidence_missing_from_the_document_is_reported(raw: str):
    gold = Relevance({DOC: raw}).gold([DOC], ["这句话不在文件里"])
    assert gold.missing == ["这句话不在文件里"] and gold.spans == [[]]
