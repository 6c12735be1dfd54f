"""Segmentation of the real seed documents (text extracted from PDFs) and of small made-up texts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.clean import join_texts, squeeze
from ingest.load import Document, load_document
from ingest.segment import Paragraph, Segmentation, segment
from tests.conftest import CORPUS

UN_NITROGEN = "000_7b030ac21b7d218f.txt"
ANNUAL_2024 = "001_6cfd863ef6650e26.txt"
UN_CIRCULAR = "003_eee71a5fe2a8738e.txt"
ANNUAL_2020 = "004_c0676d05f06f9068.txt"


@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[Document, Segmentation]]:
    out = {}
    for path in sorted(CORPUS.glob("*.txt")):
        doc = load_document(path)
        out[path.name] = (doc, segment(doc))
    return out


def _doc(raw: str, name: str = "x.txt") -> Document:
    return Document(doc=name, path=Path(name), raw=raw, sha256="0" * 64, pages=None)


def _body(seg: Segmentation, number: int) -> list[Paragraph]:
    return [p for p in seg.paragraphs if p.kind == "body" and p.number == number and p.numbered]


def _dropped_text(doc: Document, seg: Segmentation, reason: str) -> list[str]:
    return [doc.raw[s:e] for s, e, r in seg.dropped if r == reason]


@pytest.mark.parametrize(("name", "last"), [(UN_NITROGEN, 35), (UN_CIRCULAR, 26)])
def test_un_reports_keep_their_paragraph_numbers_without_gaps(seeds, name: str, last: int):
    doc, seg = seeds[name]
    assert seg.numbered
    numbers = sorted({p.number for p in seg.paragraphs if p.kind == "body" and p.numbered})
    assert numbers == list(range(1, last + 1))
    for n in numbers:
        assert _body(seg, n)[0].text.startswith(f"{n}. ")


def test_paragraph_5_is_joined_across_line_breaks_and_keeps_its_number(seeds):
    doc, seg = seeds[UN_NITROGEN]
    (para,) = _body(seg, 5)
    assert "第三次会议于 2023 年 4 月 27 日在布加勒斯特以混合形式举行" in para.text  # "布加勒斯\n\n特" joined
    assert "\n" not in para.text
    assert squeeze(doc.raw[para.start : para.end]) == squeeze(para.text)
    assert para.section == "二、第 4/14 和第 5/2 号决议的执行进展 > A. 联合国环境规划署氮问题工作组"


def test_paragraph_1_keeps_its_list_a_to_f_across_a_page_break_and_a_footnote(seeds):
    doc, seg = seeds[UN_NITROGEN]
    pieces = _body(seg, 1)
    text = " ".join(p.text for p in pieces)
    for item in "abcdef":
        assert f"({item}) " in text
    assert len(pieces) == 2 and pieces[1].text.startswith("(d) 与包括粮农组织")
    assert "UNEP/EA.6/1" not in text
    (star,) = [p for p in seg.paragraphs if p.kind == "footnote" and "UNEP/EA.6/1" in p.text]
    assert pieces[0].end < star.start < pieces[1].start


def test_footnotes_are_not_body_text_and_keep_their_numbers(seeds):
    doc, seg = seeds[UN_NITROGEN]
    notes = {p.number: p for p in seg.paragraphs if p.kind == "footnote" and p.number}
    assert sorted(notes) == list(range(1, 28))
    assert notes[3].text == "3 https://wedocs.unep.org/20.500.11822/44579。"
    assert notes[10].text.endswith("包括海洋废弃物污染和营养盐污染。")  # a footnote running over two lines
    body = " ".join(p.text for p in seg.paragraphs if p.kind == "body")
    assert "wedocs.unep.org" not in body and "请使用以下电邮地址" not in body


def test_footnote_reference_digits_stay_glued_in_the_body(seeds):
    _, seg = seeds[UN_NITROGEN]
    assert "环境署氮问题工作组1是根据第 4/14 号决议设立的" in _body(seg, 3)[0].text
    _, seg003 = seeds[UN_CIRCULAR]
    assert "EU4Environment<sup>9</sup>、SwitchMed 方案" in _body(seg003, 10)[0].text


def test_bare_url_lines_page_numbers_and_running_headers_are_dropped(seeds):
    doc, seg = seeds[UN_NITROGEN]
    urls = _dropped_text(doc, seg, "url")
    assert "https://www.unep.org/nitrogen-management-WG" in urls and len(urls) >= 30
    assert _dropped_text(doc, seg, "running-header") == ["UNEP/EA.6/4"]
    assert _dropped_text(doc, seg, "page-number") == ["7"]


def test_paragraph_cut_by_footnotes_continues_with_the_same_number(seeds):
    _, seg = seeds[UN_NITROGEN]
    first, second = _body(seg, 18)
    assert first.text.endswith("制定了一个") and second.text.startswith("框架，以期改善区域监测和协作")
    _, seg003 = seeds[UN_CIRCULAR]
    pieces = _body(seg003, 18)
    assert pieces[-1].text.startswith("体（南共体）秘书处和南共体标准化机构合作")


def test_heading_levels_build_the_section_path(seeds):
    _, seg = seeds[UN_NITROGEN]
    assert (
        _body(seg, 14)[0].section
        == "二、第 4/14 和第 5/2 号决议的执行进展 > D. 加强科学与政策的衔接并填补知识空白"
    )
    assert _body(seg, 31)[0].section == "三、经验教训"  # a new level-1 heading drops the old level 2
    heading_texts = [h[2] for h in seg.headings]
    assert "一、导言" in heading_texts and "E. 传播和宣传" in heading_texts
    assert not any(p.text.startswith(("一、", "A. ")) for p in seg.paragraphs)


def test_markdown_headings_of_003_become_sections(seeds):
    _, seg = seeds[UN_CIRCULAR]
    assert _body(seg, 1)[0].section == "一、引言"
    assert (
        _body(seg, 8)[0].section
        == "三、可持续消费和生产以及循环经济政策——部门和跨领域行动 > A. 实现可持续消费和生产"
    )
    assert _body(seg, 10)[0].section.endswith(" > B. 政策行动")
    assert _body(seg, 16)[0].section.startswith("四、循环经济办法方面的部门工作")
    assert seg.headings[0][2] == "关于加强循环经济、促进实现可持续消费和生产的第 5/11 号决议的执行进展"


def test_sup_footnotes_of_003_are_footnotes(seeds):
    _, seg = seeds[UN_CIRCULAR]
    notes = {p.number: p for p in seg.paragraphs if p.kind == "footnote" and p.number}
    assert sorted(notes) == list(range(1, 29))
    assert notes[2].text == "<sup>2</sup> UNEP/EA.6/INF/9。"
    assert notes[25].text.endswith("end-life-vehicles_en)。")  # its second line belongs to it


def test_annual_report_joins_sentences_split_by_blank_lines(seeds):
    _, seg = seeds[ANNUAL_2024]
    assert not seg.numbered
    texts = [p.text for p in seg.paragraphs]
    assert any("限制这些温室气体的排放量，可使本世纪全球变暖幅度减少0.5°C" in t for t in texts)
    assert any(
        "（COP29）上，各国就国际碳市场标准达成一致" in t and t.startswith("在哥伦比亚卡利") for t in texts
    )
    _, seg2020 = seeds[ANNUAL_2020]
    assert any("这项修正案预计到2100年将避免全球气温上升0.4°C" in p.text for p in seg2020.paragraphs)


def test_annual_report_paragraphs_are_numbered_by_running_index(seeds):
    _, seg = seeds[ANNUAL_2024]
    body = [p for p in seg.paragraphs if p.kind == "body"]
    assert [p.number for p in body] == list(range(1, len(body) + 1))
    assert not any(p.numbered for p in body)


def test_annual_report_captions_and_callouts_are_short_paragraphs_of_their_own(seeds):
    _, seg = seeds[ANNUAL_2024]
    texts = [p.text for p in seg.paragraphs]
    (callout,) = [t for t in texts if t.startswith("5550亿")]
    assert callout.endswith("为气候友好型解决方案输送的资金") and len(callout) < 80
    assert "一队电动摩托出租车在泰国首次亮相，环境署正在支持该国从汽油车向电动汽车过渡。摄影：ENTEC" in texts
    assert any(
        t.endswith("这是应对气候变化的关键。 摄影：环境署") for t in texts
    )  # a credit joins its caption


def test_annual_report_title_lines_become_sections(seeds):
    _, seg = seeds[ANNUAL_2024]
    assert "支持《巴黎协定》实施" in [h[2] for h in seg.headings]
    (para,) = [p for p in seg.paragraphs if p.text.startswith("环境署为64个国家编写首份两年一度的透明性报告")]
    assert para.section == "支持《巴黎协定》实施"


def test_line_joining_rule():
    assert join_texts(["可使本世", "纪全球变暖"]) == "可使本世纪全球变暖"
    assert join_texts(["a green", "economy"]) == "a green economy"
    assert join_texts(["第一次会议于 2020", "年 6 月"]) == "第一次会议于 2020 年 6 月"
    assert join_texts(["由环境署（UNEP）", "牵头"]) == "由环境署（UNEP）牵头"
    assert join_texts(["污 染 挑 战"]) == "污染挑战"  # spaced-out justified text
    assert join_texts(["阿尔巴尼亚", "亚美尼亚"], [False, True]) == "阿尔巴尼亚 亚美尼亚"


def test_markdown_file_sections_and_english_paragraphs():
    raw = (
        "# Guide\n\n## Part A\n\nCiteqa answers questions with citations to the\nexact paragraph it used.\n\n"
        "Second paragraph here.\n\n## Part B\n\n第一段落。\n"
    )
    seg = segment(_doc(raw, "guide.md"))
    assert [(p.text, p.section) for p in seg.paragraphs] == [
        ("Citeqa answers questions with citations to the exact paragraph it used.", "Guide > Part A"),
        ("Second paragraph here.", "Guide > Part A"),
        ("第一段落。", "Guide > Part B"),
    ]


@pytest.mark.parametrize("raw", ["", "\n\n  \n", "\x00\x01\x02", "。", "1.", "#", "<sup>1</sup>", " \n 7 \n"])
def test_degenerate_inputs_do_not_crash(raw: str):
    seg = segment(_doc(raw))
    for p in seg.paragraphs:
        assert squeeze(raw[p.start : p.end]) == squeeze(p.text)


def test_a_very_long_line_is_segmented_quickly():
    raw = ("环境署" * 40000) + "。\n" + "word " * 40000
    started = time.perf_counter()
    seg = segment(_doc(raw))
    assert time.perf_counter() - started < 5
    assert squeeze("".join(p.text for p in seg.paragraphs)) == squeeze(raw)


def test_pdf_report_page_feet_hold_footnotes_headers_and_page_numbers(tmp_path: Path):
    from tests.fixtures.pdfs import make_pdf

    pages = [
        [
            "UNEP/EA.6/4",
            "一、导言",
            "1. 环境署氮问题工作组1是根据第 4/14 号决议设立的，负责落实",
            "该决议中规定的各项任务。",
            "2. 会员国提名了超过 75 名联络人2参加工作组，扩大了工作",
            "1 www.unep.org/nitrogen-management-WG。",
            "2 www.unep.org/nitrogen-management-WG/Focal-Points。",
            "1",
        ],
        ["UNEP/EA.6/4", "组的范围。", "3. 第三次会议于 2023 年 4 月 27 日在布加勒斯特以混合形式举行。", "2"],
    ]
    doc = load_document(make_pdf(tmp_path / "report.pdf", pages))
    seg = segment(doc)
    assert seg.numbered
    assert [(p.number, p.kind, p.page, p.text) for p in seg.paragraphs] == [
        (1, "body", 1, "1. 环境署氮问题工作组1是根据第 4/14 号决议设立的，负责落实该决议中规定的各项任务。"),
        (2, "body", 1, "2. 会员国提名了超过 75 名联络人2参加工作组，扩大了工作"),
        (1, "footnote", 1, "1 www.unep.org/nitrogen-management-WG。"),
        (2, "footnote", 1, "2 www.unep.org/nitrogen-management-WG/Focal-Points。"),
        (2, "body", 2, "组的范围。"),
        (3, "body", 2, "3. 第三次会议于 2023 年 4 月 27 日在布加勒斯特以混合形式举行。"),
    ]
    assert sorted(doc.raw[s:e] for s, e, _ in seg.dropped) == ["1", "2", "UNEP/EA.6/4", "UNEP/EA.6/4"]
