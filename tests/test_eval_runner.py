"""The eval runner end to end: real chain (lexical-only, tmp index), real relevance, files written and parsed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.harness import document_raws, evaluate
from eval.metrics import METRIC_KEYS
from eval.relevance import Relevance
from eval.runner import run_eval
from eval.sets import load_eval_set
from ingest.run import ingest_paths
from rag.components import build_components
from rag.index.store import ChunkStore
from rag.settings import Settings

DEV = Path(__file__).resolve().parents[1] / "eval" / "dev.jsonl"
PICK = ("A-dev-001", "A-dev-009", "A-dev-021", "B-dev-012")  # zh fact, zh follow-up, zh unanswerable, en list


def subset(dest: Path, bad_line: str | None = None) -> Path:
    lines = [ln for ln in DEV.read_text(encoding="utf-8").splitlines() if json.loads(ln)["id"] in PICK]
    if bad_line is not None:
        lines.insert(1, bad_line)
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The shipped corpus ingested lexical-only once for this module (tests only read it)."""
    root = tmp_path_factory.mktemp("eval-index")
    settings = Settings(corpus_dir=Path(__file__).resolve().parents[1] / "corpus", index_dir=root / "index",
                        embed_model="none", feedback_path=root / "feedback.jsonl",
                        llm_api_key="sk-do-not-write-me")
    ingest_paths(None, settings, ChunkStore.open(settings), None)
    return settings


def test_eval_writes_parseable_reports_with_every_figure_and_masked_secrets(indexed: Settings, tmp_path: Path):
    out = tmp_path / "out"
    outcome = evaluate(indexed, [subset(tmp_path / "four.jsonl")], out, with_baselines=True)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    for group in (metrics["overall"], metrics["by_lang"]["zh"], metrics["by_lang"]["en"]):
        assert set(METRIC_KEYS) <= set(group)
    assert metrics["overall"]["n"] == 4 and metrics["by_lang"]["zh"]["n"] == 3
    assert set(metrics["by_type"]) == {"fact", "followup", "unanswerable", "list"}
    for name, b in metrics["baselines"].items():  # hit@1 and the R@1 ceiling in every group of every system
        for group in (b["overall"], *b["by_lang"].values(), *b["by_type"].values()):
            assert {"hit@1", "recall@1_ceiling"} <= set(group), name
    assert metrics["config"]["mode"]["retrieval"] == "lexical"
    assert metrics["config"]["llm_api_key"] == "***"
    assert "sk-do-not-write-me" not in (out / "metrics.json").read_text(encoding="utf-8")
    # the Chinese fact question: its evidence paragraph is retrieved and cited
    rows = [json.loads(ln) for ln in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == sorted(PICK)
    first = next(r for r in rows if r["id"] == "A-dev-001")
    assert first["metrics"]["recall_10"] == 1.0 and first["answer"]["refused"] is False
    assert first["answer"]["retrieved"] and len(first["ranking"]) == 10
    assert any(rank["evidence"] == [0] for rank in first["ranking"])
    assert first["metrics"]["recall_1_ceiling"] == 1.0  # one evidence string, inside one chunk
    assert first["metrics"]["hit_1"] == (1.0 if first["ranking"][0]["evidence"] else 0.0)
    assert "recall_1_ceiling" in first["baselines"]["langchain-bm25"]
    unanswerable = next(r for r in rows if r["id"] == "A-dev-021")
    assert unanswerable["metrics"]["recall_10"] is None
    # baselines beside citeqa: the whitespace-token pipeline finds nothing for Chinese questions; every baseline
    # answers (sentence rule) and never refuses
    assert set(metrics["baselines"]) == {"naive", "langchain-bm25", "jieba-bm25"}
    assert metrics["baselines"]["langchain-bm25"]["by_lang"]["zh"]["recall@10"] == 0.0
    for name, b in metrics["baselines"].items():
        assert b["overall"]["key_fact_recall"] is not None and b["overall"]["false_refusal_rate"] == 0.0, name
        assert set(b["overall"]["ci95"]) >= {"key_fact_recall", "recall@5"}, name
    assert first["baselines"]["naive"]["answer"] and first["baselines"]["naive"]["refused"] is False
    assert metrics["risk_coverage"]["zh"] and metrics["overall"]["ci95"]["key_fact_recall"]
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Headline" in report and "langchain-bm25" in report and "citeqa ÷ it" in report
    assert "| hit@1 | R@1 max |" in report and "recall@1_ceiling" in report and "noise" in report
    assert "## Failure browser" in report
    for png in ("chart.png", "risk_coverage.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert outcome.problems == []


def test_bad_eval_line_is_reported_with_its_line_number_and_the_rest_runs(indexed: Settings, tmp_path: Path):
    from ui.cli import app

    path = subset(tmp_path / "bad.jsonl", bad_line='{"id": "broken", "lang": "zh"}')
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["--corpus-dir", str(indexed.corpus_dir), "--index-dir", str(indexed.index_dir),
                                      "--embed-model", "none", "eval", "--questions", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{path}:2: skipped" in result.output and "missing field" in result.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["overall"]["n"] == 4
    assert any(p.startswith(f"{path}:2") for p in metrics["problems"])
    assert "Problems in the question files" in (out / "report.md").read_text(encoding="utf-8")


def test_ranking_is_scored_to_ten_while_the_answerer_sees_its_own_top_k(indexed: Settings, tmp_path: Path):
    settings = indexed.model_copy(update={"top_k": 3})
    components = build_components(settings)
    items = [i for i in load_eval_set(DEV)[0] if i.id == "A-dev-001"]
    relevance = Relevance(document_raws(components.store, settings.corpus_dir))
    run = run_eval(items, components, relevance, rank_k=10)
    result = run.results[0]
    assert len(result.answer.retrieved) == 3
    assert len(result.ranking) == 10
    seen = [(p.chunk.doc, p.chunk.char_start) for p in result.answer.retrieved]
    assert [(s.doc, s.start) for s, _ in result.ranking[:3]] == seen


def test_dense_baseline_runs_when_an_embedding_model_is_loaded(tmp_path: Path, corpus_dir: Path,
                                                               tiny_model_path: Path):
    for name in ("001_6cfd863ef6650e26.txt", "003_eee71a5fe2a8738e.txt"):  # not needed by the subset: less to embed
        (corpus_dir / name).unlink()
    settings = Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index", embed_model=str(tiny_model_path),
                        feedback_path=tmp_path / "fb.jsonl")
    outcome = evaluate(settings, [subset(tmp_path / "four.jsonl")], tmp_path / "out", with_baselines=True)
    assert "dense" in outcome.run.systems
    assert outcome.config["mode"]["retrieval"] == "hybrid"
    assert any("ingested" in n for n in outcome.run.notices)  # the empty index was filled first
    assert outcome.run.systems["dense"]["overall"]["n"] == 4
    assert outcome.run.systems["dense"]["overall"]["key_fact_recall"] is not None  # it answers, too


def test_evidence_missing_from_its_document_is_reported_as_a_problem_and_the_item_still_runs(indexed: Settings,
                                                                                           tmp_path: Path):
    item = {"id": "m1", "lang": "zh", "question": "第三次会议在哪里举行？", "answerable": True, "type": "multi_para",
            "doc": "000_7b030ac21b7d218f.txt", "evidence": ["在布加勒斯特以混合形式举行", "这句话不在文件里"],
            "key_facts": [["布加勒斯特"]]}
    path = tmp_path / "missing.jsonl"
    path.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    outcome = evaluate(indexed, [path], tmp_path / "out")
    assert len(outcome.problems) == 1
    assert outcome.problems[0].startswith(f"{path}:1: warning: m1: evidence[2] not found")
    m = outcome.run.results[0].metrics
    assert m.recall_1_ceiling == 0.5 and m.recall_10 <= 0.5  # the missing string can never be retrieved

