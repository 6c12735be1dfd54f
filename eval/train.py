"""Train citeqa's answer model from the dev sets and write its parameters (``rag/data/params.json``).

    python -m eval.train                 # XQuAD dev (zh + en) and the UNEP dev + extra sets
    python -m eval.train --report-only   # cross-validated figures of the current features, nothing written

Data: every dev question is retrieved and its candidates featurised exactly as the app does
(``rag.answering``). A candidate is a positive when it holds a key fact of the question and overlaps its
evidence. Negatives for answerability: the sets' unanswerable questions, and every answerable question
asked again with its source document (XQuAD: the whole article, as in an absent-article question) or its
evidence paragraphs (UNEP: a near miss) taken out of the retrieved passages.

Models (per question language; logistic regression): a candidate ranker over ``CANDIDATE_FEATURES``, and an
answerability model over ``ANSWERABLE_FEATURES`` of the top candidate, fitted on out-of-fold ranker scores
(folds by document, so no question is scored by a ranker that saw its article). The refusal threshold is
the one that maximises utility on the out-of-fold scores: +1 for a right answer, −``WRONG_COST`` for a wrong
or unanswerable one shown, 0 for a refusal. Lexical-only variants are fitted on the same rows with the
dense features zeroed.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from eval.metrics import key_fact_hits, normalize
from eval.sets import EvalItem, load_eval_set
from rag.answering.features import ANSWERABLE_FEATURES, CANDIDATE_FEATURES, answerable_features
from rag.answering.model import apply
from rag.answering.question import parse_question
from rag.params import AnswerParams, Linear, Params, load_params, save_params

WRONG_COST = 1.5  # a wrong cited answer costs more than a refusal
FOLDS = 5
TOP_K = 8
DENSE_CANDIDATE = ("cos", "cos_gap", "cos_rank", "passage_cos_gap")
DENSE_ANSWERABLE = ("best_cos", "passage_cos", "passage_cos_gap")
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Example:
    """One question as the model sees it: per part, candidate rows and which candidates hold which facts."""

    set: str
    id: str
    lang: str
    doc: str
    answerable: bool
    parts: list[np.ndarray]  # candidate rows per part
    passage_cos: list[np.ndarray]  # top passages' cosine per part
    facts: list[np.ndarray]  # per part: candidates × key facts (bool)
    positive: list[np.ndarray]  # per part: candidate is a positive
    n_facts: int
    left_out: bool = False  # an answerable question asked without its source passages
    texts: list[str] = field(default_factory=list)


def xquad_dir() -> Path:
    for cand in (ROOT / "eval" / "xquad", ROOT.parent / "shared" / "evalsets" / "xquad"):
        if (cand / "corpus").is_dir():
            return cand
    raise SystemExit("XQuAD not found: expected eval/xquad/ (vendored) or ../shared/evalsets/xquad/")


def _bigrams(text: str) -> set[str]:
    t = normalize(text)
    return {t[i:i + 2] for i in range(len(t) - 1)} or {t}


def overlaps_evidence(text: str, evidence: Sequence[str]) -> bool:
    """The candidate and an evidence string share most of the shorter one's character bigrams."""
    mine = _bigrams(text)
    for ev in evidence:
        theirs = _bigrams(ev)
        if len(mine & theirs) / max(1, min(len(mine), len(theirs))) >= 0.5:
            return True
    return False


def _components(corpus: Path, index: Path):  # type: ignore[no-untyped-def]
    from ingest.run import ingest_paths
    from rag.components import build_components, refresh
    from rag.index.store import ChunkStore
    from rag.settings import Settings

    settings = Settings(corpus_dir=corpus, index_dir=index)
    store = ChunkStore.open(settings)
    components = build_components(settings, store)
    ingest_paths(None, settings, store, components.embedder)
    refresh(components)
    return components


def featurise(name: str, items: Sequence[EvalItem], components, leave_out: str) -> list[Example]:  # type: ignore[no-untyped-def]
    """Examples for ``items``; answerable ones also asked again without their ``leave_out`` ("doc" or
    "evidence") passages, as negatives."""
    from rag.chain import retrieve
    from rag.index.retrieve import number

    model = components.model
    out: list[Example] = []
    for n, item in enumerate(items):
        q = parse_question(item.question, item.history)
        wide = retrieve(components, q, TOP_K + 12)
        variants = [(item.answerable, wide[:TOP_K], False)]
        if item.answerable:
            if leave_out == "doc":
                kept = [p for p in wide if p.chunk.doc not in item.docs]
            else:
                kept = [p for p in wide if not overlaps_evidence(p.chunk.text, item.evidence)]
            variants.append((False, number([replace(p) for p in kept[:TOP_K]]), True))
        for answerable, passages, left_out in variants:
            parts = model.features(q, passages)
            ex = Example(name, item.id, item.lang, ",".join(item.docs), answerable, [], [], [], [],
                         len(item.key_facts) if answerable else 0, left_out)
            for pr in parts:
                ex.parts.append(pr.rows)
                ex.passage_cos.append(model.passage_cos(pr.part, passages))
                facts = len(item.key_facts) if answerable else 0
                hits = np.zeros((len(pr.candidates), facts), dtype=bool)
                for i, c in enumerate(pr.candidates):
                    if facts:
                        hits[i] = key_fact_hits(c.text, item.key_facts)
                ex.facts.append(hits)
                pos = [answerable and (hits[i].any() if hits.shape[1] else True)
                       and overlaps_evidence(c.text, item.evidence) for i, c in enumerate(pr.candidates)]
                ex.positive.append(np.array(pos, dtype=bool))
            ex.texts = [c.text for c in parts[0].candidates] if parts else []
            out.append(ex)
        if n % 100 == 0:
            print(f"  {name}: {n}/{len(items)}", file=sys.stderr, flush=True)
    return out


def _fit(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> Linear:
    from sklearn.linear_model import LogisticRegression

    if len(set(y.tolist())) < 2:
        return Linear([0.0] * x.shape[1], 0.0)
    lr = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(x, y)
    return Linear([float(w) for w in lr.coef_[0]], float(lr.intercept_[0]))


def _zeroed(x: np.ndarray, names: Sequence[str], dense: Sequence[str]) -> np.ndarray:
    x = x.copy()
    for f in dense:
        x[:, list(names).index(f)] = 0.0
    return x


def _rank_rows(exs: Sequence[Example], dense: bool) -> tuple[np.ndarray, np.ndarray]:
    xs = [r for e in exs for r in e.parts if len(r)]
    ys = [p for e in exs for p in e.positive if len(p)]
    x = np.vstack(xs) if xs else np.zeros((0, len(CANDIDATE_FEATURES)))
    return (x if dense else _zeroed(x, CANDIDATE_FEATURES, DENSE_CANDIDATE)), np.concatenate(ys) if ys else np.zeros(0)


def _outcome(e: Example, ranker: Linear, dense: bool, second_ratio: float) -> tuple[np.ndarray, bool, int]:
    """Answerability rows per part, whether the chosen answer holds every key fact, and sentences shown."""
    from rag.answering.model import sigmoid

    rows, facts, shown = [], np.zeros(e.n_facts, dtype=bool), 0
    for x, pc, hits in zip(e.parts, e.passage_cos, e.facts, strict=True):
        x = x if dense else _zeroed(x, CANDIDATE_FEATURES, DENSE_CANDIDATE)
        logits = apply(ranker, x)
        row = answerable_features(logits, x, [], pc)
        rows.append(row if dense else _zeroed(row[None, :], ANSWERABLE_FEATURES, DENSE_ANSWERABLE)[0])
        if len(logits):
            order = np.argsort(-logits)
            probs = sigmoid(logits)
            picked = [order[0]] + [i for i in order[1:2] if probs[i] >= second_ratio * probs[order[0]]]
            shown += len(picked)
            if hits.shape[1]:
                facts |= hits[picked].any(axis=0)
    return np.asarray(rows), bool(e.n_facts and facts.all()), shown


def _folds(exs: Sequence[Example]) -> list[int]:
    docs = sorted({e.doc for e in exs})
    fold_of = {d: i % FOLDS for i, d in enumerate(docs)}
    return [fold_of[e.doc] for e in exs]


def train_lang(exs: list[Example], dense: bool, second_ratio: float,
               wrong_cost: float = WRONG_COST) -> tuple[Linear, Linear, float, dict]:
    """Ranker, answerability model and threshold for one language, with out-of-fold figures."""
    folds = _folds(exs)
    oof_rows: list[np.ndarray] = [np.zeros(0)] * len(exs)
    oof_y = [0] * len(exs)
    oof_shown = [0] * len(exs)
    for k in range(FOLDS):
        train = [e for e, f in zip(exs, folds, strict=True) if f != k]
        ranker = _fit(*_rank_rows(train, dense))
        for i, (e, f) in enumerate(zip(exs, folds, strict=True)):
            if f == k:
                oof_rows[i], right, oof_shown[i] = _outcome(e, ranker, dense, second_ratio)
                oof_y[i] = int(right)
    # answerability: fitted and thresholded on out-of-fold rows (one row per part; a question's confidence
    # is its weakest part's)
    x = np.vstack(oof_rows)
    y = np.concatenate([[yy] * len(r) for r, yy in zip(oof_rows, oof_y, strict=True)])
    judge = _fit(x, y)
    from rag.answering.model import sigmoid

    conf = np.array([float(np.min(sigmoid(apply(judge, r)))) for r in oof_rows])
    right = np.array(oof_y, dtype=bool)
    best_t, best_u = 0.5, -1e9
    for t in np.unique(np.round(conf, 3)):
        shown = conf >= t
        u = (shown & right).sum() - wrong_cost * (shown & ~right).sum()
        if u > best_u:
            best_t, best_u = float(t), u
    ranker = _fit(*_rank_rows(exs, dense))
    stats = figures(exs, conf, right, best_t, np.array(oof_shown))
    return ranker, judge, best_t, stats


def figures(exs: Sequence[Example], conf: np.ndarray, right: np.ndarray, t: float, shown: np.ndarray) -> dict:
    """Out-of-fold figures per set: key facts, false refusal, unanswerable (and left-out) refused."""
    out: dict = {}
    for name in sorted({e.set for e in exs}):
        m = np.array([e.set == name for e in exs])
        ans = m & np.array([e.answerable for e in exs])
        unans = m & ~np.array([e.answerable for e in exs])
        answered = conf >= t
        left_out = unans & np.array([e.left_out for e in exs])
        true_unans = unans & ~left_out
        out[name] = {
            "n": int(ans.sum()),
            "key_facts": float((answered & right & ans).sum() / max(1, ans.sum())),
            "false_refusal": float((~answered & ans).sum() / max(1, ans.sum())),
            "unanswerable_refused": float((~answered & true_unans).sum() / max(1, true_unans.sum())),
            "left_out_refused": float((~answered & left_out).sum() / max(1, left_out.sum())),
            "sentences": float(shown[ans & answered].mean()) if (ans & answered).any() else 0.0,
            "ceiling": float(right[ans].mean()) if ans.any() else 0.0,
        }
    return out


def _cached(path: Path, make):  # type: ignore[no-untyped-def]
    """``make()``, kept in ``path`` (a pickle) so that a later run with the same features reuses it."""
    if path.exists():
        return pickle.loads(path.read_bytes())
    value = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(value))
    return value


def _with_vectors(components, path: Path):  # type: ignore[no-untyped-def]
    """Embeddings of earlier runs (by text) reused: featurising again after a feature change is fast."""
    vectors = components.model.vectors
    if path.exists() and vectors.available:
        vectors._docs.update(pickle.loads(path.read_bytes()))
    return vectors


def collect(cache: Path, top_passages: int | None = None) -> list[Example]:
    """Featurised examples of every dev set (each set cached in ``cache``; delete it after a change)."""
    xq = xquad_dir()
    cache.mkdir(parents=True, exist_ok=True)
    exs: list[Example] = []
    index_root = ROOT / ".citeqa" / "train"
    sets = [("xquad-zh", "xquad", [xq / "dev.zh.jsonl"], "doc"),
            ("xquad-en", "xquad", [xq / "dev.en.jsonl"], "doc"),
            ("unep", "unep", [ROOT / "eval" / "dev.jsonl", ROOT / "eval" / "extra.jsonl"], "evidence")]
    corpora = {"xquad": xq / "corpus", "unep": ROOT / "corpus"}
    comps: dict[str, object] = {}
    for name, corpus, files, leave_out in sets:
        def make(name=name, corpus=corpus, files=files, leave_out=leave_out):  # type: ignore[no-untyped-def]
            if corpus not in comps:
                comps[corpus] = _components(corpora[corpus], index_root / corpus)
                if top_passages is not None:
                    comps[corpus].model.params = replace(comps[corpus].model.params, top_passages=top_passages)
            vectors = _with_vectors(comps[corpus], cache / f"vectors-{corpus}.pkl")
            items = [it for f in files for it in load_eval_set(f)[0]]
            out = featurise(name, items, comps[corpus], leave_out)
            if vectors.available:
                (cache / f"vectors-{corpus}.pkl").write_bytes(pickle.dumps(dict(vectors._docs)))
            return out
        exs += _cached(cache / f"{name}.pkl", make)
    return exs


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=ROOT / ".citeqa" / "train" / "cache",
                    help="featurised examples and embeddings (delete it after a feature or retrieval change)")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--top-passages", type=int, default=load_params().answer.top_passages,
                    help="candidates come from this many best passages (a change needs a fresh --cache)")
    ap.add_argument("--second-ratio", type=float, default=AnswerParams().second_ratio)
    ap.add_argument("--wrong-cost", type=float, default=WRONG_COST,
                    help="utility cost of a wrong answer shown (a right one gains 1, a refusal 0)")
    args = ap.parse_args(argv)
    exs = collect(args.cache, args.top_passages)
    rank, judge, thresholds = {}, {}, {}
    for lang in ("zh", "en"):
        mine = [e for e in exs if e.lang == lang]
        for dense in (True, False):
            key = lang + ("" if dense else ".lexical")
            rank[key], judge[key], thresholds[key], stats = train_lang(mine, dense, args.second_ratio, args.wrong_cost)
            print(f"[{key}] threshold {thresholds[key]:.3f}")
            for name, s in stats.items():
                print(f"  {name:9s} " + "  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                                  for k, v in s.items()))
    if args.report_only:
        return 0
    old = load_params()
    answer = replace(old.answer, candidate_features=list(CANDIDATE_FEATURES),
                     answerable_features=list(ANSWERABLE_FEATURES), rank=rank, answerable=judge,
                     threshold=thresholds, second_ratio=args.second_ratio, top_passages=args.top_passages)
    save_params(Params(fusion=old.fusion, answer=answer))
    print("wrote rag/data/params.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
