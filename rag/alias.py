"""Short forms the documents define ("联合国环境大会第六届会议（UNEA-6）", "全球环境基金（全环基金）"), so that a
question using one form reaches text using the other — name captions and sidebars ("莱拉·贝纳利 UNEA-6主席")
often use only the short one.

``table(stats)``: short form → full form, read from the indexed chunks: a Latin short form (2–12
characters) or a Chinese one (2–6 characters whose characters occur in order in the full form) in
brackets right after a run of Chinese text; the full form is that run after its last "的": for a Chinese
short form from its first character on, for a Latin one its trailing name-like words (nouns, numerals,
和/与/及 inside: "气候技术中心和网络"), ≥ ``MIN_FULL`` characters; the most frequent one when several.
``gloss(text, stats)``: ``text`` plus the full forms of the short forms it holds (for term coverage).
``expand(query, stats)``: the query plus the short forms of the full forms it holds (for retrieval);
``abbreviate(query, stats)``: the query with those full forms replaced by their short forms ("" when it
holds none) — a second ranking, in which a caption that only has the short form is not outweighed.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from rag.terms import TermStats, norm

MIN_FULL = 4
_DEFINED = re.compile(r"([\u4e00-\u9fff]{2,30})\(([a-z][a-z0-9\-]{1,11}|[\u4e00-\u9fff]{2,6})\)")
_LEAD = re.compile(r"^[在于由向与将为]")
_NAMEISH = ("n", "vn", "j", "l", "m", "nz", "nt", "ns", "nr", "b")  # jieba tags a name is made of
_JOIN = frozenset("和 与 及".split())


def _subsequence(short: str, full: str) -> bool:
    it = iter(full)
    return all(c in it for c in short)


def _name_tail(run: str) -> str:
    """The run's last name-like stretch: its trailing nouns (with numerals and 和/与/及 inside)."""
    import jieba.posseg as pseg

    words = pseg.lcut(run)
    i = len(words)
    while i > 0 and (words[i - 1].flag.startswith(_NAMEISH) or (words[i - 1].word in _JOIN and i < len(words))):
        i -= 1
    while i < len(words) and (words[i].word in _JOIN or words[i].flag.startswith("m")):
        i += 1  # a name does not open with a conjunction or a number ("2024年…")
    return "".join(w.word for w in words[i:])


def _full(run: str, short: str) -> str:
    run = run.rsplit("的", 1)[-1]
    if re.match(r"[\u4e00-\u9fff]", short):
        starts = [i for i, c in enumerate(run) if c == short[0] and _subsequence(short, run[i:])]
        return run[starts[-1]:] if starts and len(run) - starts[-1] > len(short) else ""
    return _name_tail(_LEAD.sub("", run))


@lru_cache(maxsize=8)
def _table(texts: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, Counter[str]] = {}
    for text in texts:
        for m in _DEFINED.finditer(text):
            full = _full(m.group(1), m.group(2))
            if len(full) >= MIN_FULL and full != m.group(2):
                found.setdefault(m.group(2), Counter())[full] += 1
    return {short: max(c, key=lambda f: (c[f], len(f))) for short, c in found.items()}


def table(stats: TermStats) -> dict[str, str]:
    """Short form → full form (matching form, ``rag.terms.norm``) over the indexed chunks."""
    return _table(tuple(stats.texts))


def gloss(text: str, stats: TermStats) -> str:
    """``text`` followed by the full forms of the short forms it holds (those it does not spell out)."""
    t = norm(text)
    extra = [full for short, full in table(stats).items() if short in t and full not in t]
    return f"{text} {' '.join(extra)}" if extra else text


def expand(query: str, stats: TermStats) -> str:
    """``query`` followed by the short forms of the full forms it holds."""
    q = norm(query)
    extra = [short for short, full in table(stats).items() if full in q and short not in q]
    return f"{query} {' '.join(extra)}" if extra else query


def abbreviate(query: str, stats: TermStats) -> str:
    """``query`` (matching form) with the full forms it holds replaced by their short forms; "" when none."""
    q = norm(query)
    out = q
    for short, full in sorted(table(stats).items(), key=lambda kv: -len(kv[1])):
        if full in out and len(full) > len(short):
            out = out.replace(full, f" {short} ")
    return out if out != q else ""
