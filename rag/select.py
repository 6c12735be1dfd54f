"""Which passage sentences (units, ``rag.answer``) the extractive answerer quotes — or none (refuse).

A unit scores ``coverage(question terms, unit) + CONTEXT × coverage(terms, its passage and title)``
(IDF-weighted key terms, ``rag.terms``), + ``TYPE_BONUS`` when it offers the kind of answer asked for with
something the question does not already say (``rag.supply``), − a small penalty for very long units,
+ ``FOLLOW_BONUS`` in a follow-up for the units of the passage the previous answer came from (≥
``FROM_PASSAGE`` of its character bigrams). Then:
1. the best unit among those whose passage (with its title) holds the years, figures and ordinals the
   question names ("2020年又有多少个国家…" is not answered from a 2024 passage; none: refuse) — but never
   one whose coverage is below ``TYPE_RATIO`` of the most on-topic unit's (the type bonus settles near
   ties, it does not promote an off-topic sentence that happens to name a country) — if its term-coverage
   part reaches ``MIN_BEST`` (else refuse; a multi-part question goes on with its parts).
   When the question asks for a kind of answer (number, date, place, country, person, organisation,
   funder) the best unit lacks, a unit that has it is added: from the same passage when it refers back
   ("这一工具…", "该平台由…") or covers ≥ ``SUPPLIER_RATIO`` of what the best one covers, from another
   passage when it covers ≥ ``SUPPLIER_OTHER`` of it;
2. each part of a multi-part question ("…在哪里召开？采用了什么形式？", "2020年和2024年的年报分别…")
   not yet answered gets its own best unit (its key terms, plus the rest of the question's at ``BORROWED``
   weight, + ``KEY_BONUS`` for the terms only this part has; for a typed part only units that offer it)
   when that scores ≥ ``MIN_PART`` — ≥ ``MIN_PART_OTHER`` from a passage nothing was chosen from yet (a
   sentence from elsewhere must earn its place: filler lowers citation precision). A part that refers back
   ("其中…", "它设定的…") looks in the chosen passages first; a short elliptical part ("效果如何？") only
   takes a unit near what is already chosen;
3. list questions: the rest of the list and, for a list of activities, other paragraphs (``rag.expand``);
4. the sentences around the chosen ones that they lean on (``rag.expand.neighbours``).
A typed part that refers back ("还有哪个国家照搬这种做法？") first takes a sentence within ``ECHO_SPAN`` after a
chosen one that refers back too and offers the slot ("东帝汶正在效仿这一模式。"); a short part naming a place,
body or person ("在印度具体支持了什么？") may take its sentence from another passage. Coverage reads short
forms glossed (``rag.alias``) and gives no credit for the words of a name the question gives that the
passage lacks (``rag.names``: "环境基金" vs "全球环境基金", "印度" vs "印度尼西亚"). A passage about another body of
the kind the question names is no source at all (``rag.subject.foreign``: a 昆明生物多样性基金 passage for an
环境基金 question), nor, for a part that names its source document ("2024年年报…", "循环经济进展报告…",
``rag.docref``), a passage of another document — the words naming it count as held by every sentence of that
document (a sentence repeating "进展" is no better answer), and a sentence from elsewhere answers no part, a part's sentence from a new passage must hold the body the question names
(``rag.subject.holds_subject``), and a follow-up never quotes its last answer again (``rag.converse.repeats``).
The answer check refuses: a question asking only for typed slots when no unit chosen in steps 1–3 offers
one (neighbours are context, not the answer; nor are the other items "(c) …" of an enumeration the best
unit is one item of); a why-question when no quoted unit gives a cause or
purpose (``rag.supply.gives_reason``); any answer whose new content (``rag.supply.novelty``: words and
numbers not in the question or, for a follow-up, the previous answer) is below ``MIN_NOVELTY`` — it only
restates the question. At most ``max_answer_sentences`` units.

Calibrated on the Chinese questions of dev and extra plus four hand-written probe sets over the shipped
corpus (159 answerable, many paraphrased; 101 on-topic unanswerable: who paid, which countries, how many,
when, where, why): none of the answerable ones is refused, 93 of the unanswerable ones are (with
``rag.evidence``). Thresholds unchanged since; the name, alias, echo and enumeration rules were checked on
dev, extra, an independent 24-question Chinese set and hand-written probes (no answerable dev/extra
question newly refused, every unanswerable one still refused); so were the subject, repeat, cause and
list-continuation rules (dev/extra Chinese rows unchanged, the independent set's key facts 0.69 → 0.76).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from rag.alias import gloss
from rag.answer import Unit
from rag.converse import bigrams, repeats
from rag.docref import designated, source_words
from rag.expand import asks_activities, list_items, list_passages, neighbours
from rag.names import blind
from rag.qtype import Slot, asks_list, expected_slot
from rag.subject import foreign, holds_subject
from rag.supply import gives_reason, holds_numbers, named_numbers, novelty, offers
from rag.terms import Term, TermStats, coverage, question_terms, sub_questions

CONTEXT = 0.25
TYPE_BONUS = 0.25
TYPE_RATIO = 0.75
MIN_BEST = 0.35
SUPPLIER_RATIO = 0.6
SUPPLIER_OTHER = 0.8
PART_DONE = 0.8
KEEP_RATIO = 0.6
ECHO_SPAN = 3  # units after a chosen one where a part that refers back may find its answer
ELLIPTIC = 2  # a part with this many key terms or fewer leans on the rest of the question
MIN_PART = 0.35
MIN_PART_OTHER = 0.5
KEY_BONUS = 0.5
BORROWED = 0.5
LENGTH_PENALTY = 0.1
LONG_UNIT = 100
MIN_NOVELTY = 0.3  # one new noun or number of middling rarity (restatements score 0–0.2, answers ≥ 0.5)
FOLLOW_BONUS = 0.3
FROM_PASSAGE = 0.6  # share of the previous answer's character bigrams a passage must hold to be its source
_REFERS_BACK = re.compile(r"^[^。；]{0,14}?(?:这[些种项一个样]|此[举项次类]|该|其|上述|前述)")
_REFERS = re.compile(r"它|其|该|这|此|那|上述|前者|后者")
_ENUM_ITEM = re.compile(r"\(?[a-z]\)|（[a-z一二三四五六七八九十]）|[a-z]\.")  # "(c) …": an item of its own


class Selection:
    """One question's units and their scores; ``choose`` picks what to quote ([] = refuse)."""

    def __init__(self, question: str, units: Sequence[Unit], terms: Sequence[Term], stats: TermStats,
                 context: str = "", terms_of: Callable[[str], list[Term]] | None = None, known: str = "",
                 slot_of: Callable[[str], Slot] | None = None) -> None:
        self.q = question
        self.context = context  # already said in the conversation (a follow-up's earlier question and answer)
        # ``known``: the question's own content in the text's language (an English question's translation)
        self.known = " ".join(x for x in (context, known) if x)
        self.given = f"{question} {self.known}" if self.known else question  # what an answer must add to
        self.terms_of = terms_of or (lambda q: question_terms(q, stats))  # a question (part)'s key terms
        self.units = list(units)
        self.terms = list(terms)
        self.stats = stats
        self.index = {id(u): i for i, u in enumerate(self.units)}
        self.slot_of = slot_of or expected_slot  # a question (part)'s slot (an English one's: rag.qtype_en)
        self.slot = self.slot_of(question)
        self._offers: dict[tuple[Slot, str, int], bool] = {}
        self._backed: dict[tuple[str, int], bool] = {}
        self._source: dict[int, bool] = {}
        self.repeated = {id(u) for u in self.units if repeats(u.text, context)}
        self.titles = {u.passage.chunk.doc: u.passage.chunk.title for u in self.units}  # named sources (rag.docref)
        # "2024年年报": where to read, not what to find — held by every sentence of the named documents
        self._named_by = {p: designated(p, self.titles) for p in sub_questions(question)}  # part → its document
        self.named = {d for d in self._named_by.values() if d}
        self.source = " ".join(sorted(source_words(question, self.titles)))

    def offers(self, slot: Slot, question: str, unit: Unit) -> bool:
        key = (slot, question, id(unit))
        if key not in self._offers:
            self._offers[key] = offers(slot, question, unit.text, self.stats, self.known)
        return self._offers[key]

    def backed(self, unit: Unit, part: str | None = None) -> bool:
        """The unit's passage (with its title) holds the numbers ``part`` names (any part's, for the whole) and
        is not about another body of the kind the question names (``rag.subject.foreign``)."""
        key = (part or "", id(unit.passage))
        if key not in self._backed:
            text = f"{unit.passage.chunk.title} {unit.passage.chunk.text}"
            parts = [part] if part else sub_questions(self.q)
            named = {self._named_by[p] if p in self._named_by else designated(p, self.titles) for p in parts}
            self._backed[key] = (any(holds_numbers(named_numbers(p), text) for p in parts)
                                 and not foreign(self.q, unit.passage, self.stats)  # another fund, project…
                                 and (None in named or unit.passage.chunk.doc in named))  # "2024年年报…": it only
        return self._backed[key]

    def _follows(self, unit: Unit) -> float:
        """``FOLLOW_BONUS`` for a unit of the passage the previous answer was taken from (a follow-up's "这个
        平台", "这个计划" is what that answer talked about); 0 otherwise."""
        if not self.context:
            return 0.0
        key = id(unit.passage)
        if key not in self._source:
            grams = bigrams(self.context)
            have = bigrams(unit.passage.chunk.text)
            self._source[key] = bool(grams) and len(grams & have) / len(grams) >= FROM_PASSAGE
        return FOLLOW_BONUS if self._source[key] else 0.0

    def lexical(self, terms: Sequence[Term], units: Sequence[Unit]) -> list[float]:
        """Term coverage of each unit + ``CONTEXT`` × its passage's (with the title); short forms glossed
        (``rag.alias``), no credit for the words of a name the question gives that the passage lacks
        (``rag.names``: "环境基金" is not in a passage that only has "全球环境基金")."""
        per: dict[int, tuple[list[Term], float]] = {}
        for u in units:
            if id(u.passage) not in per:
                text = gloss(f"{u.passage.chunk.title} {u.passage.chunk.text}", self.stats)
                have = blind(terms, self.q, text, self.stats)
                per[id(u.passage)] = (have, coverage(have, text))
        return [coverage(per[id(u.passage)][0], f"{gloss(u.text, self.stats)} {self._sourced(u)}")
                + CONTEXT * per[id(u.passage)][1] for u in units]

    def _sourced(self, unit: Unit) -> str:  # the words naming a named document: all its sentences hold them
        return self.source if unit.passage.chunk.doc in self.named else ""

    def scores(self, question: str, terms: Sequence[Term], slot: Slot) -> list[float]:
        lex = [x + self._follows(u) for x, u in zip(self.lexical(terms, self.units), self.units, strict=True)]
        # the answer-type test is costly (part-of-speech tagging): only for units that can compete
        top = max(lex, default=0.0) - TYPE_BONUS - KEY_BONUS - LENGTH_PENALTY
        return [x + (TYPE_BONUS if slot.typed and x >= top and self.offers(slot, question, u) else 0.0)
                - LENGTH_PENALTY * max(0, len(u.text) - LONG_UNIT) / 100 for x, u in zip(lex, self.units, strict=True)]

    def choose(self, max_sentences: int) -> list[Unit]:
        if not self.units:
            return []
        for i, s in enumerate(self.scores(self.q, self.terms, self.slot)):
            self.units[i].score = s
        backed = [u for u in self.units if self.backed(u)]
        if not backed:
            return []  # the years, figures or ordinals the question names are in none of the passages
        best = max(backed, key=lambda u: u.score)
        lex = dict(zip(map(id, backed), self.lexical(self.terms, backed), strict=True))
        topical = max(backed, key=lambda u: lex[id(u)])
        if lex[id(best)] < TYPE_RATIO * lex[id(topical)]:
            best = topical  # the type bonus only settles near-ties: a unit off the topic offering a name is no answer
        multi = len(sub_questions(self.q)) > 1
        chosen = [best] if self.lexical(self.terms, [best])[0] >= MIN_BEST else []
        if not chosen and not multi:
            return []  # a multi-part question may still have parts that match on their own
        if chosen and self.slot.typed and not self.offers(self.slot, self.q, best):
            chosen += self._supplier(best)
        chosen += self._parts(chosen, best)
        if not chosen:
            return []
        answering = list(chosen)  # what offers the asked-for slot: not the other items of an enumeration
        if asks_list(self.q) or self.slot.plural:
            items = list_items(self, chosen)
            chosen += items
            answering += [u for u in items if not _ENUM_ITEM.match(u.text.lstrip())]
            if self.slot.kind == "list" and chosen and asks_activities(self.q):
                chosen += list_passages(self, chosen, max_sentences)
        primary = list(dict.fromkeys(chosen))
        chosen = [u for u in dict.fromkeys(primary + neighbours(self, primary)) if id(u) not in self.repeated]
        chosen = chosen[:max_sentences]
        return chosen if self.answers([u for u in chosen if u in answering], chosen) else []

    def answers(self, primary: Sequence[Unit], chosen: Sequence[Unit]) -> bool:
        """The answer check: a typed slot offered by a unit chosen for the question (not a neighbour quoted
        for context), unless an open part is asked too; and enough new content overall."""
        parts = sub_questions(self.q)
        slots = [self.slot_of(p) for p in parts]
        typed = [(p, s) for p, s in zip(parts, slots, strict=True) if s.typed]
        if typed and len(typed) == len(parts) and not any(self.offers(s, p, u) for p, s in typed for u in primary):
            return False
        if all(s.kind == "reason" for s in slots) and not any(gives_reason(u.text) for u in chosen):
            return False  # a why-question answered without any cause or purpose
        return novelty(self.given, " ".join(u.text for u in chosen), self.stats) >= MIN_NOVELTY

    def _supplier(self, best: Unit) -> list[Unit]:
        """A unit that offers the asked-for kind of answer the best one lacks: in the best one's passage,
        one that refers back to it ("这一工具…", "该平台由…") or whose own term coverage is ≥ ``SUPPLIER_RATIO``
        of the best one's; elsewhere, one whose coverage is ≥ ``SUPPLIER_OTHER`` of it."""
        i = self.index[id(best)]
        own = coverage(self.terms, best.text)
        offering = [u for u in self.units if u is not best and self.backed(u) and self.offers(self.slot, self.q, u)]
        same = [u for u in offering if u.passage is best.passage and (
            coverage(self.terms, u.text) >= SUPPLIER_RATIO * own or (self.index[id(u)] > i and _REFERS_BACK.search(u.text)))]
        if same:
            return [max(same, key=lambda u: (u.score, -abs(self.index[id(u)] - i)))]
        other = [u for u in offering if coverage(self.terms, u.text) >= SUPPLIER_OTHER * own]
        return [max(other, key=lambda u: u.score)] if other else []

    def _parts(self, chosen: list[Unit], best: Unit) -> list[Unit]:
        parts = sub_questions(self.q)
        if len(parts) < 2:
            return []
        own_terms = [self.terms_of(part) for part in parts]
        added: list[Unit] = []
        for k, part in enumerate(parts):
            own = own_terms[k]
            if not own:
                continue
            others = {t.text for j, ts in enumerate(own_terms) if j != k for t in ts}
            key = [t for t in own if t.text not in others] or own  # what sets this part apart
            slot = self.slot_of(part)
            scores = [sc + KEY_BONUS * coverage(key, _titled(u))
                      for sc, u in zip(self.scores(part, part_terms(own, self.terms), slot), self.units, strict=True)]
            pool = [i for i in range(len(self.units)) if self.backed(self.units[i], part)
                    and (not slot.typed or self.offers(slot, part, self.units[i]))]
            have = chosen + added
            if slot.typed and _REFERS.search(part) and not any(self.offers(slot, self.q, u) for u in have):
                echo = self._echo(part, slot, have)  # "还有哪个国家照搬这种做法？" — "东帝汶正在效仿这一模式。"
                if echo is not None:
                    added.append(echo)
                    continue
            if _REFERS.search(part):  # "其中…", "它设定的…": the chosen passages first
                inside = [i for i in pool if any(self.units[i].passage is u.passage for u in have)]
                if inside and max(scores[i] for i in inside) >= MIN_PART:
                    pool = inside
            if not pool:
                continue
            i = max(pool, key=lambda j: scores[j])
            cand = self.units[i]
            valid = [u for u in have if self.backed(u, part)]  # a sentence from another source answers no part
            done = coverage(key, " ".join(_titled(u) for u in valid)) >= PART_DONE * coverage(key, _titled(cand))
            done = done and (not slot.typed or any(self.offers(slot, part, u) for u in have))
            same = any(u.passage is cand.passage for u in have)
            near = len(own) > ELLIPTIC or same or cand.score >= KEEP_RATIO * best.score or _names_key(part, key)
            near = near and (same or holds_subject(self.q, part, cand.passage, self.stats))  # the question's body
            if scores[i] >= (MIN_PART if same else MIN_PART_OTHER) and not done and near:
                added.append(cand)
        return added

    def _echo(self, part: str, slot: Slot, have: Sequence[Unit]) -> Unit | None:
        """For a typed part that refers back: a sentence just after a chosen one (≤ ``ECHO_SPAN`` units, same
        passage) that refers back too and offers the slot — the nearest."""
        found: list[tuple[int, Unit]] = []
        for h in have:
            i = self.index[id(h)]
            for d, u in enumerate(self.units[i + 1 : i + 1 + ECHO_SPAN], start=1):
                if u.passage is h.passage and u not in have and _REFERS_BACK.search(u.text) and self.offers(slot, self.q, u):
                    found.append((d, u))
        return min(found, key=lambda x: x[0])[1] if found else None


def _names_key(part: str, key: Sequence[Term]) -> bool:
    """One of the terms only this part has is (in) a name — a place, body or person: the part is specific
    enough to find its own sentence ("在印度具体支持了什么？")."""
    from rag.entities import agents, places
    from rag.terms import norm

    names = [norm(n) for n in places(part) | agents(part)]
    return any(t.text in n or n in t.text for t in key for n in names if len(t.text) >= 2)


def _titled(unit: Unit) -> str:
    return f"{unit.passage.chunk.title} {unit.text}"


def part_terms(own: Sequence[Term], whole: Sequence[Term]) -> list[Term]:
    """A part's own terms plus the rest of the question's, scaled to ``BORROWED`` of the part's own weight
    (a part like "效果如何？" or "新规具体规定了什么？" is about what the rest of the question names)."""
    have = {t.text for t in own}
    borrowed = [t for t in whole if t.text not in have]
    total_own, total_borrowed = sum(t.weight for t in own), sum(t.weight for t in borrowed)
    if not total_own or not total_borrowed:
        return list(own)
    scale = BORROWED * total_own / total_borrowed
    return list(own) + [replace(t, weight=t.weight * scale) for t in borrowed]
