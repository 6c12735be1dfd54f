"""Clean quotes: opening paragraph numbers / list markers and footnote marks go, numbers stay, and every kept
character maps back to its place in the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunk import chunk_document
from ingest.load import load_document
from rag.quote import clean_quote, quote_of, source_span
from rag.sentences import sentence_spans

ROOT = Path(__file__).resolve().parents[1]
XQUAD = next((p for p in (ROOT / "eval" / "xquad" / "corpus", Path("/work/shared/evalsets/xquad/corpus"))
              if p.is_dir()), None)


def _check_map(text: str, cleaned: str, index: list[int]) -> None:
    assert [text[i] for i in index] == list(cleaned) and index == sorted(set(index))


@pytest.mark.parametrize("text, notes, expected", [
    ("会员国提名了超过 75 名联络人2参加工作组。", (1, 2, 3), "会员国提名了超过 75 名联络人参加工作组。"),
    ("超过75名联络人2参加工作组。", (2, 75), "超过75名联络人参加工作组。"),  # 75名 is a count, 2 the mark
    ("已提供一份摘要3供会员国审议。", (1, 2, 3), "已提供一份摘要供会员国审议。"),
    ("举办了网络研讨会5；", (5,), "举办了网络研讨会；"),
    ("前瞻简报25，以及报告", (25,), "前瞻简报，以及报告"),
    ("the targets were met.2 The review", (2,), "the targets were met. The review"),
    ("as the report3 says", (3,), "as the report says"),
])
def test_footnote_marks_glued_to_words_are_dropped(text, notes, expected):
    cleaned, index = clean_quote(text, notes)
    assert cleaned == expected
    _check_map(text, cleaned, index)


@pytest.mark.parametrize("text", [
    "第2次会议于2023年举行。", "共有3名代表，约5人缺席。", "CO2 和 H2O 的含量", "面积为 5 km2 的湖",
    "他贡献了 5½ 次擒杀。", "比分 23–16。", "版本 1.2 和 X.25 协议", "Internet2 网络", "在21世纪初", "第 4/14 号决议",
    "增长了1.5%", "收到了38 份标书", "Level 3 Communications", "1,000 people came",
])
def test_numbers_are_never_taken_for_footnote_marks(text):
    cleaned, index = clean_quote(text, set(range(1, 1000)))  # even if every number were a footnote
    assert cleaned == text.rstrip()
    _check_map(text, cleaned, index)


def test_digits_stay_when_the_documents_footnotes_are_unknown():
    assert clean_quote("联络人2参加工作组", None)[0] == "联络人2参加工作组"
    assert clean_quote("联络人2参加工作组", ())[0] == "联络人2参加工作组"
    assert clean_quote("联络人2参加工作组", (7,))[0] == "联络人2参加工作组"  # no footnote 2 near this text


@pytest.mark.parametrize("text, expected", [
    ("1.青湖位于山中。", "青湖位于山中。"),
    ("6. 工作组分享了经验。", "工作组分享了经验。"),
    ("(d) 与粮农组织合作；", "与粮农组织合作；"),
    ("（二）加强合作。", "加强合作。"),
    ("三、结论", "结论"),
    ("• Nitrogen waste halved.", "Nitrogen waste halved."),
    ("(iv) reduce waste;", "reduce waste;"),
    ("2. (a) 第一项", "第一项"),
    ("1.5 亿人受益。", "1.5 亿人受益。"),
    ("2019. A year of change.", "2019. A year of change."),
    ("(UNEP) said so.", "(UNEP) said so."),
])
def test_opening_paragraph_numbers_and_list_markers_are_dropped(text, expected):
    cleaned, index = clean_quote(text)
    assert cleaned == expected
    _check_map(text, cleaned, index)


def test_superscript_markup_marks_and_script_tags_are_dropped_and_exponents_keep_their_digits():
    text = "报告开展了 7 300 多项活动。<sup>6</sup> 此外，进展<sup>7</sup>，二氧化硫（SO<sub>2</sub>）和 5 m<sup>3</sup>。"
    cleaned, index = clean_quote(text)
    assert cleaned == "报告开展了 7 300 多项活动。 此外，进展，二氧化硫（SO2）和 5 m3。"
    _check_map(text, cleaned, index)
    second = text.index("<sup>6</sup>")
    quote = quote_of(text, second, len(text))  # a sentence that opens with the previous one's mark
    assert quote.text.startswith("此外") and text[quote.start:quote.start + 2] == "此外"


def test_quotes_from_the_shipped_report_with_superscript_marks_carry_no_markup(corpus_dir: Path):
    chunks = chunk_document(load_document(corpus_dir / "003_eee71a5fe2a8738e.txt"), "t", 400)
    marked = [c for c in chunks if "<sup>" in c.text and c.kind == "body"]
    assert marked  # the converted PDF writes its footnote references as <sup>n</sup>
    for c in marked:
        for a, b in sentence_spans(c.text):
            assert "<su" not in quote_of(c.text, a, b, c.notes).text


def test_a_quote_maps_back_to_its_source_span():
    text = "前文。4. 会员国提名了超过 75 名联络人2参加工作组。后文"
    start = text.index("4.")
    end = text.index("后文")
    quote = quote_of(text, start, end, (2,))
    assert quote.text == "会员国提名了超过 75 名联络人参加工作组。"
    assert text[quote.start:quote.end] == "会员国提名了超过 75 名联络人2参加工作组。"
    cleaned, index = clean_quote(text[start:end], (2,))
    a = cleaned.index("参加")
    assert text[start:end][slice(*source_span(index, a, a + 4))] == "参加工作"


def test_the_shipped_report_loses_its_footnote_marks_but_no_number(corpus_dir: Path):
    chunks = chunk_document(load_document(corpus_dir / "000_7b030ac21b7d218f.txt"), "t", 400)
    para4 = next(c for c in chunks if c.numbered and c.paragraph == 4 and c.kind == "body")
    cleaned, _ = clean_quote(para4.text, para4.notes)
    assert "超过 75 名联络人参加工作组" in cleaned and cleaned.startswith("2022 年 8 月 30 日")
    for c in chunks:
        cleaned, index = clean_quote(c.text, c.notes)
        dropped = [i for i in range(len(c.text)) if i not in set(index) and c.text[i].isdigit()]
        for i in dropped:  # only footnote numbers of this stretch, glued, never inside a number
            j = i
            while j < len(c.text) and c.text[j].isdigit():
                j += 1
            k = i
            while k > 0 and c.text[k - 1].isdigit():
                k -= 1
            assert int(c.text[k:j]) in c.notes or k < 5, c.text[max(0, k - 10):j + 5]


@pytest.mark.skipif(XQUAD is None, reason="XQuAD corpus not found (eval/xquad/corpus)")
def test_on_xquad_documents_quotes_keep_every_digit_even_if_every_number_were_a_footnote():
    sentences = changed = 0
    every = set(range(1, 1000))
    for f in sorted(XQUAD.glob("*.txt")):
        for c in chunk_document(load_document(f), f.stem, 400):
            for a, b in sentence_spans(c.text):
                text = c.text[a:b]
                sentences += 1
                for notes in (c.notes, every):
                    cleaned, index = clean_quote(text, notes)
                    _check_map(text, cleaned, index)
                    lost = [text[i] for i in range(len(text)) if i not in set(index)]
                    assert not any(ch.isdigit() for ch in lost), (text, cleaned)
                    changed += cleaned != text.strip()
    assert sentences > 500
    assert changed <= sentences // 50  # Wikipedia prose: hardly any opening list markers


def test_quotes_with_whitespace_squashed_lose_the_same_marks_and_keep_the_numbers(corpus_dir: Path):
    from rag.sentences import squash

    chunks = chunk_document(load_document(corpus_dir / "000_7b030ac21b7d218f.txt"), "t", 400)
    para4 = next(c for c in chunks if c.numbered and c.paragraph == 4 and c.kind == "body")
    cleaned, index = clean_quote(squash(para4.text), para4.notes, para4.paragraph)
    assert "会员国提名了超过75名联络人参加工作组。" in cleaned and cleaned.startswith("2022年8月30日")
    assert clean_quote("4.2022年8月", None, 4)[0] == "2022年8月" and clean_quote("4.2022年", None, 5)[0] == "4.2022年"
    _check_map(squash(para4.text), cleaned, index)


def test_a_footnotes_own_number_opens_it_and_is_dropped_but_other_numbers_stay():
    assert clean_quote("10 到2025年，减少污染。", footnote=10)[0] == "到2025年，减少污染。"
    assert clean_quote("<sup>7</sup> 有 62 个成员国。", footnote=7)[0] == "有 62 个成员国。"
    assert clean_quote("62 个成员国。", footnote=7)[0] == "62 个成员国。"  # not this footnote's number
    assert clean_quote("10 到2025年。")[0] == "10 到2025年。"  # not known to open a footnote
