"""Writing the store (see `rag.index.store`): `Generation`, a collection being written that nothing reads until it
is activated, and `GenerationWriter`, the writer half of `ChunkStore` — begin, activate, dead-generation
cleanup — under the writer lease of `rag.index.lease` (one writer per index at a time, on every host)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rag.index.lease import LeaseLost, WriterLease
from rag.index.store_records import DocInfo, IndexWriteError, StoreError, chunk_to_record, doc_to_record
from rag.types import Chunk

if TYPE_CHECKING:
    from rag.index.store import ChunkStore

log = logging.getLogger(__name__)
POINTER = "active"
COUNTER = "counter"
T = TypeVar("T")
CURRENT: Any = object()  # `begin(base=...)` default: whatever generation is active when the lease is held


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


class Generation:
    """A generation being written. Nothing here is visible to readers until `ChunkStore.activate`."""

    def __init__(self, store: ChunkStore, collection: Any, name: str, embedder_id: str, dim: int) -> None:
        self.store, self.collection, self.name = store, collection, name
        self.embedder_id, self.dim = embedder_id, dim
        self.docs: dict[str, DocInfo] = {}
        self.expected = 0
        self.chunking = ""  # recorded with the pointer at activation
        self.base: str | None = None  # the active generation when this one began (checked at activation)

    def _add(self, ids: list[str], texts: list[str], metas: list[dict[str, Any]], vectors: list[Any]) -> None:
        step = self.store.max_batch
        for s in range(0, len(ids), step):
            self.store.keep_alive()
            self.store._write("adding chunks", lambda s=s: self.collection.add(
                ids=ids[s:s + step], documents=texts[s:s + step], metadatas=metas[s:s + step],
                embeddings=[list(map(float, v)) for v in vectors[s:s + step]]))
        self.expected += len(ids)

    def add_document(self, info: DocInfo, chunks: list[Chunk], embeddings: list[list[float]]) -> None:
        """Add one document's chunks with their vectors (each of `dim` floats)."""
        if info.doc in self.docs:
            raise StoreError(f"Document {info.doc} was added twice to {self.name}")
        if len(chunks) != len(embeddings) or any(len(v) != self.dim for v in embeddings):
            raise StoreError(f"{info.doc}: {len(chunks)} chunks but {len(embeddings)} vectors, or not {self.dim}-d")
        if len({c.id for c in chunks}) != len(chunks):
            raise StoreError(f"{info.doc}: duplicate chunk ids")
        records = [chunk_to_record(c, info.sha256) for c in chunks]
        self._add([r[0] for r in records], [r[1] for r in records], [r[2] for r in records], embeddings)
        self.docs[info.doc] = info

    def copy_docs(self, docs: list[str], reembed: Callable[[list[str]], list[list[float]]] | None = None) -> int:
        """Copy these documents' chunks from the active generation, with their stored vectors — or, when
        `reembed` is given (the embedder changed), with vectors recomputed from the stored texts."""
        infos = {d.doc: d for d in self.store.documents()}
        copied = 0
        for doc in docs:
            if doc not in infos:
                continue
            got = self.store._read(lambda col, doc=doc: self.store._get_all(
                col, where={"doc": doc}, include=["documents", "metadatas", "embeddings"]),
                {"ids": [], "documents": [], "metadatas": [], "embeddings": []})
            vectors = reembed(list(got["documents"])) if reembed else list(got["embeddings"])
            self._add(list(got["ids"]), list(got["documents"]), list(got["metadatas"]), vectors)
            self.docs[doc] = infos[doc]
            copied += len(got["ids"])
        return copied

    def abort(self) -> None:
        """Drop this unfinished generation (best effort; `begin` removes leftovers anyway) and free the lease.
        After a failed write (a full disk) nothing more is written: Chroma can block for good on a delete
        there, and the next `begin` removes the leftover anyway."""
        try:
            if self.store.write_failed:
                log.info("Leaving unfinished generation %s for the next ingest to remove", self.name)
                return
            self.store.client.delete_collection(self.name)
        except Exception as exc:  # the store may be the very thing that failed
            log.warning("Could not delete unfinished generation %s: %s", self.name, exc)
        finally:
            self.store._done_with(self)


class GenerationWriter:
    """The writing half of `ChunkStore` (a mixin: it uses the store's client, meta collection and reads)."""

    client: Any
    prefix: str
    where: str
    max_batch: int
    lease: WriterLease
    _chunks: Any
    _lease_gen: Generation | None = None  # the generation `begin` took the lease for (freed when it is done)
    _in_block = False  # the lease is held by a `writing()` block, which frees it
    write_failed = False  # a write to the store failed (full disk?): best-effort clean-up writes are skipped
    remote = False  # the index lives in a Chroma server (its files are the server's to reclaim)
    last_reclaim: Any = None  # rag.index.reclaim.Reclaimed of the last swap

    def generations(self) -> list[str]:
        """Names of every generation collection in the store (the active one and any dead leftovers)."""
        pattern = re.compile(rf"^{re.escape(self.prefix)}-g(\d+)$")
        names = [c if isinstance(c, str) else c.name for c in self.client.list_collections()]
        return sorted((n for n in names if pattern.match(n)), key=lambda n: int(pattern.match(n).group(1)))

    def _write(self, what: str, op: Callable[[], T]) -> T:
        try:
            return op()
        except StoreError:
            raise
        except Exception as exc:
            self.write_failed = True
            raise IndexWriteError(f"Cannot write the index at {self.where} while {what} ({first_line(exc)}) — "
                                  "free disk space or fix permissions and run `citeqa ingest` again; "
                                  "the previous index is still in use") from exc

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writer lease for the block (waiting for another writer first; re-entrant per store), so a
        caller can read the index, decide what to write and write it with nobody writing in between."""
        if self._in_block:
            yield
            return
        self.lease.acquire()
        self._in_block, self._lease_gen = True, None
        try:
            yield
        finally:
            self._in_block = False
            self.lease.release()

    def _done_with(self, gen: Generation) -> None:
        """`gen` was activated or aborted: free the lease if `begin` took it for `gen`."""
        if self._lease_gen is gen:
            self._lease_gen = None
            self.lease.release()

    def keep_alive(self) -> None:
        """Renew the writer lease when due (call it as a long write progresses; a no-op without the lease)."""
        self.lease.keep_alive()

    def clean_dead(self) -> list[str]:
        """Delete generations (and their document records) other than the active one and the one a live writer
        is writing; their names."""
        active = self.version()
        keep = {active} | self.lease.protected()
        dead = [n for n in self.generations() if n not in keep]
        for name in dead:
            self._write("deleting a dead generation", lambda name=name: self.client.delete_collection(name))
        records = self._meta().get(where={"role": "doc"}, include=["metadatas"])
        stale = [i for i, m in zip(records["ids"], records["metadatas"], strict=True) if m.get("gen") not in keep]
        if stale:
            self._write("deleting dead document records", lambda: self._meta().delete(ids=stale))
        return dead

    def reclaim(self) -> Any:
        """Give the disk space of deleted generations back (embedded index only; `rag.index.reclaim`), under the
        writer lease; the `Reclaimed` figures, or None (a server's files, or a failure, which is only logged)."""
        from rag.index.reclaim import reclaim

        if self.remote:
            return None
        try:
            self.last_reclaim = reclaim(Path(self.where))
        except Exception as exc:  # never the reason an ingest fails: the next swap tries again
            log.warning("Could not reclaim the index's disk space at %s: %s", self.where, exc)
            return None
        return self.last_reclaim

    def begin(self, embedder_id: str, dim: int, chunking: str = "", base: str | None = CURRENT) -> Generation:
        """Start a new generation under the writer lease (taken here unless held through `writing()`), after
        deleting dead leftovers of earlier ones. `chunking` records how the chunks were cut (e.g. the chunk
        size), so a later ingest can tell when they must be cut again. `base`: the active generation the
        caller decided what to write against — refused if the index has moved on since (activation checks
        it again)."""
        owns = not self._in_block
        self.lease.acquire()
        try:
            current = self.version()
            if base is not CURRENT and base != current:
                raise StoreError(f"The index changed ({base} → {current}) after this ingest decided what to write "
                                 "— nothing was written; run the ingest again")
            base = current
            numbers = [int(n.rsplit("-g", 1)[1]) for n in self.generations()]
            got = self._meta().get(ids=[COUNTER], include=["metadatas"])
            numbers += [int(m.get("last", 0)) for m in got["metadatas"]]
            number = max(numbers, default=0) + 1  # never reused, even after a dead generation is deleted
            self._write("numbering a generation", lambda: self._meta().upsert(
                ids=[COUNTER], embeddings=[[1.0]], metadatas=[{"last": number}]))
            name = f"{self.prefix}-g{number}"
            self.clean_dead()  # an unfinished generation this store began before (never activated) goes too
            self.lease.keep_alive(writing=name)  # before it exists: cleanup by others leaves it alone
            col = self._write("creating a generation", lambda: self.client.create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": embedder_id, "dim": dim, "generation": number, "created": time.time()}))
        except BaseException:
            if owns:
                self._lease_gen = None
                self.lease.release()
            raise
        gen = Generation(self, col, name, embedder_id, dim)
        gen.chunking, gen.base = chunking, base
        if owns:
            self._lease_gen = gen
        return gen

    def activate(self, gen: Generation) -> None:
        """Make `gen` the active generation (after checking it is complete, that the index still is where it
        was when `gen` began and that this store still holds the lease), then drop the previous one."""
        try:
            old = self.version()
            if old != gen.base:  # compare-and-swap: the lease makes this impossible, unless it was lost
                raise StoreError(f"The index changed while {gen.name} was written (it was {gen.base}, now {old}: "
                                 "another writer activated a generation) — nothing was lost; run the ingest again")
            if not self.lease.held:
                raise LeaseLost(f"{gen.name} was written without holding the writer lease (it was released or "
                                "ran out) — not activated; run the ingest again")
            self.lease.keep_alive(force=True)
            count = self._write("checking the new generation", gen.collection.count)
            if count != gen.expected:
                raise StoreError(f"Generation {gen.name} holds {count} chunks, expected {gen.expected}; not activated")
            records = [doc_to_record(gen.name, info) for info in gen.docs.values()]
            for start in range(0, len(records), self.max_batch):
                part = records[start:start + self.max_batch]
                self._write("recording documents", lambda part=part: self._meta().upsert(
                    ids=[r[0] for r in part], embeddings=[[1.0]] * len(part), metadatas=[r[1] for r in part]))
            pointer = {"collection": gen.name, "embedder": gen.embedder_id, "dim": gen.dim,
                       "chunking": gen.chunking, "activated": time.time()}
            self._write("switching to the new generation",
                        lambda: self._meta().upsert(ids=[POINTER], embeddings=[[1.0]], metadatas=[pointer]))
            self._chunks = None
            if old and old != gen.name:
                try:
                    self.clean_dead()
                except StoreError as exc:  # harmless: it is retried at the next ingest
                    log.warning("Could not delete the previous generation %s yet: %s", old, exc)
                else:
                    self.reclaim()
        finally:
            self._done_with(gen)
