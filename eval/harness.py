"""``evaluate(settings, ...)``: what ``citeqa eval`` runs — the question files (or a shipped benchmark), an index
that holds their corpus, citeqa and the baselines on every item, and the output folder (metrics.json,
results.jsonl, report.md, chart.png, risk_coverage.png)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.runner import EvalRun, ItemScorer, Progress, run_eval
from rag.components import Components
from rag.index.store import ChunkStore
from rag.settings import Settings


@dataclass
class EvalOutcome:
    run: EvalRun
    paths: dict[str, Path]
    problems: list[str]
    config: dict[str, Any]


def default_out_dir() -> Path:
    """``eval/out/<timestamp>`` under the working directory (git-ignored)."""
    return Path("eval") / "out" / time.strftime("%Y%m%d-%H%M%S")


def document_raws(store: ChunkStore, corpus_dir: Path) -> dict[str, str]:
    """Raw text of every indexed document, loaded exactly as ingest loaded it (chunk offsets refer to it)."""
    from ingest.load import load_document

    raws: dict[str, str] = {}
    for info in store.documents():
        path = Path(info.path) if info.path and Path(info.path).exists() else Path(corpus_dir) / info.doc
        if path.exists():
            raws[info.doc] = load_document(path).raw
    return raws


def _index(settings: Settings, store: ChunkStore, components: Components, always: bool) -> list[str]:
    """Make sure the index holds the corpus: ingest when it is empty, or — for a benchmark's own index — every
    time, incrementally (unchanged documents are reused, nothing re-embedded)."""
    from ingest.run import ingest_paths
    from rag.components import refresh

    if not always and store.version() is not None:
        return []
    empty = store.version() is None
    report = ingest_paths(None, settings, store, components.embedder)
    refresh(components)
    if empty:
        return [f"The index was empty: ingested {settings.corpus_dir} ({report.documents} documents, "
                f"{report.chunks} chunks) first, into {settings.index_dir} ({report.seconds:.1f} s)."]
    state = "updated" if report.changed else "up to date, reused"
    return [f"Index {settings.index_dir}: {state} ({report.documents} documents, {report.chunks} chunks, "
            f"{report.seconds:.1f} s)."]


def evaluate(settings: Settings, questions: Sequence[Path] = (), out_dir: Path | None = None, *,
             with_baselines: bool = False, rank_k: int = 10, progress: Progress | None = None,
             limit: int | None = None, lang: str | None = None, benchmark: str | None = None,
             declared_tuned: bool = False, scorers: Sequence[ItemScorer] = (),
             unrelated_first: bool = False) -> EvalOutcome:
    """Load the question files (or the benchmark's), make sure the index holds their corpus, run citeqa (and the
    baselines) on every item and write the outputs to ``out_dir``. ``lang`` keeps one language's questions;
    ``unrelated_first`` asks each after an unrelated question (``eval.sets.after_unrelated``)."""
    from eval.baselines import Baseline, build_baselines
    from eval.benchmarks import benchmark as get_benchmark
    from eval.benchmarks import benchmark_settings
    from eval.provenance import code_version, set_info
    from eval.relevance import Relevance
    from eval.report import write_outputs
    from eval.sets import after_unrelated, check_evidence, default_eval_path, load_eval_sets
    from rag.components import build_components

    started = time.perf_counter()
    version = code_version()  # the code that runs: taken before the run, a checkout meanwhile does not change it
    bench = get_benchmark(benchmark) if benchmark else None
    if bench is not None:
        settings = benchmark_settings(settings, bench)
        files = bench.question_files(lang)
    else:
        files = [Path(q) for q in questions] or [default_eval_path()]
    items, problems = load_eval_sets(files)
    items = [i for i in items if lang is None or i.lang == lang]
    items = items[:limit] if limit else items
    items = after_unrelated(items) if unrelated_first else items
    store = ChunkStore.open(settings)
    components = build_components(settings, store)
    notices = _index(settings, store, components, always=bench is not None)
    notices += components.notices
    relevance = Relevance(document_raws(store, settings.corpus_dir))
    raws = {doc: text.raw for doc, text in relevance.texts.items()}
    problems += check_evidence(items, raws)
    baselines: list[Baseline] = []
    if with_baselines:
        baselines, skipped = build_baselines(raws, store.chunks(), store, components.retriever.embedder)
        notices += skipped + [f"{b.name}: {b.notice}" for b in baselines]
    setup_s = time.perf_counter() - started
    run = run_eval(items, components, relevance, baselines=baselines, rank_k=max(rank_k, 1), progress=progress,
                   scorers=scorers)
    first = next((r.answer for r in run.results if r.answer is not None), None)
    mode = {"retrieval": components.mode, "answerer": components.answerer.name}
    if first is not None:
        mode = {k: v for k, v in first.mode.items() if k != "notice"}
    per_file = Counter(i.source for i in items)
    embedder = components.retriever.embedder
    config = {**settings.public_dict(), "mode": mode, "questions": [str(f) for f in files], "rank_k": rank_k,
              "top_k": settings.top_k, "index_version": store.version(), "documents": len(relevance.texts),
              "chunks": len(store.chunks()), "baselines": [b.name for b in baselines],
              "benchmark": bench.name if bench else None, "lang": lang, "after_unrelated": unrelated_first,
              "sets": [set_info(f, per_file.get(str(f), 0), declared_tuned).to_dict() for f in files],
              "embedding_model": embedder.name if embedder is not None else "none (lexical-only)",
              "code_version": version,
              "timings": {"setup_s": round(setup_s, 2), **run.timings,
                          "total_s": round(time.perf_counter() - started, 2)},
              "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
    run.notices = list(dict.fromkeys(notices + run.notices))
    problem_lines = [str(p) for p in problems]
    paths = write_outputs(out_dir or default_out_dir(), run.systems, config, [r.to_row() for r in run.results],
                          problem_lines, run.notices)
    config["timings"]["total_s"] = round(time.perf_counter() - started, 2)
    return EvalOutcome(run, paths, problem_lines, config)
