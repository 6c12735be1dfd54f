"""The sentence rule the answering baselines share, and the naive pipeline built on it.

Sentence rule: the answer is the sentence of the top-ranked passage that shares the most distinct question
words (citeqa's search tokens: jieba words, Chinese bigrams, lower-cased English words and numbers); a tie
goes to the earlier sentence. It never refuses: no passage gives an empty answer (a miss, not a refusal).

``naive``: jieba BM25 (plain Okapi) over the documents' paragraphs — blocks of text between blank lines,
one-line "# headings" left out, no other cleaning, no chunking — answered with the sentence rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from eval.relevance import Span

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=[.])(?=\s)|\n")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u3000]*\n")


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage: cut after 。！？!?；; and after a full stop followed by a space, and at line
    breaks; blank pieces dropped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def best_sentence(question_words: set[str], text: str) -> str:
    """The sentence of ``text`` sharing the most distinct ``question_words``; the first one on a tie."""
    from rag.index.lexical import tokenize

    best, best_score = "", -1
    for sentence in split_sentences(text):
        score = len(question_words & set(tokenize(sentence)))
        if score > best_score:
            best, best_score = sentence, score
    return best


def answer_by_sentence_rule(question: str, ranked_texts: Sequence[str]) -> str:
    """The sentence rule applied to the top passage of a ranking ("" when nothing was retrieved)."""
    from rag.index.lexical import tokenize

    if not ranked_texts:
        return ""
    return best_sentence(set(tokenize(question)), ranked_texts[0])


def paragraphs(doc: str, raw: str) -> list[tuple[Span, str]]:
    """The blank-line-separated blocks of a raw text with their raw offsets."""
    out: list[tuple[Span, str]] = []
    start = 0
    for match in [*_PARAGRAPH_BREAK.finditer(raw), None]:
        end = match.start() if match else len(raw)
        block = raw[start:end]
        if block.strip():
            lead = len(block) - len(block.lstrip())
            out.append((Span(doc, start + lead, start + len(block.rstrip())), block.strip()))
        if match:
            start = match.end()
    return out


def is_heading(text: str) -> bool:
    """A one-line markdown heading ("# Title"): a label, not a paragraph to answer from."""
    return "\n" not in text and text.startswith("#")


def paragraph_units(raws: Mapping[str, str]) -> list[tuple[Span, str]]:
    """Every paragraph of every document, headings left out."""
    return [unit for doc in sorted(raws) for unit in paragraphs(doc, raws[doc]) if not is_heading(unit[1])]
