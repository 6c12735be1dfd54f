"""Concurrent users: clients asking at once through gradio_client get well-formed answers, the chat really
answers several at a time, and `citeqa load` measures it — loopback only, bounded in count and time."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eval.load import (
    LoadError,
    answer_json_problems,
    check_loopback_url,
    dev_questions,
    doc_lengths_of,
    percentile,
    run_level,
)
from ingest.load import load_document
from tests.fixtures.app_server import free_port


def test_only_loopback_urls_are_accepted() -> None:
    for ok in ("http://127.0.0.1:7860", "http://localhost:7860/", "http://[::1]:7860/", "127.0.0.2:80"):
        assert check_loopback_url(ok).endswith("/")
    for bad in ("http://10.0.0.5:7860/", "https://example.org/", "http://0.0.0.0:7860/", "ftp://127.0.0.1/",
                "http://127.0.0.1.example.org/"):
        with pytest.raises(LoadError, match="loopback"):
            check_loopback_url(bad)


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile(list(map(float, range(1, 101))), 95) == pytest.approx(95.05)


def test_malformed_answers_are_told_apart_from_well_formed_ones() -> None:
    good = {"answer": "第三次会议在布加勒斯特举行[1]。", "refused": False,
            "sentences": [{"text": "第三次会议在布加勒斯特举行。", "citations": [1]}],
            "passages": [{"n": 1, "doc": "a.txt", "char_start": 5, "char_end": 40}], "retrieved": []}
    assert answer_json_problems(good, {"a.txt": 100}) == []
    assert any("outside" in p for p in answer_json_problems(good, {"a.txt": 30}))
    assert any("bool" in p for p in answer_json_problems({**good, "refused": "false"}))
    assert any("cites" in p for p in answer_json_problems({**good, "passages": []}))
    assert answer_json_problems("not json") == ["not a JSON object: str"]


def _check_against_documents(answer: dict[str, Any], raws: dict[str, str]) -> list[str]:
    """Independent of eval.load: every passage's span is inside its document and holds its text."""
    problems = []
    if not isinstance(answer["refused"], bool):
        problems.append("refused not a bool")
    numbers = {p["n"] for p in answer["passages"]}
    problems += [f"citation {n} not in passages" for s in answer["sentences"] for n in s["citations"]
                 if n not in numbers]
    for p in answer["passages"] + answer["retrieved"]:
        raw = raws[p["doc"]]
        if not 0 <= p["char_start"] < p["char_end"] <= len(raw):
            problems.append(f"span {p['char_start']}–{p['char_end']} outside {p['doc']}")
        elif re.sub(r"\s", "", raw[p["char_start"]:p["char_end"]]) != re.sub(r"\s", "", p["text"]):
            problems.append(f"span of passage {p['n']} does not hold its text")
    return problems


def test_four_clients_asking_ten_questions_each_get_only_well_formed_answers(app_server) -> None:
    corpus = Path(app_server.settings.corpus_dir)
    raws = {p.name: load_document(p).raw for p in corpus.glob("*.txt")}
    seen: list[tuple[str, dict[str, Any]]] = []
    lock = threading.Lock()

    def keep(question: str, answer: dict[str, Any]) -> None:
        with lock:
            seen.append((question, answer))

    result = run_level(app_server.url, dev_questions(), 4, 10, time.monotonic() + 120, timeout_s=60,
                       doc_lengths=doc_lengths_of(corpus), on_answer=keep)
    assert result.errors == 0 and result.error_samples == []
    assert result.requests == result.answers == len(seen) == 40 and not result.stopped_by_deadline
    assert 0 < result.refused < 40  # the dev set holds answerable and unanswerable questions
    for question, answer in seen:
        assert answer["question"] == question
        assert _check_against_documents(answer, raws) == [], question
    assert result.throughput > 0 and result.p50_s <= result.p95_s <= result.max_s


def test_a_run_stops_by_itself_at_its_deadline(app_server) -> None:
    started = time.monotonic()
    result = run_level(app_server.url, dev_questions(), 2, 1000, time.monotonic() + 1.5, timeout_s=10)
    assert result.stopped_by_deadline and result.requests < 2000
    assert time.monotonic() - started < 15


class _SlowLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint that takes DELAY seconds per reply and counts requests at once."""

    DELAY = 1.0
    lock = threading.Lock()
    current = 0
    peak = 0

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        cls = type(self)
        with cls.lock:
            cls.current += 1
            cls.peak = max(cls.peak, cls.current)
        time.sleep(self.DELAY)
        with cls.lock:
            cls.current -= 1
        message = {"role": "assistant", "content": "文档中没有找到相关信息。"}
        data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": body.get("model", "m"),
                           "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def slow_llm() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _SlowLLM)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_chat_answers_several_questions_at_once(corpus_components, slow_llm: str) -> None:
    from rag.components import build_components
    from ui.app import create_app, launch_app

    settings = corpus_components.settings.model_copy(update={
        "answerer": "openai", "llm_model": "slow", "llm_base_url": slow_llm, "port": free_port()})
    app = create_app(settings, build_components(settings, corpus_components.store))
    launch_app(app, settings, prevent_thread_lock=True, quiet=True)
    try:
        question = "环境署氮问题工作组的第三次会议是在哪里召开的？采用了什么会议形式？"  # answerable: reaches the LLM
        _SlowLLM.peak = 0
        result = run_level(f"http://127.0.0.1:{settings.port}/", [(question, [])], 4, 1, time.monotonic() + 60,
                           timeout_s=30)
    finally:
        app.close()
    assert result.answers == 4 and result.errors == 0
    assert _SlowLLM.peak >= 3  # one at a time would keep the LLM at 1 request and take ≥ 4 s
    assert result.max_s < 3.5


def test_citeqa_load_prints_the_table_and_writes_json(app_server, tmp_path: Path) -> None:
    from ui.cli import app

    out = tmp_path / "load.json"
    s = app_server.settings
    done = CliRunner().invoke(app, ["--corpus-dir", str(s.corpus_dir), "--index-dir", str(s.index_dir),
                                    "--embed-model", "none", "load", "--url", app_server.url, "-c", "1,2",
                                    "-q", "2", "--out", str(out)], env={"COLUMNS": "160"})
    assert done.exit_code == 0, done.output
    assert "answers/s" in done.output and "p95 s" in done.output
    levels = json.loads(out.read_text(encoding="utf-8"))["levels"]
    assert [(lv["clients"], lv["requests"], lv["errors"]) for lv in levels] == [(1, 2, 0), (2, 4, 0)]
    refused = CliRunner().invoke(app, ["load", "--url", "http://192.0.2.1:7860/"])
    assert refused.exit_code == 1 and "loopback" in refused.output


def test_citeqa_load_without_a_url_serves_the_chat_on_a_copy_of_the_index_and_stops_it(settings, tmp_path) -> None:
    import psutil

    from ingest.run import ingest_paths
    from rag.index.store import ChunkStore
    from ui.cli import app

    ingest_paths(None, settings, ChunkStore.open(settings), None)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    out = tmp_path / "load.json"
    done = CliRunner().invoke(app, ["--corpus-dir", str(settings.corpus_dir), "--index-dir", str(settings.index_dir),
                                    "--embed-model", "none", "load", "-c", "2", "-q", "2", "--out", str(out)],
                              env={"COLUMNS": "160"})
    assert done.exit_code == 0, done.output
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["url"].startswith("http://127.0.0.1:") and result["levels"][0]["answers"] == 4
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before  # the chat was stopped
