"""Dense search that also reads sentences: a chunk scores by its own vector and by its best sentence's.

``score = (1 − w) · cos(query, chunk) + w · max over the chunk's sentences s of cos(query, s)``, with
``w = DenseParams.sentence_weight`` (``rag/data/params.json``, calibrated by ``eval/calibrate_fusion.py``). A
question usually asks about one sentence; a paragraph's single vector blurs it with its neighbours.

The index is derived from the store like the BM25 index: the chunk vectors are read from Chroma, the
sentences of every dense-eligible chunk (``rag.index.retrieve.dense_eligible``) are embedded with the
document prefix, and the arrays are cached on disk by store version + embedder id (rebuilt when stale).
Read-only once built: safe to search from many threads.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from rag.index.embed import Embedder
    from rag.index.store import ChunkStore
    from rag.types import Chunk

log = logging.getLogger(__name__)

MIN_SENTENCE = 4  # characters; shorter pieces ("(a)", "1.") say nothing on their own
BATCH = 64
_CLOSERS = "”’」』）)》〉】\"'"
_END = re.compile(rf"[。！？]+[{_CLOSERS}]*|[.!?]+[{_CLOSERS}]*(?=\s|$)")


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (Chinese terminators always end one; "." "!" "?" before whitespace or the
    end), stripped, at least ``MIN_SENTENCE`` characters."""
    out, start = [], 0
    for m in _END.finditer(text):
        out.append(text[start:m.end()])
        start = m.end()
    out.append(text[start:])
    return [s.strip() for s in out if len(s.strip()) >= MIN_SENTENCE]


@dataclass
class DenseIndex:
    ids: list[str]  # dense-eligible chunk ids
    chunks: np.ndarray  # (n, d) their stored unit vectors
    sentences: np.ndarray  # (m, d) unit vectors of their sentences
    owner: np.ndarray  # (m,) row in ``ids`` of each sentence

    def scores(self, query: Sequence[float], weight: float) -> np.ndarray:
        """The combined score of every chunk in ``ids`` order."""
        import numpy as np

        q = np.asarray(query, dtype=np.float32)
        own = self.chunks @ q
        best = own.copy()  # a chunk without sentences scores by its own vector
        if len(self.owner):
            per = np.full(len(self.ids), -np.inf, dtype=np.float32)
            np.maximum.at(per, self.owner, self.sentences @ q)
            best = np.where(np.isfinite(per), per, own)
        return (1.0 - weight) * own + weight * best

    def search(self, query: Sequence[float], k: int, weight: float) -> list[tuple[str, float]]:
        """The ``k`` best chunk ids with their combined scores, best first."""
        import numpy as np

        if not self.ids or k <= 0:
            return []
        scores = self.scores(query, weight)
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.ids[i], float(scores[i])) for i in top]


def build(store: ChunkStore, embedder: Embedder, eligible: Callable[[Chunk], bool],
          progress: Callable[[int, int], None] | None = None) -> DenseIndex:
    """Read the chunk vectors from the store and embed the eligible chunks' sentences."""
    import numpy as np

    vectors = store.vectors()
    chunks = [c for c in store.chunks() if eligible(c) and c.id in vectors]
    pieces: list[str] = []
    owner: list[int] = []
    for row, chunk in enumerate(chunks):
        for s in sentences(chunk.text):
            pieces.append(s)
            owner.append(row)
    embedded: list[list[float]] = []
    for start in range(0, len(pieces), BATCH):
        embedded += embedder.embed_documents(pieces[start:start + BATCH])
        if progress is not None:
            progress(min(start + BATCH, len(pieces)), len(pieces))
    dim = len(next(iter(vectors.values()))) if vectors else 0
    return DenseIndex([c.id for c in chunks], np.asarray([vectors[c.id] for c in chunks], np.float32).reshape(-1, dim),
                      np.asarray(embedded, np.float32).reshape(-1, dim), np.asarray(owner, np.int64))


def _key(store: ChunkStore, embedder: Embedder) -> str:
    return f"{store.version()}|{embedder.id}|{MIN_SENTENCE}"


def load_dense_index(store: ChunkStore, embedder: Embedder, cache_dir: Path, eligible: Callable[[Chunk], bool],
                     progress: Callable[[int, int], None] | None = None) -> DenseIndex | None:
    """The index for the store's current version and ``embedder``: from ``cache_dir`` when there, else built
    (and cached). None when the store is empty or building fails (dense search then uses the chunk vectors
    alone, through Chroma)."""
    import numpy as np

    if store.version() is None:
        return None
    key = _key(store, embedder)
    path = Path(cache_dir) / "dense.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) == key:
                return DenseIndex([str(i) for i in data["ids"]], data["chunks"], data["sentences"], data["owner"])
    except (OSError, KeyError, ValueError):
        pass
    try:
        index = build(store, embedder, eligible, progress)
    except Exception as exc:  # a derived speed-up: never the reason a question fails
        log.warning("sentence vectors not built (%s); dense search uses the chunk vectors alone", exc)
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".dense.{os.getpid()}.{threading.get_ident()}.npz")
        np.savez(tmp, key=np.asarray(key), ids=np.asarray(index.ids), chunks=index.chunks,
                 sentences=index.sentences, owner=index.owner)
        tmp.replace(path)
    except OSError as exc:
        log.warning("could not cache the sentence vectors in %s (%s)", path, exc)
    return index
