"""A question's key terms and how well a text covers them (the basis of sentence scoring and refusal).

Terms are jieba words of the question (precise mode; stop words and question words out), numbers and
Latin names, each weighted by its inverse document frequency over the indexed chunks, so that rare,
specific words ("车龄", "布加勒斯特", "2019") count more than the topic words every passage shares.
A word absent from the whole index gets the weight of a word found in ``ABSENT_DF`` chunk(s) and is marked
``absent``: it is a paraphrase ("剖析" for "阐明") or the missing fact — often the very topic the index
lacks ("蓝鲸"), so it keeps a full weight and only earns partial credit for shared characters. Single
Chinese characters count half; the word naming the asked-for kind of thing ("哪个机构") counts
``CATEGORY_WEIGHT``: the answer instantiates it ("国际家畜研究所") rather than repeats it.

``credit(term, text)``: 1 when the term occurs in the text (case, width, digit grouping and whitespace
ignored); for a Chinese word of three or more characters, partial credit 0.7 × its share of character
bigrams found, when at least half are found ("统一标准" vs "统一的标准"); for a two-character word found
with one character inserted ("患病" in "患疾病"), ``CHAR_CREDIT``; for a word absent from the index,
``CHAR_CREDIT`` × its share of characters found, when at least half are; else 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.index.lexical import STOP_WORDS, normalise

# Words that frame a question rather than name what it is about.
QUESTION_WORDS = frozenset(
    "一共 总共 共有 分别 具体 主要 请问 根据 提到 提及 指出 描述 介绍 说明 显示 认为 估计 年报 报告 文件 文档 "
    "有关 相关 情况 方面 内容 主题 围绕 作用 哪些方面 取得 分别是 各自 都 又 还 呢 比例 比重 百分比 数量 数目 规模 金额 "
    "时间 时候 日期 地点 原因 理由 名字 名称 叫 称号 人数 还有 里面 里头 当中 例子 举例 举 那边 这边 "
    "what which who whom when where why how many much does did do is are was were the a an of in on to for by "
    "and with from as that this these those according report reports mentioned say says".split()
)
_INTERROGATIVE = re.compile(r"谁|哪|什么|怎|多少|多大|多长|多久|多高|多远|多重|为何|如何|何时|何地|何处|^几[个项名次位年种家国倍]?$")
_COUNT_WORD = re.compile(r"^[一二两三四五六七八九十几这那该每]+[个项场次位名种家国条所届份批轮类]$")
_ASKS_NEXT = re.compile(r"(?:哪|什么|多少)[个些家类种位项场座条]?$")
ABSENT_DF = 1
CATEGORY_WEIGHT = 0.5
CHAR_CREDIT = 0.5
_URL = re.compile(r"<?https?://\S+|www\.\S+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORDLIKE = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def norm(text: str) -> str:
    """Matching form: NFKC, lower case, digit groups joined, no whitespace."""
    return re.sub(r"\s+", "", normalise(text))


@dataclass(frozen=True)
class Term:
    text: str  # in matching form
    weight: float
    absent: bool = False  # found in no indexed chunk
    alts: tuple[str, ...] = ()  # other renderings that count as the term (an English word's translations)


@dataclass
class TermStats:
    """Document frequencies of terms over a fixed set of texts (the indexed chunks)."""

    texts: list[str]
    lang: str = "zh"  # the language most texts are in ("zh" when there are none)
    _df: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> TermStats:
        from rag.lang import detect_language

        texts = list(texts)
        langs = [detect_language(strip_urls(t)) for t in texts]
        lang = max(("zh", "en", "mixed"), key=langs.count) if langs else "zh"
        return cls([norm(t) for t in texts], lang)

    def df(self, term: str) -> int:
        if term not in self._df:
            self._df[term] = sum(1 for t in self.texts if term in t)
        return self._df[term]

    def idf(self, term: str) -> float:
        return self.idf_at(self.df(term))

    def idf_at(self, df: int) -> float:
        n = len(self.texts)
        return math.log((n + 1) / (max(df, 1) + 0.5))


def strip_urls(text: str) -> str:
    return _URL.sub("", text)


def _words(text: str) -> list[str]:
    import jieba

    return jieba.lcut(normalise(text))


def question_terms(question: str, stats: TermStats) -> list[Term]:
    """The weighted key terms of ``question`` (each once, in question order; weights as the module says)."""
    seen: dict[str, float] = {}
    absent: set[str] = set()
    previous = ""
    for word in _words(question):
        w = norm(word)
        after_question_word = bool(_ASKS_NEXT.search(previous))
        if w.strip():
            previous = w
        if not w or not _WORDLIKE.search(w) or w in STOP_WORDS or w in QUESTION_WORDS or w in seen:
            continue
        if _INTERROGATIVE.search(w) or _COUNT_WORD.match(w):
            continue
        if len(w) == 1 and not w.isdigit():
            if not _CJK.match(w):
                continue
            weight = 0.5 * stats.idf(w)
        elif stats.df(w) == 0:
            weight = stats.idf_at(ABSENT_DF)
            absent.add(w)
        else:
            weight = stats.idf(w)
        seen[w] = weight * (CATEGORY_WEIGHT if after_question_word and len(w) > 1 else 1.0)
    return [Term(t, max(wt, 0.0), t in absent) for t, wt in seen.items() if wt > 0]


def _bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)]


def credit(term: str, text_norm: str, absent: bool = False) -> float:
    if term in text_norm:
        return 1.0
    if len(term) >= 3 and _CJK.match(term[0]):
        grams = _bigrams(term)
        found = sum(1 for g in grams if g in text_norm) / len(grams)
        if found >= 0.5:
            return 0.7 * found
    if len(term) == 2 and _CJK.match(term[0]) and re.search(f"{re.escape(term[0])}.{re.escape(term[1])}", text_norm):
        return CHAR_CREDIT  # one character inserted: "患病" in "患疾病"
    if absent and len(term) >= 2 and _CJK.match(term[0]):  # a paraphrase sharing characters
        chars = sum(1 for c in term if c in text_norm) / len(term)
        return CHAR_CREDIT * chars if chars >= 0.5 else 0.0
    return 0.0


def coverage(terms: Sequence[Term], text: str, *, normalised: bool = False) -> float:
    """Weighted share of ``terms`` found in ``text`` (0..1); 0 when there are no terms."""
    total = sum(t.weight for t in terms)
    if total <= 0:
        return 0.0
    text_norm = text if normalised else norm(text)
    return sum(t.weight * term_credit(t, text_norm) for t in terms) / total


def term_credit(term: Term, text_norm: str) -> float:
    """``credit`` of the term or, when it has alternatives (translations), of the best of them."""
    best = credit(term.text, text_norm, term.absent)
    for alt in term.alts:
        if best >= 1.0:
            break
        best = max(best, credit(alt, text_norm, term.absent))
    return best


_SPLIT = re.compile(r"(?<=[？?；;。])\s*|(?<=[，,])\s*(?=(?:又|还|以及|并且|同时|and (?:what|how|which|who|when|where|why)))")
_BOTH = re.compile(r"分别|都|各自|双方|两者|both|respectively|each", re.IGNORECASE)
_TITLE = re.compile(r"《[^》]*》|“[^”]*”")
_CONJUNCTS = re.compile(r"([^\s，,。？?；;、的“”《》（）()□]{1,12})(?:和|与|及)([^\s，,。？?；;、的“”《》（）()□都分各]{1,12})")


def sub_questions(question: str) -> list[str]:
    """The parts of a multi-part question ("…在哪里召开的？采用了什么形式？" → two parts). A question about
    two things at once ("2020年和2024年的年报分别…", "A报告和B报告都…") also yields one version per thing."""
    parts = [p for p in _SPLIT.split(question) if _WORDLIKE.search(p.lower())] or [question]
    out: list[str] = []
    for part in parts:
        masked = _TITLE.sub(lambda t: "□" * len(t.group()), part)  # never split inside a title or quote
        m = _CONJUNCTS.search(masked) if _BOTH.search(question) else None
        if not _CJK.search(part):  # English: "the 2020 and 2024 reports", "in report A and in report B"
            from rag.index.english import conjunct_parts

            out += conjunct_parts(part)
        elif m:
            head, tail = part[: m.start()], part[m.end() :]
            a, b = part[m.start(1) : m.end(1)], part[m.start(2) : m.end(2)]
            out += [head + a + tail, head + b + tail]
        else:
            out.append(part)
    return out


ABSENT_WEIGHT = 0.6  # an absent group's weight, times the weight of a word found in ABSENT_DF chunk(s)


class TermTranslator:
    """The index's dictionary translator (``rag.index.translate.Translator``) with the answer side's key terms:
    everything else is delegated to it."""

    def __init__(self, translator: Any, stats: TermStats) -> None:
        self.translator = translator
        self.stats = stats

    def __getattr__(self, name: str) -> Any:
        return getattr(self.translator, name)

    def terms(self, question: str) -> list[Term]:
        """Key terms of an English (or mixed) question, in Chinese matching form."""
        out: list[Term] = []
        absent_weight = ABSENT_WEIGHT * self.stats.idf_at(ABSENT_DF)
        for g in self.translator.translate(question).groups:
            if g.kind == "unknown":
                continue
            if not g.alts:  # identifiers ("COP30") are what they are: no paraphrase can stand in for them
                full = re.search(r"\d", g.source) is not None
                out.append(Term(norm(g.source), self.stats.idf_at(ABSENT_DF) if full else absent_weight, True))
                continue
            names = [a for a, _ in g.alts]
            weight = self.weight(g)
            if weight > 0:
                out.append(Term(names[0], weight, False, tuple(names[1:])))
        return out

    def weight(self, group: Any) -> float:
        """A rendered group's weight: the IDF of the chunks holding any of its renderings (half for single
        Chinese characters)."""
        names = [a for a, _ in group.alts]
        df = sum(1 for t in self.stats.texts if any(a in t for a in names))
        return self.stats.idf_at(df) * (0.5 if all(len(a) == 1 and not a.isdigit() for a in names) else 1.0)
