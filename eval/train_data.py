"""The dev sets as the answer model sees them: every dev question retrieved and its candidates featurised
exactly as the app does (``rag.answering``), labelled, and cached (``collect``). ``eval.train`` fits on them.

A candidate is a positive when it holds a key fact of the question and overlaps its evidence. Negatives for
answerability: the sets' unanswerable questions, and every answerable question asked again with its source
document (XQuAD: the whole article, as in an absent-article question) or its evidence paragraphs (UNEP: a
near miss) taken out of the retrieved passages.
"""

from __future__ import annotations

import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from eval.metrics import key_fact_hits, normalize
from eval.sets import EvalItem, load_eval_set
from rag.answering.question import Question, parse_question

TOP_K = 8
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
    passages: list[np.ndarray]  # per part: the top passages' scores (cosine, token alignment)
    facts: list[np.ndarray]  # per part: candidates × key facts (bool)
    positive: list[np.ndarray]  # per part: candidate is a positive
    n_facts: int
    left_out: bool = False  # an answerable question asked without its source passages
    texts: list[str] = field(default_factory=list)  # the candidates' texts (the same for every part)
    question: Question | None = None  # as parsed (attached by ``collect``, not cached)


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
        wide = retrieve(components, q, TOP_K + 12)  # a follow-up as read with its conversation
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
                ex.passages.append(model.passage_scores(q, pr.part, passages))
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
        items = [it for f in files for it in load_eval_set(f)[0]]
        parsed = {it.id: parse_question(it.question, it.history) for it in items}

        def make(name=name, corpus=corpus, items=items, leave_out=leave_out):  # type: ignore[no-untyped-def]
            if corpus not in comps:
                comps[corpus] = _components(corpora[corpus], index_root / corpus)
                if top_passages is not None:
                    comps[corpus].model.params = replace(comps[corpus].model.params, top_passages=top_passages)
            vectors = _with_vectors(comps[corpus], cache / f"vectors-{corpus}.pkl")
            out = featurise(name, items, comps[corpus], leave_out)
            if vectors.available:
                (cache / f"vectors-{corpus}.pkl").write_bytes(pickle.dumps(dict(vectors._docs)))
            return out
        for ex in _cached(cache / f"{name}.pkl", make):
            ex.question = parsed[ex.id]
            exs.append(ex)
    return exs
