"""Metric maths on plain values: rankings judged by evidence index sets, answers, citations, latencies.

A ranking is a list with one entry per retrieved passage (best first): the set of gold evidence indices
that passage covers (empty = not relevant). ``n_evidence`` is the number of gold evidence strings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

METRIC_KEYS = (
    "recall@1",
    "hit@1",
    "recall@1_ceiling",
    "recall@5",
    "recall@10",
    "mrr@10",
    "ndcg@10",
    "key_fact_recall",
    "citation_precision",
    "citation_recall",
    "refusal_rate_unanswerable",
    "false_refusal_rate",
    "latency_p50_s",
    "latency_p95_s",
    "n",
)
RETRIEVAL_KEYS = ("recall@1", "hit@1", "recall@1_ceiling", "recall@5", "recall@10", "mrr@10", "ndcg@10")
ANSWER_KEYS = ("key_fact_recall", "citation_precision", "citation_recall", "refusal_rate_unanswerable",
               "false_refusal_rate")
Ranking = Sequence[set[int]]


def recall_at_k(ranking: Ranking, n_evidence: int, k: int) -> float:
    """Share of the evidence strings covered by at least one of the top ``k`` passages."""
    if n_evidence <= 0:
        return 0.0
    found: set[int] = set().union(*ranking[:k]) if ranking[:k] else set()
    return len(found) / n_evidence


def hit_at_1(ranking: Ranking) -> float:
    """1 when the rank-1 passage holds at least one evidence string, else 0."""
    return 1.0 if ranking and ranking[0] else 0.0


def recall_at_1_ceiling(units: Iterable[set[int]], n_evidence: int) -> float:
    """The best recall@1 any ranking over these units (chunks, splits) could reach: the largest share of the
    evidence strings that one single unit covers. Below 1 when the evidence lies in separate paragraphs or
    documents, so no single passage can hold all of it."""
    if n_evidence <= 0:
        return 0.0
    return max((len(hits) for hits in units), default=0) / n_evidence


def mrr_at_k(ranking: Ranking, k: int = 10) -> float:
    """1 / rank of the first passage relevant to any evidence string within the top ``k``; 0 if none."""
    for rank, hits in enumerate(ranking[:k], 1):
        if hits:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranking: Ranking, n_evidence: int, k: int = 10) -> float:
    """Binary nDCG: a passage gains 1 when it covers an evidence string no higher passage covered.

    (Two overlapping passages holding the same sentence earn it once.) The ideal ranking puts one new
    evidence string at each of the first ``min(n_evidence, k)`` ranks.
    """
    if n_evidence <= 0:
        return 0.0
    seen: set[int] = set()
    dcg = 0.0
    for rank, hits in enumerate(ranking[:k], 1):
        if hits - seen:
            dcg += 1.0 / math.log2(rank + 1)
            seen |= hits
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(n_evidence, k) + 1))
    return dcg / ideal


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0–100) with linear interpolation between order statistics (numpy's default)."""
    data = sorted(values)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


_MARKER = re.compile(r"\[\^?\d+(?:\s*[,，、]\s*\d+)*\]|【\d+(?:\s*[,，、]\s*\d+)*】")


def normalize(text: str) -> str:
    """Case- and whitespace-insensitive form used for key-fact matching."""
    return "".join(text.split()).casefold()


def key_fact_hits(answer: str, key_facts: Sequence[Sequence[str]]) -> list[bool]:
    """For each fact: does any of its surface forms occur in the answer (citation markers removed)?"""
    text = normalize(_MARKER.sub(" ", answer))
    return [any(normalize(form) and normalize(form) in text for form in forms) for forms in key_facts]


def key_fact_recall(answer: str, key_facts: Sequence[Sequence[str]]) -> float | None:
    hits = key_fact_hits(answer, key_facts)
    return sum(hits) / len(hits) if hits else None


def citation_scores(cited: Ranking, n_evidence: int) -> tuple[float | None, float]:
    """(precision, recall) of the cited passages: precision is None when nothing is cited."""
    precision = sum(1 for hits in cited if hits) / len(cited) if cited else None
    recall = recall_at_k(cited, n_evidence, len(cited)) if cited else 0.0
    return precision, recall


@dataclass
class ItemMetrics:
    """Per-item figures; ``None`` where a figure does not apply (e.g. retrieval of an unanswerable item)."""

    id: str
    lang: str
    type: str
    answerable: bool
    refused: bool
    latency_s: float
    caveated: bool = False  # answered, with a caveat that the quotes miss what was asked (``Answer.caveat``)
    recall_1: float | None = None
    hit_1: float | None = None
    recall_1_ceiling: float | None = None
    recall_5: float | None = None
    recall_10: float | None = None
    mrr_10: float | None = None
    ndcg_10: float | None = None
    key_fact_recall: float | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def retrieval_metrics(ranking: Ranking, n_evidence: int) -> dict[str, float]:
    return {
        "recall_1": recall_at_k(ranking, n_evidence, 1),
        "hit_1": hit_at_1(ranking),
        "recall_5": recall_at_k(ranking, n_evidence, 5),
        "recall_10": recall_at_k(ranking, n_evidence, 10),
        "mrr_10": mrr_at_k(ranking, 10),
        "ndcg_10": ndcg_at_k(ranking, n_evidence, 10),
    }


def _mean(values: Iterable[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return sum(got) / len(got) if got else None


def aggregate(items: Sequence[ItemMetrics]) -> dict[str, float | int | None]:
    """The figures of one group. Averages skip items where a figure does not apply; null when none do."""
    answerable = [m for m in items if m.answerable]
    unanswerable = [m for m in items if not m.answerable]
    latencies = [m.latency_s for m in items]
    return {
        "recall@1": _mean(m.recall_1 for m in answerable),
        "hit@1": _mean(m.hit_1 for m in answerable),
        "recall@1_ceiling": _mean(m.recall_1_ceiling for m in answerable),
        "recall@5": _mean(m.recall_5 for m in answerable),
        "recall@10": _mean(m.recall_10 for m in answerable),
        "mrr@10": _mean(m.mrr_10 for m in answerable),
        "ndcg@10": _mean(m.ndcg_10 for m in answerable),
        "key_fact_recall": _mean(m.key_fact_recall for m in answerable),
        "citation_precision": _mean(m.citation_precision for m in answerable),
        "citation_recall": _mean(m.citation_recall for m in answerable),
        "refusal_rate_unanswerable": _mean(float(m.refused) for m in unanswerable),
        "false_refusal_rate": _mean(float(m.refused) for m in answerable),
        # a caveated answer says the documents lack what was asked: for an unanswerable item, the honest
        # alternative to a refusal; on answerable items, how often the caveat is shown
        "refused_or_caveated_unanswerable": _mean(float(m.refused or m.caveated) for m in unanswerable),
        "caveat_rate_answerable": _mean(float(m.caveated) for m in answerable),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "n": len(items),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
    }


def breakdown(items: Sequence[ItemMetrics], langs: Sequence[str] = ("zh", "en")) -> dict[str, object]:
    """``{"overall", "by_lang", "by_type"}``: every figure for all items, per language and per type."""
    types = sorted({m.type for m in items})
    extra_langs = sorted({m.lang for m in items} - set(langs))
    return {
        "overall": aggregate(items),
        "by_lang": {lang: aggregate([m for m in items if m.lang == lang]) for lang in (*langs, *extra_langs)},
        "by_type": {t: aggregate([m for m in items if m.type == t]) for t in types},
    }
