"""citeqa CLI commands (index): ingest, chunks, docs, models pull."""

from __future__ import annotations

import json
from pathlib import Path

import typer

EXIT_SKIPPED = 2  # `citeqa ingest` ran, but some files could not be read (listed with the reason)


def _fail(message: str, code: int = 1) -> typer.Exit:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[bold red]Error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _open_store(settings: object) -> object:
    from rag.index.store import ChunkStore, StoreError

    try:
        return ChunkStore.open(settings)
    except StoreError as exc:
        raise _fail(str(exc)) from exc


def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(None, help="Files or folders to add (default: the whole corpus folder)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Re-read, re-chunk and re-embed everything."),
) -> None:
    """Index the corpus (or extra files): only what changed is re-read. Exit 2 when some file was skipped."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingest.manifest import ManifestError
    from ingest.run import IngestError, ingest_paths
    from rag.index.embed import LazyEmbedder
    from rag.index.store import StoreError

    settings = ctx.obj
    console = Console()
    embedder = LazyEmbedder(settings)  # loaded only if something must be embedded; its notice goes in the table
    store = _open_store(settings)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = {"load": "Reading files", "sentences": "Embedding sentences"}.get(stage, "Embedding chunks")
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            report = ingest_paths(list(paths) if paths else None, settings, store, embedder,
                                  progress=progress, rebuild=rebuild)
            if report.changed and embedder.loaded:  # the sentence vectors, so the first question does not wait
                from rag.components import dense_index

                dense_index(settings, store, embedder.get(), lambda done, total: progress("sentences", done, total))
        except (StoreError, IngestError, ManifestError, FileNotFoundError) as exc:
            raise _fail(str(exc)) from exc
    report.notice = embedder.notice
    _print_report(console, report)
    if report.skipped:
        raise typer.Exit(EXIT_SKIPPED)


def _print_report(console: object, report: object) -> None:
    from rich.table import Table
    from rich.text import Text

    from rag.index.embed import model_label

    if not report.changed:
        console.print(f"Nothing changed — the index is up to date ({report.documents} documents, "
                      f"{report.chunks} chunks).", highlight=False)
    table = Table(title="Ingest" if report.changed else None, show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("Documents", f"{report.documents} (added {len(report.added)}, updated {len(report.updated)}, "
                               f"removed {len(report.removed)})")
    if report.redone:
        table.add_row("Re-processed", f"every document ({report.redone})")
    table.add_row("Paragraphs", str(report.paragraphs))
    table.add_row("Chunks", str(report.chunks))
    table.add_row("Skipped files", str(len(report.skipped)))
    mode = f"hybrid · {model_label(report.embedder)}" if report.mode == "hybrid" else "lexical-only (BM25)"
    if report.mode == "hybrid" and not report.model_loaded:
        mode += " — embedding model not loaded: nothing to embed"
    table.add_row("Retrieval", Text(mode + (f"\n{report.notice}" if report.notice else "")))
    table.add_row("Seconds", f"{report.seconds:.1f}")
    console.print(table)
    if report.skipped:
        skipped = Table(title="Skipped files", show_lines=False)
        skipped.add_column("File", overflow="fold")
        skipped.add_column("Reason", overflow="fold")
        for path, reason in report.skipped:
            skipped.add_row(Text(path), Text(reason))
        console.print(skipped)


def chunks(
    ctx: typer.Context,
    doc: str = typer.Option(None, "--doc", help="Only this document (file name)."),
    jsonl: bool = typer.Option(False, "--jsonl", help="One JSON object per chunk, every field."),
) -> None:
    """Show the indexed chunks with their metadata."""
    store = _open_store(ctx.obj)
    selected = [c for c in store.chunks() if doc is None or c.doc == doc]
    if doc is not None and not selected:
        raise _fail(f"No indexed document named {doc!r} — see `citeqa docs`.")
    if jsonl:
        for c in selected:
            typer.echo(json.dumps(c.to_dict(), ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    for name in sorted({c.doc for c in selected}):
        rows = [c for c in selected if c.doc == name]
        table = Table(title=Text(f"{name} — {rows[0].title}"), title_justify="left", show_lines=True)
        table.add_column("id", no_wrap=True)
        table.add_column("where", max_width=22, overflow="fold")
        table.add_column("text", ratio=1, min_width=20, overflow="fold")
        for c in rows:
            where = [c.section] if c.section else []
            where.append(("¶" + str(c.paragraph)) if c.numbered else f"unnumbered ({c.paragraph})")
            if c.page is not None:
                where.append(f"page {c.page}")
            where.append(f"chars {c.char_start}–{c.char_end}")
            if c.kind != "body" or c.part:
                where.append(c.kind + (f", part {c.part}" if c.part else ""))
            text = " ".join(c.text.split())
            table.add_row(c.id, Text("\n".join(where)), Text(text if len(text) <= 300 else text[:299] + "…"))
        console.print(table)


def docs(ctx: typer.Context) -> None:
    """List the indexed documents."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ingest.manifest import load_manifest

    settings = ctx.obj
    store = _open_store(settings)
    infos = store.documents()
    if not infos:
        typer.echo("No documents indexed yet — run `citeqa ingest`.")
        return
    manifest = load_manifest(settings.corpus_dir) if Path(settings.corpus_dir).is_dir() else {}
    table = Table(title=f"{len(infos)} documents, {sum(d.chunks for d in infos)} chunks")
    for col in ("document", "title", "symbol", "paragraphs", "chunks"):
        table.add_column(col, overflow="fold")
    for d in infos:
        meta = manifest.get(d.doc)
        table.add_row(Text(d.doc), Text(d.title), Text(getattr(meta, "symbol", "") or ""), str(d.paragraphs),
                      str(d.chunks))
    Console().print(table)
    if not settings.chroma_url:
        from rag.index.reclaim import disk_bytes

        typer.echo(f"Index size on disk: {disk_bytes(Path(settings.index_dir)) / 1e6:.1f} MB ({settings.index_dir})")


def pull(
    ctx: typer.Context,
    names: list[str] = typer.Argument(None, help="Model names (default: the configured embedder and reranker)."),
) -> None:
    """Fetch models into the local Hugging Face cache (needs a connection to the hub)."""
    from rag.index.hub import ModelUnavailable, pull_model

    settings = ctx.obj
    wanted = list(names or [])
    if not wanted:
        wanted = [m for m in (settings.embed_model, settings.rerank_model) if m and m.strip().lower() != "none"]
    if not wanted:
        raise _fail("No model configured (CITEQA_EMBED_MODEL=none) — name one: `citeqa models pull BAAI/bge-m3`.")
    for name in wanted:
        try:
            path = pull_model(name, settings.model_cache_dir)
        except ModelUnavailable as exc:
            raise _fail(str(exc)) from exc
        typer.echo(f"{name}: {path}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the shared app."""
    app.command()(ingest)
    app.command()(chunks)
    app.command()(docs)
    models = typer.Typer(help="Manage the embedding / reranking models.", no_args_is_help=True)
    models.command()(pull)
    app.add_typer(models, name="models")
