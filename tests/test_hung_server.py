"""A Chroma server that hangs (a real `chroma run`, SIGSTOPped: alive, accepting connections, never answering)
makes `citeqa ask`, `citeqa ingest` and the chat's start-up fail within CITEQA_CHROMA_TIMEOUT_S with one clear
line naming the server's address — never a hang — and they work again once the server resumes (SIGCONT).

Each command runs as a real subprocess under a generous outer timeout; the elapsed times are printed (measured,
not asserted tightly: the machine is shared)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.settings import Settings
from tests.fixtures.app_server import free_port
from tests.fixtures.chroma_server import ChromaServer

pytestmark = [pytest.mark.server, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "环境署氮问题工作组的第三次会议是在哪里召开的？"
TIMEOUT_S = 3.0  # CITEQA_CHROMA_TIMEOUT_S for the commands under test
OUTER_S = 90.0  # the test's own limit: far above TIMEOUT_S plus a Python start-up on a busy machine


def command_env(settings: Settings, server: ChromaServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEQA_")}
    return {**env, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
            "GRADIO_ANALYTICS_ENABLED": "False", "NO_COLOR": "1", "COLUMNS": "200",
            "CITEQA_CHROMA_URL": server.url, "CITEQA_CHROMA_TIMEOUT_S": str(TIMEOUT_S),
            "CITEQA_COLLECTION": settings.collection, "CITEQA_INDEX_DIR": str(settings.index_dir),
            "CITEQA_CORPUS_DIR": str(settings.corpus_dir), "CITEQA_EMBED_MODEL": "none"}


def run(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    """`citeqa ARGS` in a subprocess; a hang past OUTER_S is killed (by its id) and fails the test."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "ui.cli", *args], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        out, err = process.communicate(timeout=OUTER_S)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"`citeqa {' '.join(args)}` still running after {OUTER_S:.0f} s against a hung server:\n{err[-800:]}")
    elapsed = time.perf_counter() - started
    print(f"citeqa {args[0]}: exit {process.returncode} after {elapsed:.1f} s")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), elapsed


@pytest.fixture(scope="module")
def indexed(chroma_server: ChromaServer, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The shipped corpus ingested into the server (prefix "hung")."""
    import shutil

    from ingest.run import ingest_paths
    from rag.index.store import ChunkStore
    from tests.conftest import CORPUS

    root = tmp_path_factory.mktemp("hung")
    shutil.copytree(CORPUS, root / "corpus")
    s = Settings(corpus_dir=root / "corpus", index_dir=root / "index", embed_model="none",
                 feedback_path=root / "feedback.jsonl", chroma_url=chroma_server.url, collection="hung")
    report = ingest_paths(None, s, ChunkStore.open(s), None)
    assert report.documents == 4, report
    return s


@pytest.fixture
def hung(chroma_server: ChromaServer) -> Iterator[ChromaServer]:
    """The server stopped (SIGSTOP) for the test, resumed (SIGCONT) after it, whatever happened."""
    assert chroma_server.process is not None
    chroma_server.process.send_signal(signal.SIGSTOP)
    try:
        yield chroma_server
    finally:
        chroma_server.process.send_signal(signal.SIGCONT)


def assert_clear_failure(done: subprocess.CompletedProcess[str], server: ChromaServer) -> None:
    text = done.stdout + done.stderr
    assert done.returncode == 1, text[-1500:]
    assert "Traceback" not in text, text[-1500:]
    assert server.url in text and "not answering" in text, text[-1500:]
    assert "--path" not in text, text  # `chroma run --path <index>/chroma` would start an empty server


def test_ask_against_a_hung_server_fails_within_the_timeout_and_works_once_it_resumes(
        indexed: Settings, chroma_server: ChromaServer) -> None:
    env = command_env(indexed, chroma_server)
    with_hang = chroma_server.process
    assert with_hang is not None
    with_hang.send_signal(signal.SIGSTOP)
    try:
        done, _ = run(["ask", QUESTION], env)
        assert_clear_failure(done, chroma_server)
    finally:
        with_hang.send_signal(signal.SIGCONT)
    done, _ = run(["ask", QUESTION], env)
    assert done.returncode == 0 and "布加勒斯特" in done.stdout, done.stdout + done.stderr[-800:]


def test_ingest_against_a_hung_server_fails_within_the_timeout(indexed: Settings, hung: ChromaServer) -> None:
    done, _ = run(["ingest"], command_env(indexed, hung))
    assert_clear_failure(done, hung)


def test_chat_start_up_against_a_hung_server_fails_within_the_timeout(indexed: Settings, hung: ChromaServer) -> None:
    done, _ = run(["chat", "--port", str(free_port())], command_env(indexed, hung))
    assert_clear_failure(done, hung)


def test_ingest_runs_again_once_the_hung_server_resumes(indexed: Settings, chroma_server: ChromaServer) -> None:
    done, _ = run(["ingest"], command_env(indexed, chroma_server))
    assert done.returncode == 0, done.stdout + done.stderr[-800:]
    assert "4" in done.stdout
