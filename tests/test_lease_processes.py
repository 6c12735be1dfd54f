"""Writer processes on one index: two app instances ingesting through one Chroma server take turns and keep
both documents; the lease of a SIGKILLed writer is taken over at once (its process is gone), that of a frozen
(SIGSTOPped) one once it expires — and the frozen writer, resumed, stops without activating anything."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.run import ingest_paths
from rag.index.store import ChunkStore
from rag.settings import Settings
from tests.fixtures.chroma_server import ChromaServer
from tests.test_lease import X, Y, base_index, note, number, wait_for

ROOT = Path(__file__).resolve().parents[1]


WRITER = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from rag.settings import Settings
from rag.index.store import ChunkStore, DocInfo, StoreError
from tests.test_store import DOC_B, sentence_chunks
job = json.loads(sys.argv[1])
store = ChunkStore.open(Settings(**job["settings"]))
gen = store.begin("none", 1)
chunks = sentence_chunks(DOC_B, 3)
gen.add_document(DocInfo("frozen.txt", "t", "x", 3), chunks, [[1.0]] * 3)
Path(job["ready"]).write_text(gen.name, encoding="utf-8")
while not Path(job["resume"]).exists():
    time.sleep(0.05)
try:
    more = sentence_chunks(DOC_B, 6)[3:]
    gen.add_document(DocInfo("frozen-2.txt", "t", "y", 3), more, [[1.0]] * 3)
    store.activate(gen)
    print("ACTIVATED", gen.name)
except StoreError as exc:
    gen.abort()
    print(type(exc).__name__, exc)
"""


def start_writer(settings: Settings, folder: Path) -> tuple[subprocess.Popen[str], Path, Path]:
    ready, resume = folder / "writer-ready", folder / "writer-resume"
    fields = {k: v for k, v in settings.model_dump(mode="json").items() if k in (
        "index_dir", "corpus_dir", "embed_model", "chroma_url", "collection", "write_lease_s", "write_wait_s")}
    job = json.dumps({"settings": fields, "ready": str(ready), "resume": str(resume)})
    process = subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT)), job], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    wait_for(lambda: ready.exists() or process.poll() is not None, 30, "the writer process to begin")
    assert ready.exists(), process.communicate()[1][-2000:]
    return process, ready, resume


def fresh_store(settings: Settings) -> ChunkStore:
    """A store that sees what another process wrote to the embedded index (no cached Chroma system)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    return ChunkStore.open(settings)


def test_a_killed_writers_lease_is_taken_over_and_its_generation_cleaned(settings: Settings) -> None:
    first = base_index(settings)
    writer, ready, _ = start_writer(settings, settings.index_dir.parent)
    try:
        os.kill(writer.pid, signal.SIGKILL)
        assert writer.wait(10) == -signal.SIGKILL
    finally:
        if writer.poll() is None:
            os.kill(writer.pid, signal.SIGKILL)
            writer.wait(10)
        writer.communicate()
    dead = ready.read_text(encoding="utf-8")
    store = fresh_store(settings)
    lease = store.lease.read()
    assert lease is not None and lease.pid == writer.pid and lease.writing == dead  # left behind, unexpired
    assert lease.expires > time.time() and lease.stale(time.time())  # its process is gone
    started = time.monotonic()
    report = ingest_paths([note(settings.index_dir.parent, X)], settings, store, None)
    assert time.monotonic() - started < 10 and report.added == [X] and report.version != first
    assert store.generations() == [report.version] and dead not in store.generations()
    assert store.lease.read() is None and "frozen.txt" not in {d.doc for d in store.documents()}


INSTANCE = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from ingest.run import ingest_paths
from rag.settings import Settings
from rag.index.store import ChunkStore
job = json.loads(sys.argv[1])
settings = Settings(**job["settings"])
def progress(stage, done, total):
    if stage == "load" and done == total:
        with open(job["planned"], "a", encoding="utf-8") as f:
            f.write("planned\\n")
    if job["hold"] and stage == "embed" and not Path(job["hold"]).exists():
        Path(job["hold"]).write_text("", encoding="utf-8")
        deadline = time.monotonic() + 30
        while not Path(job["go"]).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
report = ingest_paths([Path(job["doc"])], settings, ChunkStore.open(settings), None, progress)
print("DONE", json.dumps({{"added": report.added, "version": report.version}}), flush=True)
"""  # one app instance ingesting one upload; the first holds mid-write until told


@pytest.mark.server
@pytest.mark.slow
def test_two_app_instances_on_one_server_take_turns_and_keep_both_documents(
        settings: Settings, chroma_server: ChromaServer, tmp_path: Path) -> None:
    s = settings.model_copy(update={"chroma_url": chroma_server.url, "collection": "turns"})
    first = base_index(s)
    hold, go = tmp_path / "a-writing", tmp_path / "a-go"
    fields = {k: str(v) for k, v in s.model_dump(mode="json").items() if k in (
        "index_dir", "corpus_dir", "embed_model", "chroma_url", "collection")}

    def instance(doc: str, folder: str, held: bool) -> subprocess.Popen[str]:
        job = {"settings": {**fields, "index_dir": str(tmp_path / folder)}, "doc": str(note(tmp_path / folder, doc)),
               "hold": str(hold) if held else "", "go": str(go), "planned": str(tmp_path / f"{folder}.plans")}
        return subprocess.Popen([sys.executable, "-c", INSTANCE.format(root=str(ROOT)), json.dumps(job)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})

    a = instance(X, "instance-1", held=True)
    b = None
    try:
        wait_for(lambda: hold.exists() or a.poll() is not None, 30, "instance 1 to start writing")
        assert hold.exists(), a.communicate()[1][-2000:]
        b = instance(Y, "instance-2", held=False)
        watcher = ChunkStore.open(s)
        plans = tmp_path / "instance-2.plans"
        wait_for(lambda: plans.exists() or b.poll() is not None, 30, "instance 2 to plan its ingest")
        time.sleep(0.8)  # instance 2 is at the lease now, waiting
        lease = watcher.lease.read()
        assert b.poll() is None and lease is not None and lease.pid == a.pid
        assert lease.writing in watcher.generations() and lease.writing not in watcher.clean_dead()
        assert watcher.version() == first
        go.write_text("", encoding="utf-8")
        out_a, err_a = a.communicate(timeout=60)
        out_b, err_b = b.communicate(timeout=60)
    finally:
        for p in (a, b):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(10)
    assert a.returncode == 0 and b.returncode == 0, err_a[-1500:] + err_b[-1500:]
    done_a = json.loads(out_a.split("DONE ", 1)[1])
    done_b = json.loads(out_b.split("DONE ", 1)[1])
    assert done_a["added"] == [X] and done_b["added"] == [Y]
    assert number(done_b["version"]) > number(lease.writing) > number(first)  # 2 wrote after 1, both after the base
    assert plans.read_text(encoding="utf-8").count("planned") == 2  # again, on top of instance 1's generation
    store = ChunkStore.open(s)
    assert store.version() == done_b["version"] and store.generations() == [done_b["version"]]
    assert {X, Y} <= {d.doc for d in store.documents()} and len(store.documents()) == 6


@pytest.mark.server
@pytest.mark.slow
def test_a_frozen_writers_lease_is_taken_over_once_it_expires_and_the_writer_then_stops(
        settings: Settings, chroma_server: ChromaServer, tmp_path: Path) -> None:
    s = settings.model_copy(update={"chroma_url": chroma_server.url, "collection": "frozen", "write_lease_s": 2.0,
                                    "write_wait_s": 15.0})
    first = base_index(s)
    writer, ready, resume = start_writer(s, tmp_path)
    try:
        os.kill(writer.pid, signal.SIGSTOP)  # alive but stuck: only the expiry frees its lease
        store = ChunkStore.open(s)
        lease = store.lease.read()
        assert lease is not None and lease.pid == writer.pid and not lease.stale(time.time())
        started, remaining = time.monotonic(), lease.expires - time.time()
        report = ingest_paths([note(tmp_path, X)], s, store, None)
        assert remaining - 0.3 <= time.monotonic() - started < 15  # it waited for the expiry, no longer
        assert time.time() >= lease.expires and report.added == [X] and report.version != first
        assert ready.read_text(encoding="utf-8") not in store.generations()  # its dead generation is gone
        resume.write_text("", encoding="utf-8")
        os.kill(writer.pid, signal.SIGCONT)
        out, err = writer.communicate(timeout=30)
    finally:
        if writer.poll() is None:
            os.kill(writer.pid, signal.SIGKILL)
            writer.wait(10)
    assert writer.returncode == 0, err[-2000:]
    assert out.startswith("LeaseLost") and "run it again" in out, out
    assert store.version() == report.version and {d.doc for d in store.documents()} >= {X}
    assert not {"frozen.txt", "frozen-2.txt"} & {d.doc for d in store.documents()}
