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

from rag.reference import cite_string, part_note, place_label
from rag.renumber import MARKER_RE
from rag.types import Answer, Chunk, Passage
from ui.support import cited_spans, closest_note, supporting_spans, unanswered_note

__all__ = ["supporting_spans"]  # part of this module's API (the chat's highlight), kept in ui.support
_NUM_RE = re.compile(r"\d+")
_SCRIPT_PAIR = re.compile(r"&lt;(su[pb])&gt;([^&<>]{1,12})&lt;/\1&gt;", re.I)


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
    """Escape for HTML text and attributes; line breaks become <br> so no blank line ever appears, and the
    superscripts and subscripts that documents write as markup ("循环率。<sup>2</sup>", "SO<sub>2</sub>") are
    shown as such, not as tags (only a whole, short pair: what it encloses stays escaped)."""
    out = html.escape(text, quote=True)
    out = _SCRIPT_PAIR.sub(r"<\1>\2</\1>", out)
    return out.replace("\r\n", "\n").replace("\n", "<br>")


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
        hint = closest_note(answer) or ("The documents do not answer this." if answer.language == "en"
                                         else "文档中没有找到答案。")
        return f'<div class="citeqa-answer refusal">{body}<div class="hint">{esc(hint)}</div></div>'
    if note := unanswered_note(answer):
        body += f'<div class="hint unanswered">{esc(note)}</div>'
    if answer.caveat:
        return f'<div class="citeqa-answer caveated">{body}</div>'
    return f'<div class="citeqa-answer">{body}</div>'


def render_error(message: str) -> str:
    return f'<div class="citeqa-answer error">出错了 / Something went wrong: {esc(message)}</div>'


def render_pending() -> str:
    return '<div class="citeqa-answer streaming"><span class="cite-pending">…</span></div>'


def highlight(text: str, spans: Sequence[tuple[int, int]]) -> str:
    out, pos = [], 0
    for a, b in spans:
        out.append(esc(text[pos:a]))
        out.append(f"<mark>{esc(text[a:b])}</mark>")
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def lang_of(answer: Answer) -> str:
    return "en" if answer.language == "en" else "zh"


def passage_link(chunk: Chunk, spans: Sequence[tuple[int, int]] = (), lang: str = "zh") -> str:
    """The deep link to a passage: ``?passage=<chunk id>``, plus ``&span=<start>-<end>`` of the cited text
    in the chunk and ``&lang=en`` for an English reference."""
    from urllib.parse import urlencode

    query = {"passage": chunk.id}
    if spans:
        query["span"] = f"{spans[0][0]}-{spans[-1][1]}"
    if lang == "en":
        query["lang"] = "en"
    return "?" + urlencode(query)


def shown_spans(shown: str, chunk: Chunk, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` of ``chunk.text`` moved into ``shown`` (the whole paragraph the chunk is a piece of)."""
    offset = shown.find(chunk.text) if shown != chunk.text else 0
    if offset < 0:
        return supporting_spans(shown, [chunk.text[a:b] for a, b in spans])
    return [(a + offset, b + offset) for a, b in spans]


def context_rows(chunk: Chunk, context: DocContext, marked: str, lang: str) -> str:
    """The paragraph in its document: the chunks before it, the cited one (``marked``), the ones after."""
    def row(x: Chunk, body: str, cls: str = "ctx") -> str:
        return f'<div class="{cls}"><span class="loc">{esc(place_label(x, lang))}</span> {body}</div>'

    rows = [row(x, esc(x.text)) for x in context.before]
    rows.append(row(chunk, marked, "ctx cited"))
    rows += [row(x, esc(x.text)) for x in context.after]
    return "".join(rows)


def render_passage(answer: Answer, passage: Passage, turn: int, context: DocContext | None,
                   *, open_: bool = False) -> str:
    c = passage.chunk
    lang = lang_of(answer)
    spans = cited_spans(answer, passage)
    text = context.paragraph if context and context.paragraph else c.text
    marked = highlight(text, shown_spans(text, c, spans))
    section = f'<span class="section">{esc(c.section)}</span>' if c.section else ""
    head = (
        f'<summary><span class="n">[{passage.n}]</span> <span class="cite-ref">{esc(cite_string(c, lang))}</span>'
        f'{esc(part_note(c, lang))}'
        f'<span class="title">{esc(c.title)}</span>'
        f'<span class="meta">{section}<span class="score">score {passage.score:.3f}</span></span></summary>'
    )
    link = (f'<a class="deep-link" href="{esc(passage_link(c, spans, lang))}" target="_blank" rel="noopener">'
            '链接到此段 / Link to this paragraph</a>')
    doc_view = ""
    if context is not None:
        doc_view = (
            '<details class="doc-view"><summary>在文档中查看 / Show in document</summary>'
            f'<div class="doc-name">{esc(c.doc)}</div>{context_rows(c, context, marked, lang)}</details>'
        )
    attr = " open" if open_ else ""
    return (
        f'<details class="src" id="src-{turn}-{passage.n}"{attr}>{head}'
        f'<div class="para">{marked}</div>{link}{doc_view}</details>'
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
        render_passage(answer, p, turn, contexts.get(p.chunk.id), open_=(i == 0 and not answer.refused))
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


def parse_span(text: str, length: int) -> tuple[int, int] | None:
    """A deep link's ``span=<start>-<end>`` inside a text of ``length`` characters; None when malformed."""
    start, sep, end = (text or "").partition("-")
    if not (sep and start.isdigit() and end.isdigit()):
        return None
    a, b = int(start), min(int(end), length)
    return (a, b) if 0 <= a < b else None


def render_linked(chunk: Chunk, context: DocContext, span: tuple[int, int] | None, lang: str = "zh") -> str:
    """A deep link's view (``?passage=<chunk id>&span=a-b``): the paragraph in its document, the linked
    sentence highlighted (the whole chunk without a span)."""
    text = context.paragraph or chunk.text
    marked = highlight(text, shown_spans(text, chunk, [span or (0, len(chunk.text))]))
    return (
        '<div class="turn-head">链接的段落 / Linked paragraph</div>'
        f'<div class="linked" id="citeqa-linked"><div class="cite-ref">{esc(cite_string(chunk, lang))}</div>'
        f'<div class="title">{esc(chunk.title)}</div><div class="doc-name">{esc(chunk.doc)}'
        f'{" · " + esc(chunk.section) if chunk.section else ""}</div>{context_rows(chunk, context, marked, lang)}</div>'
    )


def render_link_missing(chunk_id: str) -> str:
    return ('<div class="turn-head">链接的段落 / Linked paragraph</div><div class="notice">'
            f"索引中没有这个段落（文档可能已更新） / This paragraph is not in the index (the document may have "
            f"changed): {esc(chunk_id)}</div>")


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
    return f'<div class="citeqa-unavailable"><span class="icon-warn">!</span> 索引暂不可用 / Index unavailable: {esc(message)}</div>'


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
