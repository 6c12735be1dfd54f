"""Hybrid retrieval: BM25 over jieba tokens and dense search (Chroma), fused by weighted reciprocal rank
fusion, optionally reranked by a cross-encoder.

Dense search runs only when an embedder is loaded and the index was built with that same embedder
(``store.dense_ready``); otherwise retrieval is lexical-only and ``mode`` says so. Weights are per
question language: an English question over Chinese text gets little from keywords
(``lexical_weight_en``) and relies on the multilingual embedding. The dense weight is scaled by how well the
model retrieves the corpus's own text in that language (``rag.index.reliability``): a model that cannot read
Chinese leaves Chinese questions to BM25 (dense scores are still recorded in ``Passage.scores``).
With a ``translator`` (``rag.translate``), the lexical side of an English question searches the Chinese
renderings of its words (``LexicalIndex.search_groups``) instead of its English words.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rag.index.fusion import rrf
from rag.settings import Settings
from rag.types import Chunk, Passage


class Retriever(ABC):
    mode: str = "lexical"

    @abstractmethod
    def retrieve(self, query: str, k: int, lang: str) -> list[Passage]:
        """The ``k`` best passages for ``query``, numbered n = 1..k (best first)."""


def number(passages: list[Passage]) -> list[Passage]:
    for i, p in enumerate(passages, start=1):
        p.n = p.rank = i
    return passages


class HybridRetriever(Retriever):
    def __init__(self, store: Any, lexical: Any, embedder: Any, settings: Settings, reranker: Any = None,
                 reliability: Any = None, translator: Any = None) -> None:
        self.translator = translator  # rag.translate.Translator | None: English questions' lexical side
        self.store = store
        self.reliability = reliability  # rag.index.reliability.Reliability | None (None: weights as configured)
        self.lexical = lexical
        self.settings = settings
        self.reranker = reranker
        self.embedder = embedder if embedder is not None and store.dense_ready(embedder) else None

    @property
    def mode(self) -> str:  # type: ignore[override]
        return "hybrid" if self.embedder is not None else "lexical"

    def weights(self, lang: str) -> tuple[float, float]:
        """(lexical, dense) fusion weights for a question in ``lang``: the settings', dense scaled by reliability."""
        s = self.settings
        w_lex, w_dense = (s.lexical_weight_en, s.dense_weight_en) if lang == "en" else (s.lexical_weight_zh,
                                                                                        s.dense_weight_zh)
        return w_lex, w_dense * (self.reliability.scale(lang) if self.reliability is not None else 1.0)

    def retrieve(self, query: str, k: int, lang: str) -> list[Passage]:
        n = max(self.settings.candidates, k)
        translation = self.translator.translate(query) if self.translator is not None and lang == "en" else None
        if translation is not None and translation.found:  # English over Chinese text: the dictionary's terms
            lexical = self.lexical.search_groups(self.translator.query(query), n)
        else:
            lexical = self.lexical.search(query, n)
        dense = self.store.dense_search(self.embedder.embed_query(query), n) if self.embedder is not None else []
        w_lex, w_dense = self.weights(lang)
        use_dense = self.embedder is not None and w_dense > 0  # at weight 0 its scores are kept, not fused
        chunks: dict[str, Chunk] = {}
        scores: dict[str, dict[str, float]] = {}
        for name, hits in (("bm25", lexical), ("dense", dense)):
            for chunk, score in hits:
                chunks.setdefault(chunk.id, chunk)
                scores.setdefault(chunk.id, {})[name] = float(score)
        rankings = [[c.id for c, _ in lexical]] + ([[c.id for c, _ in dense]] if use_dense else [])
        weights = [w_lex] + ([w_dense] if use_dense else [])
        fused = rrf(rankings, weights, self.settings.rrf_k)
        passages = [Passage(chunks[cid], score, scores={**scores[cid], "rrf": score}) for cid, score in fused]
        if self.reranker is not None and passages:
            top = self.settings.rerank_top
            passages = self.reranker.rerank(query, passages[:top]) + passages[top:]
        return number(passages[:k])
