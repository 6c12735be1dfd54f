"""The ask chain end to end (lexical-only, extractive): odd questions, refusals, follow-ups, a changing index."""

from __future__ import annotations

import json

import pytest

from ingest.run import ingest_paths
from rag.chain import ask, ask_stream
from rag.cite import REFUSAL
from rag.components import build_components
from rag.index.store import ChunkStore
from rag.quote import quote_of
from tests.answer_checks import answer_problems


@pytest.mark.parametrize("question", ["", "   \n\t", "？？！", "...", "【】"])
def test_empty_or_punctuation_only_question_is_asked_for_politely(corpus_components, question):
    answer = ask(question, corpus_components)
    assert answer.refused and answer.sentences == [] and answer.retrieved == []
    assert "请输入一个问题" in answer.answer and "Please type a question" in answer.answer


def test_too_long_question_is_refused_saying_so(corpus_components):
    limit = corpus_components.settings.max_question_chars
    answer = ask("氮" * (limit + 1), corpus_components)
    assert answer.refused and "太长" in answer.answer and str(limit) in answer.answer
    english = ask("nitrogen " * limit, corpus_components)
    assert english.refused and "too long" in english.answer


def test_answer_carries_mode_timings_and_numbered_passages(corpus_components):
    answer = ask("“一个地球”网络目前有多少个成员组织？", corpus_components, k=6)
    assert answer_problems(answer) == []
    assert not answer.refused and "5 800" in answer.answer
    assert [p.n for p in answer.retrieved] == list(range(1, 7))
    assert answer.mode == {"retrieval": "lexical", "label": "lexical-only (BM25)", "answerer": "extractive",
                           "notice": answer.mode["notice"]}
    assert "lexical-only" in answer.mode["notice"]
    assert set(answer.timings) == {"retrieve_s", "answer_s", "total_s"}
    assert answer.timings["total_s"] >= answer.timings["retrieve_s"] >= 0
    data = json.loads(json.dumps(answer.to_dict(), ensure_ascii=False))
    assert data["passages"][0]["doc"] == "003_eee71a5fe2a8738e.txt" and data["language"] == "zh"


def test_a_quoted_sentence_is_closed_and_found_verbatim_in_its_cited_span(corpus_components):
    from rag.sentences import squash

    answer = ask("环境署氮问题工作组的第三次会议是在哪里召开的？采用了什么会议形式？", corpus_components)
    assert answer_problems(answer) == [] and not answer.refused
    assert "非正式专家会议[1]。" in answer.answer and "；" not in answer.answer[-3:] and " [" not in answer.answer
    by_n = {p.n: p for p in answer.passages}
    for s in answer.sentences:
        chunk = by_n[s.citations[0]].chunk
        (a, b), = s.spans.values()  # the chat highlights exactly the quoted source span
        # the quote is that span, cleaned of its paragraph number and footnote marks
        assert squash(quote_of(chunk.text, a, b, chunk.notes).text) == squash(s.text)


def test_on_topic_question_whose_answer_is_absent_is_refused_with_passages_offered(corpus_components):
    answer = ask("COP29最终商定的新的集体量化气候融资目标具体是每年多少亿美元？", corpus_components)
    assert answer.refused and answer.answer.startswith(REFUSAL["zh"])
    assert answer.sentences == [] and 1 <= len(answer.passages) <= 3


def test_follow_up_carries_the_previous_question_into_retrieval(corpus_components):
    history = [{"role": "user", "content": "环境署的国际甲烷排放观测站在2024年前九个月通报了多少起甲烷泄漏？"},
               {"role": "assistant", "content": "通报了1066起泄漏事件。"}]
    answer = ask("这些警报促使哪些国家采取了行动？", corpus_components, history=history)
    assert answer.question == "这些警报促使哪些国家采取了行动？"
    assert "阿尔及利亚" in answer.answer and "尼日利亚" in answer.answer


def test_a_new_question_after_an_unrelated_one_is_answered_as_if_asked_alone(corpus_components):
    question = "《水俣公约》为什么以一座日本城市命名？"
    alone = ask(question, corpus_components)
    history = [{"role": "user", "content": "环境署的国际甲烷排放观测站在2024年前九个月通报了多少起甲烷泄漏？"},
               {"role": "assistant", "content": "通报了1066起泄漏事件。"}]
    after = ask(question, corpus_components, history=history)
    assert not alone.refused and "汞" in alone.answer
    assert after.answer == alone.answer and [p.chunk.id for p in after.passages] == [p.chunk.id for p in alone.passages]


def test_follow_up_whose_answer_is_absent_is_refused_not_answered_from_another_topic(corpus_components):
    history = [{"role": "user", "content": "环境署和联合国开发计划署在加沙做什么？"},
               {"role": "assistant", "content": "正在为加沙人民清理和管理约5000万吨废墟残渣提供技术支持[1]。"}]
    answer = ask("这个项目什么时候完成？", corpus_components, history=history)
    assert answer.refused and any("加沙" in p.chunk.text for p in answer.passages)


def test_a_fact_stated_in_a_footnote_is_quoted_and_cited_as_that_footnote(corpus_components):
    from rag.reference import cite_string

    answer = ask("截至2022年底，有多少个成员国报告了目标12.1.1下的政策？", corpus_components)
    assert not answer.refused and "62个成员国" in answer.answer
    cited = {answer.passages[n - 1].chunk for s in answer.sentences if "62" in s.text for n in s.citations}
    assert [c.kind for c in cited] == ["footnote"]
    assert cite_string(cited.pop(), "en") == "UNEP/EA.6/8, footnote 7"
    assert answer_problems(answer) == []


def test_stream_of_an_extractive_answer_is_the_final_answer(corpus_components):
    answers = list(ask_stream("“一个地球”网络目前有多少个成员组织？", corpus_components))
    assert len(answers) == 1 and not answers[0].refused and answers[0].sentences


def test_empty_index_says_to_ingest(settings):
    answer = ask("第三次会议在哪里举行？", build_components(settings))
    assert answer.refused and "citeqa ingest" in answer.answer


def test_components_follow_the_index_when_a_document_is_added(settings):
    store = ChunkStore.open(settings)
    ingest_paths(None, settings, store, None)
    components = build_components(settings, store)
    question = "蓝鲸保护试点项目在哪个岛屿开展？"
    assert ask(question, components).refused
    (settings.corpus_dir / "950_whales.txt").write_text(
        "蓝鲸保护试点项目\n\n1. 蓝鲸保护试点项目于 2024 年在马达加斯加岛开展，共标记了 12 头蓝鲸。\n", encoding="utf-8")
    ingest_paths(None, settings, store, None)
    answer = ask(question, components)
    assert not answer.refused and "马达加斯加" in answer.answer
    assert answer.passages[0].chunk.doc == "950_whales.txt"


WHALES = ("蓝鲸保护试点项目\n\n1. 蓝鲸保护试点项目于 2024 年在马达加斯加岛开展，共标记了 12 头蓝鲸。\n\n"
          "2. 珊瑚礁监测网络覆盖 30 个国家，由环境署与合作伙伴共同运营。\n")


def test_hybrid_mode_fuses_dense_and_lexical_rankings_and_says_so(settings, tiny_model_path, tmp_path):
    from rag.index.embed import load_embedder

    hybrid = settings.model_copy(update={"embed_model": str(tiny_model_path)})
    doc = tmp_path / "whales.txt"
    doc.write_text(WHALES, encoding="utf-8")
    store = ChunkStore.open(hybrid)
    ingest_paths([doc], hybrid, store, load_embedder(hybrid).embedder)
    components = build_components(hybrid, store)
    answer = ask("蓝鲸保护试点项目在哪个岛屿开展？", components)
    assert answer.mode["retrieval"] == "hybrid" and answer.mode["notice"] == ""
    assert "马达加斯加" in answer.answer
    assert all({"bm25", "dense", "rrf"} <= set(p.scores) for p in answer.retrieved if "bm25" in p.scores)
    assert any("dense" in p.scores for p in answer.retrieved)
    english = ask("Where was the blue whale pilot project carried out?", components)
    assert english.language == "en" and english.mode["retrieval"] == "hybrid"


def test_index_built_without_embeddings_is_searched_lexically_with_a_notice(settings, tiny_model_path, tmp_path):
    doc = tmp_path / "whales.txt"
    doc.write_text(WHALES, encoding="utf-8")
    store = ChunkStore.open(settings)
    ingest_paths([doc], settings, store, None)
    components = build_components(settings.model_copy(update={"embed_model": str(tiny_model_path)}), store)
    answer = ask("蓝鲸保护试点项目在哪个岛屿开展？", components)
    assert answer.mode["retrieval"] == "lexical" and "citeqa ingest" in answer.mode["notice"]
    assert "马达加斯加" in answer.answer


def test_reranker_reorders_the_top_candidates_by_cross_encoder_score(corpus_components, tiny_model_path):
    from rag.index.rerank import load_reranker
    from rag.index.retrieve import HybridRetriever

    settings = corpus_components.settings.model_copy(update={"rerank_model": str(tiny_model_path / "_hf"),
                                                             "rerank_top": 5})
    status = load_reranker(settings)  # a BERT folder: CrossEncoder adds an (untrained) scoring head
    assert status.reranker is not None and status.notice == ""
    c = corpus_components
    retriever = HybridRetriever(c.store, c.lexical, None, settings, status.reranker)
    passages = retriever.retrieve("环境署氮问题工作组的第三次会议是在哪里召开的？", 8, "zh")
    reranked = [p.scores["rerank"] for p in passages[:5]]
    assert reranked == sorted(reranked, reverse=True) and all("rerank" not in p.scores for p in passages[5:])
    assert [p.n for p in passages] == list(range(1, 9))


def test_unavailable_reranker_gives_a_notice_and_answers_go_on(corpus_components):
    settings = corpus_components.settings.model_copy(update={"rerank_model": "/nonexistent/reranker"})
    components = build_components(settings, corpus_components.store)
    assert any("Reranker" in n and "CITEQA_RERANK_MODEL" in n for n in components.notices)
    answer = ask("“一个地球”网络目前有多少个成员组织？", components)
    assert not answer.refused and "Reranker" in answer.mode["notice"]


def test_english_led_question_with_chinese_terms_gets_quoted_chinese_under_an_english_line(corpus_components):
    from rag.chain import ZH_QUOTE_NOTICE

    answer = ask("What does the 昆明生物多样性基金 fund?", corpus_components)
    assert answer.language == "mixed" and not answer.refused
    first_line, _, rest = answer.answer.partition("\n")
    assert first_line == ZH_QUOTE_NOTICE and "昆明生物多样性基金" in rest
    assert all(ZH_QUOTE_NOTICE not in s.text for s in answer.sentences)  # a notice, not a claim
