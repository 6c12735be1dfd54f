"""Embedder loading: local paths load and embed; names that cannot be had fall back to BM25 at once."""

from __future__ import annotations

import math
import shutil
import socket
import time
from pathlib import Path

import numpy as np
import pytest

from rag.index.embed import (
    BGE_ZH_INSTRUCTION,
    Embedder,
    family_prefixes,
    load_embedder,
)
from rag.index.hub import ModelUnavailable, hub_reachable, pull_model
from rag.settings import Settings


def test_local_model_path_loads_and_embeds_unit_vectors(settings: Settings, tiny_model_path: Path) -> None:
    settings.embed_model = str(tiny_model_path)
    status = load_embedder(settings)
    assert status.notice == ""
    embedder = status.embedder
    assert embedder is not None and embedder.dim == 64
    vectors = embedder.embed_documents(["可持续氮管理", "circular economy", "第三次会议于布加勒斯特举行"])
    assert len(vectors) == 3 and all(len(v) == 64 for v in vectors)
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, rel_tol=1e-4) for v in vectors)
    assert vectors[0] != vectors[1]


def test_token_vectors_are_unit_length_with_spans_in_the_text_as_given(
    settings: Settings, tiny_model_path: Path
) -> None:
    settings.embed_model = str(tiny_model_path)
    embedder = load_embedder(settings).embedder
    assert embedder is not None
    texts = ["第三次会议于布加勒斯特举行。", "The third meeting"]
    got = embedder.embed_tokens(texts)
    assert got is not None and len(got) == 2
    for text, tokens in zip(texts, got, strict=True):
        assert tokens.vectors.shape == (len(tokens.spans), 64) and len(tokens.spans) > 0
        assert np.allclose(np.linalg.norm(tokens.vectors.astype(np.float32), axis=1), 1.0, atol=1e-2)
        assert tokens.spans.min() >= 0 and tokens.spans.max() <= len(text)
    pieces = "".join(texts[0][a:b] for a, b in got[0].spans)
    assert pieces == texts[0]  # every character of a Chinese text belongs to one token, in order


def test_e5_named_model_gets_query_and_passage_prefixes(
    settings: Settings, tiny_model_path: Path, tmp_path: Path
) -> None:
    e5_dir = tmp_path / "multilingual-e5-tiny"
    shutil.copytree(tiny_model_path, e5_dir)
    settings.embed_model = str(e5_dir)
    embedder = load_embedder(settings).embedder
    assert embedder is not None
    assert (embedder.query_prefix, embedder.doc_prefix) == ("query: ", "passage: ")
    assert embedder.embed_query("氮") == pytest.approx(embedder.embed_batch(["query: 氮"])[0], abs=1e-6)
    assert embedder.embed_documents(["氮"])[0] == pytest.approx(
        embedder.embed_batch(["passage: 氮"])[0], abs=1e-6
    )
    assert embedder.embed_query("氮") != pytest.approx(embedder.embed_batch(["氮"])[0], abs=1e-6)
    assert "passage: " in embedder.id  # an index built with prefixed passages is told apart


def test_prefix_settings_override_the_family_default(
    settings: Settings, tiny_model_path: Path, tmp_path: Path
) -> None:
    e5_dir = tmp_path / "e5-small"
    shutil.copytree(tiny_model_path, e5_dir)
    settings.embed_model = str(e5_dir)
    settings.embed_query_prefix = "Q: "
    settings.embed_doc_prefix = ""
    embedder = load_embedder(settings).embedder
    assert embedder is not None and (embedder.query_prefix, embedder.doc_prefix) == ("Q: ", "")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("intfloat/multilingual-e5-large", ("query: ", "passage: ")),
        ("BAAI/bge-m3", ("", "")),
        ("BAAI/bge-large-zh-v1.5", (BGE_ZH_INSTRUCTION, "")),
        ("BAAI/bge-small-en-v1.5", ("Represent this sentence for searching relevant passages: ", "")),
        ("sentence-transformers/all-MiniLM-L6-v2", ("", "")),
        ("/models/bge-m3", ("", "")),
    ],
)
def test_model_family_prefixes(name: str, expected: tuple[str, str]) -> None:
    assert family_prefixes(name) == expected


def test_uncached_model_name_falls_back_to_lexical_at_once_with_the_fix(
    settings: Settings, tmp_path: Path
) -> None:
    settings.embed_model = "BAAI/bge-m3"
    settings.model_cache_dir = tmp_path / "empty-hf-cache"
    started = time.perf_counter()
    status = load_embedder(settings)
    elapsed = time.perf_counter() - started
    assert status.embedder is None
    assert "No embedding model 'BAAI/bge-m3'" in status.notice
    assert "not in the cache" in status.notice and "citeqa models pull" in status.notice
    assert "lexical-only (BM25)" in status.notice and "\n" not in status.notice
    assert elapsed < 5  # a hub client left to retry would take ~70 s


def test_unreachable_hub_without_offline_flag_falls_back_quickly(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # a user's machine: hub allowed ...
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # ... but not answering
    settings.embed_model = "BAAI/bge-m3"
    settings.model_cache_dir = tmp_path / "empty-hf-cache"
    started = time.perf_counter()
    status = load_embedder(settings)
    assert time.perf_counter() - started < 5
    assert status.embedder is None and "hub unreachable" in status.notice


def test_downloads_disabled_says_so(settings: Settings, tmp_path: Path) -> None:
    settings.embed_model = "intfloat/multilingual-e5-small"
    settings.model_cache_dir = tmp_path / "empty-hf-cache"
    settings.allow_download = False
    status = load_embedder(settings)
    assert status.embedder is None and "downloads disabled" in status.notice


def test_embeddings_off_is_lexical_with_a_notice(settings: Settings) -> None:
    status = load_embedder(settings)  # the fixture says embed_model="none"
    assert status.embedder is None and "lexical-only" in status.notice


def test_missing_local_path_and_broken_model_folder_do_not_raise(settings: Settings, tmp_path: Path) -> None:
    settings.embed_model = str(tmp_path / "no-such-model")
    status = load_embedder(settings)
    assert status.embedder is None and "no-such-model" in status.notice
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    settings.embed_model = str(broken)
    status = load_embedder(settings)
    assert status.embedder is None and "failed to load" in status.notice and "lexical-only" in status.notice


def test_hub_probe_is_quick_both_ways() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        assert hub_reachable(f"http://127.0.0.1:{port}", timeout=2)
    started = time.perf_counter()
    assert not hub_reachable(f"http://127.0.0.1:{port}", timeout=2)  # closed now: refused at once
    assert time.perf_counter() - started < 2.5


def test_pull_model_offline_raises_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="HF_HUB_OFFLINE"):
        pull_model("BAAI/bge-m3", tmp_path / "cache")


class Constant(Embedder):
    """The smallest real Embedder: proves the base class supplies prefixes and the id."""

    name, dim = "constant", 2
    query_prefix = "q:"

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        return [[1.0, 0.0] if t.startswith("q:") else [0.0, 1.0] for t in texts]


def test_embedder_subclass_needs_only_embed_batch() -> None:
    embedder = Constant()
    assert embedder.embed_query("x") == [1.0, 0.0]
    assert embedder.embed_documents(["x", "y"]) == [[0.0, 1.0], [0.0, 1.0]]
    assert embedder.id == "constant"


def test_the_configured_embedder_id_is_known_without_loading_and_matches_the_loaded_one(
    settings: Settings, tiny_model_path: Path, tmp_path: Path
) -> None:
    from rag.index.embed import LazyEmbedder, configured_embedder_id

    assert configured_embedder_id(settings) == "none"  # embeddings off
    e5_dir = tmp_path / "multilingual-e5-tiny"
    shutil.copytree(tiny_model_path, e5_dir)
    for model, doc_prefix in ((tiny_model_path, None), (e5_dir, None), (tiny_model_path, "passage: ")):
        settings.embed_model = str(model)
        settings.embed_doc_prefix = doc_prefix
        lazy = LazyEmbedder(settings)
        assert not lazy.loaded and lazy.notice == ""
        embedder = lazy.get()
        assert lazy.loaded and embedder is not None and lazy.id == embedder.id
    settings.embed_model = "BAAI/bge-small-zh-v1.5"  # a hub name, not cached: id all the same, nothing fetched
    settings.embed_doc_prefix = None
    assert configured_embedder_id(settings) == "BAAI/bge-small-zh-v1.5"


def test_queries_and_documents_embed_the_same_from_many_threads_at_once(settings: Settings,
                                                                         tiny_model_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    settings.embed_model = str(tiny_model_path)
    embedder = load_embedder(settings).embedder
    assert embedder is not None
    questions = [f"第{i}次会议在哪里举行？" for i in range(12)]
    sentences = [["可持续氮管理", f"第{i}次会议于布加勒斯特举行"] for i in range(12)]
    alone = [(embedder.embed_query(q), embedder.embed_documents(s)) for q, s in zip(questions, sentences, strict=True)]
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(lambda qs: (embedder.embed_query(qs[0]), embedder.embed_documents(qs[1])),
                                 zip(questions * 3, sentences * 3, strict=True)))
    for (q1, d1), (q2, d2) in zip(alone * 3, together, strict=True):
        assert q1 == pytest.approx(q2, abs=1e-5) and all(a == pytest.approx(b, abs=1e-5) for a, b in zip(d1, d2, strict=True))
