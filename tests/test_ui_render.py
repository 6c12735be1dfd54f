"""The chat's HTML, from hand-made Answer values: clickable markers, escaping, refusals, context."""

from __future__ import annotations

import re
from dataclasses import replace

from rag.types import Answer, Chunk, Passage, Sentence
from ui.context import by_document, doc_context
from ui.render import (
    DocContext,
    Status,
    link_markers,
    parse_span,
    render_answer,
    render_link_missing,
    render_linked,
    render_sources,
    render_status,
    render_unavailable,
    render_user,
    sources_panel,
    supporting_spans,
)

DOC = "000_7b030ac21b7d218f.txt"
TITLE = "关于可持续氮管理的第 4/14 和第 5/2 号决议的执行进展"


def chunk(
    i: int,
    text: str,
    *,
    paragraph: int | None = None,
    part: int = 0,
    doc: str = DOC,
    start: int | None = None,
    numbered: bool = True,
    page: int | None = None,
) -> Chunk:
    start = i * 100 if start is None else start
    return Chunk(
        id=f"{doc}:{i}",
        doc=doc,
        title=TITLE,
        section="二、进展 > 工作组",
        paragraph=paragraph or i,
        page=page,
        char_start=start,
        char_end=start + len(text),
        text=text,
        part=part,
        numbered=numbered,
    )


P1 = "第三次会议于 2023 年 4 月 27 日在布加勒斯特以混合形式举行。次日举行了一次非正式专家会议。"
P2 = "会员国提名了超过 75 名联络人。"


def answer(**kw) -> Answer:
    base = dict(
        question="第三次会议在哪里召开？",
        language="zh",
        answer="第三次会议于 2023 年 4 月 27 日在布加勒斯特以混合形式举行[1]。会员国提名了超过 75 名联络人【2】。",
        refused=False,
        sentences=[
            Sentence("第三次会议于 2023 年 4 月 27 日在布加勒斯特以混合形式举行[1]。", [1]),
            Sentence("会员国提名了超过 75 名联络人【2】。", [2]),
        ],
        passages=[Passage(chunk(5, P1), 0.91, n=1, rank=1), Passage(chunk(9, P2), 0.52, n=2, rank=2)],
        retrieved=[],
        mode={"retrieval": "lexical", "answerer": "extractive"},
        timings={},
    )
    base.update(kw)
    base["retrieved"] = base["retrieved"] or list(base["passages"])
    return Answer(**base)


def test_every_marker_becomes_a_link_to_its_source_in_this_turn():
    html = render_answer(answer(), turn=3)
    links = re.findall(r'<a class="cite" href="#src-(\d+)-(\d+)">\[(\d+)\]</a>', html)
    assert links == [("3", "1", "1"), ("3", "2", "2")]
    assert "【2】" not in html and "[1]" in html


def test_a_multi_number_marker_gives_one_link_per_passage():
    html = link_markers("两者都是[1, 2]。", turn=0, known={1, 2})
    assert html.count('class="cite"') == 2
    assert 'href="#src-0-1"' in html and 'href="#src-0-2"' in html


def test_a_marker_for_no_listed_passage_is_not_a_link():
    html = link_markers("无来源[7]。", turn=0, known={1})
    assert "cite-missing" in html and 'href="#src-0-7"' not in html


def test_html_from_documents_questions_and_answers_is_escaped():
    evil = "<script>alert(1)</script> & <b>bold</b>"
    a = answer(
        question=evil,
        answer=f"{evil}[1]",
        sentences=[Sentence(f"{evil}[1]", [1])],
        passages=[Passage(chunk(1, evil), 0.5, n=1)],
    )
    for html in (render_answer(a, 0), render_sources(a, 0), render_user(evil)):
        assert "<script>" not in html and "<b>bold" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_answer_html_never_holds_a_blank_line_so_markdown_leaves_it_alone():
    html = render_answer(answer(answer="第一段[1]。\n\n第二段 *星号* [2]。"), 0)
    assert "\n" not in html and "<br><br>" in html and "*星号*" in html


def test_a_refusal_says_so_and_names_what_the_closest_passages_were_about_in_the_questions_language():
    a = answer(answer="文档中没有关于这一问题的信息。", refused=True, sentences=[])
    chat = render_answer(a, 0)
    assert "refusal" in chat and "最接近的段落" in chat and f"《{TITLE}》工作组" in chat
    english = render_answer(answer(question="Where?", language="en", answer="The documents do not contain this.",
                                   refused=True, sentences=[]), 0)
    assert "The closest passages" in english and "are about:" in english and "最接近" not in english
    sources = render_sources(a, 0)
    assert "供核查" in sources and sources.count('class="src"') == 2
    assert P1.split("。")[0] in sources


def test_a_caveated_answer_is_marked_apart_from_a_plain_answer_with_its_caveat_first():
    note = "所引段落没有提到2020年，只提到2024年："
    html = render_answer(answer(answer=f"{note}\n会员国提名了超过 75 名联络人【2】。", caveat=note), 0)
    assert 'class="citeqa-answer caveated"' in html and html.index(note) < html.index('class="cite"')
    assert "caveated" not in render_answer(answer(), 0)


def test_an_answer_to_some_parts_of_a_question_names_the_parts_it_could_not_confirm():
    html = render_answer(answer(unanswered=["有多少人参加？"]), 0)
    assert 'class="hint unanswered"' in html and "未能确认答案（请核查所引段落）：有多少人参加？" in html
    english = render_answer(answer(question="Where?", language="en", unanswered=["how many attended?"]), 0)
    assert "No confirmed answer to: how many attended? (check the cited passages)." in english
    assert "unanswered" not in render_answer(answer(), 0)


def test_sources_show_title_section_paragraph_score_and_highlight_the_cited_sentence():
    html = render_sources(answer(), 0)
    assert html.count('<details class="src"') == 2
    assert 'id="src-0-1"' in html and 'id="src-0-2"' in html
    assert TITLE in html and "二、进展 &gt; 工作组" in html and "score 0.910" in html
    assert f"{TITLE}，第5段" in html  # the reference: no symbol in this chunk, so the title
    marked = re.findall(r"<mark>(.*?)</mark>", html)
    assert "第三次会议于 2023 年 4 月 27 日在布加勒斯特以混合形式举行。" in marked
    assert all("非正式专家会议" not in m for m in marked)


def test_a_paraphrased_claim_highlights_the_closest_sentence_and_an_unrelated_one_nothing():
    text = "甲乙丙丁戊己。会员国提名了超过 75 名联络人。庚辛壬癸。"
    spans = supporting_spans(text, ["会员国共提名超过 75 名联络人"])
    assert [text[a:b] for a, b in spans] == ["会员国提名了超过 75 名联络人。"]
    assert supporting_spans(text, ["完全无关的内容"]) == []


def test_the_sources_panel_shows_only_the_latest_turn_until_a_marker_picks_another():
    panel = sources_panel(["<p>one</p>", "<p>two</p>"])
    assert '<section class="citeqa-turn" id="turn-0">' in panel
    assert '<section class="citeqa-turn active" id="turn-1">' in panel
    assert "Cited passages appear here" in sources_panel([])


def test_show_in_document_lists_the_neighbouring_chunks_and_the_whole_split_paragraph():
    chunks = [
        chunk(1, "前一段。"),
        chunk(2, "长段落的第一部分。", paragraph=2),
        chunk(3, "长段落的第二部分。", paragraph=2, part=1),
        chunk(4, "后一段。"),
        chunk(0, "另一文档。", doc="other.txt"),
    ]
    ordered = by_document(chunks)[DOC]
    ctx = doc_context(ordered[2], ordered)
    assert ctx.paragraph == "长段落的第一部分。长段落的第二部分。"
    assert [c.text for c in ctx.before] == ["前一段。"] and [c.text for c in ctx.after] == ["后一段。"]
    a = answer(passages=[Passage(ordered[2], 0.4, n=1)], sentences=[Sentence("长段落的第二部分[1]。", [1])])
    html = render_sources(a, 0, {ordered[2].id: ctx})
    assert "Show in document" in html and "前一段。" in html and "后一段。" in html
    assert "<mark>长段落的第二部分。</mark>" in html


def test_an_unnumbered_pdf_paragraph_is_cited_by_its_page_and_a_text_file_by_a_counted_paragraph():
    a = answer(passages=[Passage(chunk(1, "文本。", numbered=False, page=3, paragraph=14), 0.3, n=1)])
    assert f"{TITLE}，第3页" in render_sources(a, 0)
    a = answer(passages=[Passage(chunk(1, "文本。", numbered=False, paragraph=14), 0.3, n=1)], language="en")
    assert f"{TITLE}, para. 14 (counted)" in render_sources(a, 0)


def test_the_status_line_names_mode_answerer_and_counts_and_escapes_notices():
    html = render_status(Status("lexical", "extractive", 4, 512, ("No embedder <none>: lexical-only",)))
    assert "lexical-only" in html and "extractive" in html and "4" in html and "512" in html
    assert "&lt;none&gt;" in html


def test_an_unreadable_index_is_one_escaped_line_in_the_status_and_above_the_sources():
    down = "Chroma server at http://127.0.0.1:8000 stopped answering (<refused>) — restart it"
    html = render_status(Status("lexical", "extractive", 0, 0, (), error=down))
    assert "Index unavailable" in html and "http://127.0.0.1:8000" in html and "&lt;refused&gt;" in html
    assert "Documents:" not in html  # no counts that would read as "the index is empty"
    sources = render_sources(answer(), 0, notice=f"Show in document unavailable: {down}")
    assert sources.index("Show in document unavailable") < sources.index('class="src"')
    assert "&lt;refused&gt;" in sources and "<refused>" not in sources


def test_a_streaming_draft_shows_its_markers_unlinked_until_the_checked_answer_arrives():
    html = render_answer(answer(passages=[]), turn=0, final=False)
    assert 'class="cite"' not in html and html.count("cite-pending") == 2 and "streaming" in html


def test_an_english_claim_on_a_chinese_passage_highlights_the_sentence_with_its_numbers():
    text = "会议于 2022 年举行。第三次会议于 2023 年 4 月 27 日在布加勒斯特举行。"
    spans = supporting_spans(text, ["The third meeting was held on 27 April 2023 in Bucharest [1]."])
    assert [text[a:b] for a, b in spans] == ["第三次会议于 2023 年 4 月 27 日在布加勒斯特举行。"]


def test_a_claim_quoting_one_clause_of_a_long_sentence_highlights_just_that_clause():
    text = "第一次会议于 2020 年在线举行；第三次会议于 2023 年在布加勒斯特以混合形式举行；第四次会议在内罗毕举行。"
    spans = supporting_spans(text, ["第三次会议于2023年在布加勒斯特以混合形式举行[1]；"])
    assert [text[a:b] for a, b in spans] == ["第三次会议于 2023 年在布加勒斯特以混合形式举行；"]


def test_a_source_card_names_the_passage_as_an_analyst_cites_it_and_links_to_it():
    a = answer(passages=[Passage(replace(chunk(5, P1), symbol="UNEP/EA.6/4"), 0.9, n=1)])
    html = render_sources(a, 0)
    assert '<span class="cite-ref">UNEP/EA.6/4，第5段</span>' in html
    english = render_sources(replace(a, language="en"), 0)
    assert '<span class="cite-ref">UNEP/EA.6/4, para. 5</span>' in english
    link = re.search(r'<a class="deep-link" href="([^"]+)"', html).group(1)
    start = P1.index("第三次会议")
    end = P1.index("。") + 1
    assert link == f"?passage=000_7b030ac21b7d218f.txt%3A5&amp;span={start}-{end}"


def test_superscripts_written_as_markup_in_a_document_show_as_superscripts_and_nothing_else_does():
    text = "估计可实现 30% 至 40% 的循环率。<sup>2</sup> 二氧化硫（SO<sub>2</sub>）。<sup><b>x</b></sup> <sup>3"
    a = answer(answer="x[1]", sentences=[Sentence("x[1]", [1])], passages=[Passage(chunk(1, text), 0.5, n=1)])
    html = render_sources(a, 0)
    assert "循环率。<sup>2</sup>" in html and "SO<sub>2</sub>" in html and "&lt;sup&gt;2" not in html
    assert "<b>" not in html and "&lt;sup&gt;&lt;b&gt;x" in html and "&lt;sup&gt;3" in html


def test_the_highlight_covers_the_source_span_the_answerer_recorded_even_for_a_cleaned_quote():
    text = "4. 会员国提名了超过 75 名联络人2参加工作组。另一句。"
    start, end = text.index("会员国"), text.index("另一句")
    sentence = Sentence("会员国提名了超过 75 名联络人参加工作组[1]。", [1], {1: (start, end)})
    a = answer(answer=sentence.text, sentences=[sentence], passages=[Passage(chunk(4, text), 0.9, n=1)])
    marked = re.findall(r"<mark>(.*?)</mark>", render_sources(a, 0))
    assert marked == ["会员国提名了超过 75 名联络人2参加工作组。"]
    # in the whole paragraph (a chunk that is the second piece of its paragraph), the offsets move with it
    ctx = DocContext(paragraph="第一部分。" + text)
    marked = re.findall(r"<mark>(.*?)</mark>", render_sources(a, 0, {a.passages[0].chunk.id: ctx}))
    assert marked[0] == "会员国提名了超过 75 名联络人2参加工作组。"


def test_the_unavailable_notice_uses_no_emoji():
    html = render_unavailable("server down")
    assert "⚠" not in html and 'class="icon-warn"' in html


def test_a_deep_link_span_is_read_only_when_well_formed_and_inside_the_passage():
    assert parse_span("3-10", 20) == (3, 10) and parse_span("3-99", 20) == (3, 20)
    for bad in ("", "10-3", "a-b", "3", "-1-4", "25-30", "3-10<script>"):
        assert parse_span(bad, 20) is None


def test_a_linked_passage_is_shown_in_its_document_with_the_span_marked_and_a_bad_id_escaped():
    cited = chunk(5, P1)
    ctx = DocContext(paragraph=P1, before=(chunk(4, "前一段。"),), after=(chunk(6, "后一段。"),))
    end = P1.index("。") + 1
    html = render_linked(replace(cited, symbol="UNEP/EA.6/4"), ctx, (0, end), "en")
    assert re.findall(r"<mark>(.*?)</mark>", html) == [P1[:end]]
    assert "UNEP/EA.6/4, para. 5" in html and html.count('class="ctx') == 3 and 'id="citeqa-linked"' in html
    whole = render_linked(cited, ctx, None)
    assert re.findall(r"<mark>(.*?)</mark>", whole) == [P1]
    missing = render_link_missing('<img src=x onerror="alert(1)">')
    assert "<img" not in missing and "&lt;img" in missing
