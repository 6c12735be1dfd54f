"""Acceptance figure: the dev set's evidence strings each lie wholly inside a single chunk."""

from __future__ import annotations

from pathlib import Path

from eval.chunk_report import evidence_coverage, format_report, main
from tests.conftest import DEV_SET


def test_dev_evidence_lies_inside_single_chunks(corpus_dir: Path):
    report = evidence_coverage(corpus_dir, DEV_SET, chunk_size=400)
    table = format_report(report)
    print("\n" + table)
    assert report.total >= 60 and not report.not_found, table
    assert report.coverage >= 0.98, table
    stats = {d.doc: d for d in report.docs}
    assert stats["000_7b030ac21b7d218f.txt"].numbered == list(range(1, 36)), table
    assert stats["003_eee71a5fe2a8738e.txt"].numbered == list(range(1, 27)), table
    assert (
        not stats["001_6cfd863ef6650e26.txt"].numbered and not stats["004_c0676d05f06f9068.txt"].numbered
    ), table
    assert all(d.chunks > 20 for d in report.docs), table


def test_evidence_coverage_holds_for_smaller_and_larger_chunks(corpus_dir: Path):
    for size in (150, 1000):
        report = evidence_coverage(corpus_dir, DEV_SET, chunk_size=size)
        assert report.coverage >= 0.98, format_report(report)


def test_chunk_report_script_prints_the_table(corpus_dir: Path, capsys):
    assert main(["--corpus", str(corpus_dir), "--eval-set", str(DEV_SET)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Evidence inside a single chunk: ") and "000_7b030ac21b7d218f.txt" in out
