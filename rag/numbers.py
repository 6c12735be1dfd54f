"""Numbers in text, normalised so that a claim and its source can be compared.

``number_values(text)`` returns one set of candidate values per number found: the number as written
and, when a magnitude word follows, the scaled value ("1 050 亿" → {1050, 1.05e11}; "105 billion" →
{105, 1.05e11}). Handled: thousands separators ("1 050", "1,050", thin spaces), full-width digits,
decimals, percentages ("9%", "百分之四十二"), Chinese numerals with a unit or ordinal ("七十五名",
"第十三次", "五年"), English month names ("August" → 8) and small number words ("ten" → 10).
A claim's number is backed when one of its candidates is among a source's candidates.
"""

from __future__ import annotations

import re

_FULLWIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
_GROUPED = re.compile(r"(?<![\d.])\d{1,3}(?:[ ,\u00a0\u202f\u2009]\d{3})+(?![\d])")
_ARABIC = re.compile(
    r"(\d+(?:\.\d+)?)\s*(万亿|亿|万|千|百|trillion|billion|million|thousand)?", re.IGNORECASE
)
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_NUM = re.compile(r"[零〇一二两三四五六七八九十百千]+(?:万亿|亿|万)?")
# A Chinese numeral in a claim counts as a number only in these contexts (else "一些", "十分" would).
_ZH_CONTEXT = re.compile(
    r"(?:第|百分之)?[零〇一二两三四五六七八九十百千]+(?:万亿|亿|万)?(?=[个项名人年月日次位家国倍种条所届份%])"
    r"|(?:第|百分之)[零〇一二两三四五六七八九十百千]+"
)
_SCALE = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "百": 1e2,
          "trillion": 1e12, "billion": 1e9, "million": 1e6, "thousand": 1e3}
_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
          "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
          "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}
_WORD = re.compile(r"\b(" + "|".join(list(_WORDS) + list(_MONTHS)) + r")(?:-(" + "|".join(
    ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]) + r"))?\b", re.IGNORECASE)


def _key(value: float) -> float:
    return float(f"{value:.6g}")


def zh_numeral(text: str) -> float | None:
    """Value of a Chinese numeral ("七十五" → 75, "十" → 10, "二〇二三" → 2023, "3万" no); None if not one."""
    scale = 1.0
    for word in ("万亿", "亿", "万"):
        if text.endswith(word):
            scale, text = _SCALE[word], text[: -len(word)]
            break
    if not text or any(c not in _ZH_DIGITS and c not in _ZH_UNITS for c in text):
        return None
    if all(c in _ZH_DIGITS for c in text) and len(text) > 1:  # digit by digit: 二〇二三
        return float("".join(str(_ZH_DIGITS[c]) for c in text)) * scale
    total, digit = 0, None
    for c in text:
        if c in _ZH_DIGITS:
            digit = _ZH_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * _ZH_UNITS[c]
            digit = None
    return float(total + (digit or 0)) * scale


def normalise_digits(text: str) -> str:
    """Full-width digits to ASCII and digit groups joined: "１,０５０" / "1 050" → "1050"."""
    text = text.translate(_FULLWIDTH)
    return _GROUPED.sub(lambda m: re.sub(r"\D", "", m.group()), text)


def number_values(text: str, claim: bool = False) -> list[set[float]]:
    """Candidate values of each number in ``text``. ``claim=True`` reads Chinese numerals only in context."""
    text = normalise_digits(text)
    found: list[set[float]] = []
    for m in _ARABIC.finditer(text):
        base = float(m.group(1))
        cands = {_key(base)}
        if m.group(2):
            cands.add(_key(base * _SCALE[m.group(2).lower()]))
        found.append(cands)
    for m in (_ZH_CONTEXT if claim else _ZH_NUM).finditer(text):
        raw = m.group().removeprefix("第").removeprefix("百分之")
        value = zh_numeral(raw)
        if value is not None:
            found.append({_key(value)})
            unscaled = zh_numeral(re.sub(r"(万亿|亿|万)$", "", raw))
            if unscaled is not None and unscaled != value:
                found[-1].add(_key(unscaled))
    for m in _WORD.finditer(text):
        word = m.group(1).lower()
        if word in _MONTHS:
            if word == "may" and not re.search(r"\d", text[m.end() : m.end() + 6]):
                continue  # "may" the verb
            found.append({float(_MONTHS[word])})
        else:
            found.append({_key(_WORDS[word] + (_WORDS.get((m.group(2) or "").lower(), 0)))})
    return found


def unbacked_numbers(claim: str, source: str) -> list[set[float]]:
    """The numbers of ``claim`` that ``source`` does not contain (empty list = all backed)."""
    have: set[float] = set().union(*number_values(source)) if source else set()
    return [c for c in number_values(claim, claim=True) if not (c & have)]
