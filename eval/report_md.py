"""report.md: provenance header, headline figures with 95 % intervals, baselines with citeqa ÷ baseline ratios,
risk–coverage, the full figures, and a failure browser (the worst items per language, with the passage cited).

Inputs are plain values: the breakdown dicts per system (citeqa first), the risk–coverage curves, the
results.jsonl rows and the run's configuration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from eval.metrics import METRIC_KEYS

Breakdown = Mapping[str, Any]
HEADLINE = ("key_fact_recall", "false_refusal_rate", "refusal_rate_unanswerable", "refused_or_caveated_unanswerable",
            "recall@1", "recall@5",
            "citation_precision")
BASELINE_KEYS = ("key_fact_recall", "false_refusal_rate", "refusal_rate_unanswerable", "recall@1", "recall@5",
                 "recall@10")
RATIO_KEYS = ("key_fact_recall", "recall@5")
SHORT = {
    "recall@1": "R@1", "hit@1": "hit@1", "recall@1_ceiling": "R@1 max", "recall@5": "R@5", "recall@10": "R@10",
    "mrr@10": "MRR@10", "ndcg@10": "nDCG@10",
    "key_fact_recall": "key facts", "citation_precision": "cit.P", "citation_recall": "cit.R",
    "refusal_rate_unanswerable": "refused (unanswerable)", "false_refusal_rate": "false refusal",
    "refused_or_caveated_unanswerable": "refused or caveated",
    "caveat_rate_answerable": "caveated (answerable)",
    "latency_p50_s": "p50 s", "latency_p95_s": "p95 s", "n": "n",
}
NOISE_NOTE = ("± is half the width of the 95 % bootstrap interval over questions (2,000 resamples, seeded; exact "
              "bounds in metrics.json `ci95`). A difference between two runs or two systems that lies inside "
              "these intervals is noise, not a change. \"all n alike\" marks a figure where every one of fewer than 30 "
              "items scored the same: the bootstrap then shows no spread, yet with so few items the rate is uncertain.")
DEFINITIONS = ("key facts: share of an answerable item's key facts found in the answer (a refused answerable item "
               "counts as a miss); false refusal: refused answerable / answerable; refused (unanswerable): "
               "refused / unanswerable; caveated: answered with a caveat that the quotes lack the figure, date or year "
               "asked (an unanswerable item refused or caveated was not presented a neighbouring fact as its "
               "answer). R@1 is the share of an item's evidence strings inside the rank-1 passage; "
               "hit@1 the share of items whose rank-1 passage holds any; R@1 max (recall@1_ceiling) the best R@1 any "
               "ranking over the same chunks could reach.")
WORST_PER_LANG = 6


def fmt(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if key == "n" or isinstance(value, int):
        return str(value)
    return f"{value:.3f}"


def with_ci(figures: Mapping[str, Any], key: str) -> str:
    value = figures.get(key)
    ci = (figures.get("ci95") or {}).get(key)
    if value is None:
        return "–"
    if not ci:
        return f"{value:.2f}"
    out = f"{value:.2f} ± {(ci[1] - ci[0]) / 2:.2f}"
    n = figures.get("n_unanswerable" if key == "refusal_rate_unanswerable" else "n_answerable")
    if ci[1] == ci[0] and n is not None and n < 30:  # all alike: the bootstrap cannot show a small count's doubt
        out += f" (all {n} alike)"
    return out


def ratio(value: Any, ref: Any) -> str:
    """citeqa ÷ baseline."""
    if value is None or ref is None:
        return "–"
    if not ref:
        return "∞" if value else "–"
    return f"{value / ref:.2f}×"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return out + ["| " + " | ".join(row) + " |" for row in rows]


def groups(b: Breakdown) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, figures) for overall, each language with items, and each type."""
    out = [("all", b["overall"])]
    out += [(f"lang={k}", v) for k, v in b["by_lang"].items() if v.get("n")]
    out += [(f"type={k}", v) for k, v in b["by_type"].items() if v.get("n")]
    return out


def _lang_groups(b: Breakdown) -> list[tuple[str, Mapping[str, Any]]]:
    return [("all", b["overall"])] + [(f"lang={k}", v) for k, v in b["by_lang"].items() if v.get("n")]


def _one_line(text: Any, limit: int = 220) -> str:
    s = " ".join(str(text or "").split()).replace("|", "/")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def header(config: Mapping[str, Any], main: Breakdown) -> list[str]:
    mode = config.get("mode", {})
    lines = [f"# citeqa eval — {mode.get('retrieval', '?')} retrieval, {mode.get('answerer', '?')} answerer", ""]
    lines += [f"- **Corpus**: `{config.get('corpus_dir')}` ({config.get('documents')} documents, "
              f"{config.get('chunks')} chunks){' — benchmark ' + config['benchmark'] if config.get('benchmark') else ''}",
              f"- **Embedding model**: {config.get('embedding_model')}",
              f"- **Answerer**: {mode.get('answerer', '?')}",
              f"- **Code**: {config.get('code_version')}",
              f"- **Questions**: {main['overall']['n']} ({main['overall'].get('n_answerable', '?')} answerable); "
              f"k (ranking) = {config.get('rank_k')}, top_k (answerer) = {config.get('top_k')}"
              + ("; each asked after an unrelated question (`--after-unrelated`)" if config.get("after_unrelated") else ""),
              ""]
    sets = config.get("sets") or []
    if sets:
        lines += ["Question sets and what they were used for:", ""]
        lines += table(["set", "file", "questions", "trained / calibrated on it?"],
                       [[s["name"], f"`{s['path']}`", str(s["questions"]),
                         ("**yes** — " if s["tuned"] else "no — ") + s["role"]] for s in sets])
        lines.append("")
    return lines


def headline(main: Breakdown) -> list[str]:
    rows = [[label, *(with_ci(fig, k) for k in HEADLINE), fmt(fig.get("n"), "n")] for label, fig in groups(main)]
    return ["## Headline (95 % intervals)", "", *table(["group", *(SHORT[k] for k in HEADLINE), "n"], rows), "",
            NOISE_NOTE, "", DEFINITIONS, ""]


def baselines_section(systems: Mapping[str, Breakdown]) -> list[str]:
    names = list(systems)
    if len(names) < 2:
        return []
    main = systems[names[0]]
    head = ["system", "group", *(SHORT[k] for k in BASELINE_KEYS), *(f"citeqa ÷ it ({SHORT[k]})" for k in RATIO_KEYS)]
    rows = []
    for label, ref in _lang_groups(main):
        for name in names:
            fig = dict(_lang_groups(systems[name])).get(label)
            if not fig or not fig.get("n"):
                continue
            rows.append([name, label, *(with_ci(fig, k) for k in BASELINE_KEYS),
                         *(("1" if name == names[0] else ratio(ref.get(k), fig.get(k))) for k in RATIO_KEYS)])
    return ["## Baselines in the same run (same questions, same scoring code)", "",
            "Each baseline answers with the top passage's sentence sharing most question words and never refuses; "
            "`naive` = jieba BM25 over blank-line paragraphs, `dense` = dense retrieval alone over citeqa's "
            "chunks, `jieba-bm25` = BM25 alone over citeqa's chunks, `langchain-bm25` = the langchain tutorial "
            "pipeline (whitespace tokens).", "", *table(head, rows), ""]


def risk_coverage_section(curves: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    lines = ["## Risk–coverage (answers ranked by their confidence)", "",
             "![risk–coverage](risk_coverage.png)", "",
             "Coverage = answerable questions answered at confidence ≥ threshold / answerable questions; "
             "accuracy = mean key-fact recall of those answers. The last row per language is the operating point "
             "(every answer given).", ""]
    rows = []
    for lang, points in curves.items():
        if len(points) == 1:
            p = points[0]
            rows.append([lang, fmt(p["threshold"]), fmt(p["coverage"]), fmt(p["accuracy"]),
                         "all answers carry the same confidence: no trade-off to choose from"])
            continue
        step = max(1, len(points) // 6)
        picked = sorted({*range(0, len(points), step), len(points) - 1})
        rows += [[lang, fmt(points[i]["threshold"]), fmt(points[i]["coverage"]), fmt(points[i]["accuracy"]),
                  "operating point" if i == len(points) - 1 else ""] for i in picked]
    return lines + table(["lang", "threshold", "coverage", "accuracy", ""], rows) + [""]


def _facts(row: Mapping[str, Any]) -> str:
    return "; ".join(" / ".join(forms) for forms in row.get("key_facts") or []) or "–"


def _cited(answer: Mapping[str, Any] | None) -> str:
    if not answer:
        return "–"
    passages = answer.get("passages") or []
    if not passages:
        return "–"
    p = passages[0]
    offered = "(closest passage, offered with the refusal) " if answer.get("refused") else ""
    return f"{offered}[{p.get('doc')} ¶{p.get('paragraph')}] {_one_line(p.get('text'), 200)}"


def _badness(row: Mapping[str, Any]) -> tuple[float, float, float, str]:
    m = row["metrics"]
    return (m.get("key_fact_recall") if m.get("key_fact_recall") is not None else 1.0,
            -float(bool(m.get("refused"))), m.get("recall_10") or 0.0, row["id"])


def failure_browser(rows: Sequence[Mapping[str, Any]], per_lang: int = WORST_PER_LANG) -> list[str]:
    """The worst answerable items per language (fewest key facts found, refusals first, then weakest retrieval),
    and the unanswerable ones citeqa answered anyway."""
    lines = ["## Failure browser (worst items per language)", ""]
    for lang in sorted({r["lang"] for r in rows}):
        mine = [r for r in rows if r["lang"] == lang]
        worst = sorted((r for r in mine if r.get("answerable")), key=_badness)[:per_lang]
        worst = [r for r in worst if (r["metrics"].get("key_fact_recall") or 0) < 1 or r["metrics"].get("refused")]
        answered = [r for r in mine if not r.get("answerable") and not r["metrics"].get("refused")][:3]
        if not worst and not answered:
            continue
        lines += [f"### lang={lang}", ""]
        for r in [*worst, *answered]:
            answer = r.get("answer") or {}
            said = ("REFUSED: " if answer.get("refused") else "") + _one_line(answer.get("answer") or r.get("error"))
            m = r["metrics"]
            lines += [f"- **{r['id']}** ({r['type']}{'' if r.get('answerable') else ', unanswerable'}; key facts "
                      f"{fmt(m.get('key_fact_recall'))}, R@10 {fmt(m.get('recall_10'))}) — {_one_line(r['question'])}",
                      f"  - expected: {_facts(r) if r.get('answerable') else 'a refusal'}",
                      f"  - citeqa: {said}",
                      f"  - cited passage: {_cited(answer)}"]
            naive = (r.get("baselines") or {}).get("naive")
            if naive is not None:
                lines.append(f"  - naive: {_one_line(naive.get('answer')) or '–'}")
        lines.append("")
    return lines


def markdown_report(systems: Mapping[str, Breakdown], config: Mapping[str, Any], problems: Sequence[str],
                    notices: Sequence[str] = (), curves: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
                    rows: Sequence[Mapping[str, Any]] = ()) -> str:
    main = systems[next(iter(systems))]
    lines = header(config, main)
    lines += [f"> {note}" for note in notices] + ([""] if notices else [])
    lines += headline(main)
    lines += baselines_section(systems)
    if curves is not None:
        lines += risk_coverage_section(curves)
    lines += ["## All figures (citeqa)", ""]
    lines += table(["group", *(SHORT[k] for k in METRIC_KEYS)],
                   [[label, *(fmt(fig.get(k), k) for k in METRIC_KEYS)] for label, fig in groups(main)])
    lines += ["", "Latencies: citeqa's are the full answer, warm."]
    lines += [""] + failure_browser(rows)
    if problems:
        lines += ["## Problems in the question files", ""] + [f"- {p}" for p in problems] + [""]
    public = {k: v for k, v in config.items() if k not in ("questions", "sets")}
    lines += ["## Configuration", "", "```json", json.dumps(public, ensure_ascii=False, indent=1), "```", ""]
    return "\n".join(lines)
