"""Line-level cleaning of text extracted from PDFs: lines with offsets, widths, noise, joining.

Everything here is whitespace-faithful: joined text differs from the raw span it comes from only in
whitespace, so ``squeeze(raw[start:end]) == squeeze(text)`` always holds.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

# Sentence-final punctuation (a closing quote or bracket may follow it).
SENTENCE_END = "。！？!?．.…⋯"
CLOSERS = "”’」』）)】》\"'］]"
# Punctuation that a title line never contains.
CLAUSE_PUNCT = "，。；：！？,;:!?"


@dataclass(frozen=True)
class Line:
    index: int
    start: int  # raw offset of the first non-whitespace character (line start when blank)
    end: int  # raw offset just after the last non-whitespace character
    text: str  # the line without leading/trailing whitespace
    lead: bool  # the raw line starts with whitespace (in PDF extracts: often a new page)
    ws_only: bool  # a non-empty line of whitespace only (in PDF extracts: often a footnote area)

    @property
    def blank(self) -> bool:
        return not self.text


def squeeze(text: str) -> str:
    """``text`` with every whitespace character removed (how chunk text is compared to the raw)."""
    return "".join(text.split())


def split_lines(raw: str) -> list[Line]:
    """Lines of ``raw`` split on ``\\n`` only, with offsets of their non-whitespace content."""
    lines: list[Line] = []
    pos = 0
    for index, piece in enumerate(raw.split("\n")):
        stripped = piece.strip()
        if stripped:
            left = len(piece) - len(piece.lstrip())
            start = pos + left
            end = start + len(stripped)
        else:
            start = end = pos
        lines.append(
            Line(
                index,
                start,
                end,
                stripped,
                piece[:1].isspace() and bool(stripped),
                bool(piece) and not stripped,
            )
        )
        pos += len(piece) + 1
    return lines


def is_cjk(ch: str) -> bool:
    """Han, kana and CJK/full-width punctuation: characters written without spaces between them."""
    cp = ord(ch)
    return (
        0x3400 <= cp <= 0x4DBF
        or 0x4E00 <= cp <= 0x9FFF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x3134F
        or 0x3000 <= cp <= 0x30FF
        or 0xFF00 <= cp <= 0xFFEF
        or 0xFE30 <= cp <= 0xFE4F
    )


_NEUTRAL = "“”‘’—–…⋯·"


def tight(left: str, right: str) -> bool:
    """True when a break between ``left`` and ``right`` (single characters) should vanish."""
    if not left or not right:
        return False
    a, b = is_cjk(left), is_cjk(right)
    return (a and b) or (a and right in _NEUTRAL) or (b and left in _NEUTRAL)


def normalize_inline(text: str) -> str:
    """Collapse whitespace runs to one space; drop whitespace between CJK characters."""
    parts = text.split()
    if not parts:
        return ""
    out = [parts[0]]
    for part in parts[1:]:
        if not tight(out[-1][-1], part[0]):
            out.append(" ")
        out.append(part)
    return "".join(out)


def join_texts(texts: list[str], spaced: list[bool] | None = None) -> str:
    """Join line texts: a break between CJK characters vanishes (unless ``spaced``), else one space."""
    out = ""
    for i, text in enumerate(texts):
        piece = normalize_inline(text)
        if not piece:
            continue
        if out:
            keep = spaced[i] if spaced is not None and i < len(spaced) else False
            out += piece if (not keep and tight(out[-1], piece[0])) else " " + piece
        else:
            out = piece
    return out


def width(text: str) -> float:
    """Visual width in ems: CJK/full-width characters count 1, others 0.5."""
    total = 0.0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        total += 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5
    return total


def ends_sentence(text: str) -> bool:
    stripped = text.rstrip().rstrip(CLOSERS + " ")
    return bool(stripped) and stripped[-1] in SENTENCE_END


# --- noise ---------------------------------------------------------------------------------------

_URL = re.compile(r"^<?(?:https?://|ftp://|www\.|mailto:)\S*?>?[。.，,;；]?$", re.IGNORECASE)
_EMAIL = re.compile(r"^[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+$")
_PAGE_NO = re.compile(
    r"^(?:[-–—]?\s*\d{1,3}\s*[-–—]?|(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|第\s*\d{1,4}\s*页(?:\s*共\s*\d{1,4}\s*页)?)$",
    re.IGNORECASE,
)
_SYMBOL = re.compile(r"^[A-Z]{1,6}(?:/[A-Za-z0-9.\-]+){2,}$")
_RULE = re.compile(r"^(?:[-*_=]\s*){3,}$")


def noise_reason(text: str) -> str | None:
    """Why a whole line is noise, or None. Page numbers are only candidates (see ``is_page_number``)."""
    if _RULE.match(text):
        return "rule"
    if " " not in text and _URL.match(text) and not text.endswith("。"):
        return "url"
    if _EMAIL.match(text):
        return "email"
    if _SYMBOL.match(text):
        return "running-header"
    return None


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NO.match(text))


def repeated_page_lines(lines: list[Line], pages: list[tuple[int, int, int]] | None) -> set[int]:
    """Indices of lines that open or close many PDF pages with the same text (running headers/footers)."""
    if not pages or len(pages) < 3:
        return set()
    starts = [start for _no, start, _end in pages]
    grouped: list[list[Line]] = [[] for _ in pages]
    for ln in lines:
        if ln.text:
            grouped[max(0, bisect.bisect_right(starts, ln.start) - 1)].append(ln)
    per_page = [content[:2] + content[-2:] if len(content) > 4 else content for content in grouped]
    key = lambda ln: re.sub(r"\d+", "#", ln.text)  # noqa: E731 - page numbers differ page to page
    counts = Counter(k for page in per_page for k in {key(ln) for ln in page})
    threshold = max(3, int(0.4 * len(pages)))
    repeated = {k for k, n in counts.items() if n >= threshold and len(k) <= 80}
    return {ln.index for page in per_page for ln in page if key(ln) in repeated}
