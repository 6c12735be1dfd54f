"""What kind of answer an English question asks for (its *slot*, ``rag.qtype.Slot``), for matching against
Chinese text: the slot's unit, counted noun and category are Chinese, so ``rag.supply.offers`` checks an
English question's answer exactly as a Chinese one's.

- number: "how many <noun>" — people (people, participants, staff, entrepreneurs…) are counted in 人/名/位
  ("how many people" ~ "5600多人"), with the noun when it is more than "people" ("young entrepreneurs" ~
  "115名青年企业家"); a measure ("tonnes", "hectares", "km", "ppm", "years"…) is that unit ("230万公顷");
  any other noun is counted with a classifier next to its Chinese rendering ("how many member states" ~
  "94个会员国"); "how much" + a comparison or quantity is any new number;
- money: "how much money/funding/investment…", "how much did … contribute/pledge/provide/spend…", "what
  was the budget/cost/amount/value/price of…", "(in) US dollars";
- percent: "what share/percentage/proportion/fraction/rate", "by what percent", "what % …";
- time: when / what year / which month / on what date / since when;
- country (plural for "which countries"), city ("in which city/town"), place (where; "which region /
  island / province…", its Chinese rendering the category the place must instantiate);
- person: "who is/was …", "which person/official/minister…"; org: "which organisation/agency/university/
  bank…" (a university must be a …大学, a bank a …银行); funder: "who funded/paid…", "which countries
  contributed/donated…"; name: "what is it called", "what is the name of"; agent: any other "who";
- reason: why / for what reason / what for / what is the purpose; list: which / what are.
``render(words)`` gives the Chinese renderings of an English word or phrase that occur in the indexed
text (``rag.translate.Translator.render``); without it, counted nouns and categories stay open.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.qtype import Slot

Render = Callable[[str], list[str]]
# an interrogative opens its clause ("…, and when was it published?"); "places where …" is a relative clause
_CLAUSE = r"(?:^|(?<=[,;:(—–\-])\s*|\b(?:and|or|but|so|exactly|precisely|me|know|say|explain|describe|in)\s+)(?:\w+ly\s+)?"

PEOPLE = frozenset(
    "people person persons individuals participants attendees delegates visitors staff employees workers "
    "experts officials scientists researchers students children women men girls boys youth farmers residents "
    "inhabitants citizens lives deaths victims entrepreneurs journalists volunteers members refugees "
    "fishers teachers doctors patients users speakers leaders ministers".split())
_GENERIC_PEOPLE = frozenset("people person persons individuals participants attendees lives deaths victims".split())
UNITS = {"tonnes": "吨", "tonne": "吨", "tons": "吨", "ton": "吨", "hectares": "公顷", "hectare": "公顷",
         "ha": "公顷", "km": "公里", "kilometres": "公里", "kilometers": "公里", "ppm": "ppm", "years": "年",
         "days": "天", "months": "月", "weeks": "周", "times": "次"}
_STOP = frozenset(
    "did does do were was are is have has had will would could can should may might of in at for from with by on "
    "to the a an that which who than per each every been being this these those there their its".split())
_MANY = re.compile(r"\bhow many\b\s*(.*)", re.IGNORECASE)
_UNIT_PHRASE = re.compile(r"\b(?:in|of|how many)\s+(tonnes|tons|hectares|km|kilometres|kilometers|ppm|parts per million)\b",
                          re.IGNORECASE)
_MONEY_WORDS = r"(?:money|funding|funds|finance|financing|investment|capital|budget|aid|grant|grants|revenue|dollars|euros)"
_ASK_MONEY = re.compile(
    rf"\bhow much\s+{_MONEY_WORDS}\b|\bhow much\b(?:\s+\S+){{0,6}}?\s+(?:contribut|pledg|provid|invest|spen[dt]|rais|cost|"
    r"donat|giv|gave|allocat|receiv|mobili[sz]|fund|paid|pay|earn|commit|approv|disburs|put)\w*|"
    r"\bwhat (?:is|was|were|are|will be)? ?(?:the |its |their )?(?:total |overall |annual |estimated )?"
    r"(?:budget|cost|amount|value|price|sum|funding|financing)\b|\bin (?:us )?dollars\b|\bhow much did it cost\b",
    re.IGNORECASE)
_ASK_PERCENT = re.compile(r"\bwhat (?:\w+ )?(?:share|percentage|proportion|fraction|percent|rate)\b|\bby what (?:percent|percentage)|"
                          r"\bhow many percent|\bwhat %", re.IGNORECASE)
_ASK_NUMBER = re.compile(r"\bhow (?:many|much|long|large|big|high|far|often|tall|deep|old|heavy|wide)\b|"
                         r"\bwhat (?:number|amount|quantity|size)\b|\bwhat (?:is|was|are|were) the (?:total |estimated )?"
                         r"(?:population|number|size|area|length|height|depth|weight|volume|quantity)\b", re.IGNORECASE)
_ASK_TIME = re.compile(_CLAUSE + r"when\b|\b(?:what|which) (?:year|month|date|day|decade)\b|\bsince when\b|\bon what date\b",
                       re.IGNORECASE)
_ASK_COUNTRY = re.compile(r"\b(?:which|what) (?:\w+ ){0,2}(?:countr(?:y|ies)|nations?|member states?)\b", re.IGNORECASE)
_ASK_CITY = re.compile(r"\b(?:which|what) (?:city|cities|town|towns|capital)\b|\bthe capital (?:city )?of\b", re.IGNORECASE)
_PLACE_NOUNS = r"(?:place|places|location|locations|region|regions|area|areas|province|provinces|state|island|islands|" \
               r"lake|river|site|sites|venue|district|village|park|reserve|sea|coast|watershed|basin)"
_ASK_PLACE = re.compile(_CLAUSE + r"where\b|" + rf"\b(?:which|what) (?:\w+ )?{_PLACE_NOUNS}\b", re.IGNORECASE)
_ASK_PERSON = re.compile(r"\bwho (?:is|was|are|were)\b(?! (?:responsible|behind|involved))|\bwhose name\b|"
                         r"\bwho (?:chaired|chairs|presided|presides|headed|heads|leads|led)\b|"
                         r"\b(?:which|what) (?:person|official|minister|expert|scientist|leader|individual|president|"
                         r"director|chair|head|ambassador|champion)\b", re.IGNORECASE)
_ORG_NOUNS = r"(?:organi[sz]ations?|agenc(?:y|ies)|institutions?|bod(?:y|ies)|universit(?:y|ies)|banks?|compan(?:y|ies)|" \
             r"firms?|ministr(?:y|ies)|foundations?|institutes?|secretariats?|ngos?|entit(?:y|ies)|partners?|businesses)"
_ASK_ORG = re.compile(rf"\b(?:which|what) (?:\w+ ){{0,2}}?({_ORG_NOUNS})\b", re.IGNORECASE)
_BODY = frozenset("organization organisation agency institution body entity partner ngo business".split())
_ASK_FUNDER = re.compile(r"\bwho (?:has |have |had )?(?:funded|funds|fund|paid|pays|financed|finances|sponsored|donated|"
                         r"contributed|put (?:up )?(?:the )?money)|\bwho put money\b|"
                         r"\b(?:which|what) (?:\w+ )?(?:countries|country|donors?|governments?|partners?|funders?|sponsors?) "
                         r"(?:\w+ )?(?:funded|financed|contributed|donated|pledged|paid|sponsored)\b|"
                         r"\b(?:funded|financed|paid|sponsored) by (?:whom|which|what)\b", re.IGNORECASE)
_ASK_NAME = re.compile(r"\bwhat (?:is|was|are|were) (?:it|they|this|that|the \w+(?: \w+)?) called\b|"
                       r"\bwhat (?:is|was) (?:the|its|their) name\b", re.IGNORECASE)
_ASK_AGENT = re.compile(r"\bwho\b|\bby whom\b", re.IGNORECASE)
_ASK_WHY = re.compile(_CLAUSE + r"why\b|\bfor what (?:reason|purpose)\b|\bwhat for\b|"
                      r"\bwhat (?:is|was|are|were) the (?:main )?(?:purpose|reason|rationale|aim)s?\b", re.IGNORECASE)
_ASK_LIST = re.compile(r"\bwhich\b|\bwhat (?:are|were)\b", re.IGNORECASE)
_PLURAL = re.compile(r"\b(?:which|what) (?:\w+ ){0,2}(?:countries|nations|member states|cities|places|regions|islands|sites)\b",
                     re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z\-']*")


def english_slot(question: str, render: Render | None = None, classifier: Callable[[str], str] | None = None) -> Slot:
    """The slot an English question (part) asks for, its unit / counted noun / category in Chinese;
    ``classifier(zh)``: the classifier the text counts a rendering with ("一头大象" → 头; "" when never counted)."""
    render = render or (lambda _: [])
    checks = (("funder", _ASK_FUNDER), ("money", _ASK_MONEY), ("percent", _ASK_PERCENT), ("number", _ASK_NUMBER),
              ("time", _ASK_TIME), ("country", _ASK_COUNTRY), ("city", _ASK_CITY), ("place", _ASK_PLACE),
              ("person", _ASK_PERSON), ("org", _ASK_ORG), ("name", _ASK_NAME), ("agent", _ASK_AGENT),
              ("reason", _ASK_WHY), ("list", _ASK_LIST))
    kinds = [kind for kind, pattern in checks if pattern.search(question)]
    if _UNIT_PHRASE.search(question) and not {"number", "money", "percent"} & set(kinds):
        kinds.insert(0, "number")  # "what sulphur content, in parts per million" asks for a figure
    unit, noun = count_unit(question, render, classifier) if "number" in kinds else (None, None)
    if "number" in kinds and ("money" in kinds or "percent" in kinds):
        kinds.remove("number")
    if unit == "%" and "number" in kinds:
        kinds[kinds.index("number")] = "percent"
        unit = None
    if "number" in kinds and "country" in kinds and re.search(r"\bhow many\b", question, re.IGNORECASE):
        kinds.remove("country")  # "how many countries" asks for a count, not for names
    if "agent" in kinds and {"funder", "person", "org"} & set(kinds):
        kinds.remove("agent")
    if "funder" in kinds and "country" in kinds:
        kinds.remove("country")
    if "city" in kinds and "place" in kinds:
        kinds.remove("place")
    if "org" in kinds and "place" in kinds:
        kinds.remove("place")  # "which agency in the region"
    if "list" in kinds and len(kinds) > 1:
        kinds.remove("list")
    return Slot(tuple(dict.fromkeys(kinds)), bool(_PLURAL.search(question)), unit, noun, category(question, kinds, render))


def count_unit(question: str, render: Render,
               classifier: Callable[[str], str] | None = None) -> tuple[str | None, str | None]:
    """The unit and counted noun (in Chinese) of a "how many …" question: ("人", None) for "how many people",
    ("人", "企业家") for "how many young entrepreneurs", ("公顷", None) for "how many hectares", ("个", "会员国")
    for "how many member states" (the classifier the text counts it with: "一头大象"); (None, None) when nothing countable can be rendered."""
    m = _UNIT_PHRASE.search(question)
    if m:
        word = m.group(1).lower()
        return ("ppm" if word == "parts per million" else UNITS[word]), None
    m = _MANY.search(question)
    if not m:
        return (None, None) if not re.search(r"\bwhat percent|%", question) else ("%", None)
    words = []
    for w in _WORD.findall(m.group(1).lower()):
        if w in _STOP or (words and w.endswith("ed")):
            break
        words.append(w)
        if len(words) == 3:
            break
    if not words:
        return None, None
    if words[0] in ("percent", "per"):
        return "%", None
    if words[-1] in UNITS or words[0] in UNITS:
        return UNITS[words[-1] if words[-1] in UNITS else words[0]], None
    zh, unit = _render_span(words, render, classifier or (lambda _: ""))
    if any(w in PEOPLE for w in words):
        return "人", (None if words[-1] in _GENERIC_PEOPLE or not zh else zh)
    return (unit or "个", zh) if zh else (None, None)


def _render_span(words: list[str], render: Render, classifier: Callable[[str], str]) -> tuple[str | None, str]:
    """The Chinese rendering of the counted noun: of the whole phrase ("member states" → 会员国) or of a
    single noun ("sensors" → 传感器), with its classifier; the one the text counts ("N个…") first. None for a phrase only partly
    rendered ("action areas": 区域 would miss "10个行动领域"): any count will do then."""
    spans = [words] if len(words) > 1 else []
    spans += [words[:1]] if len(words) == 1 or words[1:] and words[0] in PEOPLE else []
    for span in spans:
        zh = [z for z in render(" ".join(span)) if len(z) >= 2]
        if zh:
            best = next((z for z in zh if classifier(z)), zh[0])
            return best, classifier(best)
    return None, ""


def category(question: str, kinds: list[str], render: Render) -> str | None:
    """What a place or organisation answer must be ("which university" → 大学, "which island" → 岛屿);
    None for the generic ones ("which organisation", "which region")."""
    if "org" in kinds:
        m = _ASK_ORG.search(question)
        noun = m.group(1).lower() if m else ""
        singular = re.sub(r"(?:ies)$", "y", re.sub(r"(?<=[^s])s$", "", noun))
        if not noun or singular in _BODY or singular.startswith(("organi", "bod", "entit")):
            return None
        zh = [z for z in render(singular) if len(z) >= 2]
        return zh[0] if zh else None
    if "place" in kinds:
        m = re.search(rf"\b(?:which|what) (?:\w+ )?({_PLACE_NOUNS})\b", question, re.IGNORECASE)
        if not m or m.group(1).lower().rstrip("s") in ("place", "location", "area", "region", "site", "venue"):
            return None
        zh = [z for z in render(m.group(1).lower()) if len(z) >= 2]
        return zh[0] if zh else None
    return None


def slot_reader(lexicon: object) -> Callable[[str], Slot]:
    """``english_slot`` over a translator (``render`` / ``classifier``, ``rag.translate.Translator``), memoised."""
    memo: dict[str, Slot] = {}

    def read(question: str) -> Slot:
        if question not in memo:
            memo[question] = english_slot(question, getattr(lexicon, "render", None), getattr(lexicon, "classifier", None))
        return memo[question]

    return read
