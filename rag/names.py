"""Names a question gives that a passage lacks — near-name matches do not count.

A question that names a body ("环境基金", the Environment Fund) is not answered by a passage that only names a
longer, different body holding those words ("全球环境基金", the Global Environment Facility): the words of
the name match, the name does not. Likewise places
(gazetteer names, longest match): "印度" is not in a passage that only has "印度尼西亚". A name counts as given
by a text when it occurs there outside every longer organisation name that contains it. The rule applies
only to names some indexed chunk holds on their own: a name that occurs only inside a longer one is the
question's short form of that one ("甲烷排放观测站" for "国际甲烷排放观测站"), and a name found nowhere is a
paraphrase or the missing fact (``rag.terms`` weighs absent words).

``blind(terms, question, text, stats)``: the terms with no credit (``rag.terms.coverage``) for the words of
the names ``text`` holds only inside longer ones — used for passage coverage in ``rag.evidence`` and ``rag.select``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from rag import entities
from rag.gazetteer import places_in
from rag.terms import Term, TermStats, norm

MIN_NAME = 3  # characters: shorter names ("环境署" aside) are too generic to tell bodies apart
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NOWHERE = "\x00"  # a term text no text holds: the term keeps its weight and gets no credit


def question_names(question: str) -> list[str]:
    """The organisation and place names a question gives (matching form, longest first)."""
    found = {norm(n) for n in entities.organisations(question) if len(n) >= MIN_NAME and _CJK.search(n)}
    found |= {norm(n) for n in places_in(question) if len(n) >= 2}  # "印度" is not in "印度尼西亚"
    return sorted(found, key=len, reverse=True)


def holds_name(name: str, text: str) -> bool:
    """``name`` (matching form) occurs in ``text`` outside every longer place name holding it and every longer
    organisation name holding it after a modifier ("全球环境基金"; "泰国环境部", "环境署金融倡议" are its own)."""
    t = norm(text)
    if name not in t:
        return False
    bodies = {o for o in map(norm, entities.organisations(t)) if not o.startswith(name)}  # "泰国环境部" holds 泰国
    longer = sorted((o for o in bodies | set(places_in(t)) if name in o and o != name), key=len, reverse=True)
    for o in longer:
        t = t.replace(o, "□")
    return name in t


@lru_cache(maxsize=1024)
def _standalone(name: str, texts: tuple[str, ...]) -> bool:
    return any(holds_name(name, t) for t in texts if name in t)


def distinct(name: str, stats: TermStats) -> bool:
    """Some indexed chunk holds ``name`` on its own: it is a body of its own, not a short form."""
    if stats.df(name) == 0:
        return False
    return _standalone(name, tuple(t for t in stats.texts if name in t))


def missing(question: str, text: str, stats: TermStats) -> list[str]:
    """The names the question gives (each a body of its own in the index) that ``text`` only holds inside a
    longer, different name. A name ``text`` does not hold at all is left to term coverage: a passage often
    calls a body by a shorter form ("工作组" for "环境署氮问题工作组")."""
    t = norm(text)
    return [n for n in question_names(question) if n in t and distinct(n, stats) and not holds_name(n, text)]


def blind(terms: Sequence[Term], question: str, text: str, stats: TermStats) -> list[Term]:
    """``terms`` with the words of the names ``text`` lacks getting no credit (their weight stays)."""
    gone = missing(question, text, stats)
    if not gone:
        return list(terms)
    return [replace(t, text=_NOWHERE, alts=()) if any(t.text in n for n in gone) and re.search(r"\w", t.text)
            else t for t in terms]
