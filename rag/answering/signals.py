"""What the features are computed from, per index version: term weights (IDF over the indexed chunks)
and a cache of embedding vectors keyed by text, so a sentence is embedded once however often it is a
candidate; per-token vectors of questions and passages, and their alignment (MaxSim: each question token's
best match among a text's tokens, averaged), which finds the words of an English question in Chinese text.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import numpy as np

from rag.index.embed import TokenVectors
from rag.index.lexical import normalise, tokenize


class Embedder(Protocol):
    """The part of ``rag.index.embed.Embedder`` the answer side uses."""

    def embed_query(self, text: str) -> list[float]: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_tokens(self, texts: list[str], query: bool = False) -> list[TokenVectors] | None: ...

    @property
    def id(self) -> str: ...


def matching_form(text: str) -> str:
    """NFKC, lower case, digit groups joined, no whitespace: how renderings are compared with text."""
    return re.sub(r"\s+", "", normalise(text))


def rendered_coverage(groups: Sequence[Sequence[tuple[str, float]]], text: str) -> float:
    """Share of a translated question's concepts (groups of renderings) of which ``text`` holds a rendering."""
    if not groups:
        return 0.0
    form = matching_form(text)
    return sum(1 for alts in groups if any(a and a in form for a, _ in alts)) / len(groups)


class TermWeights:
    """Inverse document frequency of search tokens over the indexed chunks."""

    def __init__(self, texts: Iterable[str]) -> None:
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            n += 1
            df.update(set(tokenize(text)))
        self.n = n
        self.df = df

    def idf(self, token: str) -> float:
        return math.log(1 + (self.n + 1) / (self.df.get(token, 0) + 0.5))

    def weighted(self, text: str) -> dict[str, float]:
        return {t: self.idf(t) for t in set(tokenize(text))}

    def asked(self, content: str) -> dict[str, float]:
        """The weighted words of what a question asks (``rag.answering.question.content``): words only,
        matched against a text's words and character pairs."""
        return {t: self.idf(t) for t in set(tokenize(content, bigrams=False))}


def rarest_missing(asked: dict[str, float], text_tokens: set[str], weights: TermWeights) -> float:
    """The weight of the rarest asked token (one the index knows) that ``text_tokens`` lacks, relative to the
    rarest asked token: 1.0 when the most specific thing asked is missing, 0.0 when nothing known is."""
    known = {t: w for t, w in asked.items() if weights.df.get(t, 0) > 0}
    if not known:
        return 0.0
    missing = [w for t, w in known.items() if t not in text_tokens]
    return max(missing, default=0.0) / max(known.values())


def unknown_share(asked: dict[str, float], weights: TermWeights) -> float:
    """Share of the asked tokens' weight that no indexed chunk holds."""
    total = sum(asked.values())
    return sum(w for t, w in asked.items() if weights.df.get(t, 0) == 0) / total if total else 0.0


def coverage(asked: dict[str, float], text_tokens: set[str]) -> float:
    """Share of the asked tokens' weight that ``text_tokens`` holds (0 when nothing is asked)."""
    total = sum(asked.values())
    return sum(w for t, w in asked.items() if t in text_tokens) / total if total else 0.0


def token_matches(query: np.ndarray, text: np.ndarray) -> np.ndarray:
    """Per query token vector, the best cosine with any of ``text``'s (rows: unit vectors); zeros when ``text``
    has none."""
    if not len(query) or not len(text):
        return np.zeros(len(query))
    return (query.astype(np.float32) @ text.astype(np.float32).T).max(axis=1)


def alignment(query: np.ndarray, text: np.ndarray) -> tuple[float, float]:
    """How well ``text``'s tokens match the query's: the mean of ``token_matches``, and the mean of its lowest
    third (what is least found: a name or figure the text lacks); 0.0 when either has no tokens."""
    best = np.sort(token_matches(query, text))
    if not len(best) or not len(text):
        return 0.0, 0.0
    return float(best.mean()), float(best[:max(1, len(best) // 3)].mean())


def span_rows(tokens: TokenVectors, start: int, end: int) -> np.ndarray:
    """The token vectors whose characters fall in ``[start, end)`` of the text."""
    inside = (tokens.spans[:, 1] > start) & (tokens.spans[:, 0] < end)
    return tokens.vectors[inside]


TOKEN_CACHE = 1024  # texts whose token vectors are kept (~150 KB each)


class Vectors:
    """Embeddings and per-token vectors by text, cached (LRU) and thread-safe; None-safe when there is no
    embedder."""

    def __init__(self, embedder: Embedder | None, size: int = 50_000) -> None:
        self.embedder = embedder
        self.size = size
        self._docs: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._tokens: dict[bool, OrderedDict[str, TokenVectors | None]] = {True: OrderedDict(), False: OrderedDict()}
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.embedder is not None

    @property
    def embedder_id(self) -> str:
        return self.embedder.id if self.embedder is not None else ""

    def _cached(self, cache: OrderedDict, texts: Sequence[str], compute: Callable[[list[str]], Sequence],
                size: int) -> list:
        """``texts``' values from ``cache``; the missing ones computed in one batch and remembered (LRU)."""
        with self._lock:
            found = {t: cache[t] for t in texts if t in cache}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            got = compute(missing)
            with self._lock:
                for t, value in zip(missing, got, strict=True):
                    found[t] = cache[t] = value
                    cache.move_to_end(t)
                while len(cache) > size:
                    cache.popitem(last=False)
        return [found[t] for t in texts]

    def query(self, text: str) -> np.ndarray:
        embedder = self.embedder
        if embedder is None:
            return np.zeros(1, dtype=np.float32)
        return self._cached(self._queries, [text],
                            lambda m: [np.asarray(embedder.embed_query(m[0]), dtype=np.float32)], self.size)[0]

    def documents(self, texts: Sequence[str]) -> np.ndarray:
        embedder = self.embedder
        if embedder is None:
            return np.zeros((len(texts), 1), dtype=np.float32)
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack(self._cached(self._docs, texts,
                                     lambda m: np.asarray(embedder.embed_documents(m), dtype=np.float32), self.size))

    def tokens(self, texts: Sequence[str], query: bool = False) -> list[TokenVectors | None]:
        """Per-token vectors of ``texts`` (None each when the embedder cannot give them), cached by text."""
        embedder = self.embedder
        if embedder is None:
            return [None] * len(texts)
        return self._cached(self._tokens[query], texts,
                            lambda m: embedder.embed_tokens(m, query) or [None] * len(m), TOKEN_CACHE)
