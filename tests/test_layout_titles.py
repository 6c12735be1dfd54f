"""Titles and sections of free-text layouts: the two seed annual reports, and small made-up pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.clean import squeeze
from ingest.load import Document, load_document
from ingest.segment import Paragraph, Segmentation, segment
from ingest.titles import is_title
from tests.conftest import CORPUS

ANNUAL_2024 = "001_6cfd863ef6650e26.txt"
ANNUAL_2020 = "004_c0676d05f06f9068.txt"
# A line of body text as wide as the text lines of the seed reports.
LINE = "环境署为许多国家提供了技术支持和政策建议，帮助它们制定国家计划并落实相关的行动"


@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[Document, Segmentation]]:
    out = {}
    for name in (ANNUAL_2024, ANNUAL_2020):
        doc = load_document(CORPUS / name)
        out[name] = (doc, segment(doc))
    return out


def _doc(raw: str) -> Document:
    return Document(doc="x.txt", path=Path("x.txt"), raw=raw, sha256="0" * 64, pages=None)


def _para(seg: Segmentation, start: str) -> Paragraph:
    (para,) = [p for p in seg.paragraphs if p.text.startswith(start)]
    return para


def _headings(seg: Segmentation) -> list[str]:
    return [h[2] for h in seg.headings]


def test_titles_are_headings_not_body_chunks_competing_with_paragraphs(seeds):
    _, seg = seeds[ANNUAL_2024]
    texts = [p.text for p in seg.paragraphs]
    assert not any("塑料污染谈判取得进展" in t for t in texts)  # was the body chunk "清除污染行动 塑料污染谈判取得进展"
    assert {"清除污染行动", "塑料污染谈判取得进展", "防治荒漠化", "为生物多样性融资"} <= set(_headings(seg))
    assert "英格·安德森 (Inger Andersen) 环境署执行主任" in texts  # the name under a quote stays text
    answer = _para(seg, "12月，各国在敲定一份具有法律约束力的终结塑料污染的文书方面更进了一步")
    assert answer.section == "清除污染行动 > 塑料污染谈判取得进展"


def test_a_title_after_its_pages_text_labels_that_page_not_the_next(seeds):
    _, seg = seeds[ANNUAL_2024]
    assert _para(seg, "环境署支持了50个国家的社区适应干旱").section == "支持社区应对气候变化"
    assert _para(seg, "环境署金融倡议（UNEP FI）继续支持").section == "为低碳未来融资"
    assert _para(seg, "国际甲烷排放观测站是环境署").section == "数字时代"
    assert _para(seg, "数字加速器实验室于2024年5月启动").section == "数字时代"  # next page: no title of its own
    assert _para(seg, "环境署正在协助108个国家保护").section == "保护自然世界"
    assert _para(seg, "在《联合国防治荒漠化公约》第十六次缔约方大会上").section == "防治荒漠化"
    assert _para(seg, "联合国环境大会第六届会议通过了15项").section == "让全世界紧密相连"
    _, seg2020 = seeds[ANNUAL_2020]
    assert _para(seg2020, "随着新冠肺炎疫苗的推出").section == "行动呼吁"


def test_a_title_followed_by_text_still_labels_the_text_after_it(seeds):
    _, seg = seeds[ANNUAL_2024]
    assert _para(seg, "环境署为64个国家编写首份两年一度的透明性报告").section == "支持《巴黎协定》实施"
    assert _para(seg, "2024年，八个国家批准了").section == "遏制温室气体排放"
    _, seg2020 = seeds[ANNUAL_2020]
    assert _para(seg2020, "甲烷是比二氧化碳更强的气候变暖气体").section == "通过甲烷快速获益"
    assert _para(seg2020, "联合国环境署很高兴受到粮农组织的邀请").section == "保护和恢复生态系统和生物多样性"


def test_stacked_titles_are_separate_headings_and_wrapped_titles_one(seeds):
    _, seg = seeds[ANNUAL_2024]
    headings = _headings(seg)
    assert {"利用科学应对气候危机", "凝望未来", "建设循环型经济和社会", "追求效率、效果和影响力"} <= set(headings)
    assert headings.count("气候行动") == 2 and "资金概况" in headings
    assert _para(seg, "《2024年排放差距报告》指出").section == "气候行动 > 利用科学应对气候危机"
    assert _para(seg, "环境署为巴西、哥伦比亚、哥斯达黎加").section == "凝望未来 / 建设循环型经济和社会"
    _, seg2020 = seeds[ANNUAL_2020]
    headings = _headings(seg2020)
    assert {"空气污染", "面对海洋污染和废弃物问题", "污染和废弃物", "自然和生物多样性"} <= set(headings)
    assert {"减少化学品和灾害对健康和环境的影响", "处理新冠肺炎废弃物", "可持续时尚"} <= set(headings)
    assert "改革联合国环境署，共创更美好的未来" in headings  # a comma is allowed in the title opening a page


def test_a_running_title_glued_to_the_first_line_is_cut_off(seeds):
    doc, seg = seeds[ANNUAL_2024]
    para = _para(seg, "环境署加大了对各国实施")
    (start, end, text) = [h for h in seg.headings if h[1] <= para.start and h[2] == "自然行动"][-1]
    assert doc.raw[start:end] == "自然行动" and doc.raw[end : para.start].isspace()
    assert para.section == "自然行动 > 拥护《昆明-蒙特利尔全球生物多样性框架》"
    assert _para(seg, "环境署正在协助各国逐步淘汰有害化学品").section == "清除污染行动"
    assert squeeze(doc.raw[para.start : para.end]) == squeeze(para.text)


def test_a_title_at_the_foot_of_a_page_labels_the_text_above_it():
    raw = f"{LINE}\n到位。\n\n{LINE}\n到位。\n\n支持社区应对气候变化\n https://www.unep.org/a\n\n\n{LINE}\n到位。\n"
    seg = segment(_doc(raw))
    assert [p.section for p in seg.paragraphs] == ["支持社区应对气候变化"] * 3
    assert _headings(seg) == ["支持社区应对气候变化"]


def test_a_title_over_text_on_the_next_page_labels_that_text():
    raw = f"引言\n\n{LINE}\n到位。\n\n资金\n\n\n{LINE}\n到位。\n"  # sloppy spacing in a plain note
    seg = segment(_doc(raw))
    assert [p.section for p in seg.paragraphs] == ["引言", "资金"]


def test_titles_stacked_in_one_column_part_and_a_wrapped_title_joins():
    text = f"{LINE}\n{LINE}\n到位。\n\n" * 3
    raw = f"气候行动\n 气候行动\n利用科学应对\n气候危机\n\n{text}"
    seg = segment(_doc(raw))
    assert _headings(seg) == ["气候行动", "气候行动", "利用科学应对气候危机"]
    assert {p.section for p in seg.paragraphs} == {"气候行动 > 利用科学应对气候危机"}


def test_a_call_out_under_a_big_figure_stays_text():
    raw = f"{LINE}\n到位。\n\n3000\n环境署的报告在\n90多个国家的\n\n多篇新闻报道中被提及\n\n{LINE}\n到位。\n"
    seg = segment(_doc(raw))
    assert "3000 环境署的报告在 90多个国家的 多篇新闻报道中被提及" in [p.text for p in seg.paragraphs]
    assert seg.headings == []


def test_a_numbered_heading_under_an_indented_paragraph_is_a_heading():
    raw = f"一、背景\n\u3000\u3000{LINE}。\n二、方法\n\u3000\u3000{LINE}。\n"
    seg = segment(_doc(raw))
    assert _headings(seg) == ["一、背景", "二、方法"]
    assert [p.section for p in seg.paragraphs] == ["一、背景", "二、方法"]


@pytest.mark.parametrize(
    ("lines", "top", "expected"),
    [
        (["什么是联合国", "环境大会？"], False, True),
        (["改革联合国环境署，", "共创更美好的未来"], True, True),
        (["改革联合国环境署，", "共创更美好的未来"], False, False),
        (["2024年度前15名出资方", "（单位：百万美元）"], False, True),
        (["资", "金", "概", "况"], False, True),
        (["英格·安德森"], False, False),
        (["他说，这是一次成功的大会。"], False, False),
        (["30%"], False, False),
    ],
)
def test_what_reads_as_a_title(lines: list[str], top: bool, expected: bool):
    assert is_title(lines, doc_width=40.0, top=top) is expected


def test_without_pages_a_last_short_line_labels_nothing_before_it():
    raw = f"{LINE}\n到位。\n\n{LINE}\n到位。\n\n环境署执行主任\nhttps://www.unep.org/a\n"
    seg = segment(_doc(raw))
    assert [p.section for p in seg.paragraphs] == ["", ""]
