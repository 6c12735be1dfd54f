"""How often an LLM's drafts would have misled a reader: ``citeqa eval --answerer openai|ollama`` scores
every answer with ``FaithfulnessScorer`` (an ``eval.runner.ItemScorer``: figures in results.jsonl under
``extra["faithfulness.*"]``) and writes ``faithfulness.json`` and ``faithfulness.md`` beside the report.

Per question: the sentences the model drafted (kept + dropped by citation enforcement, over the draft and
the corrective retry), the sentences kept and shown, and any shown sentence the independent support rule of
``eval.support_rule`` rejects. Per language: the share of drafted sentences dropped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.support_rule import Similarity, e5_similarity, problems


@dataclass
class Faithfulness:
    id: str
    lang: str
    drafted: int  # sentences the model wrote (kept + dropped)
    kept: int  # shown after enforcement
    refused: bool
    unsupported: list[str] = field(default_factory=list)  # shown sentences the independent rule rejects
    unchecked: int = 0  # shown English sentences over Chinese passages, no embedding model to judge them
    fell_back: bool = False  # the LLM failed and another answerer answered (not counted in the rates)

    @property
    def dropped(self) -> int:
        return self.drafted - self.kept


def of_answer(qid: str, lang: str, answer: Any, similarity: Similarity | None, model: str) -> Faithfulness:
    """The figures of one ``rag.types.Answer`` drafted by ``model`` (its ``mode["answerer"]`` name)."""
    texts = {p.n: p.chunk.text for p in answer.retrieved}
    kept = [] if answer.refused else list(answer.sentences)
    row = Faithfulness(qid, lang, len(kept) + len(answer.dropped), len(kept), bool(answer.refused),
                       fell_back=answer.mode.get("answerer") != model)
    for s in kept:
        why = problems(s.text, "\n".join(texts.get(n, "") for n in s.citations), similarity)
        if any(w.startswith("unchecked") for w in why):
            row.unchecked += 1
        elif why:
            row.unsupported.append(f"{s.text} — {'; '.join(why)}")
    return row


def summary(rows: Sequence[Faithfulness]) -> dict[str, dict[str, float | int]]:
    """Per language (and "all"): questions, sentences drafted / kept / dropped, drop rate, refusals,
    unsupported shown sentences (answers of a fallback answerer apart: ``fell_back``)."""
    out: dict[str, dict[str, float | int]] = {}
    for lang in sorted({r.lang for r in rows}) + ["all"]:
        every = [r for r in rows if lang in ("all", r.lang)]
        group = [r for r in every if not r.fell_back]
        drafted = sum(r.drafted for r in group)
        dropped = sum(r.dropped for r in group)
        out[lang] = {"questions": len(group), "drafted": drafted, "kept": drafted - dropped, "dropped": dropped,
                     "drop_rate": round(dropped / drafted, 3) if drafted else 0.0,
                     "refused": sum(r.refused for r in group),
                     "unsupported_shown": sum(len(r.unsupported) for r in group),
                     "unchecked": sum(r.unchecked for r in group), "fell_back": len(every) - len(group)}
    return out


def markdown(rows: Sequence[Faithfulness], totals: dict[str, dict[str, float | int]], model: str) -> str:
    lines = [f"# Faithfulness of {model}", "",
             "| language | questions | drafted | kept | dropped | drop rate | refused | unsupported shown | "
             "LLM failed |", "|---|---|---|---|---|---|---|---|---|"]
    for lang, t in totals.items():
        lines.append(f"| {lang} | {t['questions']} | {t['drafted']} | {t['kept']} | {t['dropped']} | "
                     f"{t['drop_rate']:.0%} | {t['refused']} | {t['unsupported_shown']} | {t['fell_back']} |")
    lines += ["", "| question | lang | drafted | kept | refused | unsupported shown |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.id} | {r.lang} | {r.drafted} | {r.kept} | {'yes' if r.refused else 'no'} | "
              f"{len(r.unsupported)} |" + (" (LLM failed)" if r.fell_back else "") for r in rows]
    bad = [f"- {r.id}: {u}" for r in rows for u in r.unsupported]
    if bad:
        lines += ["", "Shown sentences the independent rule rejects:", *bad]
    return "\n".join(lines) + "\n"


class FaithfulnessScorer:
    """``ItemScorer`` for answers drafted by the LLM answerer named ``model`` (``"llm:<model>"``)."""

    name = "faithfulness"

    def __init__(self, model: str) -> None:
        self.model = model
        self._similarity: Similarity | None = None
        self._loaded = False

    def score(self, item: Any, answer: Any) -> dict[str, float | str | list[str] | None]:
        if not self._loaded:
            self._similarity, self._loaded = e5_similarity(), True
        row = of_answer(item.id, item.lang, answer, self._similarity, self.model)
        return {"drafted": row.drafted, "kept": row.kept, "refused": float(row.refused),
                "unsupported": row.unsupported, "unchecked": row.unchecked, "fell_back": float(row.fell_back)}


def from_extra(qid: str, lang: str, extra: dict[str, Any]) -> Faithfulness | None:
    """A row back from an item's ``extra`` (None when the scorer did not run on it)."""
    if "faithfulness.drafted" not in extra:
        return None
    get = extra.get
    return Faithfulness(qid, lang, int(get("faithfulness.drafted") or 0), int(get("faithfulness.kept") or 0),
                        bool(get("faithfulness.refused")), list(get("faithfulness.unsupported") or []),
                        int(get("faithfulness.unchecked") or 0), bool(get("faithfulness.fell_back")))


def write_faithfulness(out_dir: Path, results: Sequence[Any], model: str) -> Path:
    """faithfulness.json and faithfulness.md in ``out_dir`` from an eval run's results (``ItemResult``s
    scored by ``FaithfulnessScorer``); returns the .md path."""
    rows = [r for r in (from_extra(x.item.id, x.item.lang, x.extra) for x in results) if r is not None]
    totals = summary(rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"model": model, "summary": totals,
            "questions": [dict(asdict(r), dropped=r.dropped) for r in rows]}
    (out_dir / "faithfulness.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    path = out_dir / "faithfulness.md"
    path.write_text(markdown(rows, totals, model), encoding="utf-8")
    return path
