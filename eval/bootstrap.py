"""95 % confidence intervals by bootstrap over questions (seeded, so a rerun gives the same interval).

A group's figure is a mean over its questions; resampling those questions with replacement and taking the
2.5th and 97.5th percentiles of the resampled means gives the interval. With 20–40 questions per group the
intervals are wide: a difference between two runs that lies inside them is noise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from eval.metrics import ItemMetrics

N_BOOT = 2000
SEED = 20261206

# headline figure → the per-item value it averages (None where it does not apply to the item)
PER_ITEM: dict[str, Callable[[ItemMetrics], float | None]] = {
    "recall@1": lambda m: m.recall_1,
    "hit@1": lambda m: m.hit_1,
    "recall@5": lambda m: m.recall_5,
    "recall@10": lambda m: m.recall_10,
    "mrr@10": lambda m: m.mrr_10,
    "ndcg@10": lambda m: m.ndcg_10,
    "key_fact_recall": lambda m: m.key_fact_recall,
    "citation_precision": lambda m: m.citation_precision,
    "citation_recall": lambda m: m.citation_recall if m.answerable else None,
    "false_refusal_rate": lambda m: float(m.refused) if m.answerable else None,
    "refusal_rate_unanswerable": lambda m: None if m.answerable else float(m.refused),
    "refused_or_caveated_unanswerable": lambda m: None if m.answerable else float(m.refused or m.caveated),
    "caveat_rate_answerable": lambda m: float(m.caveated) if m.answerable else None,
}


def bootstrap_ci(values: Sequence[float], *, n_boot: int = N_BOOT, seed: int = SEED,
                 level: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of the mean of ``values`` over ``n_boot`` resamples; None for no values."""
    import numpy as np

    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return None
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(n_boot, data.size))].mean(axis=1)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def ci95(items: Sequence[ItemMetrics], *, n_boot: int = N_BOOT, seed: int = SEED) -> dict[str, list[float] | None]:
    """``{metric: [low, high]}`` for every headline figure of one group (None where no item has it)."""
    out: dict[str, list[float] | None] = {}
    for key, get in PER_ITEM.items():
        values = [v for v in (get(m) for m in items) if v is not None]
        got = bootstrap_ci(values, n_boot=n_boot, seed=seed)
        out[key] = [round(got[0], 4), round(got[1], 4)] if got else None
    return out


def add_intervals(breakdown: Mapping[str, object], items: Sequence[ItemMetrics], *, n_boot: int = N_BOOT,
                  seed: int = SEED) -> None:
    """Put ``ci95`` into every group of a ``eval.metrics.breakdown`` (overall, each language, each type)."""
    overall = breakdown["overall"]
    assert isinstance(overall, dict)
    overall["ci95"] = ci95(items, n_boot=n_boot, seed=seed)
    for section, field in (("by_lang", "lang"), ("by_type", "type")):
        groups = breakdown[section]
        assert isinstance(groups, dict)
        for name, figures in groups.items():
            members = [m for m in items if getattr(m, field) == name]
            figures["ci95"] = ci95(members, n_boot=n_boot, seed=seed)
