"""citeqa CLI command (load): ``citeqa load`` — concurrent clients against the chat's ``/ask`` endpoint
(``eval.load``). Without ``--url`` it serves the chat itself (``start_chat``: ``python -m ui.cli chat`` on a
free 127.0.0.1 port and a temporary copy of the index) and stops it afterwards.

Registered by ``ui.cli_eval.register`` (it sits beside ``citeqa bench``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

ROOT = Path(__file__).resolve().parents[1]


def _fail(message: str, code: int = 1) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]Error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float, log: Path) -> None:
    import httpx

    from eval.load import LoadError

    until = time.monotonic() + timeout_s
    while time.monotonic() < until:
        if proc.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
            raise LoadError(f"`citeqa chat` exited with code {proc.returncode} before serving: " + " | ".join(tail))
        try:
            if httpx.get(url + "config", timeout=2.0).status_code in (200, 401):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise LoadError(f"`citeqa chat` did not answer at {url} within {timeout_s:.0f} s — see {log}")


@contextmanager
def start_chat(settings: Any, *, copy_index: bool = True, startup_s: float = 180.0,
               say: Any = None) -> Iterator[str]:
    """Serve ``citeqa chat`` on a free 127.0.0.1 port for the duration of the block; yields its URL. With
    ``copy_index`` the chat runs on a temporary copy of ``settings.index_dir`` (the user's index is never
    opened by two processes; a Chroma server given by ``chroma_url`` is used as is)."""
    from eval.load import LoadError

    with tempfile.TemporaryDirectory(prefix="citeqa-load-") as tmp:
        index_dir = Path(settings.index_dir).resolve()  # the chat runs in the project folder: absolute paths
        if copy_index and not settings.chroma_url:
            if not (index_dir / "chroma").is_dir():
                raise LoadError(f"No index at {index_dir} — run `citeqa ingest` first (or pass --url)")
            shutil.copytree(index_dir, Path(tmp) / "index", ignore=shutil.ignore_patterns("feedback.jsonl"))
            index_dir = Path(tmp) / "index"
        port = free_port()
        args = [sys.executable, "-m", "ui.cli", "--corpus-dir", str(Path(settings.corpus_dir).resolve()), "--index-dir",
                str(index_dir), "--embed-model", settings.embed_model or "none"]
        if settings.chroma_url:
            args += ["--chroma-url", settings.chroma_url]
        args += ["chat", "--host", "127.0.0.1", "--port", str(port)]
        env = {**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"),
               "GRADIO_ANALYTICS_ENABLED": "False", "CITEQA_FEEDBACK_PATH": str(Path(tmp) / "feedback.jsonl")}
        log = Path(tmp) / "chat.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}/"
        try:
            if say:
                say(f"starting citeqa chat on {url} (index {index_dir})")
            _wait_ready(url, proc, startup_s, log)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


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

    from eval.load import LoadError, check_loopback_url, doc_lengths_of, load_table, run_load
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
