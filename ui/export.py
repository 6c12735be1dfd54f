"""Answers as Markdown, ready to paste into a memo: the answer with its [n] markers, then each reference —
its cite string ("UNEP/EA.6/8, para. 5"), the document's title and the quoted supporting sentence.

One pure function per unit (``answer_markdown`` for `citeqa ask --format markdown`, ``conversation_markdown``
for the chat's Export button). Text from documents, questions and answerers is Markdown-escaped (every
character that could open markup, a link, an image or an HTML tag is backslash-escaped), so rendering the
export never yields anything but our own structure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.reference import listed_reference
from rag.renumber import MARKER_RE
from rag.types import Answer
from ui.support import refusal_note, supporting_quote, unanswered_note

# what can open markup inside a line (our own prefix always starts the line): emphasis, code, links and
# images ([ ] — "(" and "!" then mean nothing), HTML tags and entities, tables, strike-through, headings
_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~#])")
_NUM = re.compile(r"\d+")

_WORDS = {
    "zh": {"q": "问", "refs": "参考来源", "closest": "最接近的段落（供核查）", "title": "对话导出", "failed": "回答失败"},
    "en": {"q": "Q", "refs": "References", "closest": "Closest passages (for checking)", "title": "Conversation export",
           "failed": "No answer"},
}


def md_escape(text: str) -> str:
    """``text`` as literal Markdown inside a line: markup characters backslash-escaped, whitespace runs (line
    breaks too) as single spaces."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _answer_text(text: str) -> str:
    """The answer with its markers as plain "[n]" and everything else escaped."""
    out, pos = [], 0
    for m in MARKER_RE.finditer(text):
        out.append(md_escape(text[pos:m.start()]))
        out.append("".join(f"[{n}]" for n in _NUM.findall(m.group(1) or m.group(2))))
        pos = m.end()
    out.append(md_escape(text[pos:]))
    return "".join(out).strip()


def _lang(answer: Answer) -> str:
    return "en" if answer.language == "en" else "zh"


def answer_markdown(answer: Answer, level: int = 2) -> str:
    """One answer: the question as a heading, the answer, then its numbered references."""
    lang = _lang(answer)
    w = _WORDS[lang]
    lines = [f"{'#' * level} {w['q']}: {md_escape(answer.question)}", ""]
    if answer.refused:
        lines += [md_escape(refusal_note(answer)), ""]
    else:
        lines += [_answer_text(answer.answer), ""]
        if note := unanswered_note(answer):
            lines += [md_escape(note), ""]
    if answer.passages:
        lines += [f"**{w['closest'] if answer.refused else w['refs']}**", ""]
        for p in sorted(answer.passages, key=lambda p: p.n):
            cite = md_escape(listed_reference(p.chunk, lang))
            title = md_escape(p.chunk.title or p.chunk.doc)
            lines.append(f"- [{p.n}] {cite} — {title}")
            quote = supporting_quote(answer, p)
            if quote:
                lines.append(f"  > {md_escape(quote)}")
        lines.append("")
    return "\n".join(lines)


def conversation_markdown(turns: Sequence[tuple[str, Answer | None]], lang: str = "zh") -> str:
    """The whole chat: every (question, answer) in order; a turn whose answering failed says so."""
    w = _WORDS["en" if lang == "en" else "zh"]
    parts = [f"# citeqa — {w['title']}", ""]
    for question, answer in turns:
        if answer is None:
            parts += [f"## {w['q']}: {md_escape(question)}", "", f"*{w['failed']}*", ""]
        else:
            parts.append(answer_markdown(answer, level=2))
    return "\n".join(parts).rstrip() + "\n"
