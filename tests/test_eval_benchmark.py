"""The shipped XQuAD benchmark end to end (lexical-only, real chain, its own index beside the main one), and an
independent recount of key-fact recall from results.jsonl against metrics.json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.harness import EvalOutcome, evaluate
from rag.settings import Settings

XQUAD = Path(__file__).resolve().parents[1] / "eval" / "xquad"


def recount(out: Path, question_files: list[Path]) -> dict[str, float]:
    """Key-fact recall per language, recomputed from results.jsonl and the question files with code of its own:
    a refused answerable item scores 0; a fact counts when one of its forms occurs in the answer text once
    citation markers, whitespace and case are gone."""
    facts = {}
    for path in question_files:
        for line in path.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            facts[obj["id"]] = [[f] if isinstance(f, str) else f for f in obj.get("key_facts") or []]
    per_lang: dict[str, list[float]] = {}
    for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not row["answerable"] or not facts[row["id"]]:
            continue
        answer = row["answer"] or {"refused": True, "answer": ""}
        text = re.sub(r"\s+", "", re.sub(r"\[\^?\d+(?:[,，、]\s*\d+)*\]|【\d+(?:[,，、]\d+)*】", "", answer["answer"]))
        text = text.lower()
        got = 0.0 if answer["refused"] else sum(
            any(re.sub(r"\s+", "", form).lower() in text for form in forms) for forms in facts[row["id"]]
        ) / len(facts[row["id"]])
        per_lang.setdefault(row["lang"], []).append(got)
    return {lang: sum(v) / len(v) for lang, v in per_lang.items()}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("bench")
    return Settings(index_dir=root / "index", embed_model="none", feedback_path=root / "fb.jsonl")


@pytest.fixture(scope="module")
def zh_run(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[EvalOutcome, Path]:
    out = tmp_path_factory.mktemp("out-zh")
    return evaluate(settings, out_dir=out, benchmark="xquad", lang="zh", limit=40, with_baselines=True), out


def test_xquad_runs_from_the_package_in_its_own_index_with_every_artefact(zh_run, settings: Settings):
    outcome, out = zh_run
    assert (settings.index_dir / "bench-xquad").is_dir()
    assert not (settings.index_dir / "chroma").exists()  # the main index is left alone
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["overall"]["n"] == 40 and set(metrics["by_lang"]["zh"]["ci95"]) >= {"key_fact_recall"}
    assert metrics["config"]["benchmark"] == "xquad" and metrics["config"]["corpus_dir"].endswith("xquad/corpus")
    assert [s["tuned"] for s in metrics["config"]["sets"]] == [True]
    assert metrics["config"]["code_version"]
    points = metrics["risk_coverage"]["zh"]
    assert points and all(set(p) == {"threshold", "coverage", "accuracy"} for p in points)
    # the operating point is the run as it was: coverage = 1 - false refusals
    assert points[-1]["coverage"] == pytest.approx(1 - metrics["by_lang"]["zh"]["false_refusal_rate"])
    naive = metrics["baselines"]["naive"]["by_lang"]["zh"]
    assert naive["false_refusal_rate"] == 0.0 and naive["recall@5"] > 0.5 and naive["key_fact_recall"] > 0.2
    for name in ("naive", "jieba-bm25", "langchain-bm25"):
        assert {"key_fact_recall", "false_refusal_rate", "recall@1", "recall@5", "recall@10"} <= set(
            metrics["baselines"][name]["overall"])
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "XQuAD dev (zh)" in report and "**yes**" in report and "citeqa ÷ it" in report
    assert (out / "risk_coverage.png").read_bytes()[:4] == b"\x89PNG"
    assert outcome.problems == []


def test_key_fact_recall_agrees_with_an_independent_recount(zh_run):
    outcome, out = zh_run
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    counted = recount(out, [XQUAD / "dev.zh.jsonl"])
    assert counted["zh"] == pytest.approx(metrics["by_lang"]["zh"]["key_fact_recall"], abs=0.02)


def test_cli_benchmark_in_english_reuses_the_benchmark_index(zh_run, settings: Settings, tmp_path: Path):
    from ui.cli import app

    out = tmp_path / "out-en"
    result = CliRunner().invoke(app, ["--index-dir", str(settings.index_dir), "--embed-model", "none", "eval",
                                      "--benchmark", "xquad", "--lang", "en", "--limit", "12", "--out", str(out)])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "up to date, reused" in flat
    assert "en (n=12): key facts" in flat and "citeqa ÷ naive" in flat and "noise" in flat
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["overall"]["n"] == 12 and set(metrics["by_lang"]) >= {"en"} and metrics["by_lang"]["en"]["n"] == 12
    assert "naive" in metrics["baselines"]  # baselines run by default
    counted = recount(out, [XQUAD / "dev.en.jsonl"])
    assert counted["en"] == pytest.approx(metrics["by_lang"]["en"]["key_fact_recall"], abs=0.02)


def test_cli_benchmark_asked_after_unrelated_questions_says_so_in_its_report(zh_run, settings: Settings, tmp_path: Path):
    from ui.cli import app

    out = tmp_path / "out-unrelated"
    result = CliRunner().invoke(app, ["--index-dir", str(settings.index_dir), "--embed-model", "none", "eval",
                                      "--benchmark", "xquad", "--lang", "zh", "--limit", "6", "--after-unrelated",
                                      "--no-baselines", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "each asked after an unrelated question" in (out / "report.md").read_text(encoding="utf-8")
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["overall"]["n"] == 6 and metrics["config"]["after_unrelated"] is True


def test_unknown_benchmark_is_a_clear_error_naming_the_choices(settings: Settings):
    from ui.cli import app

    result = CliRunner().invoke(app, ["--index-dir", str(settings.index_dir), "eval", "--benchmark", "squad2"])
    assert result.exit_code == 1 and "xquad" in result.output


def test_a_users_own_corpus_and_questions_are_evaluated_through_the_environment_and_reported_held_out(
        tmp_path: Path):
    from ui.cli import app

    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "lakes.txt").write_text("# 湖泊\n\n青海湖是中国最大的咸水湖，面积约 4400 平方公里。\n\n"
                                      "洞庭湖位于湖南省北部，是中国第二大淡水湖。\n", encoding="utf-8")
    (corpus / "rivers.txt").write_text("# 河流\n\n长江全长约 6300 公里，是亚洲最长的河流。\n\n"
                                       "黄河发源于青海省巴颜喀拉山脉。\n", encoding="utf-8")
    rows = [
        {"id": "u1", "lang": "zh", "question": "青海湖的面积是多少？", "answerable": True, "type": "number",
         "doc": "lakes.txt", "evidence": ["青海湖是中国最大的咸水湖，面积约 4400 平方公里。"], "key_facts": [["4400"]]},
        {"id": "u2", "lang": "zh", "question": "长江全长多少公里？", "answerable": True, "type": "number",
         "doc": "rivers.txt", "evidence": ["长江全长约 6300 公里"], "key_facts": [["6300"]]},
        {"id": "u3", "lang": "zh", "question": "珠穆朗玛峰有多高？", "answerable": False, "type": "unanswerable"},
    ]
    questions = tmp_path / "mine.jsonl"
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    env = {"CITEQA_CORPUS_DIR": str(corpus), "CITEQA_INDEX_DIR": str(tmp_path / "idx"), "CITEQA_EMBED_MODEL": "none"}
    result = CliRunner().invoke(app, ["eval", "--questions", str(questions), "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["config"]["corpus_dir"] == str(corpus) and metrics["config"]["documents"] == 2
    assert metrics["config"]["sets"] == [{"path": str(questions), "name": "mine.jsonl", "questions": 3,
                                          "tuned": False, "role": metrics["config"]["sets"][0]["role"]}]
    assert metrics["overall"]["n"] == 3 and "naive" in metrics["baselines"]
    assert metrics["baselines"]["naive"]["overall"]["key_fact_recall"] == 1.0  # both answers sit in one sentence
    assert recount(out, [questions])["zh"] == pytest.approx(metrics["by_lang"]["zh"]["key_fact_recall"], abs=0.02)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| mine.jsonl |" in report and "no — not used to train or calibrate anything" in report
    assert (tmp_path / "idx" / "chroma").is_dir()  # the index the environment names was filled
