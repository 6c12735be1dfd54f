"""The benchmark at a tiny scale: it runs every leg (subprocesses included) and writes bench.json."""

from __future__ import annotations

import json
from pathlib import Path

from eval.bench import bench_markdown, run_bench
from eval.synth import make_corpus
from rag.settings import Settings


def test_bench_at_scale_one_writes_every_leg_to_bench_json(settings: Settings, tmp_path: Path):
    lines: list[str] = []
    result = run_bench(settings, [1], tmp_path / "out", n_questions=3, say=lines.append)
    data = json.loads((tmp_path / "out" / "bench.json").read_text(encoding="utf-8"))
    assert data["questions"] == 3
    assert data["ingest"][0]["mode"] == "lexical" and data["ingest"][0]["chunks"] > 100
    assert data["query"]["retrieve_p50_ms"] > 0 and data["query"]["answer_p95_ms"] >= data["query"]["answer_p50_ms"]
    scale = data["scale"][0]
    assert "error" not in scale, scale
    assert scale["documents"] == 4 and scale["chunks"] == data["ingest"][0]["chunks"]
    assert scale["peak_rss_mb"] > 50 and scale["index_mb"] > 0
    chroma = data["chroma"][0]
    assert chroma["vectors"] == scale["chunks"] and chroma["dim"] == 1024 and chroma["query_p50_ms"] > 0
    assert any("scale ×1" in line for line in lines)  # progress is reported
    assert "Scale (each in a subprocess)" in bench_markdown(result) and scale["mode"] == "lexical"


def test_synthetic_corpus_replicates_seeds_with_distinct_ids_and_changed_text(corpus_dir: Path, tmp_path: Path):
    files = make_corpus(corpus_dir, tmp_path / "x3", 3)
    seeds = sorted(p.name for p in corpus_dir.glob("*.txt"))
    assert len(files) == 3 * len(seeds) and len({f.name for f in files}) == len(files)
    assert (tmp_path / "x3" / "corpus.toml").exists()
    original = (corpus_dir / seeds[0]).read_text(encoding="utf-8")
    assert (tmp_path / "x3" / seeds[0]).read_text(encoding="utf-8") == original  # copy 0 keeps its name
    copy = (tmp_path / "x3" / seeds[0].replace(".txt", "_x001.txt")).read_text(encoding="utf-8")
    assert copy != original and copy.startswith("（合成副本")
