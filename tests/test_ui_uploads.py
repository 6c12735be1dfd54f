"""Uploads land only inside the corpus folder, within limits; feedback is appended as JSON lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rag.types import Answer, Chunk, Passage, Sentence
from ui.feedback import append_feedback, feedback_record, vote_from_like
from ui.uploads import UploadRejected, safe_filename, stage_upload, unstage


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    src = tmp_path / "incoming" / name
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_bytes(data)
    return src


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\evil.md", "evil.md"),
        ("/abs/path/报告 2024.PDF", "报告 2024.pdf"),
        ("..hidden.txt", "hidden.txt"),
        ('a<b>:c"d|e?f*.txt', "abcdef.txt"),
        ("name\x00with\nnul.txt", "namewithnul.txt"),
    ],
)
def test_file_names_lose_directories_and_unsafe_characters(raw: str, safe: str):
    assert safe_filename(raw) == safe


@pytest.mark.parametrize("raw", ["..", "../", ". .", "///", ""])
def test_a_name_that_is_nothing_once_cleaned_is_rejected(raw: str):
    with pytest.raises(UploadRejected, match="rename"):
        safe_filename(raw)


def test_an_upload_is_copied_into_the_corpus_and_nowhere_else(tmp_path: Path, settings):
    src = write(tmp_path, "x.txt", "环境署的报告。".encode())
    staged = stage_upload(src, "../../outside.txt", settings)
    assert staged.new and staged.path == (settings.corpus_dir / "outside.txt").resolve()
    assert staged.path.read_text(encoding="utf-8") == "环境署的报告。"
    assert not (tmp_path / "outside.txt").exists()
    assert not list(settings.corpus_dir.glob("*.part"))


def test_wrong_type_oversize_empty_and_fake_pdf_uploads_are_refused_with_a_reason(tmp_path: Path, settings):
    settings.max_upload_mb = 1
    cases = {
        "tool.exe": (b"MZ...", "unsupported file type"),
        "big.txt": (b"a" * (1024 * 1024 + 1), "over the 1 MB limit"),
        "empty.md": (b"", "empty"),
        "fake.pdf": (b"hello, not a pdf", "not a PDF"),
    }
    for name, (data, reason) in cases.items():
        with pytest.raises(UploadRejected, match=reason):
            stage_upload(write(tmp_path, name, data), name, settings)
        assert not (settings.corpus_dir / name).exists()


def test_an_existing_document_is_never_overwritten_by_a_different_file(tmp_path: Path, settings):
    existing = sorted(settings.corpus_dir.glob("*.txt"))[0]
    before = existing.read_bytes()
    with pytest.raises(UploadRejected, match="already in the corpus"):
        stage_upload(write(tmp_path, existing.name, b"other text"), existing.name, settings)
    assert existing.read_bytes() == before
    same = stage_upload(write(tmp_path, existing.name, before), existing.name, settings)
    assert not same.new
    unstage(same, settings)  # an upload that added nothing removes nothing
    assert existing.exists()


def test_unstage_removes_only_the_file_the_upload_added(tmp_path: Path, settings):
    staged = stage_upload(write(tmp_path, "bad.txt", b"\xff\xfe garbage"), "bad.txt", settings)
    unstage(staged, settings)
    assert not staged.path.exists()
    assert len(list(settings.corpus_dir.glob("*.txt"))) == 4


def _answer() -> Answer:
    c = Chunk("d:1", "d.txt", "标题", "", 7, None, 10, 20, "正文。")
    return Answer(
        "问题？",
        "zh",
        "答案[1]。",
        False,
        [Sentence("答案[1]。", [1])],
        [Passage(c, 0.5, n=1)],
        [],
        {"retrieval": "lexical", "answerer": "extractive"},
        {},
    )


def test_a_vote_is_appended_as_one_json_line_with_question_answer_citations_and_time(settings):
    when = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    for liked in (True, False):
        append_feedback(settings.feedback_path, feedback_record(_answer(), vote_from_like(liked), when))
    lines = settings.feedback_path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["vote"] for r in records] == ["up", "down"]
    assert records[0]["question"] == "问题？" and records[0]["answer"] == "答案[1]。"
    assert records[0]["citations"][0]["doc"] == "d.txt" and records[0]["citations"][0]["paragraph"] == 7
    assert records[0]["timestamp"] == "2026-11-02T12:00:00+00:00"
    assert vote_from_like("something else") is None
