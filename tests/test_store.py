"""The Chroma chunk store: exact round trips, atomic generations, clear errors."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from rag.index.store import ChunkStore, DocInfo, IndexWriteError, StoreError, StoreUnavailable
from rag.settings import Settings
from rag.types import Chunk

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def sentence_chunks(doc: str, count: int, page: int | None = None, title: str = "标题") -> list[Chunk]:
    """The first `count` sentences of a real corpus file as chunks with true offsets."""
    raw = (CORPUS / doc).read_text(encoding="utf-8")
    out = []
    for n, m in enumerate(re.finditer(r"[^。\n]{8,}。", raw)):
        if n == count:
            break
        out.append(
            Chunk(
                id=f"{doc}:{n}",
                doc=doc,
                title=title,
                section="一、 导言" if n % 2 else "",
                paragraph=n + 1,
                page=page,
                char_start=m.start(),
                char_end=m.end(),
                text=m.group(0),
                kind="footnote" if n == 2 else "body",
                part=n % 2,
                numbered=bool(n % 2),
            )
        )
    return out


DOC_A, DOC_B = "000_7b030ac21b7d218f.txt", "003_eee71a5fe2a8738e.txt"


def unit(i: int, dim: int = 4) -> list[float]:
    return [1.0 if j == i % dim else 0.0 for j in range(dim)]


def write(
    store: ChunkStore,
    docs: dict[str, list[Chunk]],
    embedder: str = "none",
    dim: int = 1,
    copy: list[str] = (),
    sha: str = "s1",
) -> str:
    gen = store.begin(embedder, dim)
    gen.copy_docs(list(copy))
    for doc, chunks in docs.items():
        vectors = [[1.0]] * len(chunks) if dim == 1 else [unit(i, dim) for i in range(len(chunks))]
        gen.add_document(
            DocInfo(doc, chunks[0].title, f"{sha}-{doc}", len(chunks), len(chunks)), chunks, vectors
        )
    store.activate(gen)
    return gen.name


def test_empty_store_answers_empty(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    assert store.version() is None and store.chunks() == [] and store.documents() == []
    assert store.embedder_id() == "none" and store.count() == 0 and store.dense_search([1.0], 5) == []


def test_chunks_round_trip_exactly_in_document_order(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    a = sentence_chunks(DOC_A, 5)
    b = sentence_chunks(DOC_B, 3, page=2)
    write(store, {DOC_B: b, DOC_A: a})
    assert store.chunks() == a + b  # page None and page 2, "" sections, footnotes, flags all survive
    assert store.count() == 8 and store.embedder_id() == "none"
    assert store.get([b[1].id, "missing", a[0].id]) == [b[1], a[0]]
    assert store.doc_hashes() == {DOC_A: f"s1-{DOC_A}", DOC_B: f"s1-{DOC_B}"}
    assert [(d.doc, d.chunks, d.title) for d in store.documents()] == [(DOC_A, 5, "标题"), (DOC_B, 3, "标题")]
    assert (settings.index_dir / "chroma").is_dir()


def test_new_generation_copies_unchanged_documents_with_their_vectors(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    first = write(store, {DOC_A: sentence_chunks(DOC_A, 6), DOC_B: sentence_chunks(DOC_B, 2)}, "emb", 4)
    active = store.client.get_collection(first, embedding_function=None)
    before = active.get(where={"doc": DOC_A}, include=["embeddings"])
    changed_b = [Chunk(**{**c.to_dict(), "text": c.text + "（修订）"}) for c in sentence_chunks(DOC_B, 3)]
    second = write(store, {DOC_B: changed_b}, "emb", 4, copy=[DOC_A], sha="s2")
    assert second != first and store.version() == second
    assert store.generations() == [second]  # the old generation is gone
    after = store.client.get_collection(second, embedding_function=None).get(
        where={"doc": DOC_A}, include=["embeddings"]
    )
    assert dict(zip(after["ids"], map(list, after["embeddings"]), strict=True)) == dict(
        zip(before["ids"], map(list, before["embeddings"]), strict=True)
    )
    assert [c for c in store.chunks() if c.doc == DOC_B] == changed_b
    assert store.doc_hashes() == {DOC_A: f"s1-{DOC_A}", DOC_B: f"s2-{DOC_B}"}


def test_unfinished_generation_is_invisible_and_cleaned_at_the_next_write(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    first = write(store, {DOC_A: sentence_chunks(DOC_A, 4)})
    chunks = store.chunks()
    dead = store.begin("none", 1)  # a writer that dies before activate
    dead.add_document(DocInfo(DOC_B, "t", "x", 2), sentence_chunks(DOC_B, 2), [[1.0], [1.0]])
    reader = ChunkStore.open(settings)
    assert reader.version() == first and reader.chunks() == chunks
    assert dead.name in store.generations()
    third = write(store, {DOC_B: sentence_chunks(DOC_B, 2)}, copy=[DOC_A])
    assert store.generations() == [third] and dead.name not in store.generations()
    assert {d.doc for d in store.documents()} == {DOC_A, DOC_B}


def test_all_instances_on_one_index_follow_the_pointer(settings: Settings) -> None:
    one, two = ChunkStore.open(settings), ChunkStore.open(settings)
    write(one, {DOC_A: sentence_chunks(DOC_A, 3)})
    assert two.version() == one.version() and two.chunks() == one.chunks()
    write(one, {DOC_B: sentence_chunks(DOC_B, 2)}, copy=[DOC_A])
    assert two.version() == one.version() and len(two.chunks()) == 5


def test_dense_search_ranks_by_cosine_similarity(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    chunks = sentence_chunks(DOC_A, 4)
    write(store, {DOC_A: chunks}, "emb", 4)
    hits = store.dense_search([0.0, 0.0, 1.0, 0.0], 2)
    assert hits[0][0] == chunks[2] and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert hits[1][1] == pytest.approx(0.0, abs=1e-5) and len(hits) == 2
    with pytest.raises(StoreError, match="re-run `citeqa ingest`"):
        store.dense_search([1.0, 0.0], 2)


def test_a_generation_refuses_duplicates_and_mismatched_vectors(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    gen = store.begin("none", 1)
    chunks = sentence_chunks(DOC_A, 2)
    with pytest.raises(StoreError, match="vectors"):
        gen.add_document(DocInfo(DOC_A, "t", "x", 2), chunks, [[1.0]])
    with pytest.raises(StoreError, match="duplicate"):
        gen.add_document(DocInfo(DOC_A, "t", "x", 2), [chunks[0], chunks[0]], [[1.0], [1.0]])
    gen.abort()
    assert store.generations() == [] and store.version() is None


def test_unreachable_chroma_server_says_how_to_start_it(settings: Settings) -> None:
    settings.chroma_url = "http://127.0.0.1:9"
    started = time.perf_counter()
    with pytest.raises(StoreUnavailable, match="not answering") as info:
        ChunkStore.open(settings)
    assert "chroma run" in str(info.value) and "CITEQA_CHROMA_URL" in str(info.value)
    assert time.perf_counter() - started < 10


def test_index_dir_that_cannot_be_created_is_a_clear_write_error(settings: Settings, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    settings.index_dir = blocker / "index"
    with pytest.raises(IndexWriteError, match="CITEQA_INDEX_DIR"):
        ChunkStore.open(settings)


FULL_DISK_WRITER = """
import resource, signal, sys
from pathlib import Path
sys.path[:0] = [{root!r}, {tests!r}]
from rag.settings import Settings
from rag.index.store import ChunkStore, DocInfo, IndexWriteError
from test_store import DOC_A, DOC_B, sentence_chunks
index = Path({index!r})
limit = max(p.stat().st_size for p in (index / "chroma").rglob("*") if p.is_file())
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # no file may grow: a full disk
store = ChunkStore.open(Settings(index_dir=index, embed_model="none"))
try:
    gen = store.begin("none", 1)  # taking the writer lease may already hit the full disk
    gen.copy_docs([DOC_A])
    chunks = sentence_chunks(DOC_B, 200)
    gen.add_document(DocInfo(DOC_B, "t", "y", len(chunks)), chunks, [[1.0]] * len(chunks))
    store.activate(gen)
except IndexWriteError as exc:
    print("IndexWriteError:", exc)
"""


def test_full_disk_during_a_write_keeps_the_previous_index(settings: Settings) -> None:
    import subprocess
    import sys

    store = ChunkStore.open(settings)
    first = write(store, {DOC_A: sentence_chunks(DOC_A, 5)})
    chunks = store.chunks()
    code = FULL_DISK_WRITER.format(
        root=str(CORPUS.parent), tests=str(Path(__file__).parent), index=str(settings.index_dir)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "IndexWriteError: Cannot write the index" in out.stdout, out.stderr[-2000:]
    assert "previous index is still in use" in out.stdout
    assert store.version() == first and store.chunks() == chunks  # still serving, unchanged
    third = write(store, {DOC_B: sentence_chunks(DOC_B, 2)}, copy=[DOC_A])  # and the next write completes
    assert store.generations() == [third] and store.count() == 7


@pytest.mark.server
def test_same_store_code_runs_against_a_chroma_server(settings: Settings, tmp_path: Path) -> None:
    import os
    import shutil
    import signal
    import socket
    import subprocess
    import sys
    import urllib.request

    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        pytest.skip("the `chroma` command is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    server = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.time() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                assert time.time() < deadline and server.poll() is None, "chroma server did not start"
                time.sleep(0.2)
        settings.chroma_url = f"http://127.0.0.1:{port}"
        one, two = ChunkStore.open(settings), ChunkStore.open(settings)
        chunks = sentence_chunks(DOC_A, 4)
        write(one, {DOC_A: chunks})
        write(one, {DOC_B: sentence_chunks(DOC_B, 2)}, copy=[DOC_A])
        assert two.version() == one.version() == "citeqa-g2" and two.chunks()[:4] == chunks
        assert one.generations() == ["citeqa-g2"]
        server.send_signal(signal.SIGTERM)
        server.wait(15)
        with pytest.raises(StoreUnavailable, match="stopped answering"):
            two.chunks()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(5)
