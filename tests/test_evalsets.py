"""Eval-set loading: the shipped dev set is valid; bad lines are reported with their line number."""

from __future__ import annotations

import json
from pathlib import Path

from eval.sets import default_eval_path, load_eval_set, load_eval_sets


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
