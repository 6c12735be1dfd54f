"""General features of candidate answers and of a question's answerability. No word lists beyond the
asked-for kinds (``rag.answering.question``) and the shapes of what a kind asks for (a number, a date).

Candidate features (one row per candidate): multilingual similarity to the question (raw, relative to
the best candidate, rank), the passage's similarity and retrieval rank, IDF-weighted lexical coverage of
what the question asks (its words without its interrogatives: sentence, sentence with the one before it,
passage), novelty (what the sentence says that the question does not), answer-kind match, constraint
match (the question's numbers and names in the sentence and in its passage), length and position.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from rag.answering.candidates import Candidate
from rag.answering.question import Question, content
from rag.answering.signals import (
    TermWeights,
    Translator,
    Vectors,
    coverage,
    rarest_missing,
    rendered_coverage,
    unknown_share,
)
from rag.index.lexical import tokenize
from rag.numbers import number_values

CANDIDATE_FEATURES = (
    "cos", "cos_gap", "cos_rank", "passage_cos_gap", "passage_rank", "lex", "lex_gap", "context_lex",
    "passage_lex", "novelty", "kind_match", "kind_missing", "numbers_in_sentence", "numbers_in_passage",
    "names_in_sentence", "names_in_passage", "length", "first", "rendered", "rendered_passage",
    "missing_in_sentence", "missing_in_passage", "unknown",
)
ANSWERABLE_FEATURES = (
    "best_logit", "margin", "best_cos", "passage_cos", "passage_cos_gap", "best_lex", "best_passage_lex",
    "numbers_in_passage", "names_in_passage", "kind_match", "best_rendered", "best_rendered_passage",
    "best_missing_in_passage", "least_missing_in_passage", "unknown",
)

_DIGIT = re.compile(r"[0-9０-９]|[一二三四五六七八九十百千万亿两〇零]+[个名次位年月日%％]")
_DATE = re.compile(r"(?<!\d)(1[0-9]\d\d|20\d\d)(?!\d)|\d{1,2}\s*月|\d{1,2}\s*日|世纪|年代|"
                   r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b")
_REASON = re.compile(r"因为|由于|因此|为了|以便|导致|所以|原因|旨在|\bbecause\b|\bdue to\b|\bin order to\b|\bso that\b",
                     re.I)
_ENUMERATION = re.compile(r"[、；;]|\([a-z]\)|（[a-z一二三四五六七八九十]）")


def kind_shown(kind: str, text: str) -> float | None:
    """1.0 when ``text`` shows what the kind asks for, 0.0 when not, None when the kind has no shape."""
    pattern = {"number": _DIGIT, "date": _DATE, "reason": _REASON, "list": _ENUMERATION}.get(kind)
    if pattern is None:
        return None
    return 1.0 if pattern.search(text) else 0.0


def _share_numbers(question: Question, text: str) -> float:
    if not question.numbers:
        return 1.0
    have: set[float] = set().union(*number_values(text)) if text else set()
    return sum(1 for n in question.numbers if n & have) / len(question.numbers)


def _share_names(question: Question, text: str) -> float:
    if not question.names:
        return 1.0
    low = text.lower()
    return sum(1 for n in question.names if n.lower() in low) / len(question.names)


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    return ranks


def candidate_features(question: Question, part: str, kind: str, cands: Sequence[Candidate],
                       weights: TermWeights, vectors: Vectors, translator: Translator | None = None) -> np.ndarray:
    """One row of ``CANDIDATE_FEATURES`` per candidate, for the question part ``part`` of kind ``kind``.
    For an English question over the text, ``translator`` renders its concepts (``rendered*``: the share of
    them a sentence / its passage holds); for other questions those equal the lexical coverage."""
    if not cands:
        return np.zeros((0, len(CANDIDATE_FEATURES)))
    passages = list({id(c.passage): c.passage for c in cands}.values())
    q = vectors.query(part)
    cos = vectors.documents([c.text for c in cands]) @ q
    pcos_by = dict(zip(map(id, passages), vectors.documents([p.chunk.text for p in passages]) @ q, strict=True))
    pcos = np.array([pcos_by[id(c.passage)] for c in cands])
    asked = weights.asked(content(part, question.lang))
    ptoks = {id(p): set(tokenize(p.chunk.text)) for p in passages}
    lex = np.array([coverage(asked, set(tokenize(c.text))) for c in cands])
    cos_rank = _ranks(cos)
    groups = translator.query(part) if translator is not None and question.lang == "en" else None
    unknown = unknown_share(asked, weights)
    rows = []
    for i, c in enumerate(cands):
        toks = weights.weighted(c.text)
        total = sum(toks.values())
        novelty = sum(w for t, w in toks.items() if t not in asked) / total if total else 0.0
        shown = kind_shown(kind, c.text)
        plex = coverage(asked, ptoks[id(c.passage)])
        rendered = (rendered_coverage(groups, c.text), rendered_coverage(groups, c.passage.chunk.text)) \
            if groups is not None else (lex[i], plex)
        rows.append([
            cos[i], cos[i] - cos.max(), 1.0 / (1.0 + cos_rank[i]), pcos[i] - pcos.max(),
            1.0 / c.passage.rank if c.passage.rank else 0.0, lex[i], lex[i] - lex.max(),
            coverage(asked, set(tokenize(c.context))), plex, novelty,
            shown or 0.0, 1.0 if shown == 0.0 else 0.0,
            _share_numbers(question, c.text), _share_numbers(question, c.passage.chunk.text),
            _share_names(question, c.text), _share_names(question, c.passage.chunk.text),
            math.log1p(len(c.text)) / 6.0, 1.0 if c.index == 0 else 0.0, *rendered,
            rarest_missing(asked, set(toks), weights), rarest_missing(asked, ptoks[id(c.passage)], weights), unknown,
        ])
    return np.asarray(rows, dtype=np.float64)


def answerable_features(logits: np.ndarray, rows: np.ndarray, cands: Sequence[Candidate],
                        passage_cos: np.ndarray) -> np.ndarray:
    """One row of ``ANSWERABLE_FEATURES``: how well the best candidate (and the retrieval) answers."""
    f = {name: i for i, name in enumerate(CANDIDATE_FEATURES)}
    if len(logits) == 0:
        return np.array([-10.0] + [0.0] * (len(ANSWERABLE_FEATURES) - 1))
    best = int(np.argmax(logits))
    second = np.partition(logits, -2)[-2] if len(logits) > 1 else logits[best] - 5.0
    top = np.sort(passage_cos)[::-1]
    row = rows[best]
    return np.array([
        logits[best], logits[best] - second, row[f["cos"]], top[0] if len(top) else 0.0,
        (top[0] - top[1:5].mean()) if len(top) > 1 else 0.0, row[f["lex"]], rows[:, f["passage_lex"]].max(),
        row[f["numbers_in_passage"]], row[f["names_in_passage"]], row[f["kind_match"]] - row[f["kind_missing"]],
        row[f["rendered"]], rows[:, f["rendered_passage"]].max(),
        row[f["missing_in_passage"]], rows[:, f["missing_in_passage"]].min(), row[f["unknown"]],
    ])
