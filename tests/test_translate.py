"""English questions over Chinese text without an embedding model: dictionary-based query translation
(CC-CEDICT reversed + the UN glossary), structured BM25 over the renderings, and answers quoted from the
Chinese text — or an honest refusal."""

from __future__ import annotations

import pytest

from rag.answering.features import dense_probe
from rag.answering.question import parse_question
from rag.chain import ZH_QUOTE_NOTICE, ask
from rag.index.dictionary import build_reverse, clean_gloss, load_glossary, parse_line
from rag.index.english import lemmas, zh_numeral
from rag.index.lexical import LexicalIndex
from rag.index.translate import FANOUT, Translator
from rag.types import Chunk
from tests.answer_checks import answer_problems

CEDICT = [
    "溫室氣體 温室气体 [wen1 shi4 qi4 ti3] /greenhouse gas/",
    "氣體 气体 [qi4 ti3] /gas/",
    "氣 气 [qi4] /gas/air/anger/",
    "溫室 温室 [wen1 shi4] /greenhouse/",
    "氮 氮 [dan4] /nitrogen (chemistry)/",
    "氮肥 氮肥 [dan4 fei2] /nitrogen fertilizer/",
    "國家 国家 [guo2 jia1] /country/nation/state/",
    "國 国 [guo2] /country/nation/",
    "排放 排放 [pai2 fang4] /emission/discharge/exhaust (gas etc)/",
    "減少 减少 [jian3 shao3] /to lessen/to decrease/to reduce/",
    "降低 降低 [jiang4 di1] /to reduce/to lower/",
    "削減 削减 [xue1 jian3] /to cut down/to reduce/",
    "縮小 缩小 [suo1 xiao3] /to reduce/to decrease/",
    "減輕 减轻 [jian3 qing1] /to reduce/to lighten/",
    "裁減 裁减 [cai2 jian3] /to reduce/to lessen/",
    "硫 硫 [liu2] /sulfur (chemistry)/",
    "內羅畢 内罗毕 [Nei4 luo2 bi4] /Nairobi, capital of Kenya/",
    "異體 异体 [yi4 ti3] /variant of 異體字|异体字/",
    "紅樹林 红树林 [hong2 shu4 lin2] /mangrove forest/",
]
TEXTS = ["各国同意削减温室气体排放，减少氮污染。", "内罗毕举行了会议，共有50个国家参加。",
         "降低硫含量的燃料标准。", "红树林保护项目在沿海地区开展。", "缩小差距需要各国合作。"]


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator(TEXTS, build_reverse(CEDICT), {"member state": ["会员国"], "unep": ["环境署"]})


def _renderings(tr: Translator, question: str) -> dict[str, list[str]]:
    return {g.source: [a for a, _ in g.alts] for g in tr.translate(question).groups}


def test_glosses_are_cleaned_into_lookup_keys_and_cross_references_are_skipped():
    assert clean_gloss("to reduce") == "reduce"
    assert clean_gloss("nitrogen (chemistry)") == "nitrogen"
    assert clean_gloss("variant of 異體字|异体字") is None and clean_gloss("CL:個|个[ge4]") is None
    assert clean_gloss("a very long descriptive gloss of many more words than a key") is None
    assert parse_line("# comment") is None and parse_line(CEDICT[0]) == ("温室气体", ["greenhouse gas"])
    reverse = build_reverse(CEDICT)
    assert ("内罗毕", 0, 1) in reverse.lookup("nairobi")  # the name a descriptive gloss opens with
    assert reverse.lookup("variant") == []


def test_english_lemmas_cover_plurals_inflections_irregular_forms_and_british_spelling():
    assert "country" in lemmas("countries") and "gas" in lemmas("gases") and "reduce" in lemmas("reducing")
    assert "pilot" in lemmas("piloted") and "build" in lemmas("built") and "woman" in lemmas("women")
    assert "sulfur" in lemmas("sulphur") and "unep" == lemmas("UNEP's")[0]
    assert zh_numeral(13) == "十三" and zh_numeral(20) == "二十" and zh_numeral(6) == "六"


def test_longest_phrase_wins_over_its_words(translator):
    got = _renderings(translator, "How were greenhouse gases cut?")
    assert got["greenhouse gases"] == ["温室气体"] and "greenhouse" not in got


def test_a_word_whose_whole_gloss_matches_is_preferred_over_compounds_containing_it(translator):
    assert _renderings(translator, "nitrogen")["nitrogen"] == ["氮"]  # not 氮肥 "nitrogen fertilizer"


def test_only_renderings_found_in_the_text_are_kept_and_single_characters_only_as_a_last_resort(translator):
    assert _renderings(translator, "Which countries?")["countries"] == ["国家"]  # not 国
    assert _renderings(translator, "sulphur")["sulphur"] == ["硫"]
    assert _renderings(translator, "mangroves")["mangroves"] == ["红树林"]  # a gloss merely containing it


def test_fan_out_per_word_is_limited_and_first_glosses_rank_first(translator):
    alts = translator.translate("reduce").groups[0].alts
    assert len(alts) == FANOUT and all(conf == 1.0 for _, conf in alts[:2])
    assert {a for a, _ in alts} <= {"减少", "降低", "削减", "缩小", "减轻"}


def test_an_english_question_is_embedded_with_the_best_rendering_of_each_concept_found(translator):
    assert translator.probe("Which countries met in Nairobi about mangroves?") == \
        "Which countries met in Nairobi about mangroves? 国家 内罗毕 红树林"
    assert translator.probe("What about quasars?") == "What about quasars?"  # nothing rendered: as asked


def test_the_answer_model_reads_english_parts_with_their_renderings_and_chinese_parts_as_asked(translator):
    en = parse_question("Which countries met in Nairobi?")
    assert dense_probe(en, en.parts[0], translator) == "Which countries met in Nairobi? 国家 内罗毕"
    assert dense_probe(en, en.parts[0], None) == en.parts[0]
    zh = parse_question("哪些国家在内罗毕开会？")
    assert dense_probe(zh, zh.parts[0], translator) == zh.parts[0]


def test_latin_tokens_and_numbers_in_the_text_stand_for_themselves_and_absent_ones_are_absent(translator):
    tr = translator.translate("Did 50 countries meet in Nairobi in 2031, or at COP99?")
    kinds = {g.source: (g.kind, [a for a, _ in g.alts]) for g in tr.groups}
    assert kinds["50"] == ("number", ["50"]) and kinds["Nairobi"] == ("word", ["内罗毕"])
    assert kinds["2031"][0] == "absent" and kinds["COP99"][0] == "absent"


def test_structured_bm25_does_not_let_one_word_s_many_synonyms_outweigh_a_rare_word():
    chunks = [Chunk(id=f"c{i}", doc="d.txt", text=t, title="", section="", paragraph=i, page=None,
                    char_start=0, char_end=len(t)) for i, t in enumerate(
        ["减少降低削减缩小减轻。", "减少了氮排放。", "其他内容。"])]
    index = LexicalIndex.build(chunks)
    groups = [(("减少", 1.0), ("降低", 1.0), ("削减", 1.0), ("缩小", 1.0), ("减轻", 1.0)), (("氮", 1.0),)]
    assert index.search_groups(groups, 3)[0][0].id == "c1"


def test_the_glossary_is_general_domain_vocabulary_of_renderings():
    glossary = load_glossary()
    assert glossary["member state"][0] == "会员国" and "环境署" in glossary["unep"]
    assert all(renderings for renderings in glossary.values())


def test_english_question_in_lexical_mode_is_answered_with_cited_chinese_quotes(corpus_components):
    answer = ask("Where was the UN biodiversity COP16 held?", corpus_components)
    assert not answer.refused and answer.language == "en", answer.answer
    assert answer.answer.startswith(ZH_QUOTE_NOTICE) and "卡利" in answer.answer
    assert answer.mode["retrieval"] == "lexical"
    assert answer_problems(answer) == []  # every sentence verbatim from, and cited to, its passage

