"""`citeqa eval --answerer openai` reports how faithful the model's drafts were (eval/faithfulness.py), here
against the scripted OpenAI-compatible server: every drafted sentence is invented, so all are dropped."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ingest.run import ingest_paths
from rag.index.store import ChunkStore

DEV = Path(__file__).resolve().parents[1] / "eval" / "dev.jsonl"


def test_eval_with_an_llm_writes_drafted_kept_and_dropped_per_question_and_language(settings, openai_server,
                                                                                    tmp_path):
    from ui.cli import app

    ingest_paths(None, settings, ChunkStore.open(settings), None)
    lines = [line for line in DEV.read_text(encoding="utf-8").splitlines() if '"A-dev-00' in line][:2]
    questions = tmp_path / "two.jsonl"
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    openai_server.script("这次会议非常成功，得到了所有国家的支持[1]。会议在巴黎举行[2]。")
    out = tmp_path / "out"
    env = {"CITEQA_LLM_MODEL": "scripted", "CITEQA_LLM_BASE_URL": openai_server.base_url, "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["--corpus-dir", str(settings.corpus_dir), "--index-dir", str(settings.index_dir),
                                      "--embed-model", "none", "eval", "--answerer", "openai", "--questions",
                                      str(questions), "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "Faithfulness of llm:scripted" in result.output
    data = json.loads((out / "faithfulness.json").read_text(encoding="utf-8"))
    rows = data["questions"]
    assert [r["id"] for r in rows] == ["A-dev-001", "A-dev-002"]
    assert all(r["drafted"] >= 2 and r["kept"] == 0 and r["refused"] for r in rows)
    assert data["summary"]["all"]["drop_rate"] == 1.0 and data["summary"]["all"]["unsupported_shown"] == 0
    assert set(data["summary"]) == {"en", "zh", "all"}
    extra = json.loads((out / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])["extra"]
    assert extra["faithfulness.drafted"] >= 2 and extra["faithfulness.kept"] == 0
    assert "| zh | 1 |" in (out / "faithfulness.md").read_text(encoding="utf-8")
