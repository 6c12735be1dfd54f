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


_YEAR = r"(?:19|20)\d\d"
_TWO_YEARS = re.compile(rf"\b({_YEAR})(?:,? and |\s*[&/]\s*)({_YEAR})\b")
_PREPS = "in|for|at|on|from|by|under|within|to|of"
# "… in UNEP's circular economy report and in its 2024 annual report?": the preposition repeated after "and"
_SAME_PREP = re.compile(rf"\b({_PREPS}) ((?:(?!\band\b)[^,;?])+?),? and (?:also )?\1 ([^,;?]+?)(?=[,;?.]|$)",
                        re.IGNORECASE)
_RANGE = re.compile(rf"\b(?:between|from)\s+(?:\S+\s+){{0,2}}?{_YEAR}", re.IGNORECASE)


def conjunct_parts(part: str) -> list[str]:
    """An English question (part) about two things at once, one version per thing: two years joined by
    "and" ("UNEP's 2020 and 2024 annual reports" → the 2020 one, the 2024 one; not a range "between 2020
    and 2024"), or two phrases under one repeated preposition ("in the nitrogen report and in the annual
    report"); [part] when it is about one thing."""
    m = _TWO_YEARS.search(part)
    if m and not _RANGE.search(part[: m.end()]):
        return [part[: m.start()] + y + part[m.end():] for y in (m.group(1), m.group(2))]
    m = _SAME_PREP.search(part)
    if m and len(m.group(2).split()) >= 2 and len(m.group(3).split()) >= 2:
        head, tail, prep = part[: m.start()], part[m.end():], m.group(1)
        return [f"{head}{prep} {m.group(2)}{tail}", f"{head}{prep} {m.group(3)}{tail}"]
    return [part]
