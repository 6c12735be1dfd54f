"""Does a text supply what a question asks for — with something the question does not already say?

On-topic questions whose answer is absent are usually answered (wrongly) by a sentence that restates the
question's own facts: Q "约旦那个耗资6000万美元…的项目，资金是谁出的？" against "…在约旦开展的一项耗资6000万
美元的工作…" — every name and number in it is the question's. The checks look at NEW tokens only:

- ``offers(slot, question, text, given=…)``: the kind of answer asked for (``rag.qtype``) occurs in
  ``text`` and neither in the question nor in ``given`` (a follow-up's previous answer): a number whose
  value is new ("1 050 亿" = "1050亿", "百分之18" = "18%", "七十五" = 75, via ``rag.numbers``), with the
  asked unit and noun when there is one; an amount of money; a percentage or fraction; a date (year,
  month, day, 去年/今年…) near the asked event; a place (of the asked category: "哪个岛屿" needs a name
  with 岛; not one inside a body's name: "阿伦达尔中心"; "在线" is where an online meeting is), city, country (two or more for "哪些国家"),
  person, quoted (“…”, 《…》) or organisation name (``rag.entities``); for a funder also funding words
  (资助/出资/供资/资金/捐/…); "哪所大学", "哪家银行" need a name with that head. Names found in more than
  ``COMMON`` of the indexed chunks (and more than ``MIN_COMMON_DF``: "环境署", "联合国") are the corpus's
  subject, never an answer — except as the doer of the very action asked about (``by_agent``: "由环境署召集的…"
  answers "…是由哪个机构召集的？"). List and open
  questions always pass.
- ``gives_reason(text)``: a causal or purpose pattern (因为/由于/从而/导致/为了/旨在/以便/"，以保护…").
- ``novelty(question, text, stats)``: the IDF weight of the nouns, names and numbers of ``text`` (jieba
  tags: verbs, time words and demonstratives carry no answer) that the question does not hold (exactly or
  by half of a word's character bigrams), without stop words, single characters and words in more than
  ``COMMON`` of the chunks; in units of the rarest word's weight, a new number counting at least half of
  it. A restating sentence scores 0–0.2; the threshold (``rag.select.MIN_NOVELTY``) is calibrated there.
- ``named_numbers`` / ``holds_numbers``: the years, figures and ordinals a question names as facts (not
  the counts it asks for: "哪两个国家"), and whether a text holds them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag import entities
from rag.numbers import number_values
from rag.qtype import Slot, agent_predicate, quantities, time_predicate
from rag.terms import QUESTION_WORDS, TermStats, norm

COMMON = 0.1  # share of chunks above which a word or name is the corpus's subject, not an answer
MIN_COMMON_DF = 10  # ...and at least this many chunks (in a small index nothing is ubiquitous)
_MONEY = re.compile(r"(?:\d[\d.,]*|[一二两三四五六七八九十百千]+)\s*(?:多|余)?\s*(?:万亿|亿|万|千|百)?\s*(?:美元|元|欧元|英镑|法郎|日元)"
                    r"|US\$\s*\d[\d.,]*|\$\s*\d[\d.,]*|€\s*\d[\d.,]*")
_PERCENT = re.compile(r"\d[\d.]*\s*%|百分之[零〇一二两三四五六七八九十百\d.]+|[一二三四五六七八九十]+分之[一二三四五六七八九十]+|"
                      r"半数|一半|大多数|大部分|多数")
_DATE = re.compile(r"(?:19|20)\d\d\s*年?|\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|[一二三四五六七八九十]{1,3}月|"
                   r"去年|今年|明年|前年|上半年|下半年|年初|年底|年中|年末")
_FUNDING = re.compile(r"资助|出资|供资|资金|经费|捐|赞助|拨款|筹[集资措]|投资|信托|提供[^，。]{0,8}美元")
_COUNT = re.compile(r"(?<!第)[零〇一二两三四五六七八九十]+(?=[个项名位种家国次届条所类])")
_REASON = re.compile(r"因为|由于|因此|因而|所以|从而|导致|引发|造成|以便|为了|旨在|目的|以期|是为了|使得|有助于|可以防止|"
                     r"能够|不仅|[，,]以[\u4e00-\u9fff]{2}")
_VENUE = re.compile(r"在线|线上|网上|以视频")  # "第二次会议于…在线举行" answers "在哪里举行"
_ANY_PLACE = frozenset("地方 地区 区域 地点 位置 国家 城市 场所".split())
_ANY_BODY = frozenset("机构 组织 单位 部门 实体 伙伴 合作伙伴 方 研究".split())
_CONTENT = ("n", "vn", "eng", "j", "nz")  # jieba tags of nouns, names, verbal nouns, Latin words, abbreviations
_WORD = re.compile(r"[0-9a-z\u3400-\u9fff]")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _values(text: str) -> set[float]:
    out: set[float] = set()
    for cands in number_values(text):
        out |= cands
    return out


def _new_number(found: str, question_values: set[float], claim: bool = False) -> bool:
    """A number in ``found`` whose value the question does not hold (``claim``: Chinese numerals only in
    context, for running text where "一场", "十分" are not numbers)."""
    vals = number_values(found, claim=claim)
    return bool(vals) and any(not (c & question_values) for c in vals)


def named_numbers(question: str) -> list[set[float]]:
    """The numbers a question names as facts (years, figures, "第二十六次", "UNEA-7"), each as its candidate
    values; counts of the asked-for thing ("哪两个国家", "三个") are not facts to find."""
    facts = _COUNT.sub("", question)
    return number_values(facts, claim=True)


def holds_numbers(numbers: list[set[float]], text: str) -> bool:
    """Every one of ``numbers`` occurs (by value) in ``text``."""
    have = _values(text) if numbers else set()
    return all(n & have for n in numbers)


def _common(stats: TermStats | None) -> Callable[[str], bool]:
    if stats is None or not stats.texts:
        return lambda name: False
    limit = max(COMMON * len(stats.texts), MIN_COMMON_DF)
    return lambda name: stats.df(norm(name)) > limit


def offers(slot: Slot, question: str, text: str, stats: TermStats | None = None, given: str = "") -> bool:
    """``text`` holds an answer of (one of) the kind(s) ``slot`` asks for that neither the question nor
    ``given`` (what the conversation already said: the last answer, for a follow-up) holds."""
    if not slot.typed:
        return True
    return any(_offers_kind(kind, slot, question, text, stats, given)
               for kind in slot.kinds if kind not in ("reason", "list"))


def gives_reason(text: str) -> bool:
    """A causal or purpose pattern: 因为/由于/因此/从而/导致/为了/旨在/以便/以确保/不仅…/有助于… ("，以保护…")."""
    return bool(_REASON.search(text))


def _offers_kind(kind: str, slot: Slot, question: str, text: str, stats: TermStats | None, given: str) -> bool:
    known = f"{question} {given}" if given else question
    qv = _values(known)
    if kind in ("number", "money", "percent"):
        if slot.unit:
            found = quantities(text, slot.unit, slot.noun)
        elif kind == "money":
            found = [m.group() for m in _MONEY.finditer(text)]
        elif kind == "percent":
            found = [m.group() for m in _PERCENT.finditer(text)]
        else:
            return _new_number(text, qv, claim=True)
        if kind == "percent" and any(re.search(r"[分半多大]", f) and f not in known for f in found):
            return True
        return any(_new_number(f, qv) for f in found)
    if kind == "time":
        dates = [m.group() for m in _DATE.finditer(text)]
        if not any(_new_number(d, qv) if re.search(r"\d|[一二三四五六七八九十]", d) else d not in known for d in dates):
            return False
        event = time_predicate(question)
        return not event or any(word in text for word in event)
    names = _names(kind, text)
    common = _common(stats)
    new = {n for n in entities.new_names(names, known) if not common(n)}
    if not new and kind in ("org", "agent", "person", "funder"):
        new = by_agent(question, text, known, names)
    if kind == "place" and slot.category and slot.category not in _ANY_PLACE:
        new = {n for n in new if slot.category[0] in n}  # "哪个岛屿" is answered by an island ("…岛")
    if kind == "org" and slot.category and slot.category not in _ANY_BODY:
        new = {n for n in new if slot.category in n}  # "哪所大学" is answered by a university ("…大学")
    if kind == "country":
        return len(new) >= (2 if slot.plural else 1)
    if kind == "funder":
        return bool(new) and bool(_FUNDING.search(text))
    return bool(new)


def by_agent(question: str, text: str, known: str, names: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
    """Who does the action the question asks the doer of, by the sentence's own wording: "由环境署金融倡议召集的"
    answers "…是由哪个部门召集的？" — even when the doer is the corpus's subject ("由环境署召集的") — as long as
    the question does not already name it."""
    q = norm(known)
    found: set[str] = set()
    for verb in agent_predicate(question):
        v = re.escape(verb)
        found |= {m.group(1) for m in re.finditer(rf"由([^，。；：、“”《》()（）\s]{{2,12}}?)(?:共同|联合|一起|牵头|负责)?{v}", text)}
        found |= {n for n in names if re.search(rf"{re.escape(n)}[^，。；：]{{0,4}}?{v}", text)}
    return {f for f in found if norm(f) not in q and f not in entities.GENERIC}


def _names(kind: str, text: str) -> set[str]:
    if kind in ("place", "city"):  # a place inside a body's name ("阿伦达尔中心", "日内瓦大学") is not where
        orgs = entities.organisations(text)
        found = entities.cities(text) if kind == "city" else entities.places(text) | set(_VENUE.findall(text))
        return {p for p in found if not any(p in o and p != o for o in orgs) or _outside(p, text, orgs)}
    if kind == "country":
        return entities.countries(text)
    if kind == "person":
        return entities.persons(text)
    if kind == "name":
        return entities.quoted_names(text) | entities.persons(text)
    if kind == "org":
        return entities.organisations(text)
    return entities.agents(text, with_roles=kind == "agent")  # "由谁承担" may be answered by "进口国和出口国"


def _outside(name: str, text: str, orgs: set[str]) -> bool:
    """``name`` also occurs in ``text`` outside every organisation name."""
    for org in sorted(orgs, key=len, reverse=True):
        text = text.replace(org, "□")
    return name in text


def novel_words(question: str, text: str, stats: TermStats) -> list[tuple[str, float]]:
    """The nouns, names and numbers of ``text`` that ``question`` (or what else is given with it) does not
    hold, with their IDF weights. Verbs, time words and demonstratives ("启动", "去年", "这一") carry no answer."""
    import jieba.posseg as pseg

    from rag.index.lexical import STOP_WORDS, normalise

    q = norm(question)
    qv = _values(question)
    common = _common(stats)
    out: dict[str, float] = {}
    for word, flag in pseg.lcut(normalise(text)):
        w = norm(word)
        if not w or w in out or not _WORD.search(w) or w in STOP_WORDS or w in QUESTION_WORDS:
            continue
        if re.fullmatch(r"[\d.]+", w):
            if not number_values(w) or number_values(w)[0] & qv:
                continue
            out[w] = max(stats.idf(w), 0.5 * stats.idf_at(1))  # a new figure is information however common
            continue
        if not flag.startswith(_CONTENT) or len(w) == 1 or w in q or _half_in(w, q) or common(w):
            continue
        out[w] = stats.idf(w)
    return list(out.items())


def _half_in(word: str, q: str) -> bool:
    if not _CJK.match(word) or len(word) < 2:
        return False
    grams = [word[i : i + 2] for i in range(len(word) - 1)]
    return sum(g in q for g in grams) / len(grams) >= 0.5


def novelty(question: str, text: str, stats: TermStats) -> float:
    """New content in ``text``, in units of the rarest possible word (IDF sum ÷ the IDF of a word found in
    one chunk), so that the threshold does not depend on the size of the index."""
    top = stats.idf_at(1)
    return sum(w for _, w in novel_words(question, text, stats)) / top if top > 0 else 0.0
