"""Ingestion end to end on the real corpus: incremental, idempotent, atomic, tolerant of bad files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ingest.run import IngestError, IngestReport, ingest_paths
from rag.index.embed import Embedder, load_embedder
from rag.index.lexical import load_lexical
from rag.index.store import ChunkStore
from rag.settings import Settings

DOCS = [
    "000_7b030ac21b7d218f.txt",
    "001_6cfd863ef6650e26.txt",
    "003_eee71a5fe2a8738e.txt",
    "004_c0676d05f06f9068.txt",
]


def corrupt_pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n" + bytes(range(256)) * 8 + b"\n%%EOF"


def encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def ingest(
    settings: Settings, store: ChunkStore, embedder: Embedder | None = None, **kwargs: object
) -> IngestReport:
    return ingest_paths(kwargs.pop("paths", None), settings, store, embedder, **kwargs)


def by_doc(store: ChunkStore) -> dict[str, list]:
    out: dict[str, list] = {}
    for c in store.chunks():
        out.setdefault(c.doc, []).append(c)
    return out


def test_corpus_ingests_and_a_second_run_changes_nothing(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    stages: list[str] = []
    first = ingest(settings, store, progress=lambda stage, done, total: stages.append(stage))
    assert first.changed and first.documents == 4 and sorted(first.per_doc) == DOCS
    assert first.chunks == store.count() == sum(first.per_doc.values()) and first.paragraphs > 0
    assert first.mode == "lexical" and first.skipped == [] and first.added == DOCS
    assert {"load", "embed"} <= set(stages)
    assert (settings.index_dir / "bm25" / store.version() / "meta.json").exists()
    ids = [c.id for c in store.chunks()]
    second = ingest(settings, store)
    assert not second.changed and second.version == first.version == store.version()
    assert [c.id for c in store.chunks()] == ids and store.generations() == [first.version]
    assert (
        load_lexical(store, settings.index_dir / "bm25").search("布加勒斯特 混合形式", 1)[0][0].doc == DOCS[0]
    )


def test_a_changed_file_replaces_exactly_its_chunks(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    ingest(settings, store)
    before = by_doc(store)
    path = settings.corpus_dir / DOCS[2]
    path.write_text(
        path.read_text(encoding="utf-8") + "\n\n99. 新增的一段：循环经济示范项目在十个城市启动。\n",
        encoding="utf-8",
    )
    report = ingest(settings, store)
    after = by_doc(store)
    assert report.changed and report.updated == [DOCS[2]] and report.added == []
    assert all(after[d] == before[d] for d in DOCS if d != DOCS[2])
    assert any("循环经济示范项目在十个城市启动" in c.text for c in after[DOCS[2]])
    assert store.doc_hashes()[DOCS[2]] != "" and report.version == store.version()


def test_a_title_edited_in_the_manifest_reaches_that_documents_chunks_only(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    ingest(settings, store)
    before = by_doc(store)
    manifest = settings.corpus_dir / "corpus.toml"
    old = before[DOCS[0]][0].title
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(old, "氮管理进展（修订标题）"), encoding="utf-8")
    report = ingest(settings, store)
    after = by_doc(store)
    assert report.changed and report.updated == [DOCS[0]] and report.added == []
    assert {c.title for c in after[DOCS[0]]} == {"氮管理进展（修订标题）"}
    assert [c.text for c in after[DOCS[0]]] == [c.text for c in before[DOCS[0]]]
    assert all(after[d] == before[d] for d in DOCS[1:])
    assert not ingest(settings, store).changed


def test_a_removed_file_loses_its_chunks_but_extra_paths_do_not_remove_anything(
    settings: Settings, tmp_path: Path
) -> None:
    store = ChunkStore.open(settings)
    ingest(settings, store)
    extra = tmp_path / "extra" / "notes.md"
    extra.parent.mkdir()
    extra.write_text("# 补充说明\n\n环境署在 2025 年发布了关于海洋垃圾的补充说明。\n", encoding="utf-8")
    report = ingest(settings, store, paths=[extra])
    assert report.added == ["notes.md"] and report.removed == [] and report.documents == 5
    (settings.corpus_dir / DOCS[3]).unlink()
    report = ingest(settings, store)
    assert DOCS[3] in report.removed and DOCS[3] not in by_doc(store)
    assert {DOCS[0], DOCS[1], DOCS[2]} <= set(by_doc(store))


def test_bad_files_are_reported_and_skipped_while_the_rest_is_indexed(settings: Settings) -> None:
    (settings.corpus_dir / "broken.pdf").write_bytes(corrupt_pdf())
    (settings.corpus_dir / "locked.pdf").write_bytes(encrypted_pdf())
    store = ChunkStore.open(settings)
    report = ingest(settings, store)
    reasons = {Path(f).name: r for f, r in report.skipped}
    assert set(reasons) == {"broken.pdf", "locked.pdf"}
    assert "corrupt" in reasons["broken.pdf"] and "encrypted" in reasons["locked.pdf"]
    assert sorted(report.per_doc) == DOCS and report.changed


def test_a_file_that_turns_unreadable_keeps_what_was_indexed(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    first = ingest(settings, store)
    before = store.chunks()
    (settings.corpus_dir / DOCS[1]).write_bytes(b"\x00\x01binary junk\x00" * 100)
    report = ingest(settings, store)
    assert [Path(f).name for f, _ in report.skipped] == [DOCS[1]]
    assert not report.changed and store.version() == first.version and store.chunks() == before


class FailingEmbedder(Embedder):
    """A real embedder that dies after `batches` batches, as a crashing model or a killed process would."""

    def __init__(self, inner: Embedder, batches: int) -> None:
        self.inner, self.left = inner, batches
        self.name, self.dim = inner.name, inner.dim
        self.query_prefix, self.doc_prefix = inner.query_prefix, inner.doc_prefix

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        if self.left == 0:
            raise RuntimeError("embedding model crashed")
        self.left -= 1
        return self.inner.embed_batch(texts)


def test_an_ingest_that_dies_midway_leaves_the_previous_index_serving(
    settings: Settings, tiny_model_path: Path
) -> None:
    settings.embed_model = str(tiny_model_path)
    settings.embed_batch_size = 8
    embedder = load_embedder(settings).embedder
    assert embedder is not None
    store = ChunkStore.open(settings)
    first = ingest(settings, store, embedder)
    assert first.mode == "hybrid" and store.embedder_id() == embedder.id and store.dim() == 64
    before = store.chunks()
    query = embedder.embed_query("可持续氮管理工作组")
    dense_before = store.dense_search(query, 5)
    path = settings.corpus_dir / DOCS[0]
    path.write_text(path.read_text(encoding="utf-8") + "\n\n30. 新增段落。\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="crashed"):
        ingest(settings, store, FailingEmbedder(embedder, batches=3))
    assert store.version() == first.version and store.chunks() == before
    assert store.dense_search(query, 5) == dense_before
    assert store.generations() == [first.version]  # the unfinished generation was dropped
    assert load_lexical(store, settings.index_dir / "bm25").search("可持续氮管理", 3)
    report = ingest(settings, store, embedder)
    assert report.changed and report.updated == [DOCS[0]] and store.version() != first.version
    assert store.generations() == [store.version()]


def test_switching_embedders_re_embeds_everything(
    settings: Settings, tiny_model_path: Path, tmp_path: Path
) -> None:
    store = ChunkStore.open(settings)
    lexical = ingest(settings, store)
    assert store.embedder_id() == "none" and store.dim() == 1
    extra = tmp_path / "elsewhere" / "note.txt"
    extra.parent.mkdir()
    extra.write_text("一份不在语料库文件夹中的说明：塑料污染谈判在釜山举行。\n", encoding="utf-8")
    ingest(settings, store, paths=[extra])
    extra.unlink()  # its file is gone: on the switch it must be re-embedded from the stored text
    settings.embed_model = str(tiny_model_path)
    embedder = load_embedder(settings).embedder
    assert embedder is not None and not store.dense_ready(embedder)
    hybrid = ingest(settings, store, embedder, paths=[settings.corpus_dir / DOCS[0]])
    assert hybrid.changed and hybrid.mode == "hybrid" and store.dense_ready(embedder) and store.dim() == 64
    assert hybrid.documents == 5 and hybrid.chunks == lexical.chunks + hybrid.per_doc["note.txt"]
    note = [c for c in store.chunks() if c.doc == "note.txt"]
    assert note and store.dense_search(embedder.embed_query(note[0].text), 1)[0][0] == note[0]
    assert ingest(settings, store, embedder).removed == ["note.txt"]
    assert not ingest(settings, store, embedder).changed
    version = store.version()
    with pytest.raises(IngestError, match="--rebuild"):  # a model that failed to load must not wipe vectors
        ingest(settings, store, None)
    assert store.version() == version and store.dense_ready(embedder)
    back = ingest(settings, store, None, rebuild=True)
    assert back.changed and store.embedder_id() == "none" and store.dim() == 1


def test_rebuild_rewrites_everything_with_the_same_chunks(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    first = ingest(settings, store)
    chunks = store.chunks()
    again = ingest(settings, store, rebuild=True)
    assert again.changed and again.version != first.version and store.chunks() == chunks


def test_a_new_chunk_size_cuts_every_document_again(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    first = ingest(settings, store)
    longest = max(len(c.text) for c in store.chunks())
    settings.chunk_size = 100
    smaller = ingest(settings, store)
    assert smaller.changed and smaller.chunks > first.chunks and smaller.updated == []
    assert max(len(c.text) for c in store.chunks()) < longest
    assert not ingest(settings, store).changed


def test_the_chunker_digest_follows_the_source_of_the_cutting_modules(tmp_path: Path) -> None:
    import shutil

    import ingest.run as run

    package = tmp_path / "ingest"
    shutil.copytree(Path(run.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = run._chunker_digest(package)
    assert before == run._chunker_digest()
    (package / "run.py").write_text("# not a cutting module\n", encoding="utf-8")
    assert run._chunker_digest(package) == before
    with (package / "segment.py").open("a", encoding="utf-8") as f:
        f.write("\nPARAGRAPH_RULES_CHANGED = True\n")
    assert run._chunker_digest(package) != before


def test_an_index_cut_by_older_segmentation_code_is_chunked_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.run as run

    store = ChunkStore.open(settings)
    monkeypatch.setattr(run, "_chunker_digest", lambda package=None: "cut-by-an-older-citeqa")
    old = ingest(settings, store)
    monkeypatch.undo()
    again = ingest(settings, store)
    assert again.changed and again.version != old.version and again.redone == "chunk size or chunker changed"
    assert again.updated == [] and again.chunks == old.chunks
    assert not ingest(settings, store).changed


def test_a_rerun_with_nothing_changed_loads_no_embedding_model(settings: Settings, tiny_model_path: Path) -> None:
    from rag.index.embed import LazyEmbedder

    settings.embed_model = str(tiny_model_path)
    for name in DOCS[1:3]:  # two documents are enough (and embed quicker)
        (settings.corpus_dir / name).unlink()
    store = ChunkStore.open(settings)
    first_lazy = LazyEmbedder(settings)
    first = ingest(settings, store, first_lazy)
    assert first.changed and first.mode == "hybrid" and first_lazy.loaded and first.model_loaded
    again = LazyEmbedder(settings)
    second = ingest(settings, store, again)
    assert not second.changed and not again.loaded and not second.model_loaded
    assert second.mode == "hybrid" and second.version == first.version and second.chunks == first.chunks
    (settings.corpus_dir / DOCS[3]).unlink()  # a removal needs no embedding either: stored vectors are kept
    removal = LazyEmbedder(settings)
    third = ingest(settings, store, removal)
    assert third.changed and third.removed == [DOCS[3]] and not removal.loaded
    assert store.dense_ready(first_lazy.get()) and store.dim() == 64
    doc = settings.corpus_dir / DOCS[0]
    doc.write_text(doc.read_text(encoding="utf-8") + "\n新增一段关于氮循环的说明。\n", encoding="utf-8")
    changed = LazyEmbedder(settings)  # something to embed: now the model is loaded
    fourth = ingest(settings, store, changed)
    assert fourth.updated == [DOCS[0]] and changed.loaded and fourth.model_loaded and store.dense_ready(changed.get())


def test_a_different_configured_model_is_noticed_without_loading_and_re_embeds(
    settings: Settings, tiny_model_path: Path
) -> None:
    from rag.index.embed import LazyEmbedder

    for name in DOCS[1:]:
        (settings.corpus_dir / name).unlink()
    store = ChunkStore.open(settings)
    ingest(settings, store, LazyEmbedder(settings))
    assert store.embedder_id() == "none"
    settings.embed_model = str(tiny_model_path)
    lazy = LazyEmbedder(settings)
    report = ingest(settings, store, lazy)
    assert lazy.loaded and report.redone == "embedding model changed" and store.embedder_id() == lazy.id


def test_a_symbol_or_year_edited_in_the_manifest_relabels_that_documents_chunks_only(settings: Settings) -> None:
    from rag.reference import cite_string

    store = ChunkStore.open(settings)
    ingest(settings, store)
    before = by_doc(store)
    assert {c.symbol for c in before[DOCS[2]]} == {"UNEP/EA.6/8"} and {c.year for c in before[DOCS[1]]} == {2024}
    manifest = settings.corpus_dir / "corpus.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"UNEP/EA.6/8"', '"UNEP/EA.6/8/Rev.1"'),
                        encoding="utf-8")
    report = ingest(settings, store)
    after = by_doc(store)
    assert report.changed and report.updated == [DOCS[2]]
    numbered = next(c for c in after[DOCS[2]] if c.numbered and c.paragraph == 2)
    assert cite_string(numbered, "en") == "UNEP/EA.6/8/Rev.1, para. 2"
    assert all(after[d] == before[d] for d in DOCS if d != DOCS[2])
    assert not ingest(settings, store).changed
