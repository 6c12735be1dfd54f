"""Simpler pipelines run on the same questions, judged by the same code as citeqa (span rule for retrieval and
citations, key facts for answers). Each one answers with the sentence rule of ``eval.naive`` (the top
passage's sentence sharing most question words; never refuses), so every baseline has answer figures too.

0. ``naive``: jieba BM25 over the documents' blank-line paragraphs (no cleaning, no chunking).
1. ``langchain-bm25``: the langchain tutorial pipeline — ``RecursiveCharacterTextSplitter(chunk_size=500,
   chunk_overlap=50, add_start_index=True)`` over the raw documents, then Okapi BM25 on whitespace tokens
   (``str.split()``, the default of langchain's ``BM25Retriever``). Chinese has no spaces, so a "token" is a
   whole line: it cannot match Chinese questions — that is what it shows.
2. ``jieba-bm25``: citeqa's own chunks and its jieba BM25 index only (no fusion, no rerank, no refusal).
3. ``dense``: citeqa's chunks, dense search only with the configured embedding model (skipped, with the
   reason, when no model is loaded).

Each baseline answers ``rank(question, k) -> list[(Span, text)]`` (ranked source passages). Follow-up questions are
passed as asked (no history): these pipelines have no conversation handling.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from eval.relevance import Span


class Baseline(ABC):
    name: str = ""
    notice: str = ""
    units: list[Span]  # every span it can return (its splits or chunks): the recall@1 ceiling is over these

    @abstractmethod
    def rank(self, question: str, k: int) -> list[tuple[Span, str]]:
        """Ranked source passages (span, text), best first."""

    def search(self, question: str, k: int) -> list[Span]:
        """Ranked source spans, best first."""
        return [span for span, _ in self.rank(question, k)]


class OkapiBM25:
    """Plain Okapi BM25 (k1=1.5, b=0.75, Lucene idf) over pre-tokenised documents."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tf = [Counter(d) for d in docs]
        self.len = [len(d) for d in docs]
        self.avg = (sum(self.len) / len(self.len)) if self.len else 0.0
        df: Counter[str] = Counter()
        for counts in self.tf:
            df.update(counts.keys())
        n = len(docs)
        self.idf = {t: math.log((n - f + 0.5) / (f + 0.5) + 1.0) for t, f in df.items()}

    def scores(self, query: Sequence[str]) -> list[float]:
        out = []
        for counts, length in zip(self.tf, self.len, strict=True):
            s = 0.0
            norm = self.k1 * (1 - self.b + self.b * length / self.avg) if self.avg else self.k1
            for t in query:
                f = counts.get(t)
                if f:
                    s += self.idf[t] * f * (self.k1 + 1) / (f + norm)
            out.append(s)
        return out

    def top(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Indices and scores of the best ``k`` documents with a positive score."""
        ranked = sorted(enumerate(self.scores(query)), key=lambda p: (-p[1], p[0]))
        return [(i, s) for i, s in ranked[:k] if s > 0]


class LangchainBM25(Baseline):
    name = "langchain-bm25"

    def __init__(self, raws: Mapping[str, str], chunk_size: int = 500, chunk_overlap: int = 50) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap,
                                                  add_start_index=True)
        names = sorted(raws)
        splits = splitter.create_documents([raws[n] for n in names], metadatas=[{"doc": n} for n in names])
        self.spans = [Span(d.metadata["doc"], d.metadata["start_index"],
                           d.metadata["start_index"] + len(d.page_content)) for d in splits]
        self.units = self.spans
        self.texts = [d.page_content for d in splits]
        self.bm25 = OkapiBM25([t.lower().split() for t in self.texts])
        self.notice = (f"{len(splits)} splits of {chunk_size} chars (overlap {chunk_overlap}); BM25 on whitespace "
                       "tokens — Chinese text has no spaces, so Chinese questions rarely match anything")

    def rank(self, question: str, k: int) -> list[tuple[Span, str]]:
        return [(self.spans[i], self.texts[i]) for i, _ in self.bm25.top(question.lower().split(), k)]


class NaiveParagraphs(Baseline):
    name = "naive"

    def __init__(self, raws: Mapping[str, str]) -> None:
        from eval.naive import paragraph_units
        from rag.index.lexical import tokenize

        units = paragraph_units(raws)
        self.units = [span for span, _ in units]
        self.texts = [text for _, text in units]
        self.bm25 = OkapiBM25([tokenize(t) for t in self.texts])
        self.notice = (f"{len(units)} blank-line paragraphs (headings left out), jieba BM25; answer = the top paragraph's sentence "
                       "sharing most question words; never refuses")

    def rank(self, question: str, k: int) -> list[tuple[Span, str]]:
        from rag.index.lexical import tokenize

        return [(self.units[i], self.texts[i]) for i, _ in self.bm25.top(tokenize(question), k)]


def _span(chunk: Any) -> Span:
    return Span(chunk.doc, chunk.char_start, chunk.char_end)


class JiebaBM25(Baseline):
    name = "jieba-bm25"

    def __init__(self, chunks: Sequence[Any]) -> None:
        from rag.index.lexical import LexicalIndex

        self.index = LexicalIndex.build(list(chunks))
        self.units = [_span(c) for c in chunks]
        self.notice = f"citeqa's {len(chunks)} chunks, jieba BM25 alone (no fusion, rerank or refusal)"

    def rank(self, question: str, k: int) -> list[tuple[Span, str]]:
        return [(_span(chunk), chunk.text) for chunk, _ in self.index.search(question, k)]


class DenseOnly(Baseline):
    name = "dense"

    def __init__(self, store: Any, embedder: Any) -> None:
        self.store, self.embedder = store, embedder
        self.units = [_span(c) for c in store.chunks()]
        self.notice = f"citeqa's chunks, dense search alone with {embedder.name}"

    def rank(self, question: str, k: int) -> list[tuple[Span, str]]:
        return [(_span(chunk), chunk.text)
                for chunk, _ in self.store.dense_search(self.embedder.embed_query(question), k)]


def build_baselines(raws: Mapping[str, str], chunks: Sequence[Any], store: Any = None,
                    embedder: Any = None) -> tuple[list[Baseline], list[str]]:
    """The baselines this machine can run, and a notice for each one it cannot."""
    out: list[Baseline] = [NaiveParagraphs(raws)]
    notices = []
    if embedder is not None and store is not None:
        out.append(DenseOnly(store, embedder))
    else:
        notices.append("dense baseline skipped: no embedding model loaded, so citeqa ran lexical-only "
                       "(set CITEQA_EMBED_MODEL to a local model to run it)")
    return out + [JiebaBM25(chunks), LangchainBM25(raws)], notices
