"""Concurrent writers on one index: the writer lease makes ingests take turns (the later one writes on top of
the earlier one's generation), cleanup leaves a live writer's generation alone, a busy index is a clear error,
a failed write frees the lease, a long one keeps renewing it. Writer processes: `test_lease_processes.py`."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.run import ingest_paths
from rag.index.store import ChunkStore, DocInfo, IndexBusy, LeaseLost, StoreError
from rag.settings import Settings

NOTES = {
    "910_lease_note_x.txt": "关于甲湾红树林的说明\n\n1. 甲湾红树林修复项目于 2032 年在厦门启动，恢复面积 120 公顷。\n",
    "911_lease_note_y.txt": "关于乙岛海草床的说明\n\n1. 乙岛海草床监测计划于 2033 年在三亚实施，覆盖 40 个站点。\n",
    "912_lease_note_z.txt": "关于丙河湿地的说明\n\n1. 丙河湿地保护条例于 2034 年通过，设立 5 个保护区。\n",
}
X, Y, Z = NOTES


def note(folder: Path, name: str) -> Path:
    path = folder / "uploads" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(NOTES[name], encoding="utf-8")
    return path


def wait_for(check, timeout: float = 20.0, what: str = "") -> None:  # noqa: ANN001 - a zero-arg predicate
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def number(generation: str) -> int:
    """The number of a generation (`citeqa-g7` → 7): they are numbered in the order they were begun."""
    return int(generation.rsplit("-g", 1)[1])


def base_index(settings: Settings) -> str:
    report = ingest_paths(None, settings, ChunkStore.open(settings), None)
    assert report.documents == 4 and report.version
    return report.version


# -------------------------------------------------------------------------------- embedded store, threads
@pytest.mark.slow
def test_two_concurrent_ingests_take_turns_and_both_documents_end_up_indexed(settings: Settings) -> None:
    first = base_index(settings)
    one, two = ChunkStore.open(settings), ChunkStore.open(settings)  # two instances on one index
    a_writing, b_planned = threading.Event(), threading.Event()
    seen: dict[str, object] = {}
    b_plans: list[int] = []
    reports: dict[str, object] = {}

    def a_progress(stage: str, done: int, total: int) -> None:
        if stage == "embed" and not a_writing.is_set():  # A holds the lease, its generation half written
            a_writing.set()
            assert b_planned.wait(20)
            time.sleep(0.8)  # B is at the lease now, waiting
            lease = two.lease.read()
            seen.update(lease=lease, before=two.generations(), cleaned=two.clean_dead(), after=two.generations(),
                        b_waiting=b.is_alive(), version=two.version())

    def b_progress(stage: str, done: int, total: int) -> None:
        if stage == "load" and done == total:
            b_plans.append(done)
            b_planned.set()

    def run(key: str, store: ChunkStore, doc: str, progress) -> None:  # noqa: ANN001
        try:
            reports[key] = ingest_paths([note(settings.index_dir.parent, doc)], settings, store, None, progress)
        except BaseException as exc:  # noqa: BLE001 - reported by the asserts below
            reports[key] = exc

    a = threading.Thread(target=run, args=("a", one, X, a_progress))
    b = threading.Thread(target=run, args=("b", two, Y, b_progress))
    a.start()
    assert a_writing.wait(20)
    b.start()
    a.join(30)
    b.join(30)
    ra, rb = reports["a"], reports["b"]
    assert not isinstance(ra, BaseException) and not isinstance(rb, BaseException), (ra, rb)
    lease = seen["lease"]
    assert lease is not None and lease.owner == one.lease.owner and seen["b_waiting"]
    assert lease.writing in seen["before"] and lease.writing in seen["after"]  # a live writer's generation stays
    assert lease.writing not in seen["cleaned"] and seen["version"] == first
    assert ra.added == [X] and rb.added == [Y] and len(b_plans) == 2  # B planned again on top of A's write
    assert number(rb.version) > number(lease.writing) > number(first)  # B wrote after A, both after the base
    store = ChunkStore.open(settings)
    assert store.version() == rb.version and store.generations() == [rb.version]
    assert {X, Y} <= {d.doc for d in store.documents()} and len(store.documents()) == 6
    assert any("厦门" in c.text for c in store.chunks()) and any("三亚" in c.text for c in store.chunks())
    assert store.lease.read() is None  # released


def test_an_ingest_gives_up_with_a_clear_error_while_another_holds_the_index(settings: Settings) -> None:
    from ui.cli import app

    first = base_index(settings)
    holder = ChunkStore.open(settings)
    gen = holder.begin("none", 1)  # another writer, alive, mid-write
    impatient = settings.model_copy(update={"write_wait_s": 0.5})
    started = time.monotonic()
    with pytest.raises(IndexBusy) as info:
        ingest_paths([note(settings.index_dir.parent, X)], impatient, ChunkStore.open(impatient), None)
    assert 0.5 <= time.monotonic() - started < 5
    message = str(info.value)
    assert "Another ingest is writing to this index" in message and holder.lease.owner in message
    assert "since 20" in message and "try again when it finishes" in message
    idle = ingest_paths(None, impatient, ChunkStore.open(impatient), None)  # nothing to write: no waiting
    assert not idle.changed and idle.version == first
    args = ["--index-dir", str(settings.index_dir), "--corpus-dir", str(settings.corpus_dir), "--embed-model",
            "none", "ingest", str(note(settings.index_dir.parent, Y))]
    result = CliRunner().invoke(app, args, env={"CITEQA_WRITE_WAIT_S": "0.3", "COLUMNS": "300"})
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "Another ingest is writing to this index" in " ".join(result.output.split())
    gen.abort()  # the other writer gives up: the lease is free at once
    assert holder.lease.read() is None
    report = ingest_paths([note(settings.index_dir.parent, X)], impatient, ChunkStore.open(impatient), None)
    assert report.added == [X] and report.version != first


def test_a_failed_ingest_releases_the_lease(settings: Settings) -> None:
    first = base_index(settings)
    store = ChunkStore.open(settings)

    def crash(stage: str, done: int, total: int) -> None:
        if stage == "embed":
            assert store.lease.held  # mid-write
            raise RuntimeError("embedding model crashed")

    with pytest.raises(RuntimeError, match="crashed"):
        ingest_paths([note(settings.index_dir.parent, X)], settings, store, None, crash)
    assert store.lease.read() is None and not store.lease.held
    assert store.version() == first and store.generations() == [first]


def test_a_long_write_keeps_renewing_a_short_lease(settings: Settings) -> None:
    settings.write_lease_s = 1.0
    base_index(settings)
    store, watcher = ChunkStore.open(settings), ChunkStore.open(settings)
    expiries: list[float] = []

    def slow(stage: str, done: int, total: int) -> None:
        if stage == "embed":
            time.sleep(0.45)  # three documents: longer than the lease lasts
            expiries.append(watcher.lease.read().expires)

    paths = [note(settings.index_dir.parent, n) for n in (X, Y, Z)]
    started = time.monotonic()
    report = ingest_paths(paths, settings, store, None, slow)
    assert time.monotonic() - started > 1.2 and report.added == [X, Y, Z]
    assert len(expiries) == 3 and expiries == sorted(expiries) and expiries[-1] > expiries[0]


def test_activation_refuses_when_the_index_moved_or_the_lease_was_lost(settings: Settings) -> None:
    from tests.test_store import DOC_A, sentence_chunks

    first = base_index(settings)
    one, two = ChunkStore.open(settings), ChunkStore.open(settings)
    gen = one.begin("none", 1)
    gen.add_document(DocInfo("late.txt", "t", "x", 2), sentence_chunks(DOC_A, 2), [[1.0]] * 2)
    one.lease.release()  # as when its lease ran out and another writer took over
    report = ingest_paths([note(settings.index_dir.parent, X)], settings, two, None)
    with pytest.raises(StoreError, match="The index changed while .* run the ingest again"):
        one.activate(gen)
    assert one.version() == report.version != first and X in {d.doc for d in one.documents()}
    assert "late.txt" not in {d.doc for d in one.documents()}
    gen.abort()
    with pytest.raises(StoreError, match="after this ingest decided what to write"):
        one.begin("none", 1, base=first)  # planned against an index that has moved on since
    assert one.lease.read() is None and not one.lease.held
    again = one.begin("none", 1)
    one.lease.release()
    with pytest.raises(LeaseLost, match="without holding the writer lease"):
        one.activate(again)
    again.abort()
    assert one.version() == report.version and one.lease.read() is None
