"""Crash and fault tolerance of ingestion, through the real `citeqa ingest` process on the embedded index:
SIGKILL at points read from its own progress output, a read-only index folder, a full disk. Each time the
previous index keeps answering with exactly its chunks, and a later run completes with no chunk lost or
duplicated."""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag.settings import Settings
from tests.answer_checks import answer_problems, cited_docs

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
CITEQA = str(Path(sys.executable).parent / "citeqa")
DEV = [json.loads(line) for line in (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
       if line.strip()]
QUESTION = next(d for d in DEV if d["id"] == "A-dev-001")  # zh, answered by 000_…txt
# Rich draws its progress bars to a pipe only when told the pipe is a terminal.
CLI_ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "TTY_COMPATIBLE": "1",
           "TTY_INTERACTIVE": "1", "COLUMNS": "120"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROGRESS = re.compile(r"(Reading files|Embedding chunks)\D*?(\d+)/(\d+)")
STAGES = {"Reading files": "load", "Embedding chunks": "embed"}


@dataclass(frozen=True)
class Corpora:
    root: Path
    plain: Path  # the shipped corpus
    big: Path  # the seed documents ×6 under distinct names (24 files)
    base_index: Path  # the plain corpus ingested (lexical-only, embedded Chroma)
    base_version: str
    base_ids: tuple[str, ...]
    big_ids: tuple[str, ...]  # chunk ids of a clean ingest of `big` into a fresh index
    big_per_doc: dict[str, int]


def settings_for(index: Path, corpus: Path) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=index, embed_model="none", feedback_path=index.parent / "fb.jsonl")


def open_store(settings: Settings):  # noqa: ANN201 - rag.index.store.ChunkStore
    """A store that sees what other processes wrote (no in-process Chroma system reused)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    from rag.index.store import ChunkStore

    SharedSystemClient.clear_system_cache()
    return ChunkStore.open(settings)


def ingest_in_process(index: Path, corpus: Path) -> tuple[str, tuple[str, ...], dict[str, int]]:
    from ingest.run import ingest_paths

    settings = settings_for(index, corpus)
    report = ingest_paths(None, settings, open_store(settings), None)
    assert not report.skipped and report.version, report
    ids = tuple(sorted(c.id for c in open_store(settings).chunks()))
    return report.version, ids, dict(report.per_doc)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> Corpora:
    from eval.synth import make_corpus

    root = tmp_path_factory.mktemp("faults")
    plain = root / "plain"
    shutil.copytree(CORPUS, plain)
    make_corpus(CORPUS, root / "big", 6)
    version, base_ids, _ = ingest_in_process(root / "base-index", plain)
    _, big_ids, big_per_doc = ingest_in_process(root / "fresh-big-index", root / "big")
    assert len(big_ids) > 5 * len(base_ids) and len(big_per_doc) == 24
    return Corpora(root, plain, root / "big", root / "base-index", version, base_ids, big_ids, big_per_doc)


@pytest.fixture
def index(corpora: Corpora, tmp_path: Path) -> Path:
    """A private copy of the index holding the plain corpus."""
    dest = tmp_path / "index"
    shutil.copytree(corpora.base_index, dest)
    return dest


def ingest_command(index: Path, corpus: Path) -> list[str]:
    return [CITEQA, "--corpus-dir", str(corpus), "--index-dir", str(index), "--embed-model", "none", "ingest"]


def kill_when(index: Path, corpus: Path, point: Callable[[str, int, int], bool], delay: float = 0.0,
              timeout: float = 40.0) -> tuple[str, int, int]:
    """Run `citeqa ingest`, SIGKILL it `delay` seconds after its progress output reaches
    `point(stage, done, total)`; the progress seen at that moment."""
    process = subprocess.Popen(ingest_command(index, corpus), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=CLI_ENV)
    tail, deadline = "", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stderr], [], [], 0.5)
            data = os.read(process.stderr.fileno(), 65536) if ready else b""
            if ready and not data:
                break  # it finished before the point was reached
            tail = (tail + ANSI.sub("", data.decode("utf-8", "replace")))[-4000:]
            seen = list(PROGRESS.finditer(tail))
            if seen:
                stage, done, total = STAGES[seen[-1].group(1)], int(seen[-1].group(2)), int(seen[-1].group(3))
                if point(stage, done, total):
                    time.sleep(delay)
                    os.kill(process.pid, signal.SIGKILL)
                    assert process.wait(10) == -signal.SIGKILL
                    return stage, done, total
        pytest.fail(f"`citeqa ingest` never reached the kill point (exit {process.poll()}): {tail[-1500:]}")
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)
        process.stderr.close()
    raise AssertionError("unreachable")


def serving(index: Path, corpus: Path) -> tuple[str | None, list[str], list[str]]:
    """(version, chunk ids, generations) of the index — after checking that it answers a dev question with
    a cited answer from the right document."""
    from rag.chain import ask
    from rag.components import build_components

    settings = settings_for(index, corpus)
    store = open_store(settings)
    ids = [c.id for c in store.chunks()]
    answer = ask(QUESTION["question"], build_components(settings, store))
    assert answer_problems(answer, set(ids)) == [] and not answer.refused, answer.answer
    assert QUESTION["doc"] in cited_docs(answer)
    return store.version(), ids, store.generations()


# ------------------------------------------------------------------------------------- crash mid-ingest
KILL_POINTS = [
    ("reading files", lambda stage, done, total: stage == "load" and done > 0),
    ("adding the first chunks", lambda stage, done, total: stage == "embed" and done >= 0.3 * total),
    ("adding the last chunks", lambda stage, done, total: stage == "embed" and done >= 0.9 * total),
]


@pytest.mark.slow
@pytest.mark.timeout(120)  # ~25 s on an idle 2-core machine
def test_ingest_killed_at_any_point_leaves_the_previous_index_and_a_rerun_completes_exactly(
        corpora: Corpora, index: Path) -> None:
    for name, point in KILL_POINTS:
        stage, done, total = kill_when(index, corpora.big, point)
        version, ids, generations = serving(index, corpora.plain)
        assert version == corpora.base_version, f"killed while {name} ({stage} {done}/{total})"
        assert sorted(ids) == list(corpora.base_ids) and version in generations  # dead ones: invisible
    # Killed once every chunk is added — while the generation is checked and switched to (+0 s), or while
    # BM25 is cached (+0.5 s): the switch is all-or-nothing, so the old index or the complete new one serves.
    for delay in (0.0, 0.5):
        kill_when(index, corpora.big, lambda stage, done, total: stage == "embed" and done == total, delay)
        version, ids, _ = serving(index, corpora.plain)
        assert sorted(ids) in (list(corpora.base_ids), list(corpora.big_ids)), f"{len(ids)} chunks, +{delay} s"
    finished = subprocess.run(ingest_command(index, corpora.big), capture_output=True, text=True, timeout=60,
                              env={**CLI_ENV, "TTY_COMPATIBLE": "0", "TTY_INTERACTIVE": "0"})
    assert finished.returncode == 0, finished.stderr[-2000:]
    version, ids, generations = serving(index, corpora.plain)
    assert len(ids) == len(set(ids)) and sorted(ids) == list(corpora.big_ids)  # nothing missing or doubled
    assert generations == [version]  # dead generations of the killed runs are gone
    store = open_store(settings_for(index, corpora.big))
    assert {d.doc: d.chunks for d in store.documents()} == corpora.big_per_doc


# ------------------------------------------------------------------------------ read-only index folder
def files_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_FOWNER = 24, 1, 3


def without_override() -> None:
    """preexec_fn: drop the capabilities that let root write through file permissions (bounding set, so
    they are gone after exec); root then obeys the mode bits like anybody else."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def set_writable(folder: Path, writable: bool) -> None:
    for p in [folder, *folder.rglob("*")]:
        mode = p.stat().st_mode
        p.chmod(mode | 0o200 if writable else mode & ~0o222)


def test_read_only_index_folder_is_a_clear_error_and_the_index_is_untouched(corpora: Corpora, index: Path) -> None:
    before = files_digest(index)
    preexec = without_override if os.geteuid() == 0 else None  # root writes through mode bits otherwise
    set_writable(index, False)
    try:
        try:
            probe = subprocess.run(["touch", str(index / "probe")], preexec_fn=preexec, capture_output=True)
        except subprocess.SubprocessError as exc:
            pytest.skip(f"cannot drop CAP_DAC_OVERRIDE for a child process here ({exc})")
        if probe.returncode == 0:
            pytest.skip("a child process can still write to a read-only folder here")
        result = subprocess.run(ingest_command(index, corpora.big), capture_output=True, text=True, timeout=60,
                                env=CLI_ENV, preexec_fn=preexec)
    finally:
        set_writable(index, True)
    assert result.returncode == 1, result.stdout[-1500:] + result.stderr[-1500:]
    assert "Traceback" not in result.stderr and str(index) in " ".join(result.stderr.split())
    assert re.search(r"writable|permission", result.stderr, re.IGNORECASE), result.stderr
    assert files_digest(index) == before
    version, ids, _ = serving(index, corpora.plain)
    assert version == corpora.base_version and sorted(ids) == list(corpora.base_ids)


# ------------------------------------------------------------------------------------------ disk full
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], None]]:
    """A tmpfs mounted at tmp_path/"disk"; the callable resizes it (KiB). Skips where tmpfs can't be mounted."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a full disk is played with a small tmpfs, which needs root (mount -t tmpfs)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")

    def resize(kib: int) -> None:
        subprocess.run(["mount", "-o", f"remount,size={kib}k", str(disk)], check=True, capture_output=True)

    try:
        yield resize
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def used_kib(folder: Path) -> int:
    stats = os.statvfs(folder)
    return (stats.f_blocks - stats.f_bfree) * stats.f_frsize // 1024


@pytest.mark.slow
def test_full_disk_at_ingest_is_a_clear_error_and_the_previous_index_keeps_answering(
        corpora: Corpora, tmp_path: Path, small_disk: Callable[[int], None]) -> None:
    from eval.synth import make_corpus

    index = tmp_path / "disk" / "index"
    shutil.copytree(corpora.base_index, index)
    more = tmp_path / "more"
    make_corpus(CORPUS, more, 3)  # 8 more documents: several MB of index
    small_disk(used_kib(index) + 512)  # half a megabyte left
    result = subprocess.run(ingest_command(index, more), capture_output=True, text=True, timeout=60,
                            env={**CLI_ENV, "TTY_COMPATIBLE": "0", "TTY_INTERACTIVE": "0"})
    message = " ".join(result.stderr.split())
    assert result.returncode == 1, result.stdout[-1500:] + result.stderr[-1500:]
    assert "Traceback" not in result.stderr and "Cannot write the index" in message, message
    assert "free disk space" in message and "previous index is still in use" in message
    version, ids, _ = serving(index, corpora.plain)  # still full: reading needs no space
    assert version == corpora.base_version and sorted(ids) == list(corpora.base_ids)
    small_disk(256 * 1024)  # space freed: the next run completes
    again = subprocess.run(ingest_command(index, more), capture_output=True, text=True, timeout=60,
                           env={**CLI_ENV, "TTY_COMPATIBLE": "0", "TTY_INTERACTIVE": "0"})
    assert again.returncode == 0, again.stderr[-2000:]
    version, ids, generations = serving(index, corpora.plain)
    assert version != corpora.base_version and generations == [version] and len(ids) == len(set(ids))
    assert set(corpora.base_ids) < set(ids)
