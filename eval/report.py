"""Writing an eval run: metrics.json, results.jsonl, report.md (``eval.report_md``), chart.png,
risk_coverage.png, and the terminal table.

Inputs are plain values: the breakdown dicts of ``eval.metrics.breakdown`` per system (citeqa first, each
group with its ``ci95``) and one JSON-ready dict per item.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.report_md import SHORT as LONG
from eval.report_md import table as _table

CHART_KEYS = ("recall@5", "recall@10", "mrr@10", "ndcg@10", "key_fact_recall", "citation_precision",
              "citation_recall")
SHORT = {**LONG, "key_fact_recall": "facts", "refusal_rate_unanswerable": "refuse(unans)",
         "false_refusal_rate": "false refuse"}
Breakdown = Mapping[str, Any]  # {"overall": {...}, "by_lang": {...}, "by_type": {...}}


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
    """Write the five artefacts; returns their paths by kind. metrics.json: citeqa's breakdown (each group with
    ``ci95``), ``risk_coverage`` per language, ``baselines`` (name → the same breakdown), config, problems."""
    from eval.report_md import markdown_report
    from eval.riskcov import risk_coverage_by_lang, write_risk_coverage_png

    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(systems)
    main = systems[names[0]]
    curves = risk_coverage_by_lang(item_rows)
    doc = {**main, "risk_coverage": curves, "config": dict(config),
           "baselines": {n: systems[n] for n in names[1:]}, "problems": list(problems), "notices": list(notices)}
    paths = {"metrics": out_dir / "metrics.json", "results": out_dir / "results.jsonl",
             "report": out_dir / "report.md", "chart": out_dir / "chart.png",
             "risk_coverage": out_dir / "risk_coverage.png"}
    paths["metrics"].write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    with paths["results"].open("w", encoding="utf-8") as fh:
        for row in item_rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    paths["report"].write_text(markdown_report(systems, config, problems, notices, curves, item_rows),
                               encoding="utf-8")
    write_chart(systems, paths["chart"])
    write_risk_coverage_png(curves, paths["risk_coverage"], answer_references(systems, names[1:]))
    return paths


def answer_references(systems: Mapping[str, Breakdown], names: Sequence[str]) -> dict[str, dict[str, float]]:
    """language → {baseline: accuracy among answered} for the baselines with answers (they answer everything, so
    their accuracy is their key-fact recall; langchain-bm25 is left out: it cannot read Chinese)."""
    out: dict[str, dict[str, float]] = {}
    for name in names:
        if name == "langchain-bm25":
            continue
        for lang, fig in systems[name]["by_lang"].items():
            if fig.get("n") and fig.get("key_fact_recall") is not None:
                out.setdefault(lang, {})[name] = fig["key_fact_recall"]
    return out


def headline_lines(systems: Mapping[str, Breakdown]) -> list[str]:
    """Per language: citeqa's key facts and refusals with 95 % intervals, and citeqa ÷ the naive baseline."""
    names = list(systems)
    main = systems[names[0]]
    naive = systems.get("naive")
    lines = []
    for lang, fig in main["by_lang"].items():
        if not fig.get("n"):
            continue

        def pm(key: str, f: Mapping[str, Any] = fig) -> str:
            value, ci = f.get(key), (f.get("ci95") or {}).get(key)
            if value is None:
                return "–"
            return f"{value:.2f}" + (f" ± {(ci[1] - ci[0]) / 2:.2f}" if ci else "")

        line = (f"{lang} (n={fig['n']}): key facts {pm('key_fact_recall')}, false refusals "
                f"{pm('false_refusal_rate')}, unanswerable refused {pm('refusal_rate_unanswerable')} "
                f"(refused or caveated {pm('refused_or_caveated_unanswerable')})")
        ref = naive["by_lang"].get(lang, {}).get("key_fact_recall") if naive else None
        if ref is not None:
            mine = fig.get("key_fact_recall") or 0.0
            ratio = f"{mine / ref:.2f}×" if ref else ("∞" if mine else "–")
            line += f"; naive key facts {ref:.2f} (citeqa ÷ naive {ratio})"
        lines.append(line)
    return lines


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
