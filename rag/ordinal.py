""""The last one" made concrete: "那最后一次会议定在什么时候？" after an answer saying "工作组将举行五次会议".

Neither the question nor the passages name "最后一次": they number the items ("第一次会议…；第五次会议将于…").
``resolve_last(question, passages)`` replaces "最后/最近/最新/最末 (的) (一)次|届|轮|期|份|阶段" with "第N次…" for
the highest ordinal N with that measure word (and the noun after it, when the question gives one: "会议")
in the best-ranked of the top ``TOP`` passages that numbers such items — the passages retrieved for the
question and its conversation are on its subject. Unchanged when none does. Chinese only (the pattern
is Chinese).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.numbers import zh_numeral
from rag.types import Passage

TOP = 3
_LAST = re.compile(r"(?:最后|最近|最新|最末|最晚)(?:的)?(?:一|1)?\s*(次|届|轮|期|份|阶段)([\u4e00-\u9fff]{0,2})")
_PARTICLES = "呢吗吧啊呀是在定将于要的"  # not a noun after the measure word ("最近的一次呢？")
_ORDINAL = r"第\s*([零〇一二两三四五六七八九十百\d]+)\s*"


def _value(numeral: str) -> int | None:
    if numeral.isdigit():
        return int(numeral)
    v = zh_numeral(numeral)
    return int(v) if v is not None else None


def highest_ordinal(text: str, measure: str, noun: str = "") -> str | None:
    """The numeral (as written) of the highest N of "第N<measure><noun…>" in ``text`` (None when there is none)."""
    lead = re.escape(noun[:1]) if noun and noun[0] not in _PARTICLES else ""
    found = [(v, m.group(1)) for m in re.finditer(_ORDINAL + re.escape(measure) + lead, re.sub(r"\s+", "", text))
             if (v := _value(m.group(1))) is not None]
    return max(found)[1] if found else None


def resolve_last(question: str, passages: Sequence[Passage]) -> str:
    """``question`` with "最后一次…" replaced by "第N次…" (see the module docstring); else unchanged."""
    m = _LAST.search(question)
    if not m:
        return question
    measure, noun = m.group(1), m.group(2)
    for p in passages[:TOP]:
        n = highest_ordinal(p.chunk.text, measure, noun)
        if n is not None:
            return f"{question[: m.start()]}第{n}{measure}{question[m.end(1):]}"
    return question
