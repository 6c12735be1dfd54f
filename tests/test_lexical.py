"""BM25 over jieba tokens: tokenizer, search, the on-disk cache keyed by the store version."""

from __future__ import annotations

import json
from pathlib import Path

from rag.index.lexical import LexicalIndex, load_lexical, tokenize
from rag.index.store import ChunkStore, DocInfo
from rag.settings import Settings
from tests.test_store import DOC_A, DOC_B, sentence_chunks


def test_tokenize_chinese_words_numbers_and_english() -> None:
    tokens = tokenize("在 2019 年全球消耗的 1 050 亿公吨材料中，只有 9% 是通过再循环")
    assert {"全球", "消耗", "1050", "公吨", "材料", "循环", "再循环", "9"} <= set(tokens)
    assert not {"的", "是", "在", "，", "%", " "} & set(tokens)
    assert tokenize("Circular ECONOMY, the UN’s 1,050 tonnes") == [
        "circular",
        "economy",
        "un",
        "1050",
        "tonnes",
    ]
    assert tokenize("２０２３年ＵＮＥＰ") == ["2023", "年", "unep"]  # full-width digits and letters
    assert tokenize("。，、！？…… ") == []


def test_search_finds_the_sentence_and_skips_zero_scores() -> None:
    chunks = sentence_chunks(DOC_A, 30) + sentence_chunks(DOC_B, 30)
    index = LexicalIndex.build(chunks)
    target = next(c for c in chunks if "提名了超过 75 名联络人" in c.text)
    hits = index.search("会员国为工作组提名了多少名联络人？", 5)
    assert hits[0][0] == target and hits[0][1] > 0
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    rare = index.search("罗毕", 5)  # in one chunk only: the other four would score 0 and are left out
    assert [c.text for c, _ in rare] == [c.text for c in chunks if "罗毕" in c.text] and len(rare) == 1
    assert index.search("zzzz qqqq", 5) == []
    assert LexicalIndex.build([]).search("氮", 5) == []


def test_save_and_load_give_the_same_results(tmp_path: Path) -> None:
    chunks = sentence_chunks(DOC_A, 20, page=3)
    index = LexicalIndex.build(chunks)
    index.save(tmp_path / "bm25")
    again = LexicalIndex.load(tmp_path / "bm25")
    assert again.chunks == chunks
    for query in ("可持续氮管理", "循环经济 政策", "2023 年"):
        assert again.search(query, 5) == index.search(query, 5)


def _write(store: ChunkStore, docs: dict[str, int], copy: list[str] = ()) -> None:
    gen = store.begin("none", 1)
    gen.copy_docs(list(copy))
    for doc, n in docs.items():
        gen.add_document(DocInfo(doc, "t", "x", n), sentence_chunks(doc, n), [[1.0]] * n)
    store.activate(gen)


def test_load_lexical_caches_per_version_and_rebuilds_when_stale(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    cache = settings.index_dir / "bm25"
    assert load_lexical(store, cache).search("氮", 5) == []  # nothing indexed yet
    _write(store, {DOC_A: 10})
    first = load_lexical(store, cache)
    assert [p.name for p in cache.iterdir()] == [store.version()]
    marker = cache / store.version() / "meta.json"
    stamp = marker.stat().st_mtime_ns
    assert (
        load_lexical(store, cache).chunks == first.chunks and marker.stat().st_mtime_ns == stamp
    )  # cache hit
    _write(store, {DOC_B: 5}, copy=[DOC_A])
    second = load_lexical(store, cache)
    assert [p.name for p in cache.iterdir()] == [store.version()]  # stale cache replaced
    assert len(second.chunks) == 15 and second.search("循环经济", 3)[0][0].doc == DOC_B


def test_unreadable_or_old_cache_is_rebuilt(settings: Settings) -> None:
    store = ChunkStore.open(settings)
    _write(store, {DOC_A: 8})
    cache = settings.index_dir / "bm25"
    load_lexical(store, cache)
    meta = cache / store.version() / "meta.json"
    meta.write_text(json.dumps({"tokenizer": "an-older-tokenizer"}), encoding="utf-8")
    assert len(load_lexical(store, cache).chunks) == 8
    assert json.loads(meta.read_text(encoding="utf-8"))["tokenizer"] != "an-older-tokenizer"
    (cache / store.version() / "chunks.jsonl").write_text("{broken", encoding="utf-8")
    assert len(load_lexical(store, cache).chunks) == 8


def test_jieba_says_nothing_on_stderr_wherever_it_is_first_used(tmp_path: Path) -> None:
    import subprocess
    import sys

    # a fresh process (jieba's dictionary not yet loaded) whose first jieba use is outside the lexical index,
    # as the answer side's question analysis does; the cache dir is new so jieba builds its prefix dict
    code = ("import rag.index.lexical, jieba; jieba.dt.tmp_dir = sys.argv[1]; "
            "print(len(jieba.lcut('会员国提名了超过七十五名联络人')))")
    done = subprocess.run([sys.executable, "-c", "import sys; " + code, str(tmp_path)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) > 3 and done.stderr == ""
