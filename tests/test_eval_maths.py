"""The eval's own maths on hand-made cases with known answers: risk–coverage, bootstrap intervals, the sentence
rule of the answering baselines, paragraph offsets and set provenance."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from eval.bootstrap import add_intervals, bootstrap_ci, ci95
from eval.metrics import ItemMetrics, breakdown
from eval.naive import answer_by_sentence_rule, paragraph_units, paragraphs, split_sentences
from eval.provenance import set_info
from eval.riskcov import (
    Scored,
    operating_point,
    risk_coverage,
    risk_coverage_by_lang,
    write_risk_coverage_png,
)

EVAL = Path(__file__).resolve().parents[1] / "eval"


def test_risk_coverage_on_a_four_item_toy_gives_the_known_points():
    # answered at 0.9 (right), 0.7 (wrong), 0.7 (half right); one refused (never answered)
    toy = [Scored(0.9, False, 1.0), Scored(0.7, False, 0.0), Scored(0.7, False, 0.5), Scored(0.95, True, 0.0)]
    points = risk_coverage(toy)
    assert points == [
        {"threshold": 0.9, "coverage": 0.25, "accuracy": 1.0},
        {"threshold": 0.7, "coverage": 0.75, "accuracy": 0.5},  # ties enter together: (1 + 0 + .5) / 3
    ]
    assert operating_point(points) == points[-1]


def test_risk_coverage_with_one_shared_confidence_is_the_operating_point_alone():
    toy = [Scored(0.0, False, 1.0), Scored(0.0, True, 0.0), Scored(0.0, False, 0.0), Scored(0.0, False, 1.0)]
    assert risk_coverage(toy) == [{"threshold": 0.0, "coverage": 0.75, "accuracy": 2 / 3}]


def test_risk_coverage_when_everything_is_refused_has_zero_coverage_and_no_accuracy():
    assert risk_coverage([Scored(0.5, True, 0.0)]) == [{"threshold": 0.0, "coverage": 0.0, "accuracy": None}]


def test_risk_coverage_reads_confidence_from_rows_and_skips_unanswerable_and_factless_items(tmp_path: Path):
    def row(lang: str, answerable: bool, conf: float, refused: bool, kfr: float | None) -> dict:
        return {"lang": lang, "answerable": answerable, "answer": {"confidence": conf},
                "metrics": {"refused": refused, "key_fact_recall": kfr}}

    rows = [row("zh", True, 0.8, False, 1.0), row("zh", True, 0.2, False, 0.0), row("zh", False, 0.9, False, None),
            row("en", True, 0.5, True, 0.0), row("en", True, 0.4, False, None)]
    curves = risk_coverage_by_lang(rows)
    assert curves["zh"] == [{"threshold": 0.8, "coverage": 0.5, "accuracy": 1.0},
                            {"threshold": 0.2, "coverage": 1.0, "accuracy": 0.5}]
    assert curves["en"] == [{"threshold": 0.0, "coverage": 0.0, "accuracy": None}]
    png = write_risk_coverage_png(curves, tmp_path / "rc.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bootstrap_interval_covers_the_known_mean_and_is_reproducible():
    values = [1.0] * 30 + [0.0] * 10  # mean 0.75
    low, high = bootstrap_ci(values)
    assert low < 0.75 < high
    assert 0.55 < low < 0.7 and 0.8 < high < 0.92  # ≈ 0.75 ± 1.96·sqrt(.75·.25/40) = ±0.13
    assert bootstrap_ci(values) == (low, high)  # seeded


def test_bootstrap_interval_of_a_constant_is_the_constant_and_of_nothing_is_none():
    assert bootstrap_ci([0.4] * 12) == pytest.approx((0.4, 0.4))
    assert bootstrap_ci([]) is None


def test_bootstrap_interval_narrows_with_more_questions():
    few = bootstrap_ci([1.0, 0.0] * 10)
    many = bootstrap_ci([1.0, 0.0] * 500)
    assert (many[1] - many[0]) < (few[1] - few[0]) / 5
    assert many[0] < statistics.mean([1.0, 0.0]) < many[1]


def test_intervals_land_in_every_group_and_follow_the_metric_definitions():
    items = [ItemMetrics("a", "zh", "fact", True, False, 0.1, key_fact_recall=1.0, recall_1=1.0),
             ItemMetrics("b", "zh", "fact", True, True, 0.1, key_fact_recall=0.0, recall_1=0.0),
             ItemMetrics("c", "en", "unanswerable", False, True, 0.1)]
    b = breakdown(items)
    add_intervals(b, items)
    assert b["by_lang"]["en"]["ci95"]["refusal_rate_unanswerable"] == [1.0, 1.0]
    assert b["by_lang"]["en"]["ci95"]["key_fact_recall"] is None
    low, high = b["overall"]["ci95"]["false_refusal_rate"]
    assert low <= b["overall"]["false_refusal_rate"] == 0.5 <= high
    assert ci95(items[:1])["key_fact_recall"] == [1.0, 1.0]


def test_sentence_rule_picks_the_sentence_sharing_most_question_words():
    passage = "华沙是波兰的首都。维斯瓦河流经华沙，全长 1047 公里。这座城市有很多剧院。"
    assert split_sentences(passage) == ["华沙是波兰的首都。", "维斯瓦河流经华沙，全长 1047 公里。", "这座城市有很多剧院。"]
    assert answer_by_sentence_rule("维斯瓦河全长多少公里？", [passage, "别的段落。"]) == "维斯瓦河流经华沙，全长 1047 公里。"
    assert answer_by_sentence_rule("What is unrelated?", [passage]) == "华沙是波兰的首都。"  # tie → first
    assert answer_by_sentence_rule("任何问题", []) == ""


def test_paragraph_spans_point_at_their_text_in_the_raw_document():
    raw = "# Title\n\n第一段。\n第一段续。\n\n  \n第二段。  \n"
    got = paragraphs("d.txt", raw)
    assert [text for _, text in got] == ["# Title", "第一段。\n第一段续。", "第二段。"]
    for span, text in got:
        assert raw[span.start:span.end] == text and span.doc == "d.txt"
    assert [text for _, text in paragraph_units({"d.txt": raw})] == ["第一段。\n第一段续。", "第二段。"]


def test_shipped_sets_and_their_copies_are_marked_as_tuning_sets_and_a_users_file_is_held_out(tmp_path: Path):
    assert set_info(EVAL / "dev.jsonl", 44).tuned
    assert set_info(EVAL / "xquad" / "dev.en.jsonl", 576).name == "XQuAD dev (en)"
    copy = tmp_path / "mine.jsonl"
    copy.write_bytes((EVAL / "extra.jsonl").read_bytes())
    assert set_info(copy, 3).tuned and set_info(copy, 3).name == "UNEP extra"
    own = tmp_path / "own.jsonl"
    own.write_text('{"id": "x"}\n', encoding="utf-8")
    assert not set_info(own, 1).tuned
    assert set_info(own, 1, declared_tuned=True).tuned
