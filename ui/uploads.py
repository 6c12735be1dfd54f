"""Checking an uploaded file and placing it in the corpus folder — never anywhere else.

``stage_upload`` validates type and size, sanitises the file name (directories, ``..``, control and
reserved characters removed; a name that sanitises to nothing is rejected) and copies the file into
``settings.corpus_dir`` atomically. A different file already holding that name is never overwritten.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from rag.settings import Settings

UPLOAD_SUFFIXES: tuple[str, ...] = (".pdf", ".txt", ".md")
MAX_NAME_CHARS = 120
_BAD_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


class UploadRejected(ValueError):
    """An upload refused before it reached the corpus; ``reason`` says why and what to do."""

    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class Staged:
    path: Path  # where the file now is, inside the corpus folder
    new: bool  # False when an identical file was already there


def safe_filename(name: str) -> str:
    """The last path component of ``name`` with unsafe characters removed; raises when nothing is left."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name))[-1]
    base = _BAD_CHARS.sub("", base)
    base = re.sub(r"\s+", " ", base).strip().lstrip(".").strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem.strip(" .")
    if not stem:
        raise UploadRejected(name, "the file name is empty once unsafe characters are removed; rename the file")
    keep = MAX_NAME_CHARS - len(suffix) - 1
    return f"{stem[:keep]}.{suffix.lower()}" if suffix else stem[:MAX_NAME_CHARS]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_upload(src: Path, name: str, settings: Settings) -> str:
    """Validate an upload; return its safe file name or raise ``UploadRejected``."""
    safe = safe_filename(name)
    suffix = Path(safe).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        allowed = ", ".join(UPLOAD_SUFFIXES)
        raise UploadRejected(name, f"unsupported file type '{suffix or 'none'}'; upload one of {allowed}")
    size = src.stat().st_size
    limit = settings.max_upload_mb * 1024 * 1024
    if size > limit:
        raise UploadRejected(
            name,
            f"the file is {size / 1048576:.1f} MB, over the {settings.max_upload_mb} MB limit "
            "(CITEQA_MAX_UPLOAD_MB raises it)",
        )
    if size == 0:
        raise UploadRejected(name, "the file is empty")
    if suffix == ".pdf":
        with src.open("rb") as f:
            if b"%PDF-" not in f.read(1024):
                raise UploadRejected(name, "not a PDF file (no %PDF header); export it again as PDF")
    return safe


def stage_upload(src: Path, name: str, settings: Settings) -> Staged:
    """Copy a validated upload into the corpus folder under its safe name."""
    safe = check_upload(src, name, settings)
    corpus = settings.corpus_dir.resolve()
    corpus.mkdir(parents=True, exist_ok=True)
    dest = (corpus / safe).resolve()
    if dest.parent != corpus:  # belt and braces: safe_filename already removed every separator
        raise UploadRejected(name, "the file name points outside the corpus folder")
    if dest.exists():
        if _sha256(dest) == _sha256(src):
            return Staged(dest, new=False)
        raise UploadRejected(
            name, f"a different document named '{safe}' is already in the corpus; rename the file and upload again"
        )
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=corpus)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return Staged(dest, new=True)


def unstage(staged: Staged, settings: Settings) -> None:
    """Remove a file this upload added (used when ingestion rejects it); never touches older files."""
    corpus = settings.corpus_dir.resolve()
    if staged.new and staged.path.resolve().parent == corpus and staged.path.exists():
        staged.path.unlink()


# ---------------------------------------------------------------------------------------- Gradio's temp copies
STALE_UPLOAD_S = 6 * 3600  # an upload still in the temp dir after this was abandoned (never added, or cut off)


def upload_dir(settings: Settings) -> Path:
    """Where Gradio keeps uploaded files until a handler takes them: inside the index folder, not /tmp."""
    return Path(settings.index_dir) / "uploads-tmp"


def use_upload_dir(settings: Settings) -> Path:
    """Point Gradio's temp dir (GRADIO_TEMP_DIR, read when the app is built and launched) at `upload_dir` and
    prune what earlier runs left there."""
    root = upload_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(root)
    prune_uploads(root)
    return root


def prune_uploads(root: Path, max_age_s: float = STALE_UPLOAD_S, now: float | None = None) -> list[Path]:
    """Delete entries of `root` not touched for `max_age_s` (a fresh one may be an upload a user has not
    added yet); the entries deleted."""
    now = time.time() if now is None else now
    gone = []
    for entry in root.iterdir() if root.is_dir() else []:
        try:
            if now - entry.lstat().st_mtime < max_age_s:
                continue
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
            gone.append(entry)
        except FileNotFoundError:  # another request pruned it first
            continue
    return gone


def discard_uploads(paths: list[str], root: Path) -> None:
    """Delete the temp copies of a finished upload (accepted or rejected) and their now-empty folders, then
    prune stale leftovers. Only files inside `root` are touched."""
    base = root.resolve()
    for p in paths:
        path = Path(p).resolve()
        if not path.is_relative_to(base) or path == base:
            continue
        path.unlink(missing_ok=True)
        folder = path.parent
        while folder != base and folder.is_relative_to(base):
            try:
                folder.rmdir()
            except OSError:  # not empty (another file of the same upload) or gone
                break
            folder = folder.parent
    prune_uploads(root)
