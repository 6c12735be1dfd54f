"""The chat in a real Chromium (Debian's, driven by Playwright) against a live server.

Skipped when /usr/bin/chromium is missing (`make browsers` installs it) unless REQUIRE_BROWSER_TESTS=1.
The answered chat is saved to test-artifacts/chat.png for a human to look at.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rag.sentences import squash

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
QUESTION = "环境署氮问题工作组的第三次会议是在哪里召开的？采用了什么会议形式？"
FOLLOW_UP = "会员国为氮问题工作组提名了多少名联络人？"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found — install it with `make browsers` (apt: chromium fonts-noto-cjk)"
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_server):
    context = browser.new_context(viewport={"width": 1400, "height": 950}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    pg.goto(app_server.url)
    pg.wait_for_selector("#citeqa-question textarea")
    yield pg
    context.close()


def ask(page, question: str, answers_before: int = 0) -> None:
    page.fill("#citeqa-question textarea", question)
    page.click("#citeqa-send")
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function("n => document.querySelectorAll('#citeqa-chat .citeqa-answer:not(.streaming)')"
                               ".length > n", arg=answers_before)
    except PlaywrightTimeout:
        raise AssertionError(f"no answer within {WAIT_MS} ms; the chat shows: {page.inner_text('#citeqa-chat')!r}") from None


def test_clicking_a_citation_shows_its_passage_title_and_paragraph_in_the_sources_panel(page, app_server):
    expected = app_server.backend.ask(QUESTION)
    first = next(p for p in expected.passages if p.n == 1).chunk
    ask(page, QUESTION)
    marker = page.locator("#citeqa-chat a.cite", has_text="[1]").first
    marker.click()
    selected = page.locator("#citeqa-sources details.src.selected")
    selected.wait_for()
    assert selected.get_attribute("id") == "src-0-1" and selected.evaluate("d => d.open")
    assert first.title in selected.locator(".title").inner_text()
    assert squash(first.text) in squash(selected.locator(".para").inner_text())
    assert selected.locator(".para mark").count() >= 1
    selected.locator("details.doc-view > summary").click()
    assert squash(first.text) in squash(selected.locator(".ctx.cited").inner_text())
    assert selected.locator(".ctx").count() >= 2  # the cited paragraph and at least one neighbour
    assert "布加勒斯特" in page.locator("#citeqa-chat .citeqa-answer").first.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "chat.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_a_marker_in_an_earlier_answer_brings_back_that_answers_sources(page):
    ask(page, QUESTION)
    ask(page, FOLLOW_UP, answers_before=1)
    panel = page.locator("#citeqa-sources")
    assert panel.locator("section.citeqa-turn.active").get_attribute("id") == "turn-1"
    page.locator('#citeqa-chat a.cite[href="#src-0-1"]').first.click()
    assert panel.locator("section.citeqa-turn.active").get_attribute("id") == "turn-0"
    assert panel.locator("#src-0-1").evaluate("d => d.open")
    page.click("#citeqa-new")
    page.wait_for_function("() => !document.querySelector('#citeqa-chat .citeqa-answer')")
    assert "Cited passages appear here" in panel.inner_text()


def test_a_vote_on_an_answer_is_appended_to_the_feedback_file(page, app_server):
    path = app_server.settings.feedback_path
    before = path.read_text(encoding="utf-8").count("\n") if path.exists() else 0
    ask(page, QUESTION)
    # Gradio's own buttons follow the browser locale (zh-CN here: 赞 = Like)
    page.locator("#citeqa-chat button[aria-label='赞'], #citeqa-chat button[aria-label='Like']").first.click()
    for _ in range(50):
        if path.exists() and path.read_text(encoding="utf-8").count("\n") > before:
            break
        page.wait_for_timeout(100)
    record = json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
    assert record["vote"] == "up" and record["question"] == QUESTION
    assert record["citations"] and record["citations"][0]["doc"].endswith(".txt")


def test_an_uploaded_pdf_is_indexed_and_listed_in_the_documents_tab(page, app_server, tmp_path):
    from tests.fixtures.pdfs import REPORT_PAGES, make_pdf

    count = len(app_server.backend.components.store.documents())
    pdf = make_pdf(tmp_path / "氮管理测试报告.pdf", REPORT_PAGES)
    page.get_by_role("tab", name="文档 / Documents").click()
    page.locator("#citeqa-upload input[type=file]").set_input_files(str(pdf))
    page.wait_for_selector("#citeqa-upload >> text=氮管理测试报告.pdf")
    page.click("#citeqa-add")
    report = page.locator("#citeqa-upload-report")
    report.locator("text=氮管理测试报告.pdf").wait_for()
    assert "已加入 / Added" in report.inner_text()
    page.locator("#citeqa-docs >> text=氮管理测试报告.pdf").wait_for()
    assert (app_server.settings.corpus_dir / "氮管理测试报告.pdf").exists()
    assert "氮管理测试报告.pdf" in [d.doc for d in app_server.backend.components.store.documents()]
    page.locator(f"#citeqa-status >> text=Documents: {count + 1}").wait_for()


def test_a_bad_upload_is_reported_with_its_reason_and_nothing_is_lost(page, app_server, tmp_path):
    before = {d.doc for d in app_server.backend.components.store.documents()}
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n this is not really a pdf \n%%EOF")
    page.get_by_role("tab", name="文档 / Documents").click()
    page.locator("#citeqa-upload input[type=file]").set_input_files(str(bad))
    page.wait_for_selector("#citeqa-upload >> text=broken.pdf")
    page.click("#citeqa-add")
    page.locator("#citeqa-upload-report >> text=broken.pdf").wait_for()
    assert "未加入 / Not added" in page.locator("#citeqa-upload-report").inner_text()
    assert {d.doc for d in app_server.backend.components.store.documents()} == before
    assert not (app_server.settings.corpus_dir / "broken.pdf").exists()


def test_clicking_add_with_no_file_says_choose_a_file_and_the_documents_tab_keeps_working(page, app_server, tmp_path):
    count = len(app_server.backend.components.store.documents())
    page.get_by_role("tab", name="文档 / Documents").click()
    page.locator("#citeqa-docs >> text=Chunks").first.wait_for()
    page.click("#citeqa-add")
    page.locator("#citeqa-upload-report >> text=Choose files first").wait_for()
    assert page.locator(".toast-body.error").count() == 0  # no Gradio "Error" toast
    assert "Error" not in page.locator("#citeqa-docs-error").inner_text()
    note = tmp_path / "无文件之后.txt"
    note.write_text("无文件之后的说明\n\n1. 点击添加后，文档页仍可上传文件。\n", encoding="utf-8")
    page.locator("#citeqa-upload input[type=file]").set_input_files(str(note))  # the tab still works
    page.wait_for_selector("#citeqa-upload >> text=无文件之后.txt")
    page.click("#citeqa-add")
    page.locator("#citeqa-upload-report >> text=无文件之后.txt").wait_for()
    assert "已加入 / Added" in page.locator("#citeqa-upload-report").inner_text()
    page.locator(f"#citeqa-status >> text=Documents: {count + 1}").wait_for()
    assert not list(Path(app_server.app.citeqa_upload_dir).rglob("无文件之后.txt"))  # no temp copy left behind


MARKUP_DOC = ("青海湖观鸟站记录\n\n"
              "1. 2030 年青海湖观鸟站的网页显示了代码 <script>alert(1)</script> 与图片标签 "
              "<img src=x onerror=alert(1)>，站长随后删除了这些代码。\n\n"
              "2. 观鸟站共记录到斑头雁 4 321 只。\n")
MARKUP_QUESTION = "青海湖观鸟站的网页显示了什么代码？<img src=y onerror=alert(2)>"


def test_markup_in_a_document_and_a_question_is_shown_as_text_and_never_runs(page, app_server, tmp_path):
    src = tmp_path / "markup.txt"
    src.write_text(MARKUP_DOC, encoding="utf-8")
    assert app_server.backend.upload([(src, "网页代码记录.txt")]).added == ["网页代码记录.txt"]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ask(page, MARKUP_QUESTION)
    cited = page.locator("#citeqa-sources details.src").first
    cited.locator("details.doc-view > summary").click()  # the "show in document" view renders it too
    page.wait_for_timeout(500)  # time for an injected <img onerror> to fire, were there one
    assert dialogs == []
    answer = page.locator("#citeqa-chat .citeqa-answer").first.inner_text()
    assert "<script>alert(1)</script>" in answer and "<img src=x onerror=alert(1)>" in answer
    assert "<img src=y onerror=alert(2)>" in page.locator("#citeqa-chat .citeqa-question").first.inner_text()
    assert "网页代码记录.txt" in cited.inner_text()
    para = cited.locator(".para").inner_text()
    assert "<script>alert(1)</script>" in para and "<img src=x onerror=alert(1)>" in para
    assert "<script>alert(1)</script>" in cited.locator(".ctx.cited").inner_text()
    assert "<img src=y onerror=alert(2)>" in page.locator("#citeqa-sources .turn-head").inner_text()
    assert page.locator("#citeqa-chat img, #citeqa-sources img").count() == 0
    assert page.locator("#citeqa-chat script, #citeqa-sources script").count() == 0
