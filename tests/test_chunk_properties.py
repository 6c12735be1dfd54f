"""Properties every segmentation and every chunking must have, on arbitrary text and on the seeds:

* nothing crashes;
* a chunk's text equals its raw span once whitespace is removed from both;
* no non-whitespace character of the raw text is lost: each lies in a chunk, a heading or a dropped span.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunk import chunk_document, split_text
from ingest.clean import squeeze
from ingest.load import Document, load_document
from ingest.segment import segment
from tests.conftest import CORPUS

# Pieces of text shaped like what PDF extraction produces, mixed with anything at all.
FRAGMENTS = [
    "1. 环境署氮问题工作组于",
    "2023 年 4 月 27 日在布加勒斯",
    "特以混合形式举行。",
    "(a) 审议备选方案；",
    "一、 导言 ",
    "A. 联合国环境规划署氮问题工作组 ",
    "## 二、结论",
    "### A. 实现可持续消费和生产",
    " ",
    "",
    "1 www.unep.org/nitrogen-management-WG。",
    "3 https://wedocs.unep.org/20.500.11822/44579。",
    "https://www.unep.org/nitrogen-management-WG",
    "<sup>2</sup> UNEP/EA.6/INF/9。",
    "\\* UNEP/EA.6/1。",
    "* UNEP/EA.6/1。",
    "UNEP/EA.6/4 ",
    "7 ",
    "5550亿",
    "美元",
    "摄影： 环境署",
    "The quick brown fox jumps over the lazy dog. It was not amused!",
    "Mr. Smith paid $5.50 for 3.5 kg, i.e. a lot",
    "联合国环境署（UNEP）是全球和人类健康的积极倡导者。近50年来，联",
    "合国环境规划署提供了科学知识，帮助全世界了解",
    "---",
    "- bullet item",
    "12",
    "\t\x0b\x0c\r",
    "污 染 挑 战 进 行 了",
    "“脱钩”",
    # titles of annual reports: stacked, wrapped, glued to the text, after a page's text
    "气候行动",
    " 气候行动",
    "自然行动 环境署加大了对各国实施《昆蒙框架》的支持力度。这是",
    "塑料污染谈判取",
    "得进展",
    "什么是联合国",
    "环境大会？",
    "二、方法",
    "3000",
    "英格·安德森 (Inger Andersen)",
]

texts = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=60).map("\n".join),
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=80).map("\n".join),
    st.text(alphabet="环境署。，；！? .a1\n \u3000", max_size=3000),
)


def _doc(raw: str, name: str = "x.txt", pages: list[tuple[int, int, int]] | None = None) -> Document:
    return Document(doc=name, path=Path(name), raw=raw, sha256="0" * 64, pages=pages)


def assert_chunks_true_to_the_source(document: Document, chunk_size: int) -> None:
    raw = document.raw
    seg = segment(document)
    chunks = chunk_document(document, "title", chunk_size)
    for para in seg.paragraphs:
        assert squeeze(raw[para.start : para.end]) == squeeze(para.text)
    for chunk in chunks:
        assert 0 <= chunk.char_start < chunk.char_end <= len(raw)
        assert squeeze(raw[chunk.char_start : chunk.char_end]) == squeeze(chunk.text), chunk
        assert chunk.text == chunk.text.strip() and chunk.text
    covered = bytearray(len(raw))
    spans = (
        [(c.char_start, c.char_end) for c in chunks]
        + [h[:2] for h in seg.headings]
        + [d[:2] for d in seg.dropped]
    )
    for start, end in spans:
        covered[start:end] = b"\x01" * (end - start)
    lost = [i for i, ch in enumerate(raw) if not ch.isspace() and not covered[i]]
    assert not lost, f"lost characters at {lost[:5]}: {[raw[i] for i in lost[:5]]}"
    assert len({c.id for c in chunks}) == len(chunks)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=texts, chunk_size=st.integers(min_value=20, max_value=600))
def test_arbitrary_text_is_segmented_and_chunked_without_loss(raw: str, chunk_size: int):
    assert_chunks_true_to_the_source(_doc(raw), chunk_size)


@settings(max_examples=60, deadline=None)
@given(
    pages=st.lists(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("\n".join), min_size=1, max_size=6)
)
def test_pdf_like_pages_are_chunked_without_loss_and_get_page_numbers(pages: list[str]):
    from ingest.load import join_pages

    raw, offsets = join_pages(pages)
    document = _doc(raw, "x.pdf", offsets)
    assert_chunks_true_to_the_source(document, 120)
    for chunk in chunk_document(document, "t", 120):
        (page,) = [no for no, start, end in offsets if start <= chunk.char_start < end]
        assert chunk.page == page


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.txt")))
@pytest.mark.parametrize("chunk_size", [60, 400])
def test_seed_documents_are_chunked_without_loss(name: str, chunk_size: int):
    assert_chunks_true_to_the_source(load_document(CORPUS / name), chunk_size)


def test_short_paragraph_is_one_chunk_with_its_metadata():
    raw = (
        "一、导言\n\n1. 工作组于 2023 年举行了第一次会议。\n\n2. 工作组分享了现有信息。这是第二句，说明了计划。\n\n"
        "3. 环境大会不妨邀请各国政府支持这项工作。\n"
    )
    chunks = chunk_document(_doc(raw), "标题", 400)
    assert [(c.paragraph, c.part, c.numbered, c.section, c.title) for c in chunks] == [
        (1, 0, True, "一、导言", "标题"),
        (2, 0, True, "一、导言", "标题"),
        (3, 0, True, "一、导言", "标题"),
    ]
    assert chunks[1].text == "2. 工作组分享了现有信息。这是第二句，说明了计划。" and chunks[1].page is None


def test_chunk_ids_are_stable_and_depend_on_the_text():
    document = _doc("1. 第一段。\n\n2. 第二段。\n\n3. 第三段。\n")
    first = [c.id for c in chunk_document(document, "t")]
    assert first == [c.id for c in chunk_document(document, "t")]
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in first)
    changed = _doc("1. 第一段。\n\n2. 第二段!\n\n3. 第三段。\n")
    assert [c.id for c in chunk_document(changed, "t")][1] != first[1]


def test_long_paragraph_is_split_between_sentences_near_the_chunk_size():
    sentences = [f"第{i}句讲的是环境署在第{i}个国家开展的工作，内容较长一些以便测试。" for i in range(30)]
    text = "".join(sentences)
    pieces = [text[s:e] for s, e in split_text(text, 100)]
    assert "".join(pieces) == text
    assert all(p.endswith("。") for p in pieces)
    assert all(len(p) <= 100 for p in pieces) and len(pieces) >= len(text) // 100


def test_semicolons_are_used_only_when_a_sentence_is_too_long():
    clause = "回收和再利用水和养分以及其他各种资源"
    text = "；".join([clause] * 12) + "。短句。"
    pieces = [text[s:e] for s, e in split_text(text, 60)]
    assert "".join(pieces) == text
    assert all(p.endswith(("；", "。")) for p in pieces)


def test_commas_only_inside_a_sentence_longer_than_twice_the_chunk_size():
    text = "，".join(["环境署支持各国制定国家行动计划"] * 20) + "。"
    pieces = [text[s:e] for s, e in split_text(text, 50)]
    assert "".join(pieces) == text and len(pieces) > 1
    assert all(p.endswith(("，", "。")) for p in pieces)
    assert split_text(text[:90] + "。", 50) == [(0, 91)]  # under 2× chunk_size: kept whole


def test_text_without_punctuation_is_never_cut_inside_a_word():
    text = " ".join(["sustainable", "nitrogen", "management", "2023.5"] * 40)
    pieces = [text[s:e] for s, e in split_text(text, 50)]
    words = set(text.split())
    assert all(set(p.split()) <= words for p in pieces)
    assert squeeze("".join(pieces)) == squeeze(text)
