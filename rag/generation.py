"""A store generation being written (see `rag.store`): nothing in it is visible until it is activated."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rag.store_records import DocInfo, StoreError, chunk_to_record
from rag.types import Chunk

if TYPE_CHECKING:
    from rag.store import ChunkStore

log = logging.getLogger(__name__)


class Generation:
    """A generation being written. Nothing here is visible to readers until `ChunkStore.activate`."""

    def __init__(self, store: ChunkStore, collection: Any, name: str, embedder_id: str, dim: int) -> None:
        self.store, self.collection, self.name = store, collection, name
        self.embedder_id, self.dim = embedder_id, dim
        self.docs: dict[str, DocInfo] = {}
        self.expected = 0
        self.chunking = ""  # recorded with the pointer at activation

    def _add(self, ids: list[str], texts: list[str], metas: list[dict[str, Any]], vectors: list[Any]) -> None:
        step = self.store.max_batch
        for s in range(0, len(ids), step):
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
        """Drop this unfinished generation (best effort; `begin` removes leftovers anyway)."""
        try:
            self.store.client.delete_collection(self.name)
        except Exception as exc:  # the store may be the very thing that failed
            log.warning("Could not delete unfinished generation %s: %s", self.name, exc)
