"""Hybrid retrieval: candidate rankings (BM25 over jieba tokens, dense search in Chroma, and for English
questions BM25 over the question's dictionary translation), fused by weighted reciprocal rank fusion with
weights per question language (``rag.params.FusionParams``, calibrated by ``eval/calibrate_fusion.py``),
optionally reranked by a cross-encoder.

Dense search runs only when an embedder is loaded and the index was built with that same embedder
(``store.dense_ready``); otherwise retrieval is lexical-only and ``mode`` says so. Footnotes and chunks that
hold nothing but URLs or numbers are kept out of dense search (``dense_eligible``): in embedding space they sit
close to every short English question. They stay in BM25 and are shown as footnotes. With a sentence index
(``rag.index.sentvec``) a chunk's dense score also counts its best sentence.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from rag.index.fusion import rrf
from rag.params import DenseParams, FusionParams, load_params
from rag.settings import Settings
from rag.types import Chunk, Passage

if TYPE_CHECKING:  # the concrete parts, named for the types only: importing them loads Chroma and the models
    from rag.index.embed import Embedder
    from rag.index.lexical import LexicalIndex
    from rag.index.rerank import Reranker
    from rag.index.sentvec import DenseIndex
    from rag.index.store import ChunkStore

_URL = re.compile(r"(?:https?://|www\.)[!-~]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", re.IGNORECASE)


class Retriever(ABC):
    mode: str = "lexical"

    @property
    def label(self) -> str:
        """The mode as users read it (a retriever with a model names it)."""
        return "hybrid" if self.mode == "hybrid" else "lexical-only (BM25)"

    @abstractmethod
    def retrieve(self, query: str, k: int, lang: str) -> list[Passage]:
        """The ``k`` best passages for ``query``, numbered n = 1..k (best first)."""


class Translator(Protocol):
    """English question → Chinese query terms (``rag.index.translate``): groups of (rendering, confidence)."""

    def query(self, question: str) -> list[tuple[tuple[str, float], ...]]: ...

    def probe(self, question: str) -> str:
        """The question as a multilingual embedder should read it (with its concepts' renderings)."""
        ...


def number(passages: list[Passage]) -> list[Passage]:
    for i, p in enumerate(passages, start=1):
        p.n = p.rank = i
    return passages


def dense_eligible(chunk: Chunk) -> bool:
    """A body chunk with some words once URLs and e-mail addresses are taken out."""
    return chunk.kind == "body" and any(ch.isalpha() for ch in _URL.sub("", chunk.text))


def fuse(lists: Mapping[str, Sequence[str]], lang: str, fusion: FusionParams) -> list[tuple[str, float]]:
    """Weighted RRF of the named candidate lists (chunk ids, best first) for a question in ``lang``; a list
    with weight 0 is left out."""
    weights = fusion.weights(lang)
    names = [name for name in lists if weights.get(name, 0.0) > 0]
    return rrf([lists[n] for n in names], [weights[n] for n in names], fusion.rrf_k(lang))


class HybridRetriever(Retriever):
    def __init__(self, store: ChunkStore, lexical: LexicalIndex, embedder: Embedder | None, settings: Settings,
                 reranker: Reranker | None = None, translator: Translator | None = None,
                 fusion: FusionParams | None = None, dense_index: DenseIndex | None = None,
                 dense: DenseParams | None = None) -> None:
        self.store = store
        self.lexical = lexical
        self.settings = settings
        self.reranker = reranker
        self.translator = translator
        self.fusion = fusion if fusion is not None else load_params().fusion
        self.dense = dense if dense is not None else load_params().dense
        self.dense_index = dense_index  # None: chunk vectors via Chroma
        self.embedder = embedder if embedder is not None and store.dense_ready(embedder) else None
        chunks = getattr(lexical, "chunks", [])
        self._excluded = sum(not dense_eligible(c) for c in chunks)  # over-fetched, then dropped
        self._by_id = {c.id: c for c in chunks}

    @property
    def mode(self) -> str:  # type: ignore[override]
        return "hybrid" if self.embedder is not None else "lexical"

    @property
    def label(self) -> str:
        """The mode as users read it: "hybrid · multilingual-e5-small (bundled, 4-bit)" or "lexical-only (BM25)"."""
        from rag.index.embed import model_label

        return f"hybrid · {model_label(self.embedder.name)}" if self.embedder is not None else "lexical-only (BM25)"

    def rankings(self, query: str, lang: str, n: int,
                 vector: Sequence[float] | None = None) -> dict[str, list[tuple[Chunk, float]]]:
        """Each candidate list with its scores, best first: "bm25", "dense" (when hybrid) and, for an English
        question with a translator and a translated weight, "translated". ``vector``: the query's embedding when
        already computed (a batch of questions)."""
        out = {"bm25": self.lexical.search(query, n)}
        if lang == "en" and self.translator is not None and self.fusion.translated_weight_en > 0:
            groups = self.translator.query(query)
            out["translated"] = self.lexical.search_groups(groups, n) if groups else []
        if self.embedder is not None:
            vector = self.embedder.embed_query(query) if vector is None else vector
            if self.dense_index is not None:  # chunk and best-sentence similarity (rag.index.sentvec)
                found = self.dense_index.search(vector, n, self.dense.sentence_weight(lang))
                out["dense"] = [(self._by_id[cid], s) for cid, s in found if cid in self._by_id]
            else:
                hits = self.store.dense_search(list(vector), n + self._excluded)
                out["dense"] = [(c, s) for c, s in hits if dense_eligible(c)][:n]
        return out

    def retrieve(self, query: str, k: int, lang: str) -> list[Passage]:
        lists = self.rankings(query, lang, max(self.settings.candidates, k))
        chunks: dict[str, Chunk] = {}
        scores: dict[str, dict[str, float]] = {}
        for name, hits in lists.items():
            for chunk, score in hits:
                chunks.setdefault(chunk.id, chunk)
                scores.setdefault(chunk.id, {})[name] = float(score)
        fused = fuse({name: [c.id for c, _ in hits] for name, hits in lists.items()}, lang, self.fusion)
        passages = [Passage(chunks[cid], score, scores={**scores[cid], "rrf": score}) for cid, score in fused]
        if self.reranker is not None and passages:
            top = self.settings.rerank_top
            passages = self.reranker.rerank(query, passages[:top]) + passages[top:]
        return number(passages[:k])
