"""The Markdown export: references with cite strings and clean quotes, and nothing from a document that
renders as markup (checked by rendering it with markdown-it, HTML allowed)."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from rag.types import Answer, Chunk, Passage, Sentence
from ui.export import answer_markdown, conversation_markdown, md_escape

TEXT = "4. 会员国提名了超过 75 名联络人2参加工作组。另一句。"
CHUNK = Chunk(id="c4", doc="000.txt", title="关于可持续氮管理的执行进展", section="A. 工作组", paragraph=4, page=None,
              char_start=0, char_end=len(TEXT), text=TEXT, numbered=True, symbol="UNEP/EA.6/4", notes=(1, 2, 3))


def _answer(language: str = "zh", **kw) -> Answer:
    start, end = TEXT.index("会员国"), TEXT.index("另一句")
    base = dict(question="会员国提名了多少名联络人？", language=language, answer="会员国提名了超过 75 名联络人参加工作组[1]。",
                refused=False, sentences=[Sentence("会员国提名了超过 75 名联络人参加工作组。", [1], {1: (start, end)})],
                passages=[Passage(CHUNK, 0.9, n=1)], retrieved=[], mode={}, timings={})
    base.update(kw)
    return Answer(**base)


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough").render(markdown)


def test_an_answer_lists_its_references_with_cite_title_and_the_cleaned_supporting_sentence():
    md = answer_markdown(_answer())
    assert md.splitlines()[0] == "## 问: 会员国提名了多少名联络人？"
    assert "会员国提名了超过 75 名联络人参加工作组[1]。" in md
    assert "- [1] UNEP/EA.6/4，第4段 — 关于可持续氮管理的执行进展" in md
    assert "  > 会员国提名了超过 75 名联络人参加工作组。" in md  # footnote mark 2 and "4." gone
    english = answer_markdown(_answer("en", question="How many focal points?"))
    assert "**References**" in english and "- [1] UNEP/EA.6/4, para. 4 —" in english
    html = _html(md)
    assert "<li>[1] UNEP/EA.6/4，第4段" in html and "<blockquote>" in html


def test_an_answer_in_part_exports_the_parts_it_could_not_confirm_after_the_answer():
    md = answer_markdown(_answer(question="会员国提名了多少名联络人？他们来自哪些国家？", unanswered=["他们来自哪些国家？"]))
    assert md.index("联络人参加工作组[1]。") < md.index("以下部分未能确认答案（请核查所引段落）：他们来自哪些国家？")
    assert "未能确认" not in answer_markdown(_answer())


def test_a_refusal_exports_what_the_closest_passages_were_about():
    md = answer_markdown(_answer(refused=True, sentences=[], answer="文档中没有找到相关信息。"))
    assert "文档中没有找到答案。最接近的段落" in md and "**最接近的段落（供核查）**" in md
    assert "《关于可持续氮管理的执行进展》A\\. 工作组" not in md and "A. 工作组" in md


def test_a_conversation_exports_every_turn_in_order_and_says_when_one_failed():
    md = conversation_markdown([("第一问？", _answer(question="第一问？")), ("第二问？", None),
                                ("第三问？", _answer(question="第三问？"))])
    heads = re.findall(r"^## 问: (.+)$", md, flags=re.M)
    assert heads == ["第一问？", "第二问？", "第三问？"] and "*回答失败*" in md and md.startswith("# citeqa")


def test_nothing_from_a_document_or_question_renders_as_a_tag_a_link_or_an_image():
    evil = ('<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) '
            '![i](http://x/y.png) **bold** `code` <a href="http://evil">a</a> &lt;b&gt; | a | b |')
    chunk = Chunk(id="e", doc="evil.txt", title=evil, section=evil, paragraph=2, page=None, char_start=0,
                  char_end=len(evil), text=evil + "。")
    answer = _answer(question=evil, answer=evil + "[1]", sentences=[Sentence(evil, [1])],
                     passages=[Passage(chunk, 0.5, n=1)])
    for md in (answer_markdown(answer), conversation_markdown([(evil, answer)]),
               answer_markdown(Answer(**{**answer.__dict__, "refused": True}))):
        html = _html(md)
        tags = re.findall(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>", html)
        assert {t[1] for t in tags} <= {"h1", "h2", "p", "ul", "li", "blockquote", "strong", "em"}
        assert all(not attrs.strip() for _, _, attrs in tags)  # no href, src, onerror, …
        assert html.count("<strong>") == 1 and html.count("<em>") <= 1  # only ours: the references heading
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not dropped
        assert "[click](javascript:alert(3))" in html


def test_escaping_keeps_the_text_readable_once_rendered():
    text = "a_b *c* [d] <e> #f | g ~h~ & i\\j"
    html = _html(md_escape(text))
    assert re.sub(r"<[^>]+>", "", html).strip() == "a_b *c* [d] &lt;e&gt; #f | g ~h~ &amp; i\\j"
