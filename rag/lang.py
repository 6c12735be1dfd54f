"""Which language a question is in: "zh", "en" or "mixed".

Counts Chinese characters against Latin words. About two Chinese characters make one word, so
``share_en = latin_words / (latin_words + cjk_chars / 2)``: ≥ 0.8 → "en", ≤ 0.35 → "zh", between →
"mixed". Acronyms and numbers inside a Chinese sentence ("环境署与TED合作") keep it "zh"; an English
sentence quoting a Chinese name keeps its English words and comes out "en" or "mixed".
Text with neither (empty, digits, punctuation) is "zh", the corpus language.
"""

from __future__ import annotations

import re

from rag.types import Lang

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’][A-Za-z]+)?")


def is_cjk(ch: str) -> bool:
    return bool(_CJK.match(ch))


def detect_language(text: str) -> Lang:
    cjk = len(_CJK.findall(text))
    words = len(_LATIN_WORD.findall(text))
    if cjk == 0 and words == 0:
        return "zh"
    share_en = words / (words + cjk / 2)
    if share_en >= 0.8:
        return "en"
    if share_en <= 0.35:
        return "zh"
    return "mixed"
