"""Synthetic corpora for the benchmark: the seed documents replicated with distinct ids, lightly perturbed."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

SUFFIXES = (".txt", ".md", ".pdf")


def perturb(raw: str, seed: int) -> str:
    """A light, deterministic variant: a header line, a few adjacent blocks swapped, a few dropped."""
    rng = random.Random(seed)
    blocks = raw.split("\n\n")
    for i in range(len(blocks) - 1):
        if rng.random() < 0.05:
            blocks[i], blocks[i + 1] = blocks[i + 1], blocks[i]
    kept = [b for b in blocks if rng.random() >= 0.02] or blocks
    return f"（合成副本 {seed}）\n\n" + "\n\n".join(kept)


def make_corpus(seed_dir: Path, dest: Path, scale: int) -> list[Path]:
    """``scale`` copies of every seed text document in ``dest``: copy 0 is the seed itself (same name, so
    eval questions still point at it); copy j > 0 is ``<stem>_x<j>.txt``, perturbed. The manifest is copied."""
    dest.mkdir(parents=True, exist_ok=True)
    seeds = sorted(p for p in seed_dir.iterdir() if p.suffix.lower() == ".txt")
    if not seeds:
        raise FileNotFoundError(f"No .txt seed documents in {seed_dir} — point --corpus-dir at the corpus folder")
    manifest = seed_dir / "corpus.toml"
    if manifest.exists():
        shutil.copy2(manifest, dest / "corpus.toml")
    out = []
    for n, path in enumerate(seeds):
        raw = path.read_text(encoding="utf-8")
        for j in range(scale):
            target = dest / path.name if j == 0 else dest / f"{path.stem}_x{j:03d}{path.suffix}"
            target.write_text(raw if j == 0 else perturb(raw, n * 100_003 + j), encoding="utf-8")
            out.append(target)
    return out


def dir_size(path: Path) -> int:
    """Bytes on disk under ``path`` (regular files)."""
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
