"""Sentences quoted around the ones chosen to answer (``rag.select``): what they lean on, and the rest of
a list they belong to. All same-passage, except the paragraphs of a list of activities.

- ``neighbours``: the previous sentence of a chosen one that opens with a connective or demonstrative
  ("因此，…", "这些指令…"), re-names what it introduced ("灾难发生后，…" after "…的溃坝灾难…"), or refers back
  inside it while only restating the question (novelty < ``MIN_NEW``: "东帝汶正在效仿这一模式" — the
  model is in the sentence before); and up to two following ones that refer back ("限制这些温室气体…") or
  share ≥ ``FOLLOW`` of the question's terms — and then add ≥ ``MIN_GAIN`` coverage of terms not yet
  covered, or follow sentences that so far only restate the question (novelty < ``MIN_NEW``); for a
  why-question ≥ ``WHY_FOLLOW`` and no gain needed (the reasons tend to follow the sentence that matches),
  plus a neighbour with a cause or purpose when none of the chosen has one; and for a chosen consequence
  ("因此，解决…需要转向…") the sentences back to the nearest one (≤ ``WHY_BACK`` before it) stating the cause
  ("…是由不可持续的消费和生产驱动的") — the cause is what a why-question asks for.
- ``continuation``: after a chosen sentence that announces a list or a count of items ("提出了七项建议",
  "包括以下方面：", "如下："), the sentences that enumerate them ("其中包括…", "这些目标是：…", "(a) …"): up to
  ``LIST_NEXT`` of its passage, or the first of the next passage of the same document when it ends there.
- ``list_items``: the other parts of a split enumeration ("(a) …；(b) …；(c) …"), the items after a unit
  that announces them ("…通过以下方式…："), or before one that sums them up ("…对这些工作起到了重要作用").
- ``list_passages``: for a list of activities ("开展了哪些工作", "哪些举措"), the best unit of each other
  passage holding the question's anchor (the heaviest term the first chosen unit holds: "瑞典政府", "泰国")
  and scoring ≥ ``LIST_RATIO`` of it — activities are often told paragraph by paragraph.
"""

from __future__ import annotations

import re
from typing import Any

from rag.answer import Unit
from rag.qtype import asks_why
from rag.supply import gives_reason, novelty
from rag.terms import coverage

FOLLOW = 0.35
WHY_FOLLOW = 0.2
MIN_GAIN = 0.1
MIN_NEW = 0.3  # novelty (``rag.supply``) below which a sentence only restates the question
LIST_RATIO = 0.6
WHY_BACK = 3  # sentences back from a consequence ("因此…") to look for its cause
LIST_NEXT = 2  # enumerating sentences quoted after one announcing a list
NEXT_GAP = 200  # characters between two chunks of a document for the second to be the next paragraph
_CONSEQUENCE = re.compile(r"^[^，。]{0,4}?(?:因此|因而|所以|由此|故而|为此|正因|这就是为什么|这意味着)")
_CAUSE = re.compile(r"驱动|导致|造成|由于|因为|原因|引起|源于|归因|所致|根源|推动")
_COUNTED = re.compile(r"(?:提出|确定|列出|制定|通过|概述|明确|设定|确立|包括|涵盖|有)了?[^，。；]{0,14}?"
                      r"(?<![第\d])(?:[一二两三四五六七八九十]+|\d+)\s*(?:项|个|条|种|类|大|点|方面)[^，。；]{0,10}?"
                      r"(?:目标|建议|措施|原则|领域|优先事项|行动|转变|支柱|要素|标准|方面|任务|承诺|决议|主题|途径|方式|方法|"
                      r"工具|原型|成果|部分|内容|问题)")
_ENUMERATES = re.compile(r"^[^。]{0,6}?(?:其中包括|包括|分别是|分别为|具体(?:而言|包括|是|为)|一是|首先|第一)|"
                         r"^(?:这些|上述|该|其)[\u4e00-\u9fff]{0,8}(?:是|为|包括|有)|^\(?[a-z]\)|^（[a-z一二三四五六七八九十]）|"
                         r"^[a-z]\.|[：:]")
_LEANS = re.compile(r".{0,6}?(?:这些|这种|这项|这一|这个|此项|该)|(?:因此|因而|所以|由此|为此)")
_CONNECTIVE = re.compile(r"(?:因此|因而|所以|由此|为此|此外|另外|同时|然而|但是|但|而且|并且|这|此|该|其|它|他们|上述)")
_BACKREF = re.compile(r"这[一些种项][\u4e00-\u9fff]|上述|前述|此类")
_SUMS_UP = re.compile(r"(?:这些|上述|以上)[\u4e00-\u9fff]{1,4}")
_ACTIVITIES = re.compile(r"(?:哪些|什么)[^？?。；]{0,20}?(?:工作|活动|举措|措施|行动|项目|做法|努力|进展|成果|贡献)|做了(?:哪些|什么)")
_ANNOUNCES = re.compile(r"(?:以下|如下|包括)[^。]{0,20}[：:]$|[：:]$")
_ENUM = re.compile(r"^\(?[a-z]\)|^（[a-z一二三四五六七八九十]）|^[a-z]\.")


def asks_activities(question: str) -> bool:
    return bool(_ACTIVITIES.search(question))


def neighbours(sel: Any, chosen: list[Unit]) -> list[Unit]:
    """``sel``: the ``rag.select.Selection`` (its units in passage order, index, question, stats)."""
    units = sel.units
    extra: list[Unit] = []
    for u in chosen:
        i = sel.index[id(u)]
        if i > 0 and units[i - 1].passage is u.passage and (
                _CONNECTIVE.match(u.text) or _reopens(u.text, units[i - 1].text)
                or (_BACKREF.search(u.text) and novelty(sel.given, u.text, sel.stats) < MIN_NEW)):
            extra.append(units[i - 1])
            if i > 1 and units[i - 2].passage is u.passage and _CONNECTIVE.match(units[i - 1].text):
                extra.append(units[i - 2])  # "这些传感器…" before it leans on the sentence before that
    terms = sel.terms_of(sel.q)
    why = asks_why(sel.q)
    given = sel.given
    for u in chosen:
        i = sel.index[id(u)]
        for nxt in units[i + 1 : i + 3]:
            if nxt.passage is not u.passage or nxt in chosen:
                break
            if not (_LEANS.match(nxt.text) or coverage(terms, nxt.text) >= (WHY_FOLLOW if why else FOLLOW)):
                break
            have = " ".join(v.text for v in chosen + extra)
            adds = coverage(terms, f"{have} {nxt.text}") - coverage(terms, have) >= MIN_GAIN
            if not (why or adds or _LEANS.match(nxt.text) or novelty(given, have, sel.stats) < MIN_NEW):
                break  # the same terms again, after sentences that already say something: nothing to add
            extra.append(nxt)
    if why:
        extra += [v for u in chosen for v in _cause_before(sel, u) if v not in extra]
    extra += [v for v in continuation(sel, chosen + extra) if v not in extra]
    if why and not any(gives_reason(u.text) for u in chosen + extra):
        for u in chosen[:1]:
            i = sel.index[id(u)]
            around = [v for v in (units[i - 1] if i > 0 else None, units[i + 1] if i + 1 < len(units) else None)
                      if v is not None and v.passage is u.passage and gives_reason(v.text)]
            extra += around[:1]
    return extra


def _cause_before(sel: Any, unit: Unit) -> list[Unit]:
    """For a consequence ("因此…"): the sentences from the nearest one before it (≤ ``WHY_BACK``, same passage)
    that states a cause ("…驱动的", "由于…") up to it; [] when none does."""
    if not _CONSEQUENCE.match(unit.text):
        return []
    i = sel.index[id(unit)]
    for d in range(1, WHY_BACK + 1):
        if i - d < 0 or sel.units[i - d].passage is not unit.passage:
            return []
        if _CAUSE.search(sel.units[i - d].text):
            return sel.units[i - d : i]
    return []


def announces(text: str) -> bool:
    """A sentence announcing a list or a count of items: "提出了七项建议", "包括以下方面：", "如下："."""
    return bool(_ANNOUNCES.search(text) or _COUNTED.search(text))


def continuation(sel: Any, chosen: list[Unit]) -> list[Unit]:
    """The sentences that enumerate what a chosen sentence announces (see the module docstring)."""
    extra: list[Unit] = []
    for u in chosen:
        if not announces(u.text) or _ENUMERATES.search(u.text.split("：")[-1] if "：" in u.text[-2:] else ""):
            continue
        i = sel.index[id(u)]
        after = [v for v in sel.units[i + 1 :] if v.passage is u.passage and v.sentence != u.sentence]
        if not after:
            after = _next_passage(sel, u)[:1]
        for v in after[:LIST_NEXT]:
            if not _ENUMERATES.search(v.text) or v in chosen:
                break
            extra += [w for w in sel.units if w.passage is v.passage and w.sentence == v.sentence]
    return extra


def _next_passage(sel: Any, unit: Unit) -> list[Unit]:
    """The units of the retrieved passage that follows ``unit``'s in the same document (the next paragraph)."""
    chunk = unit.passage.chunk
    later = [v for v in sel.units if v.passage.chunk.doc == chunk.doc and v.passage.chunk.char_start >= chunk.char_end]
    first = min((v.passage.chunk.char_start for v in later), default=None)
    if first is None or first - chunk.char_end > NEXT_GAP:
        return []
    return [v for v in later if v.passage.chunk.char_start == first]


def list_items(sel: Any, chosen: list[Unit]) -> list[Unit]:
    """The rest of an enumeration a chosen unit belongs to or announces, or the one it sums up."""
    extra: list[Unit] = []
    for u in chosen:
        i = sel.index[id(u)]
        siblings = [v for v in sel.units if v.passage is u.passage and v.sentence == u.sentence and v is not u]
        if siblings and (_ENUM.match(u.text.lstrip()) or any(_ENUM.match(v.text.lstrip()) for v in siblings)
                         or _ANNOUNCES.search(u.text)):
            extra += siblings
        elif _ANNOUNCES.search(u.text):
            extra += [v for v in sel.units[i + 1 : i + 4] if v.passage is u.passage]
        if _SUMS_UP.search(u.text) and i > 0 and sel.units[i - 1].passage is u.passage:
            previous = sel.units[i - 1].sentence  # "…对这些工作起到了重要作用": the list is just before
            extra += [v for v in sel.units if v.passage is u.passage and v.sentence == previous]
    return extra


def list_passages(sel: Any, chosen: list[Unit], max_sentences: int) -> list[Unit]:
    first = chosen[0]
    found = [t for t in sel.terms if coverage([t], first.text) >= 1.0]
    anchors = sorted(found, key=lambda t: -t.weight)[:1]
    if not anchors:
        return []
    have = {id(u.passage) for u in chosen}
    best_of: dict[int, Unit] = {}
    for u in sel.units:
        if id(u.passage) in have or not sel.backed(u) or u.score < LIST_RATIO * first.score:
            continue
        if not any(coverage([t], u.text) >= 1.0 for t in anchors):
            continue
        if id(u.passage) not in best_of or u.score > best_of[id(u.passage)].score:
            best_of[id(u.passage)] = u
    room = max(0, max_sentences - len(set(chosen)))
    return sorted(best_of.values(), key=lambda u: -u.score)[:room]


def _reopens(text: str, previous: str) -> bool:
    """``text`` opens with a short clause (≤ 8 characters) whose first word (2+ characters) ``previous`` holds."""
    import jieba

    m = re.match(r"([^，。；：]{2,8})，", text)
    words = [w for w in jieba.lcut(m.group(1)) if len(w) >= 2] if m else []
    return bool(words) and words[0] in previous
