"""The chat's adapter over the core, with a real index: streaming, the Settings choices, uploads."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.settings import Settings
from ui.backend import Backend
from ui.render import render_answer

NITROGEN = "000_7b030ac21b7d218f.txt"
QUESTION = "环境署氮问题工作组的第三次会议是在哪里召开的？采用了什么会议形式？"


def backend_for(settings: Settings) -> Backend:
    from ingest.run import ingest_paths
    from rag.components import build_components
    from rag.index.store import ChunkStore

    store = ChunkStore.open(settings)
    ingest_paths([settings.corpus_dir / NITROGEN], settings, store, None)
    return Backend(settings, build_components(settings, store))


@pytest.fixture
def llm_settings(settings: Settings, openai_server) -> Settings:
    settings.answerer = "openai"
    settings.llm_model = "scripted"
    settings.llm_base_url = openai_server.base_url
    settings.llm_api_key = "test-key"
    return settings


def test_an_llm_answer_streams_as_unlinked_drafts_then_arrives_checked_with_links(llm_settings, openai_server):
    openai_server.script("第三次会议于 2023 年 4 月 27 日在布加勒斯特以混合形式举行[1][2][3][4]。")
    backend = backend_for(llm_settings)
    assert backend.answerer_choices() == ["llm:scripted", "extractive"]
    answers = list(backend.ask_stream(QUESTION))
    *drafts, final = answers
    assert len(drafts) >= 2 and all(not d.passages for d in drafts)
    assert all('class="cite"' not in render_answer(d, 0, final=False) for d in drafts)
    assert not final.refused and final.mode["answerer"] == "llm:scripted"
    assert 'class="cite"' in render_answer(final, 0) and "布加勒斯特" in final.answer


def test_picking_the_extractive_answerer_in_settings_answers_without_the_llm(llm_settings, openai_server):
    backend = backend_for(llm_settings)
    calls = len(openai_server.requests)
    final = list(backend.ask_stream(QUESTION, answerer="extractive", k=5))[-1]
    assert final.mode["answerer"] == "extractive" and not final.refused
    assert len(final.retrieved) == 5
    assert len(openai_server.requests) == calls  # the LLM was not asked
    assert backend.components.answerer.name == "llm:scripted"  # the shared components are untouched


def test_an_uploaded_text_is_retrieved_at_once_and_its_context_comes_from_the_store(settings, tmp_path: Path):
    backend = backend_for(settings)
    before = {d.doc for d in backend.components.store.documents()}
    src = tmp_path / "upload.txt"
    src.write_text("青藏高原湿地保护\n\n1. 2024 年，青藏高原湿地监测站共记录到黑颈鹤 1 234 只。\n\n"
                   "2. 监测站位于玛多县。\n", encoding="utf-8")
    result = backend.upload([(src, "../湿地报告.txt")])
    assert result.added == ["湿地报告.txt"] and not result.rejected
    assert {d.doc for d in backend.components.store.documents()} == before | {"湿地报告.txt"}
    answer = backend.ask("青藏高原湿地监测站记录到多少只黑颈鹤？")
    assert answer.retrieved[0].chunk.doc == "湿地报告.txt"  # no restart: the BM25 index followed the store
    assert answer.passages[0].chunk.doc == "湿地报告.txt"  # cited, or offered for checking
    context = backend.contexts(answer)[answer.passages[0].chunk.id]
    assert "黑颈鹤" in context.paragraph and any("玛多县" in c.text for c in context.after)
    assert backend.status().documents == len(before) + 1


def test_a_bad_upload_is_rejected_with_its_reason_and_leaves_corpus_and_index_alone(settings, tmp_path: Path):
    backend = backend_for(settings)
    version, docs = backend.components.store.version(), backend.document_rows()
    files = sorted(p.name for p in settings.corpus_dir.iterdir())
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.4\ngarbage that is no pdf at all\n")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    result = backend.upload([(bad, "scan.pdf"), (exe, "tool.exe")])
    assert [name for name, _ in result.rejected] == ["tool.exe", "scan.pdf"]
    assert all(reason for _, reason in result.rejected) and not result.added
    assert backend.components.store.version() == version and backend.document_rows() == docs
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == files
