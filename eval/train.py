"""Train citeqa's answer model from the dev sets and write its parameters (``rag/data/params.json``).

    python -m eval.train                 # XQuAD dev (zh + en) and the UNEP dev + extra sets
    python -m eval.train --report-only   # cross-validated figures of the current features, nothing written
    python -m eval.train --hold          # the same at the shipped thresholds: a change at one operating point

Data: ``eval.train_data.collect`` (every dev question featurised exactly as the app does, labelled, with
left-out negatives; cached).

Models (per question language; logistic regression): a candidate ranker over ``CANDIDATE_FEATURES``, and an
answerability model (the judge) over ``ANSWERABLE_FEATURES`` of the top candidate, fitted on out-of-fold
ranker scores (folds by document, so no question is scored by a ranker that saw its article). The judge
reads standardised features; its regularisation strength (from ``C_GRID``) and the refusal threshold are
the ones that maximise utility on its own out-of-fold confidences, each question answered as the app answers
it (the parts at or above the threshold quoted, except a part whose quotes lack the figure, amount or date it
asks: ``rag.answering.constraints.lacks``): +1 for a right answer, −``WRONG_COST``
for a wrong, partial or unanswerable one shown, 0 for a refusal (strengths of equal utility: the better log-loss).
The figures printed are those out-of-fold ones: no question is judged by a model, or against a threshold,
fitted on its article. The utility is flat over a wide band of thresholds, so a re-chosen threshold can jump
with any change of the training rows; ``--hold`` compares a change at the shipped thresholds instead.
Lexical-only variants are fitted on the same rows with the dense features zeroed.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from eval.train_data import ROOT, Example, collect
from rag.answering.constraints import lacks
from rag.answering.extractive import quoted_indices
from rag.answering.features import (
    ANSWERABLE_FEATURES,
    CANDIDATE_FEATURES,
    DENSE_ANSWERABLE,
    DENSE_CANDIDATE,
    answerable_features,
    without_dense,
)
from rag.answering.model import apply, sigmoid
from rag.params import AnswerParams, Linear, Params, load_params, save_params

WRONG_COST = 1.5  # a wrong cited answer costs more than a refusal
FOLDS = 5


C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # the judge's regularisation strengths tried


def _fit(x: np.ndarray, y: np.ndarray, c: float = 1.0, standardise: bool = False) -> Linear:
    """Class-balanced logistic regression. ``standardise``: fitted on z-scored columns (so ``c`` penalises
    every feature alike), the scaling folded back into the weights so the model reads raw rows."""
    from sklearn.linear_model import LogisticRegression

    if len(set(y.tolist())) < 2:
        return Linear([0.0] * x.shape[1], 0.0)
    mu, sd = (x.mean(axis=0), x.std(axis=0)) if standardise else (np.zeros(x.shape[1]), np.ones(x.shape[1]))
    sd = np.where(sd > 1e-9, sd, 1.0)
    lr = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit((x - mu) / sd, y)
    w = lr.coef_[0] / sd
    return Linear([float(v) for v in w], float(lr.intercept_[0] - w @ mu))


def _rank_rows(exs: Sequence[Example], dense: bool) -> tuple[np.ndarray, np.ndarray]:
    xs = [r for e in exs for r in e.parts if len(r)]
    ys = [p for e in exs for p in e.positive if len(p)]
    x = np.vstack(xs) if xs else np.zeros((0, len(CANDIDATE_FEATURES)))
    return (x if dense else without_dense(x, CANDIDATE_FEATURES, DENSE_CANDIDATE)), np.concatenate(ys) if ys else np.zeros(0)


@dataclass
class Outcome:
    """One question as an out-of-fold ranker answers it: per part, its answerability row, the key facts its
    quoted sentences hold, how many sentences it quotes, and whether the app withholds them."""

    rows: np.ndarray  # parts × ANSWERABLE_FEATURES
    hits: np.ndarray  # parts × key facts
    shown: np.ndarray  # parts
    withheld: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # parts: quotes lack the kind asked

    @property
    def right(self) -> bool:
        """The quotes of all its parts hold every key fact between them (the judge's label, and the ceiling)."""
        return bool(self.hits.shape[1] and self.hits.any(axis=0).all())

    def shown_from(self, conf: np.ndarray) -> np.ndarray:
        """The parts' confidences as the app acts on them: a part whose quotes the app withholds is never shown."""
        return np.where(self.withheld, -1.0, conf) if len(self.withheld) else conf


def _outcome(e: Example, ranker: Linear, dense: bool, second_ratio: float) -> Outcome:
    """How ``ranker`` answers ``e``: per part, the best candidate and the runner-up when its probability is at
    least ``second_ratio`` × the best's (``rag.answering.extractive.quoted_indices``, as the app quotes them)."""
    rows, hits, shown = [], np.zeros((len(e.parts), e.n_facts), dtype=bool), np.zeros(len(e.parts), dtype=int)
    withheld = np.zeros(len(e.parts), dtype=bool)
    for p, (x, pc, facts) in enumerate(zip(e.parts, e.passages, e.facts, strict=True)):
        x = x if dense else without_dense(x, CANDIDATE_FEATURES, DENSE_CANDIDATE)
        logits = apply(ranker, x)
        row = answerable_features(logits, x, [], pc)
        rows.append(row if dense else without_dense(row[None, :], ANSWERABLE_FEATURES, DENSE_ANSWERABLE)[0])
        if len(logits):
            picked = quoted_indices(logits, second_ratio)
            shown[p] = len(picked)
            if e.question is not None and e.texts:  # quotes lacking the kind asked are withheld (the app's check)
                withheld[p] = lacks(e.question.kinds[p], e.question.money, [e.texts[i] for i in picked]) is not None
            if facts.shape[1]:
                hits[p] = facts[picked].any(axis=0)
    return Outcome(np.asarray(rows), hits, shown, withheld)


def _folds(exs: Sequence[Example]) -> list[int]:
    docs = sorted({e.doc for e in exs})
    fold_of = {d: i % FOLDS for i, d in enumerate(docs)}
    return [fold_of[e.doc] for e in exs]


def reach(conf: np.ndarray, hits: np.ndarray) -> tuple[float, float]:
    """The highest thresholds at which a question is answered, and answered rightly, as the app answers it:
    the parts whose confidence (``conf``, one per part; −1 for a part never shown) is at least the threshold
    are quoted; right when their quotes hold every key fact (``hits``: parts × key facts). −1 where never (an
    unanswerable question, with no key facts, is never right)."""
    if not len(conf):
        return -1.0, -1.0
    order = np.argsort(-conf, kind="stable")
    held = np.logical_or.accumulate(hits[order], axis=0) if hits.shape[1] else np.zeros((len(conf), 0), dtype=bool)
    complete = [i for i in range(len(order)) if hits.shape[1] and held[i].all()]
    return float(conf[order[0]]), float(conf[order[complete[0]]]) if complete else -1.0


def utility_at(answered_at: np.ndarray, right_at: np.ndarray, t: float, wrong_cost: float) -> float:
    """The utility of answering from threshold ``t``: +1 per question answered rightly, −``wrong_cost`` per one
    answered otherwise (``answered_at``, ``right_at``: per question, as ``reach`` gives them)."""
    right = int((right_at >= t).sum())
    return float(right - wrong_cost * (int((answered_at >= t).sum()) - right))


def best_threshold(answered_at: np.ndarray, right_at: np.ndarray, wrong_cost: float) -> tuple[float, float]:
    """The confidence threshold with the highest utility (``utility_at``), and that utility; the lowest such
    on ties.

    Args:
        answered_at, right_at: per question, the highest threshold at which it is answered, and answered
            rightly (``reach``); for a one-part question, its confidence, and its confidence or −1.
        wrong_cost: what an answer shown without every key fact costs (a right one gains 1, a refusal 0).

    Returns:
        (threshold, utility); the thresholds tried are the questions' ``answered_at``, rounded to 0.001.
    """
    best_t, best_u = 0.5, -np.inf
    for t in np.unique(np.round(answered_at[answered_at >= 0], 3)):
        u = utility_at(answered_at, right_at, float(t), wrong_cost)
        if u > best_u:
            best_t, best_u = float(t), u
    return best_t, best_u


def log_loss(conf: np.ndarray, right: np.ndarray) -> float:
    """Mean negative log-likelihood of ``right`` under the confidences (lower: better calibrated)."""
    p = np.clip(conf, 1e-6, 1 - 1e-6)
    return float(-np.mean(np.where(right, np.log(p), np.log(1 - p))))


def _fit_judge(rows: Sequence[np.ndarray], right: np.ndarray, c: float) -> Linear:
    """The judge fitted on every part's row, each labelled with its question's outcome."""
    y = np.concatenate([[int(r)] * len(x) for x, r in zip(rows, right, strict=True)])
    return _fit(np.vstack(rows), y, c, standardise=True)


def _judge_confidence(rows: Sequence[np.ndarray], right: np.ndarray, folds: Sequence[int], c: float) -> list[np.ndarray]:
    """Each question's parts' out-of-fold confidences, from judges fitted on the other folds."""
    conf: list[np.ndarray] = [np.zeros(0)] * len(rows)
    for k in range(FOLDS):
        train = [i for i, f in enumerate(folds) if f != k]
        judge = _fit_judge([rows[i] for i in train], right[train], c)
        for i, f in enumerate(folds):
            if f == k:
                conf[i] = sigmoid(apply(judge, rows[i]))
    return conf


def train_lang(exs: list[Example], dense: bool, second_ratio: float, wrong_cost: float = WRONG_COST,
               held: float | None = None) -> tuple[Linear, Linear, float, dict]:
    """Ranker, answerability model and threshold for one language, with out-of-fold figures. ``held``: a
    threshold to keep instead of choosing one (the judge's strength is then chosen by the utility there)."""
    folds = _folds(exs)
    outcomes: list[Outcome] = [Outcome(np.zeros(0), np.zeros((0, 0)), np.zeros(0))] * len(exs)
    for k in range(FOLDS):
        ranker = _fit(*_rank_rows([e for e, f in zip(exs, folds, strict=True) if f != k], dense))
        for i, (e, f) in enumerate(zip(exs, folds, strict=True)):
            if f == k:
                outcomes[i] = _outcome(e, ranker, dense, second_ratio)
    # the judge: fitted on out-of-fold ranker rows (one row per part, labelled with its question's outcome);
    # its strength and threshold chosen on its own out-of-fold confidences
    rows = [o.rows for o in outcomes]
    right = np.array([o.right for o in outcomes], dtype=bool)
    scored = []
    for c in C_GRID:
        conf = _judge_confidence(rows, right, folds, c)
        answered_at, right_at = np.array([reach(o.shown_from(cf), o.hits) for cf, o in zip(conf, outcomes, strict=True)]).T
        t, u = (held, utility_at(answered_at, right_at, held, wrong_cost)) if held is not None \
            else best_threshold(answered_at, right_at, wrong_cost)
        scored.append((u, -log_loss(np.array([cf.min() for cf in conf]), right), t, c, conf))
    best_u, _, best_t, best_c, conf = max(scored, key=lambda s: s[:2])  # utility; ties to the better log-loss
    judge = _fit_judge(rows, right, best_c)
    ranker = _fit(*_rank_rows(exs, dense))
    stats = figures(exs, conf, outcomes, best_t)
    stats["judge"] = {"C": best_c, "utility": best_u}
    return ranker, judge, best_t, stats


def figures(exs: Sequence[Example], conf: Sequence[np.ndarray], outcomes: Sequence[Outcome], t: float) -> dict:
    """Out-of-fold figures per set at threshold ``t``: key facts (all of them right), false refusal, unanswerable
    (and left-out) refused, sentences per answer, and the ceiling (right were every part answered)."""
    out: dict = {}
    answered_at, right_at = np.array([reach(o.shown_from(cf), o.hits) for cf, o in zip(conf, outcomes, strict=True)]).T
    is_answered, right = answered_at >= t, right_at >= t
    sentences = np.array([o.shown[o.shown_from(cf) >= t].sum() for cf, o in zip(conf, outcomes, strict=True)])
    ceiling = np.array([o.right for o in outcomes])
    for name in sorted({e.set for e in exs}):
        m = np.array([e.set == name for e in exs])
        ans = m & np.array([e.answerable for e in exs])
        unans = m & ~np.array([e.answerable for e in exs])
        left_out = unans & np.array([e.left_out for e in exs])
        true_unans = unans & ~left_out
        out[name] = {
            "n": int(ans.sum()),
            "key_facts": float((right & ans).sum() / max(1, ans.sum())),
            "false_refusal": float((~is_answered & ans).sum() / max(1, ans.sum())),
            "unanswerable_refused": float((~is_answered & true_unans).sum() / max(1, true_unans.sum())),
            "left_out_refused": float((~is_answered & left_out).sum() / max(1, left_out.sum())),
            "sentences": float(sentences[ans & is_answered].mean()) if (ans & is_answered).any() else 0.0,
            "ceiling": float(ceiling[ans].mean()) if ans.any() else 0.0,
        }
    return out


def trained_embedder() -> str:
    """The id of the embedder the dev sets are featurised with (the default settings' model)."""
    from rag.index.embed import configured_embedder_id
    from rag.settings import Settings

    return configured_embedder_id(Settings())


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=ROOT / ".citeqa" / "train" / "cache",
                    help="featurised examples and embeddings (delete it after a feature or retrieval change)")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--hold", action="store_true",
                    help="report at the shipped thresholds (rag/data/params.json) instead of choosing them anew, "
                         "so that a change is compared at one operating point (nothing written)")
    ap.add_argument("--top-passages", type=int, default=load_params().answer.top_passages,
                    help="candidates come from this many best passages (a change needs a fresh --cache)")
    ap.add_argument("--second-ratio", type=float, default=AnswerParams().second_ratio)
    ap.add_argument("--wrong-cost", type=float, default=WRONG_COST,
                    help="utility cost of a wrong answer shown (a right one gains 1, a refusal 0)")
    args = ap.parse_args(argv)
    exs = collect(args.cache, args.top_passages)
    old = load_params()
    shipped = old.answer.threshold if args.hold else {}
    rank, judge, thresholds = {}, {}, {}
    for lang in ("zh", "en"):
        mine = [e for e in exs if e.lang == lang]
        for dense in (True, False):
            key = lang + ("" if dense else ".lexical")
            rank[key], judge[key], thresholds[key], stats = train_lang(mine, dense, args.second_ratio, args.wrong_cost,
                                                                       shipped.get(key))
            print(f"[{key}] threshold {thresholds[key]:.3f}")
            for name, s in stats.items():
                print(f"  {name:9s} " + "  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                                  for k, v in s.items()))
    if args.report_only or args.hold:
        return 0
    answer = replace(old.answer, candidate_features=list(CANDIDATE_FEATURES), embedder=trained_embedder(),
                     answerable_features=list(ANSWERABLE_FEATURES), rank=rank, answerable=judge,
                     threshold=thresholds, second_ratio=args.second_ratio, top_passages=args.top_passages)
    save_params(Params(fusion=old.fusion, answer=answer))
    print("wrote rag/data/params.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
