"""The `citeqa` console script: builds the Settings at the entry point and hands them to each command."""

from __future__ import annotations

import os
from pathlib import Path

import typer

app = typer.Typer(help="citeqa — answers from your documents, every sentence citing its paragraph.", no_args_is_help=True)


def _quiet_environment() -> None:
    """Process-wide switches set once at the entry point: no telemetry, no hub stalls."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@app.callback()
def _root(
    ctx: typer.Context,
    corpus_dir: Path = typer.Option(None, "--corpus-dir", help="Corpus folder (default: ./corpus)."),
    index_dir: Path = typer.Option(None, "--index-dir", help="Index folder (default: ./.citeqa)."),
    embed_model: str = typer.Option(None, "--embed-model", help="Embedding model name or path; 'none' = lexical-only."),
    chroma_url: str = typer.Option(None, "--chroma-url", help="Use a Chroma server instead of the embedded store."),
) -> None:
    from rag.settings import Settings

    _quiet_environment()
    overrides = {
        k: v
        for k, v in {
            "corpus_dir": corpus_dir,
            "index_dir": index_dir,
            "embed_model": embed_model,
            "chroma_url": chroma_url,
        }.items()
        if v is not None
    }
    ctx.obj = Settings(**overrides)


def _register_commands() -> None:
    from ui import cli_ask, cli_chat, cli_eval, cli_index

    for module in (cli_index, cli_ask, cli_eval, cli_chat):
        module.register(app)


_register_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
