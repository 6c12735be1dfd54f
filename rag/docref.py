"""Which indexed document a question (part) names as its source: "2024年年报", "氮管理进展报告", "循环经济进展报告".

A cross-document question says where each of its parts should be read ("环境署的循环经济进展报告和2024年年报在
介绍…时各自强调了什么？"): a sentence from another document is no answer to that part, however many of its
words it shares. ``designated(text, titles)`` finds the phrases that name a report — "<year>年(的)年报/年度报告",
or the words before "报告" ("氮管理进展报告" → 氮, 管理, 进展), never a title quoted in 《》 or “” (those name
reports the documents cite, not the documents) — and returns the one document whose title holds all of a
phrase's words (年报 = 年度报告), or None when no phrase names exactly one document.

``scoped(retrieve, question, passages, titles, k, rrf_k)``: for each part of a question that names a
document, that part's ranking within the document, fused (RRF) with the question's: the named document's
best passages for the part reach the answerer even when another document repeats the question's words more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from rag.types import Passage

_QUOTED = re.compile(r"《[^》]*》|“[^”]*”|「[^」]*」")
_ANNUAL = re.compile(r"((?:19|20)\d\d)\s*年\s*(?:的)?\s*(?:年报|年度报告)")
_REPORT = re.compile(r"([\u4e00-\u9fff]{1,10}?)(?:报告)")
_LEAD = re.compile(r"^(?:.*[的和与及在对])?(?:联合国环境规划署|联合国环境署|环境署)?")
_NOT_NAMING = frozenset("该 这份 这个 此 本 上述 那份 一份 哪份 什么 哪个 多少 国家 各国".split())


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _phrases(text: str) -> list[list[str]]:
    """The word lists of the phrases in ``text`` that name a report (see the module docstring)."""
    import jieba

    masked = _QUOTED.sub(lambda m: "□" * len(m.group()), text)
    out: list[list[str]] = []
    for m in _ANNUAL.finditer(masked):
        out.append([m.group(1), "年度报告"])
    for m in _REPORT.finditer(_ANNUAL.sub(lambda m: "□" * len(m.group()), masked)):
        phrase = _LEAD.sub("", m.group(1))
        words = [w for w in jieba.lcut(phrase) if w.strip()]
        if words and not any(w in _NOT_NAMING or re.search(r"哪|什么|多少", w) for w in words):
            out.append(words)
    return out


def _naming(text: str, titles: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """(doc, words) for each report-naming phrase of ``text`` whose words exactly one title holds."""
    squeezed = {doc: _squeeze(title).replace("年报", "年度报告") for doc, title in titles.items() if title}
    out = []
    for words in _phrases(text):
        docs = [doc for doc, title in squeezed.items() if all(w in title for w in words)]
        if len(docs) == 1:
            out.append((docs[0], words))
    return out


def designated(text: str, titles: Mapping[str, str]) -> str | None:
    """The document ``text`` names as its source (``titles``: doc → title), when exactly one title holds
    every word of one of its report-naming phrases (and no phrase names another); None otherwise."""
    found = {doc for doc, _ in _naming(text, titles)}
    return found.pop() if len(found) == 1 else None


def source_words(text: str, titles: Mapping[str, str]) -> set[str]:
    """The words with which ``text`` names its source documents ("循环经济进展报告" → 循环, 经济, 进展;
    "2024年年报" → 2024, 年): they say where to read, not what the answer says."""
    naming = _naming(text, titles)
    return {w for _, words in naming for w in words} | ({"年"} if naming and _ANNUAL.search(text) else set())


def scoped(retrieve: Callable[[str], list[Passage]], question: str, passages: list[Passage],
           titles: Mapping[str, str], k: int, rrf_k: int) -> list[Passage]:
    """``passages`` fused with each document-naming part's ranking inside its document (see above);
    unchanged when no part names a document. ``retrieve(text)``: a wide ranking over the whole index."""
    from rag.index.fusion import rrf
    from rag.index.retrieve import number
    from rag.terms import sub_questions

    rankings = [[p.chunk.id for p in passages]]
    by_id = {p.chunk.id: p for p in passages}
    for part in dict.fromkeys(sub_questions(question)):
        doc = designated(part, titles)
        if doc is None:
            continue
        inside = [p for p in retrieve(part) if p.chunk.doc == doc]
        if inside:
            rankings.append([p.chunk.id for p in inside])
            for p in inside:
                by_id.setdefault(p.chunk.id, p)
    if len(rankings) == 1:
        return passages
    fused = rrf(rankings, [1.0] * len(rankings), rrf_k)
    return number([by_id[cid] for cid, _ in fused][:k])


def titles_of(chunks: Sequence[object]) -> dict[str, str]:
    """doc → title of the indexed chunks."""
    return {c.doc: c.title for c in chunks}  # type: ignore[attr-defined]
