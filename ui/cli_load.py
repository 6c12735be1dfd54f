"""citeqa CLI command (load): ``citeqa load`` — concurrent clients against the chat's ``/ask`` endpoint.

Registered by ``ui.cli_eval.register`` (it sits beside ``citeqa bench``).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import typer


def _fail(message: str, code: int = 1) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]Error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def parse_levels(text: str) -> list[int]:
    """"1,4,16" → [1, 4, 16]; ValueError when not whole numbers ≥ 1."""
    levels = [int(x) for x in text.split(",") if x.strip()]
    if not levels or min(levels) < 1:
        raise ValueError("need at least one number ≥ 1")
    return levels


def load_command(
    ctx: typer.Context,
    url: str = typer.Option(None, "--url", help="A running chat (loopback only), e.g. http://127.0.0.1:7860/. "
                                                "Default: start one on a temporary copy of the index."),
    clients: str = typer.Option("1,4,16", "--clients", "-c", help="Concurrent clients per level, e.g. 1,4,16."),
    questions: int = typer.Option(10, "--questions", "-q", min=1, max=1000,
                                  help="Questions each client asks (dev-set questions, cycled)."),
    deadline: float = typer.Option(300.0, "--deadline", min=1.0, help="Total seconds for all levels; then it stops."),
    timeout: float = typer.Option(120.0, "--timeout", min=1.0, help="Seconds one answer may take."),
    out: Path = typer.Option(None, "--out", help="JSON result file (default: load-out/<timestamp>.json)."),
) -> None:
    """Measure answers/s and p50/p95/max latency of the chat's /ask endpoint under concurrent clients."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # gradio_client looks up the hub otherwise
    from contextlib import nullcontext

    from rich.console import Console

    from eval.load import LoadError, check_loopback_url, doc_lengths_of, load_table, run_load, start_chat
    from ui.app import parse_auth

    settings = ctx.obj
    try:
        levels = parse_levels(clients)
    except ValueError as exc:
        raise _fail(f"--clients takes whole numbers ≥ 1 separated by commas (e.g. 1,4,16): {exc}", 2) from None
    console = Console()
    console = console if console.is_terminal else Console(width=120)  # logs and pipes: an unsquashed table

    def say(line: str) -> None:
        Console(stderr=True).print(f"[dim]{line}[/]", highlight=False)

    try:
        if url:
            check_loopback_url(url)
        auth = parse_auth(settings.auth.get_secret_value() if settings.auth else None)
        lengths = doc_lengths_of(settings.corpus_dir) if Path(settings.corpus_dir).is_dir() else None
        with (nullcontext(url) if url else start_chat(settings, say=say)) as served:
            result = run_load(served, levels, questions, deadline, auth=auth, timeout_s=timeout,
                              doc_lengths=lengths, say=say)
    except (LoadError, ValueError) as exc:
        raise _fail(str(exc)) from None
    console.print(load_table(result))
    path = Path(out) if out else Path("load-out") / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"Wrote {path}", highlight=False)
    if any(level["errors"] for level in result["levels"]):
        raise typer.Exit(1)
