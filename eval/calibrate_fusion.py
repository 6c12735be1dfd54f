"""Calibrate the fusion of BM25 and dense rankings per question language; rewrites the ``fusion`` and ``dense``
sections of ``rag/data/params.json`` (``rag.params.save_params``) and prints per-language recall of BM25, dense
and fused.

    python -m eval.calibrate_fusion [--write]

Dev data: XQuAD dev (English and Chinese questions over Chinese Wikipedia paragraphs, its own index) and the
UNEP dev set plus ``eval/extra.jsonl`` (the shipped corpus). Each index is built with the configured embedder
when missing. Per question, the retriever's own candidate lists are taken once (``HybridRetriever.rankings``),
then every grid point is scored by fusing them with the retriever's own ``fuse``. The objective per language is
the mean over both data sets of the mean of recall@1..5 ("a retrieved passage covers the evidence",
``eval.relevance``): every rank up to 5 counts, so a set of 30 questions does not swing the choice by one
question at one cut-off. Answerable items with evidence only; ties go to fewer and lighter extra rankings.
"""

from __future__ import annotations

import argparse
import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from eval.metrics import recall_at_k
from eval.relevance import Relevance, Span
from eval.sets import load_eval_sets
from rag.params import FusionParams, Params, load_params, save_params
from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
XQUAD = Path(os.environ.get("CITEQA_XQUAD_DIR", ROOT.parent / "shared" / "evalsets" / "xquad"))
K = 5  # deepest rank scored
SENTENCE_WEIGHTS = [0.0, 0.25, 0.5, 0.75]  # rag.params.DenseParams, per language
GRID = {"rrf_k": [1, 2, 5, 10, 20, 60], "lexical": [0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0],
        "translated": [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0]}


@dataclass
class Question:
    """One question's candidate lists (chunk ids, best first) and which chunk covers which evidence string."""

    set_name: str
    lang: str
    n_evidence: int
    lists: dict[str, list[str]]
    covers: dict[str, set[int]]


@dataclass(frozen=True)
class DevSet:
    name: str
    corpus: Path
    index: Path
    questions: tuple[Path, ...]


def dev_sets(work: Path) -> list[DevSet]:
    return [DevSet("xquad", XQUAD / "corpus", work / "xquad-index",
                   (XQUAD / "dev.zh.jsonl", XQUAD / "dev.en.jsonl")),
            DevSet("unep", ROOT / "corpus", work / "unep-index", (ROOT / "eval" / "dev.jsonl",
                                                                  ROOT / "eval" / "extra.jsonl"))]


def collect(dev: DevSet, base: Settings) -> list[Question]:
    """Build (or reuse) the set's index, then every answerable question's candidate lists."""
    from eval.harness import document_raws
    from ingest.run import ingest_paths
    from rag.components import build_components
    from rag.index.store import ChunkStore

    settings = base.model_copy(update={"corpus_dir": dev.corpus, "index_dir": dev.index})
    store = ChunkStore.open(settings)
    components = build_components(settings, store)
    if store.version() is None or not store.dense_ready(components.embedder):
        ingest_paths(None, settings, store, components.embedder, rebuild=store.version() is not None)
        components = build_components(settings, store)
    retriever = components.retriever
    relevance = Relevance(document_raws(store, dev.corpus))
    items, _ = load_eval_sets(list(dev.questions))
    items = [i for i in items if i.answerable and i.evidence and not i.history]
    embedder = retriever.embedder
    vectors = (embedder.embed_batch([embedder.query_prefix + i.question for i in items]) if embedder is not None
               else [None] * len(items))
    out = []
    for item, vector in zip(items, vectors, strict=True):
        gold = relevance.gold(item.docs, item.evidence)
        lists = {name: [c.id for c, _ in hits] for name, hits in
                 retriever.rankings(item.question, item.lang, base.candidates, vector).items()}
        if retriever.dense_index is not None:  # the dense list at every sentence weight
            for w in SENTENCE_WEIGHTS:
                lists[f"dense@{w}"] = [cid for cid, _ in retriever.dense_index.search(vector, base.candidates, w)]
        chunks = {c.id: c for c in retriever.lexical.chunks}
        seen = {cid for ids in lists.values() for cid in ids}
        covers = {cid: relevance.covered(Span(chunks[cid].doc, chunks[cid].char_start, chunks[cid].char_end), gold)
                  for cid in seen}
        out.append(Question(dev.name, "en" if item.lang == "en" else "zh", gold.n, lists, covers))
    return out


def recall(questions: Sequence[Question], fusion: FusionParams, k: int, lists: str | None = None) -> float:
    """Mean recall@k of the fused ranking (or of one candidate list alone, ``lists``)."""
    from rag.index.retrieve import fuse

    total = 0.0
    for q in questions:
        ranked = q.lists.get(lists, []) if lists else [cid for cid, _ in fuse(q.lists, q.lang, fusion)]
        total += recall_at_k([q.covers.get(cid, set()) for cid in ranked[:k]], q.n_evidence, k)
    return total / max(len(questions), 1)


def objective(groups: dict[str, list[Question]], fusion: FusionParams) -> float:
    """Mean over the data sets of the mean recall@1..K."""
    per_set = [sum(recall(qs, fusion, k) for k in range(1, K + 1)) / K for qs in groups.values()]
    return sum(per_set) / max(len(per_set), 1)


def candidates(lang: str, start: FusionParams) -> list[FusionParams]:
    """Grid points for one language: the other language's fields are kept as they are."""
    out = []
    for k, w_lex, w_tr in itertools.product(GRID["rrf_k"], GRID["lexical"], GRID["translated"]):
        if lang == "zh":
            if w_tr:
                continue
            out.append(replace(start, rrf_k_zh=k, lexical_weight_zh=w_lex, dense_weight_zh=1.0))
        else:
            out.append(replace(start, rrf_k_en=k, lexical_weight_en=w_lex, translated_weight_en=w_tr,
                               dense_weight_en=1.0))
    return out


def with_dense(questions: Sequence[Question], weight: float) -> list[Question]:
    """The questions with their dense list taken at sentence weight ``weight`` (as collected)."""
    key = f"dense@{weight}"
    return [replace(q, lists={**q.lists, "dense": q.lists[key]}) if key in q.lists else q for q in questions]


def calibrate(questions: Sequence[Question], start: Params) -> Params:
    """Per language, the sentence weight and fusion weights with the best objective."""
    fusion, dense = start.fusion, start.dense
    for lang in ("zh", "en"):
        scored = []
        collected = any(key.startswith("dense@") for q in questions for key in q.lists)
        for w in SENTENCE_WEIGHTS if collected else [None]:
            groups: dict[str, list[Question]] = {}
            for q in (with_dense(questions, w) if w is not None else questions):
                if q.lang == lang:
                    groups.setdefault(q.set_name, []).append(q)
            f = max(candidates(lang, fusion), key=lambda f: (round(objective(groups, f), 4), -_complexity(f, lang)))
            scored.append((round(objective(groups, f), 4), -_complexity(f, lang), w, f))
        _, _, w, fusion = max(scored, key=lambda s: s[:2])
        if w is not None:
            dense = replace(dense, **{f"sentence_weight_{lang}": w})
    return replace(start, fusion=fusion, dense=dense)


def _complexity(f: FusionParams, lang: str) -> float:
    """Tie-break toward fewer and lighter extra rankings."""
    return (f.lexical_weight_zh if lang == "zh" else f.lexical_weight_en + f.translated_weight_en)


def table(questions: Sequence[Question], params: Params) -> str:
    """Recall per set and language of each list alone and fused (dense at the language's sentence weight)."""
    fusion = params.fusion
    rows = ["| set | lang | n | BM25 R@1 | BM25 R@5 | translated R@5 | dense R@1 | dense R@5 | fused R@1 | fused R@5 |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    keys = sorted({(q.set_name, q.lang) for q in questions})
    for set_name, lang in keys:
        qs = with_dense([q for q in questions if (q.set_name, q.lang) == (set_name, lang)],
                        params.dense.sentence_weight(lang))
        cells = [recall(qs, fusion, 1, "bm25"), recall(qs, fusion, K, "bm25"),
                 recall(qs, fusion, K, "translated") if lang == "en" else None,
                 recall(qs, fusion, 1, "dense"), recall(qs, fusion, K, "dense"),
                 recall(qs, fusion, 1), recall(qs, fusion, K)]
        rows.append(f"| {set_name} | {lang} | {len(qs)} | " + " | ".join("–" if c is None else f"{c:.3f}" for c in cells)
                    + " |")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=ROOT / ".citeqa" / "calibration", help="where the dev indexes go")
    parser.add_argument("--write", action="store_true", help="rewrite the fusion section of rag/data/params.json")
    args = parser.parse_args(argv)
    base = Settings()
    questions = [q for dev in dev_sets(args.work) for q in collect(dev, base)]
    params = load_params()
    print("Before:", params.fusion, params.dense)
    print(table(questions, params))
    new = calibrate(questions, params)
    print("After:", new.fusion, new.dense)
    print(table(questions, new))
    if args.write:
        save_params(replace(params, fusion=new.fusion, dense=new.dense))
        print("wrote the fusion and dense sections of rag/data/params.json")


if __name__ == "__main__":
    main()
