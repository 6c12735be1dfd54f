"""citeqa CLI commands (chat): serve the Gradio chat on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import ipaddress
import os

import typer


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, has_auth: bool) -> str:
    """The warning for serving beyond this machine without a login ("" when there is nothing to say)."""
    if is_loopback(host) or has_auth:
        return ""
    return (f"Warning: serving on {host} without a login — anyone who can reach this machine can read the "
            "documents and upload files. Add --auth user:password (or CITEQA_AUTH).")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the shared app."""

    @app.command("chat")
    def chat(
        ctx: typer.Context,
        host: str = typer.Option(None, "--host", help="Address to bind (default 127.0.0.1; 0.0.0.0 = every interface)."),
        port: int = typer.Option(None, "--port", help="Port (default 7860)."),
        auth: str = typer.Option(None, "--auth", help="Require a login: 'user:password' (or CITEQA_AUTH)."),
    ) -> None:
        """Open the chat in the browser: answers with clickable citations, a Sources panel, uploads."""
        os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
        from rag.settings import Settings
        from ui.app import create_app, launch_app, parse_auth

        settings: Settings = ctx.obj
        updates = {k: v for k, v in {"host": host, "port": port, "auth": auth}.items() if v is not None}
        if updates:
            settings = Settings(**{**settings.model_dump(), **updates})
        try:
            parse_auth(settings.auth.get_secret_value() if settings.auth else None)
        except ValueError as exc:
            typer.secho(str(exc), err=True, fg="red")
            raise typer.Exit(2) from None
        warning = exposure_warning(settings.host, settings.auth is not None)
        if warning:
            typer.secho(warning, err=True, fg="yellow")
        from rag.components import build_components
        from rag.index.store import StoreError

        try:
            components = build_components(settings)
        except StoreError as exc:  # e.g. the Chroma server is not running: one line, not a traceback
            typer.secho(str(exc), err=True, fg="red")
            raise typer.Exit(1) from None
        for notice in components.notices:
            typer.secho(notice, err=True, fg="yellow")
        if components.store.version() is None:
            typer.secho("The index is empty — run `citeqa ingest` first, or upload documents in the Documents tab.",
                        err=True, fg="yellow")
        app_ = create_app(settings, components)
        typer.echo(f"citeqa chat on http://{settings.host}:{settings.port}  (Ctrl+C stops it)")
        launch_app(app_, settings, quiet=True)
