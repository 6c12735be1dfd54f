"""Load a source file into a ``Document``: its raw text (the text every chunk offset points into).

Text files (.txt, .md, .markdown) are decoded as UTF-8 (with or without BOM), UTF-16 with a BOM, or
GB18030/GBK; newlines are normalised to ``\\n`` *before* anything else sees the text. PDFs are read
page by page with pypdf; ``raw`` is the page texts joined with ``"\\n\\n"`` and ``pages`` keeps
``(page_no, start, end)`` offsets into ``raw``. Every failure is a ``LoadError`` that says what to do.
"""

from __future__ import annotations

import bisect
import codecs
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES: tuple[str, ...] = (".pdf", ".txt", ".md", ".markdown")
MANIFEST_NAME = "corpus.toml"
# PDF limits (a small file can inflate to gigabytes; pypdf itself stops one stream at 75 MB). pypdf's text
# extraction costs ~1 µs per character and more on huge pages, so text is counted as it is extracted.
MAX_PDF_PAGES = 5000
MAX_PDF_PAGE_CONTENT_MB = 8  # decompressed content stream of one page (real pages: KBs, rarely a few MB)
MAX_PDF_CONTENT_MB = 128  # ... of all pages together (a 1 000-page report: ~50 MB)
MAX_PDF_PAGE_CHARS = 1_000_000  # text of one page (a dense A4 page holds ~5 000 characters)
MAX_PDF_CHARS = 10_000_000  # text of the whole document


@dataclass(frozen=True)
class Document:
    doc: str  # file name, e.g. "000_7b030ac21b7d218f.txt"
    path: Path
    raw: str
    sha256: str  # of the file bytes
    pages: list[tuple[int, int, int]] | None = None  # (page_no from 1, start, end) into raw; PDFs only

    def page_at(self, offset: int) -> int | None:
        """1-based page holding ``offset`` (the nearest page before it when it falls between pages)."""
        if not self.pages:
            return None
        starts = [start for _no, start, _end in self.pages]
        index = max(0, bisect.bisect_right(starts, offset) - 1)
        return self.pages[index][0]


class LoadError(Exception):
    """A file citeqa cannot read, with the reason in plain words."""

    def __init__(self, doc: str, reason: str) -> None:
        super().__init__(f"{doc}: {reason}")
        self.doc = doc
        self.reason = reason


def load_document(path: Path) -> Document:
    path = Path(path)
    doc = path.name
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "(no extension)"
        raise LoadError(doc, f"unsupported file type {shown}; citeqa reads .pdf, .txt, .md")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadError(doc, f"file not found: {path}") from None
    except IsADirectoryError:
        raise LoadError(doc, f"is a folder, not a file: {path}") from None
    except OSError as exc:
        raise LoadError(doc, f"cannot read the file ({exc.strerror or exc})") from None
    if not data:
        raise LoadError(doc, "empty file (0 bytes); nothing to index")
    digest = hashlib.sha256(data).hexdigest()
    if suffix == ".pdf":
        raw, pages = _read_pdf(doc, path, data)
        return Document(doc=doc, path=path, raw=raw, sha256=digest, pages=pages)
    raw = normalize_newlines(decode_text(doc, data))
    if not raw.strip():
        raise LoadError(doc, "the file holds only whitespace; nothing to index")
    return Document(doc=doc, path=path, raw=raw, sha256=digest, pages=None)


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_text(doc: str, data: bytes) -> str:
    """Decode text bytes: BOMs first, then strict UTF-8, then strict GB18030 (a superset of GBK)."""
    if data.startswith(codecs.BOM_UTF8):
        return _strict(doc, data[len(codecs.BOM_UTF8) :], "utf-8", "UTF-8 (with BOM)")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(doc, data, "utf-16", "UTF-16")
    try:
        return _check_text(doc, data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _looks_like_utf8(data):
        bad = data[utf8_error.start : utf8_error.start + 1].hex().upper()
        raise LoadError(
            doc,
            f"not valid UTF-8: bad byte 0x{bad} at offset {utf8_error.start} (the file looks like damaged "
            "UTF-8); re-save it as UTF-8",
        )
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex().upper()
        raise LoadError(
            doc,
            f"cannot decode the text: neither UTF-8 nor GB18030/GBK (bad byte 0x{bad} at offset {exc.start}); "
            "re-save it as UTF-8",
        ) from None
    if not _plausible_chinese(text):
        raise LoadError(
            doc, "cannot decode the text: it is not UTF-8 and does not read as GBK; re-save it as UTF-8"
        )
    return _check_text(doc, text)


def _strict(doc: str, data: bytes, codec: str, label: str) -> str:
    try:
        return _check_text(doc, data.decode(codec))
    except UnicodeDecodeError as exc:
        raise LoadError(
            doc, f"not valid {label}: bad byte at offset {exc.start}; re-save it as UTF-8"
        ) from None


def _check_text(doc: str, text: str) -> str:
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    if text and (controls > 16 and controls > len(text) // 100 or "\x00" in text[:4096]):
        raise LoadError(doc, "this looks like a binary file, not text; citeqa reads .pdf, .txt, .md")
    return text


def _looks_like_utf8(data: bytes) -> bool:
    """True when most non-ASCII bytes form valid UTF-8 sequences (damaged UTF-8 rather than GBK)."""
    high = sum(1 for b in data if b >= 0x80)
    if not high:
        return False
    decoded = data.decode("utf-8", errors="replace")
    valid_bytes = sum(len(ch.encode("utf-8")) for ch in decoded if ord(ch) >= 0x80 and ch != "\ufffd")
    return valid_bytes >= 0.6 * high


def _plausible_chinese(text: str) -> bool:
    """GB18030 decodes many byte soups; accept it only when hardly any character is private-use,
    unassigned or a control character (what random bytes turn into)."""
    import unicodedata

    non_ascii = [ch for ch in text if ord(ch) >= 0x80]
    bad = sum(1 for ch in non_ascii if unicodedata.category(ch) in ("Co", "Cn", "Cc", "Cs"))
    return bad <= 0.02 * len(non_ascii)


class _TooLarge(Exception):
    """Raised from inside text extraction to stop it once a limit is passed."""


def _too_large(doc: str, what: str) -> LoadError:
    return LoadError(doc, f"PDF too large once decompressed ({what}) — split it into smaller PDFs and add those")


def _page_text(page: object, used: list[int]) -> str:
    """One page's text, refusing (``_TooLarge``) past the limits; ``used`` = [content bytes, characters]
    so far in this document."""
    contents = page.get_contents()  # type: ignore[attr-defined]
    size = len(contents.get_data()) if contents is not None else 0
    used[0] += size
    if size > MAX_PDF_PAGE_CONTENT_MB * 1048576:
        raise _TooLarge(f"the page's content is {size / 1048576:.0f} MB, over {MAX_PDF_PAGE_CONTENT_MB} MB")
    if used[0] > MAX_PDF_CONTENT_MB * 1048576:
        raise _TooLarge(f"> {MAX_PDF_CONTENT_MB} MB of page content")
    seen = 0

    def count(text: str, *_: object) -> None:
        nonlocal seen
        seen += len(text)
        if seen > MAX_PDF_PAGE_CHARS:
            raise _TooLarge(f"> {MAX_PDF_PAGE_CHARS // 1_000_000} M characters of text on one page")
        if used[1] + seen > MAX_PDF_CHARS:
            raise _TooLarge(f"> {MAX_PDF_CHARS // 1_000_000} M characters of text")

    text = page.extract_text(visitor_text=count) or ""  # type: ignore[attr-defined]
    used[1] += len(text)
    return text


def _read_pdf(doc: str, path: Path, data: bytes) -> tuple[str, list[tuple[int, int, int]]]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(doc, "encrypted PDF (password required); remove the password and add it again")
        count = len(reader.pages)
    except LoadError:
        raise
    except FileNotDecryptedError:
        raise LoadError(
            doc, "encrypted PDF (password required); remove the password and add it again"
        ) from None
    except DependencyError as exc:
        raise LoadError(
            doc, f"encrypted PDF needs a missing package ({exc}); pip install cryptography"
        ) from None
    except LimitReachedError as exc:  # e.g. a page tree of more than 100 000 entries
        raise _too_large(doc, f"pypdf: {exc}") from None
    except (PyPdfError, Exception) as exc:  # broken files raise anything from ValueError to KeyError
        raise LoadError(
            doc, f"corrupt or truncated PDF ({type(exc).__name__}: {exc}); re-export or re-download it"
        ) from None
    if count == 0:
        raise LoadError(doc, "the PDF has no pages")
    if count > MAX_PDF_PAGES:
        raise LoadError(doc, f"the PDF has {count} pages, over the {MAX_PDF_PAGES}-page limit — split it")
    texts: list[str] = []
    failures: list[str] = []
    used = [0, 0]
    for index in range(count):
        try:
            text = _page_text(reader.pages[index], used)
        except _TooLarge as exc:
            raise _too_large(doc, f"page {index + 1}: {exc}") from None
        except LimitReachedError as exc:  # a stream that inflates past pypdf's limit (a "zip bomb")
            raise _too_large(doc, f"page {index + 1} goes past a pypdf limit: {str(exc).rstrip('.')}") from None
        except DependencyError as exc:
            raise LoadError(
                doc, f"encrypted PDF needs a missing package ({exc}); pip install cryptography"
            ) from None
        except Exception as exc:  # one broken page should not sink the document
            failures.append(f"page {index + 1}: {type(exc).__name__}")
            text = ""
        texts.append(normalize_newlines(text).strip("\n"))
    if not any(t.strip() for t in texts):
        if failures and len(failures) == count:
            raise LoadError(doc, f"corrupt PDF: no page could be read ({failures[0]})")
        raise LoadError(
            doc, "no extractable text — scanned PDF? run OCR first (e.g. ocrmypdf) and add the result"
        )
    return join_pages(texts)


def join_pages(texts: list[str]) -> tuple[str, list[tuple[int, int, int]]]:
    """Join page texts with a blank line; return raw and (page_no, start, end) per page."""
    parts: list[str] = []
    pages: list[tuple[int, int, int]] = []
    pos = 0
    for number, text in enumerate(texts, start=1):
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(text)
        pages.append((number, pos, pos + len(text)))
        pos += len(text)
    return "".join(parts), pages


def iter_corpus_files(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest: folders expanded (recursively, supported types only), hidden files and the
    manifest skipped, sorted and without duplicates. Files named explicitly are kept as given so an
    unsupported or missing file surfaces as a ``LoadError`` instead of vanishing."""
    found: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for child in path.rglob("*"):
                rel = child.relative_to(path).parts
                if any(part.startswith(".") for part in rel) or not child.is_file():
                    continue
                if child.name == MANIFEST_NAME or child.suffix.lower() not in SUPPORTED_SUFFIXES:
                    continue
                found.add(child)
        elif not path.name.startswith(".") and path.name != MANIFEST_NAME:
            found.add(path)
    return sorted(found, key=lambda p: (str(p.parent), p.name))
