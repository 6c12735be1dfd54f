"""👍/👎 on an answer, appended as one JSON line to ``settings.feedback_path``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rag.types import Answer

Vote = Literal["up", "down"]


def vote_from_like(liked: object) -> Vote | None:
    """Gradio's like value → our vote: True 👍, False 👎; anything else (e.g. an undo) is no vote."""
    if liked is True:
        return "up"
    if liked is False:
        return "down"
    return None


def feedback_record(answer: Answer, vote: Vote, when: datetime | None = None) -> dict[str, Any]:
    when = when or datetime.now(UTC)
    return {
        "timestamp": when.isoformat(timespec="seconds"),
        "vote": vote,
        "question": answer.question,
        "answer": answer.answer,
        "refused": answer.refused,
        "language": answer.language,
        "citations": [
            {
                "n": p.n,
                "doc": p.chunk.doc,
                "title": p.chunk.title,
                "paragraph": p.chunk.paragraph,
                "page": p.chunk.page,
                "char_start": p.chunk.char_start,
                "char_end": p.chunk.char_end,
            }
            for p in answer.passages
        ],
        "mode": dict(answer.mode),
    }


def append_feedback(path: Path, record: dict[str, Any]) -> None:
    """Append one record as a single JSON line (one write, so concurrent votes do not interleave)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with path.open("a", encoding="utf-8") as f:
        f.write(line)
