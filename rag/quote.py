"""Clean quotes with exact offsets: what a quoted sentence drops, and where each kept character came from.

A quote drops
* the paragraph number or list marker that opens it ("1. 青湖…", "(d) 与…", "一、…", "• …");
* footnote reference marks: digits glued to the word before them, when the number is one of the footnotes
  whose marks may sit in this text (``Chunk.notes``, from the document's own footnotes) and nothing around
  it reads as part of a number ("第2次", "75名", "CO2", "1.5", "5½", "2019年" all stay);
* superscript marks written as markup (``<sup>6</sup>`` after a word or a full stop, as PDF-to-Markdown
  converters write footnote references), and the ``<sup>``/``<sub>`` tags themselves ("SO<sub>2</sub>" →
  "SO2", "m<sup>3</sup>" → "m3": an exponent after a Latin letter or digit keeps its digits).

When the document's footnotes are unknown, or the digit could be a number, it stays. ``clean_quote`` returns
the cleaned text and, for each of its characters, the index of that character in the input, so a span of
the quote maps back to the source (``source_span``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

_LEADING = re.compile(
    r"\s*(?:"
    r"\d{1,3}[.．](?![\d.．])"  # 12.  (not 1.5, not 1..)
    r"|[(（](?:[a-z]{1,2}|[ivxlc]{1,6}|\d{1,2})[)）]"  # (a) (iv) (2)
    r"|[a-z][)）](?=\s)"  # a)
    r"|[(（][一二三四五六七八九十]{1,3}[)）]"  # （一）
    r"|[一二三四五六七八九十]{1,3}、"  # 一、
    r"|[•·▪●◦‣∙*\-–—](?=\s)"  # bullets
    r")\s*"
)
_DIGITS = re.compile(r"\d+")
_SUP_MARK = re.compile(r"<sup>\s*\d{1,3}\s*</sup>", re.I)
_SCRIPT_TAG = re.compile(r"</?su[pb]>", re.I)
_MARK_DIGITS = 3  # footnote numbers run to at most 999
# what may come right before a footnote mark: a word character or closing punctuation
_CLOSING = set(")）]】」』”’\"'.。》〉")
# a number, not a mark, when the digits are read with these: CJK ordinals/approximations before them ...
_NUMBER_BEFORE = set("第约共达近逾至到及和或与每前后其计占为过余超各上下仅在从以了是由向")
# ... and CJK measure words / units and number punctuation after them
_NUMBER_AFTER = set("年月日号时分秒点个名次项届条款段章节页岁倍元万亿千百十人家国种类份批位例场轮期周天篇部件台辆只头"
                    "吨米克升度世英毫厘公赫型级起码磅亩寸尺里到余多")
_NUMERIC_AFTER = set("0123456789/%％½¼¾⅓⅔⅛⁄-–—:：")
_SEPARATORS = set(".．,")  # a number when a digit follows ("1.5", "1,000")
_UNIT_WORDS_MAX = 2  # a Latin word of at most this many letters before digits is a unit or formula ("km2")


@dataclass(frozen=True)
class Quote:
    text: str  # the cleaned quote
    start: int  # source span of the quote in the text it was taken from: first kept character ...
    end: int  # ... to just after the last one


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _is_mark(text: str, start: int, end: int, notes: Collection[int]) -> bool:
    """True when text[start:end] (digits) is a footnote reference mark (see the module docstring)."""
    if end - start > _MARK_DIGITS or int(text[start:end]) not in notes or start == 0:
        return False
    before = text[start - 1]
    after = text[end] if end < len(text) else ""
    if before.isdigit() or before.isspace() or before in _NUMBER_BEFORE:
        return False
    if after and (after in _NUMERIC_AFTER or after in _NUMBER_AFTER or after.isalnum() and not _is_cjk(after)):
        return False
    if after in _SEPARATORS and end + 1 < len(text) and text[end + 1].isdigit():
        return False
    if before in _CLOSING:  # "goals.2 The", "会议”3" — but not "1.2" or "X.25"
        return start < 2 or text[start - 2].islower() or _is_cjk(text[start - 2]) or text[start - 2] in _CLOSING
    if _is_cjk(before):
        return True
    if before.isalpha():
        word = re.search(r"[A-Za-z]+$", text[:start])
        return bool(word) and len(word.group()) > _UNIT_WORDS_MAX and word.group().islower()  # not "Internet2"
    return False


def clean_quote(text: str, notes: Collection[int] | None = None, paragraph: int | None = None,
                footnote: int | None = None) -> tuple[str, list[int]]:
    """(cleaned text, source index of each cleaned character). ``notes``: the footnote numbers whose marks
    may sit in ``text`` (``Chunk.notes``); None or empty keeps every digit. ``paragraph``: the document's own
    number of this paragraph (``Chunk.paragraph`` when ``Chunk.numbered``), which opens the quote even when
    a number follows it with no space ("4.2022年…" from whitespace-squashed text). ``footnote``: the number of
    the footnote that ``text`` opens, whose mark is dropped ("7 截至…", "<sup>7</sup> 截至…")."""
    keep = [True] * len(text)
    pos = 0
    if footnote is not None:
        own = re.match(rf"\s*(?:<sup>\s*{footnote}\s*</sup>|{footnote}(?=\s))\s*", text, re.I)
    else:
        own = re.match(rf"\s*{paragraph}[.．]\s*", text) if paragraph else None
    if own and text[own.end():].strip():
        for i in range(own.end()):
            keep[i] = False
        pos = own.end()
    while m := _LEADING.match(text, pos):  # "(d) 1. …" — strip every opening marker
        if m.end() == pos or not text[m.end():].strip():
            break
        for i in range(m.start(), m.end()):
            keep[i] = False
        pos = m.end()
    for m in _SUP_MARK.finditer(text, pos):
        before = text[m.start() - 1] if m.start() else ""
        if not (before.isascii() and before.isalnum()):  # not an exponent ("m<sup>3</sup>")
            for i in range(m.start(), m.end()):
                keep[i] = False
    for m in _SCRIPT_TAG.finditer(text, pos):
        for i in range(m.start(), m.end()):
            keep[i] = False
    if notes:
        for m in _DIGITS.finditer(text, pos):
            if _is_mark(text, m.start(), m.end(), notes):
                for i in range(m.start(), m.end()):
                    keep[i] = False
    index = [i for i, k in enumerate(keep) if k]
    while index and text[index[-1]].isspace():
        index.pop()
    while index and text[index[0]].isspace():  # what a dropped opening mark left
        index.pop(0)
    return "".join(text[i] for i in index), index


def source_span(index: list[int], start: int, end: int) -> tuple[int, int]:
    """The source span (start, end) covering cleaned characters [start, end), given ``clean_quote``'s index."""
    if not index or start >= end:
        return (0, 0)
    return index[start], index[end - 1] + 1


def quote_of(text: str, start: int, end: int, notes: Collection[int] | None = None,
             paragraph: int | None = None, footnote: int | None = None) -> Quote:
    """The cleaned quote of ``text[start:end]`` (e.g. one sentence of a chunk's text) and its source span
    in ``text``: what an answer sentence shows and what ``Sentence.spans`` records for the highlight."""
    cleaned, index = clean_quote(text[start:end], notes, paragraph, footnote)
    if not index:
        return Quote("", start, start)
    a, b = source_span(index, 0, len(index))
    return Quote(cleaned, start + a, start + b)
