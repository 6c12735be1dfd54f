"""References named as an analyst cites them, chunk labels from the manifest, and marker renumbering."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ingest.chunk import chunk_document, note_regions, notes_in
from ingest.load import load_document
from ingest.manifest import load_manifest
from rag.index.store_records import chunk_from_record, chunk_to_record
from rag.reference import cite_string, part_note
from rag.renumber import renumber
from rag.types import Answer, Chunk, Passage, Sentence

UN = Chunk(id="a", doc="003.txt", title="关于第 5/11 号决议的执行进展", section="", paragraph=5, page=None,
           char_start=0, char_end=10, text="5. 正文。", numbered=True, symbol="UNEP/EA.6/8", year=2023)
ANNUAL = Chunk(id="b", doc="001.txt", title="环境署 2024 年度报告", section="", paragraph=122, page=None,
               char_start=0, char_end=10, text="正文。", short_title="环境署 2024 年度报告",
               short_title_en="UNEP Annual Report", year=2024)


def test_a_un_document_is_cited_by_symbol_and_paragraph_in_both_languages():
    assert cite_string(UN, "en") == "UNEP/EA.6/8, para. 5"
    assert cite_string(UN, "zh") == "UNEP/EA.6/8，第5段"
    assert cite_string(UN, "mixed") == "UNEP/EA.6/8，第5段"


def test_two_pieces_of_one_long_paragraph_are_told_apart_beside_one_reference():
    second = replace(UN, id="a2", part=1)
    assert cite_string(second, "en") == cite_string(UN, "en") == "UNEP/EA.6/8, para. 5"  # one paragraph cited
    assert (part_note(UN, "en"), part_note(second, "en"), part_note(second, "zh")) == ("", " (part 2)", "（第2部分）")


def test_a_document_without_symbol_is_cited_by_short_title_year_and_a_counted_paragraph():
    assert cite_string(ANNUAL, "en") == "UNEP Annual Report 2024, para. 122 (counted)"
    assert cite_string(ANNUAL, "zh") == "环境署 2024 年度报告，第122段（按顺序计）"


def test_a_pdf_without_printed_numbers_is_cited_by_page_and_a_footnote_as_a_footnote():
    pdf = replace(ANNUAL, page=7, short_title="绿色报告", short_title_en="")
    assert cite_string(pdf, "zh") == "绿色报告（2024年），第7页"
    assert cite_string(pdf, "en") == "绿色报告 2024, p. 7"  # no English title: the one it has
    note = replace(UN, kind="footnote", paragraph=2, numbered=True)
    assert cite_string(note, "en") == "UNEP/EA.6/8, footnote 2"
    assert cite_string(replace(UN, paragraph=0, numbered=False), "en") == "UNEP/EA.6/8"


def test_an_upload_without_manifest_entry_is_cited_by_its_title():
    bare = Chunk(id="c", doc="notes.txt", title="Meeting notes", section="", paragraph=3, page=None,
                 char_start=0, char_end=5, text="Text.")
    assert cite_string(bare, "en") == "Meeting notes, para. 3 (counted)"


def test_chunks_carry_symbol_year_and_nearby_footnote_numbers_from_the_shipped_corpus(corpus_dir: Path):
    manifest = load_manifest(corpus_dir)
    name = "000_7b030ac21b7d218f.txt"
    chunks = chunk_document(load_document(corpus_dir / name), "t", 400, manifest[name])
    para4 = next(c for c in chunks if c.numbered and c.paragraph == 4 and c.kind == "body")
    assert para4.symbol == "UNEP/EA.6/4" and para4.year == 2023
    assert 2 in para4.notes and 75 not in para4.notes  # "联络人2参加": footnote 2 sits below paragraph 5
    para6 = next(c for c in chunks if c.numbered and c.paragraph == 6 and c.kind == "body")
    assert 2 not in para6.notes and 4 in para6.notes


def test_footnote_regions_run_from_the_previous_block_to_their_own():
    paragraphs = [(0, 10, False, None), (10, 20, False, None), (20, 25, True, 1), (25, 30, True, 2),
                  (30, 40, False, None), (40, 45, True, 3)]
    regions = note_regions(paragraphs)
    assert regions == [(0, 20, (1, 2)), (30, 40, (3,))]
    assert notes_in(12, 18, regions) == (1, 2) and notes_in(31, 39, regions) == (3,)


def test_chunk_labels_and_notes_survive_the_chroma_record():
    chunk = replace(UN, notes=(1, 2, 3), short_title="短", short_title_en="Short")
    assert chunk_from_record(*chunk_to_record(chunk, "sha")) == chunk


def _p(n: int, cid: str) -> Passage:
    return Passage(replace(UN, id=cid), 1.0, n=n, rank=n)


def test_markers_are_renumbered_in_order_of_first_appearance_everywhere():
    retrieved = [_p(1, "x"), _p(2, "y"), _p(3, "z"), _p(4, "w")]
    answer = Answer(question="q", language="zh", answer="甲[4]。乙[2, 4]。丙【4】。", refused=False,
                    sentences=[Sentence("甲。", [4], {4: (0, 2)}), Sentence("乙。", [2, 4], {2: (1, 3), 4: (0, 1)}),
                               Sentence("丙。", [4])],
                    passages=[retrieved[1], retrieved[3]], retrieved=retrieved, mode={}, timings={})
    out = renumber(answer)
    assert out.answer == "甲[1]。乙[2, 1]。丙【1】。"
    assert [s.citations for s in out.sentences] == [[1], [2, 1], [1]]
    assert out.sentences[1].spans == {2: (1, 3), 1: (0, 1)}
    assert [(p.n, p.chunk.id) for p in out.passages] == [(1, "w"), (2, "y")]
    assert [(p.n, p.chunk.id) for p in out.retrieved] == [(3, "x"), (2, "y"), (4, "z"), (1, "w")]
    assert answer.answer == "甲[4]。乙[2, 4]。丙【4】。"  # the input is left as it was
    assert renumber(out) == out


def test_passage_json_carries_symbol_and_a_cite_in_the_answer_language():
    answer = Answer(question="q", language="en", answer="x [1].", refused=False, sentences=[],
                    passages=[Passage(UN, 1.0, n=1)], retrieved=[], mode={}, timings={})
    row = answer.to_dict()["passages"][0]
    assert row["symbol"] == "UNEP/EA.6/8" and row["cite"] == "UNEP/EA.6/8, para. 5"
