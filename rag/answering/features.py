"""General features of candidate answers and of a question's answerability. No word lists beyond the
asked-for kinds (``rag.answering.question``) and the shapes of what a kind asks for (a number, a date).

Candidate features (one row per candidate): multilingual similarity to the question (raw, relative to
the best candidate, rank), the passage's similarity and retrieval rank, IDF-weighted lexical coverage of
what the question asks (its words without its interrogatives: sentence, sentence with the one before it,
passage), novelty (what the sentence says that the question does not), answer-kind match, constraint
match (the question's numbers and names in the sentence and in its passage), length and position; token
alignment (``rag.answering.signals.alignment``) of the question with the sentence (read in its passage) and
with the passage, raw and relative to the best.
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
    Vectors,
    alignment,
    coverage,
    rarest_missing,
    rendered_coverage,
    span_rows,
    unknown_share,
)
from rag.index.lexical import tokenize
from rag.index.retrieve import Translator
from rag.numbers import number_values
from rag.types import Passage

CANDIDATE_FEATURES = (
    "cos", "cos_gap", "cos_rank", "passage_cos_gap", "passage_rank", "lex", "lex_gap", "context_lex",
    "passage_lex", "novelty", "kind_match", "kind_missing", "numbers_in_sentence", "numbers_in_passage",
    "names_in_sentence", "names_in_passage", "length", "first", "rendered", "rendered_passage",
    "missing_in_sentence", "missing_in_passage", "unknown", "align", "align_gap", "passage_align",
    "passage_align_gap", "align_low", "passage_align_low", "lexical_share", "dense_share",
)
ANSWERABLE_FEATURES = (
    "best_logit", "margin", "best_cos", "passage_cos", "passage_cos_gap", "best_lex", "best_passage_lex",
    "numbers_in_passage", "names_in_passage", "kind_match", "best_rendered", "best_rendered_passage",
    "best_missing_in_passage", "least_missing_in_passage", "unknown", "best_align", "top_passage_align",
    "passage_align_gap", "best_align_low", "best_passage_align_low", "top_passage_align_low",
    "best_lexical_share", "best_dense_share", "top_lexical_share", "top_dense_share",
)

# the features computed from the embedding model: zeroed in the lexical-only models
DENSE_CANDIDATE = ("cos", "cos_gap", "cos_rank", "passage_cos_gap", "align", "align_gap", "passage_align",
                   "passage_align_gap", "align_low", "passage_align_low", "dense_share")
DENSE_ANSWERABLE = ("best_cos", "passage_cos", "passage_cos_gap", "best_align", "top_passage_align",
                    "passage_align_gap", "best_align_low", "best_passage_align_low", "top_passage_align_low",
                    "best_dense_share", "top_dense_share")


def without_dense(rows: np.ndarray, names: Sequence[str], dense: Sequence[str]) -> np.ndarray:
    """``rows`` with the embedding-model columns zeroed (what the lexical-only models see)."""
    rows = rows.copy()
    for f in dense:
        rows[..., list(names).index(f)] = 0.0
    return rows


_DIGIT = re.compile(r"[0-9０-９]|[一二三四五六七八九十百千万亿两〇零]+[个名次位年月日%％]")
DATE = re.compile(r"(?<!\d)(1[0-9]\d\d|20\d\d)(?!\d)|\d{1,2}\s*月|\d{1,2}\s*日|世纪|年代|"
                   r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b")
_REASON = re.compile(r"因为|由于|因此|为了|以便|导致|所以|原因|旨在|\bbecause\b|\bdue to\b|\bin order to\b|\bso that\b",
                     re.I)
_ENUMERATION = re.compile(r"[、；;]|\([a-z]\)|（[a-z一二三四五六七八九十]）")


def kind_shown(kind: str, text: str) -> float | None:
    """1.0 when ``text`` shows what the kind asks for, 0.0 when not, None when the kind has no shape."""
    pattern = {"number": _DIGIT, "date": DATE, "reason": _REASON, "list": _ENUMERATION}.get(kind)
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


def dense_probe(question: Question, part: str, translator: Translator | None) -> str:
    """What the embedding model reads for a question part: for an English question over the Chinese text,
    the part with its concepts' Chinese renderings (``Translator.probe``); otherwise the part itself."""
    return translator.probe(part) if translator is not None and question.lang == "en" else part


def _alignments(part: str, cands: Sequence[Candidate], passages: Sequence[Passage], vectors: Vectors,
                cos: np.ndarray, pcos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token alignment (mean, lowest third) of the question with each candidate (its tokens as read in its
    passage) and with its passage, candidates × 2 each; the pooled cosines where the embedder gives no token
    vectors."""
    q = vectors.tokens([part], query=True)[0]
    by = dict(zip(map(id, passages), vectors.tokens([p.chunk.text for p in passages]), strict=True))
    if q is None or any(t is None for t in by.values()):
        return np.column_stack([cos, cos]), np.column_stack([pcos, pcos])
    pal = {pid: alignment(q.vectors, t.vectors) for pid, t in by.items()}  # type: ignore[union-attr]
    align = np.array([alignment(q.vectors, span_rows(by[id(c.passage)], c.start, c.end)) for c in cands])  # type: ignore[arg-type]
    return align.reshape(-1, 2), np.array([pal[id(c.passage)] for c in cands]).reshape(-1, 2)


def passage_scores(part: str, texts: Sequence[str], vectors: Vectors) -> np.ndarray:
    """Rows: the pooled cosine and the token alignment (mean, lowest third) of the question with each of
    ``texts``. ``part``: the question part as the embedder reads it (``dense_probe``)."""
    if not texts:
        return np.zeros((3, 0))
    cos = vectors.documents(list(texts)) @ vectors.query(part)
    q = vectors.tokens([part], query=True)[0]
    toks = vectors.tokens(list(texts))
    if q is None or any(t is None for t in toks):
        return np.vstack([cos, cos, cos])
    return np.vstack([cos, np.array([alignment(q.vectors, t.vectors) for t in toks]).T])  # type: ignore[union-attr]


def retriever_shares(question: Question, passages: Sequence[Passage]) -> dict[int, tuple[float, float]]:
    """Per passage (by id): its lexical and its dense retrieval score as a share of the best among
    ``passages`` (0.0 where that retriever did not return it). The lexical one is BM25 over the translated
    question for an English question, BM25 over its words otherwise: where the retrievers agree on a passage,
    the question is more likely answered there."""
    lexical = "translated" if question.lang == "en" and any("translated" in p.scores for p in passages) else "bm25"

    def shares(name: str) -> list[float]:
        best = max((p.scores.get(name, 0.0) for p in passages), default=0.0)
        return [p.scores.get(name, 0.0) / best if best > 0 else 0.0 for p in passages]

    return {id(p): pair for p, pair in zip(passages, zip(shares(lexical), shares("dense"), strict=True), strict=True)}


def candidate_features(question: Question, part: str, kind: str, cands: Sequence[Candidate],
                       weights: TermWeights, vectors: Vectors, translator: Translator | None = None,
                       retrieved: Sequence[Passage] = ()) -> np.ndarray:
    """One row of ``CANDIDATE_FEATURES`` per candidate, for the question part ``part`` of kind ``kind``.
    For an English question over the text, ``translator`` renders its concepts (``rendered*``: the share of
    them a sentence / its passage holds); for other questions those equal the lexical coverage."""
    if not cands:
        return np.zeros((0, len(CANDIDATE_FEATURES)))
    passages = list({id(c.passage): c.passage for c in cands}.values())
    probe = dense_probe(question, part, translator)
    q = vectors.query(probe)
    cos = vectors.documents([c.text for c in cands]) @ q
    pcos_by = dict(zip(map(id, passages), vectors.documents([p.chunk.text for p in passages]) @ q, strict=True))
    pcos = np.array([pcos_by[id(c.passage)] for c in cands])
    asked = weights.asked(content(part, question.lang))
    ptoks = {id(p): set(tokenize(p.chunk.text)) for p in passages}
    lex = np.array([coverage(asked, set(tokenize(c.text))) for c in cands])
    cos_rank = _ranks(cos)
    align, palign = _alignments(probe, cands, passages, vectors, cos, pcos)
    groups = translator.query(part) if translator is not None and question.lang == "en" else None
    unknown = unknown_share(asked, weights)
    shares = retriever_shares(question, list(retrieved) or passages)
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
            align[i, 0], align[i, 0] - align[:, 0].max(), palign[i, 0], palign[i, 0] - palign[:, 0].max(),
            align[i, 1], palign[i, 1], *shares.get(id(c.passage), (0.0, 0.0)),
        ])
    return np.asarray(rows, dtype=np.float64)


def _top_gap(values: np.ndarray) -> float:
    top = np.sort(values)[::-1]
    return float(top[0] - top[1:5].mean()) if len(top) > 1 else 0.0


def _top_shares(rows: np.ndarray, f: dict[str, int]) -> tuple[float, float]:
    """The retriever shares of the top-ranked passage (passage rank 1) among the candidates' passages."""
    top = rows[:, f["passage_rank"]] >= 1.0
    if not top.any():
        return 0.0, 0.0
    return float(rows[top, f["lexical_share"]].max()), float(rows[top, f["dense_share"]].max())


def answerable_features(logits: np.ndarray, rows: np.ndarray, cands: Sequence[Candidate],
                        passages: np.ndarray) -> np.ndarray:
    """One row of ``ANSWERABLE_FEATURES``: how well the best candidate (and the retrieval) answers.
    ``passages``: the top passages' ``passage_scores``."""
    f = {name: i for i, name in enumerate(CANDIDATE_FEATURES)}
    if len(logits) == 0:
        return np.array([-10.0] + [0.0] * (len(ANSWERABLE_FEATURES) - 1))
    best = int(np.argmax(logits))
    second = np.partition(logits, -2)[-2] if len(logits) > 1 else logits[best] - 5.0
    passage_cos, passage_align, passage_low = passages if passages.size else (np.zeros(0),) * 3
    row = rows[best]
    return np.array([
        logits[best], logits[best] - second, row[f["cos"]], passage_cos.max(initial=0.0),
        _top_gap(passage_cos), row[f["lex"]], rows[:, f["passage_lex"]].max(),
        row[f["numbers_in_passage"]], row[f["names_in_passage"]], row[f["kind_match"]] - row[f["kind_missing"]],
        row[f["rendered"]], rows[:, f["rendered_passage"]].max(),
        row[f["missing_in_passage"]], rows[:, f["missing_in_passage"]].min(), row[f["unknown"]],
        row[f["align"]], passage_align.max(initial=0.0), _top_gap(passage_align),
        row[f["align_low"]], row[f["passage_align_low"]], passage_low.max(initial=0.0),
        row[f["lexical_share"]], row[f["dense_share"]], *_top_shares(rows, f),
    ])
