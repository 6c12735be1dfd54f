"""citeqa CLI commands (ask): `citeqa ask "问题" [--history FILE] [--k N] [--format text|json|markdown] [--json]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer


def _fail(message: str, code: int = 1) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]Error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def load_history(path: Path) -> list[dict[str, str]]:
    """A history file: a JSON list of {"role": "user"|"assistant", "content": "..."}."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise ValueError(f"history file {path} not found") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"history file {path} is not UTF-8 JSON ({exc})") from exc
    ok = isinstance(data, list) and all(
        isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
        for t in data
    )
    if not ok:
        raise ValueError(f'history file {path} must be a JSON list of {{"role": "user"|"assistant", "content": "..."}}')
    return data


def format_answer(answer: Any) -> str:
    """The answer as plain text: the answer (a refusal says what the closest passages were about), the
    notice, then each cited (or offered) passage by its reference ("UNEP/EA.6/8, para. 5"), title and text."""
    from rag.reference import listed_reference
    from ui.support import closest_note, unanswered_note

    lang = "en" if answer.language == "en" else "zh"
    lines = [answer.answer, ""]
    if answer.refused and closest_note(answer):
        lines[1:1] = [closest_note(answer)]
    if note := unanswered_note(answer):
        lines[1:1] = [note]
    if answer.mode.get("notice"):
        lines += [f"({answer.mode['notice']})", ""]
    if answer.passages:
        lines.append("Closest passages (for checking):" if answer.refused else "Sources:")
        for p in answer.passages:
            c = p.chunk
            section = f" — {c.section}" if c.section else ""
            lines.append(f"[{p.n}] {listed_reference(c, lang)} · 《{c.title or c.doc}》{section}  ({c.doc})")
            lines.append(f"    {' '.join(c.text.split())}")
    mode = answer.mode
    lines.append(f"\nretrieval: {mode.get('retrieval')} · answerer: {mode.get('answerer')} · "
                 f"{answer.timings.get('total_s', 0.0):.2f} s")
    return "\n".join(lines)


FORMATS = ("text", "json", "markdown")


def ask(
    ctx: typer.Context,
    question: str = typer.Argument(..., help="The question, in Chinese or English."),
    history: Path = typer.Option(None, "--history", help='JSON file: [{"role": "user"|"assistant", "content": …}].'),
    k: int = typer.Option(None, "--k", min=1, max=50, help="Passages to retrieve (default: settings.top_k)."),
    as_json: bool = typer.Option(False, "--json", help="Print the Answer as JSON (same as --format json)."),
    fmt: str = typer.Option("text", "--format", help="text | json | markdown (the chat's Export, for one answer)."),
) -> None:
    """Answer a question from the indexed documents; every sentence cites its passage."""
    from rag.chain import ask as ask_question
    from rag.components import build_components
    from rag.index.store import StoreError

    settings = ctx.obj
    if fmt not in FORMATS:
        raise _fail(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})", 2)
    try:
        turns = load_history(history) if history else []
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    try:
        components = build_components(settings)
        answer = ask_question(question, components, history=turns, k=k)
    except StoreError as exc:
        raise _fail(str(exc)) from exc
    if as_json or fmt == "json":
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    elif fmt == "markdown":
        from ui.export import answer_markdown

        typer.echo(answer_markdown(answer))
    else:
        typer.echo(format_answer(answer))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the shared app."""
    app.command("ask")(ask)
