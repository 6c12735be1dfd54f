"""``citeqa bench``: how fast citeqa is on this machine, in one run.

1. Ingest of the corpus into a temporary index: lexical-only, and with the embedding model when it loads.
2. Warm query latency over the dev questions: retrieval alone and the full (extractive) answer.
3. Scale: a synthetic corpus ×N (seed documents replicated with distinct ids, lightly perturbed), each in a
   subprocess (``eval.bench_worker``) so its peak RSS is measured honestly: ingest time, index size on disk,
   query p50/p95, peak RSS — lexical-only at every scale, and hybrid (with the embedding model) at the scales
   in ``embed_scales`` when the model loads.
4. A Chroma leg with random 1024-d vectors at the same sizes: the vector store's own scaling, no model.
Nothing here touches the user's index; everything lives in a temp dir that is removed afterwards.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Say = Callable[[str], None]
PROGRESS = "progress: "  # prefix of the progress lines a worker writes to stderr


def _settings_json(settings: Any) -> dict[str, Any]:
    """The settings as plain JSON for a worker (secrets left out)."""
    return settings.model_dump(mode="json", exclude={"llm_api_key", "auth"})


def run_worker(job: dict[str, Any], say: Say | None = None) -> dict[str, Any]:
    """Run one leg in a fresh interpreter, relaying its progress lines; its result, or ``{"error": ...}``."""
    proc = subprocess.Popen([sys.executable, "-m", "eval.bench_worker", json.dumps(job)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    errors: list[str] = []
    assert proc.stderr is not None and proc.stdout is not None
    for line in proc.stderr:  # the worker's stdout holds only its final JSON line: no pipe can fill up
        if line.startswith(PROGRESS) and say:
            say("      " + line[len(PROGRESS):].strip())
        elif line.strip():
            errors.append(line.rstrip())
    lines = [ln for ln in proc.stdout.read().splitlines() if ln.strip()]
    code = proc.wait()
    if code != 0 or not lines:
        return {"scale": job.get("scale"), "error": f"worker exited {code}: {(errors or ['no output'])[-1]}"}
    return json.loads(lines[-1])


def ingest_leg(settings: Any, index_dir: Path, embedder: Any) -> dict[str, Any]:
    from ingest.run import ingest_paths
    from rag.components import dense_index
    from rag.index.store import ChunkStore

    s = settings.model_copy(update={"index_dir": index_dir})
    store = ChunkStore.open(s)
    started = time.perf_counter()
    report = ingest_paths(None, s, store, embedder)
    dense_index(s, store, embedder)  # the sentence vectors are part of a hybrid ingest
    seconds = time.perf_counter() - started
    return {"mode": report.mode, "model": getattr(embedder, "name", None), "documents": report.documents,
            "chunks": report.chunks, "seconds": seconds, "chunks_per_s": report.chunks / seconds if seconds else None}


def run_bench(settings: Any, scales: Sequence[int] = (1, 10, 100), out_dir: Path | None = None, *,
              n_questions: int | None = None, questions: Path | None = None, chroma: bool = True,
              embed_scales: Sequence[int] = (1, 10), say: Say = print) -> dict[str, Any]:
    """Measure everything; write ``bench.json`` (and ``bench.md``) to ``out_dir``; return the result."""
    from eval.bench_worker import query_latency
    from eval.sets import default_eval_path, load_eval_set
    from rag.components import build_components
    from rag.index.embed import load_embedder

    questions = Path(questions) if questions else default_eval_path()
    items = load_eval_set(questions)[0][: n_questions or None]
    out_dir = Path(out_dir) if out_dir else Path("bench-out") / time.strftime("%Y%m%d-%H%M%S")
    base = settings.model_copy(update={"answerer": "extractive"})
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "corpus_dir": str(settings.corpus_dir), "questions": len(items), "ingest": [], "scale": [], "chroma": [],
        "notices": [],
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="citeqa-bench-") as tmp:
        work = Path(tmp)
        say("[1/4] ingest ×1, lexical-only")
        lexical = base.model_copy(update={"embed_model": "none"})
        result["ingest"].append(ingest_leg(lexical, work / "lexical", None))
        status = load_embedder(base) if base.embeddings_enabled else None
        query_settings = lexical.model_copy(update={"index_dir": work / "lexical"})
        if status is not None and status.embedder is not None:
            say(f"[1/4] ingest ×1 with {status.embedder.name}")
            result["ingest"].append(ingest_leg(base, work / "dense", status.embedder))
            query_settings = base.model_copy(update={"index_dir": work / "dense"})
        else:
            result["notices"].append(status.notice if status else "Embeddings are off: ingest timed lexical-only.")
        say(f"[2/4] query latency ×1 over {len(items)} questions (warm)")
        components = build_components(query_settings)
        result["query"] = {"mode": components.mode, **query_latency(components, items)}
        seed_json = _settings_json(base)
        for n, scale in enumerate(scales, 1):
            say(f"[3/4] scale ×{scale} ({n}/{len(scales)}): synthetic corpus, ingest, queries (subprocess)")
            job = {"leg": "scale", "scale": scale, "dir": str(work / f"x{scale}"), "seed_dir": str(settings.corpus_dir),
                   "settings": seed_json, "questions": str(questions), "n_questions": n_questions}
            leg = run_worker(job, say)
            result["scale"].append(leg)
            say(f"      ×{scale}: {leg.get('chunks', '?')} chunks, ingest {leg.get('ingest_s', 0):.1f} s"
                if "error" not in leg else f"      ×{scale}: {leg['error']}")
            if query_settings.embeddings_enabled and scale in embed_scales:
                say(f"[3/4] scale ×{scale}, hybrid: ingest with {base.embed_model}, queries (subprocess)")
                hybrid = run_worker({**job, "dir": str(work / f"x{scale}-hybrid"), "embed_model": base.embed_model},
                                    say)
                result["scale"].append(hybrid)
            if chroma and "chunks" in leg:
                say(f"[4/4] chroma ×{scale}: {leg['chunks']} random 1024-d vectors (subprocess)")
                result["chroma"].append(run_worker({"leg": "chroma", "scale": scale, "vectors": leg["chunks"],
                                                    "dir": str(work / f"chroma{scale}"), "dim": 1024}))
    result["ratios"] = ratios(result)
    result["total_s"] = time.perf_counter() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "bench.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "bench.md").write_text(bench_markdown(result), encoding="utf-8")
    result["path"] = str(path)
    return result


def ratios(result: dict[str, Any]) -> dict[str, float]:
    """p95 at the largest scale over p95 at ×1, for each timed query kind."""
    out: dict[str, float] = {}
    for leg, keys in (("scale", ("retrieve_p95_ms", "answer_p95_ms")), ("chroma", ("query_p95_ms",))):
        rows = {r.get("scale"): r for r in result[leg] if "error" not in r and r.get("mode", "lexical") == "lexical"}
        if 1 not in rows or max(rows) == 1:
            continue
        top = max(rows)
        for key in keys:
            if rows[1].get(key) and rows[top].get(key) is not None:
                out[f"{leg}.{key} ×{top}/×1"] = rows[top][key] / rows[1][key]
    return out


def _f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}" if isinstance(value, float) else str(value)


SCALE_COLS = (("scale", "×", 0), ("mode", "mode", 0), ("documents", "docs", 0), ("chunks", "chunks", 0), ("ingest_s", "ingest s", 1),
              ("chunks_per_s", "chunks/s", 0), ("index_mb", "index MB", 1), ("retrieve_p50_ms", "retr p50 ms", 2),
              ("retrieve_p95_ms", "retr p95 ms", 2), ("answer_p50_ms", "answer p50 ms", 1),
              ("answer_p95_ms", "answer p95 ms", 1), ("peak_rss_mb", "peak RSS MB", 0))
CHROMA_COLS = (("scale", "×", 0), ("vectors", "vectors", 0), ("add_s", "add s", 2), ("query_p50_ms", "p50 ms", 2),
               ("query_p95_ms", "p95 ms", 2), ("disk_mb", "disk MB", 1), ("peak_rss_mb", "peak RSS MB", 0))


def _rows(result: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of each table."""
    q = result.get("query", {})
    head = [("Ingest ×1 and warm query latency", ["what", "value"], [
        *[[f"ingest ({r['mode']}{', ' + r['model'] if r.get('model') else ''})",
           f"{_f(r['seconds'], 2)} s, {r['chunks']} chunks, {_f(r['chunks_per_s'], 0)} chunks/s"]
          for r in result["ingest"]],
        [f"retrieval alone ({q.get('mode')}), p50 / p95", f"{_f(q.get('retrieve_p50_ms'), 2)} / "
                                                         f"{_f(q.get('retrieve_p95_ms'), 2)} ms"],
        ["full answer (extractive), p50 / p95", f"{_f(q.get('answer_p50_ms'))} / {_f(q.get('answer_p95_ms'))} ms"],
        ["questions", str(q.get("questions"))]])]
    tables = [("Scale (each in a subprocess)", SCALE_COLS, result["scale"]),
              ("Chroma vector search, random 1024-d vectors (no model)", CHROMA_COLS, result["chroma"])]
    for title, cols, rows in tables:
        body = [[r["error"]] if "error" in r else [_f(r.get(k), d) for k, _, d in cols] for r in rows]
        head.append((title, [c[1] for c in cols], body))
    if result.get("ratios"):
        head.append(("p95 ratios", ["query", "ratio"], [[k, f"{v:.2f}×"] for k, v in result["ratios"].items()]))
    return head


def bench_table(result: dict[str, Any]) -> Any:
    """The tables as one rich renderable."""
    from rich.console import Group
    from rich.table import Table

    out = []
    for title, header, rows in _rows(result):
        table = Table(title=title, title_justify="left")
        for h in header:
            table.add_column(h, justify="left" if h in ("what", "query", "value") else "right")
        for row in rows:
            table.add_row(*row)
        out.append(table)
    return Group(*out)


def bench_markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [f"# citeqa bench — {m['cpus']} CPUs, Python {m['python']}, {m['platform']}", ""]
    for title, header, rows in _rows(result):
        lines += [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows] + [""]
    lines += [f"> {n}" for n in result.get("notices", [])]
    return "\n".join(lines) + "\n"
