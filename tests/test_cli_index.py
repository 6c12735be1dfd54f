"""`citeqa ingest | chunks | docs | models pull` through the real typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rag.settings import Settings
from rag.types import Chunk
from tests.test_ingest_run import corrupt_pdf
from ui.cli import app

RUNNER = CliRunner()
ENV = {"COLUMNS": "200"}


def run(settings: Settings, *args: str):  # noqa: ANN201 - typer's Result
    base = [
        "--corpus-dir",
        str(settings.corpus_dir),
        "--index-dir",
        str(settings.index_dir),
        "--embed-model",
        settings.embed_model,
    ]
    return RUNNER.invoke(app, [*base, *args], env=ENV)


def test_ingest_prints_a_summary_and_a_second_run_says_nothing_changed(settings: Settings) -> None:
    first = run(settings, "ingest")
    assert first.exit_code == 0, first.output
    assert "Documents" in first.output and "4 (added 4" in first.output
    assert "lexical-only (BM25)" in first.output and "Embeddings are off" in first.output
    second = run(settings, "ingest")
    assert second.exit_code == 0 and "Nothing changed" in second.output


def test_ingest_exits_2_and_lists_skipped_files(settings: Settings) -> None:
    (settings.corpus_dir / "broken.pdf").write_bytes(corrupt_pdf())
    result = run(settings, "ingest")
    assert result.exit_code == 2
    assert "broken.pdf" in result.output and "corrupt" in result.output and "Skipped files" in result.output


def test_chunks_jsonl_has_every_field_and_filters_by_document(settings: Settings) -> None:
    assert run(settings, "ingest").exit_code == 0
    result = run(settings, "chunks", "--doc", "003_eee71a5fe2a8738e.txt", "--jsonl")
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert rows and {r["doc"] for r in rows} == {"003_eee71a5fe2a8738e.txt"}
    assert all(Chunk(**r).char_end > Chunk(**r).char_start for r in rows)  # every field, nothing extra
    table = run(settings, "chunks", "--doc", "003_eee71a5fe2a8738e.txt")
    assert table.exit_code == 0 and "循环经济" in table.output and rows[0]["id"] in table.output
    missing = run(settings, "chunks", "--doc", "nope.txt")
    assert missing.exit_code == 1 and "citeqa docs" in missing.output


def test_docs_lists_titles_symbols_and_chunk_counts(settings: Settings) -> None:
    assert "No documents" in run(settings, "docs").output
    assert run(settings, "ingest").exit_code == 0
    result = run(settings, "docs")
    assert result.exit_code == 0
    assert (
        "UNEP/EA.6/4" in result.output
        and "环境署 2024 年度报告" in result.output
        and "4 documents" in result.output
    )


def test_models_pull_offline_fails_with_the_reason(settings: Settings, tmp_path: Path) -> None:
    result = run(settings, "models", "pull", "BAAI/bge-m3")
    assert result.exit_code == 1 and "HF_HUB_OFFLINE" in result.output


def test_unreachable_chroma_server_is_one_clear_line(settings: Settings) -> None:
    result = RUNNER.invoke(
        app,
        [
            "--index-dir",
            str(settings.index_dir),
            "--chroma-url",
            "http://127.0.0.1:9",
            "--embed-model",
            "none",
            "docs",
        ],
        env=ENV,
    )
    assert result.exit_code == 1 and "not answering" in result.output and "Traceback" not in result.output


def test_hybrid_ingest_then_a_missing_model_refuses_to_drop_the_vectors(settings: Settings,
                                                                        tiny_model_path: Path) -> None:
    settings.embed_model = str(tiny_model_path)
    first = run(settings, "ingest")
    assert first.exit_code == 0 and "hybrid · " in first.output
    settings.embed_model = str(tiny_model_path.parent / "moved-away")
    refused = run(settings, "ingest")
    assert refused.exit_code == 1 and "--rebuild" in refused.output and "Traceback" not in refused.output
    rebuilt = run(settings, "ingest", "--rebuild")
    assert rebuilt.exit_code == 0 and "lexical-only (BM25)" in rebuilt.output
    assert "every document (--rebuild)" in rebuilt.output


def test_a_rerun_with_nothing_changed_does_not_even_import_the_model_stack(settings: Settings,
                                                                          tiny_model_path: Path) -> None:
    import os
    import subprocess
    import sys

    settings.embed_model = str(tiny_model_path)
    for extra in sorted(settings.corpus_dir.glob("*.txt"))[1:]:  # one document is enough (and embeds quicker)
        extra.unlink()
    assert run(settings, "ingest").exit_code == 0
    script = ("import sys; from ui.cli import app\n"
              "try:\n    app(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code\n"
              "print('exit', code, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    args = ["--corpus-dir", str(settings.corpus_dir), "--index-dir", str(settings.index_dir),
            "--embed-model", settings.embed_model, "ingest"]
    env = {**os.environ, "COLUMNS": "200", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env,
                          cwd=Path(__file__).resolve().parents[1], timeout=60)
    assert "Nothing changed" in done.stdout and "nothing to embed" in done.stdout, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "exit 0 False False"
