"""The Gradio chat: ask on the left, judge the cited passages on the right; a Documents tab for uploads.

``create_app(settings, components=None)`` builds the Blocks without launching (tests, embedding);
``launch_app(app, settings)`` serves it (CSS, login, upload limit, 127.0.0.1 unless told otherwise, never
shared). The API endpoint ``/ask`` (``gradio_client``: ``client.predict(question, history, api_name="/ask")``)
returns ``Answer.to_dict()``; ``history`` is a list of ``{"role": "user"|"assistant", "content": str}``
(or that list as a JSON string; empty for a first question).

No ``from __future__ import annotations`` here: ``gr.api`` reads the endpoint's annotations at runtime.
"""

import html
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.settings import Settings
from rag.types import Answer, Turn
from ui.assets import CITE_JS, CSS
from ui.backend import Backend, problem
from ui.feedback import append_feedback, feedback_record, vote_from_like
from ui.render import (
    render_answer,
    render_error,
    render_pending,
    render_sources,
    render_status,
    render_unavailable,
    render_user,
    sources_panel,
)
from ui.share import export_file, linked_passage
from ui.uploads import discard_uploads, use_upload_dir

if TYPE_CHECKING:
    import gradio as gr

    from rag.components import Components

log = logging.getLogger(__name__)

EXAMPLES = [  # each answered from the shipped corpus (English ones need the embedding model: hybrid mode)
    "环境署氮问题工作组的第三次会议是在哪里召开的？采用了什么会议形式？",
    "2019年全球消耗的材料中有多少是再循环的二次材料？",
    "净零银行联盟有多少个成员？",
    "Who did UNEP develop the Earthschool online learning programme with, and for which ages?",
    "How many action areas does the draft voluntary national action plan on sustainable nitrogen management contain?",
]
DOC_HEADERS = ["标题 Title", "文号 Symbol", "段块 Chunks", "文件 File"]


@dataclass
class ChatTurn:
    question: str
    answer: Answer | None  # None when answering failed
    sources: str  # the Sources panel section for this turn
    error: str = ""


def messages(turns: list[ChatTurn]) -> list[dict[str, str]]:
    """The chat transcript, rebuilt from the turns (assistant message i*2+1 belongs to turn i)."""
    out: list[dict[str, str]] = []
    for i, t in enumerate(turns):
        out.append({"role": "user", "content": render_user(t.question)})
        body = render_answer(t.answer, i) if t.answer is not None else render_error(t.error)
        out.append({"role": "assistant", "content": body})
    return out


def history_of(turns: list[ChatTurn]) -> list[Turn]:
    out: list[Turn] = []
    for t in turns:
        if t.answer is not None:
            out += [Turn("user", t.question), Turn("assistant", t.answer.answer)]
    return out


HISTORY_ROLES = ("user", "assistant")
HISTORY_SHAPE = '{"role": "user"|"assistant", "content": "..."}'


def parse_history(history: Any) -> list[dict[str, str]]:
    """The API's history: a list of {"role", "content"} messages, or that list as JSON text."""
    if history in (None, "", []):
        return []
    if isinstance(history, str):
        try:
            history = json.loads(history)
        except json.JSONDecodeError as exc:
            raise ValueError(f"history is not valid JSON ({exc.msg}); pass a list of {HISTORY_SHAPE} messages") from None
    if not isinstance(history, list) or not all(isinstance(m, dict) for m in history):
        raise ValueError(f"history must be a list of {HISTORY_SHAPE} messages")
    for i, m in enumerate(history):
        if m.get("role") not in HISTORY_ROLES:
            raise ValueError(f"history turn {i} has role {m.get('role')!r}; only 'user' and 'assistant' turns are "
                             f"accepted (a list of {HISTORY_SHAPE} messages)")
        if not isinstance(m.get("content"), str):
            raise ValueError(f"history turn {i} has no text content; pass a list of {HISTORY_SHAPE} messages")
    return history


def failure(exc: BaseException, what: str) -> str:
    """Log a failure (a store that went away in one line, anything else with its traceback); the one line
    the user sees."""
    from rag.index.store import StoreError

    if isinstance(exc, StoreError):
        log.warning("%s: %s", what, problem(exc))
    else:
        log.exception(what)
    return problem(exc)


def documents_update(backend: Backend) -> tuple[list[list[Any]], str]:
    """The Documents tab: its rows and the line above them ("" or why the index cannot be read)."""
    rows, error = backend.documents_view()
    return rows, render_unavailable(error) if error else ""


def sources_section(backend: Backend, answer: Answer, turn: int) -> str:
    """The Sources section of an answer; without "show in document" (and saying why) when the index
    cannot be read for the passages' neighbours."""
    try:
        contexts = backend.contexts(answer)
    except Exception as exc:
        reason = failure(exc, "Cannot load the passages' context")
        return render_sources(answer, turn, None, notice=f"在文档中查看暂不可用 / Show in document unavailable: {reason}")
    return render_sources(answer, turn, contexts)


def create_app(settings: Settings, components: "Components | None" = None) -> "gr.Blocks":
    """Build the chat app (without launching it). ``components`` default: ``build_components(settings)``."""
    import gradio as gr

    if components is None:
        from rag.components import build_components

        components = build_components(settings)
    backend = Backend(settings, components)
    upload_dir = use_upload_dir(settings)  # before the Blocks: Gradio reads its temp dir when they are built
    choices = backend.answerer_choices()

    with gr.Blocks(title="citeqa — 有据可查的问答", analytics_enabled=False, fill_width=True) as app:
        gr.HTML('<h2 style="margin:4px 0">citeqa · 有据可查的问答 / answers that cite their paragraph</h2>')
        status = gr.HTML(render_status(backend.status()), elem_id="citeqa-status")
        rows, unavailable = documents_update(backend)
        turns = gr.State([])
        pending = gr.State("")
        with gr.Tabs():
            with gr.Tab("对话 / Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=360):
                        chatbot = gr.Chatbot(label="对话 / Chat", elem_id="citeqa-chat", height=540,
                                             buttons=["copy"], feedback_options=("Like", "Dislike"),
                                             placeholder="用中文或英文提问 · Ask in Chinese or English")
                        with gr.Row():
                            question = gr.Textbox(show_label=False, scale=5, max_lines=4, elem_id="citeqa-question",
                                                  placeholder="输入问题… / Type a question…")
                            send = gr.Button("发送 / Send", variant="primary", scale=1, elem_id="citeqa-send")
                        with gr.Row():
                            new_chat = gr.Button("新对话 / New chat", size="sm", elem_id="citeqa-new")
                            export = gr.DownloadButton("导出 Markdown / Export", size="sm", elem_id="citeqa-export",
                                                       value=None, interactive=False)
                        gr.Examples([[q] for q in EXAMPLES], inputs=[question], label="示例 / Examples")
                        with gr.Accordion("设置 / Settings", open=False):
                            top_k = gr.Slider(1, max(20, settings.top_k), value=settings.top_k, step=1,
                                              label="检索段落数 / Passages retrieved (top-k)")
                            answerer = gr.Radio(choices, value=choices[0], label="回答方式 / Answerer",
                                                interactive=len(choices) > 1)
                            rerank = gr.Checkbox(value=backend.has_reranker, label="重排序 / Reranker",
                                                 visible=backend.has_reranker)
                    with gr.Column(scale=2, min_width=320):
                        gr.HTML("<h3 style='margin:4px 0'>来源 / Sources</h3>")
                        sources = gr.HTML(sources_panel([]), elem_id="citeqa-sources", js_on_load=CITE_JS)
            with gr.Tab("文档 / Documents", id="documents") as docs_tab:
                docs_error = gr.HTML(unavailable, elem_id="citeqa-docs-error")
                docs = gr.Dataframe(value=rows, headers=DOC_HEADERS, interactive=False, elem_id="citeqa-docs",
                                    wrap=True)
                gr.Markdown(f"上传 PDF / TXT / MD（每个不超过 {settings.max_upload_mb} MB），加入语料库并建立索引。 "
                            f"Upload PDF / TXT / MD files (up to {settings.max_upload_mb} MB each) to add them "
                            "to the corpus and index them.")
                files = gr.File(file_count="multiple", file_types=[".pdf", ".txt", ".md"],
                                label="上传文件 / Upload files", elem_id="citeqa-upload")
                add = gr.Button("添加并索引 / Add and index", variant="primary", elem_id="citeqa-add")
                report = gr.Markdown(elem_id="citeqa-upload-report")

        def submit(q: str, ts: list[ChatTurn]):
            q = (q or "").strip()
            if not q:
                return gr.skip(), gr.skip(), ""
            return "", messages(ts) + [{"role": "user", "content": render_user(q)}], q

        def respond(q: str, ts: list[ChatTurn], k: float, answerer_name: str, use_rerank: bool):
            if not q:
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
                return
            turn, head = len(ts), messages(ts) + [{"role": "user", "content": render_user(q)}]
            yield head + [{"role": "assistant", "content": render_pending()}], gr.skip(), gr.skip(), gr.skip()
            final: Answer | None = None
            try:
                for final in backend.ask_stream(q, history_of(ts), int(k), answerer_name, use_rerank):
                    yield head + [{"role": "assistant", "content": render_answer(final, turn, final=False)}], \
                        gr.skip(), gr.skip(), gr.skip()
            except Exception as exc:  # one line in the chat; the app keeps running
                final, error = None, failure(exc, "Answering failed")
            else:
                error = "" if final is not None else "no answer was produced"
            section = sources_section(backend, final, turn) if final is not None else ""
            ts = ts + [ChatTurn(q, final, section, error)]
            yield messages(ts), sources_panel([t.sources for t in ts]), ts, render_status(backend.status())

        chat_io = dict(inputs=[pending, turns, top_k, answerer, rerank], outputs=[chatbot, sources, turns, status],
                       api_visibility="private")
        for trigger in (question.submit, send.click):
            trigger(submit, [question, turns], [question, chatbot, pending], queue=False,
                    api_visibility="private").then(respond, **chat_io)

        def restart():
            return [], sources_panel([]), [], ""

        new_chat.click(restart, None, [chatbot, sources, turns, pending], queue=False, api_visibility="private")
        chatbot.clear(restart, None, [chatbot, sources, turns, pending], queue=False, api_visibility="private")

        def exported(ts: list[ChatTurn]):
            path = export_file(ts)
            return gr.DownloadButton(value=path, interactive=path is not None)

        turns.change(exported, [turns], [export], queue=False, api_visibility="private")

        def open_link(request: gr.Request):
            view = linked_passage(backend, dict(request.query_params) if request is not None else {})
            return gr.skip() if view is None else sources_panel([view])

        app.load(open_link, None, [sources], api_visibility="private").then(
            None, None, None, js="() => { const el = document.querySelector('#citeqa-linked .ctx.cited');"
                                 " if (el) el.scrollIntoView({block: 'center'}); }")

        def like(ts: list[ChatTurn], data: gr.LikeData) -> None:
            index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
            t = int(index) // 2
            vote = vote_from_like(data.liked)
            if vote and 0 <= t < len(ts) and ts[t].answer is not None:
                append_feedback(Path(settings.feedback_path), feedback_record(ts[t].answer, vote))

        chatbot.like(like, [turns], None, queue=False, api_visibility="private")

        def upload(paths: list[str] | None, progress=gr.Progress()):
            """→ report, docs, docs_error, status, files (all five on every path; a missing one breaks the tab)."""
            try:
                if not paths:  # nothing chosen, or Gradio refused the file (over the size limit)
                    return "请先选择文件 / Choose files first.", gr.skip(), gr.skip(), gr.skip(), None

                def tick(stage: str, done: int, total: int) -> None:
                    label = "读取 / loading" if stage == "load" else "嵌入 / embedding"
                    progress((done, total), desc=label)

                progress(0, desc="上传 / uploading")
                result = backend.upload([(Path(p), Path(p).name) for p in paths], tick)
                lines = "\n".join(f"- {line}" for line in result.lines())
                return lines, *documents_update(backend), render_status(backend.status()), None
            finally:
                discard_uploads(paths or [], upload_dir)

        add.click(upload, [files], [report, docs, docs_error, status, files], api_visibility="private")

        def show_documents():
            return *documents_update(backend), render_status(backend.status())

        docs_tab.select(show_documents, None, [docs, docs_error, status], queue=False, api_visibility="private")

        def ask(question: str, history: list[dict] | str | None = None) -> dict:
            """Answer a question from the indexed documents. history: earlier turns as a list of
            {"role": "user"|"assistant", "content": str} (or that list as JSON). Returns Answer.to_dict()."""
            try:
                msgs = parse_history(history)
            except ValueError as exc:
                raise gr.Error(html.escape(str(exc), quote=False), print_exception=False) from None
            try:
                return backend.ask(question or "", msgs).to_dict()
            except Exception as exc:  # one line for the caller (the message names the fix), not a bare "Error"
                message = failure(exc, "Answering an API request failed")
                raise gr.Error(html.escape(message, quote=False), print_exception=False) from None

        gr.api(ask, api_name="ask")
        app.load(lambda: (render_status(backend.status()), *documents_update(backend)), None,
                 [status, docs, docs_error], api_visibility="private")
    app.queue(default_concurrency_limit=settings.concurrency)  # Gradio's default, 1, answers one user at a time
    app.citeqa_backend = backend  # type: ignore[attr-defined]
    app.citeqa_upload_dir = upload_dir  # type: ignore[attr-defined]
    return app


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth / CITEQA_AUTH must be 'user:password' (both parts non-empty)")
    return user, password


def launch_app(app: "gr.Blocks", settings: Settings, *, prevent_thread_lock: bool = False, quiet: bool = False) -> Any:
    """Serve the app on ``settings.host:settings.port`` (never a public share link)."""
    auth = parse_auth(settings.auth.get_secret_value() if settings.auth else None)
    return app.launch(server_name=settings.host, server_port=settings.port, share=False, auth=auth,
                      prevent_thread_lock=prevent_thread_lock, quiet=quiet, inbrowser=False, show_error=True,
                      max_file_size=f"{settings.max_upload_mb}mb", css=CSS)
