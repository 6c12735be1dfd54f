"""Answer → HTML for the chat. Pure functions over the plain values of ``rag.types``.

Everything that comes from documents, the user or the answerer is HTML-escaped here; the only markup is
ours. Citation markers become links ``<a class="cite" href="#src-<turn>-<n>">[n]</a>`` (Gradio's chat
sanitiser keeps ``class`` and ``href`` but drops ``data-*`` attributes, so the target lives in the
fragment); the Sources panel holds one ``<details class="src" id="src-<turn>-<n>">`` per cited passage,
and ``CITE_JS`` opens the one a click names. The HTML never contains a blank line, so the chat's
Markdown renderer passes it through untouched.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rag.sentences import sentence_spans
from rag.types import Answer, Chunk, Passage

# [1]  [1, 2]  [^1]  【1】  【1，2】 — the forms rag.cite understands
MARKER_RE = re.compile(r"\[\^?(\d+(?:\s*[,，、]\s*\d+)*)\]|【(\d+(?:\s*[,，、]\s*\d+)*)】")
_NUM_RE = re.compile(r"\d+")


@dataclass(frozen=True)
class DocContext:
    """Where a cited chunk sits in its document: the whole paragraph and the chunks around it."""

    paragraph: str
    before: tuple[Chunk, ...] = ()
    after: tuple[Chunk, ...] = ()


@dataclass(frozen=True)
class Status:
    retrieval: str  # "hybrid" | "lexical"
    answerer: str  # "extractive" | "llm:<model>"
    documents: int
    chunks: int
    notices: tuple[str, ...] = field(default_factory=tuple)
    error: str = ""  # one line when the index cannot be read right now (e.g. the Chroma server went away)
    label: str = ""  # "hybrid · multilingual-e5-small (bundled, 4-bit)" (rag.index.retrieve.HybridRetriever.label)


def esc(text: str) -> str:
    """Escape for HTML text and attributes; line breaks become <br> so no blank line ever appears."""
    out = html.escape(text, quote=True)
    return out.replace("\r\n", "\n").replace("\n", "<br>")


def strip_markers(text: str) -> str:
    return MARKER_RE.sub("", text).strip()


def _cite_link(turn: int, n: int, known: set[int], unlinked: str) -> str:
    if n not in known:
        return f'<span class="{unlinked}">[{n}]</span>'
    return f'<a class="cite" href="#src-{turn}-{n}">[{n}]</a>'


def link_markers(text: str, turn: int, known: Iterable[int], unlinked: str = "cite-missing") -> str:
    """Escape ``text`` and turn each citation marker into one link per passage number in ``known``
    (other numbers become a ``<span class=unlinked>``)."""
    known = set(known)
    parts: list[str] = []
    pos = 0
    for m in MARKER_RE.finditer(text):
        parts.append(esc(text[pos : m.start()]))
        numbers = [int(x) for x in _NUM_RE.findall(m.group(1) or m.group(2))]
        parts.append("".join(_cite_link(turn, n, known, unlinked) for n in numbers))
        pos = m.end()
    parts.append(esc(text[pos:]))
    return "".join(parts)


def render_user(question: str) -> str:
    return f'<div class="citeqa-question">{esc(question)}</div>'


def render_answer(answer: Answer, turn: int, *, final: bool = True) -> str:
    """The assistant message: the answer with clickable markers, or a refusal pointing at the sources.
    A partial (streaming, not yet checked) answer shows its markers greyed and unlinked."""
    if not final:
        return f'<div class="citeqa-answer streaming">{link_markers(answer.answer, turn, (), "cite-pending")}</div>'
    body = link_markers(answer.answer, turn, {p.n for p in answer.passages})
    if answer.refused:
        hint = (
            "文档中没有找到答案；右侧“来源”列出最接近的段落供核查。"
            " / The documents do not answer this; the closest passages are listed under Sources for checking."
            if answer.passages
            else "文档中没有找到答案。 / The documents do not answer this."
        )
        return f'<div class="citeqa-answer refusal">{body}<div class="hint">{esc(hint)}</div></div>'
    return f'<div class="citeqa-answer">{body}</div>'


def render_error(message: str) -> str:
    return f'<div class="citeqa-answer error">出错了 / Something went wrong: {esc(message)}</div>'


def render_pending() -> str:
    return '<div class="citeqa-answer streaming"><span class="cite-pending">…</span></div>'


_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")


def _numbers(text: str) -> set[str]:
    return {m.replace(",", "") for m in _NUMBER_RE.findall(text)}


def _bigrams(text: str) -> set[str]:
    s = re.sub(r"\s+", "", text.lower())
    return {s[i : i + 2] for i in range(len(s) - 1)} if len(s) > 1 else {s}


_CLAUSE_END = re.compile(r"[；;]")


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans, cut again after each "；" (the unit an answer sentence usually quotes)."""
    out: list[tuple[int, int]] = []
    for a, b in sentence_spans(text):
        start = a
        for m in _CLAUSE_END.finditer(text, a, b):
            if text[start : m.end()].strip():
                out.append((start, m.end()))
            start = m.end()
        if text[start:b].strip():
            out.append((start, b))
    trimmed = []
    for a, b in out:
        while a < b and text[a].isspace():
            a += 1
        trimmed.append((a, b))
    return trimmed


def supporting_spans(text: str, claims: Sequence[str], min_overlap: float = 0.5) -> list[tuple[int, int]]:
    """Spans of ``text`` to highlight: for each claim, the passage sentence that shares most of it.

    Display only — which passages support which sentence was decided by ``rag.cite``; this merely finds
    the sentence to mark (a claim copied from the passage matches fully; a paraphrase needs half its
    character pairs; failing that — e.g. an English claim on a Chinese passage — the one sentence sharing
    most of the claim's numbers).
    """
    spans = clause_spans(text)
    chosen: set[tuple[int, int]] = set()
    for claim in claims:
        grams = _bigrams(strip_markers(claim))
        if not grams or not spans:
            continue
        scored = [(len(grams & _bigrams(text[a:b])) / len(grams), (a, b)) for a, b in spans]
        best, span = max(scored, key=lambda x: x[0])
        if best >= min_overlap:
            chosen.add(span)
            continue
        nums = _numbers(strip_markers(claim))
        shared = [(len(nums & _numbers(text[a:b])), (a, b)) for a, b in spans] if nums else []
        top = max((x[0] for x in shared), default=0)
        winners = [sp for cnt, sp in shared if cnt == top]
        if top > 0 and len(winners) == 1:
            chosen.add(winners[0])
    return sorted(chosen)


def highlight(text: str, spans: Sequence[tuple[int, int]]) -> str:
    out, pos = [], 0
    for a, b in spans:
        out.append(esc(text[pos:a]))
        out.append(f"<mark>{esc(text[a:b])}</mark>")
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def locator(chunk: Chunk) -> str:
    """"¶ 12" for a document's own paragraph number, "para 12" for a running index, plus the page."""
    bits = [f"¶ {chunk.paragraph}" if chunk.numbered else f"para {chunk.paragraph}"]
    if chunk.page is not None:
        bits.append(f"p. {chunk.page}")
    if chunk.kind == "footnote":
        bits.append("脚注 footnote")
    return " · ".join(bits)


def claims_for(answer: Answer, n: int) -> list[str]:
    return [s.text for s in answer.sentences if n in s.citations]


def render_passage(passage: Passage, turn: int, claims: Sequence[str], context: DocContext | None,
                   *, open_: bool = False) -> str:
    c = passage.chunk
    text = context.paragraph if context and context.paragraph else c.text
    marked = highlight(text, supporting_spans(text, claims))
    section = f'<span class="section">{esc(c.section)}</span>' if c.section else ""
    head = (
        f'<summary><span class="n">[{passage.n}]</span> <span class="title">{esc(c.title)}</span>'
        f'<span class="meta">{section}<span class="loc">{esc(locator(c))}</span>'
        f'<span class="score">score {passage.score:.3f}</span></span></summary>'
    )
    doc_view = ""
    if context is not None:
        rows = [f'<div class="ctx"><span class="loc">{esc(locator(x))}</span> {esc(x.text)}</div>' for x in context.before]
        rows.append(f'<div class="ctx cited"><span class="loc">{esc(locator(c))}</span> {marked}</div>')
        rows += [f'<div class="ctx"><span class="loc">{esc(locator(x))}</span> {esc(x.text)}</div>' for x in context.after]
        doc_view = (
            '<details class="doc-view"><summary>在文档中查看 / Show in document</summary>'
            f'<div class="doc-name">{esc(c.doc)}</div>{"".join(rows)}</details>'
        )
    attr = " open" if open_ else ""
    return (
        f'<details class="src" id="src-{turn}-{passage.n}"{attr}>{head}'
        f'<div class="para">{marked}</div>{doc_view}</details>'
    )


def render_sources(answer: Answer, turn: int, contexts: Mapping[str, DocContext] | None = None,
                   notice: str = "") -> str:
    """The Sources section for one answer: its cited passages (for a refusal, the closest ones); ``notice``
    is one line shown above them (e.g. why "show in document" is missing)."""
    contexts = contexts or {}
    if answer.refused:
        head = "没有答案 — 最接近的段落，供核查 / No answer — closest passages, for checking"
    else:
        head = "引用的段落 / Cited passages"
    items = [
        render_passage(p, turn, claims_for(answer, p.n), contexts.get(p.chunk.id), open_=(i == 0 and not answer.refused))
        for i, p in enumerate(answer.passages)
    ]
    if not items:
        items = ['<div class="empty">没有可显示的段落 / No passages to show</div>']
    if notice:
        items.insert(0, f'<div class="notice">{esc(notice)}</div>')
    return (
        f'<div class="turn-head"><span class="turn-no">#{turn + 1}</span> {esc(answer.question)}</div>'
        f'<div class="turn-kind">{esc(head)}</div>{"".join(items)}'
    )


def sources_panel(sections: Sequence[str], active: int | None = None) -> str:
    """All turns' sources; only the active one (default: the latest) is shown until a marker is clicked."""
    if not sections:
        return '<div class="citeqa-sources-empty">提问后，这里会列出答案引用的段落。 / Cited passages appear here after you ask.</div>'
    active = len(sections) - 1 if active is None else active
    return "".join(
        f'<section class="citeqa-turn{" active" if i == active else ""}" id="turn-{i}">{s}</section>'
        for i, s in enumerate(sections)
    )


def render_unavailable(message: str) -> str:
    """One line saying the index cannot be read right now, and why (the message names the fix)."""
    return f'<div class="citeqa-unavailable">⚠️ 索引暂不可用 / Index unavailable: {esc(message)}</div>'


def render_status(status: Status) -> str:
    notes = "".join(f'<div class="notice">{esc(n)}</div>' for n in status.notices if n)
    if status.error:
        return f'<div class="citeqa-status">{render_unavailable(status.error)}{notes}</div>'
    mode = "lexical-only 仅词法检索" if status.retrieval != "hybrid" else f"{status.label or 'hybrid'} 混合检索"
    bits = [
        f"<b>检索 Retrieval:</b> {esc(mode)}",
        f"<b>回答 Answerer:</b> {esc(status.answerer)}",
        f"<b>文档 Documents:</b> {status.documents}",
        f"<b>段块 Chunks:</b> {status.chunks}",
    ]
    return f'<div class="citeqa-status">{" · ".join(bits)}{notes}</div>'
