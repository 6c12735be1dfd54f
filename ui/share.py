"""Sharing from the chat: the conversation exported as a Markdown file, and deep links to one passage
(``?passage=<chunk id>[&span=<start>-<end>][&lang=en]``) opened in the Sources panel."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ui.backend import problem
from ui.render import parse_span, render_link_missing, render_linked, render_unavailable

if TYPE_CHECKING:
    from ui.app import ChatTurn
    from ui.backend import Backend

log = logging.getLogger(__name__)
_exports: list[Path] = []  # this process's export folder, removed at exit


def _export_dir() -> Path:
    """One temp folder per process for the exports (Gradio copies each into its cache); removed at exit."""
    if not _exports:
        import atexit
        import shutil
        import tempfile

        _exports.append(Path(tempfile.mkdtemp(prefix="citeqa-export-")))
        atexit.register(shutil.rmtree, _exports[0], ignore_errors=True)
    return _exports[0]


def export_file(turns: list[ChatTurn]) -> str | None:
    """The conversation as Markdown in a new temp file (what the Export button downloads); None before any answer."""
    import uuid

    from ui.export import conversation_markdown

    done = [(t.question, t.answer) for t in turns]
    if not any(a is not None for _, a in done):
        return None
    lang = next((a.language for _, a in reversed(done) if a is not None), "zh")
    path = _export_dir() / uuid.uuid4().hex[:12] / "citeqa-conversation.md"
    path.parent.mkdir()
    path.write_text(conversation_markdown(done, lang), encoding="utf-8")
    return str(path)


def linked_passage(backend: Backend, params: dict[str, str]) -> str | None:
    """The Sources panel for a deep link ``?passage=<chunk id>[&span=a-b][&lang=en]``; None without one."""
    chunk_id = (params.get("passage") or "").strip()
    if not chunk_id:
        return None
    try:
        found = backend.passage(chunk_id)
    except Exception as exc:
        log.warning("Cannot open the linked passage: %s", problem(exc))
        return render_unavailable(problem(exc))
    if found is None:
        return render_link_missing(chunk_id)
    chunk, context = found
    return render_linked(chunk, context, parse_span(params.get("span", ""), len(chunk.text)),
                         "en" if params.get("lang") == "en" else "zh")
