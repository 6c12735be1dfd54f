"""A question parsed once: its language, its parts, the kind of answer it asks for, and the years,
numbers and names it names. Every later stage (retrieval, candidates, features, answer) takes a `Question`.

One analyser per language. The kind of answer is read from interrogative words only ("多少", "how many",
"why", "哪一年"): they mark the asked-for kind in any text on any topic. Whether a figure asked for is money is
read from the words for money ("资金", "funding", a currency). These are the word lists here. Constraints
(years, numbers, Latin names, quoted titles) are read by shape, not from lists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rag.lang import detect_language
from rag.numbers import number_values
from rag.types import Lang, Turn

Kind = Literal["number", "date", "person", "place", "reason", "list", "other"]
KINDS: tuple[Kind, ...] = ("number", "date", "person", "place", "reason", "list", "other")

# interrogatives → asked-for kind, per language ("多久", how long, asks a duration: a number)
_CUES: dict[str, list[tuple[Kind, re.Pattern[str]]]] = {
    "zh": [
        ("date", re.compile(r"哪一?年|哪个月|哪一?天|何时|什么时候|几月|几号|何年|哪个时期")),
        ("number", re.compile(r"多少|多久|几[个名次位种项家国年岁倍]|多[大高长远重]|百分之几|比例|数量")),
        ("reason", re.compile(r"为什么|为何|原因|何故|怎么会|目的")),
        ("person", re.compile(r"谁|哪位|何人|哪个人")),
        ("place", re.compile(r"在哪里|哪里|哪儿|何处|在哪|哪个国家|哪座城市|哪个城市|哪国|何地")),
        ("list", re.compile(r"哪些|有哪|包括什么|列举")),
    ],
    "en": [
        ("date", re.compile(r"\b(when|what year|which year|what date|what decade|what century|how long ago)\b", re.I)),
        ("number", re.compile(r"\b(how (many|much|long|far|big|large|old|high|tall)|what (percentage|number|amount|proportion))\b", re.I)),
        ("reason", re.compile(r"\bwhy\b|\bwhat (caused|was the reason|is the reason)\b|\bfor what purpose\b", re.I)),
        ("person", re.compile(r"\bwho(m|se)?\b|\bwhich person\b", re.I)),
        ("place", re.compile(r"\bwhere\b|\bwhich (country|city|state|region|town|place)\b", re.I)),
        ("list", re.compile(r"\bwhat are\b|\bwhich (ones|\w+s)\b|\blist\b|\bname (the|some)\b", re.I)),
    ],
}
# money asked for: "how much money", "多少资金" ask an amount with its currency, not any figure
_MONEY = {
    "zh": re.compile(r"资金|钱|金额|经费|拨款|捐款|费用|美元|欧元|英镑|日元|人民币"),
    "en": re.compile(r"\b(money|funding|dollars?|euros?|budget|costs?|spen[dt]|paid|donat\w*|invest\w*)\b", re.I),
}
# the English interrogatives: words a question asks with, and where an English part begins
_WH = r"(?:what|which|who|whom|whose|where|when|why|how)\b"
# the words that ask rather than name (no kind of their own): dropped, with the kind cues, from what a part asks
_ASKING = {
    "zh": re.compile(r"什么|怎样|怎么|如何|是否|哪个|哪|吗|呢"),
    "en": re.compile(rf"\b(?:{_WH}|(?:did|does|do|is|are|was|were)\b)", re.I),
}
# a demonstrative before a noun points back to something said before ("这个计划", "该项目", "these alerts"):
# asked in a conversation, the question names its topic there, not in its own words
_POINTS_BACK = {
    "zh": re.compile(r"[这那][个些项种次份位家一]|(?<!应)该(?=[\u4e00-\u9fff])(?!不)|此[次项]"),
    "en": re.compile(r"\b(this|these|those)\b", re.I),
}
_PART_END = re.compile(r"(?<=[？?；;])\s*")
# English asks two things in one sentence with "…, and how much …": a new part where "and" opens a question
_EN_AND_ASKS = re.compile(rf",?\s+and\s+(?={_WH})", re.I)
_EN_ASKS = re.compile(rf"\b{_WH}", re.I)
YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_LATIN_NAME = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z][A-Za-z0-9\-]*[A-Z0-9][A-Za-z0-9\-]*|[A-Z][a-z]{2,})(?![A-Za-z0-9])")
_QUOTED = re.compile(r"[“\"《「『]([^”\"》」』]{2,40})[”\"》」』]")
_EN_SENTENCE_START = re.compile(r"^\s*\w+")


@dataclass(frozen=True)
class Question:
    """What every stage works from. ``parts`` are the sub-questions asked in one message (at least one)."""

    text: str
    lang: Lang
    parts: tuple[str, ...]
    kind: Kind
    kinds: tuple[Kind, ...]  # the asked-for kind of each part
    years: tuple[str, ...] = ()
    numbers: tuple[frozenset[float], ...] = ()  # number values named (years included)
    names: tuple[str, ...] = ()  # Latin names / acronyms and quoted titles it names
    carried: str = ""  # the earlier user question(s) a follow-up leans on ("" when no history)
    reply_lang: Literal["zh", "en"] = "zh"
    money: bool = False  # it asks about money: a figure it asks for is an amount
    points_back: bool = False  # it names its topic with a demonstrative ("这个计划", "these alerts")

    @property
    def search_text(self) -> str:
        """What retrieval searches: the question, with what it carries from the conversation."""
        return f"{self.carried} {self.text}".strip() if self.carried else self.text


def asked_kind(text: str, lang: Lang) -> Kind:
    """The kind of the interrogative that comes first ("How old was he when …" asks a number: the later "when"
    opens a clause); of cues that overlap it, the one listed first ("在哪一年" is a date, not a place)."""
    found = [(m.start(), m.end(), i, kind) for i, (kind, cue) in enumerate(_CUES["en" if lang == "en" else "zh"])
             if (m := cue.search(text))]
    if not found:
        return "other"
    _, first_end, _, _ = min(found)
    return min((i, kind) for start, _, i, kind in found if start < first_end)[1]


def content(part: str, lang: Lang) -> str:
    """What ``part`` asks about: the part without its interrogatives (each leaves a space, so no word or
    character pair spans the gap)."""
    key = "en" if lang == "en" else "zh"
    for _, cue in _CUES[key]:
        part = cue.sub(" ", part)
    return _ASKING[key].sub(" ", part)


def _parts(text: str, lang: Lang) -> tuple[str, ...]:
    """The questions a message asks: split after a question mark or semicolon and, in English, before an
    "and" that opens a new question when the words before it ask one too ("Where was COP16 held, and what did
    it agree?"; not "…large, spread-out, and what other characteristic?")."""
    pieces = [p.strip() for p in _PART_END.split(text) if p and p.strip()]
    if lang == "en":
        pieces = [q for p in pieces for q in _split_and_asks(p)]
    merged: list[str] = []
    for p in pieces:  # a fragment too short to stand alone stays with the part before it
        if merged and len(re.sub(r"\W", "", p)) < 4:
            merged[-1] += p
        else:
            merged.append(p)
    return tuple(merged) or (text.strip(),)


def _split_and_asks(piece: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _EN_AND_ASKS.finditer(piece):
        if _EN_ASKS.search(piece, start, m.start()):
            out.append(piece[start:m.start()].strip())
            start = m.end()
    return out + [piece[start:].strip()]


def _names(text: str) -> tuple[str, ...]:
    found = [m.group(1) for m in _QUOTED.finditer(text)]
    first_word = _EN_SENTENCE_START.match(text)
    for m in _LATIN_NAME.finditer(text):
        if first_word and m.start() == first_word.start() + (len(first_word.group()) - len(first_word.group().lstrip())):
            continue  # the capital of a sentence's first word is not a name
        found.append(m.group())
    return tuple(dict.fromkeys(found))


def previous_questions(history: Sequence[Turn]) -> str:
    """The last user question of the conversation (what a follow-up leans on), "" without one."""
    asked = [t.content.strip() for t in history if t.role == "user" and t.content.strip()]
    return asked[-1] if asked else ""


def reply_language(text: str, lang: Lang) -> Literal["zh", "en"]:
    if lang == "en" or (lang == "mixed" and re.match(r"\s*[A-Za-z]", text)):
        return "en"
    return "zh"


def parse_question(text: str, history: Sequence[Turn] = ()) -> Question:
    """Parse ``text`` (with the conversation so far) into a `Question`."""
    text = text.strip()
    lang = detect_language(text)
    parts = _parts(text, lang)
    kinds = tuple(asked_kind(p, lang) for p in parts)
    return Question(
        text=text, lang=lang, parts=parts, kind=kinds[0], kinds=kinds,
        years=tuple(dict.fromkeys(YEAR.findall(text))),
        numbers=tuple(frozenset(v) for v in number_values(text, claim=True)),
        names=_names(text), carried=previous_questions(history), reply_lang=reply_language(text, lang),
        money=bool(_MONEY["en" if lang == "en" else "zh"].search(text)),
        points_back=bool(_POINTS_BACK["en" if lang == "en" else "zh"].search(text)),
    )


def kind_index(kind: Kind) -> int:
    return KINDS.index(kind)


__all__ = ["KINDS", "YEAR", "Kind", "Question", "asked_kind", "content", "kind_index", "parse_question", "previous_questions",
           "reply_language"]
