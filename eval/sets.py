"""Eval sets: JSONL question files (schema: eval/README section of the project README).

``load_eval_set(path)`` validates every line and returns the good items plus a list of problems
(line number and what is wrong); a bad line never aborts the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from rag.types import Turn

LANGS = ("zh", "en")
TYPES = ("fact", "number", "list", "why", "multi_para", "cross_doc", "followup", "unanswerable")
FIELDS = ("id", "lang", "question", "answerable", "type", "doc", "evidence", "answer", "key_facts", "history")
REQUIRED = ("id", "lang", "question", "answerable", "type")


@dataclass(frozen=True)
class EvalItem:
    id: str
    lang: str
    question: str
    answerable: bool
    type: str
    docs: tuple[str, ...] = ()  # the schema's ``doc``: one name, a list (cross_doc) or null → ()
    evidence: tuple[str, ...] = ()
    answer: str = ""
    key_facts: tuple[tuple[str, ...], ...] = ()
    history: tuple[Turn, ...] = ()
    line: int = 0  # 1-based line in the source file
    source: str = ""  # the file it came from


@dataclass(frozen=True)
class Problem:
    """A line of an eval set that is wrong. ``skipped`` is False for warnings (the item still runs)."""

    source: str
    line: int
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        what = "skipped" if self.skipped else "warning"
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {what}: {self.message}"


@dataclass
class _Check:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def default_eval_path() -> Path:
    """The dev set shipped as package data (``eval/dev.jsonl``)."""
    return Path(str(resources.files("eval") / "dev.jsonl"))


def shipped_eval_path(name: str) -> Path | None:
    """A set shipped as package data by short name: "dev" (tuning) or "extra" (generalisation check); None if
    there is no such set."""
    path = Path(str(resources.files("eval") / f"{name}.jsonl"))
    return path if name.isidentifier() and path.is_file() else None


def _strings(value: Any, name: str, check: _Check, *, allow_empty: bool = True) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        check.errors.append(f"'{name}' must be a list of strings, got {json.dumps(value, ensure_ascii=False)[:60]}")
        return ()
    cleaned = tuple(v for v in value if v.strip())
    if len(cleaned) != len(value):
        check.warnings.append(f"'{name}' has empty strings (ignored)")
    if not cleaned and not allow_empty:
        check.errors.append(f"'{name}' must not be empty")
    return cleaned


def _docs(value: Any, check: _Check) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    return _strings(value, "doc", check)


def _key_facts(value: Any, check: _Check) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        check.errors.append("'key_facts' must be a list of facts, each a list of surface forms")
        return ()
    facts = []
    for i, fact in enumerate(value, 1):
        if isinstance(fact, str):
            fact = [fact]
        forms = _strings(fact, f"key_facts[{i}]", check, allow_empty=False)
        if forms:
            facts.append(forms)
    return tuple(facts)


def _history(value: Any, check: _Check) -> tuple[Turn, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        check.errors.append("'history' must be a list of {role, content} turns")
        return ()
    turns = []
    for i, turn in enumerate(value, 1):
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant") or not isinstance(
            turn.get("content"), str
        ):
            check.errors.append(f"history[{i}] must be {{\"role\": \"user\"|\"assistant\", \"content\": str}}")
            continue
        turns.append(Turn(role=turn["role"], content=turn["content"]))
    return tuple(turns)


def parse_item(obj: Any, line: int = 0, source: str = "") -> tuple[EvalItem | None, list[str], list[str]]:
    """Validate one decoded JSON value: (item or None, errors, warnings)."""
    check = _Check()
    if not isinstance(obj, dict):
        return None, ["a line must be a JSON object"], []
    missing = [f for f in REQUIRED if f not in obj]
    if missing:
        check.errors.append("missing field(s): " + ", ".join(missing))
    unknown = sorted(set(obj) - set(FIELDS))
    if unknown:
        check.warnings.append("unknown field(s) ignored: " + ", ".join(unknown))
    if not isinstance(obj.get("id", ""), str) or ("id" in obj and not obj["id"].strip()):
        check.errors.append("'id' must be a non-empty string")
    if "lang" in obj and obj["lang"] not in LANGS:
        check.errors.append(f"'lang' must be one of {', '.join(LANGS)}, got {obj['lang']!r}")
    if "question" in obj and (not isinstance(obj["question"], str) or not obj["question"].strip()):
        check.errors.append("'question' must be a non-empty string")
    if "answerable" in obj and not isinstance(obj["answerable"], bool):
        check.errors.append(f"'answerable' must be true or false, got {obj['answerable']!r}")
    if "type" in obj and obj["type"] not in TYPES:
        check.errors.append(f"'type' must be one of {', '.join(TYPES)}, got {obj['type']!r}")
    if "answer" in obj and not isinstance(obj["answer"], str | None):
        check.errors.append("'answer' must be a string")
    docs = _docs(obj.get("doc"), check)
    evidence = _strings(obj.get("evidence") or [], "evidence", check)
    key_facts = _key_facts(obj.get("key_facts"), check)
    history = _history(obj.get("history"), check)
    answerable = obj.get("answerable")
    if answerable is True and not evidence:
        check.errors.append("an answerable item needs at least one 'evidence' string")
    if answerable is True and not docs:
        check.errors.append("an answerable item needs 'doc' (a file name or a list of names)")
    if answerable is False and evidence:
        check.warnings.append("'evidence' of an unanswerable item is ignored")
        evidence = ()
    if obj.get("type") == "unanswerable" and answerable is True:
        check.errors.append("type 'unanswerable' needs \"answerable\": false")
    if obj.get("type") == "followup" and not history:
        check.warnings.append("a 'followup' item without 'history' runs as a standalone question")
    if check.errors:
        return None, check.errors, check.warnings
    item = EvalItem(
        id=obj["id"].strip(),
        lang=obj["lang"],
        question=obj["question"],
        answerable=answerable,
        type=obj["type"],
        docs=docs,
        evidence=evidence,
        answer=obj.get("answer") or "",
        key_facts=key_facts,
        history=history,
        line=line,
        source=source,
    )
    return item, [], check.warnings


def load_eval_set(path: Path | str) -> tuple[list[EvalItem], list[Problem]]:
    """Read and validate a JSONL eval set; bad lines become problems, the rest is returned."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return [], [Problem(source, 0, "file not found (pass an existing JSONL file to --questions)")]
    except UnicodeDecodeError as exc:
        return [], [Problem(source, 0, f"not UTF-8 ({exc.reason}); save the file as UTF-8")]
    items: list[EvalItem] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(source, n, f"invalid JSON: {exc.msg} at column {exc.colno}"))
            continue
        item, errors, warnings = parse_item(obj, n, source)
        problems.extend(Problem(source, n, w, skipped=False) for w in warnings)
        if item is None:
            problems.append(Problem(source, n, "; ".join(errors)))
            continue
        if item.id in seen:
            problems.append(Problem(source, n, f"duplicate id {item.id!r} (first on line {seen[item.id]})"))
            continue
        seen[item.id] = n
        items.append(item)
    if not items and not problems:
        problems.append(Problem(source, 0, "the file holds no questions"))
    return items, problems


def load_eval_sets(paths: list[Path]) -> tuple[list[EvalItem], list[Problem]]:
    """Several files in one run; ids must be unique across them (a repeat is skipped and reported)."""
    items: list[EvalItem] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for path in paths:
        got, probs = load_eval_set(path)
        problems.extend(probs)
        for item in got:
            if item.id in seen:
                problems.append(Problem(item.source, item.line, f"id {item.id!r} already used in an earlier file"))
                continue
            seen.add(item.id)
            items.append(item)
    return items, problems


def _squeeze(text: str) -> str:
    return "".join(text.split())


def check_evidence(items: Sequence[EvalItem], raws: Mapping[str, str]) -> list[Problem]:
    """Warnings for items whose ``doc`` names a file not in ``raws`` (doc name → raw text) or whose evidence
    string occurs in none of the item's documents once all whitespace is removed (the schema's rule).
    The items still run: a missing evidence string simply cannot be retrieved, so it caps that item's recall."""
    squeezed = {doc: _squeeze(raw) for doc, raw in raws.items()}
    problems: list[Problem] = []
    for item in items:
        unknown = [d for d in item.docs if d not in squeezed]
        if unknown:
            problems.append(Problem(item.source, item.line, f"{item.id}: 'doc' names a file not in the corpus: "
                                    f"{', '.join(unknown)} (check the file name)", skipped=False))
        if item.docs and len(unknown) == len(item.docs):
            continue  # nothing to search: the unknown name is the problem
        known = [squeezed[d] for d in item.docs if d in squeezed] or list(squeezed.values())
        for i, ev in enumerate(item.evidence, 1):
            if not any(_squeeze(ev) in text for text in known):
                where = ", ".join(item.docs) or "any document"
                problems.append(Problem(item.source, item.line, f"{item.id}: evidence[{i}] not found in {where} "
                                        f"(copy it verbatim from the document): {ev[:40]}", skipped=False))
    return problems


def corpus_raws(corpus_dir: Path) -> dict[str, str]:
    """doc name → raw text of every readable document in a corpus folder, loaded as ingest loads it."""
    from ingest.load import LoadError, iter_corpus_files, load_document

    raws: dict[str, str] = {}
    for path in iter_corpus_files([Path(corpus_dir)]):
        try:
            raws.setdefault(path.name, load_document(path).raw)
        except LoadError:
            continue
    return raws


def check_files(paths: Sequence[Path], corpus_dir: Path) -> tuple[list[EvalItem], list[Problem]]:
    """Validate question files without an index: the schema of every line, then every evidence string
    against the documents of ``corpus_dir`` (what ``citeqa eval --check`` prints)."""
    items, problems = load_eval_sets(list(paths))
    return items, problems + check_evidence(items, corpus_raws(corpus_dir))


def after_unrelated(items: Sequence[EvalItem]) -> list[EvalItem]:
    """Each item asked after an unrelated question: its history becomes the question (and reference answer) of
    the item half the set away that is on other documents (the next such one; deterministic). Measures that a
    conversation's earlier turns do not spoil a new question (the chat reads every question after the first
    with the conversation). Items that already have a history, and sets of one document, stay as they are."""
    out: list[EvalItem] = []
    n = len(items)
    for i, item in enumerate(items):
        ahead = (items[(i + n // 2 + j) % n] for j in range(n))
        other = next((o for o in ahead if not set(o.docs) & set(item.docs)), None)
        if item.history or other is None:
            out.append(item)
            continue
        turns = (Turn("user", other.question),) + ((Turn("assistant", other.answer),) if other.answer else ())
        out.append(replace(item, history=turns))
    return out
