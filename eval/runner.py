"""Running an eval set through the real chain (and the baselines) and judging every answer.

``run_eval(items, components, relevance, baselines=..., rank_k=10)`` is the core; ``eval.harness.evaluate``
wires it to an index, the question files and the output folder (what ``citeqa eval`` calls).

Extra per-question figures (e.g. faithfulness of an LLM's answer) plug in as ``ItemScorer``s: each one sees
the item and citeqa's answer and returns a small dict that lands in the item's ``extra`` field of
results.jsonl (``extra["dropped"]`` always holds the sentences the answer dropped as unsupported).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from eval.baselines import Baseline
from eval.bootstrap import add_intervals
from eval.metrics import (
    ItemMetrics,
    breakdown,
    citation_scores,
    key_fact_recall,
    recall_at_1_ceiling,
    retrieval_metrics,
)
from eval.relevance import GoldItem, Relevance, Span
from eval.sets import EvalItem

Progress = Callable[[str, int, int], None]  # (stage, done, total)
CITEQA = "citeqa"
Extra = dict[str, float | str | list[str] | None]


class ItemScorer(Protocol):
    """A per-question figure beyond the built-in ones, computed from citeqa's answer."""

    name: str

    def score(self, item: EvalItem, answer: Any) -> Extra:
        """Figures for one answered item (keys become ``extra[<name>.<key>]`` in results.jsonl)."""
        ...


@dataclass
class BaselineResult:
    metrics: ItemMetrics
    answer: str = ""  # the sentence-rule answer
    cited: Span | None = None  # the passage it comes from


@dataclass
class ItemResult:
    item: EvalItem
    metrics: ItemMetrics
    answer: Any = None  # rag.types.Answer; None when the chain raised
    error: str = ""
    baselines: dict[str, BaselineResult] = field(default_factory=dict)
    ranking: list[tuple[Span, list[int]]] = field(default_factory=list)  # scored ranking, evidence hit per rank
    extra: Extra = field(default_factory=dict)

    def to_row(self) -> dict[str, Any]:
        """One line of results.jsonl."""
        i = self.item
        return {
            "id": i.id, "lang": i.lang, "type": i.type, "answerable": i.answerable, "question": i.question,
            "key_facts": [list(forms) for forms in i.key_facts], "source": i.source,
            "answer": self.answer.to_dict() if self.answer is not None else None,
            "metrics": self.metrics.to_dict(),
            "ranking": [{"doc": sp.doc, "char_start": sp.start, "char_end": sp.end, "evidence": hits}
                        for sp, hits in self.ranking],
            "baselines": {n: {**{k: v for k, v in b.metrics.to_dict().items() if k not in ("id", "lang", "type")},
                              "answer": b.answer,
                              "cited": None if b.cited is None else [b.cited.doc, b.cited.start, b.cited.end]}
                          for n, b in self.baselines.items()},
            "extra": self.extra,
            "error": self.error,
        }


@dataclass
class EvalRun:
    results: list[ItemResult]
    systems: dict[str, dict[str, Any]]  # name → breakdown; citeqa first
    notices: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # wall seconds: "citeqa_s", "<baseline>_s"


def spans(passages: Sequence[Any]) -> list[Span]:
    """Source spans of ``rag.types.Passage`` values."""
    return [Span(p.chunk.doc, p.chunk.char_start, p.chunk.char_end) for p in passages]


def spans_of_chunks(chunks: Sequence[Any]) -> list[Span]:
    """Source spans of ``rag.types.Chunk`` values."""
    return [Span(c.doc, c.char_start, c.char_end) for c in chunks]


def cited_passages(answer: Any) -> list[Any]:
    """The passages the answer's sentences cite (none for a refusal: its passages are only offered)."""
    if answer.refused:
        return []
    numbers = {n for s in answer.sentences for n in s.citations}
    by_n = {p.n: p for p in [*answer.retrieved, *answer.passages]}
    if numbers:
        return [by_n[n] for n in sorted(numbers) if n in by_n]
    return list(answer.passages)


def deeper_ranking(item: EvalItem, answer: Any, components: Any, rank_k: int) -> list[Any]:
    """The ranked list scored for retrieval: exactly the passages the answerer saw (its own ``top_k``), then —
    when that is shorter than ``rank_k`` — the next ones from the same retriever and the same standalone query.

    The chain hands its answerer ``settings.top_k`` passages (8 by default); the @10 metrics need 10, so the
    retriever is asked once more, untimed, for ``rank_k``. Its first ``top_k`` are the chain's (same query,
    deterministic ranking), so the scored list extends what the answerer saw instead of replacing it.
    """
    from rag.answering.question import parse_question
    from rag.chain import retrieve

    retrieved = list(answer.retrieved)
    top_k = components.settings.top_k
    if len(retrieved) < top_k or top_k >= rank_k:  # nothing retrieved, or the retriever ran out of candidates
        return retrieved[:rank_k]
    seen = {p.chunk.id for p in retrieved}
    extra = [p for p in retrieve(components, parse_question(item.question, item.history), rank_k)
             if p.chunk.id not in seen]
    return (retrieved + extra)[:rank_k]


def judge(item: EvalItem, answer: Any, gold: GoldItem, relevance: Relevance, latency: float,
          ranking: Sequence[Span]) -> ItemMetrics:
    """Per-item figures of one answer; ``ranking`` is the ranked list scored for retrieval."""
    m = ItemMetrics(item.id, item.lang, item.type, item.answerable, bool(answer.refused), latency,
                    bool(getattr(answer, "caveat", "")) and not answer.refused)
    if not item.answerable:
        return m
    for key, value in retrieval_metrics(relevance.judge(ranking, gold), gold.n).items():
        setattr(m, key, value)
    m.key_fact_recall = 0.0 if answer.refused and item.key_facts else key_fact_recall(answer.answer, item.key_facts)
    precision, recall = citation_scores(relevance.judge(spans(cited_passages(answer)), gold), gold.n)
    m.citation_precision, m.citation_recall = precision, recall
    return m


def failed(item: EvalItem, latency: float) -> ItemMetrics:
    """An item whose run raised: it scores zero everywhere and counts as refused."""
    m = ItemMetrics(item.id, item.lang, item.type, item.answerable, True, latency)
    if item.answerable:
        m.recall_1 = m.hit_1 = m.recall_5 = m.recall_10 = m.mrr_10 = m.ndcg_10 = 0.0
        m.key_fact_recall = 0.0 if item.key_facts else None
        m.citation_recall = 0.0
    return m


def judge_baseline(item: EvalItem, ranking: Sequence[Span], gold: GoldItem, relevance: Relevance,
                   latency: float, answer: str = "") -> ItemMetrics:
    """A baseline's figures: its ranking, its sentence-rule answer (never a refusal) and the one passage that
    answer comes from (its top passage; nothing cited when nothing was retrieved)."""
    m = ItemMetrics(item.id, item.lang, item.type, item.answerable, False, latency)
    if item.answerable:
        for key, value in retrieval_metrics(relevance.judge(ranking, gold), gold.n).items():
            setattr(m, key, value)
        m.key_fact_recall = key_fact_recall(answer, item.key_facts)
        m.citation_precision, m.citation_recall = citation_scores(relevance.judge(ranking[:1], gold), gold.n)
    return m


def run_baseline(baseline: Baseline, item: EvalItem, gold: GoldItem, relevance: Relevance,
                 rank_k: int) -> tuple[BaselineResult, str]:
    """One item through one baseline: (result, error text or "")."""
    from eval.naive import answer_by_sentence_rule

    t0 = time.perf_counter()
    error = ""
    try:
        ranked = baseline.rank(item.question, rank_k)
        text = answer_by_sentence_rule(item.question, [t for _, t in ranked])
    except Exception as exc:  # a baseline that breaks scores nothing for this item; the run goes on
        error = f"{baseline.name} failed on {item.id}: {type(exc).__name__}: {exc}"
        ranked, text = [], ""
    ranking = [span for span, _ in ranked]
    m = judge_baseline(item, ranking, gold, relevance, time.perf_counter() - t0, text)
    return BaselineResult(m, text, ranking[0] if ranking else None), error


def by_doc(units: Sequence[Span]) -> dict[str, list[Span]]:
    out: dict[str, list[Span]] = {}
    for unit in units:
        out.setdefault(unit.doc, []).append(unit)
    return out


def ceiling(gold: GoldItem, units: dict[str, list[Span]], relevance: Relevance) -> float:
    """recall@1_ceiling of one item over a system's retrieval units (its chunks or splits, grouped by document):
    the largest share of the item's evidence strings that one single unit covers."""
    docs = sorted({sp.doc for occurrences in gold.spans for sp in occurrences})
    return recall_at_1_ceiling((relevance.covered(u, gold) for d in docs for u in units.get(d, [])), gold.n)


def extras(item: EvalItem, answer: Any, scorers: Sequence[ItemScorer]) -> tuple[Extra, list[str]]:
    """``extra`` of one answered item: what it dropped as unsupported, then each scorer's figures."""
    out: Extra = {"dropped": list(answer.dropped)}
    errors = []
    for scorer in scorers:
        try:
            out.update({f"{scorer.name}.{k}": v for k, v in scorer.score(item, answer).items()})
        except Exception as exc:  # a broken scorer loses its figures for this item, not the run
            errors.append(f"{scorer.name} failed on {item.id}: {type(exc).__name__}: {exc}")
    return out, errors


def run_eval(items: Sequence[EvalItem], components: Any, relevance: Relevance, *,
             baselines: Sequence[Baseline] = (), rank_k: int = 10, progress: Progress | None = None,
             scorers: Sequence[ItemScorer] = ()) -> EvalRun:
    """Every item through ``rag.chain.ask`` (history passed for follow-ups; latencies warm, after one untimed
    warm-up question), then through each baseline. Every system's breakdown carries bootstrap intervals."""
    from rag.chain import ask

    results: list[ItemResult] = []
    notices: list[str] = []
    golds = {item.id: relevance.gold(item.docs, item.evidence) for item in items}
    chunk_units = by_doc(spans_of_chunks(components.store.chunks()))
    total = len(items) * (1 + len(baselines))
    done = 0
    timings: dict[str, float] = {}
    t_stage = time.perf_counter()
    if items:  # one untimed warm-up (jieba's dictionary, model first calls): latencies are warm
        try:
            ask(items[0].question, components, history=list(items[0].history))
        except Exception:  # the timed run of the same item reports the error
            pass
    for item in items:
        gold = golds[item.id]
        t0 = time.perf_counter()
        try:
            answer = ask(item.question, components, history=list(item.history))
            latency = time.perf_counter() - t0
            ranked = deeper_ranking(item, answer, components, rank_k)
        except Exception as exc:  # one failing question must not end the run
            latency = time.perf_counter() - t0
            results.append(ItemResult(item, failed(item, latency), None, f"{type(exc).__name__}: {exc}"))
        else:
            ranking = spans(ranked)
            result = ItemResult(item, judge(item, answer, gold, relevance, latency, ranking), answer)
            result.ranking = [(s, sorted(h)) for s, h in zip(ranking, relevance.judge(ranking, gold), strict=True)]
            result.extra, errors = extras(item, answer, scorers)
            notices += errors
            results.append(result)
        if item.answerable:
            results[-1].metrics.recall_1_ceiling = ceiling(gold, chunk_units, relevance)
        done += 1
        if progress:
            progress(CITEQA, done, total)
    timings[f"{CITEQA}_s"] = round(time.perf_counter() - t_stage, 2)
    for baseline in baselines:
        t_stage = time.perf_counter()
        units = by_doc(baseline.units)
        for result in results:
            item = result.item
            got, error = run_baseline(baseline, item, golds[item.id], relevance, rank_k)
            if error:
                notices.append(error)
            if item.answerable:
                got.metrics.recall_1_ceiling = ceiling(golds[item.id], units, relevance)
            result.baselines[baseline.name] = got
            done += 1
            if progress:
                progress(baseline.name, done, total)
        timings[f"{baseline.name}_s"] = round(time.perf_counter() - t_stage, 2)
    per_system = {CITEQA: [r.metrics for r in results]}
    per_system.update({b.name: [r.baselines[b.name].metrics for r in results] for b in baselines})
    systems: dict[str, dict[str, Any]] = {}
    for name, metrics in per_system.items():
        systems[name] = breakdown(metrics)
        add_intervals(systems[name], metrics)
    errors = [f"{r.item.id}: {r.error}" for r in results if r.error]
    return EvalRun(results, systems, notices + errors, timings)
