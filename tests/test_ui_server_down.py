"""The chat in server mode when the Chroma server goes away: every UI path (API ask, status line, Documents
tab, uploads, "show in document") says so in one line naming the server — no traceback, no bare "Error" —
and the same running app recovers once the server is back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rag.settings import Settings
from tests.fixtures.app_server import free_port
from tests.fixtures.chroma_server import ChromaServer

pytestmark = [pytest.mark.server, pytest.mark.slow]

QUESTION = "环境署氮问题工作组的第三次会议是在哪里召开的？采用了什么会议形式？"
NOTE = "蓝湾珊瑚说明.txt"
NOTE_TEXT = "关于蓝湾珊瑚的说明\n\n1. 第七届蓝湾珊瑚保护研讨会于 2031 年 5 月 12 日在青岛举行。\n"


def assert_one_clear_line(message: str, url: str) -> None:
    assert url in message and "chroma run" in message, message
    assert "\n" not in message and "Traceback" not in message, message


def test_the_chat_reports_a_chroma_server_gone_away_in_one_line_and_recovers_without_a_restart(
        settings: Settings, chroma_server: ChromaServer, tmp_path: Path) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from ingest.run import ingest_paths
    from rag.components import build_components
    from rag.index.store import ChunkStore
    from ui.app import create_app, documents_update, launch_app, sources_section
    from ui.render import render_status

    started = time.perf_counter()
    s = settings.model_copy(update={"chroma_url": chroma_server.url, "collection": "uidown",
                                    "host": "127.0.0.1", "port": free_port()})
    ingest_paths(None, s, ChunkStore.open(s), None)
    app = create_app(s, build_components(s))
    backend = app.citeqa_backend
    launch_app(app, s, prevent_thread_lock=True, quiet=True)
    note = tmp_path / "upload" / NOTE
    note.parent.mkdir()
    note.write_text(NOTE_TEXT, encoding="utf-8")
    try:
        client = Client(f"http://127.0.0.1:{s.port}/", verbose=False)
        answer = client.predict(QUESTION, [], api_name="/ask")
        assert answer["refused"] is False and "布加勒斯特" in answer["answer"]
        before = backend.ask(QUESTION)

        chroma_server.stop()
        try:
            t0 = time.perf_counter()
            with pytest.raises(AppError) as info:
                client.predict(QUESTION, [], api_name="/ask")
            assert time.perf_counter() - t0 < 5
            assert_one_clear_line(str(info.value), chroma_server.url)

            status = backend.status()
            assert_one_clear_line(status.error, chroma_server.url)
            assert "Index unavailable" in render_status(status) and "Documents:" not in render_status(status)

            rows, line = documents_update(backend)
            assert rows == [] and "Index unavailable" in line and chroma_server.url in line

            section = sources_section(backend, before, 0)  # "show in document" needs the store's chunks
            assert "Show in document unavailable" in section and chroma_server.url in section
            assert 'class="src"' in section and "doc-view" not in section  # the cited passages still show

            result = backend.upload([(note, NOTE)])
            assert [name for name, _ in result.rejected] == [NOTE] and not result.added
            assert_one_clear_line(result.rejected[0][1], chroma_server.url)
            assert not (s.corpus_dir / NOTE).exists()
        finally:
            chroma_server.start()  # same port, same data folder

        answer = client.predict(QUESTION, [], api_name="/ask")  # the same app, not restarted
        assert answer["refused"] is False and "布加勒斯特" in answer["answer"]
        status = backend.status()
        assert status.error == "" and status.documents == 4
        assert len(documents_update(backend)[0]) == 4
        assert "doc-view" in sources_section(backend, before, 0)
        assert backend.upload([(note, NOTE)]).added == [NOTE]
        assert backend.status().documents == 5
    finally:
        app.close()
    assert time.perf_counter() - started < 30
