"""Optional cross-encoder reranking of the fused candidates (off unless ``settings.rerank_model``).

Loads like the embedder: a local directory, the local Hugging Face cache, or a download only when
allowed and the hub answers (``rag.index.hub.pull_model`` fails fast offline); otherwise a one-line notice
and answers come without reranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rag.settings import Settings
from rag.types import Passage


class Reranker:
    """Reorders passages by a sentence-transformers ``CrossEncoder``'s (query, passage) score."""

    def __init__(self, model: Any, name: str) -> None:
        self.model = model
        self.name = name

    @classmethod
    def load(cls, source: str, name: str, settings: Settings) -> Reranker:
        from sentence_transformers import CrossEncoder

        model = CrossEncoder(source, device=settings.embed_device, local_files_only=True,
                             cache_folder=str(settings.model_cache_dir) if settings.model_cache_dir else None)
        return cls(model, name)

    def rerank(self, query: str, passages: Sequence[Passage]) -> list[Passage]:
        if not passages:
            return []
        scores = self.model.predict([(query, p.chunk.text) for p in passages], show_progress_bar=False)
        rescored = [replace(p, scores={**p.scores, "rerank": float(s)}) for p, s in zip(passages, scores, strict=True)]
        return sorted(rescored, key=lambda p: -p.scores["rerank"])


@dataclass
class RerankerStatus:
    reranker: Reranker | None
    notice: str  # "" when off or loaded


def load_reranker(settings: Settings) -> RerankerStatus:
    """The configured reranker, or None with a notice saying why and what to do. Never raises."""
    from rag.index.hub import ModelUnavailable, cached_model_dir, pull_model

    name = (settings.rerank_model or "").strip()
    if not name or name.lower() in ("none", "off"):
        return RerankerStatus(None, "")
    local = Path(name).expanduser()
    source: Path | None = local.resolve() if local.is_dir() else cached_model_dir(name, settings.model_cache_dir)
    if source is None and settings.allow_download and not name.startswith((".", "/", "~")):
        try:
            source = pull_model(name, settings.model_cache_dir)
        except ModelUnavailable as exc:
            return RerankerStatus(None, f"Reranker not loaded: {exc} Answering without reranking.")
    if source is None:
        return RerankerStatus(None, f"Reranker '{name}' is not a local model folder nor in the model cache — set "
                                    "CITEQA_RERANK_MODEL to a local path, or unset it; answering without reranking.")
    try:
        return RerankerStatus(Reranker.load(str(source), name, settings), "")
    except Exception as exc:  # a broken model must not take the app down
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return RerankerStatus(None, f"Reranker '{name}' failed to load ({type(exc).__name__}: {first}); "
                                    "answering without reranking.")
