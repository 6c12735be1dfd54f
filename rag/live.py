"""The chat's components, following the index without making a question wait.

An ingest that swaps in a new generation used to make the next questions rebuild BM25, term statistics and the
dense self-check in the request path, under one lock: every question waited seconds at the same moment.
`LiveComponents` hands each request the current snapshot (pinned: `rag.components.refresh` leaves it alone)
without waiting; when the store's version has moved on, one background thread builds the next snapshot
(`rag.components.rebuild`) and swaps it in with a single reference assignment. Requests already running keep
the snapshot they started with and finish on it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from rag.components import Components, rebuild

log = logging.getLogger(__name__)


class LiveComponents:
    def __init__(self, components: Components) -> None:
        self._current = replace(components, pinned=True)
        self._build_lock = threading.Lock()  # one rebuild at a time (requests never take it)
        self._start_lock = threading.Lock()
        self._builder: threading.Thread | None = None

    @property
    def current(self) -> Components:
        """The snapshot a new request runs with (never waits for a rebuild; starts one when the index moved on).
        A store that cannot be read raises here (`StoreUnavailable` for a server gone away), as the request would."""
        c = self._current
        if c.store.version() != c.version:
            self._start()
        return c

    @property
    def snapshot(self) -> Components:
        """The current snapshot, without asking the store (for what must not fail: the status line)."""
        return self._current

    @property
    def building(self) -> bool:
        builder = self._builder
        return builder is not None and builder.is_alive()

    def _start(self) -> None:
        with self._start_lock:
            if self.building:
                return
            self._builder = threading.Thread(target=self._follow, name="citeqa-rebuild", daemon=True)
            self._builder.start()

    def _follow(self) -> None:
        try:
            self.settle()
        except Exception as exc:  # the next request starts another attempt
            log.warning("Could not build the components for the new index version: %s", exc)

    def settle(self) -> Components:
        """Build and swap in the snapshot for the store's current version in the calling thread (an upload
        waits for its own documents; questions meanwhile go on with the previous snapshot). Returns it."""
        with self._build_lock:
            c = self._current
            if c.store.version() == c.version:
                return c
            new = rebuild(c)
            self._current = new
            log.info("Swapped in the components for index version %s", new.version)
            return new
