"""Risk–coverage: how accuracy among answered questions trades against the share of questions answered.

An answered question carries the answer model's confidence (``Answer.confidence``). Raising a threshold on
that confidence answers fewer questions; a good confidence makes the remaining answers more often right.
This is what the refusal threshold is chosen from.

Points are computed over the answerable questions that have key facts (where "right" is defined):
``coverage`` = answered with confidence ≥ threshold / all of them (a refusal is never answered);
``accuracy`` = mean key-fact recall among those answered (None when none are).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Scored:
    """One answerable question as risk–coverage sees it."""

    confidence: float
    refused: bool
    correct: float  # key-fact recall of the answer (0 for a refusal)


def risk_coverage(items: Sequence[Scored]) -> list[dict[str, float | None]]:
    """One point per distinct confidence among answered items, highest threshold first.

    The last point (lowest threshold) is the operating point: every answer the system gave. With no answered
    item at all, a single point at threshold 0 with coverage 0 and accuracy None.
    """
    total = len(items)
    answered = sorted((s for s in items if not s.refused), key=lambda s: -s.confidence)
    if not total or not answered:
        return [{"threshold": 0.0, "coverage": 0.0 if total else None, "accuracy": None}]
    points: list[dict[str, float | None]] = []
    correct_sum = 0.0
    for i, s in enumerate(answered):
        correct_sum += s.correct
        last_of_tie = i + 1 == len(answered) or answered[i + 1].confidence != s.confidence
        if last_of_tie:
            n = i + 1
            points.append({"threshold": float(s.confidence), "coverage": n / total, "accuracy": correct_sum / n})
    return points


def operating_point(points: Sequence[Mapping[str, float | None]]) -> Mapping[str, float | None]:
    """The point of the run as it was (all answers given): the lowest threshold."""
    return points[-1]


def scored_items(rows: Sequence[Mapping[str, object]]) -> dict[str, list[Scored]]:
    """results.jsonl rows → per language, the answerable items with key facts as ``Scored``."""
    out: dict[str, list[Scored]] = {}
    for row in rows:
        metrics = row["metrics"]
        assert isinstance(metrics, Mapping)
        if not row.get("answerable") or metrics.get("key_fact_recall") is None:
            continue
        answer = row.get("answer")
        confidence = float(answer.get("confidence", 0.0)) if isinstance(answer, Mapping) else 0.0
        out.setdefault(str(row["lang"]), []).append(
            Scored(confidence, bool(metrics.get("refused")), float(metrics["key_fact_recall"])))
    return out


def risk_coverage_by_lang(rows: Sequence[Mapping[str, object]]) -> dict[str, list[dict[str, float | None]]]:
    return {lang: risk_coverage(items) for lang, items in scored_items(rows).items()}


def write_risk_coverage_png(curves: Mapping[str, Sequence[Mapping[str, float | None]]], path: Path,
                            references: Mapping[str, Mapping[str, float]] | None = None) -> Path:
    """One curve per language (accuracy against coverage), the operating point marked (Agg backend).
    ``references``: language → {label: accuracy} of pipelines that never refuse (drawn at coverage 1)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for lang, points in curves.items():
        pts = [p for p in points if p["coverage"] is not None and p["accuracy"] is not None]
        if not pts:
            continue
        xs = [float(p["coverage"] or 0.0) for p in pts]
        ys = [float(p["accuracy"] or 0.0) for p in pts]
        (line,) = ax.plot(xs, ys, marker="." if len(pts) < 40 else None, label=lang)
        op = operating_point(pts)
        ax.scatter([op["coverage"]], [op["accuracy"]], s=90, marker="*", color=line.get_color(), zorder=5,
                   edgecolor="black", linewidth=0.6)
        ax.annotate(f"{lang} now: cov {float(op['coverage'] or 0):.2f}, acc {float(op['accuracy'] or 0):.2f}",
                    (float(op["coverage"] or 0), float(op["accuracy"] or 0)), textcoords="offset points",
                    xytext=(-10, 8), ha="right", fontsize=8)
        for k, (label, accuracy) in enumerate((references or {}).get(lang, {}).items()):
            ax.scatter([1.0], [accuracy], s=40, marker="os^D"[k % 4], facecolor="none", edgecolor=line.get_color(),
                       zorder=4)
            ax.annotate(f"{lang} {label}: {accuracy:.2f}", (1.0, accuracy), textcoords="offset points",
                        xytext=(-8, 6 - 10 * k), ha="right", fontsize=7, color=line.get_color())
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("coverage (share of answerable questions answered)")
    ax.set_ylabel("accuracy among answered (key-fact recall)")
    ax.set_title("Risk–coverage by answer confidence\n★ operating point · ○ baselines (never refuse)", fontsize=10)
    ax.grid(alpha=0.3)
    if curves:
        ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
