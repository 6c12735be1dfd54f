"""Loading text files in their real-world encodings and PDFs (good and broken) into Documents."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import pytest

from ingest.clean import squeeze
from ingest.load import SUPPORTED_SUFFIXES, LoadError, iter_corpus_files, load_document
from ingest.segment import segment
from tests.fixtures.pdfs import REPORT_PAGES

TEXT = "一、导言\r\n\r\n1. 环境署氮问题工作组于 2023 年在布加勒斯特举行会议。\r\n"


def test_utf8_text_loads_with_newlines_normalised_and_hash_of_the_bytes(tmp_path: Path):
    path = tmp_path / "note.txt"
    path.write_bytes(TEXT.encode("utf-8"))
    doc = load_document(path)
    assert doc.doc == "note.txt" and doc.path == path and doc.pages is None
    assert doc.raw == TEXT.replace("\r\n", "\n")
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_utf8_bom_is_stripped(tmp_path: Path):
    path = tmp_path / "bom.md"
    path.write_bytes(codecs.BOM_UTF8 + "# 标题\n正文。".encode())
    assert load_document(path).raw == "# 标题\n正文。"


def test_gbk_file_is_decoded(tmp_path: Path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(TEXT.encode("gbk"))
    assert load_document(path).raw == TEXT.replace("\r\n", "\n")


def test_gb18030_only_characters_are_decoded(tmp_path: Path):
    path = tmp_path / "gb18030.txt"
    text = "环境署报告：𠀀字与€符号。"
    path.write_bytes(text.encode("gb18030"))
    assert load_document(path).raw == text


def test_utf16_with_bom_is_decoded(tmp_path: Path):
    path = tmp_path / "utf16.txt"
    path.write_bytes("联合国环境署\r\n".encode("utf-16"))
    assert load_document(path).raw == "联合国环境署\n"


def test_lone_carriage_returns_become_newlines(tmp_path: Path):
    path = tmp_path / "mac.txt"
    path.write_bytes("第一行\r第二行\r\n第三行".encode())
    assert load_document(path).raw == "第一行\n第二行\n第三行"


def test_damaged_utf8_raises_a_load_error_naming_the_byte(tmp_path: Path):
    data = "环境署氮问题工作组".encode() * 20
    path = tmp_path / "damaged.txt"
    path.write_bytes(data[:30] + b"\xff" + data[30:])
    with pytest.raises(LoadError) as info:
        load_document(path)
    assert info.value.doc == "damaged.txt"
    assert "UTF-8" in info.value.reason and "offset 30" in info.value.reason


def test_bytes_that_are_neither_utf8_nor_gbk_raise_a_load_error(tmp_path: Path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"plain start \x80\x80\x80 and \xff end")
    with pytest.raises(LoadError, match="re-save it as UTF-8"):
        load_document(path)


def test_binary_file_with_a_text_suffix_is_refused(tmp_path: Path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    with pytest.raises(LoadError, match="binary"):
        load_document(path)


@pytest.mark.parametrize("content", [b"", b"  \n\n \t"])
def test_empty_text_file_is_refused(tmp_path: Path, content: bytes):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(LoadError, match="nothing to index"):
        load_document(path)


def test_unsupported_suffix_names_the_supported_ones(tmp_path: Path):
    path = tmp_path / "report.docx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(LoadError) as info:
        load_document(path)
    assert info.value.reason == "unsupported file type .docx; citeqa reads .pdf, .txt, .md"
    assert ".docx" not in SUPPORTED_SUFFIXES and ".md" in SUPPORTED_SUFFIXES


def test_missing_file_is_a_load_error(tmp_path: Path):
    with pytest.raises(LoadError, match="not found"):
        load_document(tmp_path / "gone.txt")


def test_pdf_keeps_pages_with_offsets_into_raw(report_pdf: Path):
    doc = load_document(report_pdf)
    assert [p[0] for p in doc.pages] == [1, 2, 3]
    for (page_no, start, end), lines in zip(doc.pages, REPORT_PAGES, strict=True):
        assert squeeze(doc.raw[start:end]) == squeeze("".join(lines)), page_no
    assert doc.raw[doc.pages[0][2] : doc.pages[1][1]] == "\n\n"
    assert doc.page_at(doc.pages[1][1]) == 2 and doc.page_at(doc.pages[2][2] - 1) == 3


def test_pdf_paragraphs_carry_their_page(report_pdf: Path):
    paragraphs = {p.number: p for p in segment(load_document(report_pdf)).paragraphs}
    assert {n: p.page for n, p in paragraphs.items()} == {1: 1, 2: 1, 3: 2, 4: 3}
    assert "现有信息，并制定了一项包括 10 个行动领域" in paragraphs[2].text  # joined across the page break
    assert paragraphs[3].section == "二、经验教训"


def test_encrypted_pdf_without_password_is_a_clear_load_error(encrypted_pdf: Path):
    with pytest.raises(LoadError) as info:
        load_document(encrypted_pdf)
    assert "encrypted PDF (password required)" in info.value.reason


@pytest.mark.parametrize("fixture", ["truncated_pdf", "garbage_pdf", "empty_pdf"])
def test_broken_pdfs_raise_load_errors_not_tracebacks(request: pytest.FixtureRequest, fixture: str):
    path = request.getfixturevalue(fixture)
    with pytest.raises(LoadError) as info:
        load_document(path)
    assert info.value.doc == path.name
    assert any(word in info.value.reason for word in ("corrupt", "truncated", "empty"))


@pytest.mark.parametrize("fixture", ["textless_pdf", "blank_pdf"])
def test_pdf_without_text_asks_for_ocr(request: pytest.FixtureRequest, fixture: str):
    with pytest.raises(LoadError, match="no extractable text — scanned PDF\\? run OCR first"):
        load_document(request.getfixturevalue(fixture))


def test_corpus_files_are_expanded_sorted_and_filtered(tmp_path: Path):
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / ".hidden").mkdir()
    for name in ["b.txt", "a.md", "sub/c.pdf", "corpus.toml", ".secret.txt", ".hidden/d.txt", "notes.docx"]:
        (root / name).write_text("x", encoding="utf-8")
    extra = tmp_path / "extra.docx"
    extra.write_text("x", encoding="utf-8")
    found = iter_corpus_files([root, extra, root / "b.txt"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "extra.docx",  # named explicitly: kept, so its LoadError is reported instead of vanishing
        "docs/a.md",
        "docs/b.txt",
        "docs/sub/c.pdf",
    ]


def test_shipped_corpus_loads_as_four_documents(corpus_dir: Path):
    docs = [load_document(p) for p in iter_corpus_files([corpus_dir])]
    assert [d.doc for d in docs] == sorted(p.name for p in corpus_dir.glob("*.txt"))
    assert all("\r" not in d.raw and d.raw.strip() for d in docs)
