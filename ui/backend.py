"""What the chat needs from the core, behind one object: ask (with the UI's settings), status, document
list, passage context for the Sources panel, and uploads (staged into the corpus folder, then ingested).

A thin adapter: retrieval, answering and citation all happen in ``rag.chain``; this module only picks the
components a request runs with and reshapes results for display.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rag.components import Components
from rag.live import LiveComponents
from rag.settings import Settings
from rag.types import Answer, Chunk, Turn
from ui.context import by_document, doc_context
from ui.render import DocContext, Status
from ui.uploads import Staged, UploadRejected, stage_upload, unstage

log = logging.getLogger(__name__)
ProgressFn = Callable[[str, int, int], None]


def problem(exc: BaseException) -> str:
    """One line for the UI: a store error's own message (it names the server and the fix), otherwise the
    exception's type and the first line of its message."""
    from rag.index.store import StoreError

    text = (str(exc).strip().splitlines() or [""])[0]
    if isinstance(exc, StoreError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class UploadResult:
    added: list[str] = field(default_factory=list)  # file names newly indexed
    unchanged: list[str] = field(default_factory=list)  # identical to a file already in the corpus
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (name as uploaded, reason)

    def lines(self) -> list[str]:
        # words, not emoji: they render on machines without an emoji font
        out = [f"**已加入 / Added:** {n} — 已加入索引 / added to the index" for n in self.added]
        out += [f"**未变 / Unchanged:** {n} — 已在语料库中 / already in the corpus" for n in self.unchanged]
        out += [f"**未加入 / Not added:** {n} — {reason}" for n, reason in self.rejected]
        return out


class Backend:
    def __init__(self, settings: Settings, components: Components) -> None:
        self.settings = settings
        self.live = LiveComponents(components)  # follows the index off the request path (no stall at a swap)
        self._ingest_lock = threading.Lock()  # one upload ingest at a time
        self._docs: tuple[str | None, dict[str, list[Chunk]]] = ("", {})

    @property
    def components(self) -> Components:
        """The snapshot a new request runs with (see `rag.live`)."""
        return self.live.current

    # ------------------------------------------------------------------ asking
    def answerer_choices(self) -> list[str]:
        c = self.live.snapshot
        names = [c.answerer.name]
        if c.extractive is not None and c.extractive.name not in names:
            names.append(c.extractive.name)
        return names

    @property
    def has_reranker(self) -> bool:
        return self.live.snapshot.reranker is not None

    def for_request(self, answerer: str | None = None, rerank: bool | None = None) -> Components:
        """The current snapshot, or a shallow copy with the answerer / reranker the user picked."""
        c = self.components
        changes: dict[str, Any] = {}
        if answerer and answerer != c.answerer.name and c.extractive is not None and answerer == c.extractive.name:
            changes["answerer"] = c.extractive
        if rerank is False and c.reranker is not None:
            from rag.index.retrieve import HybridRetriever

            changes["retriever"] = HybridRetriever(c.store, c.lexical, c.embedder, c.settings, None, c.retriever.translator,
                                                   dense_index=c.retriever.dense_index)
        return replace(c, **changes) if changes else c

    def ask_stream(self, question: str, history: Sequence[Turn | dict[str, str]] = (), k: int | None = None,
                   answerer: str | None = None, rerank: bool | None = None) -> Iterator[Answer]:
        from rag.chain import ask_stream

        yield from ask_stream(question, self.for_request(answerer, rerank), list(history), k)

    def ask(self, question: str, history: Sequence[Turn | dict[str, str]] = (), k: int | None = None) -> Answer:
        from rag.chain import ask

        return ask(question, self.for_request(), list(history), k)

    # ------------------------------------------------------------------ showing
    def status(self) -> Status:
        """The status line's values; never raises: an index that cannot be read is ``Status.error``."""
        c = self.live.snapshot
        try:
            docs = c.store.documents()
        except Exception as exc:  # e.g. the Chroma server went away; the next call tries again
            log.warning("Cannot read the index for the status line: %s", problem(exc))
            return Status(c.mode, c.answerer.name, 0, 0, tuple(c.notices), error=problem(exc), label=c.retriever.label)
        return Status(c.mode, c.answerer.name, len(docs), sum(d.chunks for d in docs), tuple(c.notices),
                      label=c.retriever.label)

    def documents_view(self) -> tuple[list[list[Any]], str]:
        """(document rows, "") — or ([], one line saying why) when the index cannot be read; never raises."""
        try:
            return self.document_rows(), ""
        except Exception as exc:
            log.warning("Cannot list the indexed documents: %s", problem(exc))
            return [], problem(exc)

    def document_rows(self) -> list[list[Any]]:
        """[title, symbol, chunks, file] per indexed document (symbols from the corpus manifest)."""
        from ingest.manifest import load_manifest

        try:
            manifest = load_manifest(Path(self.settings.corpus_dir))
        except Exception as exc:  # a broken manifest must not hide the document list
            log.warning("Cannot read the corpus manifest: %s", exc)
            manifest = {}
        rows = []
        for d in self.components.store.documents():
            meta = manifest.get(d.doc)
            rows.append([d.title, meta.symbol if meta else "", d.chunks, d.doc])
        return rows

    def _by_document(self) -> dict[str, list[Chunk]]:
        store = self.components.store
        version = store.version()
        if self._docs[0] != version:
            self._docs = (version, by_document(store.chunks()))
        return self._docs[1]

    def contexts(self, answer: Answer) -> dict[str, DocContext]:
        """For each passage of the answer: its whole paragraph and the chunks next to it in its document."""
        docs = self._by_document()
        return {p.chunk.id: doc_context(p.chunk, docs.get(p.chunk.doc, [])) for p in answer.passages}

    def passage(self, chunk_id: str, width: int = 2) -> tuple[Chunk, DocContext] | None:
        """The chunk a deep link names, with ``width`` chunks either side; None when the index has no such chunk."""
        for chunks in self._by_document().values():
            for c in chunks:
                if c.id == chunk_id:
                    return c, doc_context(c, chunks, width)
        return None

    # ------------------------------------------------------------------ uploads
    def _embedder_mismatch(self) -> str:
        from rag.index.store import LEXICAL_EMBEDDER

        c = self.components
        target = c.embedder.id if c.embedder is not None else LEXICAL_EMBEDDER
        if c.store.version() is not None and c.store.embedder_id() != target:
            return (f"the index was built with embedder '{c.store.embedder_id()}' but the app runs with '{target}'; "
                    "run `citeqa ingest` with the configured embedder first, then upload again")
        return ""

    def upload(self, files: Sequence[tuple[Path, str]], progress: ProgressFn | None = None) -> UploadResult:
        """Stage each (temp file, name as uploaded) in the corpus folder and ingest the new ones. A file that
        is rejected — here or by ingestion — is reported and leaves the corpus and index as they were."""
        from ingest.run import ingest_paths

        result = UploadResult()
        with self._ingest_lock:
            try:
                mismatch = self._embedder_mismatch()
            except Exception as exc:  # the index cannot be read (server gone): stage nothing
                mismatch = f"the index is unavailable, nothing was added — {problem(exc)}"
            staged: list[tuple[str, Staged]] = []
            for src, name in files:
                if mismatch:
                    result.rejected.append((name, mismatch))
                    continue
                try:
                    staged.append((name, stage_upload(Path(src), name, self.settings)))
                except UploadRejected as exc:
                    result.rejected.append((name, exc.reason))
            if not staged:
                return result
            c = self.components
            try:
                report = ingest_paths([s.path for _, s in staged], self.settings, c.store, c.embedder, progress)
            except Exception as exc:  # the store keeps serving its previous generation; take the files back
                log.exception("Ingesting uploads failed")
                for name, s in staged:
                    unstage(s, self.settings)
                    result.rejected.append((name, f"indexing failed, nothing was added — {problem(exc)}"))
                return result
            reasons = {Path(p).name: reason for p, reason in report.skipped}
            for name, s in staged:
                if s.path.name in reasons:
                    unstage(s, self.settings)
                    result.rejected.append((name, reasons[s.path.name]))
                elif s.new or s.path.name in report.added or s.path.name in report.updated:
                    result.added.append(s.path.name)
                else:
                    result.unchanged.append(s.path.name)
        try:
            self.live.settle()  # this upload waits for its documents; questions meanwhile use the previous snapshot
        except Exception as exc:  # the next question refreshes again
            log.warning("Cannot reload the BM25 index after the upload: %s", problem(exc))
        return result
