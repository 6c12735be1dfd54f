"""Reciprocal rank fusion on hand-made rankings whose fused order is known."""

from __future__ import annotations

import pytest

from rag.index.fusion import rrf


def test_single_ranking_keeps_its_order_with_reciprocal_scores():
    fused = rrf([["a", "b", "c"]], [1.0], k=60)
    assert [i for i, _ in fused] == ["a", "b", "c"]
    assert fused[0][1] == pytest.approx(1 / 61)
    assert fused[2][1] == pytest.approx(1 / 63)


def test_an_item_ranked_well_by_both_beats_items_ranked_first_by_one():
    # "b" is 2nd in both lists: 2/62 = 0.03226 > 1/61 + 1/64 (a) ... and > 1/61 (c alone)
    fused = dict(rrf([["a", "b", "x"], ["c", "b", "y", "a"]], [1.0, 1.0], k=60))
    assert max(fused, key=fused.get) == "b"
    assert fused["b"] == pytest.approx(2 / 62)
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 64)
    assert fused["a"] > fused["c"] > fused["x"]


def test_weights_decide_between_disagreeing_rankings():
    lexical, dense = ["zh-keyword", "other"], ["translation", "other2"]
    # English question over Chinese text: keywords weigh 0.3, the embedding 1.0
    fused = rrf([lexical, dense], [0.3, 1.0], k=60)
    assert fused[0][0] == "translation"
    fused = rrf([lexical, dense], [1.0, 0.3], k=60)
    assert fused[0][0] == "zh-keyword"


def test_zero_weight_ranking_contributes_nothing():
    fused = dict(rrf([["a", "b"], ["b", "c"]], [1.0, 0.0], k=10))
    assert fused["a"] == pytest.approx(1 / 11)
    assert fused["b"] == pytest.approx(1 / 12)
    assert fused["c"] == 0.0


def test_k_sets_how_much_a_first_place_outweighs_consistency():
    rankings = [["a", "x", "b"], ["c", "y", "b"]]  # a: 1st once; b: 3rd in both
    small = dict(rrf(rankings, [1, 1], k=0))
    assert small["a"] == pytest.approx(1.0)
    assert small["b"] == pytest.approx(2 / 3)
    assert small["a"] > small["b"]
    usual = dict(rrf(rankings, [1, 1], k=60))
    assert usual["b"] == pytest.approx(2 / 63)
    assert usual["b"] > usual["a"] == pytest.approx(1 / 61)


def test_ties_keep_first_seen_order_and_duplicates_count_once():
    fused = rrf([["a", "b", "a"], ["b", "a"]], [1.0, 1.0], k=60)
    assert [i for i, _ in fused] == ["a", "b"]
    assert fused[0][1] == pytest.approx(fused[1][1])  # both 1/61 + 1/62: tie → first seen first
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)


def test_empty_rankings_fuse_to_nothing():
    assert rrf([[], []], [1.0, 1.0], k=60) == []
    assert rrf([], [], k=60) == []


def test_mismatched_weights_or_negative_k_are_errors():
    with pytest.raises(ValueError, match="one weight per ranking"):
        rrf([["a"], ["b"]], [1.0], k=60)
    with pytest.raises(ValueError, match="k must be"):
        rrf([["a"]], [1.0], k=-1)


def test_fusion_uses_the_question_languages_weights_and_leaves_zero_weight_lists_out():
    from rag.index.retrieve import fuse
    from rag.params import FusionParams

    lists = {"bm25": ["english-word-noise"], "translated": ["dict-hit", "both"], "dense": ["both", "dense-hit"]}
    fusion = FusionParams(rrf_k_en=0, lexical_weight_en=0.0, translated_weight_en=0.5, dense_weight_en=1.0)
    fused = dict(fuse(lists, "en", fusion))
    assert "english-word-noise" not in fused  # BM25 over English words: weight 0, not fused
    assert fused["both"] == pytest.approx(1.0 + 0.5 / 2)
    assert fused["dense-hit"] == pytest.approx(0.5) and fused["dict-hit"] == pytest.approx(0.5)
    zh = dict(fuse(lists, "zh", FusionParams(rrf_k_zh=0, lexical_weight_zh=1.0, dense_weight_zh=1.0)))
    assert "dict-hit" not in zh and zh["english-word-noise"] == pytest.approx(1.0)  # no translated list for zh


def test_footnotes_and_link_or_number_only_chunks_are_kept_out_of_dense_search():
    from rag.index.retrieve import dense_eligible
    from rag.types import Chunk

    def chunk(text: str, kind: str = "body") -> Chunk:
        return Chunk("id", "d.txt", "T", "", 1, None, 0, len(text), text, kind)  # type: ignore[arg-type]

    assert dense_eligible(chunk("氮管理工作组由印度和罗马尼亚共同主持。"))
    assert not dense_eligible(chunk("3 见 https://wedocs.unep.org/20.500.11822/44579。", "footnote"))
    assert not dense_eligible(chunk("2 www.unep.org/nitrogen-management-WG/Nitrogen-National-Focal-Points#。"))
    assert not dense_eligible(chunk("795.1 89.7 281.8 271.5"))
    assert dense_eligible(chunk("联系：unep-nitrogenworkinggroup@un.org"))  # words remain beside the address
