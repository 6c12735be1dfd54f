"""A passage about another body of the same kind than the one the question names is no source for it.

"2024年中国向环境署的环境基金捐了多少钱？" must not be answered from a passage about the 昆明生物多样性基金
("中国已承诺向该基金出资约2.3亿美元"): the question names a fund, the passage is about a different fund.
``foreign(question, passage, stats)`` is True when, for some kind of body (the head of the name: 基金, 项目,
会议, 报告, 工作组, …), the question names one or more bodies of that kind (``rag.entities.organisations``,
≥ 3 characters, not the corpus's own subject such as "环境署"), the passage — with its title and section
heading, short forms glossed (``rag.alias``) — holds none of them (nor a short or full form of one, nor
one without a leading "环境署"/"联合国…": "环境署氮问题工作组" is the section's "联合国环境规划署氮问题工作组"),
and it names another body of that kind. A passage that only says "工作组" or names no such body at all
is left to term coverage ("第三次会议是在哪里召开的" is answered from "…工作组将举行五次会议").

``holds_subject(question, part, passage, stats)``: for a part of a multi-part question that names no body
itself ("出资最多的是哪个国家？"), the passage holds one of those the rest of the question names ("…给环境基金
出了钱？"): a part's sentence from another passage must be about the question's subject.
"""

from __future__ import annotations

import re

from rag import entities
from rag.alias import gloss, table
from rag.names import missing
from rag.terms import TermStats, norm
from rag.types import Passage

HEADS = ("伙伴关系", "工作组", "委员会", "议定书", "实验室", "研究所", "基金", "项目", "会议", "报告", "计划", "平台",
         "方案", "倡议", "战略", "框架", "公约", "联盟", "中心", "机制", "网络", "举措", "论坛", "银行", "大学")
MIN_NAME = 3
_PREFIX = re.compile(r"^(?:联合国环境规划署|联合国环境署|环境署|联合国)")


def _head(name: str) -> str:
    return next((h for h in HEADS if name.endswith(h) and len(name) > len(h)), "")


def _forms(name: str, stats: TermStats) -> set[str]:
    """The name, its short or full form (``rag.alias``) and the name without a leading "环境署"/"联合国"."""
    n = norm(name)
    aliases = table(stats)
    out = {n, _PREFIX.sub("", n)}
    out |= {aliases[n]} if n in aliases else set()
    out |= {short for short, full in aliases.items() if full == n}
    return {f for f in out if len(f) >= 2}


def named_bodies(question: str, stats: TermStats) -> dict[str, list[str]]:
    """Head → the bodies of that kind the question names (the corpus's own subject aside)."""
    limit = _limit(stats)
    out: dict[str, list[str]] = {}
    for name in entities.organisations(question):
        head = _head(name)
        if head and len(name) >= MIN_NAME and stats.df(norm(name)) <= limit:
            out.setdefault(head, []).append(name)
    return out


def _holds(question: str, name: str, text: str, have: str, stats: TermStats) -> bool:
    """``text`` holds ``name`` or another of its forms (``have``: the glossed, normalised text) — not only
    inside a longer, different body (``rag.names.missing``: "环境基金" is not in "全球环境基金"; "乌得勒支大学"
    is in "荷兰王国乌得勒支大学", which the index never names otherwise)."""
    n = norm(name)
    if n in have and n not in missing(question, text, stats):
        return True
    return any(f in have for f in _forms(name, stats) - {n})


def _text(passage: Passage) -> str:
    chunk = passage.chunk
    return f"{chunk.title}。{chunk.section}。{chunk.text}"  # "。": a name does not run across them


def foreign(question: str, passage: Passage, stats: TermStats) -> bool:
    """The passage names another body of the kind the question names, and none of the question's (see above)."""
    bodies = named_bodies(question, stats)
    if not bodies:
        return False
    text = _text(passage)
    have = norm(gloss(text, stats))
    others = {norm(o) for o in entities.organisations(text)}
    for head, names in bodies.items():
        if any(_holds(question, n, text, have, stats) for n in names):
            continue
        if any(o.endswith(head) and len(o) > len(head) for o in others):
            return True
    return False


def holds_subject(question: str, part: str, passage: Passage, stats: TermStats) -> bool:
    """See the module docstring: True when ``part`` names a body itself, or the question names none."""
    if named_bodies(part, stats):
        return True
    names = [n for ns in named_bodies(question, stats).values() for n in ns]
    if not names:
        return True
    text = _text(passage)
    have = norm(gloss(text, stats))
    return any(_holds(question, n, text, have, stats) for n in names)


def _limit(stats: TermStats) -> float:
    from rag.supply import COMMON, MIN_COMMON_DF

    return max(COMMON * len(stats.texts), MIN_COMMON_DF)
