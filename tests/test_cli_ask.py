"""`citeqa ask` through the real typer app over the real corpus (lexical-only)."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from ui.cli import app

RUNNER = CliRunner()


def run(components, *args: str):  # noqa: ANN001, ANN201 - the session index and typer's Result
    s = components.settings
    base = ["--corpus-dir", str(s.corpus_dir), "--index-dir", str(s.index_dir), "--embed-model", "none"]
    return RUNNER.invoke(app, [*base, "ask", *args], env={"COLUMNS": "200"})


def test_prints_the_answer_then_each_cited_passage_with_title_section_and_paragraph(corpus_components):
    result = run(corpus_components, "“一个地球”网络目前有多少个成员组织？")
    assert result.exit_code == 0, result.output
    answer, _, rest = result.output.partition("Sources:")
    assert "5 800" in answer and "[1]" in answer
    assert "《关于加强循环经济、促进实现可持续消费和生产的第 5/11 号决议的执行进展》" in rest
    assert "UNEP/EA.6/8，第9段" in rest and "003_eee71a5fe2a8738e.txt" in rest
    assert "retrieval: lexical · answerer: extractive" in result.output


def test_json_is_the_answer_dict_with_chinese_unescaped(corpus_components):
    result = run(corpus_components, "会员国为氮问题工作组提名了多少名联络人？", "--json", "--k", "5")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"question", "language", "answer", "refused", "sentences", "passages", "retrieved", "mode",
                         "timings", "confidence", "caveat", "unanswered"}
    assert "联络人" in result.output  # ensure_ascii=False
    assert len(data["retrieved"]) == 5 and not data["refused"]
    cited = {n for s in data["sentences"] for n in s["citations"]}
    assert cited == {p["n"] for p in data["passages"]}


def test_history_file_makes_a_follow_up_answerable(corpus_components, tmp_path):
    history = tmp_path / "history.json"
    history.write_text(json.dumps([
        {"role": "user", "content": "环境署氮问题工作组的共同主席来自哪些国家？"},
        {"role": "assistant", "content": "共同主席来自印度和罗马尼亚。"}], ensure_ascii=False), encoding="utf-8")
    result = run(corpus_components, "那会员国一共为它提名了多少名联络人？", "--history", str(history), "--json")
    assert result.exit_code == 0, result.output
    assert "75" in json.loads(result.output)["answer"]


def test_bad_history_file_exits_2_and_says_what_it_must_be(corpus_components, tmp_path):
    bad = tmp_path / "history.json"
    bad.write_text('{"role": "user"}', encoding="utf-8")
    result = run(corpus_components, "问题？", "--history", str(bad))
    assert result.exit_code == 2 and "JSON list" in result.output
    missing = run(corpus_components, "问题？", "--history", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "not found" in missing.output


def test_refusal_offers_the_closest_passages(corpus_components):
    result = run(corpus_components, "COP29最终商定的新的集体量化气候融资目标具体是每年多少亿美元？")
    assert result.exit_code == 0
    assert result.output.startswith("文档中没有找到相关信息。") and "Closest passages (for checking):" in result.output
    assert "最接近的段落（列在“来源”中供核查）涉及：《" in result.output  # what they were about, in Chinese


def test_passages_in_json_carry_the_symbol_and_a_cite_in_the_questions_language(corpus_components):
    zh = json.loads(run(corpus_components, "第5/11号决议第10段请执行主任做什么？", "--json").output)
    cited = [p for p in zh["passages"] if p["doc"] == "003_eee71a5fe2a8738e.txt"]
    assert cited and cited[0]["symbol"] == "UNEP/EA.6/8"
    assert re.fullmatch(r"UNEP/EA\.6/8，第\d+段", cited[0]["cite"])
    en = json.loads(run(corpus_components, "What did the 2024 annual report say about the digital accelerator lab?",
                        "--json").output)
    assert en["language"] == "en"
    for p in en["passages"] + en["retrieved"]:
        assert p["cite"].startswith(p["symbol"] or "UNEP Annual Report") and "段" not in p["cite"]


def test_markdown_format_prints_the_answer_with_references_and_clean_quotes(corpus_components):
    result = run(corpus_components, "会员国为氮问题工作组提名了多少名联络人？", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("## 问: ") and "**参考来源**" in result.output
    assert "UNEP/EA.6/4，第4段 — 关于可持续氮管理的第 4/14 和第 5/2 号决议的执行进展" in result.output
    assert "会员国提名了超过75名联络人参加工作组。" in result.output.replace(" ", "")  # footnote mark 2 dropped
    bad = run(corpus_components, "问题？", "--format", "pdf")
    assert bad.exit_code == 2 and "text, json, markdown" in bad.output
