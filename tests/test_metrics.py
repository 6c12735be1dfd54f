"""Metric maths on hand-made rankings with known answers."""

from __future__ import annotations

import math

import pytest

from eval.metrics import (
    ItemMetrics,
    aggregate,
    breakdown,
    citation_scores,
    hit_at_1,
    key_fact_recall,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    recall_at_1_ceiling,
    recall_at_k,
)


def test_one_hot_relevance_at_rank_three_gives_mrr_one_third_and_known_ndcg():
    ranking = [set(), set(), {0}, set()]
    assert mrr_at_k(ranking, 10) == pytest.approx(1 / 3)
    assert ndcg_at_k(ranking, 1, 10) == pytest.approx(1 / math.log2(4))
    assert recall_at_k(ranking, 1, 1) == 0.0
    assert recall_at_k(ranking, 1, 5) == 1.0


def test_relevant_passage_beyond_cutoff_scores_zero():
    ranking = [set()] * 10 + [{0}]
    assert mrr_at_k(ranking, 10) == 0.0
    assert ndcg_at_k(ranking, 1, 10) == 0.0
    assert recall_at_k(ranking, 1, 10) == 0.0


def test_recall_counts_share_of_evidence_strings_found():
    ranking = [{1}, set(), {1}, set(), set(), {0}]
    assert recall_at_k(ranking, 3, 1) == pytest.approx(1 / 3)
    assert recall_at_k(ranking, 3, 5) == pytest.approx(1 / 3)
    assert recall_at_k(ranking, 3, 10) == pytest.approx(2 / 3)


def test_ndcg_is_one_for_ideal_ranking_and_counts_repeated_evidence_once():
    assert ndcg_at_k([{0}, {1}, set()], 2, 10) == pytest.approx(1.0)
    # the second passage repeats evidence 0 (overlapping chunks): no gain; evidence 1 arrives at rank 3
    dcg = 1 + 1 / math.log2(4)
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k([{0}, {0}, {1}], 2, 10) == pytest.approx(dcg / ideal)


def test_percentiles_interpolate_like_numpy():
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    assert percentile(values, 50) == pytest.approx(5.5)
    assert percentile(values, 95) == pytest.approx(9.55)
    assert percentile([0.2], 95) == pytest.approx(0.2)
    assert percentile([], 50) is None


def test_key_fact_matches_any_surface_form_ignoring_case_space_and_citation_markers():
    facts = [["布加勒斯特", "Bucharest"], ["混合", "hybrid"], ["10", "ten"]]
    assert key_fact_recall("It met in BUCHAREST in a hy brid format [1].", facts) == pytest.approx(2 / 3)
    # "[10]" is a citation marker, not the number ten
    assert key_fact_recall("会议在布加勒斯特举行[10]。", facts) == pytest.approx(1 / 3)
    assert key_fact_recall("anything", []) is None


def test_citation_precision_and_recall():
    precision, recall = citation_scores([{0}, set(), {0}], 2)
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(1 / 2)
    assert citation_scores([], 2) == (None, 0.0)


def test_aggregate_splits_refusals_by_answerability_and_breaks_down_by_language():
    items = [
        ItemMetrics("a", "zh", "fact", True, False, 1.0, recall_1=1.0, key_fact_recall=1.0),
        ItemMetrics("b", "en", "fact", True, True, 3.0, recall_1=0.0, key_fact_recall=0.0),
        ItemMetrics("c", "en", "unanswerable", False, True, 2.0),
        ItemMetrics("d", "zh", "unanswerable", False, False, 4.0),
    ]
    overall = aggregate(items)
    assert overall["recall@1"] == pytest.approx(0.5)
    assert overall["refusal_rate_unanswerable"] == pytest.approx(0.5)
    assert overall["false_refusal_rate"] == pytest.approx(0.5)
    assert overall["latency_p50_s"] == pytest.approx(2.5)
    assert overall["n"] == 4
    assert overall["recall@5"] is None  # no item had it
    out = breakdown(items)
    assert out["by_lang"]["en"]["n"] == 2
    assert out["by_lang"]["en"]["false_refusal_rate"] == 1.0
    assert out["by_type"]["unanswerable"]["refusal_rate_unanswerable"] == pytest.approx(0.5)


def test_a_caveated_answer_counts_beside_refusals_for_unanswerable_items_and_apart_for_answerable_ones():
    items = [
        ItemMetrics("a", "zh", "number", True, False, 1.0, caveated=True, key_fact_recall=1.0),
        ItemMetrics("b", "zh", "number", True, False, 1.0, key_fact_recall=1.0),
        ItemMetrics("c", "zh", "unanswerable", False, False, 1.0, caveated=True),
        ItemMetrics("d", "zh", "unanswerable", False, True, 1.0),
        ItemMetrics("e", "zh", "unanswerable", False, False, 1.0),
    ]
    overall = aggregate(items)
    assert overall["refusal_rate_unanswerable"] == pytest.approx(1 / 3)
    assert overall["refused_or_caveated_unanswerable"] == pytest.approx(2 / 3)
    assert overall["caveat_rate_answerable"] == pytest.approx(0.5)
    assert overall["key_fact_recall"] == pytest.approx(1.0)  # a caveat costs no key fact


def test_hit_at_1_counts_a_rank_one_passage_holding_any_evidence_string():
    assert hit_at_1([{1}, {0}]) == 1.0  # one of two evidence strings at rank 1 is a hit
    assert hit_at_1([set(), {0, 1}]) == 0.0
    assert hit_at_1([]) == 0.0


def test_recall_at_1_ceiling_is_the_largest_evidence_share_of_one_unit():
    # evidence 0 and 1 in separate paragraphs, evidence 2 in a paragraph with evidence 1
    assert recall_at_1_ceiling([{0}, set(), {1, 2}], 3) == pytest.approx(2 / 3)
    assert recall_at_1_ceiling([{0}, {1}], 2) == pytest.approx(0.5)
    assert recall_at_1_ceiling([{0, 1}], 2) == 1.0
    assert recall_at_1_ceiling([], 2) == 0.0
    assert recall_at_1_ceiling([{0}], 0) == 0.0


def test_aggregate_reports_hit_at_1_and_the_recall_at_1_ceiling_over_answerable_items():
    items = [
        ItemMetrics("a", "zh", "multi_para", True, False, 1.0, recall_1=0.5, hit_1=1.0, recall_1_ceiling=0.5),
        ItemMetrics("b", "zh", "fact", True, False, 1.0, recall_1=0.0, hit_1=0.0, recall_1_ceiling=1.0),
        ItemMetrics("c", "zh", "unanswerable", False, True, 1.0),
    ]
    figures = aggregate(items)
    assert figures["recall@1"] == pytest.approx(0.25)
    assert figures["hit@1"] == pytest.approx(0.5)
    assert figures["recall@1_ceiling"] == pytest.approx(0.75)
