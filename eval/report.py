"""Writing an eval run: metrics.json, results.jsonl, report.md, a PNG chart, and the terminal table.

Inputs are plain values: the breakdown dicts of ``eval.metrics.breakdown`` per system (citeqa first)
and one JSON-ready dict per item.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.metrics import METRIC_KEYS, RETRIEVAL_KEYS

CHART_KEYS = ("recall@5", "recall@10", "mrr@10", "ndcg@10", "key_fact_recall", "citation_precision",
              "citation_recall")
SHORT = {
    "recall@1": "R@1", "hit@1": "hit@1", "recall@1_ceiling": "R@1 max", "recall@5": "R@5", "recall@10": "R@10",
    "mrr@10": "MRR@10", "ndcg@10": "nDCG@10",
    "key_fact_recall": "facts", "citation_precision": "cit.P", "citation_recall": "cit.R",
    "refusal_rate_unanswerable": "refuse(unans)", "false_refusal_rate": "false refuse",
    "latency_p50_s": "p50 s", "latency_p95_s": "p95 s", "n": "n",
}
RECALL_AT_1_NOTE = (
    "R@1 is the share of an item's evidence strings inside the rank-1 passage, so an item whose evidence lies in "
    "separate paragraphs or documents cannot reach 1; hit@1 is the share of answerable items whose rank-1 passage "
    "holds at least one evidence string, and R@1 max (recall@1_ceiling) is the best R@1 any ranking over the same "
    "chunks could reach (per item, the largest share of its evidence one single chunk covers; for a baseline, one of "
    "its own splits).")
Breakdown = Mapping[str, Any]  # {"overall": {...}, "by_lang": {...}, "by_type": {...}}


def fmt(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if key == "n" or isinstance(value, int):
        return str(value)
    if key.startswith("latency"):
        return f"{value:.3f}"
    return f"{value:.3f}"


def _ratio(value: Any, ref: Any) -> str:
    if value is None or ref is None or not ref:
        return "–"
    return f"{value / ref:.2f}×"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def groups(b: Breakdown) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, figures) for overall, each language with items, and each type."""
    out = [("all", b["overall"])]
    out += [(f"lang={k}", v) for k, v in b["by_lang"].items() if v.get("n")]
    out += [(f"type={k}", v) for k, v in b["by_type"].items() if v.get("n")]
    return out


def markdown_report(systems: Mapping[str, Breakdown], config: Mapping[str, Any], problems: Sequence[str],
                    notices: Sequence[str] = (), worst: Sequence[Mapping[str, Any]] = ()) -> str:
    """report.md: citeqa's figures by group, then the baselines beside citeqa with ratios."""
    names = list(systems)
    main = systems[names[0]]
    lines = [f"# citeqa eval — {config.get('mode', {}).get('retrieval', '?')} retrieval, "
             f"{config.get('mode', {}).get('answerer', '?')} answerer", ""]
    lines += [f"Questions: {main['overall']['n']} ({main['overall'].get('n_answerable', '?')} answerable). "
              f"Sets: {', '.join(config.get('questions', []))}. k (ranking) = {config.get('rank_k')}, "
              f"top_k (answerer) = {config.get('top_k')}.", ""]
    for note in notices:
        lines.append(f"> {note}")
    if notices:
        lines.append("")
    lines += ["## citeqa", ""]
    keys = [k for k in METRIC_KEYS]
    lines += _table(["group", *(SHORT[k] for k in keys)],
                    [[label, *(fmt(fig.get(k), k) for k in keys)] for label, fig in groups(main)])
    lines += ["", RECALL_AT_1_NOTE]
    if len(names) > 1:
        lines += ["", "## Baselines beside citeqa (retrieval, same questions, same relevance rule)", ""]
        header = ["system", "group", *(SHORT[k] for k in RETRIEVAL_KEYS), "R@10 ÷ citeqa", "nDCG ÷ citeqa",
                  "p50 s", "n"]
        rows = []
        for label_key in ("overall", "zh", "en"):
            ref = main["overall"] if label_key == "overall" else main["by_lang"].get(label_key, {})
            for name in names:
                fig = systems[name]["overall"] if label_key == "overall" else systems[name]["by_lang"].get(label_key)
                if not fig or not fig.get("n"):
                    continue
                rows.append([name, "all" if label_key == "overall" else f"lang={label_key}",
                             *(fmt(fig.get(k), k) for k in RETRIEVAL_KEYS),
                             _ratio(fig.get("recall@10"), ref.get("recall@10")),
                             _ratio(fig.get("ndcg@10"), ref.get("ndcg@10")),
                             fmt(fig.get("latency_p50_s"), "latency_p50_s"), fmt(fig.get("n"), "n")])
        lines += _table(header, rows)
        lines += ["", "Baseline latencies are retrieval only; citeqa's are the full answer."]
    if worst:
        lines += ["", "## Answerable items where retrieval missed (recall@10 < 1) or the answer was refused", ""]
        lines += _table(["id", "lang", "type", "R@10", "facts", "refused", "question"],
                        [[w["id"], w["lang"], w["type"], fmt(w.get("recall_10")), fmt(w.get("key_fact_recall")),
                          "yes" if w.get("refused") else "", str(w.get("question", ""))[:60].replace("|", "/")]
                         for w in worst])
    if problems:
        lines += ["", "## Problems in the question files", ""] + [f"- {p}" for p in problems]
    public = {k: v for k, v in config.items() if k not in ("questions",)}
    lines += ["", "## Configuration", "", "```json", json.dumps(public, ensure_ascii=False, indent=1), "```", ""]
    return "\n".join(lines)


def write_chart(systems: Mapping[str, Breakdown], path: Path) -> Path:
    """Per-language grouped bars of the main metrics, one bar per system (Agg backend, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = [lang for lang in ("zh", "en") if systems[next(iter(systems))]["by_lang"].get(lang, {}).get("n")]
    langs = langs or ["zh", "en"]
    fig, axes = plt.subplots(1, len(langs), figsize=(6.5 * len(langs), 4.2), squeeze=False, sharey=True)
    width = 0.8 / max(1, len(systems))
    for ax, lang in zip(axes[0], langs, strict=True):
        for i, (name, b) in enumerate(systems.items()):
            fig_ = b["by_lang"].get(lang, {})
            vals = [fig_.get(k) if fig_.get(k) is not None else float("nan") for k in CHART_KEYS]
            xs = [x + (i - (len(systems) - 1) / 2) * width for x in range(len(CHART_KEYS))]
            bars = ax.bar(xs, vals, width, label=name)
            ax.bar_label(bars, labels=["0" if v == 0 else "" for v in vals], fontsize=7)  # a zero is a result
        ax.set_title(f"{lang} (n={systems[next(iter(systems))]['by_lang'].get(lang, {}).get('n', 0)})")
        ax.set_xticks(range(len(CHART_KEYS)), [SHORT[k] for k in CHART_KEYS], rotation=30, ha="right")
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("score")
    axes[0][-1].legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_outputs(out_dir: Path, systems: Mapping[str, Breakdown], config: Mapping[str, Any],
                  item_rows: Sequence[Mapping[str, Any]], problems: Sequence[str],
                  notices: Sequence[str] = ()) -> dict[str, Path]:
    """Write the four artefacts; returns their paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(systems)
    main = systems[names[0]]
    doc = {**main, "config": dict(config),
           "baselines": {n: systems[n] for n in names[1:]}, "problems": list(problems), "notices": list(notices)}
    paths = {"metrics": out_dir / "metrics.json", "results": out_dir / "results.jsonl",
             "report": out_dir / "report.md", "chart": out_dir / "chart.png"}
    paths["metrics"].write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    with paths["results"].open("w", encoding="utf-8") as fh:
        for row in item_rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    worst = [
        {**r["metrics"], "question": r.get("question", "")}
        for r in item_rows
        if r.get("answerable") and ((r["metrics"].get("recall_10") or 0) < 1 or r["metrics"].get("refused"))
    ]
    paths["report"].write_text(markdown_report(systems, config, problems, notices, worst), encoding="utf-8")
    write_chart(systems, paths["chart"])
    return paths


TERMINAL_KEYS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10",
                 "key_fact_recall", "citation_precision",
                 "citation_recall", "refusal_rate_unanswerable", "false_refusal_rate", "latency_p50_s",
                 "latency_p95_s", "n")
TINY = {"recall@1": "R@1", "recall@5": "R@5", "recall@10": "R@10",
        "mrr@10": "MRR", "ndcg@10": "nDCG",
        "key_fact_recall": "facts", "citation_precision": "citP", "citation_recall": "citR",
        "refusal_rate_unanswerable": "ref-U", "false_refusal_rate": "ref-A", "latency_p50_s": "p50s",
        "latency_p95_s": "p95s", "n": "n"}


def _short(value: Any, key: str) -> str:
    if value is None:
        return "–"
    if key == "n":
        return str(value)
    return f"{value:.3f}" if key.startswith("latency") else f"{value:.2f}"


def _rows(systems: Mapping[str, Breakdown]) -> list[tuple[str, Mapping[str, Any]]]:
    rows = []
    for name, b in systems.items():
        rows.append((name, b["overall"]))
        rows += [(f"  {lang}", b["by_lang"][lang]) for lang in ("zh", "en") if b["by_lang"].get(lang, {}).get("n")]
    return rows


def rich_table(systems: Mapping[str, Breakdown], title: str = "citeqa eval") -> Any:
    """The compact end-of-run table: per system, all items then each language (ref-U: refusal rate on
    unanswerable items, ref-A: false refusals on answerable ones; latencies in seconds)."""
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    table.add_column("system", no_wrap=True)
    for k in TERMINAL_KEYS:
        table.add_column(TINY[k], justify="right", no_wrap=True)
    for label, fig in _rows(systems):
        table.add_row(label, *(_short(fig.get(k), k) for k in TERMINAL_KEYS))
    return table


def plain_table(systems: Mapping[str, Breakdown]) -> str:
    """The same table as markdown (for logs and reports)."""
    rows = [[label.replace("  ", "· "), *(_short(fig.get(k), k) for k in TERMINAL_KEYS)]
            for label, fig in _rows(systems)]
    return "\n".join(_table(["system", *(TINY[k] for k in TERMINAL_KEYS)], rows))
