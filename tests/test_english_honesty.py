"""English questions over the Chinese corpus (lexical-only, dictionary translation) are answered only from
sentences that hold the kind of thing asked for and passages about what the question names; otherwise
refused — off-topic questions, and on-topic ones whose figure, date, name or count the documents lack."""

from __future__ import annotations

import pytest

from rag.anchor_en import is_name
from rag.chain import ask
from rag.qtype_en import english_slot

RENDER = {"people": ["人们"], "member states": ["会员国"], "states": ["国家"], "sensors": ["传感器"],
          "elephants": ["大象"], "university": ["大学"], "bank": ["银行"], "island": ["岛屿"],
          "areas": ["区域"], "action areas": []}
CLASSIFIER = {"大象": "头", "会员国": "个"}


def _slot(question: str):
    return english_slot(question, lambda w: RENDER.get(w, []), lambda z: CLASSIFIER.get(z, ""))


def test_how_many_people_asks_for_a_count_of_people_and_a_named_kind_of_person_keeps_its_noun():
    assert _slot("How many people were killed in the disaster?").unit == "人"
    slot = _slot("How many member states attended the meeting?")
    assert (slot.kinds, slot.unit, slot.noun) == (("number",), "个", "会员国")
    assert _slot("How many elephants were killed?").unit == "头"  # the classifier the text counts it with
    assert _slot("How many action areas does the plan contain?").noun is None  # only partly rendered: any count


def test_measures_money_and_percentages_are_read_from_english_wording():
    assert _slot("How many hectares of mangroves were restored?").unit == "公顷"
    assert _slot("What maximum sulphur content, in parts per million, does the standard set?").unit == "ppm"
    assert _slot("What was the budget of the project?").kinds == ("money",)
    assert _slot("How much did Norway contribute to the fund?").kinds == ("money",)
    assert _slot("How much higher than 2020 levels would resource use be?").kinds == ("number",)
    assert _slot("What share of the staff were women?").kinds == ("percent",)


def test_time_place_person_and_organisation_questions_get_their_slot_and_category():
    assert _slot("When was the report published?").kinds == ("time",)
    assert _slot("In which city was the atlas launched?").kinds == ("city",)
    assert _slot("What is the capital of France?").kinds == ("city",)
    assert _slot("Which countries is it being piloted in?").plural
    assert _slot("Which university developed the tool?").category == "大学"
    assert _slot("Which organization implements it?").category is None
    assert _slot("Who is the president of the bank?").kinds == ("person",)
    assert _slot("Who funded the project?").kinds == ("funder",)
    assert _slot("Why did the alliance extend its targets?").kinds == ("reason",)


def test_a_relative_where_is_not_a_place_question():
    assert "place" not in _slot("Why was it designed to focus on places where stress overlaps with conflict?").kinds
    assert "time" in _slot("Who produced the assessment, and when was it published?").kinds


def test_names_are_whole_runs_of_capitalised_words_or_countries():
    assert is_name("World Bank", "Who is the president of the World Bank?", (("世界银行", 1.0),))
    assert not is_name("Body", "What does the Coordinating Body on the Seas propose?", (("机构", 1.0),))
    assert not is_name("Turning", "Who produced 'Wastewater: Turning Problem to Solution'?", (("转", 1.0),))
    assert is_name("Kenya", "which projects in kenya", (("肯尼亚", 1.0),))  # a country whatever its case


REFUSED = ["What is the capital of France?", "Who is the president of the World Bank?",
           "Give me a recipe for dumplings.", "What is the speed of light?", "How tall is Mount Everest?",
           "How many people were killed in the Brumadinho dam disaster?",
           "What maximum sulphur content in ppm does the draft low-sulphur fuel standard set?",
           "What was the budget of the seagrass carbon market project in Kenya?",
           "How many member states attended the third meeting of the nitrogen working group?",
           "Which university developed the Global Eutrophication Watch tool?",
           "How much did Norway contribute to the Environment Fund in 2019?",
           "When will the Kunming Biodiversity Fund close?",
           "How many tonnes of nitrogen fertilizer does India use each year?"]
ANSWERED = [("Where was the UN biodiversity COP16 held?", "卡利"),
            ("How many young entrepreneurs received green skills training from UNEP?", "115"),
            ("When was the wastewater rapid response assessment published?", "2023年8月"),
            ("Which university developed the regional data platform for the Cartagena Convention parties?", "日内瓦大学"),
            ("How many member states contributed to the Environment Fund in 2024?", "94"),
            ("How many elephants were killed in the Yankari Game Reserve?", "大象"),
            ("How many hectares of marine environment did UNEP help protect and restore?", "230万公顷")]


@pytest.mark.parametrize("question", REFUSED)
def test_english_question_the_documents_do_not_answer_is_refused(corpus_components, question):
    answer = ask(question, corpus_components)
    assert answer.refused, answer.answer


@pytest.mark.parametrize(("question", "fact"), ANSWERED)
def test_answerable_english_question_is_still_answered_with_the_fact(corpus_components, question, fact):
    answer = ask(question, corpus_components)
    assert not answer.refused and fact in answer.answer, answer.answer
