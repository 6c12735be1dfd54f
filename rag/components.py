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
from rag.terms import TermStats

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
    reliability: Any = None  # rag.index.reliability.Reliability of the dense model on this index (None: no dense)
    translator: Any = None  # rag.translate.Translator: English questions over the text, by dictionary
    pinned: bool = False  # a snapshot served by rag.live.LiveComponents: `refresh` leaves it as it is

    @property
    def mode(self) -> str:
        return self.retriever.mode


def lexical_cache(settings: Settings) -> Path:
    return Path(settings.index_dir) / "bm25"


def probe_cache(settings: Settings) -> Path:
    return Path(settings.index_dir) / "probe"


def _reliability(settings: Settings, store: Any, dense: Any) -> Any:
    """The dense model's self-retrieval per language on this index (None without dense search)."""
    from rag.index.reliability import load_reliability

    return load_reliability(store, dense, probe_cache(settings)) if dense is not None else None


def dictionary_cache(settings: Settings) -> Path:
    return Path(settings.index_dir) / "dictionary"


def _translator(settings: Settings, stats: TermStats, previous: Any = None) -> Any:
    """The translator over these term statistics; the dictionary of `previous` is kept (it does not depend on
    the index, and loading it takes seconds)."""
    from rag.translate import Translator, load_translator

    if previous is not None:
        return Translator(stats, previous.reverse, previous.glossary, cache_dir=dictionary_cache(settings))
    return load_translator(stats, dictionary_cache(settings))


def _notice(reliability: Any) -> str:
    return reliability.notice() if reliability is not None else ""


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
    retriever = HybridRetriever(store, lexical, embedder, settings, rerank.reranker)
    dense = retriever.embedder
    retriever.reliability = reliability = _reliability(settings, store, dense)
    if _notice(reliability):
        notices.append(_notice(reliability))
    stats = TermStats.from_texts(c.text for c in lexical.chunks)
    retriever.translator = translator = _translator(settings, stats)
    extractive = ExtractiveAnswerer(stats, settings.max_answer_sentences, dense, translator)
    answerer = _answerer(settings, extractive, notices)
    return Components(settings, store, embedder, lexical, retriever, answerer, notices, stats, extractive,
                      rerank.reranker, store.version(), reliability, translator)


def rebuild(c: Components) -> Components:
    """Components for the store's current version: BM25, term statistics, the dense model's reliability on
    this index, the translator and the extractive answerer built again. `c` is not touched, so requests
    running on it finish on it."""
    from rag.index.lexical import load_lexical

    version = c.store.version()
    lexical = load_lexical(c.store, lexical_cache(c.settings))
    retriever = HybridRetriever(c.store, lexical, c.embedder, c.settings, c.reranker)
    retriever.reliability = reliability = _reliability(c.settings, c.store, retriever.embedder)
    old = _notice(c.reliability)
    notices = [n for n in c.notices if n != old] + ([_notice(reliability)] if _notice(reliability) else [])
    stats = TermStats.from_texts(ch.text for ch in lexical.chunks)
    retriever.translator = translator = _translator(c.settings, stats, c.translator)
    extractive = ExtractiveAnswerer(stats, c.settings.max_answer_sentences, retriever.embedder, translator)
    answerer = extractive if c.answerer is c.extractive else c.answerer
    return replace(c, lexical=lexical, retriever=retriever, answerer=answerer, notices=notices, stats=stats,
                   extractive=extractive, version=version, reliability=reliability, translator=translator)


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
