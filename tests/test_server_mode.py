"""Server mode: with `chroma_url` set, citeqa keeps its index in a Chroma server (a real `chroma run`), app
instances are stateless (each derives its BM25 index from the server's collection) and can run side by side,
and a server that goes away is one clear line — then citeqa recovers once it is back, without a restart."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rag.settings import Settings
from tests.answer_checks import answer_problems, cited_docs
from tests.fixtures.chroma_server import ChromaServer

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[1]
DEV = [json.loads(line) for line in (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
       if line.strip()]
ZH_QUESTION = next(d for d in DEV if d["id"] == "A-dev-001")  # 第三次会议在哪里召开 → 000_…txt
NEW_DOC = "900_server_mode_note.txt"
NEW_TEXT = (
    "关于蓝湾珊瑚保护研讨会的说明\n\n"
    "1. 第七届蓝湾珊瑚保护研讨会于 2031 年 5 月 12 日在青岛举行，来自 28 个国家的代表出席了研讨会。\n\n"
    "2. 研讨会通过了《蓝湾珊瑚礁恢复路线图》，提出到 2035 年恢复 300 公顷珊瑚礁。\n"
)
NEW_QUESTION = "第七届蓝湾珊瑚保护研讨会在哪里举行？"


def served(settings: Settings, server: ChromaServer, prefix: str, index_dir: Path | None = None) -> Settings:
    """These settings pointed at the server, under their own collection prefix (tests stay independent)."""
    return settings.model_copy(update={"chroma_url": server.url, "collection": prefix,
                                       "index_dir": index_dir or settings.index_dir})


def ingest_corpus(settings: Settings) -> object:
    from ingest.run import ingest_paths
    from rag.index.store import ChunkStore

    report = ingest_paths(None, settings, ChunkStore.open(settings), None)
    assert report.documents == 4 and not report.skipped, report
    return report


def assert_cited_answer(answer: object, doc: str) -> None:
    assert answer_problems(answer) == []
    assert not answer.refused, answer.answer
    assert doc in cited_docs(answer), (answer.answer, cited_docs(answer))


def test_ingest_and_ask_go_through_the_server_and_nothing_is_stored_locally(
        settings: Settings, chroma_server: ChromaServer) -> None:
    from rag.chain import ask
    from rag.components import build_components

    s = served(settings, chroma_server, "solo")
    report = ingest_corpus(s)
    answer = ask(ZH_QUESTION["question"], build_components(s))
    assert_cited_answer(answer, ZH_QUESTION["doc"])
    assert "布加勒斯特" in answer.answer
    assert not (Path(s.index_dir) / "chroma").exists()  # the embedded store was never opened
    assert (Path(s.index_dir) / "bm25" / report.version / "meta.json").exists()  # only the derived BM25 cache


def test_a_second_instance_with_its_own_cache_sees_the_same_documents_and_answers(
        settings: Settings, chroma_server: ChromaServer, tmp_path: Path) -> None:
    from rag.chain import ask
    from rag.components import build_components

    one = served(settings, chroma_server, "pair", tmp_path / "instance-1")
    two = served(settings, chroma_server, "pair", tmp_path / "instance-2")
    ingest_corpus(one)
    c1, c2 = build_components(one), build_components(two)
    assert c2.store.documents() == c1.store.documents() and len(c2.store.documents()) == 4
    assert [c.id for c in c2.lexical.chunks] == [c.id for c in c1.lexical.chunks]
    assert (tmp_path / "instance-2" / "bm25" / c2.version / "meta.json").exists()  # built from the server
    a1, a2 = ask(ZH_QUESTION["question"], c1), ask(ZH_QUESTION["question"], c2)
    assert_cited_answer(a2, ZH_QUESTION["doc"])
    assert a2.answer == a1.answer and [p.chunk.id for p in a2.passages] == [p.chunk.id for p in a1.passages]


def test_a_re_ingest_by_one_instance_is_served_by_the_other_without_a_restart(
        settings: Settings, chroma_server: ChromaServer, tmp_path: Path) -> None:
    from ingest.run import ingest_paths
    from rag.chain import ask
    from rag.components import build_components

    one = served(settings, chroma_server, "follow", tmp_path / "instance-1")
    two = served(settings, chroma_server, "follow", tmp_path / "instance-2")
    ingest_corpus(one)
    c1, c2 = build_components(one), build_components(two)
    before = c2.version
    assert NEW_DOC not in cited_docs(ask(NEW_QUESTION, c2))
    extra = tmp_path / "extra" / NEW_DOC
    extra.parent.mkdir()
    extra.write_text(NEW_TEXT, encoding="utf-8")
    report = ingest_paths([extra], one, c1.store, None)  # instance 1 adds a document
    assert report.added == [NEW_DOC] and report.version != before
    answer = ask(NEW_QUESTION, c2)  # instance 2 notices the new version on its next question
    assert c2.version == report.version and NEW_DOC in {c.doc for c in c2.lexical.chunks}
    assert_cited_answer(answer, NEW_DOC)
    assert "青岛" in answer.answer
    assert_cited_answer(ask(ZH_QUESTION["question"], c2), ZH_QUESTION["doc"])  # the old documents still answer


def test_hybrid_retrieval_searches_the_vectors_kept_by_the_server(
        settings: Settings, chroma_server: ChromaServer, tiny_model_path: Path) -> None:
    from ingest.run import ingest_paths
    from rag.chain import ask
    from rag.components import build_components
    from rag.index.embed import load_embedder
    from rag.index.store import ChunkStore

    s = served(settings, chroma_server, "dense").model_copy(update={"embed_model": str(tiny_model_path)})
    report = ingest_paths(None, s, ChunkStore.open(s), load_embedder(s).embedder)
    assert report.mode == "hybrid" and report.documents == 4
    components = build_components(s)
    assert components.mode == "hybrid" and components.store.dim() == 64
    answer = ask(ZH_QUESTION["question"], components)
    assert answer.mode["retrieval"] == "hybrid" and any("dense" in p.scores for p in answer.retrieved)
    assert_cited_answer(answer, ZH_QUESTION["doc"])


def test_eval_and_the_chat_backend_run_unchanged_against_the_server(
        settings: Settings, chroma_server: ChromaServer, tmp_path: Path) -> None:
    from eval.harness import evaluate
    from rag.components import build_components
    from ui.backend import Backend

    s = served(settings, chroma_server, "evalchat")
    outcome = evaluate(s, out_dir=tmp_path / "eval-out", limit=4)  # ingests the empty index first
    assert "ingested" in " ".join(outcome.run.notices) and outcome.config["chunks"] > 0
    assert [r.error for r in outcome.run.results] == [""] * 4
    assert (tmp_path / "eval-out" / "metrics.json").exists()
    backend = Backend(s, build_components(s))
    assert backend.status().documents == 4 and len(backend.document_rows()) == 4
    assert_cited_answer(backend.ask(ZH_QUESTION["question"]), ZH_QUESTION["doc"])


# ---------------------------------------------------------------------------------------- server goes away
CLI_ENV = {"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1", "COLUMNS": "200"}


def cli_ask(s: Settings, question: str) -> object:
    from ui.cli import app

    args = ["--index-dir", str(s.index_dir), "--corpus-dir", str(s.corpus_dir), "--chroma-url", str(s.chroma_url),
            "--embed-model", "none", "ask", question]
    return CliRunner().invoke(app, args, env={**CLI_ENV, "CITEQA_COLLECTION": s.collection})


@pytest.mark.slow
def test_a_server_that_goes_away_is_one_clear_line_and_citeqa_recovers_when_it_is_back(
        settings: Settings, chroma_server: ChromaServer) -> None:
    from rag.chain import ask
    from rag.components import build_components
    from rag.index.store import StoreUnavailable

    s = served(settings, chroma_server, "away")
    ingest_corpus(s)
    components = build_components(s)
    assert_cited_answer(ask(ZH_QUESTION["question"], components), ZH_QUESTION["doc"])
    chroma_server.stop()
    try:
        started = time.perf_counter()
        with pytest.raises(StoreUnavailable) as info:  # the chain raises; the CLI and the UI show the message
            ask(ZH_QUESTION["question"], components)
        assert time.perf_counter() - started < 5
        message = str(info.value)
        assert chroma_server.url in message and "chroma run" in message and "CITEQA_CHROMA_URL" in message
        assert "\n" not in message
        result = cli_ask(s, ZH_QUESTION["question"])
        assert result.exit_code == 1, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert "Traceback" not in result.output and chroma_server.url in result.output
        assert "chroma run" in result.output and len(lines) <= 3, result.output  # one message (wrapped at most)
    finally:
        chroma_server.start()  # same port, same data folder
    answer = ask(ZH_QUESTION["question"], components)  # same components: no restart of citeqa
    assert_cited_answer(answer, ZH_QUESTION["doc"])
    result = cli_ask(s, ZH_QUESTION["question"])
    assert result.exit_code == 0 and "布加勒斯特" in result.output, result.output


@pytest.mark.slow
def test_a_server_that_hangs_is_a_clear_error_within_the_timeout_not_a_hung_question(
        settings: Settings, chroma_server: ChromaServer) -> None:
    import signal

    from rag.chain import ask
    from rag.components import build_components
    from rag.index.store import StoreUnavailable

    s = served(settings, chroma_server, "hang").model_copy(update={"chroma_timeout_s": 2.0})
    ingest_corpus(s)
    components = build_components(s)
    assert_cited_answer(ask(ZH_QUESTION["question"], components), ZH_QUESTION["doc"])
    assert chroma_server.process is not None
    chroma_server.process.send_signal(signal.SIGSTOP)  # alive, listening, never answering
    try:
        started = time.perf_counter()
        with pytest.raises(StoreUnavailable) as info:
            ask(ZH_QUESTION["question"], components)
        assert time.perf_counter() - started < 10
        assert chroma_server.url in str(info.value)
    finally:
        chroma_server.process.send_signal(signal.SIGCONT)
    assert_cited_answer(ask(ZH_QUESTION["question"], components), ZH_QUESTION["doc"])
