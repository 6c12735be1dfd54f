"""The chat in a real Chromium with the real llama.cpp server answering: the draft streams into the page
token by token, and what stays on screen is the enforced answer — every sentence shown is supported by the
passage its marker opens (the independent rule of ``eval.support_rule``, read off the page itself), or a
refusal that lists the closest passages. The page is saved to test-artifacts/chat-llm.png.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace

import pytest

from eval.support_rule import echoes, problems
from tests.fixtures.app_server import free_port
from tests.fixtures.llm_server import dev_questions, llm_components
from tests.llm_checks import prompt_texts
from tests.test_ui_browser import ARGS, ARTIFACTS, CHROMIUM

pytestmark = [pytest.mark.llm_server, pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 300_000  # two requests to a 2-core CPU server, shared with the rest of the machine
SENTENCE = re.compile(r"(.+?)((?:\s*\[\d+\])+)\s*([。．.!?！？；;]?)", re.S)
RECORD_DRAFTS = """() => {
  window.__drafts = [];
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('#citeqa-chat .citeqa-answer.streaming'))
      window.__drafts.push(el.innerText);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def llm_app(corpus_components, llm_server):
    from ui.app import create_app, launch_app

    components = llm_components(corpus_components, llm_server)
    settings = components.settings.model_copy(update={"host": "127.0.0.1", "port": free_port()})
    app = create_app(settings, replace(components, settings=settings))
    launch_app(app, settings, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{settings.port}/"
    finally:
        app.close()


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


def test_the_stream_ends_with_the_enforced_answer_on_the_page(browser, llm_app, similarity):
    context = browser.new_context(viewport={"width": 1400, "height": 950}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(llm_app)
        page.wait_for_selector("#citeqa-question textarea")
        page.evaluate(RECORD_DRAFTS)
        page.fill("#citeqa-question textarea", dev_questions()["A-dev-001"])
        page.click("#citeqa-send")
        page.wait_for_selector("#citeqa-chat .citeqa-answer:not(.streaming)")
        drafts = [d.strip() for d in page.evaluate("window.__drafts") if d.strip() not in ("", "…")]
        answer = page.locator("#citeqa-chat .citeqa-answer").first
        shown, answer_class = answer.inner_text(), answer.get_attribute("class") or ""
        passages = {int(el.get_attribute("id").rsplit("-", 1)[1]): el.locator(".para").inner_text()
                    for el in page.locator("#citeqa-sources details.src").all()}
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat-llm.png"), full_page=True)
    finally:
        context.close()
    assert len(set(drafts)) >= 5, f"the draft did not stream into the page: {drafts[:3]}"
    assert passages, "no passage listed under Sources (cited, or the closest for a refusal)"
    assert "error" not in answer_class, shown
    sentences = [(m.group(1) + m.group(3), [int(n) for n in re.findall(r"\d+", m.group(2))])
                 for m in SENTENCE.finditer(shown)]
    if "refusal" in answer_class:
        assert sentences == [], f"a refusal that shows cited sentences: {shown!r}"
    else:
        assert sentences, f"an answer without cited sentences: {shown!r}"
    bad = []
    for text, cited in sentences:
        missing = [n for n in cited if n not in passages]
        why = problems(text, "\n".join(passages.get(n, "") for n in cited), similarity) or missing
        if why:
            bad.append((text, cited, why))
    assert bad == []
    assert not any(echoes(text, prompt_texts(), passages.get(cited[0], "")) for text, cited in sentences)
