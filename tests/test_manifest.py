"""The corpus manifest and how a document gets its title."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.load import Document, load_document
from ingest.manifest import DocMeta, ManifestError, load_manifest, title_for


def _doc(raw: str, name: str = "x.txt") -> Document:
    return Document(doc=name, path=Path(name), raw=raw, sha256="0" * 64, pages=None)


def test_shipped_manifest_gives_titles_for_every_seed_document(corpus_dir: Path):
    manifest = load_manifest(corpus_dir)
    assert sorted(manifest) == sorted(p.name for p in corpus_dir.glob("*.txt"))
    meta = manifest["000_7b030ac21b7d218f.txt"]
    assert meta.symbol == "UNEP/EA.6/4" and meta.year == 2023 and meta.kind == "report"
    doc = load_document(corpus_dir / "000_7b030ac21b7d218f.txt")
    assert title_for(doc.doc, meta, doc) == "关于可持续氮管理的第 4/14 和第 5/2 号决议的执行进展"


def test_missing_manifest_is_an_empty_mapping(tmp_path: Path):
    assert load_manifest(tmp_path) == {}


def test_invalid_toml_names_the_file(tmp_path: Path):
    (tmp_path / "corpus.toml").write_text('["a.txt"\ntitle_zh = ', encoding="utf-8")
    with pytest.raises(ManifestError, match="corpus.toml: invalid TOML"):
        load_manifest(tmp_path)


def test_wrong_field_type_is_reported_with_the_entry(tmp_path: Path):
    (tmp_path / "corpus.toml").write_text('["a.txt"]\nyear = "2023"\n', encoding="utf-8")
    with pytest.raises(ManifestError, match=r'\["a.txt"\].year must be a whole number'):
        load_manifest(tmp_path)


def test_title_falls_back_to_the_first_heading_then_the_file_name(corpus_dir: Path):
    doc003 = load_document(corpus_dir / "003_eee71a5fe2a8738e.txt")
    assert (
        title_for(doc003.doc, None, doc003)
        == "关于加强循环经济、促进实现可持续消费和生产的第 5/11 号决议的执行进展"
    )
    doc000 = load_document(corpus_dir / "000_7b030ac21b7d218f.txt")
    assert title_for(doc000.doc, DocMeta(), doc000) == "关于可持续氮管理的第 4/14 和第 5/2 号决议的执行进展"
    prose = _doc("这是一段正文，没有标题。第二句。\n", "plain.txt")
    assert title_for("plain.txt", None, prose) == "plain.txt"
