"""Secrets hygiene: the LLM API key comes from the environment only (CITEQA_LLM_API_KEY) and the chat password
from CITEQA_AUTH / --auth; neither ever shows in logs, stderr, `citeqa ask` output, eval outputs, the chat page,
its config or its answers — also when the LLM server rejects the key and echoes it back in its error."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from rag.settings import Settings
from tests.fixtures.app_server import free_port
from ui.cli import app as cli

KEY = "sk-citeqa-TOP-SECRET-7f3a9c21"
PASSWORD = "pw-NEVER-SHOWN-5521"
QUESTION = "环境署氮问题工作组的第三次会议是在哪里召开的？"
GOOD = "第三次会议于2023年4月27日在布加勒斯特以混合形式举行[{n}]。"


class _EchoingRejector(BaseHTTPRequestHandler):
    """An OpenAI-compatible server that rejects every key — quoting the Authorization header back, as a
    careless server might. Records the headers it saw."""

    seen: list[str] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        auth = self.headers.get("Authorization", "")
        type(self).seen.append(auth)
        data = json.dumps({"error": {"message": f"Incorrect API key provided: {auth}",
                                     "type": "invalid_request_error", "code": "invalid_api_key"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def rejecting_llm() -> Iterator[str]:
    _EchoingRejector.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingRejector)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(params=["answers", "rejects the key"])
def llm(request: pytest.FixtureRequest, corpus_components: Any) -> tuple[str, Callable[[], list[str]], str]:
    """(base URL, the Authorization headers the server saw, kind): C's scripted server, or the echoing rejector."""
    if request.param == "rejects the key":
        url = request.getfixturevalue("rejecting_llm")
        return url, lambda: list(_EchoingRejector.seen), request.param
    server = request.getfixturevalue("openai_server")
    passages = corpus_components.retriever.retrieve(QUESTION, corpus_components.settings.top_k, "zh")
    n = next(p.n for p in passages if "布加勒斯特" in p.chunk.text)
    server.script(GOOD.format(n=n))
    return server.base_url, lambda: [h.get("authorization", "") for h in server.headers], request.param


def _env(base_url: str) -> dict[str, str]:
    return {"CITEQA_ANSWERER": "openai", "CITEQA_LLM_MODEL": "scripted-model", "CITEQA_LLM_BASE_URL": base_url,
            "CITEQA_LLM_API_KEY": KEY, "CITEQA_AUTH": f"alice:{PASSWORD}", "COLUMNS": "200"}


def _root(settings: Settings) -> list[str]:
    return ["--corpus-dir", str(settings.corpus_dir), "--index-dir", str(settings.index_dir), "--embed-model", "none"]


def _no_secret(*texts: str) -> bool:
    return not any(KEY in t or PASSWORD in t for t in texts)


def test_the_key_is_read_from_the_environment_only_and_masked_in_every_dump(monkeypatch) -> None:
    monkeypatch.setenv("CITEQA_LLM_API_KEY", KEY)
    monkeypatch.setenv("CITEQA_AUTH", f"alice:{PASSWORD}")
    settings = Settings()
    assert settings.llm_api_key.get_secret_value() == KEY and settings.auth.get_secret_value().endswith(PASSWORD)
    assert not Settings.model_config.get("env_file") and not Settings.model_config.get("secrets_dir")
    public = settings.public_dict()
    assert public["llm_api_key"] == "***" and public["auth"] == "***"
    assert _no_secret(json.dumps(public), repr(settings), str(settings), settings.model_dump_json())
    helps = [CliRunner().invoke(cli, [*cmd, "--help"], env={"COLUMNS": "200"}).output
             for cmd in ([], ["ask"], ["eval"], ["chat"], ["load"], ["ingest"], ["bench"])]
    assert all("--" in h for h in helps)
    assert not any(word in h.lower() for h in helps for word in ("api-key", "api_key", "apikey"))


def test_citeqa_ask_with_an_llm_never_shows_the_key(llm, corpus_components, caplog, capfd) -> None:
    base_url, seen, kind = llm
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(cli, [*_root(corpus_components.settings), "ask", "--json", QUESTION],
                                env=_env(base_url))
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert seen() and all(h == f"Bearer {KEY}" for h in seen())  # the key from the environment was used
    if kind == "answers":
        assert answer["mode"]["answerer"] == "llm:scripted-model" and not answer["refused"]
    else:  # the fallback says what failed, with the echoed key masked
        assert "failed" in answer["mode"]["notice"] and "***" in answer["mode"]["notice"]
    out, err = capfd.readouterr()
    assert _no_secret(result.output, result.stderr, caplog.text, out, err)


def test_eval_outputs_never_hold_the_key(openai_server, corpus_components, tmp_path: Path) -> None:
    openai_server.script("文档中没有找到相关信息。")
    out = tmp_path / "eval-out"
    result = CliRunner().invoke(cli, [*_root(corpus_components.settings), "eval", "--limit", "2", "--out", str(out)],
                                env=_env(openai_server.base_url))
    assert result.exit_code == 0, result.output
    config = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    config = config.get("config", config)
    assert config["llm_api_key"] == "***" and config["auth"] == "***"
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {"metrics.json", "results.jsonl"} <= {p.name for p in files}
    assert not any(KEY.encode() in p.read_bytes() or PASSWORD.encode() in p.read_bytes() for p in files)
    assert _no_secret(result.output)


def test_the_chat_page_config_and_answers_never_hold_the_key_or_the_password(
    corpus_components, rejecting_llm: str, caplog
) -> None:
    import httpx
    from gradio_client import Client

    from rag.components import build_components
    from ui.app import create_app, launch_app

    caplog.set_level(logging.DEBUG)
    settings = corpus_components.settings.model_copy(update={
        "answerer": "openai", "llm_model": "scripted-model", "llm_base_url": rejecting_llm,
        "llm_api_key": SecretStr(KEY), "auth": SecretStr(f"alice:{PASSWORD}"), "port": free_port()})
    app = create_app(settings, build_components(settings, corpus_components.store))
    launch_app(app, settings, prevent_thread_lock=True, quiet=True)
    url = f"http://127.0.0.1:{settings.port}/"
    try:
        page = httpx.get(url, timeout=10).text
        anonymous = httpx.get(url + "config", timeout=10)
        client = Client(url, auth=("alice", PASSWORD), verbose=False, download_files=False,
                        analytics_enabled=False)
        answer = client.predict(QUESTION, [], api_name="/ask")
        logged_in = json.dumps(client.config, ensure_ascii=False)
        client.close()
    finally:
        app.close()
    assert anonymous.status_code == 401  # without the login the config (status, settings) is not served
    assert answer["mode"]["answerer"] == "extractive" and "***" in answer["mode"]["notice"]  # extractive fallback, key masked
    assert _EchoingRejector.seen and all(h == f"Bearer {KEY}" for h in _EchoingRejector.seen)
    assert "citeqa-status" in logged_in and "llm:scripted-model" in logged_in  # the status and settings are there
    assert _no_secret(page, anonymous.text, logged_in, json.dumps(answer, ensure_ascii=False), caplog.text)
