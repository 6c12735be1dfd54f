"""The chat server's API, called the way a user's script would: gradio_client against a live server."""

from __future__ import annotations

import json

import pytest

ANSWERABLE = "环境署氮问题工作组的第三次会议是在哪里召开的？采用了什么会议形式？"
UNANSWERABLE = "COP29最终商定的新的集体量化气候融资目标具体是每年多少亿美元？"


@pytest.fixture(scope="module")
def client(_served_app):
    from gradio_client import Client

    return Client(_served_app.url, verbose=False)


def test_the_ask_endpoint_is_named_and_takes_a_question_and_a_history(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/ask"]
    assert [p["parameter_name"] for p in endpoints["/ask"]["parameters"]] == ["question", "history"]


def test_a_chinese_question_gets_an_answer_whose_every_citation_points_into_its_passages(client):
    answer = client.predict(ANSWERABLE, [], api_name="/ask")
    assert answer["refused"] is False and answer["language"] == "zh"
    assert "布加勒斯特" in answer["answer"] and "混合" in answer["answer"]
    numbers = {p["n"] for p in answer["passages"]}
    assert answer["sentences"] and all(s["citations"] for s in answer["sentences"])
    assert all(n in numbers for s in answer["sentences"] for n in s["citations"])
    assert all(f"[{n}]" in answer["answer"] for n in numbers)
    assert set(answer) >= {"question", "answer", "refused", "sentences", "passages", "retrieved", "mode", "timings"}
    assert answer["mode"]["retrieval"] == "lexical"


def test_an_unanswerable_question_is_refused_with_the_closest_passages_offered(client):
    answer = client.predict(UNANSWERABLE, [], api_name="/ask")
    assert answer["refused"] is True and answer["sentences"] == []
    assert "没有" in answer["answer"]
    assert 0 < len(answer["passages"]) <= len(answer["retrieved"])


def test_history_may_be_a_list_of_messages_or_the_same_list_as_json(client):
    history = [{"role": "user", "content": ANSWERABLE},
               {"role": "assistant", "content": "第三次会议于2023年4月27日在布加勒斯特以混合形式举行[1]。"}]
    question = "那会员国一共为工作组提名了多少名联络人？"
    as_list = client.predict(question, history, api_name="/ask")
    as_json = client.predict(question, json.dumps(history, ensure_ascii=False), api_name="/ask")
    assert as_list["answer"] == as_json["answer"] and as_list["question"] == question


def test_a_malformed_history_is_an_error_that_says_the_expected_shape(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="role"):
        client.predict(ANSWERABLE, "{not json", api_name="/ask")
