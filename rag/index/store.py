"""The chunk store: Chroma holds every chunk's text, metadata and embedding (the source of truth).

Atomic generations: a write goes to a NEW collection ``{collection}-g{N}``; unchanged documents are copied
with their stored vectors, new ones added, then the active pointer (a record in ``{collection}-meta``, shared
by every app instance on one Chroma server) flips to it and the old generation is deleted. A crash at any
point leaves the pointer on the previous, complete generation; dead generations are removed at the next write.
Writers take the writer lease first (`rag.index.lease`): one ingest writes at a time — across threads, processes and
app instances on one server — and cleanup never deletes the generation a live writer is writing. The writing
half lives in `rag.index.generation`; readers never wait.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rag.index.generation import POINTER, Generation, GenerationWriter
from rag.index.generation import first_line as _first_line
from rag.index.lease import IndexBusy, LeaseLost, WriterLease
from rag.index.store_records import (
    DocInfo,
    IndexWriteError,
    StoreError,
    StoreUnavailable,
    chunk_from_record,
    doc_from_record,
)
from rag.settings import Settings
from rag.types import Chunk

__all__ = ["ChunkStore", "DocInfo", "Generation", "IndexBusy", "IndexWriteError", "LeaseLost", "StoreError",
           "StoreUnavailable", "LEXICAL_EMBEDDER"]

log = logging.getLogger(__name__)
LEXICAL_EMBEDDER = "none"  # embedder id of an index built without embeddings (1-d constant vectors)
T = TypeVar("T")


class ChunkStore(GenerationWriter):
    def __init__(self, client: Any, settings: Settings, where: str) -> None:
        self.client = client
        self.prefix = settings.collection
        self.where = where  # the index folder or server URL, for messages
        self.remote = bool(settings.chroma_url)
        self.max_batch = int(client.get_max_batch_size())
        self.lease = WriterLease(self, settings.write_lease_s, settings.write_wait_s)
        self._meta_col: Any = None
        self._active: tuple[str, Any] | None = None
        self._chunks: tuple[str, list[Chunk]] | None = None

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, settings: Settings) -> ChunkStore:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if settings.chroma_url:
            from rag.index.remote import connect, unavailable

            client = connect(settings.chroma_url, settings.chroma_timeout_s, chroma_settings)
            try:
                return cls(client, settings, settings.chroma_url)
            except Exception as exc:  # the server stopped answering between the heartbeat and here
                raise unavailable(settings.chroma_url, _first_line(exc)) from exc
        path = Path(settings.index_dir) / "chroma"
        try:
            path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        except Exception as exc:
            raise IndexWriteError(f"Cannot open the index at {path} ({_first_line(exc)}) — make the folder "
                                  "writable or set CITEQA_INDEX_DIR to one that is") from exc
        return cls(client, settings, str(path))

    def _meta(self) -> Any:
        if self._meta_col is None:
            self._meta_col = self.client.get_or_create_collection(
                f"{self.prefix}-meta", embedding_function=None, metadata={"role": "citeqa-meta"})
        return self._meta_col

    def _meta_get(self, ids: list[str]) -> list[dict[str, Any]]:
        """These records of the meta collection (a server gone away is one clear `StoreUnavailable`)."""
        try:
            got = self._meta().get(ids=ids, include=["metadatas"])
        except Exception as exc:
            if not self.remote:
                raise
            raise StoreUnavailable(f"Chroma server at {self.where} stopped answering ({_first_line(exc)}) — "
                                   "restart it (`chroma run …`) or unset CITEQA_CHROMA_URL") from exc
        return [dict(m or {}) for m in got["metadatas"]]

    def _pointer(self) -> dict[str, Any] | None:
        """The active-generation record (every read starts here, so a server gone away is noticed here)."""
        got = self._meta_get([POINTER])
        return got[0] if got else None

    def _collection(self, name: str) -> Any:
        active = self._active  # read once: another thread may reset it (the app answers in threads)
        if active is None or active[0] != name:
            active = (name, self.client.get_collection(name, embedding_function=None))
            self._active = active
        return active[1]

    def _read(self, op: Callable[[Any], T], empty: T) -> T:
        """Run `op` on the active collection; once more if another instance swapped generations meanwhile."""
        from chromadb.errors import NotFoundError

        for attempt in (0, 1):
            pointer = self._pointer()
            if pointer is None:
                return empty
            try:
                return op(self._collection(str(pointer["collection"])))
            except NotFoundError:
                self._active = None
                if attempt:
                    raise
        return empty

    # ------------------------------------------------------------------ reading
    def version(self) -> str | None:
        """Name of the active generation; changes whenever the index changes. None when nothing is indexed."""
        pointer = self._pointer()
        return str(pointer["collection"]) if pointer else None

    def embedder_id(self) -> str:
        """The embedder the active generation was built with ("none" for lexical-only or an empty index)."""
        pointer = self._pointer()
        return str(pointer.get("embedder", LEXICAL_EMBEDDER)) if pointer else LEXICAL_EMBEDDER

    def dim(self) -> int:
        pointer = self._pointer()
        return int(pointer.get("dim", 1)) if pointer else 0

    def chunking(self) -> str:
        """How the active generation's chunks were cut (as given to `begin`); "" when unknown or empty."""
        pointer = self._pointer()
        return str(pointer.get("chunking", "")) if pointer else ""

    def dense_ready(self, embedder: Any) -> bool:
        """True when `embedder` produced this index's vectors, so `dense_search` with its queries is meaningful."""
        return embedder is not None and self.version() is not None and self.embedder_id() == embedder.id

    def count(self) -> int:
        return self._read(lambda col: int(col.count()), 0)

    def _get_all(self, col: Any, **kwargs: Any) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
        include = kwargs.pop("include", ["documents", "metadatas"])
        offset = 0
        while True:
            got = col.get(include=include, limit=self.max_batch, offset=offset, **kwargs)
            for key in out:
                values = got.get(key)
                if values is not None:
                    out[key].extend(list(values))
            if len(got["ids"]) < self.max_batch:
                return out
            offset += self.max_batch

    def chunks(self) -> list[Chunk]:
        """Every chunk of the active generation, in document / offset order (cached per version)."""
        version = self.version()
        if version is None:
            return []
        cached = self._chunks  # read once: thread-safe without a lock (a race costs one extra read)
        if cached is None or cached[0] != version:
            got = self._read(self._get_all, {"ids": [], "documents": [], "metadatas": []})
            chunks = [chunk_from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"],
                                                                     strict=True)]
            chunks.sort(key=lambda c: (c.doc, c.char_start, c.part, c.id))
            cached = (version, chunks)
            self._chunks = cached
        return list(cached[1])

    def vectors(self) -> dict[str, list[float]]:
        """Every chunk's stored vector by id, for the active generation ({} when empty)."""
        if self.version() is None:
            return {}
        got = self._read(lambda col: self._get_all(col, include=["embeddings"]), {"ids": [], "embeddings": []})
        return {i: [float(x) for x in v] for i, v in zip(got["ids"], got["embeddings"], strict=True)}

    def get(self, ids: list[str]) -> list[Chunk]:
        """The chunks with these ids, in the order asked (unknown ids are left out)."""
        if not ids:
            return []
        got = self._read(lambda col: col.get(ids=list(ids), include=["documents", "metadatas"]),
                         {"ids": [], "documents": [], "metadatas": []})
        found = {i: chunk_from_record(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"],
                                                                   strict=True)}
        return [found[i] for i in ids if i in found]

    def documents(self) -> list[DocInfo]:
        version = self.version()
        if version is None:
            return []
        got = self._meta().get(where={"gen": version}, include=["metadatas"])
        return sorted((doc_from_record(m) for m in got["metadatas"]), key=lambda d: d.doc)

    def doc_hashes(self) -> dict[str, str]:
        return {d.doc: d.sha256 for d in self.documents()}

    def dense_search(self, vector: list[float], k: int) -> list[tuple[Chunk, float]]:
        """The k chunks nearest to `vector` with their cosine similarity, best first."""
        pointer = self._pointer()
        if pointer is None or k <= 0:
            return []
        if len(vector) != int(pointer.get("dim", 1)):
            raise StoreError(f"Query vector has {len(vector)} dimensions, the index {pointer.get('dim')} (built "
                             f"with '{pointer.get('embedder')}') — re-run `citeqa ingest` with the configured embedder")

        def query(col: Any) -> list[tuple[Chunk, float]]:
            n = min(k, col.count())
            if n == 0:
                return []
            got = col.query(query_embeddings=[list(vector)], n_results=n,
                            include=["documents", "metadatas", "distances"])
            rows = zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0], strict=True)
            return [(chunk_from_record(i, d, m), 1.0 - float(dist)) for i, d, m, dist in rows]

        return self._read(query, [])
