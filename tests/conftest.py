"""Shared fixtures: every test runs offline with all state in a temp dir."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DEV_SET = ROOT / "eval" / "dev.jsonl"

# Fixture modules in tests/fixtures/ are loaded as plugins.
pytest_plugins = sorted(
    f"tests.fixtures.{p.stem}" for p in (Path(__file__).parent / "fixtures").glob("*.py") if p.stem != "__init__"
)

# The process-wide offline environment (the entry point's job; tests are an entry point).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
for _name in [k for k in os.environ if k.startswith("CITEQA_")]:
    del os.environ[_name]


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped corpus (documents + manifest)."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


@pytest.fixture
def settings(tmp_path: Path, corpus_dir: Path) -> Settings:
    """Lexical-only settings with every piece of state under tmp_path."""
    return Settings(
        corpus_dir=corpus_dir,
        index_dir=tmp_path / "index",
        embed_model="none",
        feedback_path=tmp_path / "feedback.jsonl",
    )
