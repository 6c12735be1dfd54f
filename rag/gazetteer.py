"""Place names from general knowledge: countries (Chinese UN short and official forms), world regions and
well-known cities. Used to tell whether a sentence names a place or a country the question asks for
("哪些国家…？" needs country names; "在哪个城市…？" a place).

Matching is longest-first and non-overlapping ("印度尼西亚" is one country, not "印度" + rest); names
inside a title 《…》 or directly before 公约/协定/议定书/… ("《巴黎协定》", "斯德哥尔摩公约") name a
treaty, not a place, and do not count.
"""

from __future__ import annotations

import re
from functools import lru_cache

COUNTRIES = frozenset("""
阿尔及利亚 安哥拉 贝宁 博茨瓦纳 布基纳法索 布隆迪 佛得角 喀麦隆 中非共和国 乍得 科摩罗 刚果 刚果民主共和国 刚果共和国
科特迪瓦 吉布提 埃及 赤道几内亚 厄立特里亚 斯威士兰 埃斯瓦蒂尼 埃塞俄比亚 加蓬 冈比亚 加纳 几内亚 几内亚比绍 肯尼亚
莱索托 利比里亚 利比亚 马达加斯加 马拉维 马里 毛里塔尼亚 毛里求斯 摩洛哥 莫桑比克 纳米比亚 尼日尔 尼日利亚 卢旺达
圣多美和普林西比 塞内加尔 塞舌尔 塞拉利昂 索马里 南非 南苏丹 苏丹 坦桑尼亚 坦桑尼亚联合共和国 多哥 突尼斯 乌干达 赞比亚
津巴布韦 阿富汗 巴林 孟加拉国 孟加拉 不丹 文莱 柬埔寨 中国 中华人民共和国 朝鲜 印度 印度尼西亚 印尼 伊朗 伊拉克 以色列
日本 约旦 哈萨克斯坦 科威特 吉尔吉斯斯坦 老挝 黎巴嫩 马来西亚 马尔代夫 蒙古 缅甸 尼泊尔 阿曼 巴基斯坦 菲律宾 卡塔尔 韩国
大韩民国 沙特阿拉伯 沙特 新加坡 斯里兰卡 叙利亚 阿拉伯叙利亚共和国 塔吉克斯坦 泰国 东帝汶 土耳其 土库曼斯坦 阿拉伯联合酋长国
阿联酋 乌兹别克斯坦 越南 也门 巴勒斯坦 巴勒斯坦国 格鲁吉亚 亚美尼亚 阿塞拜疆 塞浦路斯 阿尔巴尼亚 安道尔 奥地利 白俄罗斯
比利时 波斯尼亚和黑塞哥维那 保加利亚 克罗地亚 捷克 丹麦 爱沙尼亚 芬兰 法国 德国 希腊 匈牙利 冰岛 爱尔兰 意大利 拉脱维亚
列支敦士登 立陶宛 卢森堡 马耳他 摩尔多瓦 摩尔多瓦共和国 摩纳哥 黑山 荷兰 荷兰王国 北马其顿 挪威 波兰 葡萄牙 罗马尼亚
俄罗斯 俄罗斯联邦 圣马力诺 塞尔维亚 斯洛伐克 斯洛文尼亚 西班牙 瑞典 瑞士 乌克兰 英国 大不列颠及北爱尔兰联合王国 联合王国
安提瓜和巴布达 阿根廷 巴哈马 巴巴多斯 伯利兹 玻利维亚 巴西 加拿大 智利 哥伦比亚 哥斯达黎加 古巴 多米尼克 多米尼加共和国
多米尼加 厄瓜多尔 萨尔瓦多 格林纳达 危地马拉 圭亚那 海地 洪都拉斯 牙买加 墨西哥 尼加拉瓜 巴拿马 巴拉圭 秘鲁 圣基茨和尼维斯
圣卢西亚 圣文森特和格林纳丁斯 苏里南 特立尼达和多巴哥 美国 美利坚合众国 乌拉圭 委内瑞拉 澳大利亚 斐济 基里巴斯 马绍尔群岛
密克罗尼西亚 密克罗尼西亚联邦 瑙鲁 新西兰 帕劳 巴布亚新几内亚 萨摩亚 所罗门群岛 汤加 图瓦卢 瓦努阿图 库克群岛 纽埃
""".split())

REGIONS = frozenset("""
非洲 亚洲 欧洲 美洲 北美 北美洲 南美 南美洲 拉丁美洲 拉美 加勒比 大加勒比 中东 东南亚 南亚 中亚 西亚 东亚 东北亚 东非 西非 北非
南部非洲 中部非洲 东部非洲 西部非洲 萨赫勒 南高加索 高加索 地中海 亚太 亚洲及太平洋 太平洋 大西洋 印度洋 北极 南极 大洋洲
波罗的海 红海 墨西哥湾 湄公河 刚果盆地 亚马孙 亚马逊 撒哈拉 巴尔干 斯堪的纳维亚 西北太平洋 南太平洋 中美洲 北欧 东欧 西欧 南欧
""".split())

CITIES = frozenset("""
内罗毕 日内瓦 纽约 巴黎 伦敦 北京 上海 东京 首尔 曼谷 新德里 德里 孟买 加尔各答 雅加达 马尼拉 河内 胡志明市 金边 万象 吉隆坡
达卡 加德满都 伊斯兰堡 卡拉奇 拉合尔 德黑兰 巴格达 利雅得 吉达 迪拜 阿布扎比 多哈 开罗 亚历山大港 亚的斯亚贝巴 拉各斯 阿布贾
阿克拉 达喀尔 约翰内斯堡 开普敦 比勒陀利亚 德班 坎帕拉 达累斯萨拉姆 基加利 蒙巴萨 罗马 柏林 波恩 马德里 巴塞罗那 里斯本
布鲁塞尔 阿姆斯特丹 海牙 鹿特丹 乌得勒支 维也纳 斯德哥尔摩 奥斯陆 哥本哈根 赫尔辛基 华沙 布拉格 布达佩斯 布加勒斯特 雅典
伊斯坦布尔 安卡拉 莫斯科 基辅 巴库 第比利斯 埃里温 阿斯塔纳 阿拉木图 塔什干 比什凯克 杜尚别 乌兰巴托 华盛顿 渥太华 蒙特利尔
多伦多 温哥华 墨西哥城 坎昆 波哥大 卡利 麦德林 卡塔赫纳 利马 基多 瓜亚基尔 圣地亚哥 布宜诺斯艾利斯 巴西利亚 里约热内卢
圣保罗 加拉加斯 哈瓦那 金斯敦 巴拿马城 悉尼 墨尔本 堪培拉 惠灵顿 苏瓦 釜山 昆明 重庆 广州 深圳 香港 澳门 格拉斯哥 爱丁堡
曼彻斯特 沙姆沙伊赫 贝鲁特 大马士革 安曼 喀布尔 仰光 科伦坡 马累 雅温得 金沙萨 布拉柴维尔 卢萨卡 哈拉雷 马普托 温得和克
京都 大阪 名古屋 横滨 水俣 米兰 法兰克福 慕尼黑 汉堡 洛桑 苏黎世 伯尔尼 巴塞尔 斯特拉斯堡 蒙得维的亚 亚松森 拉巴斯 阿伦达尔
甘地讷格尔 基尔库克 加沙 喀土穆 的黎波里 突尼斯城 拉巴特 卡萨布兰卡 阿尔及尔 达尔富尔 利伯维尔 罗安达 哈博罗内 马塞卢
天津 青岛 大连 厦门 杭州 南京 武汉 成都 西安 沈阳 哈尔滨 长春 济南 郑州 长沙 福州 贵阳 南宁 海口 三亚 拉萨 乌鲁木齐 兰州
西宁 银川 呼和浩特 太原 石家庄 合肥 南昌 苏州 无锡 宁波 温州 台北 高雄 札幌 神户 福冈 仁川 大邱 平壤 海防 岘港 宿务 泗水
万隆 槟城 清迈 普吉 孟买 班加罗尔 金奈 海得拉巴 吉大港 卡拉奇
""".split())

# A name right before one of these names a treaty, plan or process, not a place.
_TREATY_TAIL = re.compile(r"^(?:公约|协定|议定书|框架|修正案|宣言|原则|行动议程|议程|对话|进程|承诺|行动计划|方案|倡议|全球)")
_TITLE = re.compile(r"《[^》]*》")


@lru_cache(maxsize=4)
def _pattern(kind: str) -> re.Pattern[str]:
    names = {"country": COUNTRIES, "region": REGIONS, "city": CITIES,
             "place": COUNTRIES | REGIONS | CITIES}[kind]
    return re.compile("|".join(sorted(map(re.escape, names), key=len, reverse=True)))


def _find(text: str, kind: str) -> list[str]:
    masked = _TITLE.sub(lambda m: "□" * len(m.group()), text)
    return [m.group() for m in _pattern(kind).finditer(masked) if not _TREATY_TAIL.match(masked[m.end():])]


def countries_in(text: str) -> list[str]:
    """Country names in ``text`` (longest match, in order, repeats kept)."""
    return _find(text, "country")


def places_in(text: str) -> list[str]:
    """Countries, regions and cities named in ``text`` (longest match over all three lists)."""
    return _find(text, "place")

