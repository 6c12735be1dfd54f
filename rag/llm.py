"""The LLM answerer: a langchain chat model (``ChatOpenAI`` for any OpenAI-compatible endpoint, or
``ChatOllama``) prompted with numbered, fenced passages (``rag/prompts/*.txt``, package data).

The API key comes from ``settings.llm_api_key`` (a SecretStr set at the entry point); it is handed to
the client and never formatted into a message, a log line or an error. ``get_num_tokens`` is never
called (``ChatOpenAI``'s downloads tiktoken data and fails offline).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from functools import cache
from importlib import resources
from typing import Any

from rag.answering.base import Answerer
from rag.cite import REFUSAL
from rag.settings import Settings
from rag.types import Lang, Passage, Turn

log = logging.getLogger(__name__)
HISTORY_TURNS = 6  # earlier messages passed to the model


class LLMError(RuntimeError):
    """The chat model failed; the message says what to check (never contains the API key)."""


@cache
def prompt(name: str) -> str:
    """A prompt template shipped in ``rag/prompts`` (e.g. ``prompt("answer_zh")``)."""
    return resources.files("rag").joinpath("prompts", f"{name}.txt").read_text(encoding="utf-8")


def fill(template: str, **values: object) -> str:
    """Replace ``{name}`` for the given names only (passages may contain braces)."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template)


def reply_lang(lang: Lang) -> str:
    return "en" if lang == "en" else "zh"


def format_passages(passages: Sequence[Passage]) -> str:
    """The passages fenced as data: ``[n] 《title》 section ¶p`` then the text."""
    blocks = []
    for p in passages:
        c = p.chunk
        where = " ".join(x for x in (f"《{c.title}》" if c.title else "", c.section,
                                      f"p.{c.page}" if c.page else f"¶{c.paragraph}") if x)
        text = c.text.replace("</passages>", "</ passages>")
        blocks.append(f"[{p.n}] {where}\n{text}")
    return "<passages>\n" + "\n\n".join(blocks) + "\n</passages>"


def make_chat_model(settings: Settings) -> Any:
    """The configured langchain chat model (no network until it is used)."""
    if not settings.llm_model:
        raise LLMError(f"CITEQA_ANSWERER={settings.answerer} needs a model name: set CITEQA_LLM_MODEL")
    if settings.answerer == "ollama":
        from langchain_ollama import ChatOllama

        kwargs: dict[str, Any] = {"model": settings.llm_model, "temperature": settings.llm_temperature,
                                  "num_predict": settings.llm_max_tokens, "stop": list(settings.llm_stop) or None,
                                  "client_kwargs": {"timeout": settings.llm_timeout_s}}
        if settings.llm_base_url:
            kwargs["base_url"] = settings.llm_base_url
        return ChatOllama(**kwargs)
    if settings.answerer != "openai":
        raise LLMError(f"Unknown LLM answerer {settings.answerer!r}: use 'openai' or 'ollama'")
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    key = settings.llm_api_key
    if key is None:
        if not settings.llm_base_url:
            raise LLMError("CITEQA_ANSWERER=openai needs CITEQA_LLM_API_KEY (or CITEQA_LLM_BASE_URL for a "
                           "local OpenAI-compatible server that needs no key)")
        key = SecretStr("not-needed")
    # ChatOpenAI sends the cap as ``max_completion_tokens``; llama.cpp's server (and older vLLM / Ollama
    # endpoints) only read ``max_tokens``, so a custom endpoint gets both
    extra = {"max_tokens": settings.llm_max_tokens} if settings.llm_base_url else None
    return ChatOpenAI(model=settings.llm_model, base_url=settings.llm_base_url, api_key=key,
                      temperature=settings.llm_temperature, timeout=settings.llm_timeout_s, max_retries=1,
                      max_tokens=settings.llm_max_tokens, stop=list(settings.llm_stop) or None, extra_body=extra,
                      use_responses_api=False)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content if isinstance(p, str | dict))
    return str(content or "")


class LLMAnswerer(Answerer):
    """Drafts with a chat model; ``rag.cite`` enforces the result and the chain retries once."""

    streams = True

    def __init__(self, settings: Settings, chat: Any = None) -> None:
        self.settings = settings
        self.chat = chat if chat is not None else make_chat_model(settings)
        self.name = f"llm:{settings.llm_model}"
        self._secret = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""

    def _error(self, exc: BaseException) -> LLMError:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        if self._secret:
            first = first.replace(self._secret, "***")
        where = self.settings.llm_base_url or self.settings.answerer
        return LLMError(f"The LLM ({self.name} at {where}) failed: {type(exc).__name__}: {first} — check "
                        "CITEQA_LLM_BASE_URL, CITEQA_LLM_MODEL and CITEQA_LLM_API_KEY")

    def messages(self, question: str, passages: Sequence[Passage], lang: Lang,
                 history: Sequence[Turn] = ()) -> list[tuple[str, str]]:
        rl = reply_lang(lang)
        system = fill(prompt(f"answer_{rl}"), max_sentences=self.settings.max_answer_sentences,
                      count=len(passages), refusal=REFUSAL[rl])
        label = "问题：" if rl == "zh" else "Question: "
        msgs: list[tuple[str, str]] = [("system", system)]
        msgs += [(t.role if t.role == "user" else "ai", t.content) for t in list(history)[-HISTORY_TURNS:]]
        msgs.append(("human", f"{format_passages(passages)}\n\n{label}{question}"))
        return msgs

    def _invoke(self, msgs: list[tuple[str, str]]) -> str:
        try:
            return _text(self.chat.invoke(msgs).content)
        except Exception as exc:
            raise self._error(exc) from None

    def draft(self, question: str, passages: Sequence[Passage], lang: Lang, history: Sequence[Turn] = ()) -> str:
        return self._invoke(self.messages(question, passages, lang, history))

    def stream(self, question: str, passages: Sequence[Passage], lang: Lang,
               history: Sequence[Turn] = ()) -> Iterator[str]:
        try:
            for chunk in self.chat.stream(self.messages(question, passages, lang, history)):
                text = _text(chunk.content)
                if text:
                    yield text
        except Exception as exc:
            raise self._error(exc) from None

    def retry(self, question: str, passages: Sequence[Passage], lang: Lang, history: Sequence[Turn],
              previous: str, problems: Sequence[str]) -> str | None:
        rl = reply_lang(lang)
        listed = "\n".join(f"- {p}" for p in problems) or "-"
        correction = fill(prompt(f"retry_{rl}"), problems=listed, count=len(passages), refusal=REFUSAL[rl])
        msgs = self.messages(question, passages, lang, history) + [("ai", previous), ("human", correction)]
        return self._invoke(msgs)
