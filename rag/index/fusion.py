"""Reciprocal rank fusion: merge several rankings of ids into one.

``score(id) = Σ_i weight_i / (k + rank_i(id))`` with 1-based ranks; an id absent from a ranking
gets nothing from it. Ties keep the order in which ids were first seen (ranking by ranking), so the
result is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence


def rrf(rankings: Sequence[Sequence[str]], weights: Sequence[float], k: int) -> list[tuple[str, float]]:
    """Fuse ``rankings`` (best first) with per-ranking ``weights``; returns (id, score), best first."""
    if len(rankings) != len(weights):
        raise ValueError(f"rrf: {len(rankings)} rankings but {len(weights)} weights; give one weight per ranking")
    if k < 0:
        raise ValueError(f"rrf: k must be >= 0, got {k}")
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[str] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:  # a duplicate counts once, at its best rank
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))
