"""Connecting to a Chroma server with a time limit on every request, the client's own start-up included.

`chromadb.HttpClient(...)` sends requests (user identity, tenant, database) from inside its constructor over an
httpx session built with ``timeout=None``, before a caller can bound it; Chroma refuses API implementations other
than its own, so the session cannot be bounded earlier. A server that accepts connections but never answers
(stopped, deadlocked, swapping) would hang the constructor — and with it `citeqa ask`, `ingest` and the chat's
start-up — for good. So the constructor runs in a daemon thread that the caller waits for at most
``timeout_s``; once built, the client's session gets the same limit for every later request.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlparse

from rag.index.generation import first_line
from rag.index.store_records import StoreUnavailable


def server_address(url: str) -> tuple[str, int, bool]:
    """(host, port, https) of a Chroma URL given with or without its scheme."""
    parsed = urlparse(url if "://" in url else f"http://{url}")
    return parsed.hostname or "127.0.0.1", parsed.port or 8000, parsed.scheme == "https"


def unavailable(url: str, reason: str) -> StoreUnavailable:
    """The one line for a server that does not answer: its real address, and what to do."""
    return StoreUnavailable(f"Chroma server at {url} is not answering ({reason}) — check the server at that address "
                            "(start or resume the `chroma run` serving it) or unset CITEQA_CHROMA_URL")


def bound_timeout(client: Any, seconds: float) -> None:
    """Give the client's httpx session (Chroma's default: wait forever) a limit per request. The session is
    private API, so a Chroma that moved it is left as it is."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds, connect=min(5.0, seconds))


def connect(url: str, timeout_s: float, chroma_settings: Any) -> Any:
    """A Chroma `HttpClient` for `url` whose construction and requests each take at most `timeout_s`, checked
    with a heartbeat; `StoreUnavailable` naming `url` otherwise."""
    import chromadb

    host, port, ssl = server_address(url)
    outcome: dict[str, Any] = {}

    def construct() -> None:
        try:
            outcome["client"] = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
        except BaseException as exc:  # handed to the waiting caller
            outcome["error"] = exc

    worker = threading.Thread(target=construct, name=f"chroma-connect-{host}:{port}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():  # left to finish or fail on its own; nothing waits for it
        raise unavailable(url, f"no reply within {timeout_s:g} s")
    if "error" in outcome:
        raise unavailable(url, first_line(outcome["error"])) from outcome["error"]
    client = outcome["client"]
    bound_timeout(client, timeout_s)
    try:
        client.heartbeat()
    except Exception as exc:
        raise unavailable(url, first_line(exc)) from exc
    return client
