"""What a question asks that the quoted sentences do not hold: a figure for "how many", an amount of money for
"how much money", a date for "when", or a year or coded name ("UNEA-7", "COP29") the question names.

Quotes that lack the kind of thing asked (a figure, an amount, a date) cannot be its answer: the answer is
refused, saying what is missing, and the closest passages are offered for checking (``refuses``). A named
year or coded name may hold where the quotes do not say it (a season's article, a report's subject), so
quotes that miss one are shown with a caveat that says so ("the cited passages do not mention 2020; they
speak of 2024:"). Either way a neighbouring fact is never presented as the answer to a near-miss question.
The learned answerability model decides whether to answer at all; this checks that the quotes it chose hold
what was asked, and frames them.

The shapes are the answer kinds' own (``rag.answering.features.kind_shown`` and its ``DATE``) and the numbers
of ``rag.numbers``; a date ("2022年5月", "May 2022") is not a figure: it does not answer "how many".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rag.answering.features import DATE, kind_shown
from rag.answering.question import KINDS, YEAR, Kind, Question
from rag.numbers import number_values

CAVEATS = {
    "figure": {"zh": "文档中最接近的段落没有给出所问的数字。",
               "en": "The closest passages in the documents give no figure for this."},
    "amount": {"zh": "文档中最接近的段落没有给出所问的金额。",
               "en": "The closest passages in the documents give no amount of money for this."},
    "date": {"zh": "文档中最接近的段落没有给出所问的时间。",
             "en": "The closest passages in the documents give no date for this."},
    "year": {"zh": "所引段落没有提到{asked}年{held}：",
             "en": "The cited passages do not mention {asked}{held}:"},
    "held": {"zh": "，只提到{years}年", "en": "; they speak of {years}"},
    "name": {"zh": "所引段落没有提到{asked}，以下是其中最接近的内容：",
             "en": "The cited passages do not mention {asked}; the closest they hold:"},
}


@dataclass(frozen=True)
class Unmet:
    """What the quotes lack: ``what`` is "figure", "amount", "date", "year" or "name"; for a year, the ``asked``
    years not found and the years the quotes do hold (``held``); for a name, the coded names (a session, a
    conference, a resolution: "UNEA-7", "COP29") not found."""

    what: Literal["figure", "amount", "date", "year", "name"]
    asked: tuple[str, ...] = ()
    held: tuple[str, ...] = ()


# four digits that count rather than date: followed by a Chinese word other than 年 or a range's 至/到
# ("1066起泄漏事件", "2000名代表"; "2024年", "2019至2020年" are dates)
_COUNT_NOT_YEAR = re.compile(r"(?<!\d)\d{4}(?=\s*[\u4e00-\u9fff])(?!\s*[年至到])")


def shows_figure(text: str) -> bool:
    """A count or amount in ``text``: a digit, or a number word worth more than the "一" of "一个" / "统一",
    outside dates (a date does not answer "how many")."""
    if _COUNT_NOT_YEAR.search(text):
        return True
    rest = DATE.sub(" ", text)
    return any(c.isdigit() for c in rest) or any(v - {1.0} for v in number_values(rest))


# a figure with its currency: "12万美元", "US$ 5 million", "2500万欧元", "€3.2 billion"
_SCALE = r"(?:\s*(?:[万亿千百]+|million|billion|trillion|thousand|bn))?"
_AMOUNT = re.compile(
    rf"(?:[0-9０-９][0-9０-９,.，]*|[一二两三四五六七八九十百千万亿]+){_SCALE}\s*"
    r"(?:美元|欧元|英镑|日元|人民币|元|法郎|卢比|卢布|dollars?\b|euros?\b|pounds?\b|yen\b|francs?\b|rupees?\b)"
    r"|(?:US\$|\$|€|£|¥|\b(?:USD|EUR|GBP|CHF|CNY|JPY))\s*[0-9０-９]", re.I)


def shows_amount(text: str) -> bool:
    """An amount of money in ``text``: a figure with its currency."""
    return bool(_AMOUNT.search(text))


def refuses(u: Unmet) -> bool:
    """Whether quotes that miss ``u`` are withheld: they lack the kind of thing asked (a figure, an amount, a
    date), so they cannot be its answer. A year or name they miss is a caveat: it may hold unsaid."""
    return u.what in ("figure", "amount", "date")


def lacks(kind: Kind, money: bool, quotes: Sequence[str]) -> Unmet | None:
    """What quotes chosen for a part of kind ``kind`` lack of the kind of thing it asks, or None: a figure for a
    number (an amount with its currency when ``money`` is asked about), a date for a date. Such quotes cannot
    be that part's answer (``refuses``)."""
    text = " ".join(quotes)
    if text and kind == "number" and money and not shows_amount(text):
        return Unmet("amount")
    if text and kind == "number" and not shows_figure(text):
        return Unmet("figure")
    if text and kind == "date" and kind_shown("date", text) == 0.0:
        return Unmet("date")
    return None


def unmet(question: Question, quotes: Sequence[str], context: Sequence[str],
          kinds: Sequence[Kind] | None = None) -> Unmet | None:
    """The first thing ``question`` asks that ``quotes`` (the shown sentences) do not hold, or None.

    Args:
        question: the parsed question.
        quotes: the texts of the sentences shown as the answer.
        context: where a named year may hold instead (the cited passages' text and their documents' titles).
        kinds: the asked-for kinds the quotes must show (``lacks``); the question's, by default. ``()`` where
            each part's quotes were checked against its own kind already (the extractive answerer).

    Returns:
        An ``Unmet`` for a figure asked and none quoted (an amount, when money is asked), a date asked and none
        quoted, or a year or coded name
        (a name with a digit: "UNEA-7") the question names that neither the quotes nor their context hold;
        None when nothing is missing. Other names are left to the answer model: an English question's
        "Sweden" is "瑞典" in Chinese text, and a name is not compared across languages here.
    """
    if not quotes:
        return None
    for kind in sorted(set(question.kinds if kinds is None else kinds), key=KINDS.index):
        if (lacking := lacks(kind, question.money, quotes)) is not None:
            return lacking
    text = " ".join(quotes)
    around = (text + " " + " ".join(context)).lower()
    missing = tuple(y for y in question.years if y not in around)
    if missing:
        held = tuple(y for y in dict.fromkeys(YEAR.findall(text)) if y not in question.years)
        return Unmet("year", missing, held)
    codes = tuple(n for n in question.names if any(c.isdigit() for c in n) and n.lower() not in around)
    return Unmet("name", codes) if codes else None


def caveat(u: Unmet, lang: Literal["zh", "en"]) -> str:
    """What is said of quotes that miss ``u``, in the reply language: the reason of the refusal (``refuses``) or
    the caveat shown before them."""
    sep = "、" if lang == "zh" else ", "
    if u.what == "name":
        return CAVEATS["name"][lang].format(asked=sep.join(u.asked))
    if u.what != "year":
        return CAVEATS[u.what][lang]
    held = CAVEATS["held"][lang].format(years=sep.join(u.held)) if u.held else ""
    return CAVEATS["year"][lang].format(asked=sep.join(u.asked), held=held)
