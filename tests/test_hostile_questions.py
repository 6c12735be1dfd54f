"""Hostile and odd questions get a polite answer or refusal — never a crash — and every Answer is well formed
(its citations point into its passages), in lexical-only and hybrid mode, through `ask`, the CLI and the
chat's HTML."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rag.settings import Settings
from tests.answer_checks import answer_problems

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
LONG = 100_000

HOSTILE = {
    "empty": "",
    "whitespace": "  \n\t \r\n ",
    "ideographic spaces": "\u3000\u3000\u3000",
    "nul and controls": "\x00\x01\x1b[31m\x7f",
    "100k chinese": "氮" * LONG,
    "100k latin": "nitrogen " * (LONG // 9),
    "100k no spaces": "a" * LONG,
    "just over the limit": "环境署" * 700,
    "punctuation zh": "？？？！！！。。。，，、、",
    "punctuation en": "?!...;;;---***///",
    "brackets": "【】《》“”「」（）[](){}",
    "citation markers": "[1] [2] 【3】 [^4] [1, 2]",
    "emoji": "🌍🌱💧🔥🤔",
    "emoji and question": "🤔 氮管理工作组在哪里开会？🌍",
    "zero width and bidi": "\u202e氮\u200b管理\ufeff工作组\u200d？",
    "sql": "'; DROP TABLE embeddings; --",
    "sql tautology": "\" OR \"\"=\" 1 OR 1=1; SELECT * FROM collections",
    "html": "<img src=x onerror=alert(1)>氮问题工作组是什么？",
    "script": "<script>alert('citeqa')</script>",
    "templates": "{{7*7}} ${7*7} %s %n {0} \\N{BULLET}",
    "path": "../../../../etc/passwd",
    "mixed zh/en": "Where was 氮问题工作组 的第三次会议 held?",
    "mixed en first": "UNEP nitrogen working group 第三次会议在哪里？",
    "numbers only": "2023 10 300",
    "newlines inside": "氮\n\n\n问题\r\n工作组？\n",
    "full width": "ＵＮＥＰ　ｎｉｔｒｏｇｅｎ？",
    "regex metacharacters": ".*+?^$()[]{}|\\ (a+)+$",
    "repeated word": "的 " * 500,
}


@dataclass
class Index:
    settings: Settings
    components: object
    ids: set[str]


def build_index(root: Path, embed_model: str) -> Index:
    from ingest.run import ingest_paths
    from rag.components import build_components
    from rag.index.embed import load_embedder
    from rag.index.store import ChunkStore

    shutil.copytree(CORPUS, root / "corpus")
    s = Settings(corpus_dir=root / "corpus", index_dir=root / "index", embed_model=embed_model,
                 feedback_path=root / "feedback.jsonl")
    store = ChunkStore.open(s)
    report = ingest_paths(None, s, store, load_embedder(s).embedder)
    assert report.documents == 4 and report.mode == ("lexical" if embed_model == "none" else "hybrid")
    components = build_components(s, store)
    return Index(s, components, {c.id for c in store.chunks()})


@pytest.fixture(scope="module", params=["lexical", "hybrid"])
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Index:
    model = "none" if request.param == "lexical" else str(request.getfixturevalue("tiny_model_path"))
    built = build_index(tmp_path_factory.mktemp(request.param), model)
    assert built.components.mode == request.param
    return built


def well_formed(answer: object, index: Index) -> None:
    problems = answer_problems(answer, index.ids)
    assert problems == [], (answer.question[:80], problems)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_question_gets_a_polite_well_formed_answer(name: str, index: Index) -> None:
    from rag.chain import ask

    question = HOSTILE[name]
    started = time.perf_counter()
    answer = ask(question, index.components)
    assert time.perf_counter() - started < 5
    well_formed(answer, index)
    if not question.strip() or name.startswith("punctuation") or name == "brackets":
        assert answer.refused and not answer.retrieved  # nothing to search for: asked to type a question
    if len(question.strip()) > index.settings.max_question_chars:
        assert answer.refused and not answer.retrieved and "2000" in answer.answer  # says the limit
        assert len(answer.answer) < 300  # the question is not echoed back
    if name in ("html", "script", "sql", "path"):
        assert "<script" not in answer.answer and "onerror" not in answer.answer


def test_hostile_questions_leave_the_index_as_it_was(index: Index) -> None:
    from rag.chain import ask

    store = index.components.store
    version, count = store.version(), store.count()
    for question in HOSTILE.values():
        ask(question, index.components)
    assert store.version() == version and store.count() == count


def test_hostile_history_turns_do_not_break_follow_ups(index: Index) -> None:
    from rag.chain import ask
    from rag.types import Turn

    history = [Turn("user", HOSTILE["script"]), Turn("assistant", HOSTILE["citation markers"]),
               Turn("user", HOSTILE["100k chinese"]), Turn("assistant", "")]
    for question in ("那第三次会议在哪里召开？", "", HOSTILE["emoji"], "And where was it held?"):
        started = time.perf_counter()
        well_formed(ask(question, index.components, history=history), index)
        assert time.perf_counter() - started < 5  # the 100k-character turn is not searched through


def test_the_chat_html_of_a_hostile_question_has_no_live_markup(index: Index) -> None:
    from rag.chain import ask
    from ui.render import render_answer, render_sources, render_user

    for name in ("html", "script", "mixed zh/en"):
        answer = ask(HOSTILE[name], index.components)
        page = render_user(HOSTILE[name]) + render_answer(answer, 0) + render_sources(answer, 0)
        assert "<script" not in page and "<img" not in page


def test_the_cli_answers_hostile_questions_with_an_exit_code_and_valid_json(index: Index) -> None:
    from ui.cli import app

    s = index.settings
    base = ["--corpus-dir", str(s.corpus_dir), "--index-dir", str(s.index_dir), "--embed-model", s.embed_model]
    for name in ("empty", "script", "emoji", "sql", "100k latin", "nul and controls"):
        result = CliRunner().invoke(app, [*base, "ask", "--json", HOSTILE[name].replace("\x00", "")],
                                    env={"HF_HUB_OFFLINE": "1", "COLUMNS": "200"})
        assert result.exit_code == 0, (name, result.output[-1500:])
        data = json.loads(result.stdout)
        assert isinstance(data["answer"], str) and data["answer"] and isinstance(data["refused"], bool)


# A question is any short text: arbitrary Unicode, or words of the corpus glued to odd characters.
WORDS = ["氮", "工作组", "第三次会议", "布加勒斯特", "环境署", "塑料", "循环经济", "nitrogen", "UNEP", "where",
         "哪里", "多少", "2023", "10", "？", "?", " ", "[1]", "【2】", "<b>", "'", "\n", "🌍"]
QUESTIONS = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=3)), max_size=10).map("".join),
)


@hypothesis_settings(max_examples=40, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow])
@given(question=QUESTIONS)
def test_any_short_text_gets_a_well_formed_answer(question: str, index: Index) -> None:
    from rag.chain import ask

    well_formed(ask(question, index.components), index)
