"""The independent support rule (eval/support_rule.py) and the faithfulness figures (eval/faithfulness.py)
on hand-made cases with known answers."""

from __future__ import annotations

from eval.faithfulness import markdown, of_answer, summary
from eval.support_rule import echoes, latin_names, numbers, problems, zh_number
from rag.types import Answer, Chunk, Passage, Sentence

PASSAGE = "第三次会议于 2023 年 4 月 27 日在布加勒斯特以混合形式举行，次日举行了一次非正式专家会议。"
PASSAGE_2 = "会员国为氮问题工作组提名了 1,200 名联络人。"


def test_chinese_numerals_are_read_as_their_values():
    assert [zh_number(t) for t in ("三", "十", "二十三", "一百零五", "一千二百", "三万五千", "两千")] == \
        [3, 10, 23, 105, 1200, 35000, 2000]
    assert zh_number("第三") is None


def test_numbers_are_normalised_across_writings():
    assert numbers("2023 年 4 月 27 日") == {"2023", "4", "27"}
    assert numbers("提名了 1,200 名") == numbers("提名了一千二百名") == numbers("4 321") - {"4321"} | {"1200"}
    assert numbers("on 27 April 2023, the third meeting") == {"27", "4", "2023", "3"}
    assert numbers("统一的一些") == set()  # 一 alone is a word, not a count


def test_latin_names_are_acronyms_and_capitalised_words_that_are_not_ordinary_words():
    assert latin_names("The UNEP office in Nairobi hosted Member States") == {"UNEP", "Nairobi"}


def test_a_faithful_sentence_is_supported_in_either_language():
    assert problems("第三次会议于2023年4月27日在布加勒斯特举行[1]。", PASSAGE) == []
    assert problems("The third meeting was held in Bucharest on 27 April 2023 [1].", PASSAGE,
                    similarity=lambda s, p: 0.9) == []
    assert problems("会员国提名了1200名联络人[2]。", PASSAGE_2) == []


def test_an_invented_place_number_or_date_is_unsupported():
    assert "罗马" in " ".join(problems("第三次会议在罗马举行[1]。", PASSAGE))
    assert "1500" in " ".join(problems("会员国提名了1500名联络人[2]。", PASSAGE_2))
    assert "Rome" in " ".join(problems("The third meeting was held in Rome [1].", PASSAGE, lambda s, p: 0.9))
    assert "28" in " ".join(problems("The meeting was held in Bucharest on 28 April 2023 [1].", PASSAGE,
                                     lambda s, p: 0.9))


def test_content_absent_from_the_passage_is_unsupported():
    assert problems("此次会议非常成功，取得了圆满成果[1]。", PASSAGE)
    assert problems("The meeting was a great success [1].", PASSAGE, similarity=lambda s, p: 0.70)
    assert problems("The meeting was a great success [1].", PASSAGE) == \
        ["unchecked: English sentence over a Chinese passage and no embedding model"]


def test_an_echo_of_the_prompt_is_found_unless_the_passage_holds_it():
    prompt = "你是一个严谨的文档问答助手。你只能根据用户消息里的编号段落回答问题。"
    assert echoes("你是一个严谨的文档问答助手[1]。", [prompt])
    assert not echoes("第三次会议在布加勒斯特举行[1]。", [prompt])
    assert not echoes("第三次会议于2023年4月27日在布加勒斯特举行[1]。", [f"<passages>{PASSAGE}</passages>"],
                      cited=PASSAGE)


def _answer(sentences: list[Sentence], dropped: list[str], refused: bool = False,
            answerer: str = "llm:m") -> Answer:
    chunk = Chunk("c1", "d.txt", "t", "", 1, None, 0, len(PASSAGE), PASSAGE)
    passages = [Passage(chunk, 1.0, n=1)]
    return Answer("q", "zh", "x", refused, sentences, passages, passages, {"answerer": answerer}, {}, dropped)


def test_faithfulness_counts_drafted_kept_and_dropped_sentences_per_language():
    kept = Sentence("第三次会议在布加勒斯特举行[1]。", [1])
    invented = Sentence("第三次会议在罗马举行[1]。", [1])
    rows = [of_answer("a", "zh", _answer([kept], ["x。", "y。", "z。"]), None, "llm:m"),
            of_answer("b", "zh", _answer([], ["x。"], refused=True), None, "llm:m"),
            of_answer("c", "en", _answer([invented], []), None, "llm:m"),
            of_answer("d", "en", _answer([kept], [], answerer="extractive"), None, "llm:m")]
    totals = summary(rows)
    assert (totals["zh"]["drafted"], totals["zh"]["kept"], totals["zh"]["drop_rate"]) == (5, 1, 0.8)
    assert totals["zh"]["refused"] == 1 and totals["zh"]["unsupported_shown"] == 0
    assert totals["en"]["unsupported_shown"] == 1 and totals["en"]["fell_back"] == 1
    assert totals["all"]["questions"] == 3 and totals["all"]["drafted"] == 6
    assert "罗马" in markdown(rows, totals, "llm:m")
