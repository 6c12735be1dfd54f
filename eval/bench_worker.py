"""One benchmark leg in its own process, so its peak RSS is its own: ``python -m eval.bench_worker JSON``.

Legs: ``scale`` (make a ×N corpus, ingest it lexical-only or with the job's ``embed_model``, time retrieval
and full answers) and ``chroma``
(random 1024-d vectors into a fresh Chroma collection, time the add and k=10 queries). The result is
printed as one JSON line (the last line of stdout).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eval.metrics import percentile
from eval.synth import dir_size, make_corpus

REPEAT = 3  # timed rounds over the questions: sub-millisecond figures need more than 44 samples


def peak_rss_mb() -> float:
    """This process's own peak resident set size in MiB.

    Linux: ``VmHWM`` of /proc/self/status, the high-water mark of this process image. Not ``ru_maxrss``: exec
    carries the forking parent's high-water mark into it, so a small worker would report the parent's size.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux, bytes on macOS


def report(message: str) -> None:
    """A progress line for the parent (``eval.bench`` relays lines with this prefix)."""
    sys.stderr.write(f"progress: {message}\n")
    sys.stderr.flush()


def ingest_progress(scale: int) -> Callable[[str, int, int], None]:
    """Ingest progress as about five lines per stage."""
    shown: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        step = max(1, total // 5)
        if done == total or done // step > shown.get(stage, -1):
            shown[stage] = done // step
            report(f"×{scale} {'reading' if stage == 'load' else 'indexing'} {done}/{total}")

    return progress


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def latencies_ms(calls: Sequence[Callable[[], Any]], warm: bool = True, repeat: int = 1) -> dict[str, float | None]:
    """p50 / p95 in milliseconds over ``repeat`` rounds of the calls (one untimed round first when ``warm``)."""
    if warm:
        for call in calls:
            call()
    times = [timed(call) * 1000 for _ in range(repeat) for call in calls]
    return {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "n": len(times)}


def query_latency(components: Any, items: Sequence[Any]) -> dict[str, Any]:
    """Warm latency over the questions (``REPEAT`` timed rounds): retrieval alone (top_k passages) and the
    full answer. The embedder's recent-query cache is emptied before each call, so a repeated question's
    embedding is timed, not remembered."""
    from rag.chain import ask
    from rag.lang import detect_language

    k = components.settings.top_k
    forget = getattr(components.embedder, "forget_queries", None) or (lambda: None)
    retrieve = [lambda q=i.question: (forget(), components.retriever.retrieve(q, k, detect_language(q)))
                for i in items]
    answer = [lambda i=i: (forget(), ask(i.question, components, history=list(i.history))) for i in items]
    r, a = latencies_ms(retrieve, repeat=REPEAT), latencies_ms(answer, repeat=REPEAT)
    return {"retrieve_p50_ms": r["p50_ms"], "retrieve_p95_ms": r["p95_ms"], "answer_p50_ms": a["p50_ms"],
            "answer_p95_ms": a["p95_ms"], "questions": len(items), "timed_calls": r["n"]}


def scale_leg(job: dict[str, Any]) -> dict[str, Any]:
    from eval.sets import load_eval_set
    from ingest.run import ingest_paths
    from rag.components import build_components
    from rag.index.store import ChunkStore
    from rag.settings import Settings

    work = Path(job["dir"])
    corpus = work / "corpus"
    t = time.perf_counter()
    files = make_corpus(Path(job["seed_dir"]), corpus, int(job["scale"]))
    make_s = time.perf_counter() - t
    settings = Settings(**{**job["settings"], "corpus_dir": corpus, "index_dir": work / "index",
                           "embed_model": job.get("embed_model", "none"), "answerer": "extractive"})
    store = ChunkStore.open(settings)
    embedder = None
    if settings.embeddings_enabled:
        from rag.index.embed import load_embedder

        embedder = load_embedder(settings).embedder
        if embedder is None:
            raise RuntimeError(f"the embedding model '{settings.embed_model}' did not load")
    report(f"×{job['scale']}: {len(files)} documents written in {make_s:.1f} s; ingesting")
    started = time.perf_counter()
    ingested = ingest_paths(None, settings, store, embedder, progress=ingest_progress(int(job["scale"])))
    if embedder is not None:
        from rag.components import dense_index

        dense_index(settings, store, embedder)  # the sentence vectors are part of a hybrid ingest
    ingest_s = time.perf_counter() - started
    report(f"×{job['scale']}: ingested in {ingest_s:.1f} s; timing queries")
    components = build_components(settings, store)
    items = load_eval_set(job["questions"])[0][: job.get("n_questions") or None]
    out = {"scale": job["scale"], "mode": components.mode, "documents": ingested.documents, "chunks": ingested.chunks,
           "bytes": sum(f.stat().st_size for f in files), "make_corpus_s": make_s, "ingest_s": ingest_s,
           "chunks_per_s": ingested.chunks / ingest_s if ingest_s else None,
           "index_mb": dir_size(work / "index") / 2**20, **query_latency(components, items)}
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def chroma_leg(job: dict[str, Any]) -> dict[str, Any]:
    import chromadb
    import numpy as np
    from chromadb.config import Settings as ChromaSettings

    n, dim = int(job["vectors"]), int(job.get("dim", 1024))
    path = Path(job["dir"]) / "chroma"
    client = chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    col = client.create_collection("bench", embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    step = int(client.get_max_batch_size())
    t = time.perf_counter()
    for s in range(0, n, step):
        part = vectors[s:s + step]
        col.add(ids=[str(i) for i in range(s, s + len(part))], embeddings=part)
    add_s = time.perf_counter() - t
    queries = rng.standard_normal((int(job.get("queries", 50)), dim), dtype=np.float32)
    calls = [lambda q=q: col.query(query_embeddings=[q], n_results=min(10, n)) for q in queries]
    lat = latencies_ms(calls)
    return {"scale": job["scale"], "vectors": n, "dim": dim, "add_s": add_s,
            "vectors_per_s": n / add_s if add_s else None, "query_p50_ms": lat["p50_ms"],
            "query_p95_ms": lat["p95_ms"], "disk_mb": dir_size(path) / 2**20, "peak_rss_mb": peak_rss_mb()}


def main(argv: Sequence[str]) -> int:
    job = json.loads(argv[0])
    result = scale_leg(job) if job["leg"] == "scale" else chroma_leg(job)
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
