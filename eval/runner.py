"""Running an eval set through the real chain (and the baselines) and judging every answer.

``run_eval(items, components, relevance, baselines=..., rank_k=10)`` is the core; ``evaluate(settings, ...)``
wires it to an index, the question files and the output folder (what ``citeqa eval`` calls).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.baselines import Baseline
from eval.metrics import (
    ANSWER_KEYS,
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


@dataclass
class ItemResult:
    item: EvalItem
    metrics: ItemMetrics
    answer: Any = None  # rag.types.Answer; None when the chain raised
    error: str = ""
    baselines: dict[str, ItemMetrics] = field(default_factory=dict)
    ranking: list[tuple[Span, list[int]]] = field(default_factory=list)  # scored ranking, evidence hit per rank

    def to_row(self) -> dict[str, Any]:
        """One line of results.jsonl."""
        i = self.item
        return {
            "id": i.id, "lang": i.lang, "type": i.type, "answerable": i.answerable, "question": i.question,
            "answer": self.answer.to_dict() if self.answer is not None else None,
            "metrics": self.metrics.to_dict(),
            "ranking": [{"doc": sp.doc, "char_start": sp.start, "char_end": sp.end, "evidence": hits}
                        for sp, hits in self.ranking],
            "baselines": {n: {k: v for k, v in m.to_dict().items() if k.startswith(("recall", "hit", "mrr",
                                                                                  "ndcg", "latency"))}
                          for n, m in self.baselines.items()},
            "error": self.error,
        }


@dataclass
class EvalRun:
    results: list[ItemResult]
    systems: dict[str, dict[str, Any]]  # name → breakdown; citeqa first
    notices: list[str] = field(default_factory=list)


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
    m = ItemMetrics(item.id, item.lang, item.type, item.answerable, bool(answer.refused), latency)
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
                   latency: float) -> ItemMetrics:
    m = ItemMetrics(item.id, item.lang, item.type, item.answerable, False, latency)
    if item.answerable:
        for key, value in retrieval_metrics(relevance.judge(ranking, gold), gold.n).items():
            setattr(m, key, value)
    return m


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


def run_eval(items: Sequence[EvalItem], components: Any, relevance: Relevance, *,
             baselines: Sequence[Baseline] = (), rank_k: int = 10, progress: Progress | None = None) -> EvalRun:
    """Every item through ``rag.chain.ask`` (history passed for follow-ups; latencies warm, after one untimed
    warm-up question), then through each baseline."""
    from rag.chain import ask

    results: list[ItemResult] = []
    notices: list[str] = []
    golds = {item.id: relevance.gold(item.docs, item.evidence) for item in items}
    chunk_units = by_doc(spans_of_chunks(components.store.chunks()))
    total = len(items) * (1 + len(baselines))
    done = 0
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
            results.append(result)
        if item.answerable:
            results[-1].metrics.recall_1_ceiling = ceiling(gold, chunk_units, relevance)
        done += 1
        if progress:
            progress(CITEQA, done, total)
    for baseline in baselines:
        units = by_doc(baseline.units)
        for result in results:
            item = result.item
            t0 = time.perf_counter()
            try:
                ranking = baseline.search(item.question, rank_k)
            except Exception as exc:  # a baseline that breaks scores nothing for this item; the run goes on
                notices.append(f"{baseline.name} failed on {item.id}: {type(exc).__name__}: {exc}")
                ranking = []
            m = judge_baseline(item, ranking, golds[item.id], relevance, time.perf_counter() - t0)
            if item.answerable:
                m.recall_1_ceiling = ceiling(golds[item.id], units, relevance)
            result.baselines[baseline.name] = m
            done += 1
            if progress:
                progress(baseline.name, done, total)
    systems = {CITEQA: breakdown([r.metrics for r in results])}
    for baseline in baselines:
        systems[baseline.name] = retrieval_only(breakdown([r.baselines[baseline.name] for r in results]))
    errors = [f"{r.item.id}: {r.error}" for r in results if r.error]
    return EvalRun(results, systems, notices + errors)


def retrieval_only(b: dict[str, Any]) -> dict[str, Any]:
    """A baseline's breakdown with the answer figures blanked (it neither answers, cites nor refuses)."""
    for group in [b["overall"], *b["by_lang"].values(), *b["by_type"].values()]:
        for key in ANSWER_KEYS:
            group[key] = None
    return b


def document_raws(store: Any, corpus_dir: Path) -> dict[str, str]:
    """Raw text of every indexed document, loaded exactly as ingest loaded it (chunk offsets refer to it)."""
    from ingest.load import load_document

    raws: dict[str, str] = {}
    for info in store.documents():
        path = Path(info.path) if info.path and Path(info.path).exists() else Path(corpus_dir) / info.doc
        if path.exists():
            raws[info.doc] = load_document(path).raw
    return raws


@dataclass
class EvalOutcome:
    run: EvalRun
    paths: dict[str, Path]
    problems: list[str]
    config: dict[str, Any]


def default_out_dir() -> Path:
    """``eval/out/<timestamp>`` under the working directory (git-ignored)."""
    return Path("eval") / "out" / time.strftime("%Y%m%d-%H%M%S")


def evaluate(settings: Any, questions: Sequence[Path] = (), out_dir: Path | None = None, *,
             with_baselines: bool = False, rank_k: int = 10, progress: Progress | None = None,
             limit: int | None = None) -> EvalOutcome:
    """Load the question files, make sure the index holds something, run citeqa (and the baselines) on
    every item and write metrics.json, results.jsonl, report.md and chart.png to ``out_dir``."""
    from eval.baselines import build_baselines
    from eval.report import write_outputs
    from eval.sets import check_evidence, default_eval_path, load_eval_sets
    from ingest.run import ingest_paths
    from rag.components import build_components, refresh
    from rag.index.store import ChunkStore

    files = [Path(q) for q in questions] or [default_eval_path()]
    items, problems = load_eval_sets(files)
    items = items[:limit] if limit else items
    notices: list[str] = []
    store = ChunkStore.open(settings)
    components = build_components(settings, store)
    if store.version() is None:
        report = ingest_paths(None, settings, store, components.embedder)
        refresh(components)
        notices.append(f"The index was empty: ingested {settings.corpus_dir} ({report.documents} documents, "
                       f"{report.chunks} chunks) first.")
    notices += components.notices
    relevance = Relevance(document_raws(store, settings.corpus_dir))
    problems += check_evidence(items, relevance_raws(relevance))
    baselines: list[Baseline] = []
    if with_baselines:
        baselines, skipped = build_baselines(relevance_raws(relevance), store.chunks(), store,
                                             components.retriever.embedder)
        notices += skipped + [f"{b.name}: {b.notice}" for b in baselines]
    run = run_eval(items, components, relevance, baselines=baselines, rank_k=max(rank_k, 1), progress=progress)
    first = next((r.answer for r in run.results if r.answer is not None), None)
    mode = {"retrieval": components.mode, "answerer": components.answerer.name}
    if first is not None:
        mode = {k: v for k, v in first.mode.items() if k != "notice"}
    config = {**settings.public_dict(), "mode": mode, "questions": [str(f) for f in files], "rank_k": rank_k,
              "top_k": settings.top_k, "index_version": store.version(), "documents": len(relevance.texts),
              "chunks": len(store.chunks()), "baselines": [b.name for b in baselines],
              "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
    run.notices = list(dict.fromkeys(notices + run.notices))
    problem_lines = [str(p) for p in problems]
    paths = write_outputs(out_dir or default_out_dir(), run.systems, config, [r.to_row() for r in run.results],
                          problem_lines, run.notices)
    return EvalOutcome(run, paths, problem_lines, config)


def relevance_raws(relevance: Relevance) -> dict[str, str]:
    return {doc: text.raw for doc, text in relevance.texts.items()}
