"""The answer engine's parts on hand-made cases: question parsing, candidates, feature shapes, the choice
of sentences from scores, and the error for a missing model."""

from __future__ import annotations

import numpy as np
import pytest

from rag.answering.candidates import candidates, passage_candidates
from rag.answering.constraints import Unmet
from rag.answering.extractive import ExtractiveAnswerer, choose, sentences_of
from rag.answering.features import CANDIDATE_FEATURES, candidate_features, kind_shown, retriever_shares
from rag.answering.model import AnswerModel, ModelMissing, PartRanking, Ranking, agreed, sigmoid
from rag.answering.question import content, parse_question
from rag.answering.signals import TermWeights, Vectors, alignment, coverage, span_rows
from rag.index.embed import TokenVectors
from rag.params import AnswerParams
from rag.sentences import squash
from rag.types import Chunk, Passage, Turn


def _passage(text: str, n: int = 1, kind: str = "body") -> Passage:
    chunk = Chunk(id=f"c{n}", doc="d.txt", title="T", section="", paragraph=n, page=None, char_start=0,
                  char_end=len(text), text=text, kind=kind)  # type: ignore[arg-type]
    return Passage(chunk, 1.0 / n, n=n, rank=n)


@pytest.mark.parametrize("question, kind", [
    ("工作组第三次会议是在哪里召开的？", "place"), ("会员国提名了多少名联络人？", "number"),
    ("环境大会是哪一年成立的？", "date"), ("为什么要建立预警系统？", "reason"), ("谁担任共同主席？", "person"),
    ("工作组开展了哪些活动？", "list"), ("How many points did the defense surrender?", "number"),
    ("When did the war end?", "date"), ("Why was the plan dropped?", "reason"), ("Who led the army?", "person"),
    ("Where is the museum?", "place"), ("What is the capital?", "other"),
    ("How old was he when he won the title?", "number"), ("Who was king when the war began?", "person"),
    ("普利斯特里在哪一年发现了氧气？", "date"), ("议会选举多久举行一次？", "number"), ("还有哪位领袖在巴黎深造？", "person"),
])
def test_the_asked_for_kind_is_read_from_the_first_interrogative(question, kind):
    assert parse_question(question).kind == kind


def test_a_question_names_its_years_numbers_and_latin_names_and_splits_into_parts():
    q = parse_question("2020年UNEA-5在哪里举行？采用了什么形式？")
    assert q.parts == ("2020年UNEA-5在哪里举行？", "采用了什么形式？") and q.kinds == ("place", "other")
    assert q.years == ("2020",) and "UNEA-5" in q.names and any(2020.0 in n for n in q.numbers)
    en = parse_question("When did Warsaw join the Hanseatic League?")
    assert en.lang == "en" and en.reply_lang == "en" and {"Warsaw", "Hanseatic", "League"} <= set(en.names)
    assert "When" not in en.names  # a sentence's first word is not a name


@pytest.mark.parametrize(("question", "parts", "kinds"), [
    ("Where was COP16 held, and how much did countries pledge?", ("Where was COP16 held", "how much did countries pledge?"),
     ("place", "number")),
    ("Who produced the report and when was it published?", ("Who produced the report", "when was it published?"),
     ("person", "date")),
    # "and what …" after words that ask nothing continues one question
    ("Communities there are large, spread-out, and what other characteristic?",
     ("Communities there are large, spread-out, and what other characteristic?",), ("other",)),
    ("How did salt and pepper reach Europe?", ("How did salt and pepper reach Europe?",), ("other",)),
])
def test_an_english_and_that_opens_a_new_question_starts_a_new_part(question, parts, kinds):
    q = parse_question(question)
    assert q.parts == parts and q.kinds == kinds


def test_what_a_question_asks_is_its_words_without_interrogatives_or_straddling_pairs():
    assert content("第三次会议是在哪里召开的？", "zh").split() == ["第三次会议是", "召开的？"]
    asked = TermWeights(["第三次会议在布加勒斯特举行。", "蓝色海洋。"]).asked(content("第三次会议是在哪里召开的？", "zh"))
    assert {"第三次", "会议", "召开"} <= set(asked) and not {"在哪", "哪里", "议是"} & set(asked)
    assert content("Where was the third meeting held?", "en").split() == ["the", "third", "meeting", "held?"]


def test_a_follow_up_carries_the_last_user_question_into_its_search_text():
    history = [Turn("user", "氮问题工作组的共同主席来自哪些国家？"), Turn("assistant", "印度和罗马尼亚[1]。")]
    q = parse_question("那会员国一共提名了多少名联络人？", history)
    assert q.carried == "氮问题工作组的共同主席来自哪些国家？" and q.search_text.startswith(q.carried)
    assert parse_question("联络人有多少？").search_text == "联络人有多少？"


def test_candidates_are_the_sentences_as_clean_quotes_with_exact_offsets():
    text = "工作组有两项任务：\n(a) 收集数据；\n(b) 编写报告。会议在内罗毕\n举行。"
    cands = passage_candidates(_passage(text))
    assert [c.text for c in cands] == ["工作组有两项任务：(a)收集数据；(b)编写报告。", "会议在内罗毕举行。"]
    assert all(squash(text[c.start:c.end]) == squash(c.text) for c in cands)  # the item mark is not quoted
    assert [c.index for c in cands] == [0, 1] and {c.sentences for c in cands} == {2}


def test_a_sentence_two_parts_both_choose_is_quoted_once():
    p = _passage("甲会议在线举行。乙会议在内罗毕举行。")
    cands = passage_candidates(p)
    part = PartRanking("q", cands, np.zeros((2, 1)), np.array([3.0, -3.0]))
    r = Ranking([part, PartRanking("q2", cands, np.zeros((2, 1)), np.array([3.0, -3.0]))],
                np.zeros((2, 1)), [0.9, 0.9], 0.5)
    assert [c.text for c in choose(r, 0.5, 4)] == ["甲会议在线举行。"]


@pytest.mark.parametrize("question, points_back", [
    ("这个项目什么时候完成？", True), ("该国首都是哪里？", True), ("When were these settlers naturalized?", True),
    ("我们应该怎么做？", False), ("《水俣公约》为什么以一座日本城市命名？", False), ("Who led the army?", False),
])
def test_a_demonstrative_marks_a_question_that_points_back_to_the_conversation(question, points_back):
    assert parse_question(question).points_back is points_back


def test_two_readings_that_choose_the_same_sentence_average_their_confidence():
    cands = passage_candidates(_passage("甲项目于2020年完成。乙项目在内罗毕举行。"))

    def reading(logits: list[float], confidence: float) -> Ranking:
        part = PartRanking("q", cands, np.zeros((2, 1)), np.array(logits))
        return Ranking([part], np.zeros((1, 1)), [confidence], 0.5)

    alone, carried = reading([3.0, -3.0], 0.6), reading([2.0, -1.0], 0.1)
    both = agreed(alone, carried)
    assert both.part_confidence == [pytest.approx(0.35)] and not both.answerable  # answered only without it
    assert alone.part_confidence == [0.6]  # the reading itself is left as it was
    other = reading([-3.0, 3.0], 0.1)  # the conversation's reading chooses another sentence
    assert agreed(alone, other).part_confidence == [0.6]


def test_tables_links_and_link_only_footnotes_are_never_candidates():
    assert passage_candidates(_passage("1 见 www.unep.org。", kind="footnote")) == []
    assert passage_candidates(_passage("挪威 12.2", kind="table")) == []
    assert [c.text for c in passage_candidates(_passage("https://example.org/a。会议在内罗毕举行。"))] == ["会议在内罗毕举行。"]
    assert len(candidates([_passage("甲会议举行。", 1), _passage("乙会议举行。", 2)], top=1)) == 1


def test_a_footnote_stating_a_fact_is_a_candidate_quoted_without_its_own_number():
    text = "<sup>7</sup> 截至 2022 年底，有 62 个成员国已报告政策。"
    cands = passage_candidates(_passage(text, n=7, kind="footnote"))
    assert [c.text for c in cands] == ["截至2022年底，有62个成员国已报告政策。"]
    assert text[cands[0].start:cands[0].end].startswith("截至")  # the highlight starts after the mark
    plain = passage_candidates(_passage("10 到2025年，预防和大幅减少海洋污染。", n=10, kind="footnote"))
    assert [c.text for c in plain] == ["到2025年，预防和大幅减少海洋污染。"]  # "10" is the mark, not a figure


def test_kind_shapes():
    assert kind_shown("number", "提名了75名联络人") == 1.0 and kind_shown("number", "提名了联络人") == 0.0
    assert kind_shown("date", "成立于1972年") == 1.0 and kind_shown("date", "成立于内罗毕") == 0.0
    assert kind_shown("reason", "因为氮污染加剧。") == 1.0 and kind_shown("place", "在内罗毕") is None


def test_coverage_is_the_weighted_share_of_asked_tokens():
    assert coverage({"氮": 2.0, "会议": 1.0}, {"氮"}) == pytest.approx(2 / 3)
    assert coverage({}, {"氮"}) == 0.0
    weights = TermWeights(["氮 会议", "会议", "会议 地点"])
    assert weights.idf("氮") > weights.idf("会议")  # rarer is heavier


def test_alignment_averages_each_query_tokens_best_match():
    q = np.array([[1.0, 0.0], [0.0, 1.0]])
    text = np.array([[1.0, 0.0], [0.6, 0.8]])
    assert alignment(q, text) == pytest.approx(((1.0 + 0.8) / 2, 0.8))  # token 1 matches row 0, token 2 row 1
    assert alignment(q, text[:1]) == pytest.approx((0.5, 0.0))  # token 2 finds nothing like it
    assert alignment(q, np.zeros((0, 2))) == (0.0, 0.0) and alignment(np.zeros((0, 2)), text) == (0.0, 0.0)


def test_span_rows_are_the_tokens_inside_a_character_span():
    tokens = TokenVectors(np.eye(3), np.array([[0, 2], [2, 5], [5, 6]]))
    assert span_rows(tokens, 2, 6).tolist() == [[0, 1, 0], [0, 0, 1]]
    assert span_rows(tokens, 1, 3).tolist() == [[1, 0, 0], [0, 1, 0]]  # a token that straddles counts
    assert len(span_rows(tokens, 6, 9)) == 0


def test_features_without_an_embedder_have_one_row_per_candidate_and_zero_similarity():
    passages = [_passage("会员国提名了75名联络人。会议在内罗毕举行。", 1), _passage("工作组成立于2019年。", 2)]
    q = parse_question("会员国提名了多少名联络人？")
    cands = candidates(passages, 2)
    rows = candidate_features(q, q.parts[0], q.kind, cands, TermWeights(p.chunk.text for p in passages), Vectors(None))
    assert rows.shape == (3, len(CANDIDATE_FEATURES))
    f = {name: rows[:, i] for i, name in enumerate(CANDIDATE_FEATURES)}
    assert f["cos"].tolist() == [0.0, 0.0, 0.0] and f["align"].tolist() == [0.0, 0.0, 0.0]
    assert f["lex"][0] > f["lex"][1] and f["kind_match"].tolist() == [1.0, 0.0, 1.0]
    assert f["passage_rank"].tolist() == [1.0, 1.0, 0.5] and f["first"].tolist() == [1.0, 0.0, 1.0]


def _ranking(logits_per_part: list[list[float]], conf: list[float], threshold: float = 0.5) -> Ranking:
    p1 = _passage("甲句子在此。乙句子在此。丙句子在此。", 1)
    parts = []
    for logits in logits_per_part:
        cands = passage_candidates(p1)
        parts.append(PartRanking("q", cands, np.zeros((len(cands), 1)), np.array(logits)))
    return Ranking(parts, np.zeros((len(parts), 1)), conf, threshold)


def test_the_best_candidate_is_chosen_and_a_close_runner_up_joins_it_in_reading_order():
    r = _ranking([[0.0, 3.0, 2.9]], [0.9])
    assert [c.text for c in choose(r, 0.8, 4)] == ["乙句子在此。", "丙句子在此。"]
    far = _ranking([[0.0, 3.0, -2.0]], [0.9])
    assert [c.text for c in choose(far, 0.8, 4)] == ["乙句子在此。"]
    assert len(choose(r, 0.8, 1)) == 1  # the sentence limit holds


def test_a_part_below_the_threshold_is_not_answered_and_confidence_is_the_weakest_answered_part():
    r = _ranking([[3.0, 0.0, 0.0], [0.0, 0.0, 3.0]], [0.9, 0.2])
    assert r.part_answerable == [True, False] and r.answerable and r.confidence == 0.9
    assert [c.text for c in choose(r, 0.8, 4)] == ["甲句子在此。"]
    refused = _ranking([[3.0, 0.0, 0.0]], [0.3])
    assert not refused.answerable and choose(refused, 0.8, 4) == [] and refused.confidence == 0.3


def test_quoted_sentences_cite_their_passage_with_the_source_span():
    r = _ranking([[0.0, 3.0, 0.0]], [0.9])
    (s,) = sentences_of(choose(r, 0.8, 4))
    a, b = s.spans[1]
    assert s.citations == [1] and r.parts[0].candidates[0].passage.chunk.text[a:b] == s.text


def test_sigmoid_is_a_probability():
    assert sigmoid(0.0) == 0.5 and sigmoid(50.0) == pytest.approx(1.0) and 0 < sigmoid(-50.0) < 1e-9


def test_a_missing_model_says_how_to_train_it():
    model = AnswerModel(AnswerParams(), TermWeights([]), Vectors(None))
    with pytest.raises(ModelMissing, match="python -m eval.train"):
        model.rank(parse_question("问题？"), [_passage("句子。")])


class _Named:
    """An embedder known only by its id (the answer model never embeds in this test)."""

    def __init__(self, id: str) -> None:
        self.id = id


def test_dense_models_answer_only_with_the_embedder_they_were_trained_on():
    params = AnswerParams(embedder="bundled:multilingual-e5-small|doc_prefix=passage: ")
    trained = AnswerModel(params, TermWeights([]), Vectors(_Named(params.embedder)))  # type: ignore[arg-type]
    other = AnswerModel(params, TermWeights([]), Vectors(_Named("BAAI/bge-m3")))  # type: ignore[arg-type]
    assert trained.dense and not other.dense  # another model's similarities are on another scale
    assert not AnswerModel(params, TermWeights([]), Vectors(None)).dense
    assert AnswerModel(AnswerParams(), TermWeights([]), Vectors(_Named("any"))).dense  # "" = trained on any


def test_retriever_shares_are_each_passages_score_over_the_best_and_english_uses_the_translation():
    a, b, c = _passage("甲。", 1), _passage("乙。", 2), _passage("丙。", 3)
    a.scores, b.scores, c.scores = {"bm25": 4.0, "dense": 0.5}, {"bm25": 2.0, "dense": 0.8}, {"translated": 3.0}
    zh = retriever_shares(parse_question("甲是什么？"), [a, b, c])
    assert zh[id(a)] == pytest.approx((1.0, 0.625)) and zh[id(b)] == pytest.approx((0.5, 1.0))
    assert zh[id(c)] == (0.0, 0.0)  # neither list returned it
    en = retriever_shares(parse_question("What is it?"), [a, b, c])
    assert en[id(c)][0] == 1.0 and en[id(a)][0] == 0.0  # BM25 over English words says nothing of Chinese text


def test_a_part_whose_quotes_lack_the_figure_it_asks_is_left_unanswered_and_the_other_part_answered():
    q = parse_question("讲习班在哪里举行？有多少人参加？")
    p = _passage("讲习班在内罗毕举行。讲习班得到了瑞典政府的资助。")
    cands = passage_candidates(p)
    where = PartRanking(q.parts[0], cands, np.zeros((2, 1)), np.array([3.0, -3.0]))
    how_many = PartRanking(q.parts[1], cands, np.zeros((2, 1)), np.array([-3.0, 3.0]))  # no figure in its best
    answerer = ExtractiveAnswerer(AnswerModel(AnswerParams(), TermWeights([]), Vectors(None)), 4)
    quoted = answerer.quote(q, Ranking([where, how_many], np.zeros((2, 1)), [0.9, 0.6], 0.5))
    assert [s.text for s in quoted.sentences] == ["讲习班在内罗毕举行。"] and quoted.confidence == 0.9
    assert quoted.unanswered == ["有多少人参加？"] and quoted.lacking == Unmet("figure")
    # asked alone, the figure part has nothing to show: nothing is quoted, and the refusal can say why
    alone = parse_question("讲习班有多少人参加？")
    refused = answerer.quote(alone, Ranking([how_many], np.zeros((1, 1)), [0.9], 0.5))
    assert refused.sentences == [] and refused.lacking == Unmet("figure")
