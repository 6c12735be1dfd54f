"""The writer lease: one ingest at a time writes to an index — across threads, processes and app instances
sharing one Chroma server (readers never wait).

The lease is one record in the store's meta collection (id ``writer-lease``): its owner (``host:pid:uuid``,
one per `ChunkStore`), since when it is held, until when (``expires``: renewed as the write progresses) and
the generation being written (which dead-generation cleanup leaves alone). Taking a free lease is an
insert-if-absent: Chroma's ``add`` keeps the first record with an id and ignores later ones (measured on the
embedded store and on `chroma run`, 1.5), so of several writers racing for it exactly one reads its own
name back. A lease past its expiry — or, on the same host and pid namespace, one whose process is gone
(SIGKILL) — is stale: it is deleted (only while it is still that owner's) and taken over. A writer whose own
lease ran out stops with `LeaseLost` instead of renewing it. Expiry is wall-clock time, so hosts sharing a
server need roughly synchronised clocks (NTP).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.index.store_records import StoreError

if TYPE_CHECKING:
    from rag.index.store import ChunkStore

log = logging.getLogger(__name__)
LEASE_ID = "writer-lease"
POLL_S = 0.2  # how often a waiting writer looks at the lease again
MARGIN_S = 0.5  # a lease this close to its expiry is not renewed (a taker may be at work)


class IndexBusy(StoreError):
    """Another ingest held the index for longer than this one would wait."""


class LeaseLost(StoreError):
    """This ingest's lease ran out (or was taken over) before it finished; nothing of it was activated."""


def _pid_namespace() -> str:
    """Identity of this process's pid namespace ("" where there is no /proc: pids are then never checked)."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def _process_gone(pid: int) -> bool:
    """True when no process `pid` runs in this pid namespace (a zombie counts as gone). Linux only."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: it exists, under another user
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace").rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True  # reaped meanwhile
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")


@dataclass(frozen=True)
class LeaseRecord:
    """The lease as stored in the meta collection."""

    owner: str
    host: str
    pid: int
    pidns: str
    since: float
    expires: float
    writing: str = ""  # the generation being written ("" before it is created)

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> LeaseRecord:
        return cls(str(meta.get("owner", "")), str(meta.get("host", "")), int(meta.get("pid", 0)),
                   str(meta.get("pidns", "")), float(meta.get("since", 0.0)), float(meta.get("expires", 0.0)),
                   str(meta.get("writing", "")))

    def to_meta(self) -> dict[str, Any]:
        return {"role": "lease", **asdict(self)}

    def stale(self, now: float) -> bool:
        """Expired, or its process is known to be gone (same host and pid namespace as this process)."""
        if self.expires <= now:
            return True
        here = self.pidns != "" and self.host == socket.gethostname() and self.pidns == _pid_namespace()
        return here and self.pid != os.getpid() and _process_gone(self.pid)

    def describe(self) -> str:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        return f"owner {self.owner}, since {since}"


class WriterLease:
    """This store's side of the lease. `acquire` waits for it; `keep_alive` renews it; `release` frees it."""

    def __init__(self, store: ChunkStore, ttl_s: float, wait_s: float) -> None:
        self.store, self.ttl_s, self.wait_s = store, float(ttl_s), float(wait_s)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.held = False
        self._since = self._expires = self._renewed = 0.0
        self._writing = ""

    def read(self) -> LeaseRecord | None:
        got = self.store._meta_get([LEASE_ID])
        return LeaseRecord.from_meta(got[0]) if got else None

    def _mine(self, now: float) -> LeaseRecord:
        self._expires = now + self.ttl_s
        return LeaseRecord(self.owner, socket.gethostname(), os.getpid(), _pid_namespace(), self._since,
                           self._expires, self._writing)

    def acquire(self) -> None:
        """Take the lease, waiting up to `wait_s` for a live one held by someone else (then `IndexBusy`)."""
        if self.held:
            self.keep_alive(force=True)
            return
        meta = self.store._meta()
        self.store.write_failed = False  # a new attempt: clean-up writes are tried again
        deadline = time.monotonic() + self.wait_s
        waited = False
        while True:
            current, now = self.read(), time.time()
            if current is not None and (current.owner == self.owner or current.stale(now)):
                if current.owner != self.owner:
                    log.warning("Taking over the stale writer lease (%s: expired, or its process is gone)",
                                current.describe())
                self.store._write("taking over a stale writer lease", lambda c=current: meta.delete(
                    ids=[LEASE_ID], where={"owner": c.owner}))  # only while it is still that owner's
                current = self.read()
            if current is None:
                self._since, self._writing = now, ""
                record = self._mine(now).to_meta()
                self.store._write("taking the writer lease", lambda r=record: meta.add(
                    ids=[LEASE_ID], embeddings=[[1.0]], metadatas=[r]))
                current = self.read()  # of writers racing for a free lease, the first add wins
                if current is not None and current.owner == self.owner:
                    self.held, self._renewed = True, time.monotonic()
                    if waited:
                        log.info("The other ingest finished; writing to the index at %s", self.store.where)
                    return
            if time.monotonic() >= deadline:
                holder = current.describe() if current is not None else "it keeps changing hands"
                raise IndexBusy(f"Another ingest is writing to this index ({holder}) — try again when it "
                                f"finishes (waited {self.wait_s:g} s; CITEQA_WRITE_WAIT_S sets how long)")
            if current is not None and not waited:
                log.info("Waiting for another ingest to finish writing the index at %s (%s)", self.store.where,
                         current.describe())
                waited = True
            time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))

    def keep_alive(self, writing: str | None = None, force: bool = False) -> None:
        """Renew the lease (at most every quarter of its lifetime unless `force`d or `writing` is set); note
        the generation being `writing`. `LeaseLost` when it ran out or another writer holds it now."""
        if not self.held:
            return
        if not force and writing is None and time.monotonic() - self._renewed < self.ttl_s / 4:
            return
        current, now = self.read(), time.time()
        if current is None or current.owner != self.owner or now >= self._expires - min(MARGIN_S, self.ttl_s / 4):
            self.held = False
            holder = f"now held by {current.describe()}" if current and current.owner != self.owner else "expired"
            raise LeaseLost(f"This ingest's lease on the index at {self.store.where} ran out before it finished "
                            f"({holder}); nothing of it was activated — run it again, or raise "
                            f"CITEQA_WRITE_LEASE_S (now {self.ttl_s:g} s) if steps take that long")
        if writing is not None:
            self._writing = writing
        record = self._mine(now).to_meta()
        self.store._write("renewing the writer lease", lambda: self.store._meta().update(
            ids=[LEASE_ID], metadatas=[record]))
        self._renewed = time.monotonic()

    def release(self) -> None:
        """Free the lease if this store still holds it (never raises: it expires anyway). Not after a failed
        write (a full disk): Chroma can block for good on that delete, and a lease whose process is gone
        (same host) or whose time ran out is taken over by the next writer anyway."""
        if not self.held:
            return
        self.held = False
        if self.store.write_failed:
            log.info("Leaving the writer lease to expire (within %g s): the index could not be written",
                        self.ttl_s)
            return
        try:
            self.store._meta().delete(ids=[LEASE_ID], where={"owner": self.owner})
        except Exception as exc:
            log.warning("Could not release the writer lease (it expires within %g s): %s", self.ttl_s, exc)

    def protected(self) -> set[str]:
        """Generations that a live lease of another writer is writing (cleanup must leave them alone)."""
        current = self.read()
        if current is None or current.owner == self.owner or not current.writing or current.stale(time.time()):
            return set()
        return {current.writing}
