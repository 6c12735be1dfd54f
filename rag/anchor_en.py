"""Is an English question's answer about what the question is about? (lexical-only, dictionary translation)

A translated question matches loosely: a dictionary rendering of a common word ("capital" → 资金, "light" →
轻型) or one proper name can pull in a passage about something else ("What is the capital of France?" →
a table of the Environment Fund's donors listing 法国). Before quoting, the passages the answer cites must
hold (``anchored``):
- every *name* the question gives — a run of capitalised words the dictionary renders whole (not the
  first word, not inside quotes: titles are matched by their words) or a country — and every year or
  figure it names (``rag.supply.named_numbers``), all in one cited passage (with its title), for at least
  one part of the question (one name may be missing when a quoted sentence refers back: "按照这一方法，…"
  follows the sentence naming the approach) ("Who is the president of the World Bank?" is
  not answered from a passage about Colombia's president; "How much did Norway contribute in 2019?" not
  from a 2019 passage and a 2024 table);
- for a short question (at most ``SHORT`` concepts), every concept: a word the corpus does not hold
  (``absent``: "Everest") or that the cited passages lack — in its most confident renderings: "capital" is
  资金/资本, not the later gloss 资方 that "出资方" holds — leaves nothing to answer from;
- for a when-question, the event asked about (its last word: "…published?", "…close?").
Renderings in more than ``rag.supply.COMMON`` of the chunks (环境署, 联合国) are the corpus's subject and
never decide.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rag.gazetteer import countries_in
from rag.supply import holds_numbers, named_numbers
from rag.terms import Term, TermStats, norm, sub_questions, term_credit

SHORT = 3  # a question with this many concepts or fewer must have all of them in the cited passages
CONFIDENT = 0.8  # a rendering below this confidence (rag.translate.PARTIAL) is a guess
COVERED = 0.5  # a term's credit (rag.terms) that counts as present
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|‘[^’]*’|“[^”]*”")
_RUN = re.compile(r"\b[A-Z][A-Za-z0-9\-]*(?: [A-Z][A-Za-z0-9\-]*)*")  # capitalised words in a row
REFERS_BACK = re.compile(r"^[^。；]{0,14}?(?:这[些种项一个样]|此[举项次类]|该|其|上述|前述)")  # "按照这一方法，…"


def anchored(question: str, units: Sequence[Any], translator: Any, stats: TermStats) -> bool:
    """The passages of ``units`` (the sentences to quote: ``rag.answer.Unit``) hold what some part of
    ``question`` is about: its names (in one passage) and, for a short question, every concept."""
    passages = list({id(u.passage): u.passage for u in units}.values())
    if not passages:
        return False
    texts = [norm(f"{p.chunk.title} {p.chunk.text}") for p in passages]
    union = "\x00".join(texts)
    slack = 1 if any(REFERS_BACK.search(u.text) for u in units) else 0  # the name may be said just before
    return any(_part_anchored(part, texts, union, translator, stats, slack) for part in sub_questions(question))


def _part_anchored(part: str, texts: list[str], union: str, translator: Any, stats: TermStats, slack: int = 0) -> bool:
    terms = {t.text: t for t in translator.terms(part)}
    groups = translator.translate(part).groups
    common = _common(stats)
    names = [g for g in groups if g.alts and is_name(g.source, part, g.alts) and not common(g.alts)]
    name_terms = [terms[g.alts[0][0]] for g in names if g.alts[0][0] in terms]
    numbers = named_numbers(part)
    if (name_terms or numbers) and not any(sum(term_credit(t, text) < COVERED for t in name_terms) <= slack
                                           and holds_numbers(numbers, text) for text in texts):
        return False
    if not _event_held(part, groups, union, translator):
        return False
    concepts = [g for g in groups if (g.alts and not common(g.alts)) or g.kind == "absent"]
    if len(concepts) > SHORT:
        return True
    for g in concepts:
        term = terms.get(g.alts[0][0] if g.alts else norm(g.source))
        if g.alts and term is None:
            continue  # weightless (rag.translate): says nothing about the topic
        if term is None or term.absent or not g.alts or term_credit(_best_senses(term, g), union) < COVERED:
            return False
    return True


def is_name(source: str, part: str, alts: Sequence[tuple[str, float]] = ()) -> bool:
    """``source`` (an English word or phrase of ``part``) names something: rendered as a country, or a
    whole run of capitalised words ("World Bank", "Norway"; not the part's first word, not inside quotes)
    rendered in two or more characters — a word of a longer name the dictionary does not render whole
    ("Body" in "Coordinating Body on the Seas") is no name of its own."""
    if any(countries_in(a) for a, _ in alts):
        return True
    if not alts or all(len(a) < 2 or c < CONFIDENT for a, c in alts):
        return False  # a guess from a gloss merely containing the word ("African" → 非洲开发银行) names nothing
    masked = _QUOTED.sub(lambda m: " " * len(m.group()), part)
    first = re.search(r"[A-Za-z]", masked)
    return any(m.group() == source and m.start() != (first.start() if first else -1) for m in _RUN.finditer(masked))


def _event_held(part: str, groups: Sequence[Any], union: str, translator: Any) -> bool:
    """For a when-question, the event it asks the date of — its last word, a verb or noun the dictionary
    renders ("When will the fund close?" → 密切/合上/结束) — is in the cited passages (the Chinese path's
    ``rag.qtype.time_predicate``)."""
    from rag.qtype_en import english_slot

    if "time" not in english_slot(part).kinds or not groups:
        return True
    last = groups[-1]
    tail = re.sub(r"[\W_]+$", "", part)
    if not last.alts or last.kind not in ("word", "phrase") or not tail.lower().endswith(last.source.lower()):
        return True
    if is_name(last.source, part, last.alts):
        return True
    return any(a in union for a, _ in last.alts)


def _best_senses(term: Term, group: Any) -> Term:
    """``term`` with only its group's most confident renderings ("capital": 资金, 资本 — not the later gloss
    资方, which "出资方" holds)."""
    top = max(c for _, c in group.alts)
    best = [a for a, c in group.alts if c >= top]
    return replace(term, text=best[0], alts=tuple(best[1:]))


def _common(stats: TermStats) -> Any:
    from rag.supply import COMMON, MIN_COMMON_DF

    limit = max(COMMON * len(stats.texts), MIN_COMMON_DF)
    return lambda alts: any(stats.df(a) > limit for a, _ in alts)
