"""English word forms for dictionary lookup: lemmas (plurals, inflections, irregular forms, British
spellings) and Chinese numerals for ordinals."""

from __future__ import annotations

import re

_IRREGULAR = dict(pair.split(":") for pair in (
    "women:woman men:man people:person children:child data:datum held:hold led:lead made:make paid:pay "
    "began:begin begun:begin took:take taken:take built:build won:win gave:give given:give found:find met:meet "
    "grew:grow grown:grow rose:rise fell:fall brought:bring bought:buy spent:spend sent:send lost:lose "
    "chose:choose chosen:choose saw:see seen:see became:become came:come went:go gone:go wrote:write "
    "written:write drew:draw drawn:draw sought:seek taught:teach thought:think told:tell sold:sell "
    "kept:keep left:leave meant:mean felt:feel ran:run spoke:speak spoken:speak").split())
_BRITISH = ((r"our$", "or"), (r"ise$", "ize"), (r"ised$", "ized"), (r"ising$", "izing"), (r"isation$", "ization"),
            (r"yse$", "yze"), (r"tre$", "ter"), (r"ph", "f"), (r"programme", "program"))


def zh_numeral(n: int) -> str:
    """1..99 in Chinese numerals (13 → 十三, 20 → 二十)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return f"{'' if tens == 1 else digits[tens]}十{digits[ones] if ones else ''}"


def lemmas(word: str) -> list[str]:
    """Lookup forms of an English word, most likely first: itself, then without plural or inflection
    endings, then American spellings ("countries" → country; "sulphur" → sulfur; "women" → woman)."""
    w = word.lower().replace("’", "'")
    w = re.sub(r"'s?$", "", w)
    out = [w]
    if w in _IRREGULAR:
        out.append(_IRREGULAR[w])
    if len(w) > 4 and w.endswith("ies"):
        out.append(w[:-3] + "y")
    if len(w) > 5 and w.endswith("ices"):
        out += [w[:-4] + "ix", w[:-4] + "ex"]
    if len(w) > 3 and w.endswith("es") and re.search(r"(?:s|x|z|ch|sh|o)es$", w):
        out.append(w[:-2])
    if len(w) > 3 and w.endswith("s") and not re.search(r"(?:ss|us|is)$", w):
        out.append(w[:-1])
    if len(w) > 4 and w.endswith("ed"):
        out += [w[:-2], w[:-1]] + ([w[:-3]] if re.search(r"(.)\1ed$", w) else []) + (
            [w[:-3] + "y"] if w.endswith("ied") else [])
    if len(w) > 5 and w.endswith("ing"):
        out += [w[:-3], w[:-3] + "e"] + ([w[:-4]] if re.search(r"(.)\1ing$", w) else [])
    for pattern, repl in _BRITISH:
        out += [re.sub(pattern, repl, x) for x in list(out) if re.search(pattern, x)]
    out.append(w[:-1] + "ies" if w.endswith("y") else w + "s")  # glossed in the plural ("plastics")
    return list(dict.fromkeys(x for x in out if x))
