"""Named things in Chinese text, by kind: places, countries, persons, organisations.

Evidence is combined because jieba's part-of-speech tags alone are noisy on this kind of text ("海洋",
"城市" come out as place names ``ns``, "洪水" as a person ``nr``):
- places: the gazetteer (``rag.gazetteer``); jieba ``ns``/``nr``/``nrt`` words written only in
  transliteration characters ("雅温得", "布加勒斯特"; two-character ones only when tagged ``ns`` or right
  after a known place, "马来西亚萨巴": "多达" is not a place); ``ns`` words right after 在/于/位于 ("在青岛
  举行"); cities: places that are not countries or regions; and compounds of such a proper word with a place
  head ("曼苏里亚村", "崇明岛", "基尔库克省", "塔迪格国家公园");
- persons: transliterated names joined by "·" ("英格·安德森"), capitalised Latin names of two or more
  words ("Grace Catapang"), jieba ``nr``/``nrfg``/``nrt`` words of transliteration characters that are
  not known places;
- organisations: jieba ``nt`` words; compounds of up to four nouns ending in an organisation head
  ("国际家畜研究所", "荷兰合作银行"; a generic head — 机构, 政府, 中心… — only after a proper name:
  "瑞典政府" but not "国家监管机构"); a title's body ("《生物多样性公约》秘书处"); Latin acronyms and
  capitalised names ("TED", "CTCN").
Titles 《…》 are masked first: a report's name is not a place or a body.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.gazetteer import countries_in, places_in

# Characters Chinese uses to transliterate foreign names (general knowledge, not tuned to a corpus).
TRANSLIT = set(
    "阿埃艾爱安昂奥巴拜班邦保鲍贝本比彼宾波伯勃博布查达戴丹道得德登迪蒂丁东杜多厄恩尔法凡菲斐费芬丰弗福伽盖甘冈戈格"
    "根贡古瓜圭哈海亥汉豪赫亨洪胡华霍基吉加贾杰金卡凯坎康柯科克肯库夸奎拉莱兰朗劳勒雷蕾黎里理利丽连列林琳伦罗洛吕"
    "马迈麦曼芒梅蒙米密明莫姆穆纳奈南内讷尼涅纽努诺欧帕潘庞佩皮珀普齐奇恰乔切钦琼萨塞桑瑟森沙莎善舍圣施什斯松苏索"
    "塔泰坦汤唐特提图托瓦威韦维温沃乌伍西希锡谢辛休雅亚扬耶伊因英尤于约泽扎詹兹佐茨绍朱珠娜娃妮丝蒂")
_PLACE_HEAD = re.compile(r"(?:省|州|县|市|镇|村|岛|群岛|半岛|湖|泻湖|湾|港|河|山|山谷|谷|区|地区|盆地|公园|保护区|禁猎区|流域)$")
_ORG_HEAD = re.compile(r"(?:研究所|研究院|中心|大学|学院|银行|基金会|基金|委员会|理事会|秘书处|协会|学会|联合会|联盟|组织|机构|"
                       r"公司|集团|政府|部|署|局|办事处|伙伴关系|论坛|小组|工作组|社)$")
_ROLE = re.compile(r"[\u4e00-\u9fff](?:国|方|者|商|部门|政府|企业|社区|界)$")
_GENERIC_HEAD = re.compile(r"(?:机构|组织|部门|公司|政府|中心|网络|小组|联盟|部|局)$")  # need a proper name before them
_TITLED_BODY = re.compile(r"《[^》]{2,30}》(?:秘书处|缔约方大会|委员会|理事会|秘书长|工作组|基金)")
_LOCATIVE = frozenset("在 于 位于 来自 前往 赴".split())
_NOUNISH = ("n", "nt", "ns", "nz", "nr", "nrt", "j", "vn", "l", "ng", "eng")
_DOT_NAME = re.compile(r"[\u4e00-\u9fff]{1,6}(?:[·•・][\u4e00-\u9fff]{1,8})+")
_LATIN_PERSON = re.compile(r"(?<![A-Za-z0-9])[A-Z][a-z]+(?:[ \-][A-Z][a-z]+)+(?![A-Za-z0-9])")
_LATIN_ORG = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9\-]*|[A-Z][a-z]{2,})(?![A-Za-z0-9])")
_TITLE = re.compile(r"《[^》]*》")
_QUOTED = re.compile(r"[“「《\"]([^”」》\"]{1,30})[”」》\"]")
_GENERIC = frozenset("政府 各国政府 国家政府 机构 组织 部门 公司 银行 基金 中心 小组 网络 联盟 伙伴关系 秘书处 委员会 社区 地区 "
                     "国家 城市 海洋 山区 农村 城镇 湖泊 河流 流域 港口 岛屿 陆地 内陆 沿海 区域 社会".split())
GENERIC = _GENERIC  # words too generic to be a name (an answer)


def _mask(text: str) -> str:
    return _TITLE.sub(lambda m: "□" * len(m.group()), text)


def _tagged(text: str) -> list[tuple[str, str]]:
    return list(_tag(text))


@lru_cache(maxsize=4096)
def _tag(text: str) -> tuple[tuple[str, str], ...]:
    """jieba words with part-of-speech tags (cached: every kind of name is looked for in the same sentences)."""
    import jieba.posseg as pseg

    return tuple((w, f) for w, f in pseg.lcut(text))


def transliterated(word: str) -> bool:
    """Every character is one Chinese uses for foreign names ("布加勒斯特", "安德森")."""
    return len(word) >= 2 and all(c in TRANSLIT for c in word)


def _proper(word: str, flag: str) -> bool:
    return bool(places_in(word)) or transliterated(word) or (flag in ("ns", "nr", "nrt") and len(word) >= 2)


def _compounds(tagged: list[tuple[str, str]], head: re.Pattern[str], need_proper: bool) -> set[str]:
    """Runs of up to four noun-like words ending in a word that matches ``head``."""
    found: set[str] = set()
    for i, (word, _) in enumerate(tagged):
        if not head.search(word):
            continue
        j = i
        while j > 0 and i - j < 3 and tagged[j - 1][1] in _NOUNISH and re.match(r"[\u4e00-\u9fff]", tagged[j - 1][0]):
            j -= 1
        run = tagged[j : i + 1]
        name = "".join(w for w, _ in run)
        if len(name) < 3 or name in _GENERIC:
            continue
        if need_proper and not any(_proper(w, f) for w, f in run):
            continue
        found.add(name)
    return found


def places(text: str) -> set[str]:
    text = _mask(text)
    tagged = _tagged(text)
    found = set(places_in(text))
    found |= {w for w, f in tagged if f in ("ns", "nrt", "nr") and transliterated(w) and (len(w) >= 3 or f == "ns")}
    found |= {w for (p, _), (w, f) in zip(tagged, tagged[1:], strict=False)  # "马来西亚萨巴": after its country
              if f in ("ns", "nrt", "nr") and transliterated(w) and places_in(p) == [p]}
    found |= {w for (p, _), (w, f) in zip(tagged, tagged[1:], strict=False)  # "在青岛举行": after 在/于/位于
              if f == "ns" and p in _LOCATIVE and len(w) >= 2 and w not in _GENERIC}
    found |= _compounds(tagged, _PLACE_HEAD, need_proper=True)
    return {p for p in found if p not in _GENERIC}


def cities(text: str) -> set[str]:
    """Places below the level of a country or region ("内罗毕", "基尔库克省", "雅温得")."""
    from rag.gazetteer import COUNTRIES, REGIONS

    return {p for p in places(text) if p not in COUNTRIES and p not in REGIONS}


def countries(text: str) -> set[str]:
    return set(countries_in(_mask(text)))


def persons(text: str) -> set[str]:
    text = _mask(text)
    found = {m.group() for m in _DOT_NAME.finditer(text)} | set(_LATIN_PERSON.findall(text))
    known = set(places_in(text))
    found |= {w for w, f in _tagged(text) if f in ("nr", "nrfg", "nrt") and len(w) >= 3 and transliterated(w)
              and w not in known}
    return found


def organisations(text: str) -> set[str]:
    titled = {m.group() for m in _TITLED_BODY.finditer(text)}  # "《生物多样性公约》秘书处"
    text = _mask(text)
    tagged = _tagged(text)
    found = {w for w, f in tagged if f == "nt" and len(w) >= 2} | titled
    found |= {c for c in _compounds(tagged, _ORG_HEAD, need_proper=False)
              if not _GENERIC_HEAD.search(c) or _compounds(tagged, _ORG_HEAD, need_proper=True) & {c}}
    found |= {m.group() for m in _LATIN_ORG.finditer(text)}
    return {o for o in found if o not in _GENERIC}


def quoted_names(text: str) -> set[str]:
    """Names given in quotes or title marks: “复原力”, 《人工智能端到端》, 「…」 (1–30 characters)."""
    return {m.group(1) for m in _QUOTED.finditer(text)}


def roles(text: str) -> set[str]:
    """Kinds of actor named by a common noun ("进口国", "出口国", "生产者", "私营部门")."""
    import jieba

    return {w for w in jieba.lcut(_mask(text)) if len(w) >= 2 and _ROLE.search(w) and w not in _GENERIC}


def agents(text: str, with_roles: bool = False) -> set[str]:
    """Anyone who can do something: persons, organisations, countries (and kinds of actor, ``with_roles``)."""
    return persons(text) | organisations(text) | countries(text) | (roles(text) if with_roles else set())


def _generic_rest(rest: str) -> bool:
    """What follows a given name in a longer one only makes it that name's body ("政府", "国", "秘书处")."""
    return len(rest) <= 1 or rest in _GENERIC or bool(_GENERIC_HEAD.fullmatch(rest)) or bool(_ROLE.fullmatch(rest))


def new_names(names: set[str], question: str) -> set[str]:
    """The names not already in the question. A name counts as given when the question holds it, when it
    starts a name the question holds ("菲律宾政府" gives "菲律宾"), or when a name the question holds starts it
    and the rest is generic ("菲律宾" gives "菲律宾政府", not "环境署金融倡议": a body of its own)."""
    q = re.sub(r"\s+", "", question).lower()
    given = {g.lower() for g in places(question) | agents(question)}
    out = set()
    for name in names:
        low = name.lower()
        if low in q or any(len(g) >= 2 and (g.startswith(low) or (low.startswith(g) and _generic_rest(low[len(g):])))
                           for g in given):
            continue
        out.add(name)
    return out
