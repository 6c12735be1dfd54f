"""Citation enforcement: every sentence shown must cite a retrieved passage that supports it.

``parse_draft`` reads an answerer's text into sentences and their markers ([n], 【n】, [n, m], [^n],
[n][m], [1-3]; full-width forms too); ``enforce`` keeps the markers that point at a retrieved passage
and, per sentence, the cited passages that support it. A sentence left with no supporting citation is
not shown: it goes to ``dropped``.

Support without an LLM (``Support.check``):
- numbers (dates, amounts, percentages; "1 050" = "1,050" = "１０５０"; "七十五" = 75; "2.3亿" =
  "230 million") in the sentence must all occur in the passage;
- Chinese names (jieba ns/nr/nt/nz) and Latin names/acronyms of a Chinese sentence must occur in it;
- same language: share of the sentence's content found in the passage ≥ ``ZH_SHARE`` (Chinese
  character bigrams) / ``EN_SHARE`` (English content words);
- a sentence citing several passages may draw on them together: when no single one supports it, the
  cited passages are checked as one text; either way, a cited passage holding part of a supported
  sentence (≥ ``PART_SHARE`` of its content, or one of its numbers) keeps its citation;
- cross-language (an English sentence over a Chinese passage): with an embedding model, cosine ≥
  ``CROSS_SIM``; without one, strict: at least one anchor (a number, or a Latin name found in the
  passage) and every number backed — otherwise unsupported.

Calibration (dev set): the Chinese reference answers (written paraphrases, not quotes), split into
sentences, against the text around their evidence: bigram share 10th percentile 0.64, median 0.80; the
same sentences against the best-matching 300-character window elsewhere in the corpus: median 0.27,
90th percentile 0.40. ``ZH_SHARE = 0.5`` sits between. ``CROSS_SIM = 0.55`` is the usual "same content" cosine of multilingual bge-m3 / e5 models
(translations score 0.7–0.9, same-topic different-content 0.4–0.55); lower it for weaker models.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rag.lang import detect_language
from rag.numbers import number_values, unbacked_numbers
from rag.sentences import ABBREVIATION, join_whitespace
from rag.types import Passage, Sentence

ZH_SHARE = 0.5
EN_SHARE = 0.5
CROSS_SIM = 0.55
PART_SHARE = 0.2

REFUSAL = {"zh": "文档中没有找到相关信息。", "en": "The documents do not contain this information."}

_NUM = r"[\^]?\s*[0-9０-９]+"
_MARKER = re.compile(
    rf"[\[［]\s*{_NUM}(?:\s*(?:[,，、;；]|-|–|\]\s*\[)\s*{_NUM})*\s*[\]］]"
    rf"|【\s*{_NUM}(?:\s*[,，、;；\-–]\s*{_NUM})*\s*】"
)
_END = re.compile(r"[。！？]+[”’」』）)》]*|[.!?]+[”’)\"']*(?=\s|$|[\[［【])")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?。，；：！？])")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9\-]*")
# ASCII boundaries: between a Chinese character and a Latin letter there is no \b ("与TED合作").
_NAME = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z][A-Za-z0-9\-]*[A-Z0-9][A-Za-z0-9\-]*|[A-Z][a-z]{2,}(?:-[A-Z][a-z]+)*)"
                   r"(?![A-Za-z0-9])")
_EN_STOP = frozenset(
    "a an the and or of to in on at for by with from as is are was were be been being it its this that these "
    "those which who whom what when where why how than then there their they them he she his her we our you "
    "your i not no but also into over under about after before between during through per has have had do "
    "does did will would can could should may might must such other more most some any all each both".split()
)


@dataclass
class Claim:
    text: str
    cited: list[int] = field(default_factory=list)


@dataclass
class Enforced:
    sentences: list[Sentence]
    dropped: list[str]
    refusal: bool  # the draft said (only) that the passages do not hold the answer


def marker_numbers(marker: str) -> list[int]:
    text = unicodedata.normalize("NFKC", marker)
    out: list[int] = []
    for a, b in re.findall(r"(\d+)(?:\s*[-–]\s*(\d+))?", text):
        lo, hi = int(a), int(b or a)
        out.extend(range(lo, hi + 1) if 0 <= hi - lo <= 20 else [lo, hi])
    return out


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text)


def parse_draft(text: str) -> list[Claim]:
    """Sentences of ``text`` with the passage numbers each cites, in order.

    A marker belongs to the sentence it follows, also when it comes after the full stop
    ("…举行。[1]", "…held. [1]"); a line break ends a sentence.
    """
    claims: list[Claim] = []
    buf: list[str] = []
    cites: list[int] = []
    closed = False  # the last thing seen ended a sentence (markers may still attach to it)

    def close() -> None:
        nonlocal buf, cites, closed
        sentence = _SPACE_BEFORE_PUNCT.sub(r"\1", "".join(buf)).strip()
        if sentence:
            claims.append(Claim(sentence, _unique(cites)))
        elif cites and claims:
            claims[-1].cited = _unique(claims[-1].cited + cites)
        buf, cites, closed = [], [], True

    for line in text.split("\n"):
        pos = 0
        for kind, start, end in _events(line):
            piece = line[pos:start]
            if piece.strip():
                buf.append(piece)
                closed = False
            if kind == "marker":
                nums = marker_numbers(line[start:end])
                if closed and not "".join(buf).strip() and claims:
                    claims[-1].cited = _unique(claims[-1].cited + nums)
                else:
                    cites.extend(nums)
            else:
                buf.append(line[start:end])
                close()
            pos = end
        if line[pos:].strip():
            buf.append(line[pos:])
        close()
    return [c for c in claims if _has_content(c.text)]


def _events(line: str) -> list[tuple[str, int, int]]:
    events = [("marker", m.start(), m.end()) for m in _MARKER.finditer(line)]
    taken = [(s, e) for _, s, e in events]
    for m in _END.finditer(line):
        if any(s <= m.start() < e for s, e in taken):
            continue
        if m.group()[0] == "." and ABBREVIATION.search(strip_markers(line[: m.start()])):
            continue
        events.append(("end", m.start(), m.end()))
    return sorted(events, key=lambda e: e[1])


def _unique(nums: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(nums))


def _has_content(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def is_refusal(text: str) -> bool:
    """True when ``text`` is one of the fixed refusal sentences (markers, spaces and case ignored)."""
    norm = re.sub(r"[\s。.！!]", "", strip_markers(text)).lower()
    return any(norm == re.sub(r"[\s。.]", "", r).lower() for r in REFUSAL.values())


def _bigrams(text: str) -> set[str]:
    return {run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(max(len(run) - 1, 1))}


def _en_words(text: str) -> set[str]:
    return {w.lower() for w in _LATIN.findall(text) if w.lower() not in _EN_STOP and len(w) > 1}


def _zh_names(text: str) -> set[str]:
    import jieba.posseg as pseg

    return {w for w, flag in pseg.lcut(text) if flag in ("ns", "nr", "nt", "nz", "nrt", "nrfg") and len(w) >= 2}


def share(part: set[str], whole: set[str]) -> float:
    return len(part & whole) / len(part) if part else 0.0


@dataclass
class Support:
    """Decides whether a passage supports a sentence; ``similarity`` (cosine) is used across languages."""

    similarity: Callable[[str, str], float] | None = None

    def contributes(self, sentence: str, passage_text: str) -> bool:
        return _contributes(strip_markers(sentence), join_whitespace(passage_text))

    def check(self, sentence: str, passage_text: str) -> bool:
        sentence, passage = strip_markers(sentence).strip(), join_whitespace(passage_text)
        if unbacked_numbers(sentence, passage):
            return False
        s_lang, p_lang = detect_language(sentence), detect_language(passage)
        low = passage.lower()
        if s_lang != "en" and p_lang != "en":  # Chinese (or mixed) against Chinese
            if any(name.lower() not in low for name in _NAME.findall(sentence)):
                return False
            if any(name not in passage for name in _zh_names(sentence)):
                return False
            return share(_bigrams(sentence), _bigrams(passage)) >= ZH_SHARE
        if s_lang == "en" and p_lang == "en":
            return share(_en_words(sentence), _en_words(passage)) >= EN_SHARE
        if self.similarity is not None:
            return self.similarity(sentence, passage) >= CROSS_SIM
        anchors = len(number_values(sentence, claim=True)) + sum(
            1 for name in _NAME.findall(sentence) if name.lower() in low
        )
        return anchors > 0


def _contributes(sentence: str, passage: str) -> bool:
    """Does the passage hold part of the sentence (a number, a name, or ≥ ``PART_SHARE`` of its content)?"""
    numbers = number_values(sentence, claim=True)
    if numbers and len(unbacked_numbers(sentence, passage)) < len(numbers):
        return True
    return max(share(_bigrams(sentence), _bigrams(passage)), share(_en_words(sentence), _en_words(passage))) >= PART_SHARE


def enforce(draft: str, passages: Sequence[Passage], support: Support | None = None) -> Enforced:
    """Keep the sentences of ``draft`` whose valid citations support them; drop the rest."""
    support = support or Support()
    by_n = {p.n: p for p in passages}
    claims = parse_draft(draft)
    kept: list[Sentence] = []
    dropped: list[str] = []
    refusals = 0
    for claim in claims:
        if is_refusal(claim.text):
            refusals += 1
            continue
        valid = [n for n in claim.cited if n in by_n]
        backed = [n for n in valid if support.check(claim.text, by_n[n].chunk.text)]
        together = len(valid) > 1 and (backed or support.check(claim.text, "\n".join(by_n[n].chunk.text for n in valid)))
        if together:  # passages cited together keep their citation when they hold part of the sentence
            backed = [n for n in valid if n in backed or support.contributes(claim.text, by_n[n].chunk.text)]
        if backed:
            kept.append(Sentence(strip_markers(claim.text).strip(), backed))
        else:
            dropped.append(strip_markers(claim.text).strip())
    return Enforced(kept, dropped, refusal=refusals > 0 and not kept)


_CLAUSE_TAIL = re.compile(r"[\s；;，,：:、]+$")
_STOP_TAIL = re.compile(r"[。！？.!?]+([”’」』）)》\"']*)$")


def shown_sentence(sentence: Sentence) -> str:
    """One sentence as shown, its markers before the full stop: "…举行[1]。", English "… held [1].".

    A clause quoted up to a separator ("…举行了一次非正式专家会议；") loses it and is closed as a sentence
    ("…会议[1]。"); ``sentence.text`` itself stays as quoted (verbatim from its passage).
    """
    marks = "".join(f"[{n}]" for n in sentence.citations)
    english = detect_language(sentence.text) == "en"
    text = _CLAUSE_TAIL.sub("", sentence.text.strip())
    m = _STOP_TAIL.search(text)
    if m and m.group(1):  # "…举行。”": the quote closes after the stop; the marker follows it
        body, stop = text, ""
    elif m:
        body, stop = text[: m.start()].rstrip(), m.group()
    else:
        body, stop = text, "." if english else "。"
    return f"{body} {marks}{stop}" if english else f"{body}{marks}{stop}"


def render(sentences: Sequence[Sentence]) -> str:
    """The shown text: each sentence closed with its markers before the full stop (``shown_sentence``);
    Chinese sentences follow each other without a space, English ones with one."""
    out = ""
    previous_en = False
    for s in sentences:
        piece = shown_sentence(s)
        english = detect_language(s.text) == "en"
        out += " " + piece if out and (english or previous_en) else piece
        previous_en = english
    return out
