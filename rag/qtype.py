"""What kind of answer a question expects (its *slot*), read from the question's wording.

Kinds (``Slot.kinds`` keeps every one that matches; ``kind`` is the first):
- funder: who pays ("资金是谁出的", "由哪些国家出资", "经费由哪个国家的政府提供", "资金来自哪些国家");
- money / percent / number: "多少(适应)资金", "投入…多少" (an amount in a currency; so is a bare "多少" in a
  question that itself names an amount: "出资约2.3亿美元，到位了多少？"); "比例", "百分之几", "占多少" (a
  percentage or fraction); "多少/几 + measure word (+ noun)" (``unit``/``noun``: "多少名联络人" expects
  "75 名联络人"; "多少年" a duration, not a calendar year) and other quantity questions (多少, 多大, 规模);
- time: 何时 / 什么时候 / 哪一年 / 哪个月 / when (a date, near the event asked about);
- country: "哪个国家", "哪些国家", "哪两个国家" (``plural`` when more than one is asked for);
- city: 哪个城市 (a place below a country or region); place: 哪里 / 在哪 / 哪个省 / 哪个岛屿 (``category``:
  the noun after 哪个, which the place must instantiate) / where;
- person: 哪位 / 姓名 / 谁担任…; name: 叫什么 / 名称 / 称号 (a quoted or titled name); org: 哪个机构 /
  哪家 / 哪个组织; agent: 谁 / 和谁 / 由谁 (a person, body, country or kind of actor);
- reason: 为什么 / 为何 / 原因 / 目的 / why; list: 哪些 / 哪几 / 有什么 (several things: "哪几种" is a list,
  not a count; "哪些国家" a country list).
A question with none of these asks an open "what" (``kinds == ()``). ``rag.supply`` decides whether a
text offers the slot with something the question does not already say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = ("亿美元|万美元|美元|亿欧元|欧元|亿元|万元|元|万吨|公吨|吨|公顷|平方公里|公里|千米|%|个|项|名|次|位|家|国|人|"
          "年|天|月|周|种|条|所|届|份|座|倍|岁|场|只|头|株|棵|件|篇|本|处|批|轮|期|类|部|款|起|例|辆|艘|架|台|户")
_ASK_UNIT = re.compile(rf"(?<!哪)(?:多少|几)\s*(?:亿|万|千|百)?\s*({_UNITS})")
_ASK_NUMBER = re.compile(r"多少|(?<!哪)几[个项名次位年种家国倍起]|多大|多长|多久|多高|多重|规模|数量|how (?:many|much|long|large|big)|"
                         r"what (?:share|percentage|proportion|amount|number)", re.IGNORECASE)
_ASK_PERCENT = re.compile(r"比例|比重|百分比|百分之几|占多少|几成|what (?:share|percentage|proportion)", re.IGNORECASE)
_ASK_MONEY = re.compile(r"多少[\u4e00-\u9fff]{0,4}?(?:资金|钱|经费|金额|投资|捐款|资助|预算|费用|罚款|赔偿|美元|欧元)|"
                        r"(?:资金|经费|金额|投资|预算|费用|罚款|赔偿|出资|耗资|花了?)[^，。？?]{0,6}多少|"
                        r"how much (?:money|funding)", re.IGNORECASE)
_ASK_FUNDER = re.compile(r"(?:谁|哪[个些家位国]?(?:个)?(?:国家|国|机构|组织|政府|方|单位|捐助方)?(?:的政府)?)[^，。？?]{0,4}"
                         r"(?:出资|资助|供资|捐|赞助|出的钱|出钱|买单)|(?:资金|经费|钱|款项)[^，。？?]{0,6}"
                         r"(?:谁|哪[个些家国]|来自|来源)|资助[^，。？?]{0,4}(?:来自|来源|方是|者是)|出资方|资助方|出资者|资助者|捐助方|who (?:funded|paid|financed)",
                         re.IGNORECASE)
_ASK_TIME = re.compile(r"何时|什么时候|什么时间|哪一年|哪年|哪个月|哪一天|哪天|几月|几号|日期|\bwhen\b|what year|which year",
                       re.IGNORECASE)
_ASK_COUNTRY = re.compile(r"哪(?:个|些|几个?|[一二两三四五六七八九十]+个)?[^，。？?、]{0,8}?国家|哪国|"
                          r"国家(?:具体|分别)?(?:是|有|包括)?哪(?:些|几)|which countr", re.IGNORECASE)
_PLURAL = re.compile(r"哪(?:些|几|[两三四五六七八九十]+个)|which countries", re.IGNORECASE)
_ASK_CITY = re.compile(r"哪(?:个|座)城市|哪座城|哪个市|which city", re.IGNORECASE)
_ASK_PLACE = re.compile(r"哪里|哪儿|在哪(?![个些场次一种类项届年月天位家])|何地|何处|哪个(?:城市|地方|省|州|县|地区|区域|岛|港口|村)|"
                        r"哪座|什么地方|\bwhere\b|which city",
                        re.IGNORECASE)
_ASK_NAME = re.compile(r"叫什么|名字|名称|称号|题为什么|命名为|what is (?:it|the \w+) called", re.IGNORECASE)
# "这个名字是怎么来的", "名称的由来": how a name came about is an open question, not a request for a name
_NAME_ORIGIN = re.compile(r"(?:名字|名称|称号|命名|叫)[^，。？?]{0,8}?(?:怎么来|怎样来|如何来|由来|来历|从何|缘由|得名|来源)|"
                          r"(?:为什么|为何|因何)[^，。？?]{0,8}?(?:叫|命名|得名)|因何得名|得名")
_ASK_PERSON = re.compile(r"哪位|什么人|姓名|谁(?:担任|主持|领导|发起|说|表示|指出|谴责|获得|被评为)|是谁|^谁是|[，,]谁是|"
                         r"\bwho (?:is|was)\b", re.IGNORECASE)
_ASK_ORG = re.compile(r"哪(?:个|家|些|所|一个|一家)?(?:[\u4e00-\u9fff]{1,3}?)?(?:机构|组织|单位|部门|公司|银行|大学|基金|合作伙伴|伙伴|实体)|什么机构|什么组织|which "
                      r"(?:organi[sz]ation|agency|institution|body)", re.IGNORECASE)
_ASK_AGENT = re.compile(r"谁|\bwho\b", re.IGNORECASE)
_ASK_WHY = re.compile(r"为什么|为何|原因|理由|目的是|为了什么|出于什么|\bwhy\b|for what reason", re.IGNORECASE)
_ASK_LIST = re.compile(r"哪些|哪几|有什么|包括什么|什么样|which\b|what (?:are|were)\b", re.IGNORECASE)
_CLASSIFIERS = "个|条|项|份|家|名|位|座|所|件|种|类|批|起|例"
_NOT_NOUN = ("v", "d", "p", "c", "u", "r", "x", "m", "q", "a", "f")  # jieba tags of what cannot be counted
_PEOPLE = "人次|人|名|位|条生命"  # ways of counting people: "多少人死亡" ~ "3900万条生命"
_WHICH = re.compile(r"哪(?:个|座|些|几个|一个|家|所|条)")
_MONEY_GIVEN = re.compile(r"\d[\d.,]*\s*(?:万亿|亿|万|千|百)?\s*(?:美元|欧元|元|英镑)")
_YEAR = re.compile(r"(?:19|20)\d\d\s*年")
_NUMBER = r"(?:\d[\d.,]*|[零〇一二两三四五六七八九十百千]+)"


@dataclass(frozen=True)
class Slot:
    """The kind(s) of answer a question (part) asks for; ``kind`` is the main one ("" for an open "what")."""

    kinds: tuple[str, ...] = ()
    plural: bool = False
    unit: str | None = None
    noun: str | None = None
    category: str | None = None  # the noun after 哪个/哪座/哪些 ("哪个岛屿" → "岛屿"): what the answer names

    @property
    def kind(self) -> str:
        return self.kinds[0] if self.kinds else ""

    @property
    def typed(self) -> bool:
        """A kind that a text can be checked for (not reason / list / open)."""
        return any(k not in ("reason", "list") for k in self.kinds)


def expected_slot(question: str) -> Slot:
    kinds: list[str] = []
    checks = (("funder", _ASK_FUNDER), ("money", _ASK_MONEY), ("percent", _ASK_PERCENT), ("number", _ASK_NUMBER),
              ("time", _ASK_TIME), ("country", _ASK_COUNTRY), ("city", _ASK_CITY), ("place", _ASK_PLACE), ("person", _ASK_PERSON),
              ("org", _ASK_ORG), ("name", _ASK_NAME), ("agent", _ASK_AGENT), ("reason", _ASK_WHY), ("list", _ASK_LIST))
    for kind, pattern in checks:
        if pattern.search(question):
            kinds.append(kind)
    if "name" in kinds and _NAME_ORIGIN.search(question):
        kinds.remove("name")
    if "number" in kinds and ("money" in kinds or "percent" in kinds):
        kinds.remove("number")
    if "agent" in kinds and ({"funder", "person", "org"} & set(kinds)):
        kinds.remove("agent")
    if "funder" in kinds and "country" in kinds:
        kinds.remove("country")  # who pays, among countries: the funder check covers it
    if "city" in kinds and "place" in kinds:
        kinds.remove("place")
    if "list" in kinds and len(kinds) > 1:
        kinds.remove("list")  # "哪些国家" is a country list: the country check covers it
    if expected_unit(question) and not {"number", "money", "percent"} & set(kinds):
        kinds.insert(0, "number")  # "举行了几轮" asks for a count
    if "number" in kinds and not expected_unit(question) and _MONEY_GIVEN.search(question):
        kinds[kinds.index("number")] = "money"  # "…出资约2.3亿美元，目前到位了多少？" asks for an amount
    plural = bool(_PLURAL.search(question))
    unit = expected_unit(question)
    return Slot(tuple(kinds), plural, unit, counted_noun(question) if unit else None, asked_category(question))


def asked_category(question: str) -> str | None:
    """The noun right after 哪个/哪座/哪些/哪几个 ("在哪个岛屿开展" → "岛屿"), when there is one."""
    m = _WHICH.search(question)
    if not m:
        return None
    import jieba.posseg as pseg

    words = pseg.lcut(question[m.end() :])
    head, flag = (words[0].word, words[0].flag) if words else ("", "")
    return head if flag.startswith("n") and re.match(r"[\u4e00-\u9fff]", head) else None


def expected_unit(question: str) -> str | None:
    m = _ASK_UNIT.search(question)
    return m.group(1) if m else None


def counted_noun(question: str) -> str | None:
    """The noun counted by "多少/几 + unit" ("多少个国家" → "国家"), when one follows the unit."""
    m = _ASK_UNIT.search(question)
    if not m:
        return None
    import jieba.posseg as pseg

    words = pseg.lcut(question[m.end() :])
    head, flag = (words[0].word, words[0].flag) if words else ("", "")
    if not (len(head) >= 2 and not flag.startswith(_NOT_NOUN) and re.match(r"[\u4e00-\u9fff]", head)):
        return None
    if len(words) > 1 and len(words[1].word) >= 2 and re.match(r"[\u4e00-\u9fff]", words[1].word) and (
            words[1].flag.startswith(("n", "vn")) or (len(words) == 2 or re.match(r"[？?，,。]", words[2].word))):
        head += words[1].word  # "多少起甲烷泄漏": the counted thing is the compound, its head is its end
    return head






def asks_why(question: str) -> bool:
    return bool(_ASK_WHY.search(question))


def asks_list(question: str) -> bool:
    return bool(_ASK_LIST.search(question))


_WHO = re.compile(r"谁|哪(?:个|家|些|所|位|一个|一家)?(?:[\u4e00-\u9fff]{0,3}?)(?:机构|组织|单位|部门|大学|实体|人)|什么(?:机构|组织|人)")


def agent_predicate(question: str) -> list[str]:
    """The action a who/which-body question asks the doer of: the verbs (two or more characters) of its
    clause after the interrogative ("…是由哪个机构召集的？" → ["召集"]), else those before it."""
    m = _WHO.search(question)
    if not m:
        return []
    import jieba.posseg as pseg

    clause = re.split(r"[？?。；;！!，,]", question[m.end() :])[0]
    before = re.split(r"[？?。；;！!，,]", question[: m.start()])[-1]
    for span in (clause, before):
        verbs = [w for w, f in pseg.lcut(span) if f.startswith("v") and len(w) >= 2 and w not in ("是由", "就是")]
        if verbs:
            return verbs
    return []


def time_predicate(question: str) -> list[str]:
    """The event a time question asks about: the content words right after the time phrase
    ("…在哪一年全部到位？" → ["全部", "到位"]; "何时、由哪个会议通过的" → ["会议", "通过"])."""
    from rag.index.lexical import STOP_WORDS

    m = _ASK_TIME.search(question)
    if not m:
        return []
    import jieba

    tail = re.split(r"[？?。；;！!]", question[m.end() :])[0]
    return [w for w in jieba.lcut(tail) if len(w) >= 2 and re.match(r"[\u4e00-\u9fff]", w)
            and w not in STOP_WORDS and not re.search(r"哪|什么|谁|多少", w)]


def quantities(text: str, unit: str, noun: str | None = None) -> list[str]:
    """The numbers written with ``unit`` (allowing 多/余/几 and a magnitude between): "75 名联络人" → "75".
    With ``noun``, the counted thing must follow the unit within a few characters (its first character is
    enough: "62 个成员国" counts for "多少个国家") or occur in the same sentence ("3900万吨 … 残渣数量").
    People are counted as 人, 名, 位 or 条生命 alike. General classifiers stand for each other when the counted noun follows within a few characters ("多少条
    保护区记录" is answered by "20万个保护区…"), never with the article-like "一" ("一项计划")."""
    text = re.sub(r"(?<=\d)[ ,](?=\d{3})", "", text)
    general = unit in _CLASSIFIERS.split("|") and noun is not None
    units = _CLASSIFIERS if general else _PEOPLE if unit in _PEOPLE.split("|") else re.escape(unit)
    pattern = re.compile(rf"({_NUMBER})\s*(?:多|余|几)?\s*(?:亿|万|千|百)?\s*({units})")
    out = []
    for m in pattern.finditer(text):
        if unit == "年" and _YEAR.match(m.group().strip()):
            continue
        if not re.search(r"\d|[一二两三四五六七八九十百千]", m.group()):
            continue
        exact = m.group(2) == unit or units == _PEOPLE
        if not exact and (m.group(1) == "一" or not _noun_near(text, m.end(), noun or "", strict=True)):
            continue
        if noun and exact and not _noun_near(text, m.end(), noun):
            continue
        out.append(m.group())
    return out


def _noun_near(text: str, end: int, noun: str, strict: bool = False) -> bool:
    if not noun:
        return False
    window = text[end : end + 6]
    if noun[0] in window or (len(noun) >= 4 and noun[-2:] in window):  # "1066起泄漏事件" for "多少起甲烷泄漏"
        return True
    if strict:
        return False
    sentence = re.split(r"[。！？；]", text[end:])[0]
    start = max(text.rfind(c, 0, end) for c in "。！？；") + 1
    return noun[:2] in text[start:end] + sentence or (len(noun) >= 4 and noun[-2:] in text[start:end] + sentence)

