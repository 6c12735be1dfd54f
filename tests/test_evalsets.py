"""Eval-set loading: the shipped dev set is valid; bad lines are reported with their line number."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from eval.sets import (
    TYPES,
    EvalItem,
    after_unrelated,
    check_evidence,
    check_files,
    default_eval_path,
    load_eval_set,
    load_eval_sets,
    shipped_eval_path,
)
from rag.types import Turn


def test_shipped_dev_set_loads_without_problems():
    items, problems = load_eval_set(default_eval_path())
    assert problems == []
    assert len(items) == 44
    assert {i.lang for i in items} == {"zh", "en"}
    followups = [i for i in items if i.type == "followup"]
    assert followups and all(i.history and i.history[0].role == "user" for i in followups)
    cross = [i for i in items if i.type == "cross_doc"]
    assert all(len(i.docs) == 2 for i in cross)
    assert sum(not i.answerable for i in items) == 4


def test_bad_lines_are_reported_with_line_numbers_and_good_lines_still_load(tmp_path: Path):
    good = {
        "id": "g1",
        "lang": "en",
        "question": "Where?",
        "answerable": True,
        "type": "fact",
        "doc": "000_7b030ac21b7d218f.txt",
        "evidence": ["布加勒斯特"],
        "key_facts": [["Bucharest"]],
    }
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "id": "g2", "lang": "fr"}),
        "",
        json.dumps({**good, "id": "g3", "answerable": True, "evidence": []}),
        json.dumps({**good, "id": "g1"}),
        json.dumps({**good, "id": "g4", "colour": "blue"}),
        json.dumps([1, 2]),
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items, problems = load_eval_set(path)
    assert [i.id for i in items] == ["g1", "g4"]
    by_line = {p.line: p for p in problems}
    assert "invalid JSON" in by_line[2].message
    assert "'lang'" in by_line[3].message and "fr" in by_line[3].message
    assert "evidence" in by_line[5].message
    assert "duplicate id" in by_line[6].message and "line 1" in by_line[6].message
    assert by_line[7].skipped is False and "colour" in by_line[7].message
    assert "JSON object" in by_line[8].message
    assert str(by_line[2]).startswith(f"{path}:2: skipped")


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path):
    items, problems = load_eval_sets([tmp_path / "nope.jsonl", default_eval_path()])
    assert len(items) == 44
    assert len(problems) == 1 and "not found" in problems[0].message


def test_shipped_extra_set_is_valid_balanced_and_disjoint_from_the_dev_set(corpus_dir: Path):
    path = shipped_eval_path("extra")
    assert path is not None and path.name == "extra.jsonl"
    items, problems = check_files([path], corpus_dir)
    assert problems == []  # every evidence string is found verbatim (whitespace aside) in its documents
    assert 30 <= len(items) <= 45
    zh = sum(i.lang == "zh" for i in items)
    assert abs(zh - (len(items) - zh)) <= 4
    assert set(TYPES) <= {i.type for i in items}
    assert sum(not i.answerable for i in items) >= 5
    assert all(i.history for i in items if i.type == "followup")
    assert all(len(i.docs) == 2 for i in items if i.type == "cross_doc")
    assert {d for i in items for d in i.docs} == {p.name for p in corpus_dir.glob("*.txt")}
    assert all(i.key_facts for i in items if i.answerable)
    dev, _ = load_eval_set(default_eval_path())
    assert not {i.id for i in items} & {i.id for i in dev}
    assert not {i.question for i in items} & {i.question for i in dev}


def test_evidence_check_finds_text_across_line_breaks_and_reports_what_is_missing(tmp_path: Path):
    raws = {"a.txt": "第三次会议于 2023 年 4 月 27 日在布加勒斯\n特以混合形式举行。\n"}
    lines = [
        {"id": "ok", "lang": "zh", "question": "哪里？", "answerable": True, "type": "fact", "doc": "a.txt",
         "evidence": ["在布加勒斯特以混合形式举行"]},
        {"id": "typo", "lang": "zh", "question": "哪里？", "answerable": True, "type": "fact", "doc": "a.txt",
         "evidence": ["在布加勒斯特以混合形式举行", "在内罗毕举行"]},
        {"id": "nodoc", "lang": "zh", "question": "哪里？", "answerable": True, "type": "fact", "doc": "b.txt",
         "evidence": ["在布加勒斯特"]},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    items, problems = load_eval_set(path)
    found = check_evidence(items, raws)
    by_line = {p.line: p.message for p in found}
    assert set(by_line) == {2, 3}
    assert "typo: evidence[2] not found in a.txt" in by_line[2] and "在内罗毕举行" in by_line[2]
    assert "b.txt" in by_line[3] and "not in the corpus" in by_line[3]
    assert all(not p.skipped for p in found)  # warnings: the items still run


def test_check_option_validates_a_shipped_set_by_name_and_fails_on_missing_evidence(corpus_dir: Path, tmp_path: Path):
    from typer.testing import CliRunner

    from ui.cli import app

    base = ["--corpus-dir", str(corpus_dir), "--index-dir", str(tmp_path / "index"), "--embed-model", "none", "eval"]
    ok = CliRunner().invoke(app, [*base, "--questions", "extra", "--check"])
    assert ok.exit_code == 0, ok.output
    assert "0 problem(s)" in ok.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "b1", "lang": "zh", "question": "？", "answerable": True, "type": "fact",
                               "doc": "000_7b030ac21b7d218f.txt", "evidence": ["这句话不在文件里"]}) + "\n",
                   encoding="utf-8")
    result = CliRunner().invoke(app, [*base, "--questions", str(bad), "--check"])
    assert result.exit_code == 1
    assert "evidence[1] not found" in result.output and "1 problem(s)" in result.output
    assert not (tmp_path / "index").exists()  # nothing was indexed


def test_asked_after_an_unrelated_question_each_item_gets_another_documents_question_as_its_history():
    items = [EvalItem(f"q{i}", "zh", f"问题{i}？", True, "fact", docs=(f"d{i % 3}.txt",), answer=f"答{i}")
             for i in range(6)]
    items.append(EvalItem("f", "zh", "那呢？", True, "followup", docs=("d0.txt",), history=(Turn("user", "原来的问题"),)))
    out = after_unrelated(items)
    for before, after in zip(items[:6], out[:6], strict=True):
        other = next(i for i in items if i.question == after.history[0].content)
        reply = (Turn("assistant", other.answer),) if other.answer else ()
        assert after.history == (Turn("user", other.question), *reply)
        assert not set(other.docs) & set(before.docs) and replace(after, history=()) == before
    assert out[6] == items[6]  # a follow-up keeps its own conversation
    assert after_unrelated([items[0], items[3]]) == [items[0], items[3]]  # one document: nothing is unrelated

