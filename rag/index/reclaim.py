"""Giving disk space back after a swap (the embedded index; a Chroma server's files are the server's).

Deleting a generation's collection frees rows, not disk: Chroma 1.x leaves the collection's HNSW folder behind
(chroma-core/chroma#5259: removal is left to a garbage collector the embedded store does not run), SQLite keeps
the freed pages in its file, and the full-text index keeps the deleted text until its segments are merged. After
a document of 20 MB was added and removed, the index was 80 times its fresh size. `reclaim` therefore:

1. removes segment folders that no segment of the database names any more (never the serving generation's,
   nor one being written: their segments are recorded before their folders exist);
2. when the free pages (and any bytes past the database's last page) are worth it, merges the full-text index (FTS5 'optimize', content unchanged) and runs
   SQLite ``VACUUM`` — only when no other process has the database open (Chroma's advice: vacuuming blocks every
   reader and writer), with a short busy timeout.

Both steps are safe to kill at any point: a half-removed folder is an orphan the next run removes, and SQLite
rolls an interrupted VACUUM back from its journal, leaving the database as it was.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
DB_FILE = "chroma.sqlite3"
MIN_FREE_BYTES = 4 << 20  # vacuum only when at least this much ...
MIN_FREE_SHARE = 0.2  # ... and this share of the database file is free pages (or bytes past its last page)
BUSY_TIMEOUT_S = 2.0
_SEGMENT_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Reclaimed:
    before: int  # bytes on disk of the chroma folder before
    after: int
    folders: int  # orphaned segment folders removed
    vacuumed: bool
    note: str = ""  # why the database was not vacuumed, when it was worth it


def disk_bytes(path: Path) -> int:
    """Bytes allocated on disk by the files under `path` (what `du` counts; sparse files count what they use)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:  # removed meanwhile
                continue
    return total


def other_holders(path: Path) -> list[int] | None:
    """Ids of other processes that have `path` open (Linux /proc); None when that cannot be told."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    target, me, found = str(path.resolve()), os.getpid(), []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            if any(os.readlink(fd) == target for fd in (entry / "fd").iterdir()):
                found.append(int(entry.name))
        except OSError:  # gone, or not ours to look at
            continue
    return found


def _connect(db: Path, readonly: bool = False) -> sqlite3.Connection:
    mode = "?mode=ro" if readonly else ""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}{mode}", uri=True, timeout=BUSY_TIMEOUT_S,
                           isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    return conn


def orphan_folders(chroma_dir: Path) -> list[Path]:
    """Segment folders of `chroma_dir` that no segment of its database names."""
    folders = [d for d in chroma_dir.iterdir() if d.is_dir() and _SEGMENT_DIR.match(d.name)]
    if not folders:
        return []
    conn = _connect(chroma_dir / DB_FILE, readonly=True)  # read after listing: a new segment is already recorded
    try:
        live = {str(row[0]) for row in conn.execute("SELECT id FROM segments")}
    finally:
        conn.close()
    return [d for d in folders if d.name not in live]


def _vacuum(db: Path) -> None:
    conn = _connect(db)
    try:
        try:  # merge the full-text index's segments: the deleted text leaves with them (content unchanged)
            conn.execute("INSERT INTO embedding_fulltext_search(embedding_fulltext_search) VALUES('optimize')")
        except sqlite3.OperationalError as exc:  # another Chroma layout, or no FTS5 here: VACUUM alone
            log.info("Full-text index not merged: %s", exc)
        conn.execute("VACUUM")
    finally:
        conn.close()


def reclaim(chroma_dir: Path) -> Reclaimed:
    """Remove orphaned segment folders and vacuum the database when worth it and nobody else has it open."""
    chroma_dir = Path(chroma_dir)
    db = chroma_dir / DB_FILE
    before = disk_bytes(chroma_dir)
    if not db.exists():
        return Reclaimed(before, before, 0, False)
    orphans = orphan_folders(chroma_dir)
    for folder in orphans:
        shutil.rmtree(folder, ignore_errors=True)
    conn = _connect(db, readonly=True)
    try:
        page = int(conn.execute("PRAGMA page_size").fetchone()[0])
        free = int(conn.execute("PRAGMA freelist_count").fetchone()[0]) * page
        pages = int(conn.execute("PRAGMA page_count").fetchone()[0]) * page
    finally:
        conn.close()
    # A file longer than its pages (a VACUUM that committed but was stopped before it truncated the file:
    # SQLite reads the size from the header and ignores the tail) holds space only a VACUUM gives back.
    size = max(pages, db.stat().st_size)
    free += size - pages
    vacuumed, note = False, ""
    if free >= MIN_FREE_BYTES and free >= MIN_FREE_SHARE * size:
        holders = other_holders(db)
        if holders:
            note = (f"not vacuumed: the index is open in process {', '.join(map(str, holders))}; the space is "
                    "reclaimed after the next ingest when it runs alone")
        elif holders is None:
            note = "not vacuumed: cannot tell whether another process has the index open"
        else:
            try:
                _vacuum(db)
                vacuumed = True
            except sqlite3.Error as exc:  # busy, or no room for the copy: the database is as it was
                note = f"not vacuumed: {exc}"
    if note:
        log.info("Index %s: %s", chroma_dir, note)
    return Reclaimed(before, disk_bytes(chroma_dir), len(orphans), vacuumed, note)
