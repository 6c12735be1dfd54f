"""What kind of answer a question expects, and whether a text offers one.

- quantity: "多少/几 + measure word (+ noun)" (多少名联络人, 几个国家, 多少年) expects a number followed by
  that unit and, when the question names it, that noun ("75 名联络人", "40多个国家", "五年"); for 年 a
  calendar year ("2022 年") does not count — "多少年" asks for a duration. Money (多少资金, 投入…多少)
  expects an amount in a currency. Other quantity questions (多少, 多大, 比例, how many) expect a number.
- time: 何时 / 什么时候 / 哪一年 / 哪年 / 哪个月 / when / what year expect a year or month, next to the
  event asked about: one of the content words after the time phrase ("哪一年生效" → 生效) must occur.
- place: 哪里 / 在哪 / 哪个城市 / where expect a place name (jieba ``ns``).
- why: 为什么 / 为何 / 原因 / why — the reason is often in the sentence next to the matching one.
"""

from __future__ import annotations

import re

_UNITS = ("亿美元|万美元|美元|亿欧元|欧元|亿元|万元|元|万吨|公吨|吨|公顷|平方公里|公里|千米|%|个|项|名|次|位|家|国|人|"
          "年|天|月|周|种|条|所|届|份|座|倍|岁|场|只|头|株|棵|件|篇|本|处|批|轮|期|类|部|款")
_ASK_UNIT = re.compile(rf"(?:多少|几)\s*(?:亿|万|千|百)?\s*({_UNITS})")
_ASK_NUMBER = re.compile(r"多少|几[个项名次位年种家国倍]|多大|多长|多久|比例|百分之|规模|数量|how (?:many|much|long|large|big)|"
                         r"what (?:share|percentage|proportion|amount|number)", re.IGNORECASE)
_ASK_MONEY = re.compile(r"多少(?:资金|钱|经费|金额|投资|捐款|资助|预算|费用|罚款)|(?:资金|经费|金额|投资|预算|费用|罚款)[^，。？?]{0,6}多少|"
                        r"how much (?:money|funding)", re.IGNORECASE)
_MONEY = re.compile(r"(?:\d[\d.,]*|[一二两三四五六七八九十百千]+)\s*(?:多|余)?\s*(?:万亿|亿|万|千|百)?\s*(?:美元|元|欧元|英镑|法郎|日元)"
                    r"|US\$|\$\s*\d|€\s*\d")
_ASK_TIME = re.compile(r"何时|什么时候|哪一年|哪年|哪个月|哪一天|哪天|\bwhen\b|what year|which year", re.IGNORECASE)
_ASK_PLACE = re.compile(r"哪里|在哪|何地|何处|哪个城市|哪座城市|哪个地方|\bwhere\b|which city", re.IGNORECASE)
_ASK_WHY = re.compile(r"为什么|为何|原因|理由|目的是|\bwhy\b|for what reason", re.IGNORECASE)
_NUMBER = r"(?:\d[\d.,]*|[零〇一二两三四五六七八九十百千]+)"
_YEAR = re.compile(r"(?:19|20)\d\d\s*年")
_DATE = re.compile(r"(?:19|20)\d\d\s*年|\d{1,2}\s*月|[一二三四五六七八九十]{1,3}月|(?:19|20)\d\d")


def expected_unit(question: str) -> str | None:
    m = _ASK_UNIT.search(question)
    return m.group(1) if m else None


def counted_noun(question: str) -> str | None:
    """The noun counted by "多少/几 + unit" ("多少个国家" → "国家"), when one follows the unit."""
    m = _ASK_UNIT.search(question)
    if not m:
        return None
    import jieba

    words = jieba.lcut(question[m.end() :])
    head = words[0] if words else ""
    return head if len(head) >= 2 and re.match(r"[\u4e00-\u9fff]", head) else None


def asks_money(question: str) -> bool:
    return bool(_ASK_MONEY.search(question))


def asks_number(question: str) -> bool:
    return bool(_ASK_NUMBER.search(question))


def asks_time(question: str) -> bool:
    return bool(_ASK_TIME.search(question))


def time_predicate(question: str) -> list[str]:
    """The event a time question asks about: the content words right after the time phrase
    ("…在哪一年全部到位？" → ["全部", "到位"]; "何时、由哪个会议通过的" → ["会议", "通过"])."""
    from rag.lexical import STOP_WORDS

    m = _ASK_TIME.search(question)
    if not m:
        return []
    import jieba

    tail = re.split(r"[？?。；;！!]", question[m.end() :])[0]
    return [w for w in jieba.lcut(tail) if len(w) >= 2 and re.match(r"[\u4e00-\u9fff]", w)
            and w not in STOP_WORDS and not re.search(r"哪|什么|谁|多少", w)]


def asks_place(question: str) -> bool:
    return bool(_ASK_PLACE.search(question))


def asks_why(question: str) -> bool:
    return bool(_ASK_WHY.search(question))


def has_quantity(text: str, unit: str, noun: str | None = None) -> bool:
    """A number directly followed by ``unit`` (allowing 多/余/几 and a magnitude between) and, when
    ``noun`` is given, by the noun's first two characters within a few characters."""
    after = rf".{{0,8}}?{re.escape(noun[:2])}" if noun else ""
    pattern = re.compile(rf"{_NUMBER}\s*(?:多|余|几)?\s*(?:亿|万|千|百)?\s*{re.escape(unit)}{after}")
    for m in pattern.finditer(re.sub(r"(?<=\d)[ ,](?=\d{3})", "", text)):
        if unit == "年" and _YEAR.match(m.group().strip()):
            continue
        if not re.search(r"\d|[一二两三四五六七八九十百千]", m.group()):
            continue
        return True
    return False


def _has_place(text: str) -> bool:
    """A place name: jieba tags it ns (or nrt: transliterated foreign names such as 布加勒斯特)."""
    import jieba.posseg as pseg

    return any(flag in ("ns", "nrt") for _, flag in pseg.lcut(text))


def offers_answer(question: str, text: str) -> bool:
    """Does ``text`` hold the kind of thing ``question`` asks for (when that kind is recognisable)?"""
    unit = expected_unit(question)
    if unit is not None:
        return has_quantity(text, unit, counted_noun(question))
    if asks_money(question) and not _MONEY.search(text):
        return False
    if asks_number(question) and not re.search(r"\d|[一二两三四五六七八九十百千万亿]", text):
        return False
    if asks_time(question):
        if not _DATE.search(text):
            return False
        event = time_predicate(question)
        if event and not any(word in text for word in event):
            return False
    if asks_place(question) and not _has_place(text):
        return False
    return True
