"""``citeqa load``: how a running ``citeqa chat`` holds up under concurrent users.

C clients (one ``gradio_client.Client`` each, in its own thread) ask Q questions each through the ``/ask``
endpoint — dev-set questions, cycled, each client starting at a different one — and every answer is timed
and checked (``answer_json_problems``). Bounded in count (C × Q) and in time: a total deadline after which
the run stops by itself (requests still in flight count as errors). Loopback URLs only: this is a
measuring tool for your own machine, never a way to load someone else's server.

``citeqa load`` (``ui/cli_load.py``) starts the chat itself when given no ``--url``. Results: a table
(``load_table``) and JSON.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from eval.metrics import percentile

Say = Callable[[str], None]


class LoadError(RuntimeError):
    """The load run cannot start; the message says what to do."""


def check_loopback_url(url: str) -> str:
    """``url`` normalised (trailing slash), or LoadError when its host is not this machine's loopback."""
    parsed = urlparse(url if "://" in url else f"http://{url}")
    host = (parsed.hostname or "").lower()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parsed.scheme not in ("http", "https") or not loopback:
        raise LoadError(f"Refusing to load-test {url!r}: only loopback URLs (http://127.0.0.1:PORT/, "
                        "http://localhost:PORT/, http://[::1]:PORT/) — run the load from the machine serving the chat")
    return parsed._replace(netloc=parsed.netloc.rpartition("@")[2]).geturl().rstrip("/") + "/"  # no user:pass@


def answer_json_problems(answer: Any, doc_lengths: dict[str, int] | None = None) -> list[str]:
    """What is wrong with an ``Answer.to_dict()`` as served (empty when well formed): the refused flag is a
    bool; every sentence's citations point to a passage in ``passages``; with ``doc_lengths`` (raw length
    per document), every passage's span lies inside its document."""
    if not isinstance(answer, dict):
        return [f"not a JSON object: {type(answer).__name__}"]
    problems = []
    if not isinstance(answer.get("refused"), bool):
        problems.append(f"refused is {answer.get('refused')!r}, not a bool")
    if not isinstance(answer.get("answer"), str) or not answer["answer"].strip():
        problems.append("empty answer text")
    passages = answer.get("passages") or []
    shown = {p.get("n") for p in passages}
    for s in answer.get("sentences") or []:
        missing = [n for n in s.get("citations", []) if n not in shown]
        if missing or not s.get("citations"):
            problems.append(f"sentence {s.get('text', '')[:40]!r} cites {s.get('citations')}, passages are {sorted(shown)}")
    if answer.get("refused") is False and not answer.get("sentences"):
        problems.append("an answer without cited sentences")
    for p in passages + list(answer.get("retrieved") or []):
        start, end = p.get("char_start"), p.get("char_end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            problems.append(f"passage {p.get('n')} has span {start}–{end}")
        elif doc_lengths is not None and end > doc_lengths.get(p.get("doc"), -1):
            problems.append(f"passage {p.get('n')} span {start}–{end} outside {p.get('doc')}")
    return problems


@dataclass
class LevelResult:
    clients: int
    per_client: int
    requests: int = 0  # sent
    answers: int = 0  # well-formed answers received
    errors: int = 0  # exceptions, time-outs and malformed answers
    refused: int = 0
    seconds: float = 0.0  # wall time of the level
    throughput: float = 0.0  # answers per second
    p50_s: float | None = None
    p95_s: float | None = None
    max_s: float | None = None
    server_p50_s: float | None = None  # the chain's own total_s: the rest of the latency is queueing + transport
    stopped_by_deadline: bool = False
    error_samples: list[str] = field(default_factory=list)


def _client(url: str, auth: tuple[str, str] | None) -> Any:
    from gradio_client import Client

    return Client(url, auth=auth, verbose=False, download_files=False, analytics_enabled=False)


def run_level(url: str, questions: Sequence[tuple[str, list[dict[str, str]]]], clients: int, per_client: int,
              deadline: float, *, auth: tuple[str, str] | None = None, timeout_s: float = 120.0,
              doc_lengths: dict[str, int] | None = None,
              on_answer: Callable[[str, dict[str, Any]], None] | None = None) -> LevelResult:
    """``clients`` threads × ``per_client`` questions against ``url``; stops at ``deadline`` (a
    ``time.monotonic()`` value). Each client gets its own connection, made before the clock starts.
    ``on_answer(question, answer)`` sees every answer received (from the client threads)."""
    result = LevelResult(clients, per_client)
    if not questions or clients < 1 or per_client < 1:
        return result
    lock = threading.Lock()
    latencies: list[float] = []
    server: list[float] = []
    conns = [_client(url, auth) for _ in range(clients)]
    start = threading.Barrier(clients + 1)

    def record(error: str | None, latency: float = 0.0, answer: dict[str, Any] | None = None) -> None:
        with lock:
            result.requests += 1
            if error is not None:
                result.errors += 1
                if len(result.error_samples) < 5 and error not in result.error_samples:
                    result.error_samples.append(error)
                return
            assert answer is not None
            result.answers += 1
            result.refused += bool(answer.get("refused"))
            latencies.append(latency)
            server.append(float((answer.get("timings") or {}).get("total_s", 0.0)))

    def worker(i: int) -> None:
        conn = conns[i]
        start.wait()
        for j in range(per_client):
            left = deadline - time.monotonic()
            if left <= 0:
                with lock:
                    result.stopped_by_deadline = True
                return
            question, history = questions[(i * 7 + j) % len(questions)]  # clients start at different questions
            t0 = time.perf_counter()
            job = None
            try:
                job = conn.submit(question, history, api_name="/ask")
                answer = job.result(timeout=min(left, timeout_s))
            except Exception as exc:  # a time-out, an app error, a dropped connection: counted, not raised
                if job is not None:
                    job.cancel()
                record(f"{type(exc).__name__}: {str(exc)[:200]}")
                continue
            if on_answer is not None:
                on_answer(question, answer)
            problems = answer_json_problems(answer, doc_lengths)
            if problems:
                record(f"malformed answer to {question[:30]!r}: {problems[0]}")
            else:
                record(None, time.perf_counter() - t0, answer)

    threads = [threading.Thread(target=worker, args=(i,), name=f"load-client-{i}", daemon=True)
               for i in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()) + timeout_s)
    result.seconds = time.perf_counter() - t0
    for conn in conns:
        try:
            conn.close()
        except Exception:  # closing is best effort
            pass
    result.throughput = result.answers / result.seconds if result.seconds else 0.0
    result.p50_s, result.p95_s = percentile(latencies, 50), percentile(latencies, 95)
    result.max_s = max(latencies) if latencies else None
    result.server_p50_s = percentile(server, 50)
    return result


def dev_questions(path: Path | None = None) -> list[tuple[str, list[dict[str, str]]]]:
    """(question, history as JSON messages) for every item of the eval set (default: the dev set)."""
    from eval.sets import default_eval_path, load_eval_set

    items = load_eval_set(path or default_eval_path())[0]
    return [(it.question, [{"role": t.role, "content": t.content} for t in it.history]) for it in items]


def doc_lengths_of(corpus_dir: Path) -> dict[str, int]:
    """Raw length of each corpus document as loaded (the frame of ``char_start``/``char_end``)."""
    from ingest.load import LoadError as DocLoadError
    from ingest.load import iter_corpus_files, load_document

    out: dict[str, int] = {}
    for path in iter_corpus_files([Path(corpus_dir)]):
        try:
            out[Path(path).name] = len(load_document(Path(path)).raw)
        except DocLoadError:
            continue
    return out


def run_load(url: str, levels: Sequence[int], per_client: int, deadline_s: float, *,
             questions: Sequence[tuple[str, list[dict[str, str]]]] | None = None, auth: tuple[str, str] | None = None,
             timeout_s: float = 120.0, doc_lengths: dict[str, int] | None = None,
             say: Say | None = None) -> dict[str, Any]:
    """Every concurrency level in turn against ``url`` within one total deadline; the JSON-ready result."""
    url = check_loopback_url(url)
    questions = list(questions) if questions is not None else dev_questions()
    deadline = time.monotonic() + deadline_s
    warm = run_level(url, questions[:1], 1, 1, deadline, auth=auth, timeout_s=timeout_s)  # lazy loads; not counted
    if warm.errors:
        raise LoadError(f"The chat at {url} does not answer /ask: {warm.error_samples[0]}")
    results: list[LevelResult] = []
    for clients in levels:
        if time.monotonic() >= deadline:
            results.append(LevelResult(clients, per_client, stopped_by_deadline=True))
            continue
        if say:
            say(f"{clients} client(s) × {per_client} question(s)")
        results.append(run_level(url, questions, clients, per_client, deadline, auth=auth, timeout_s=timeout_s,
                                 doc_lengths=doc_lengths))
    return {"url": url, "questions": len(questions), "per_client": per_client, "deadline_s": deadline_s,
            "levels": [asdict(r) for r in results]}


def load_table(result: dict[str, Any]) -> Any:
    """The rich table of a ``run_load`` result."""
    from rich.table import Table

    def sec(v: float | None) -> str:
        return "—" if v is None else f"{v:.2f}"

    table = Table(title=f"citeqa load ({result['url']}, {result['per_client']} questions per client)")
    for col in ("clients", "requests", "answers", "errors", "answers/s", "p50 s", "p95 s", "max s", "server p50 s"):
        table.add_column(col, justify="right")
    for r in result["levels"]:
        errors = str(r["errors"]) + (" (deadline)" if r["stopped_by_deadline"] else "")
        table.add_row(str(r["clients"]), str(r["requests"]), str(r["answers"]), errors, f"{r['throughput']:.2f}",
                      sec(r["p50_s"]), sec(r["p95_s"]), sec(r["max_s"]), sec(r["server_p50_s"]))
    return table
