"""Citations in the real chat (Chromium via Playwright, real Gradio on 127.0.0.1): the Export button downloads
the conversation as Markdown with cite strings and clean quotes; a passage deep link opens the paragraph
with the cited sentence highlighted. Screenshots: test-artifacts/export.png, test-artifacts/deeplink.png."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from rag.sentences import squash
from tests.test_ui_browser import ARTIFACTS, ask, browser, page  # noqa: F401 - fixtures

FOCAL = "会员国为氮问题工作组提名了多少名联络人？"
RESOLUTION = "第5/11号决议第10段请执行主任做什么？"


def test_export_downloads_the_conversation_as_markdown_with_cite_strings_and_clean_quotes(page, app_server):  # noqa: F811
    assert page.locator("#citeqa-export").is_disabled()  # nothing to export before an answer
    ask(page, FOCAL)
    ask(page, RESOLUTION, answers_before=1)
    page.wait_for_function("() => !document.querySelector('#citeqa-export').disabled")
    with page.expect_download() as download:
        page.click("#citeqa-export")
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".md")
    text = open(path, encoding="utf-8").read()
    assert text.startswith("# citeqa")
    assert f"## 问: {FOCAL}" in text and f"## 问: {RESOLUTION}" in text
    assert text.index(FOCAL) < text.index(RESOLUTION)  # in the order asked
    assert "UNEP/EA.6/4，第4段 — 关于可持续氮管理的第 4/14 和第 5/2 号决议的执行进展" in text
    assert "会员国提名了超过75名联络人参加工作组。" in text.replace(" ", "")  # quoted without the footnote mark "2"
    second = text[text.index(f"## 问: {RESOLUTION}"):]
    assert re.search(r"UNEP/EA\.6/\d，第\d+段", second)  # the second answer's sources cited by symbol and paragraph
    quotes = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("> ")]
    assert len(quotes) >= 2 and not [q for q in quotes if re.match(r"\(?\d+[.)]\s", q)]  # no "2." number kept
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "export.png"), full_page=True)
    (ARTIFACTS / "export.md").write_text(text, encoding="utf-8")


def test_a_passage_deep_link_opens_the_paragraph_with_the_cited_sentence_highlighted(page, app_server):  # noqa: F811
    ask(page, FOCAL)
    card = page.locator("#citeqa-sources details.src").first
    assert "UNEP/EA.6/4，第4段" in card.locator(".cite-ref").inner_text()
    href = card.locator("a.deep-link").get_attribute("href")
    query = parse_qs(urlsplit(href).query)
    found = app_server.backend.passage(query["passage"][0])
    assert found is not None
    chunk, _ = found
    start, end = map(int, query["span"][0].split("-"))
    cited = chunk.text[start:end]
    assert "超过 75 名联络人" in cited

    page.goto(app_server.url + href)  # what a colleague opening the link sees
    linked = page.locator("#citeqa-linked")
    linked.wait_for()
    assert "UNEP/EA.6/4，第4段" in linked.locator(".cite-ref").inner_text()
    marked = linked.locator(".ctx.cited mark")
    assert marked.count() == 1 and squash(marked.inner_text()) == squash(cited)
    assert linked.locator(".ctx").count() >= 3  # the paragraph and its neighbours in the document
    assert linked.locator(".ctx.cited mark").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "deeplink.png"), full_page=True)


def test_a_deep_link_to_a_passage_no_longer_indexed_says_so(page, app_server):  # noqa: F811
    page.goto(app_server.url + "?passage=0000000000000000")
    page.locator("#citeqa-sources >> text=This paragraph is not in the index").wait_for()
