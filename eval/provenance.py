"""What a report must say about where its figures come from: which code, and whether each question set was
used to train or calibrate anything (figures on such a set flatter the system)."""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

# Shipped sets that tune citeqa: they train the answer model and calibrate the retrieval fusion.
TUNING_SETS = {
    "dev.jsonl": "UNEP dev",
    "extra.jsonl": "UNEP extra",
    "xquad/dev.zh.jsonl": "XQuAD dev (zh)",
    "xquad/dev.en.jsonl": "XQuAD dev (en)",
}
TUNING_ROLE = "trains the answer model and calibrates fusion: figures on it are optimistic"
HELD_OUT_ROLE = "not used to train or calibrate anything (held out)"
DECLARED_ROLE = "declared by the user as used for tuning: figures on it are optimistic"


@dataclass(frozen=True)
class SetInfo:
    path: str
    name: str
    questions: int
    tuned: bool
    role: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shipped_digests() -> dict[str, str]:
    """sha256 of each shipped tuning set → its name (a copy of one elsewhere is recognised by content)."""
    root = Path(str(resources.files("eval")))
    return {_digest(root / rel): name for rel, name in TUNING_SETS.items() if (root / rel).is_file()}


def set_info(path: Path, questions: int, declared_tuned: bool = False) -> SetInfo:
    """Name and role of one question file: a shipped tuning set (or a byte-identical copy) is marked tuned; any
    other file is held out unless the user declares it was used for tuning."""
    shipped = _shipped_digests().get(_digest(path)) if path.is_file() else None
    if shipped:
        return SetInfo(str(path), shipped, questions, True, TUNING_ROLE)
    if declared_tuned:
        return SetInfo(str(path), path.name, questions, True, DECLARED_ROLE)
    return SetInfo(str(path), path.name, questions, False, HELD_OUT_ROLE)


def code_version() -> str:
    """``git describe --always --dirty`` of the source tree citeqa runs from, else the package version (from an
    installed wheel: no dirty flag to give)."""
    root = Path(__file__).resolve().parents[1]
    if (root / ".git").exists():
        try:
            done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=10"],
                                  capture_output=True, text=True, timeout=10, check=False)
            if done.returncode == 0 and done.stdout.strip():
                return f"git {done.stdout.strip()}"
        except (OSError, subprocess.TimeoutExpired):
            pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"citeqa {version('citeqa')} (installed package; no git tree)"
    except PackageNotFoundError:
        return "unknown (no git tree, package not installed)"
