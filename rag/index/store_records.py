"""Plain values of the chunk store: its errors, `DocInfo`, and how a `Chunk` and a document record are
written into Chroma metadata (which cannot hold None)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rag.types import Chunk

NO_PAGE = -1


class StoreError(RuntimeError):
    """The chunk store cannot do what was asked; the message says how to fix it."""


class StoreUnavailable(StoreError):
    """The Chroma server does not answer."""


class IndexWriteError(StoreError):
    """The index cannot be written (read-only or full disk, ...); the previous index is intact."""


@dataclass(frozen=True)
class DocInfo:
    """One indexed document."""

    doc: str
    title: str
    sha256: str
    chunks: int
    paragraphs: int = 0
    path: str = ""  # where it was ingested from
    label: str = ""  # the manifest entry its chunks were labelled with (symbol, short titles, year)


def chunk_to_record(chunk: Chunk, doc_sha: str) -> tuple[str, str, dict[str, Any]]:
    """(id, text, metadata) for Chroma."""
    meta: dict[str, Any] = {
        "doc": chunk.doc,
        "title": chunk.title,
        "section": chunk.section,
        "paragraph": int(chunk.paragraph),
        "page": NO_PAGE if chunk.page is None else int(chunk.page),
        "char_start": int(chunk.char_start),
        "char_end": int(chunk.char_end),
        "kind": chunk.kind,
        "part": int(chunk.part),
        "numbered": bool(chunk.numbered),
        "symbol": chunk.symbol,
        "short_title": chunk.short_title,
        "short_title_en": chunk.short_title_en,
        "year": int(chunk.year),
        "notes": ",".join(str(n) for n in chunk.notes),
        "doc_sha": doc_sha,
    }
    return chunk.id, chunk.text, meta


def chunk_from_record(id_: str, text: str | None, meta: dict[str, Any] | None) -> Chunk:
    m = meta or {}
    page = int(m.get("page", NO_PAGE))
    return Chunk(
        id=id_,
        doc=str(m.get("doc", "")),
        title=str(m.get("title", "")),
        section=str(m.get("section", "")),
        paragraph=int(m.get("paragraph", 0)),
        page=None if page == NO_PAGE else page,
        char_start=int(m.get("char_start", 0)),
        char_end=int(m.get("char_end", 0)),
        text=text or "",
        kind=m.get("kind") if m.get("kind") in ("footnote", "table") else "body",
        part=int(m.get("part", 0)),
        numbered=bool(m.get("numbered", False)),
        symbol=str(m.get("symbol", "")),
        short_title=str(m.get("short_title", "")),
        short_title_en=str(m.get("short_title_en", "")),
        year=int(m.get("year", 0)),
        notes=tuple(int(n) for n in str(m.get("notes", "")).split(",") if n.strip().isdigit()),
    )


def doc_to_record(generation: str, info: DocInfo) -> tuple[str, dict[str, Any]]:
    """(id, metadata) of a document record in the meta collection, tied to one generation."""
    return f"{generation}::{info.doc}", {
        "role": "doc",
        "gen": generation,
        "doc": info.doc,
        "title": info.title,
        "sha256": info.sha256,
        "chunks": int(info.chunks),
        "paragraphs": int(info.paragraphs),
        "path": info.path,
        "label": info.label,
    }


def doc_from_record(meta: dict[str, Any]) -> DocInfo:
    return DocInfo(doc=str(meta["doc"]), title=str(meta.get("title", "")), sha256=str(meta.get("sha256", "")),
                   chunks=int(meta.get("chunks", 0)), paragraphs=int(meta.get("paragraphs", 0)),
                   path=str(meta.get("path", "")), label=str(meta.get("label", "")))
