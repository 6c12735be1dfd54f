"""The corpus manifest ``corpus.toml``: titles and metadata per document file name."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.load import Document

MANIFEST_NAME = "corpus.toml"
_FIELDS = {"title_zh": str, "title_en": str, "symbol": str, "year": int, "kind": str,
           "short_title_zh": str, "short_title_en": str}


@dataclass(frozen=True)
class DocMeta:
    title_zh: str = ""
    title_en: str = ""
    symbol: str = ""
    year: int | None = None
    kind: str = ""
    short_title_zh: str = ""  # how references name a document without a symbol (default: the title)
    short_title_en: str = ""

    def short_titles(self) -> tuple[str, str]:
        """(Chinese, English) short titles, each falling back to the full title in that language."""
        return (self.short_title_zh.strip() or self.title_zh.strip(), self.short_title_en.strip() or self.title_en.strip())

    def label_key(self) -> str:
        """What references take from this entry, as one string (a change re-processes the document)."""
        return "\x1f".join((self.symbol.strip(), *self.short_titles(), str(self.year or 0)))


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the file and the fix."""


def load_manifest(corpus_dir: Path) -> dict[str, DocMeta]:
    """Entries of ``corpus_dir/corpus.toml`` keyed by file name; ``{}`` when there is no manifest."""
    path = Path(corpus_dir) / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: invalid TOML ({exc}); fix the file or delete it") from None
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: not UTF-8 text; re-save it as UTF-8") from None
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    out: dict[str, DocMeta] = {}
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise ManifestError(f'{path}: entry "{name}" must be a table like ["{name}"] with title_zh = "…"')
        values: dict[str, object] = {}
        for key, kind in _FIELDS.items():
            if key not in entry:
                continue
            value = entry[key]
            if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
                raise ManifestError(f'{path}: ["{name}"].{key} must be a whole number, got {value!r}')
            if kind is str and not isinstance(value, str):
                raise ManifestError(f'{path}: ["{name}"].{key} must be text in quotes, got {value!r}')
            values[key] = value
        out[name] = DocMeta(**values)  # type: ignore[arg-type]
    return out


def manifest_title(meta: DocMeta | None) -> str | None:
    """The manifest's Chinese title, else its English one; None when the manifest gives neither."""
    if meta is not None:
        for title in (meta.title_zh, meta.title_en):
            if title.strip():
                return title.strip()
    return None


def title_for(doc: str, meta: DocMeta | None, document: Document) -> str:
    """The manifest's Chinese title, else the document's own title line, else the file name."""
    if (title := manifest_title(meta)) is not None:
        return title
    found = first_title_line(document.raw)
    return found or doc


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(\S.*)$")
_TERMINAL = "。！？!?；;，,：:"


def first_title_line(raw: str, scan: int = 20) -> str:
    """The first markdown heading, else the first short line that reads like a title."""
    lines = [line.strip() for line in raw[:20000].split("\n") if line.strip()]
    for line in lines:
        match = _MD_HEADING.match(line)
        if match:
            return _clean_title(match.group(1))
    for line in lines[:scan]:
        if line.startswith(("http://", "https://", "www.")) or not any(ch.isalpha() for ch in line):
            continue
        if len(line) <= 80 and line[-1] not in _TERMINAL and not any(ch in line for ch in "。！？"):
            return _clean_title(line)
        break
    return ""


def _clean_title(text: str) -> str:
    from ingest.clean import normalize_inline

    text = re.sub(r"\s*#+\s*$", "", text).replace("\\", "")
    return normalize_inline(text)[:200]
