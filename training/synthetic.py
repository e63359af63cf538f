"""Deterministic generator of synthetic Chinese platform posts.

Writes synthetic POSITIVES (pyramid-scheme / 传销 promotion) and synthetic HARD NEGATIVES (legal 直销, 招商加盟,
single-level referral, job ads, anti-MLM warnings and news, finance, e-commerce, task scams, loans, game ads,
everyday posts, 社区团购 / 私域 marketing; one-line chat messages in both classes) with ONE machinery: the same channels, length modes, joiners, emoji, contact hints, money formats,
slang and evasive spellings.  Only the legal content differs, so writing style cannot separate the classes.

Templates are skeletons of segments written in a tiny slot language (see ``_parse``):

* ``{name}``       a slot: a pool of alternatives (template-local first, then global) or a generator function;
* ``{$name}``      a sticky slot: drawn once per post, then repeated (brand, product, level, coin ...);
* ``{a|b|c}``      inline alternatives (nested braces allowed);
* ``{?a|b}``       optional: nothing (p=1/2) or one of the alternatives;
* ``{#lo-hi}``     a random integer; ``{#lo-hi/step}`` multiples of step; ``{#0.1-2.5}`` one-decimal numbers.

Element slots carry the legal elements they express in their name: the upper-case prefix before ``_`` is made of
``L`` (lart 拉人头), ``F`` (fee 入门费), ``T`` (team 团队计酬), ``P`` (ponzi 资金盘), e.g. ``{LT_chain}``.  The
elements of a post are the tags of the element slots that were actually expanded while writing it, so they are
exact by construction.  Neutral pools never reach an element slot and negative templates never use one
(``validate_templates`` checks both statically; ``generate`` re-checks every post).

Deterministic: every draw comes from one ``random.Random(seed)``; no global random state is touched.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Callable, Iterable

__all__ = [
    "CHANNELS",
    "ELEMENTS",
    "EVASIONS",
    "SyntheticPost",
    "Template",
    "generate",
    "templates",
    "validate_templates",
]

ELEMENTS: tuple[str, ...] = ("lart", "fee", "team", "ponzi")
_TAG_TO_ELEMENT = {"L": "lart", "F": "fee", "T": "team", "P": "ponzi"}
CHANNELS: tuple[str, ...] = ("朋友圈", "群聊", "公众号", "微博", "短视频文案", "电商", "私聊")
_CHANNEL_WEIGHTS = {"朋友圈": 20, "群聊": 18, "公众号": 10, "微博": 15, "短视频文案": 13, "电商": 9, "私聊": 15}
EVASIONS: tuple[str, ...] = ("separator", "homophone", "traditional", "fullwidth", "zerowidth")
_EVASION_WEIGHTS = (30, 30, 12, 10, 18)


# ---------------------------------------------------------------------------------------------------------------
# public record type
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyntheticPost:
    text: str
    label: int
    elements: tuple[str, ...]
    scheme: str
    channel: str
    group: str
    evasion: str | None

    def to_record(self) -> dict:
        return {
            "text": self.text,
            "label": self.label,
            "elements": list(self.elements),
            "source": f"synthetic:{self.scheme}",
            "group": self.group,
            "channel": self.channel,
            "evasion": self.evasion,
            "synthetic": True,
        }


# ---------------------------------------------------------------------------------------------------------------
# slot language: parser and expander
# ---------------------------------------------------------------------------------------------------------------
# node kinds: str literal | ("s", name, sticky, tags) | ("a", [seq, ...]) | ("o", [seq, ...]) | ("n", lo, hi, step, dec)
_IDENT = re.compile(r"^\$?[A-Za-z][A-Za-z0-9_]*$")
_ELEMENT_NAME = re.compile(r"^([LFTP]+)_")
_PARSE_CACHE: dict[str, list] = {}


def _slot_tags(name: str) -> tuple[str, ...]:
    m = _ELEMENT_NAME.match(name)
    if not m:
        return ()
    return tuple(e for e in ELEMENTS if any(_TAG_TO_ELEMENT[c] == e for c in m.group(1)))


def _split_top(s: str, sep: str = "|") -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _parse(s: str) -> list:
    cached = _PARSE_CACHE.get(s)
    if cached is not None:
        return cached
    nodes: list = []
    i, lit = 0, []
    while i < len(s):
        ch = s[i]
        if ch != "{":
            if ch == "}":
                raise ValueError(f"unbalanced '}}' in template: {s!r}")
            lit.append(ch)
            i += 1
            continue
        depth, j = 0, i
        while j < len(s):
            if s[j] == "{":
                depth += 1
            elif s[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if depth != 0:
            raise ValueError(f"unbalanced '{{' in template: {s!r}")
        if lit:
            nodes.append("".join(lit))
            lit = []
        body = s[i + 1 : j]
        i = j + 1
        if body.startswith("#"):
            lo_s, _, hi_s = body[1:].partition("-")
            hi_s, _, step_s = hi_s.partition("/")
            dec = 1 if "." in lo_s or "." in hi_s else 0
            if dec:
                nodes.append(("n", round(float(lo_s) * 10), round(float(hi_s) * 10), 1, 1))
            else:
                nodes.append(("n", int(lo_s), int(hi_s), int(step_s or 1), 0))
        elif body.startswith("?"):
            nodes.append(("o", [_compiled(p) for p in _split_top(body[1:])]))
        elif _IDENT.match(body):
            sticky = body.startswith("$")
            name = body[1:] if sticky else body
            nodes.append(("s", name, sticky, _slot_tags(name)))
        else:
            nodes.append(("a", [_compiled(p) for p in _split_top(body)]))
    if lit:
        nodes.append("".join(lit))
    _PARSE_CACHE[s] = nodes
    return nodes


_COMPILED: dict[str, object] = {}


def _compiled(s: str):
    """A plain string when ``s`` has no slot (expansion is then a no-op), else its parsed node list."""
    c = _COMPILED.get(s)
    if c is None:
        nodes = _parse(s)
        c = s if all(type(n) is str for n in nodes) else nodes
        _COMPILED[s] = c
    return c


class _Ctx:
    __slots__ = ("rng", "local", "trace", "sticky")

    def __init__(self, rng: random.Random, local: dict):
        self.rng = rng
        self.local = local
        self.trace: set[str] = set()
        self.sticky: dict[str, str] = {}


def _lookup(name: str, local: dict):
    if name in local:
        return local[name]
    if name in _POOLS:
        return _POOLS[name]
    if name in _GENERATORS:
        return _GENERATORS[name]
    raise KeyError(f"unknown slot {{{name}}}")


def _expand(s: str, ctx: _Ctx) -> str:
    c = _compiled(s)
    return c if type(c) is str else _expand_nodes(c, ctx)


def _expand_nodes(nodes: list, ctx: _Ctx) -> str:
    out = []
    random_ = ctx.rng.random  # int(random() * n) is much faster than randrange and just as deterministic
    for node in nodes:
        if type(node) is str:
            out.append(node)
            continue
        kind = node[0]
        if kind == "s":
            _, name, sticky, tags = node
            if sticky and name in ctx.sticky:
                out.append(ctx.sticky[name])
                continue
            if tags:
                ctx.trace.update(tags)
            src = _lookup(name, ctx.local)
            if callable(src):
                val = src(ctx.rng)
            else:
                c = _compiled(src[int(random_() * len(src))])
                val = c if type(c) is str else _expand_nodes(c, ctx)
            if sticky:
                ctx.sticky[name] = val
            out.append(val)
        elif kind == "a":
            alts = node[1]
            c = alts[int(random_() * len(alts))]
            out.append(c if type(c) is str else _expand_nodes(c, ctx))
        elif kind == "o":
            if random_() < 0.5:
                alts = node[1]
                c = alts[int(random_() * len(alts))]
                out.append(c if type(c) is str else _expand_nodes(c, ctx))
        else:  # number
            _, lo, hi, step, dec = node
            v = lo + step * int(random_() * ((hi - lo) // step + 1))
            out.append(f"{v / 10:.1f}" if dec else str(v))
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------------
# generators: numbers, money, ids, names
# ---------------------------------------------------------------------------------------------------------------
_CN_DIGITS = "零一二三四五六七八九"


def _cn_small(v: int) -> str:
    """Chinese numeral for 1..99999 (colloquial, e.g. 三千五, 两万)."""
    if v >= 10000:
        w, r = divmod(v, 10000)
        head = "两" if w == 2 else _cn_small(w)
        return head + "万" + (_CN_DIGITS[r // 1000] if r and r % 1000 == 0 else "")
    if v >= 1000:
        k, r = divmod(v, 1000)
        head = "两" if k == 2 else _CN_DIGITS[k]
        return head + "千" + (_CN_DIGITS[r // 100] if r and r % 100 == 0 else "")
    if v >= 100:
        h, r = divmod(v, 100)
        return _CN_DIGITS[h] + "百" + (_CN_DIGITS[r // 10] if r and r % 10 == 0 else "")
    if v >= 10:
        t, r = divmod(v, 10)
        return ("" if t == 1 else _CN_DIGITS[t]) + "十" + (_CN_DIGITS[r] if r else "")
    return _CN_DIGITS[v]


def _money_str(rng: random.Random, v: int) -> str:
    r = rng.random()
    if v >= 10000 and r < 0.55 and v % 1000 == 0:
        w = f"{v / 10000:g}"
        return w + rng.choice(("万", "w", "W", "万元", "万块", "个w"))
    if v >= 1000 and r < 0.12 and v % 100 == 0:
        return f"{v / 1000:g}" + rng.choice(("k", "K", "千"))
    if r < 0.2 and v < 100000 and (v < 100 or v % 100 == 0):
        return _cn_small(v) + rng.choice(("块", "元", "块钱"))
    unit = rng.choice(("元", "元", "块", "", "r", "米", "💰", "元"))
    pre = rng.choice(("¥", "￥")) if (unit in ("", "💰") and rng.random() < 0.6) else ""
    return f"{pre}{v}{unit}"


def _amt(lo: int, hi: int, steps: tuple[int, ...]) -> Callable[[random.Random], str]:
    def gen(rng: random.Random) -> str:
        step = rng.choice(steps)
        v = rng.randrange(max(step, (lo // step) * step), hi + 1, step)
        return _money_str(rng, v)

    return gen


def _pct(lo: float, hi: float) -> Callable[[random.Random], str]:
    def gen(rng: random.Random) -> str:
        v = rng.uniform(lo, hi)
        if hi <= 5:
            txt = f"{v:.1f}".rstrip("0").rstrip(".") if rng.random() < 0.7 else f"{v:.2f}"
            return txt + "%"
        iv = max(1, int(round(v)))
        if rng.random() < 0.15 and iv < 100:
            return "百分之" + _cn_small(iv)
        return f"{iv}%"

    return gen


def _int(lo: int, hi: int) -> Callable[[random.Random], str]:
    return lambda rng: str(rng.randint(lo, hi))


_ALNUM = "abcdefghijkmnpqrstuvwxyz23456789"


def _wxid(rng: random.Random) -> str:
    k = rng.random()
    if k < 0.35:
        return "".join(rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(rng.randint(2, 4))) + "".join(
            rng.choice("0123456789") for _ in range(rng.randint(5, 8))
        )
    if k < 0.55:
        return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    if k < 0.7:
        return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3)) + "".join(
            rng.choice("0123456789") for _ in range(6)
        )
    return "".join(rng.choice(_ALNUM) for _ in range(rng.randint(6, 11)))


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return "400-" + "".join(rng.choice("0123456789") for _ in range(3)) + "-" + "".join(
            rng.choice("0123456789") for _ in range(4)
        )
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


def _qq(rng: random.Random) -> str:
    return str(rng.randint(10000000, 3999999999))


def _code(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return str(rng.randint(100000, 9999999))
    return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(rng.randint(4, 8)))


_TLDS = ("com", "cn", "top", "vip", "net", "xyz", "cc", "app", "org", "shop", "site", "club")


def _host(rng: random.Random) -> str:
    return "".join(rng.choice(_ALNUM) for _ in range(rng.randint(3, 8))) + "." + rng.choice(_TLDS)


def _url(rng: random.Random) -> str:
    host = _host(rng)
    k = rng.random()
    if k < 0.25:
        return f"https://{host}/#/register?invite_code={_code(rng)}"
    if k < 0.45:
        return f"https://m.{host}/h5/share?code={_code(rng)}"
    if k < 0.6:
        return f"http://{host}/index.html?id={rng.randint(1000, 999999)}"
    if k < 0.75:
        return f"{host}/{_code(rng).lower()}"
    if k < 0.88:
        return f"https://{host}/activity/{rng.randint(100, 99999)}"
    return host


def _em(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return f"[em]e{rng.randint(400100, 402900)}[/em]"
    return f"[em]e{rng.randint(100, 1999)}[/em]"


_EMOJI = (
    "🔥 💰 🧧 ✅ 👉 👇 👇🏻 💯 🎉 🌈 ⭐ ❤️ 🙏 🤝 💪 📱 🚀 🌹 🎁 ⚡ ✨ 😊 😄 👍 🉐 ㊙️ 💎 🏆 📣 📢 🔔 💡 🌟 ☀️ 🍀 🎈 🥳 "
    "😍 🤑 💵 💸 📈 🔝 ‼️ ❗ 👏 🙌 😁 🤗 🌸 🍉 🐂 🧨 🎊 🈵 🆕 🔴 🟢 ☎️ 📞 💌 🏠 🚗 ⏰ 🎯 🧡 💙 👑 🌺 🌼 😘 🤩 "
    "😂 🤣 😭 😅 🙄 😤 😓 💤 ☕ 🍵 🍜 🎮 ⚽ 📚 ✍️ 👌 ✌️ 🐟 🐔"
).split()
_EMX = (
    "[强] [红包] [玫瑰] [握手] [呲牙] [烟花] [庆祝] [嘿哈] [奸笑] [耶] [加油] [爱心] [发] [福] [OK] [抱拳] [太阳] "
    "[微笑] [偷笑] [机智] [捂脸] [旺柴] [哇] [666] [鼓掌] [咖啡] [坏笑] [皱眉] [叹气] /玫瑰 /爱心 /强 /握手 /呲牙 "
    "/拥抱 /太阳 /咖啡"
).split()


def _emo(rng: random.Random) -> str:
    return rng.choice(_EMOJI)


def _emx(rng: random.Random) -> str:
    k = rng.random()
    if k < 0.55:
        return rng.choice(_EMX)
    if k < 0.85:
        return _em(rng)
    return rng.choice(_EMOJI)


def _deco(rng: random.Random) -> str:
    k = rng.randint(1, 4)
    if rng.random() < 0.5:
        return _emx(rng) * k if k <= 3 else _emx(rng) + _emx(rng)
    return "".join(_emx(rng) if rng.random() < 0.4 else _emo(rng) for _ in range(k))


_SYL_A = list("优惠益聚汇鑫财富顺乐健康星云链数智华国民福宝金盛源达鼎泰恒嘉安润博创宏远亿众合兴佳美和瑞晟鸿")
_SYL_B = list("享购多赚农淘盈通宝链圈惠家邦联盟汇选客品友邻生道益康达乐米豆")
_BRAND_SUFFIX = ("", "", "", "", "", "科技", "平台", "APP", "商城", "生态", "集团", "优选", "云", "星球", "联盟", "健康", "网络")


def _brand(rng: random.Random) -> str:
    a = rng.choice(_SYL_A)
    b = rng.choice(_SYL_B)
    mid = rng.choice(_SYL_A) if rng.random() < 0.3 else ""
    return a + mid + b + rng.choice(_BRAND_SUFFIX)


def _coin(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "".join(rng.choice("ABCDEFGHKLMNPRSTUVWXZ") for _ in range(rng.randint(2, 4))) + rng.choice(
            ("", "", "币", "链", "coin", "token")
        )
    return rng.choice(_SYL_A) + rng.choice(_SYL_B) + rng.choice(("币", "链", "积分", "豆", "通证"))


def _game(rng: random.Random) -> str:
    return rng.choice(_SYL_A) + rng.choice("龙剑仙魔神天灵云风火") + rng.choice(
        ("传奇", "仙途", "三国", "西游", "江湖", "大陆", "纪元", "战歌", "物语", "online", "手游", "奇缘")
    )


def _nick(rng: random.Random) -> str:
    k = rng.random()
    if k < 0.4:
        return rng.choice(("小", "阿", "大", "老", "")) + rng.choice("鱼猫喵兔熊橙桃柚梨米糖豆叶风云雪月") + rng.choice(
            ("子", "酱", "宝", "呀", "er", "同学", "不吃鱼", "爱吃瓜", "")
        )
    if k < 0.7:
        return rng.choice(_SYL_A) + rng.choice(_SYL_B) + str(rng.randint(1, 999))
    return "".join(rng.choice(_ALNUM) for _ in range(rng.randint(4, 9)))


def _date(rng: random.Random) -> str:
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice((f"{m}月{d}日", f"{m}月{d}号", f"{m}.{d}", f"{m}/{d}"))


def _clock(rng: random.Random) -> str:
    h = rng.randint(7, 22)
    return rng.choice((f"{h}点", f"{h}:00", f"{h}:30", f"晚上{h - 12 if h > 12 else h}点"))


_GENERATORS: dict[str, Callable[[random.Random], str]] = {
    "amt_xs": _amt(1, 30, (1,)),
    "amt_s": _amt(5, 300, (1, 5, 10)),
    "amt_m": _amt(200, 9900, (100, 50, 10, 1)),
    "amt_l": _amt(10000, 900000, (1000, 10000, 5000)),
    "pct_s": _pct(0.3, 3.0),
    "pct": _pct(2, 30),
    "pct_l": _pct(20, 300),
    "n_s": _int(2, 10),
    "n_m": _int(10, 200),
    "n_l": _int(200, 50000),
    "days": _int(3, 365),
    "wxid": _wxid,
    "phone": _phone,
    "qq": _qq,
    "code": _code,
    "url": _url,
    "host": _host,
    "em": _em,
    "emo": _emo,
    "emx": _emx,
    "deco": _deco,
    "brand": _brand,
    "coin": _coin,
    "game": _game,
    "nick": _nick,
    "date": _date,
    "clock": _clock,
    "year": _int(2019, 2025),
}


# ---------------------------------------------------------------------------------------------------------------
# global pools.  Lower-case names are neutral (shared by both classes); names with an L/F/T/P prefix are element
# pools and may only be reached from positive templates.
# ---------------------------------------------------------------------------------------------------------------
def _w(s: str) -> list[str]:
    return s.split()


_POOLS: dict[str, list[str]] = {
    # --- shared vocabulary ------------------------------------------------------------------------------------
    "level": _w(
        "合伙人 联创 联合创始人 董事 执行董事 总监 经理 VIP 钻石会员 皇冠 服务商 县级代理 市级代理 省代 一星达人 "
        "三星达人 社区长 团长 大区经理 金卡会员 创客 股东 节点 超级节点 城市合伙人 分公司 银卡会员"
    ),
    "product": _w(
        "益生菌 酵素 面膜 玻尿酸原液 灵芝孢子粉 胶原蛋白肽 葡萄籽 富硒茶 黑枸杞 鱼油 叶黄素 洗发水 牙膏 护肤套装 "
        "红酒 酱香白酒 五常大米 土蜂蜜 黄精 阿胶糕 艾灸贴 卫生巾 氢水杯 理疗仪 磁疗床垫 足贴 驼奶粉 羊奶粉 "
        "人参 铁皮石斛 螺蛳粉 坚果礼盒 保温杯 空气炸锅 洗衣凝珠 防晒霜 精华液 蛋白粉 茶叶"
    ),
    "city": _w(
        "北京 上海 广州 深圳 成都 重庆 武汉 南宁 长沙 郑州 西安 合肥 昆明 贵阳 南昌 济南 石家庄 太原 兰州 沈阳 "
        "哈尔滨 长春 福州 厦门 杭州 南京 苏州 温州 东莞 佛山 北海 柳州 赣州 临沂 潍坊 泉州 绵阳 宜昌 常德 遵义"
    ),
    "who": _w(
        "宝妈 学生党 上班族 退休阿姨 待业的朋友 负债的朋友 在家带娃的 想搞副业的 大学生 自由职业者 "
        "个体户 打工人 家庭主妇 小白 中老年朋友"
    ),
    "people": ["{who}", "{who}、{who}", "{who}{、|和}{who}都可以"],
    "fam": _w("家人们 宝子们 姐妹们 朋友们 兄弟们 老铁们 各位 亲们 小伙伴们 大家"),
    "hi": _w("你好 您好 在吗 亲 宝 姐妹 老铁 哥 美女 帅哥 朋友 亲爱的 老板"),
    "hype": [
        "机会难得", "名额有限，先到先得", "错过再等一年", "手慢无", "真实可靠", "正规{平台|公司}，{可查|有资质}",
        "长期稳定", "不限地区", "{people}{都能试试|都适合|都来}", "一部手机就能{做|操作}", "时间自由", "多劳多得",
        "新手{也能|就能}上手", "有人带{，|}有人教", "详情私聊", "{不懂|不会}的{问我|私我}", "{真实|亲测}有效",
        "{靠谱|稳}，不{跑路|割韭菜}", "{今天|现在}{上车|加入}{刚刚好|正是时候}", "已经{做了|坚持}{n_s}个月了",
        "{需要|想做}的{抓紧|赶紧}", "不耽误{上班|带娃|上课}", "{简单|轻松}{易上手|好操作}", "{免费|不要钱}{咨询|了解}",
        "{全国|各地}{都能做|不限}", "{有手就行|会打字就行}", "一对一{指导|带教}",
    ],
    "money_talk": [
        "日入{amt_s}{+|不是梦|轻轻松松}", "月入{amt_m}{+|起|不是问题}", "{一天|每天}{amt_s}{左右|起步|到手}",
        "{一个月|每月}多赚{amt_m}", "{年入|一年}{amt_l}{+|不是梦}", "{零花钱|奶粉钱|菜钱}{有了|够了|不用愁}",
        "{当天|当日}{结算|到账}", "{秒到|马上}到账", "{提现|结算}{秒到|两小时到账|到支付宝|到银行卡}",
        "{amt_xs}起提", "{收入|工资}{日结|周结}",
    ],
    "contact": [
        "加V：{wxid}", "➕V {wxid}", "➕薇：{wxid}", "V：{wxid}", "vx {wxid}", "微信{：| }{wxid}", "私我",
        "私信我", "{有意向|感兴趣|想了解}的{私我|私信|加我|留言}", "扫码{进群|了解|注册}👇", "扫码加我👇",
        "邀请码：{code}", "邀请码{code}", "{链接|注册链接|下载链接}：{url}", "{戳|点}链接：{url}", "QQ：{qq}",
        "扣扣{qq}", "主页➕", "{评论区|下方}扣1", "回复{888|666|1|了解}", "{电话|热线}：{phone}", "咨询{phone}",
        "{详情|了解}请{联系|咨询}{phone}", "看我{空间|主页}", "滴滴我", "{联系|找}我{拉你|进群}",
        "{加|+}我{wxid}{备注|，备注}{了解|合作|来意}", "👉{url}",
    ],
    "close": [
        "{emo}", "{emx}", "！", "!!!", "～", "。", "{emo}{emo}", "", "", "",
    ],
    "topic": _w(
        "副业 赚钱 创业 兼职 宝妈 搞钱 互联网 财富 理财 生活 日常 好物推荐 打工人 正能量 小生意 手机赚钱 "
        "搞钱日记 普通人 干货分享 每日分享"
    ),
    # --- register paragraphs for long posts (both classes) ------------------------------------------------------
    "para_promo": [
        "很多人问我，{现在|这年头}{做什么|干点啥}能{赚钱|多一份收入}？我的回答{一直|永远}是：{选择大于努力|先行动起来}。",
        "{这两年|今年}{经济|行情}{不好|下行}，{工资|收入}{不涨|降了}，{房贷|车贷|孩子的学费}{一分不少|压得人喘不过气}，{不多一份收入|不搞个副业}真的{不行|扛不住}。",
        "{说实话|讲真}，我{一开始|刚开始}也{怀疑|不相信|犹豫了很久}，{后来|直到}{看到|亲眼看到}{身边的人|朋友}{真的|确实}{赚到了|拿到钱了}，{才|我才}{下定决心|开始做}。",
        "{普通人|我们普通人}{没有背景|没资源|没人脉}，{唯一|能}{翻身|改变}的{机会|办法}就是{抓住趋势|找对平台|跟对人}。",
        "{互联网|移动互联网}{时代|红利期}，{一部手机|一台手机}就是{一个店铺|你的办公室}，{关键|重要}的是{执行力|坚持}。",
        "{不要|千万别}{等|拖}，{机会|红利}{从来|永远}{不等人|只留给有准备的人}，{早一步|先一步}{就是|意味着}{先机|不一样的结果}。",
        "{每天|一天}{只需要|花}{十分钟|半小时|一两个小时}，{不影响|不耽误}{主业|上班|带孩子}，{时间|地点}{自由|随意}。",
        "{有人|很多人}{说|觉得}{网上赚钱|做副业}{都是骗人的|不靠谱}，{其实|但是}{关键|要看}{你|是否}{找对了|选对了}{方向|平台|人}。",
        "{我|我们}{不会|从来不}{夸大|画大饼}，{每一分|赚的每一分}钱都是{实打实|看得见}的，{截图|后台}{可以|随时}{给你看|查看}。",
        "{贫穷|穷}{限制|不是}{想象|借口}，{想|要}{改变|过上好日子}{就|必须}{行动|迈出第一步}，{观望|犹豫}{永远|只会}{原地踏步|错过}。",
        "{失业|裁员}{后|以后}{我|自己}{在家|待业}{n_s}个月，{焦虑|失眠}{到不行|了很久}，{直到|后来}{遇到|接触}{这个|现在做的}{事情|项目|工作}。",
        "{门槛|要求}{不高|很低}，{会用|能用}{微信|手机}{就行|就可以}，{有|会有}{专人|老师}{带|教}，{不懂|不会}{可以|随时}问。",
        "{有|之前有}{朋友|粉丝}{问|私信问}我{靠不靠谱|是不是骗子}，{我只想说|我的回答是}：{时间会证明一切|看结果说话}。",
        "{未来|接下来}{五年|十年}{最大的|最好的}{机会|风口}{在|就在}{私域|社交电商|数字经济|大健康|新零售}，{谁|谁先}{看懂|进入}{谁就|就能}{赚到钱|吃到红利}。",
        "{做|干}{任何|一件}事{都|都是}{需要|要}{坚持|耐心}的，{三天打鱼两天晒网|浅尝辄止}{是|肯定}{做不好|赚不到}的。",
        "{感谢|谢谢}{每一位|所有}{信任|支持}我的{朋友|客户|伙伴}，{我|我们}{会|一定}{用心|认真}{服务|对待}{每一个人|大家}。",
        "{别人|有人}{下班|晚上}{刷剧|打游戏}，{我|我们}{下班|晚上}{多赚|搞钱}，{一年下来|时间长了}{差距|区别}{就|自然}{出来了|拉开了}。",
        "{不|不用}{囤货|压货}、{不|不用}{租房|开店}、{不|不用}{雇人|坐班}，{风险|成本}{几乎为零|很小}。",
        "{欢迎|也欢迎}{各行各业|有想法}的{朋友|伙伴}{一起|来}{交流|合作}，{不合适|不做}也{可以|能}{交个朋友|做朋友}。",
        "{给自己|为家人}{一个|多一个}{机会|选择}，{也许|说不定}{就是|能}{改变|转变}的{开始|起点}。",
    ],
    "para_official": [
        "{近年来|近期}，{随着|伴随着}{数字经济|互联网经济|移动支付}的{快速发展|普及}，{各类|新型}{平台|项目}{层出不穷|大量涌现}。",
        "{国家|有关部门}{高度重视|持续加强}{民生保障|数字经济建设|乡村振兴|共同富裕}，{出台|发布}了{一系列|多项}{政策|措施}。",
        "{据了解|据悉|记者了解到}，{该|此}{项目|事件}{自|从}{year}年{以来|开始}{在|于}{city}{等地|一带}{展开|开展}。",
        "{相关部门|市场监管部门|公安机关}{提醒|表示|指出}，{广大群众|市民朋友}{要|应}{提高警惕|理性看待|注意甄别}。",
        "{根据|按照}{相关|有关}{规定|文件}，{所有|一切}{活动|业务}{都|必须}{依法合规|在监管下}{开展|进行}。",
        "{截至|截止到}{date}，{累计|共}{n_l}{人|名群众|户}{参与|受益|报名}，{覆盖|涉及}{n_m}个{县市|地区|省份}。",
        "{这是|此举是}{落实|推进}{国家战略|高质量发展|乡村振兴战略}的{重要举措|具体行动}，{意义重大|影响深远}。",
        "{专家|业内人士}{认为|表示}，{未来|今后}{一段时间|几年}，{数字化|线上化}{将|仍将}是{发展|转型}的{主要方向|大趋势}。",
        "{记者|笔者}{注意到|在采访中发现}，{不少|许多}{中老年人|年轻人|群众}对{相关|这类}{政策|信息}{了解不多|并不熟悉}。",
        "{以上|本文}{内容|信息}{仅供参考|来源于公开资料}，{具体|详细}{以|请以}{官方|正式}{通知|公告}为准。",
        "{下一步|接下来}，{相关部门|有关方面}{将|还将}{进一步|持续}{加强|加大}{宣传|监管|服务}力度。",
        "{多地|各地}{已经|陆续}{启动|开展}{相关|试点}{工作|项目}，{群众|市民}{反响|反馈}{热烈|良好}。",
        "{转发|分享}{给|让}{身边的|家里的}{亲人|老人|朋友}，{让更多人|一起}{知道|了解}。",
        "{欢迎|请}{关注|留意}{本号|我们}，{后续|我们将}{持续|第一时间}{更新|发布}{相关|最新}{动态|消息}。",
    ],
    "para_life": [
        "{说说|讲讲}我自己吧，{前几年|去年|以前}{我|我也}{在|一直在}{工厂|超市|公司}上班，{每天|天天}{朝九晚六|两点一线}。",
        "{早上|周末|今天}{送完孩子|起床后|下班回来}，{泡|冲}了杯{咖啡|茶}，{想|突然想}{记录|写}一下{最近|这段时间}的{生活|变化}。",
        "{孩子|宝宝}{上幼儿园|上学}{以后|之后}，{白天|平时}{时间|空闲}{多了|不少}，{总想|就想}{找点事做|多挣点}。",
        "{老公|家里人}{一开始|起初}{不支持|反对}，{现在|后来}{也|都}{理解|支持}{我了|我}。",
        "{生活|日子}{不易|不容易}，{但|可}{一家人|我们}{在一起|好好的}{就好|就是幸福}{emo}",
        "{今天|昨天}{又|还}{下雨|降温|升温}了，{大家|朋友们}{注意|记得}{添衣|防暑|带伞}。",
        "{这个|这一}{月|周}{过得|真的}{好快|好充实}，{忙|累}{但|却}{开心|值得}。",
        "{年纪|岁数}{越大|大了}{越|就越}{明白|觉得}，{健康|家人|靠自己}{才是|最}{最重要的|重要}。",
        "{回老家|在老家}{待了|住了}{n_s}天，{爸妈|老人}{身体|都}{挺好|健康}，{心里|也就}{踏实|放心}了。",
        "{有时候|偶尔}{也会|会}{焦虑|迷茫}，{但|不过}{想想|看看}{孩子|家人}{就|又}{有动力|充满干劲}了。",
        "{最近|这阵子}{认识了|遇到}{很多|不少}{新朋友|同频的人}，{聊得来|很投缘}，{一起|大家}{进步|成长}。",
        "{记录一下|留个纪念}，{希望|愿}{明年|以后}{的自己|一切}{更好|顺利}{emo}",
    ],
    "title_promo": [
        "{普通人|宝妈|上班族}{如何|怎么}{靠手机|在家}{多一份收入|月入过万}？", "{我|一个宝妈}的{副业|创业}{故事|经历}",
        "{年底|开年}{最|值得}{关注|了解}的{机会|项目}", "{一分钟|三分钟}{看懂|了解}{brand}", "{重磅|喜报}！{brand}{正式|全面}{上线|启动}",
        "{为什么|凭什么}{越来越多人|大家}{选择|加入}{我们|{brand}}？", "{给|写给}{想|正在}{改变|努力}的{你|人}",
    ],
    "title_official": [
        "{关于|有关}{brand}{项目|活动}的{说明|通知|公告}", "{重要|紧急}{通知|提醒}！{请|务必}{转告|周知}",
        "{政策|新政}{解读|速递}：{数字经济|乡村振兴|养老服务}{新机遇|新动向}", "{city}{发布|出台}{新规|通知}",
        "{一图|一文}{读懂|看懂}{最新|新}{政策|规定}",
    ],
    "title_life": [
        "{我的|记录}{日常|生活}{碎碎念|随笔}", "{date}，{晴|阴|雨}", "{三十岁|四十岁|二十多岁}{的我|以后}{明白了|想通了}{一件事|几件事}",
        "{好物|近期}{分享|推荐}", "{聊聊|说说}{最近|这一年}",
    ],
}


# topical sentence pools for long posts; each is shared by templates of BOTH classes (see the extras below)
_POOLS.update(
    {
        "para_health": [
            "{现代人|上班族|中老年人}{普遍|大多}{亚健康|睡眠不好|肠胃不好}，{调理|养护}{身体|肠道}{越来越|非常}{重要|受重视}。",
            "{$product}{富含|含有}{多种|丰富的}{营养成分|活性物质|膳食纤维}，{适合|建议}{长期|每天}{食用|使用}。",
            "{吃|用}了{n_s}{个月|周}，{睡眠|气色|精神}{明显|慢慢}{好了|改善了}，{家里人|身边人}{都|也}{说|觉得}{不错|有变化}。",
            "{健康|身体}是{1|革命的本钱}，{其他|别的}都是{后面的0|身外之物}。",
            "{产品|每一批产品}{都有|经过}{检测报告|质检}，{正规|国家}{批文|备案}{可查|齐全}。",
            "{大健康|养生}{产业|行业}{规模|市场}{已超过|突破}{#5-20}万亿，{是|被称为}{朝阳产业|下一个风口}。",
            "{产品|保健品}{不能替代药物|不能代替治疗}，{身体不适|有病}{还是要|请}{及时就医|去医院}。",
            "{每天|早晚}{一杯|一包|一粒}，{方便|简单}{好坚持|不麻烦}。",
            "{很多|不少}{顾客|朋友}{反馈|说}{回购|复购}了{好几次|很多次}。",
            "{饮食|作息}{规律|清淡}，{多运动|适当锻炼}，{配合|加上}{好的产品|科学调理}，{效果|身体}{更好|自然好}。",
            "{换季|入秋|入冬}{了|以后}，{老人|孩子|家人}{容易|特别容易}{感冒|上火|失眠}，{要|得}{多注意|提前预防}。",
            "{原料|成分}{来自|选自}{长白山|云南|新西兰|宁夏}，{工艺|生产}{严格|讲究}，{没有|不含}{添加剂|防腐剂}。",
        ],
        "para_money": [
            "{钱|资金}{放在|存}{银行|余额宝}，{利息|收益}{越来越低|才{pct_s}}，{跑不赢|赶不上}{通胀|物价}。",
            "{普通人|大部分人}只有{工资|死工资}{一种|这一份}收入，想{财务自由|改变现状}{就|必须}{有|建立}{被动收入|睡后收入}。",
            "{复利|时间}{是|才是}{世界第八大奇迹|最好的朋友}，{越早|早}{开始|规划}{越好|越轻松}。",
            "{资产配置|家庭理财}{讲究|建议}{4321|标准普尔}{法则|原则}，{保命钱|生钱的钱}{各有|都要有}{用途|比例}。",
            "{提前|早点}{规划|准备}{养老|孩子教育}{资金|金}，{才能|才}{从容|不慌}。",
            "{物价|房价}{年年|一直在}{变|涨}，{光存钱|只靠存钱}{很难|不够}{应对|养老}。",
            "{到账|提现|赎回}{一般|通常}{T+1|当天|两小时内}，{流程|资金}{透明|清楚}{可查|}。",
            "{门槛|起投}{不高|很低}，{几百|一千}{块|元}{就能|也能}{开始|参与}。",
            "{很多人|不少人}{不是|并不是}{不想|不愿}{理财|投资}，{而是|只是}{不知道|不懂}{怎么选|从哪开始}。",
            "{每月|每个月}{固定|定期}{存|投入}{amt_m}，{n_s}年后{就是|也是}{一笔|不小的}{钱|数目}。",
            "{钱|收入}{不是|从来不是}{省|攒}出来的，{是|而是}{赚|挣}出来的。",
            "{年轻|三十岁}{时|的时候}{多|就要}{学点|了解}{理财|金融}{知识|常识}，{老了|以后}{才不会|就不会}{吃亏|被动}。",
        ],
        "para_job": [
            "{工作|任务}内容{很简单|不难}，{会|能}{打字|用手机}{就行|就可以}，{不需要|无需}{经验|学历}。",
            "{结算|工资}{日结|周结|做完就结}，{支付宝|微信}{到账|转账}。",
            "{上班时间|工作时间}{自由|灵活}，{白天|晚上}{都能|都可以}{做|接}。",
            "{有|会有}{专人|老员工|带教老师}{培训|带}，{一对一|手把手}{教|指导}。",
            "{很多|不少}{宝妈|学生}{在做|做了}，{反馈|评价}{都|}{不错|挺好}。",
            "{一天|每天}{做|干}{n_s}个小时，一个月{下来|}{能有|有}{amt_m}{左右|上下}。",
            "{不限|不分}{地区|年龄}，{男女|全国}{都|均}可。",
            "{要求|条件}：{年满18周岁|有手机|有责任心}，{能|可以}{长期做|坚持}。",
            "{工作地点|办公地点}{在家|不限}，{不用|无需}{通勤|打卡}。",
            "{真实|正规}{公司|团队}，{签协议|可签合同}，{放心|安心}{做|干}。",
            "{做得好|表现好}{的|}{还有|另有}{全勤奖|额外奖金}，{多劳多得|按量计酬}。",
            "{新人|刚来的}{前几天|头一周}{慢一点|收入少点}{很正常|没关系}，{熟练了|上手后}{就快了|收入就稳了}。",
        ],
        "para_shop": [
            "{产品|货源}{来自|都是}{源头工厂|品牌方|原产地}，{品质|质量}{有保障|看得见}。",
            "{现在|如今}{开店|做生意}{最难|最怕}的{是|就是}{没客流|房租高|压货}。",
            "{线上|线下}{结合|一起做}，{私域|社群}{运营|维护}{好|起来}，{复购|回头客}{自然|就}{多|高}。",
            "{包装|快递}{用心|精美}，{送礼|自用}{都|}{合适|有面子}。",
            "{售后|客服}{在线|及时}，{收到|用着}{不满意|有问题}{包退|包换}。",
            "{选品|产品}{很|特别}{关键|重要}，{刚需|高频}{产品|消费品}{好卖|复购高}。",
            "{价格|定价}比{超市|专柜}{便宜|实惠}{不少|很多}。",
            "{库存|货}{充足|不多}，{下单|拍下}{n_s}{小时|天}内{发货|发出}。",
            "{门店|店铺}{选址|位置}{很重要|决定生死}，{最好|优先}{选|在}{社区|学校}{附近|周边}。",
            "{做生意|开店}{讲究|靠}{口碑|诚信}，{用心|认真}对待{每一位|每个}{顾客|客户}。",
            "{直播带货|短视频带货}{越来越|很}{火|卷}，{实体店|小商家}{也要|都在}{转型|想办法}。",
            "{顾客|买家}{好评率|满意度}{#90-99}%{以上|}，{回头客|老顾客}{占了|有}{一大半|大多数}。",
        ],
        "para_crypto": [
            "{区块链|Web3}{技术|行业}{被认为|被视为}{下一代互联网|价值互联网}的{基础|底层}。",
            "{比特币|以太坊}{诞生|出现}{已经|}{十多年|多年}，{价格|市值}{起起落落|波动巨大}。",
            "{钱包|私钥}{一定要|务必}{自己保管|备份好}，{丢了|忘了}{就|可能}{找不回|没了}。",
            "{公链|生态}{项目|代币}{越来越多|层出不穷}，{叙事|概念}{一轮接一轮|不断变化}。",
            "{矿机|算力}的{功耗|电费}{是|占}{成本|主要成本}的{大头|一半以上}。",
            "{USDT|稳定币}{锚定|挂钩}美元，{常|通常}{被用作|作为}{交易媒介|计价单位}。",
            "{数字资产|虚拟资产}{概念|话题}{近年来|最近}{热度|关注度}{很高|不减}。",
            "{链上|区块}{数据|记录}{公开|透明}，{可查|不可篡改}。",
            "{牛市|熊市}{来的时候|里}，{情绪|消息}{总是|往往}{一边倒|被放大}。",
        ],
        "para_defend": [
            "{我们|公司}{做的是|是}{合法直销|正规直销|社交电商}，不是传销，{别|不要}{乱说|带节奏}。",
            "{很多人|有人}{问|质疑}{这是不是|是不是}{传销|骗局|割韭菜}，{我想说|说实话}，{我们|公司}{有营业执照|合法合规|企查查可查}。",
            "{我们|公司}{不|从不}{强迫|逼}{任何人|谁}{买|加入}，{自愿|随缘}{选择|合作}。",
            "{营业执照|资质证书}{齐全|都有}，{欢迎|可以}{实地考察|来公司参观}。",
            "{不|从不}{画大饼|夸大}，{一切|都}{用数据说话|看结果}。",
            "{做了|运营了}{n_s}年，{口碑|信誉}{在|摆}{那里|这儿}。",
            "{有任何|有}{疑问|顾虑}{都可以|随时}{问|找我}，{了解清楚|想清楚}{再|再做}{决定|选择}。",
            "{网上|外面}{说什么的都有|谣言很多}，{是不是真的|靠不靠谱}{你|大家}{自己|亲自}{看|判断}。",
        ],
        "para_law": [
            "{根据|依据}《禁止传销条例》{第七条|相关规定}，{拉人头|收取入门费|团队计酬}{是|属于}传销的{典型|主要}{特征|形式}。",
            "《刑法》第二百二十四条之一{规定|明确}，组织、领导传销活动{情节严重|的}，{可处|处}{五年以上|五年以下}有期徒刑。",
            "{合法|正规}直销企业{需|必须}{取得|持有}{商务部|国家}{直销经营许可|颁发的直销牌照}，直销员报酬{只能|仅}按{本人|个人}{销售额|业绩}{计算|计提}。",
            "{传销|网络传销}{往往|常常}{打着|披着}{消费返利|养老|扶贫|区块链|电商}的{外衣|幌子}，{迷惑性|欺骗性}{很强|极强}。",
            "{一旦|如果}{发现|遇到}{传销|可疑}{线索|活动}，{可|请}{拨打|向}{110|12315|市场监管部门}{举报|反映}。",
            "{参与|加入}{传销|资金盘}的人{大多|往往}{血本无归|钱财两空}，{甚至|还}{可能|会}{承担|面临}{法律责任|处罚}。",
            "{所谓|号称}的{高回报|躺赚|零风险}，{本质|实际}上{是|就是}{拆东墙补西墙|用后来者的钱支付前面的人}。",
            "{警方|办案民警}{提醒|表示}，{要|需}{树立|保持}{正确|理性}的{投资|财富}观，{不贪|不信}{高息|小便宜}。",
            "{判断|区分}{是否|是不是}传销，{关键|主要}{看|在于}{收入|钱}{是|是不是}{来自|靠}{卖产品|发展人员}。",
        ],
    }
)

# ---------------------------------------------------------------------------------------------------------------
# element pools (positives only)
# ---------------------------------------------------------------------------------------------------------------
_POOLS.update(
    {
        # 拉人头: pay per recruit, recruits as the condition to earn / level up, 拉人返佣 over levels
        "L_direct": [
            "直推一人{奖励|返|到手}{amt_s}",
            "每{推荐|邀请|拉}一个{新人|会员|人}{进来|注册|开通}{就|}{奖励|到手|给}{amt_s}",
            "拉一个人头{给|奖励|返}{amt_s}",
            "招到一个人{就给|给|奖励}{amt_s}",
            "{邀请|推荐}{好友|一人}{实名|开通会员|激活}后{立得|秒到|奖励}{amt_s}，{人越多拿越多|上不封顶|多拉多得}",
            "拉满{n_s}人{给|奖励|直接发}{amt_m}",
            "推荐{人|的人}越多{钱|收益|奖励}越多，{拉一个|推一个}{赚|拿}{amt_s}",
            "{直推|直接推荐}{奖|奖励}{pct}，推一个拿一个",
            "靠拉人{赚钱|回本|拿奖励}，{拉得越多|人头越多}赚得越多",
            "发展{一个|一位}{新会员|下线}{提成|奖励}{amt_s}",
            "{人头费|推荐费}{amt_s}{一个|起}，{当天|秒}结",
            "拉人有奖励，{拉得越多|人越多}{拿得越多|越赚}",
            "{推荐|邀请}{好友|朋友}{加入|进来}{就有|都有}{奖励|提成}，{上不封顶|多推多得}",
            "{拉|带}{人|新人}进来{就有钱|有人头奖}，{拉的人越多|人头越多}{收入越高|越赚}",
        ],
        "L_level": [
            "直推{n_s}人{升|晋升为|即可成为}{$level}",
            "{推满|直推满}{n_s}个{有效|实名}{会员|用户}才能{提现|解锁收益|升级}",
            "{要|必须}{拉|推荐}{n_s}个人{进来|入单}才能{出局|拿全额|回本}",
            "{邀请|带}{n_s}{位|个}好友{实名|注册}{即可|就能}{升级|解锁}{$level}，{级别越高|等级越高}{拿得越多|收益越高}",
            "{推荐|直推}{n_s}人{回本|保本}，{推荐|直推}{n_m}人{月入|月收益}{amt_l}",
        ],
        "L_chain": [
            "你推荐的人再{推荐|拉人}，你{照样|也}有{奖励|提成}",
            "推荐奖：{一代|直推}{amt_s}，{二代|间推}{amt_s}{，三代{amt_xs}|}",
            "{邀请|拉}一人得{amt_s}，{对方|他}再邀请你还能拿{amt_xs}",
            "直推{amt_s}，间推{amt_xs}，{人拉人|一传十十传百}{收益翻倍|越滚越大}",
            "{你拉的人|你的下线}再{拉人|发展人}，{每个|每来一个}你{都有|还有}{amt_xs}",
        ],
        # 团队计酬: pay from downline's sales / activity
        "T_gen": [
            "{#3-20}代奖励：一代{pct}，二代{pct}，三代{pct}{，四到十代{pct_s}|}",
            "团队奖{pct}{（秒结）|，每天结算|}",
            "{管道收益|管道分润}{终身享受|躺着拿|源源不断}",
            "{下线|下级|团队成员}每{做一单|看一次广告|消费一笔|出一单}，你{都|就}有{pct}{提成|分润}",
            "见点奖{amt_xs}，{n_s}层{封顶|见点}",
            "对碰奖{pct}，{左右区|两条线}{业绩|}对碰{日结|}",
            "{层级奖|级差奖}{pct}，{团队|伞下}越大拿越多",
            "团队{业绩|流水}{达到|满}{amt_l}{再拿|享}{pct}{管理奖|分红}",
            "无限代{收益|分润}，{团队|下面}越多躺赚越多",
            "伞下{业绩|流水}{pct}{管理奖|加权分红}",
            "{组建|带出}{团队|自己的团队}，{团队|下面的人}{赚|做}的你都有{一份|抽成}",
            "{团队|下级}收益{pct}{自动|}{返给你|归你}，{躺赚|不用自己做}",
            "团队奖励丰厚，{躺着|每天}{分钱|拿钱}",
            "{下面|团队}{越大|人越多}{拿得越多|收益越高}，{上不封顶|无上限}",
            "{下线|下面的人}{做|赚}{多少|得越多}{你都有提成|你分得越多}",
        ],
        "LT_chain": [
            "直推{n_s}人{享|拿}无限代{收益|分润}",
            "{自己推|单干}{也行|可以}，{拉起|带出}{一支|自己的}{下线|团队}{更香|更赚}，{团队|下面}{收益|流水}你抽{pct}",
            "{邀请|推荐}一人{奖励|得}{amt_s}，{团队|下级}{每天|}收益再{返你|分你}{pct}",
            "{你拉的人|你的人}再拉人你也拿，{下面|团队}{做得|赚得}越多你拿得越多",
        ],
        # 入门费: pay / buy to gain the right to join, earn or recruit
        "F_join": [
            "{入会费|会费}{amt_m}{，交了才能做|，一次性|}",
            "{先交|需交}{amt_m}{押金|保证金|激活费|报单费}才{能|可以}{拿奖励|推广|提现|开始赚}",
            "{购买|买}{amt_m}的{礼包|套餐|产品套盒}{即可|就能}{成为|升级}{$level}{，才有推广资格|，享受奖励|}",
            "{开通|激活}{VIP|会员|账号}{amt_s}，{不开通|没开通}{没法|不能}{提现|拿奖励}",
            "{首单|首次}进货{amt_m}{成为|升}{$level}",
            "{入局|入单|入场}{门槛|起步}{amt_m}",
            "{报名|认证|开户}费{amt_s}{，一次交齐|，终身有效|}，交了{才有资格|才能}{推广|接单|领收益}",
            "{升级|开通}{$level}{需要|要}{amt_m}，{级别越高|等级越高}{奖励越多|提成越高}",
            "{交了会费|交钱入会|买了礼包}{才能|才有资格}{推广|拿奖励|提现}",
        ],
        # 资金盘: returns paid from new entrants
        "P_static": [
            "{静态收益|静态}{日化|每天}{pct_s}",
            "{投|存|充}{amt_m}，每天{返|产出|到账}{amt_s}，{days}天回本",
            "{本金|本息}{days}天{全部返还|到期一起返}，{收益|利润}{pct_l}",
            "{每天|每日}释放{pct_s}，{释放|到账}即可提",
            "{保本保息|稳赚不赔|只赚不赔}，{月化|月收益}{pct}",
            "{新盘|新项目}{刚上线|第{n_s}天}，{早进早赚|早上车早吃肉|红利期}，{日收益|日化}{pct_s}",
            "{互助|排单}{amt_m}，{days}天{接受帮助|出局}拿{amt_m}",
            "{分红|加权分红}{每天|每周}{发放|到账}，{入金|投入}越多分得越多",
            "{收益|分红}{来自|靠}{新会员入金|后面进来的人|平台资金池}，{越早|早}进{越|就}{赚|稳}",
            "{稳赚不赔|只赚不赔}，本金{随时|随进随出}{可提|能提}",
            "{躺着|每天}{就有|自动}{收益|分红}，{早进|越早}{越赚|赚得越多}",
        ],
        "P_reinvest": [
            "复投{再加|奖励}{pct}，{利滚利|复利}{翻倍|越滚越多}",
            "{本金|本金加利息}{可以|可}{继续复投|滚动复投}，{收益|利润}{翻倍|更高}",
            "{到期|出局}{后|以后}{复投|再入金}{享|加送}{pct}",
        ],
        "PT_dyn": [
            "{静态|静态收益}{一年|每月}{amt_m}{起|左右|}，{动态|动态收益}{靠团队|看团队}{一年|每月}{amt_l}{不等|上不封顶|起}",
            "静态{拿|吃}{利息|分红}，动态{拿|吃}{团队|下级}{pct}",
            "{静态|自己}{每天|日}{pct_s}，{动态|团队}{拿|享}{n_s}代{pct}",
        ],
    }
)

# ---------------------------------------------------------------------------------------------------------------
# online-MLM vocabulary (second round): per-recruit pay in casual task ads, 锁粉 / 管道 / 裂变 / 伞下, 会费 and VIP
# upgrades, 资金盘 slang (新车 / 上车 / 零撸 / 空投 / 周期 / 出局), "free" apps, state fronts, 服务商 / 诚意金.  The same
# words reach negatives through neutral pools and negative templates (warnings, news, jobs, 团购, slang in daily life).
# ---------------------------------------------------------------------------------------------------------------
_POOLS["L_direct"].extend([
    "招到一个人{就给|给|再给}{amt_s}{，招几个给几个|，不封顶|}",
    "拉一个人头{amt_s}{，当天结|，秒结|，不限人数|}",
    "推荐一人奖{amt_s}{，推得越多越赚|，上不封顶|，当天到账|}",
    "每拉来一位新用户{奖|给|返}{amt_s}",
    "{拉|带}{一个|1个}{新人|朋友}进{群|团|团队}{给|结}{amt_s}{，一单一结|，日结|}",
    "{邀请|推荐}{一人|一个好友}{开通|注册}{奖|返}{amt_s}，{邀满|推满}{n_s}人{另奖|再奖}{amt_m}",
])
_POOLS["L_chain"].extend([
    "你招的人再{去|}招人，你{也有|照样有|一样拿}{一份|{amt_xs}}",
    "{下面的人|你带的人}{再|继续}{拉人|推人}，你{一样|照样}{拿奖励|有提成}",
])
_POOLS["L_level"].extend([
    "{拉|推}满{n_s}个{有效|开通会员的}{人|新人}{才能|才可以}{提现|升团队长}",
    "{邀请|推荐}{n_s}人{升|成为}{团队长|运营师|{$level}}，{邀|推}{n_m}人{升|成为}{大团长|{level}}",
])
_POOLS["LT_chain"].extend([
    "{推广|拉来}一个新用户{奖励|给}{amt_s}，{另外|同时|并且}还能享受{他的|下面的|整条线的}管道收益",
    "{推的人|推荐的人}越多，{你的|}财富管道{就|}越宽{，下面的人再推你也有份|}",
    "你招的人再{去|}招人{你也有份|照样算你的}，{团队|下面}{越裂变|滚得越大}{分润|收益}越高",
    "{邀|拉}{一|1}人{奖|得}{amt_s}，{锁粉|绑定}{之后|以后}{他|他们}{每一笔消费|每次看广告|每一单}你都{有分润|分{pct}}",
])
_POOLS["T_gen"].extend([
    "一次锁粉，终身{收益|分润}{，下级{做什么|买什么}你都{分|有份}|}",
    "锁粉一次，{终身|永久}{拿|吃}{分润|管道收益}",
    "终身管道分润，{下级|伞下}{每一单|每一笔}{都有你的|你都抽{pct}}",
    "{躺赚|躺着拿}下级收益{，每天{pct}|，一天{amt_s}|}",
    "{团队|伞下}{裂变|扩张}{越快|越大}，{裂变收益|分润}{越高|越多}",
    "{大团长|团队长}{带队|亲自带}，{伞下|团队}{业绩|流水}{你|}{抽|拿}{pct}",
    "{市场部|团队长}{统一|全程}扶持，{下级|伞下}{出多少单|做多少}你{都有|拿}{pct}",
    "{下级|伞下}{看广告|签到|挂机}的收益{你|}{抽|分}{pct}",
])
_POOLS["F_join"].extend([
    "{小额会费|会费}{只要|就}{amt_s}，{包回本|做两天就回本}",
    "{入会费|会员费}{amt_s}{，不交不能接单|，交了才能推广|}",
    "{开通|办}{会员|VIP}{后|}才能推广，{会员费|开通费}{amt_s}",
    "{押金|保证金}{amt_s}{，做满{n_s}天退|，一次交清|}，交了才{能|可以}{领任务|推广}",
    "{买单|交钱}入局，{起步|门槛}{amt_m}",
    "{认购|购买}{amt_m}{起|一份}{才|}{有|拿}{收益|推广}资格",
])
_POOLS["P_static"].extend([
    "{新盘|新车}{刚发车|今天发车}，{日化|每天}{pct_s}，{早进早吃肉|早上车早回本}",
    "{稳如磐石|稳稳的}，{无需质押|不用质押}，{随进随出|本金随时提}，{日化|每日收益}{pct_s}",
    "锁仓{days}天，{到期|出局}{本息|本金加收益}{一起|全部}{返|提}，{总收益|收益}{pct_l}",
    "{静态|每天}{日化|收益}{pct_s}，{days}天一个周期，{周期到了|到期}{出局|回本}",
    "{复利|利滚利}{跑|滚}{n_s}个周期，{本金|本}{翻倍|翻{n_s}倍}",
])
_POOLS["PT_dyn"].extend([
    "{静态|签到}{收益|每天}{pct_s}，{动态收益|动态}{全靠|来自}推广下级",
    "{静态|挂机}{吃|拿}{每日|}{产出|收益}，{动态|动态奖}{吃|拿}{下级|伞下}产出的{pct}",
])
_POOLS.update(
    {
        # 升级VIP拿更高比例: pay to upgrade, then a larger share of the downline
        "FT_vip": [
            "升级{VIP|{$level}}{要|需}{amt_m}，{升级后|升了}{抽|拿}{下级|团队}{更高比例|{pct}}",
            "{普通会员|会员}{拿|抽}{下级|伞下}{pct_s}，{交|补}{amt_m}升级VIP{拿|抽}{pct}",
        ],
        # 拉人更快 / 邀请加速 in 资金盘 and 零撸 projects, "邀请一人得X万资产" fronts
        "LP_speed": [
            "{邀请|拉}一人{加速|提速}{pct}，{拉人|邀请}{越多|越快}{出局|回本}{越快|越早}",
            "{推|邀请}{一个|1个}{人|好友}{周期|出局时间}{缩短|减}{n_s}天，{拉满|邀满}{n_s}人{直接|当天}出局",
            "{邀请|拉}{好友|新人}{挖矿|产币}{加速|翻倍}，{人越多|团越大}{产|挖}得越多",
        ],
        # 诚意金 / 加盟 of a health-product 服务商 with a share of the downline's 复购
        "FT_partner": [
            "{交|缴}{amt_m}诚意金{成为|加盟}{服务商|合伙人|{$level}}，{下面|你发展}的{门店|伙伴}{复购|进货}你{拿|分}{pct}",
            "{服务商|合伙人}{诚意金|加盟金}{amt_m}，{伞下|团队}{复购|业绩}{按|享}{pct}{分红|分润}",
        ],
    }
)
# the same vocabulary in innocent use, for both classes
_POOLS["hype"].extend([
    "{全程免费|全程不收费}{，不收一分钱|}", "一单一结", "{新人|新手}有{扶持|补贴}", "{市场部|运营部}{专人|统一}对接",
    "{稳|很稳}，{放心|安心}", "{随时|有空就}{做|接单}",
])
_POOLS["money_talk"].extend(["{日结|一单一结}{amt_s}", "{一周|每周}{结一次|结算}", "{做一单|一单}{结一单|算一单}"])
_POOLS["level"].extend(["团队长", "大团长", "运营师", "市场总监"])

# ---------------------------------------------------------------------------------------------------------------
# templates
# ---------------------------------------------------------------------------------------------------------------
_ALL_CHANNELS = CHANNELS
_NO_SHOP = tuple(c for c in CHANNELS if c != "电商")


@dataclass(frozen=True)
class Template:
    scheme: str
    label: int
    index: int
    segments: tuple[str, ...]  # "!"-prefixed segments are core (kept in short posts)
    slots: dict
    channels: tuple[str, ...]
    register: str
    topics: tuple[str, ...]
    extras: tuple[str, ...]
    contact_p: float
    title: str | None
    tail: str
    short: float | None = None  # probability of a short post (None: the channel's default)

    @property
    def group(self) -> str:
        return f"{'pos' if self.label else 'neg'}:{self.scheme}:{self.index}"


_TEMPLATES: list[Template] = []
_COUNTERS: dict[tuple[int, str], int] = {}


# topical sentence pools each scheme's long posts draw on (every pool is used by both classes)
_SCHEME_PARAS: dict[str, tuple[str, ...]] = {
    "ponzi_mutual": ("para_money", "para_defend"),
    "ad_app": ("para_job", "para_defend"),
    "weishang": ("para_shop", "para_defend"),
    "rebate_mall": ("para_shop", "para_money"),
    "digital_asset": ("para_crypto", "para_money"),
    "charity_front": ("para_money",),
    "health_levels": ("para_health", "para_defend"),
    "hangup": ("para_job",),
    "fee_job": ("para_job",),
    "circle_app": ("para_job", "para_money"),
    "state_front": ("para_money",),
    "direct_selling": ("para_health", "para_defend"),
    "franchise": ("para_shop", "para_defend"),
    "referral_single": ("para_shop",),
    "job_ad": ("para_job", "para_defend"),
    "anti_mlm": ("para_law",),
    "finance": ("para_money", "para_crypto"),
    "ecommerce": ("para_shop", "para_health"),
    "task_scam": ("para_job",),
    "loan": ("para_money",),
    "game_ad": ("para_life",),
    "everyday": ("para_life",),
    "marketing": ("para_shop", "para_job"),
    "chat_short": (),  # one-line chat messages are padded only with their extras and tail
}
_SCHEME_TAIL = {
    "ecommerce": "{欢迎选购|售完即止|库存有限|喜欢的抓紧|{emo}}",
    "referral_single": "{快来领|别错过|先到先得|{emo}}",
    "game_ad": "{快来一起玩|等你来战|兄弟们冲|{emo}}",
}


def _t(
    label: int,
    scheme: str,
    segments: Iterable[str],
    *,
    slots: dict | None = None,
    channels: Iterable[str] | None = None,
    shop: bool = False,
    register: str = "promo",
    topics: Iterable[str] = (),
    extras: Iterable[str] = (),
    contact: float = 0.5,
    title: str | None = None,
    tail: str | None = None,
    short: float | None = None,
) -> None:
    idx = _COUNTERS.get((label, scheme), 0)
    _COUNTERS[(label, scheme)] = idx + 1
    if channels is None:
        channels = _ALL_CHANNELS if shop else _NO_SHOP
    extras = tuple(extras) + tuple("{" + p + "}" for p in _SCHEME_PARAS[scheme] if "{" + p + "}" not in extras)
    if tail is None:
        tail = _SCHEME_TAIL.get(scheme, "{{hype}|{hype}|{money_talk}}" if register == "promo" else "")
    _TEMPLATES.append(
        Template(
            scheme=scheme,
            label=label,
            index=idx,
            segments=tuple(segments),
            slots=dict(slots or {}),
            channels=tuple(channels),
            register=register,
            topics=tuple(topics),
            extras=extras,
            contact_p=contact,
            title=title,
            tail=tail,
            short=short,
        )
    )


def P(scheme: str, segments: Iterable[str], **kw) -> None:  # noqa: N802 - table helper
    _t(1, scheme, segments, **kw)


def N(scheme: str, segments: Iterable[str], **kw) -> None:  # noqa: N802 - table helper
    _t(0, scheme, segments, **kw)


# ======================================= POSITIVES ==============================================================
# ---- 资金盘 / 互助盘 ---------------------------------------------------------------------------------------------
P("ponzi_mutual", [
    "!{$brand}{互助盘|互助平台|公益互助社区}{新盘|新项目|2.0版本}{上线|开盘|正式启动}{了|啦|}",
    "!{P_static}",
    "{P_reinvest}",
    "{T_dyn}",
    "{hype}",
], slots={"T_dyn": ["动态：{直推|一代}{pct}，{二代|间推}{pct}，{三代|}{pct_s}", "{动态|团队}{收益|奖}{n_s}代{拿|}{pct}"]},
   topics=["互助", "新盘"], extras=["{P_static}", "{L_direct}"], title="{$brand}{新盘|互助}{上线|启动}，{早进早赚|先到先得}")
P("ponzi_mutual", [
    "!{$brand}{排单|互助}{系统|模式}{介绍|说明}：{P_queue}",
    "!{F_code}",
    "{T_leader}",
    "{点对点打款|会员之间直接转账}，{平台|系统}{只做撮合|不经手}",
    "{money_talk}",
], slots={
    "P_queue": ["{提供帮助|打款}{amt_m}，{days}天后{接受帮助|收款}{amt_m}，收益{pct_l}", "{排单|打款}{amt_m}，{#3-15}天{回款|到账}{amt_m}"],
    "F_code": ["{先|需要}买{n_s}个{激活码|排单币|门票}（{amt_s}一个）才能排单", "{入场|开户}{费|门票}{amt_s}，{没交|不交}{不能|无法}排单"],
    "T_leader": ["{团队长|领导人}拿伞下{pct_s}管理奖", "{团队|下面}每{排一单|打一笔}你拿{pct}"],
}, topics=["互助"], extras=["{L_level}"])
P("ponzi_mutual", [
    "!{{$brand}|{$coin}}{新局|新项目|第{n_s}期}{开了|开启|刚开}{emo}",
    "{本金|U}{自己钱包管|不进平台}，{想走|想撤}{随时走|随时撤}",
    "!{P_car}",
    "{LT_leader}",
    "{老板|带头大哥}{实力|资金}{雄厚|充足}，{放心|安心}{跟|上}",
], slots={
    "P_car": ["日收益{pct_s}，{days}天本金全回", "{每天|日}{产出|分红}{pct_s}，{本金|本}{days}天回", "{早进|早上车}的已经{回本|翻倍}了，{后进|后面进}的{也有|照样}{日化|收益}{pct_s}"],
    "LT_leader": ["{领队|队长}{亲自|}带，直推{pct}，团队再拿{pct_s}", "{跟着|跟}{领队|大哥}，推一个拿{amt_s}，下面{出金|入金}你还有{pct}"],
}, topics=["新盘", "上车"], extras=["{P_reinvest}"], contact=0.5)
P("ponzi_mutual", [
    "!{$brand}{跨境|海外|文旅}{分成|合作}{计划|项目}{招募|开放}，{营业执照|公司信息}{可查|齐全}",
    "!{FP_buy}",
    "!{P_comp}",
    "{每晚{clock}{直播|腾讯会议}{讲解|答疑}|{每周|周末}{线下|线上}{交流会|分享会}}",
], slots={
    "FP_buy": ["{充值|存入}{amt_m}{换成|兑换}{贡献值|额度|份额}，{每天|每日}{打卡|做两个小任务}{就|便}{返|有}{amt_s}", "{认购|购买}{amt_m}的{份额|任务包}，{每日|每天}{返还|结算}{pct_s}"],
    "P_comp": ["{利润|收益}{滚进本金|自动复投}，{days}天{本金|本钱}{翻倍|回来}", "{小份|A档}{amt_m}，{days}天{赚|到手}{amt_m}；{大份|B档}{amt_m}，{赚|到手}{amt_m}"],
}, topics=["副业", "项目"], extras=["{P_reinvest}", "{para_official}"])
P("ponzi_mutual", [
    "!{$brand}{DAPP|去中心化平台|全球生态}{上线|开放}，{P_usdt}",
    "!{L_level}",
    "{T_gen}",
    "{钱包|TP钱包}{直连|登录}，{随时提|24小时提币}",
], slots={"P_usdt": ["{存|质押}{USDT|U}{每天|日}{pct_s}{静态|收益}", "{存|充}{amt_m}U，{每天|日}{产出|返}{pct_s}"]},
   topics=["区块链", "币圈"], extras=["{P_reinvest}", "{para_crypto}"])
P("ponzi_mutual", [
    "!{老盘|{$brand}}{稳定运行|已运行|安全运行}{n_m}天，{出金|提币|提现}{秒到|正常|从没卡过}",
    "!{P_static}",
    "{L_direct}",
    "{n_l}人{在做|已入金}，{越早|早}{进|上车}{越好|越稳}",
], topics=["项目", "出金"], extras=["{P_reinvest}", "{T_gen}"], contact=0.6)

# ---- 看广告 / 刷视频赚钱 APP -------------------------------------------------------------------------------------
P("ad_app", [
    "!{$brand}{APP|平台}{正式上线|内测中|火爆开启}，{刷广告|看广告}{领现金|赚零花|拿收益}，{每条|一条}{amt_xs}{，一天{n_m}条封顶|}",
    "{一分钱不用出|零门槛|不用充值}",
    "!{LT_chain}",
    "{money_talk}",
    "{hype}",
], topics=["看广告赚钱", "手机赚钱"], extras=["{L_direct}"])
P("ad_app", [
    "!{自研|新开发}的{APP|小程序}{寻求|找}{合作|推广伙伴}：{用户|会员}{看广告|做任务|刷短剧}{每小时|每天}{能拿|有}{amt_s}",
    "!{T_agent}",
    "{后台|数据}{透明|实时可查}，{佣金|分润}{随时|T+0}{提|到账}",
    "{T_users}",
], slots={
    "T_users": ["{攒够|手下有}{n_m}个{活跃用户|下级}，{每月|一个月}{团队收益|分润}{amt_m}+"],
    "T_agent": ["{推广员|渠道}{每个用户|每个下级}{额外|再}{得|分}{amt_xs}", "你{下面|名下}的{用户|人}每看一个广告你{分|抽}{pct}"],
}, topics=["APP", "项目合作"], extras=["{L_direct}"], contact=0.5)
P("ad_app", [
    "!{$brand}{短剧|视频}{APP|}，{躺着刷|随便刷}就{有钱|有金币}，{不用|不需要}{签到|做任务}",
    "{一天|每天}{刷|能刷}{amt_s}-{amt_m}",
    "!{T_gen}",
    "{amt_xs}{就能|即可}提，{到账|提现}{很快|当天}",
    "{url}",
], topics=["刷视频赚钱"], extras=["{L_chain}"], contact=0.4)
P("ad_app", [
    "!{$brand}{看视频|刷广告}{赚钱|领红包}，{F_vip}",
    "!{L_direct}",
    "{T_gen}",
    "{money_talk}",
], slots={"F_vip": ["{开通|升级}会员{amt_s}{才能|后可以}{解锁高额任务|提现|接单}", "{激活|开卡}{amt_s}，{激活|开卡}后{每天|日}{收益|奖励}{翻倍|x{n_s}}"]},
   topics=["看广告赚钱"], extras=["{L_level}"])
P("ad_app", [
    "!{刷视频|看广告|玩小游戏}{躺赚|赚米|领钱}",
    "!{L_chain}",
    "{money_talk}",
    "{hype}",
], topics=["手机赚钱", "躺赚"], extras=["{T_gen}"], contact=0.6)
P("ad_app", [
    "!{$brand}{走路|阅读|答题|听歌}{赚钱|领金币}{APP|小程序}，{每天|一天}{走{n_l}步|读{n_s}篇文章|答{n_m}道题|听{n_m}首歌}{领|得}{amt_xs}",
    "!{F_vip}",
    "!{T_gen}",
    "{金币|积分}{自动|}兑换{现金|话费}，{amt_xs}起提",
], slots={"F_vip": ["{开通|购买}{年卡|月卡}{amt_s}{金币翻倍|才能提现}", "{激活|认证}{费|}{amt_xs}，{不激活|没激活}{不能|无法}{提现|领奖励}"]},
   topics=["走路赚钱", "手机赚钱"], extras=["{L_direct}"])

# ---- 微商 / 社交电商 代理阶梯 ----------------------------------------------------------------------------------------
P("weishang", [
    "!{$brand}{$product}{诚招|招}代理{emo}",
    "!{F_stock}",
    "{L_direct}",
    "!{T_ladder}",
    "{hype}",
], slots={
    "F_stock": ["首批拿货{amt_m}{成为|升级}{$level}", "{囤货|进货}{amt_m}{起|即可}{拿代理资格|成为{$level}}", "{拿|进}{n_m}{盒|套}{成为|升}{$level}，{拿货价|出厂价}{低至|}{amt_s}"],
    "T_ladder": ["你招的代理{拿货|出货}，你拿{pct}{差价|管理奖}", "{下级|团队}{每|}{进货|拿货}你{都|}{有|拿}{pct}{返利|提成}", "{团队|下面}{出|卖}{一盒|一单}你{赚|有}{amt_xs}"],
}, shop=True, topics=["微商", "代理"], extras=["{L_level}", "{para_life}"])
P("weishang", [
    "!{$brand}代理{级别|制度}：{F_ladder}",
    "!{L_level}",
    "!{T_pipe}",
    "{不压货|一件代发|总部发货}",
], slots={
    "F_ladder": ["{$level}{amt_m}、{level}{amt_m}、{level}{amt_l}，{拿货|交钱}{即|就}{授权|拿级别}", "{拿货|进货}{amt_m}{是|=}{$level}，{amt_l}{是|=}{level}"],
    "T_pipe": ["{团队|下面}{走一单|出一单}{你|}{分一份|就有分成}，{睡觉|躺着}{也在|都在}{进账|赚}", "{下级|下面}{升级|补货}{你拿|返你}{pct}", "{团队|伞下}{业绩|销量}{pct}{年底分红|月度奖}"],
}, shop=True, topics=["代理", "微商"], extras=["{F_join}"], title="{$brand}{最新|2.0}代理{政策|制度}{来了|公布}")
P("weishang", [
    "!{前两年|之前}{全职带娃|在家带孩子}，{花钱|买菜}{都要|都得}{跟老公要|看人脸色}",
    "{后来|去年}{跟着|经朋友介绍跟着}{我的|}{上级|师父}{做|卖}{$brand}{$product}",
    "!{F_first}",
    "!{T_now}",
    "{L_bring}",
    "{谢谢|感恩}{当初|那个}{勇敢的自己|拉我一把的人}{emo}",
], slots={
    "F_first": ["{开始|刚入行}{那会儿|时}{硬着头皮|东拼西凑}{进了|拿了}{amt_m}的货{才拿到|换来}{$level}{授权|资格}", "{第一次|刚开始}{囤货|进货}{amt_m}才{拿到|有了}{代理资格|授权}"],
    "T_now": ["{如今|现在}{手下|团队}{n_m}人，{光|单}团队{奖|提成}{每月|一个月}{amt_m}", "{现在|如今}{下面|团队}{n_m}个代理，{她们|大家}{出货|拿货}我{都有|拿}{pct}"],
    "L_bring": ["想{一起干|跟我干}的，{你|每}{介绍|带}一个{代理|人}{我|就}{再补|补}你{amt_s}", "{推荐|介绍}一个{代理|姐妹}{奖励|返}{amt_m}"],
}, shop=True, register="life", topics=["宝妈", "创业"], extras=["{para_life}"], title="{带娃|全职}{妈妈|宝妈}的{翻身|转变}{记录|日记}")
P("weishang", [
    "!{$brand}{商城|优选|小店}{会员制|社交}{电商|商城}，{买东西|购物}{比别处|比超市}{便宜|省}{pct}",
    "!{F_gift}",
    "!{L_chain}",
    "{T_gen}",
    "{money_talk}",
], slots={"F_gift": ["{买|购买}{amt_s}{礼包|大礼包}{升级|成为}{$level}", "{$level}{礼包|权益卡}{amt_m}，{买了|开通}{才|就}{有|能拿}{推广|分享}{佣金|奖励}"]},
   shop=True, topics=["社交电商", "省钱"])
P("weishang", [
    "!{$product}{礼包|套盒|大礼包}{amt_m}",
    "!{F_member}",
    "!{L_direct}",
    "{下单|拍下}{备注|留言}{邀请码|推荐人}{code}",
], slots={"F_member": ["购买即成{$level}，{享|拿}{推广|推荐}{资格|权益}", "{买|拍}{一套|一单}{就是|即成为}{$level}，{没买|不买}{不能|没有}{推广|拿佣金}"]},
   shop=True, topics=["好物", "礼包"], extras=["{T_gen}"])
P("weishang", [
    "!{$brand}{社区团购|团购}{团长|站长}招募",
    "!{F_leader}",
    "!{T_leader}",
    "{自提点|小区}{不限|都可以}，{宝妈|店主}{优先|最合适}",
], slots={
    "F_leader": ["{开团|开通团长}{需|要}{交|缴}{amt_m}{保证金|服务费}", "{先|首次}{进货|囤货}{amt_m}{才能|才}{开团|当团长}"],
    "T_leader": ["{你发展的|下面的}团长{卖货|出单}你{拿|抽}{pct}", "{带|发展}{n_s}个团长{升|成为}{$level}，{拿|享}{团队|下面}{业绩|流水}{pct}"],
}, shop=True, topics=["社区团购", "团长"], extras=["{L_direct}"])

# ---- 消费返利 / 商城分红 ---------------------------------------------------------------------------------------------
P("rebate_mall", [
    "!{$brand}{商城|平台}{P_all}",
    "!{P_return}",
    "{LT_share}",
    "{hype}",
], slots={
    "P_all": ["消费全返", "消费{pct_l}返还", "{买东西|购物}{不花钱|全返}"],
    "P_return": ["消费{amt_m}，{每天|按天}返{pct_s}，{days}天返完", "买{多少|什么}{就|都}返{多少|{pct_l}}，{每天|天天}{返|到账}{amt_xs}", "{购物|消费}{送|得}{等额|双倍}积分，积分每天{释放|返现}{pct_s}"],
    "LT_share": ["推荐的人消费你拿{pct}，推荐的人再推荐你还有{pct_s}", "{直推|推荐}商家{奖励|拿}{amt_m}，{下级|团队}消费{返你|你拿}{pct}"],
}, shop=True, topics=["消费返利", "省钱"], extras=["{para_official}"])
P("rebate_mall", [
    "!{实体店|门店}{老板|商家}{看过来|注意}：{$brand}{积分|让利}{联盟|系统}{开放入驻|招商户}",
    "!{F_reg}",
    "!{P_points}",
    "{L_merch}",
    "{资金|钱}{走第三方|不经过平台}，{老板们|大家}{放心|安心}",
], slots={
    "F_reg": ["{交|付}{amt_xs}{开个|开通}{会员号|商户号}，{没开通|不开通}{拿不到|领不了}{积分|分润}", "{开通|激活}{商户|会员}{账户|权限}{amt_m}"],
    "P_points": ["{积分|通证}{一天比一天|每天}{值钱|增值}{pct_s}，{发行|总共}{只有|}{n_l}{个|枚}", "{积分|通证}{按年|分{n_s}年}{放给|释放给}{会员|大家}，{人越多|进来的人越多}{单价|价值}{越高|涨得越快}"],
    "L_merch": ["{带|拉}{一家|一个}{商户|商家}{进来|入驻}{奖|返}{amt_m}", "{推荐|邀请}{商家|商户}{入驻|进来}{拿|有}{pct}"],
}, shop=True, topics=["商家", "积分"], contact=0.5)
P("rebate_mall", [
    "!{$brand}{P_rel}",
    "!{P_pool}",
    "!{L_direct}",
    "{T_gen}",
], slots={
    "P_rel": ["{消费|贡献值}{积分|分红}{每天|每日}{释放|分红}", "{积分|贡献值}{天天|每天}{分钱|分红}"],
    "P_pool": ["分红池{来自|由}新会员{入单|消费}{注入|组成}，{入单|持有}越多分得越多", "{贡献值|积分}{满|达到}{amt_m}{就|即}{参与|享}{每日|加权}分红{pct_s}"],
}, shop=True, topics=["分红", "消费返利"])
P("rebate_mall", [
    "!{F_pre}",
    "!{P_life}",
    "{L_level}",
    "{全国|本地}{n_m}{家|个}{商家|门店}{通用|可用}",
], slots={
    "F_pre": ["{充值|预存}{amt_m}{成为|升级}{VIP|{$level}|商家会员}", "{交|充}{amt_m}{开通|办}{会员卡|VIP}{才能|才有}{分红|返现}{资格|}"],
    "P_life": ["终身{分红|返现}，{每月|每周}{返|分}{pct}", "{预存|充值}{多少|金额}{按月|按天}{返还|返}{pct}，{n_s}个月{回本|全返}"],
}, shop=True, topics=["会员", "返现"], extras=["{F_join}"])
P("rebate_mall", [
    "!{共享充电宝|共享按摩椅|广告机|自助洗车机}{投资|合伙}{项目|计划}",
    "!{FP_device}",
    "{L_direct}",
    "{公司|平台}{统一|负责}{铺设|运营|维护}，{你|}{只管|坐等}{收钱|分钱}",
], slots={"FP_device": ["{买|认购}一台{amt_m}，{每天|日}{分润|收益}{amt_xs}，{days}天回本", "{投|认购}{amt_m}{起|一台}，{每月|月}{返|分红}{pct}，{保本|本金可退}"]},
   shop=True, topics=["共享经济", "投资"], extras=["{T_gen}"])

# ---- 原始股 / 数字资产 / 矿机 / 区块链 ------------------------------------------------------------------------------
P("digital_asset", [
    "!{$coin}{算力|矿机|云算力}{第{n_s}期|限时|今日}{开放领取|免费送}，{P_mine}",
    "!{FP_miner}",
    "{LT_miner}",
    "{早挖早赚|越早越多|先到先得}",
], slots={
    "P_mine": ["{一天|每天}{能出|产出}{#0.1-9.9}个{$coin}，{按|以}{现价|今天的价}{算|折合}{amt_s}", "{每天|日}{产|挖}{#0.1-9.9}{个|枚}，{币价|价格}{只涨不跌|天天涨}"],
    "FP_miner": ["{高级|大型|超级}矿机{amt_m}一台，{days}天回本", "{租|买}{一台|}矿机{amt_m}，{每天|日}{产币|收益}{翻倍|x{n_s}}"],
    "LT_miner": ["邀请{n_s}人{送|升级}矿机，下级挖矿你拿{pct}", "{推荐|邀请}{好友|一人}{送|得}{算力|矿机}，{好友|下级}{产出|挖的}{返你|你拿}{pct}"],
}, topics=["挖矿", "区块链"], extras=["{P_static}", "{para_official}"])
P("digital_asset", [
    "!{$brand}{集团|股份}原始股{内部认购|限量认购|开放认购}，{P_ipo}",
    "!{F_share}",
    "{L_share}",
    "{名额有限|内部渠道|错过不再}",
], slots={
    "P_ipo": ["{每股|一股}{#1-5}元，上市后{翻{n_s}倍|涨到{amt_s}一股}", "{上市|挂牌}{后|以后}{至少|保底}{翻{n_s}倍|涨{pct_l}}，{每年|年底}{分红|派息}{pct}"],
    "F_share": ["{认购|起购}{amt_m}起{才有资格|才能参与}", "{先交|缴纳}{amt_m}{认购金|股金}{锁定|占}{名额|份额}"],
    "L_share": ["介绍{亲友|别人}认购拿{pct}佣金", "{推荐|带}{一人|亲戚朋友}认购{奖励|送}{n_m}股"],
}, register="official", topics=["原始股", "上市"], extras=["{P_static}"])
P("digital_asset", [
    "!{$brand}数字资产{注册送|激活后送}{n_m}{枚|个}{$coin}，{P_free}",
    "!{F_act}",
    "!{T_gen}",
    "{url}",
], slots={"P_free": ["每天释放{pct_s}", "{每天|日}释放{pct_s}，{价格|币价}{每天|天天}涨"], "F_act": ["激活{账户|钱包}需{amt_s}", "{实名|开通}{费|认证费}{amt_xs}，{不交|没交}{不释放|不能提}"]},
   topics=["数字资产"], extras=["{L_direct}"])
P("digital_asset", [
    "!{零成本|不花钱}{领|撸}{$coin}{，{amt_s}到手|，亲测到账}",
    "{邮箱|手机号}{注册|登录}{就送|送}{一份|一个}{体验|新人}{礼包|额度}",
    "!{P_claim}",
    "!{L_fast}",
    "{项目刚起步|趁热|抓紧}",
    "{url}",
], slots={
    "P_claim": ["{days}天{到期|周期}收益{amt_s}，{放着|挂着}不用管", "每天{点一下|签到}{挖|领}{#0.1-9.9}个，{到期|满{days}天}{本金|本}{加|连}收益一起提"],
    "L_fast": ["{每拉|每邀请}一{个|位}{新人|好友}{就能|可以}{提前|缩短}{n_s}天{到期|解锁}", "{拉|邀请}一个人{加速|提前}{n_s}天，{拉满|邀请满}{n_s}人{直接|马上}提"],
}, topics=["0撸", "新项目"], contact=0.5)
P("digital_asset", [
    "!{$coin}{公链|生态|主网}即将{上所|上线|上交易所}，{P_stake}",
    "!{F_node}",
    "{T_node}",
    "{共识|全球共识}{已经|正在}形成，{百倍|千倍}{机会|币}",
], slots={
    "P_stake": ["现在{质押|锁仓}{amt_m}{月化|月收益}{pct}", "{质押|锁仓}{n_s}个月{年化|收益}{pct_l}"],
    "F_node": ["{节点|超级节点}{amt_l}一个，{买了|成为节点}{才有|享}{分红|投票}权", "{认购|申请}{节点|社区}{需|要}{amt_m}"],
    "T_node": ["{社区节点|节点}拿伞下{pct}", "{社区|团队}{质押|入金}{越多|越大}，{节点|你}{分红|拿}{越多|{pct}}"],
}, topics=["区块链", "币圈"], extras=["{L_level}", "{para_official}"])
P("digital_asset", [
    "!{$brand}数字藏品{首发|空投|限量发售}",
    "!{P_nft}",
    "!{F_nft}",
    "{LT_chain}",
], slots={
    "P_nft": ["{藏品|NFT}{每天|天天}{涨|升值}{pct_s}，{转卖|寄售}{就能|即可}{赚差价|提现}", "{持有|囤}{藏品|NFT}{每日|每天}{分红|领收益}{amt_xs}"],
    "F_nft": ["{入场|开户}{首单|}{必须|要}{购买|买}{amt_s}{盲盒|藏品}", "{开通|激活}{寄售|交易}{权限|资格}{amt_s}"],
}, topics=["数字藏品", "元宇宙"], extras=["{L_direct}"])

# ---- 养老 / 慈善 / 扶贫 fronts -----------------------------------------------------------------------------------------
P("charity_front", [
    "!{$brand}养老{项目|工程|服务计划}，{国家扶持|民政{备案|合作}|{city}{试点|落地}}",
    "!{F_old}",
    "!{P_pension}",
    "{L_level}",
], slots={
    "F_old": ["{交|缴}{amt_m}{养老保证金|会员费|床位费}{成为|享}{会员|养老权益}", "{认购|购买}{amt_m}{养老|康养}{套餐|卡}"],
    "P_pension": ["每月领{amt_m}养老金，{终身|{n_s}年}{领取|享受}", "{年化|每年}{返|收益}{pct}，{days}天{返本|还本}"],
}, register="official", topics=["养老", "民生"], extras=["{para_official}", "{L_direct}"], contact=0.5)
P("charity_front", [
    "!{慈善|公益}{基金|资金}{解冻|发放}{通知|开始}，{注册|登记}{领|得}{amt_l}",
    "!{P_daily}",
    "!{L_unlock}",
    "{转发给|告诉}{身边的人|家人}",
], slots={
    "P_daily": ["{每天|每日}{分红|领取}{amt_s}，{资金|钱}{可提现|直接到卡}", "{存入|转入}{amt_m}{激活|解冻}，{每天|日}{分|返}{pct_s}"],
    "L_unlock": ["{邀请|带}{n_s}人{注册|实名}{才能|即可}{解冻|提现}", "{每|}{发展|推荐}{一人|一个}{奖励|得}{amt_m}{善款|补贴}"],
}, register="official", topics=["公益", "慈善"], extras=["{para_official}"], contact=0.5)
P("charity_front", [
    "!{乡村振兴|扶贫|助农}{项目|工程|计划}{启动|开放}，{P_buy}",
    "!{P_rural}",
    "!{T_rural}",
    "{国家|政府}{背书|支持}，{安全|稳定}",
], slots={
    "P_buy": ["{认购|入股}{扶贫|助农}{份额|股}{amt_m}，{保本|本金}{days}天{返还|可退}", "{入股|认购}{amt_m}{拿|享}{分红|收益}"],
    "P_rural": ["月分红{pct}", "{每月|每季度}{分红|返利}{amt_m}，{n_s}年{翻倍|回本}"],
    "T_rural": ["{发展|带动}下线{n_s}人升{$level}拿团队{pct}", "{团队|伞下}{认购|入股}{额|量}的{pct}{归你|做奖励}"],
}, register="official", topics=["乡村振兴", "助农"], extras=["{para_official}", "{F_join}"])
P("charity_front", [
    "!{民族资产|红色资产|历史资金}{解冻|兑付}{开始了|启动}",
    "!{F_unfreeze}",
    "!{L_grow}",
    "{名额|批次}有限，{先登记|登记}{先得|优先}",
], slots={
    "F_unfreeze": ["{交|缴}{手续费|解冻费|登记费}{amt_s}{即可|就能}{登记|排队}{领取|到账}{amt_l}", "{需|要}{先|}{缴纳|交}{amt_m}{保证金|工本费}{才能|方可}{入册|领取}"],
    "L_grow": ["每发展一人得{amt_m}，{发展的人|下面的人}再发展你再得{amt_s}", "{拉|带}{满|够}{n_s}人{优先|提前}{兑付|拨款}"],
}, register="official", topics=["解冻", "民生"], extras=["{para_official}"], contact=0.5)

# ---- 健康产品 服务商 / 合伙人 ---------------------------------------------------------------------------------------
P("health_levels", [
    "!{$brand}{$product}{经销|分红}{合伙人|股东}{名额|席位}{开放|还剩{n_s}个}",
    "!{F_two}",
    "!{P_div}",
    "{签合同|有协议}，{一次性|只收一次}",
], slots={
    "F_two": ["{自用|囤}{$product}{满|够}{amt_m}{自动|直接}{升|成为}{$level}，{不想囤货|不囤货}{也可以|的}{交|付}{amt_m}{入股金|定金}", "{订货|首单}{amt_m}或{交|缴}{amt_m}{加盟金|入股金}{都能|均可}{成为|入股}"],
    "P_div": ["{$level}{一年|每年}{领|拿}{amt_m}{分红|红利}，{级别高的|更高级别}{半年|每季度}{一次|分一次}", "{产品|货}{吃完|用完}{就|即}{返|发}{分红|红利}{amt_m}，{之后|以后}{每年|每季}{再分|还有}{amt_m}"],
}, shop=True, register="life", topics=["大健康", "养生"], extras=["{para_life}"])
P("health_levels", [
    "!{$brand}{$product}{创业|事业}{机会|计划}",
    "!{F_cap}",
    "!{T_lie}",
    "{客户|顾客}{自己|}{用得好|有效果}{自然|就}{会分享|帮你推}",
], slots={
    "F_cap": ["{一次|首次}{拿货|投入}{amt_m}{锁定|拿下}{$level}，{卖掉|出完}{n_s}{套|盒}{本钱|成本}{就回来了|就回来}", "{一次性|只需}{投|进}{amt_m}{拿|成为}{$level}，{不用|无需}{复投|再投}"],
    "T_lie": ["{你的|底下}{伙伴|团队}{卖一套|出一单}{你|}{分一份|有提成}，{人越多|团队越大}{越轻松|越躺赚}", "{不止|不光}自己卖，{团队|伙伴}{出货|复购}你拿{pct}{管道|分润}"],
}, shop=True, register="life", topics=["大健康", "事业"], extras=["{L_direct}"])
P("health_levels", [
    "!{$brand}{理疗仪|能量床垫|负离子}体验店{开业|免费体验}",
    "!{F_buy}",
    "!{L_level}",
    "{T_floors}",
], slots={
    "F_buy": ["买{amt_m}{产品|套装}{成为|就是}{$level}", "{订|买}{一台|一套}{amt_m}{才|就}{有|拿}{推荐|分享}{资格|奖励}"],
    "T_floors": ["拿下面{n_s}层业绩{pct}", "{下面|团队}每卖{一台|一套}你拿{amt_s}"],
}, shop=True, register="life", topics=["健康", "体验店"], extras=["{para_life}"])
P("health_levels", [
    "!{$brand}{健康顾问|营养师}{培训班|训练营}{招生|开班}",
    "!{F_qual}",
    "!{LT_two}",
    "{学员|顾客}{自己用|用了}{满意|有效果}{再推荐|就会推荐}",
], slots={
    "F_qual": ["{amt_m}{套餐|疗程}{获得|拿到}推广资格", "{报名|培训}费{amt_m}，{学完|考完}{才|就}能{带人|推广}"],
    "LT_two": ["直推{pct}，间推{pct}，{团队|伞下}{再|}拿{pct_s}", "{推荐|直推}一人{amt_m}，{间推|二代}{amt_s}，{团队|管理}奖{pct}"],
}, shop=True, register="life", topics=["健康管理", "大健康"])

# ---- 挂机 / 流量变现 -------------------------------------------------------------------------------------------------
P("hangup", [
    "!{视频号|抖音号|小红书号}{托管|自动运营}{项目|通道}：{账号|号}{交给|放在}{系统|后台}{自动|24小时}{跑|运行}，{每天|日}{出|产生}{收益|流量收益}",
    "!{L_direct}",
    "!{T_gen}",
    "{手机|号}{照常用|不影响使用}，{不用|无需}{管|操作}",
], topics=["挂机", "流量变现"])
P("hangup", [
    "!{淘宝|京东|拼多多|视频号}挂机{项目|平台}",
    "!{F_device}",
    "!{T_hang}",
    "{L_level}",
], slots={
    "F_device": ["开通挂机{账号|通道}{amt_s}", "{买|租}挂机{设备|手机}{amt_m}{才能|才}{开挂|做}"],
    "T_hang": ["{下级|团队}每挂一天你拿{pct}", "{团队|下面}{挂机|在线}{收益|时长}{提成|分润}{pct}"],
}, topics=["挂机"])
P("hangup", [
    "!{$brand}{流量|私域}{变现|掘金}{计划|项目}，{全程|自始至终}{不收|不要}{一分钱|任何费用}",
    "!{T_fission}",
    "!{LT_flow}",
    "{带教|运营}{老师|助理}{日薪|一天}{amt_s}{起|以上}",
], slots={
    "T_fission": ["{团队|下面}{越滚越大|裂变起来}，{每月|月}{拿|分}{amt_m}-{amt_l}", "{团队|下面}{裂变|扩张}{越快|越大}{你|收益}{越高|翻倍}"],
    "LT_flow": ["{引|拉}一个{新粉|新人}{给|奖}{amt_s}，{你的人|他们}再{引|拉}，你{照样|也}{抽|拿}{pct}", "{引|拉}一个人{奖|给}{amt_s}，{团队|下面}{引流|拉新}{你都有|你拿}{pct}"],
}, topics=["私域", "流量"])

# ---- 兼职会费 + 招人 -------------------------------------------------------------------------------------------------
P("fee_job", [
    "!{语音|声优|陪聊|陪玩|代练}{工作室|公会}{扩招|缺人}，{单量|订单}{稳定|爆满}，{每天|一天}{n_m}{单|个单}{起|以上}",
    "{做完|接完}{就结|当场结}",
    "!{F_small}",
    "!{L_pay}",
    "{老工作室|靠谱|开了{n_s}年}",
], slots={
    "F_small": ["{入会|进公会}{先交|要交}{amt_s}，{接几单|做两单}{就回来了|就赚回来}", "{进团|入团}{费|押金}{amt_s}"],
    "L_pay": ["{介绍|拉}{人进来|新人入会}{也有钱|另有工资}", "{招|拉}一个人{进团|}{给|提成}{amt_s}"],
}, topics=["兼职"], contact=0.6)
P("fee_job", [
    "!{文案|帖子|评论}{搬运|转发}{兼职|小活}{缺人|要人}",
    "{复制粘贴|照着发}{就行|都能做}",
    "!{L_head}",
], slots={"L_head": ["{介绍|带}{一个人|一位}{来做|进来}{奖|给}{amt_s}", "{拉|带}一个{人|新人}{进群|进团}{amt_s}"]},
   topics=["兼职"], contact=0.6)
P("fee_job", [
    "!{打字|录入|抄写}{兼职|员}{招人|招新}",
    "!{F_back}",
    "!{L_new}",
    "{T_cut}",
], slots={
    "F_back": ["{报名|入职}{先交|需交}{amt_s}{培训费|资料费}，{干满|做够}{n_s}天{原路|全额}{退|返}", "{入职|会员}费{amt_s}，{做满|做完}{n_s}单{退还|返}"],
    "L_new": ["带新人一人{amt_s}", "{推荐|拉}{朋友|新人}{进来|入职}{奖励|给}{amt_s}"],
    "T_cut": ["新人{做单|接单}你抽{pct}", "{你带的人|团队}{每做|每接}一单你{拿|有}{amt_xs}"],
}, topics=["兼职", "打字"], contact=0.6)
P("fee_job", [
    "!{打扰了|大家好|冒昧打扰}，{people}，{手头紧的|想多挣点的}{看过来|可以看看}",
    "!{F_start}",
    "!{LT_me}",
    "{回复|扣}{888|1|666}",
], slots={
    "F_start": ["{门槛|起步}{就|只要}{amt_xs}，{转我|发我}{amt_xs}{就带你|马上教你}{上手|开始}", "{投|交}{amt_xs}{起步|就能开始}，{我|}{手把手|亲自}带"],
    "LT_me": ["{你|每}{带|拉}进来一个{我|就}{返|给}{amt_s}，{你带的人|他们}再带人{你|}{还有|照拿}", "{推荐|拉}{一个|一人}{奖|返}{amt_s}，{团队|下面}{越大|越多}{拿得越多|被动收入越多}"],
}, topics=["副业"], contact=0.5)
P("fee_job", [
    "!{学生党|宝妈|上班族}兼职{团|群}",
    "!{F_group}",
    "!{L_full}",
    "{money_talk}",
], slots={
    "F_group": ["{会员费|入群费|进群费}{amt_s}", "{进群|入群}{先交|需交}{amt_s}"],
    "L_full": ["拉满{n_s}人给{amt_m}", "{拉|带}{一个|一}人{返|给}{amt_s}，{拉|带}满{n_s}人{升|当}{团长|管理}"],
}, topics=["兼职", "学生党"], contact=0.6)
P("fee_job", [
    "!{拉人|招人|推广}{，|！| }{L_quick}",
    "{要做的来|速来|私}",
], slots={"L_quick": ["拉满{n_m}给{amt_m}", "一个人头{amt_s}", "{拉|推}一个{给|结}{amt_s}{，日结|，秒结|}", "{拉|招}{n_s}个{回本|就能提}"]},
   topics=["兼职"], contact=0.6)

# ---- free apps with 静态/动态收益 -----------------------------------------------------------------------------------
P("circle_app", [
    "!{$brand}{App|APP}：{零投入|一分不花}{攒积分|领豆子}，{积分|豆子}{能|可以}{换钱|提现}",
    "{每天|一天}{点几下|花{#5-20}分钟}{就行|就够}",
    "!{PT_dyn}",
    "!{L_share}",
], slots={"L_share": ["{分享|推荐}{好友|一人}{奖励|得}{pct}{收益|动态}，{上不封顶|多推多得}", "{推|邀请}{一个|一位}好友{加|多拿}{pct}"]},
   topics=["手机赚钱", "积分"], extras=["{para_money}"])
P("circle_app", [
    "!{$brand}{刚开放|才上线|内测}，{现在|目前}{进|注册}{正是时候|最划算}",
    "!{P_bean}",
    "!{LT_bean}",
    "{过了这阵|等人多了}{就|}{没这么好拿|难拿}了",
], slots={
    "P_bean": ["每天看{n_s}个{广告|小视频}产{豆子|积分|能量}，{豆子|积分}每天{涨|增值}", "{静态|每天}{领|产}{豆子|积分}，{价格|单价}{只涨不跌|天天涨}"],
    "LT_bean": ["推广{n_s}人{升级|拿}动态，团队越大{产量|收益}越高", "{直推|推荐}{n_s}人{开启|激活}{团队|动态}{加速|收益}"],
}, topics=["积分"], contact=0.6)
P("circle_app", [
    "!{$brand}{星球|宇宙|圈子}{玩法|模式}，{不花钱|零投入}{放着|挂着}{n_s}个月{攒了|拿了}{amt_m}",
    "!{L_more}",
    "!{T_star}",
    "{每天|只需}{几分钟|点一下}，{工作|带孩子}{两不误|照样}",
], slots={
    "L_more": ["{邀请|推}一人{加|得}{amt_s}", "{拉|推}{一个人|一人}{速度|产量}{加|+}{pct}"],
    "T_star": ["{团队|星球}{每个人|成员}{产出|挖的}{你|都}{分|拿}{pct}", "{团队|下级}{越多|越大}{你|}{每天|日}{分|拿}越多"],
}, topics=["0撸"], contact=0.6)

# ---- 国家扶持 / 数字人民币 fronts -----------------------------------------------------------------------------------
P("state_front", [
    "!{$brand}{数字钱包|支付平台}{通过|拿到}{备案|批文}，{全国|各地}{同步|陆续}{开通|上线}",
    "!{P_asset}",
    "!{L_real}",
    "{T_rich}",
], slots={
    "P_asset": ["{开户|实名}{就|即}{到账|发放}{amt_l}{额度|资产}，{资产|额度}{每日|每天}{增值|释放}{pct_s}，{满|够}{amt_s}{就能|即可}提", "{注册|实名}{送|得}{amt_l}个人资产，{资产|余额}每天{增值|返}{pct_s}"],
    "L_real": ["{拉|带}一人{开户|实名}{奖|得}{amt_m}{额度|资产}", "{每邀请|邀请}{一人|1人}{实名|注册}{得|送}{amt_m}"],
    "T_rich": ["{团队|下级}{开户|签到}你{分|拿}{pct}", "{团队|下级}{签到|资产}{返|分}你{pct}"],
}, register="official", topics=["数字人民币", "国家政策"], extras=["{para_official}"], contact=0.5)
P("state_front", [
    "!数字人民币{试点|推广}{项目|工程}，{国家扶持|央行支持}",
    "!{F_open}",
    "!{P_ret}",
    "{L_direct}",
], slots={
    "F_open": ["{缴纳|交}{amt_s}{开户费|激活费|认证费}{开通|激活}{钱包|账户}", "{开通|激活}{数字钱包|账户}{需|要}{amt_m}"],
    "P_ret": ["{每天|每日}返{amt_s}，{days}天{返|回}本", "{存入|充值}{越多|多少}{返|分}{越多|{pct}}，{月化|每月}{pct}"],
}, register="official", topics=["数字人民币"], extras=["{para_official}"], contact=0.5)
P("state_front", [
    "!{国家|部委}{扶持|备案}项目，{共同富裕|共富}{计划|工程}{启动|开放}",
    "!{F_sign}",
    "!{T_gen}",
    "{P_fixed}",
], slots={
    "F_sign": ["{报名费|认证费}{amt_s}", "{缴纳|交}{amt_m}{成为|认证}{$level}"],
    "P_fixed": ["每月固定{分红|补贴}{amt_m}", "{按月|每季度}{分红|发放}{pct}，{保本|本金安全}"],
}, register="official", topics=["共同富裕", "国家政策"], extras=["{para_official}", "{L_level}"], contact=0.5)
P("state_front", [
    "!{央企|国企}背景，{$brand}{数据资产|数据要素}确权{平台|项目}",
    "!{P_data}",
    "!{L_level}",
    "{国家战略|数字中国}{红利|机遇}",
], slots={"P_data": ["持有{数据资产|积分}每日增值{pct_s}", "{确权|登记}后{每天|日}{分红|收益}{pct_s}，{days}天{翻倍|回本}"]},
   register="official", topics=["数据要素", "国家战略"], extras=["{para_official}", "{T_gen}"])


# ---- online-MLM vocabulary (second round) ---------------------------------------------------------------------
P("fee_job", [
    "!{$brand}{手机|线上}{兼职|小任务}{群|平台}{缺人|招人|扩招}：{看广告|刷视频|签到|点赞关注|填问卷}{一单|一条}{amt_xs}{，一单一结|，日结|}",
    "{不限|不分}{年龄|地区|时间}，{全程免费|不收任何费用}",
    "!{L_task}",
    "{LT_pipe}",
    "{money_talk}",
], slots={
    "L_task": [
        "招到一个人{就给|给|再给}{amt_s}{，招多少给多少|，不封顶|}",
        "拉一个人头{amt_s}{，当天结|，秒结|}",
        "推荐一人奖{amt_s}{，推得越多越赚|，上不封顶|}",
        "每拉来一位新用户{奖|给|返}{amt_s}",
    ],
    "LT_pipe": [
        "{推广|拉来}一个新用户{奖励|给}{amt_s}，{另外|同时}还能享受{他的|下面的|整条线的}管道收益",
        "你招的人再{去|}招人，你{也有|照样有|一样拿}{一份|{amt_xs}}",
    ],
}, topics=["兼职", "日结"], extras=["{T_gen}"], contact=0.6)
P("fee_job", [
    "!{大团长|团队长|老团长}{带队|亲自带}，{新人|小白}{有扶持|有补贴}{，日结|，一单一结|}",
    "!{LT_recruit}",
    "{T_gen}",
    "{名额|位置}{不多|有限}，{要来|想做}的{抓紧|扣1}",
], slots={"LT_recruit": [
    "{你招的人|你带的人}再招人{你也有|你照样拿|一样算你的}，{拉|招}一个{给|结}{amt_s}",
    "{招|带}一个{进来|新人}{结|给}{amt_s}，{他们|下面的人}再招{你|}还{抽|拿}{pct}",
    "{任务|要做的}就是{拉人|招人}：{拉|招}{一个|1个}{amt_s}，{n_s}个{升|当}团队长{拿|吃}伞下{pct}",
]}, topics=["兼职", "团队"], contact=0.6)
P("fee_job", [
    "!{$brand}{推广员|推广大使|会员}{招募|开放}{中|}，{who}{、{who}|}{都能做|也能做|可以来}",
    "!{F_club}",
    "!{LT_vip}",
    "{money_talk}",
], slots={
    "F_club": [
        "{小额会费|入会费|会员费}{amt_s}{，包回本|，做两天就回本|，一次交清}",
        "{开通会员|交会费}{后|之后}才能推广，{会员|开通}{amt_s}",
        "{押金|保证金}{amt_s}{，干满{n_s}天退|}，{交了|交完}{就|才}{能|可以}{领任务|推广|接单}",
    ],
    "LT_vip": [
        "{推|拉}一个{会员|新人}{返|奖}{amt_s}，{下级|团队}{再推|出单}{你|}{还有|抽}{pct}",
        "{普通会员|会员}{推一个|拉一人}{拿|奖}{amt_s}，{VIP|高级会员}{再拿|还拿}{下面|下级}{pct}",
    ],
}, topics=["推广", "副业"], extras=["{FT_vip}"], contact=0.5)
P("hangup", [
    "!{私域流量|流量}变现{项目|新模式}，{招|培养}{运营师|私域运营师|社群运营师}{n_m}名",
    "!{终身不投一分钱|一分钱都不用投|全程不收钱}，{靠|只靠}{拉群|加好友|发朋友圈}{变现|赚钱}",
    "!{T_fis}",
    "{L_fans}",
    "{带教|培训}{免费|全程免费}，{时间|地点}{自由|不限}",
], slots={
    "T_fis": [
        "团队一裂变，月入{百万|{amt_l}}{不是梦|不是神话}，{下级|伞下}{变现|出单}你{都|}{有|分}{pct}",
        "{裂变收益|团队分润}{按|照}{层级|代数}{走|算}，{伞下|下级}越多{拿得越多|收益越高}",
        "{你带的|下面的}运营师{出单|变现}，你{拿|抽}{pct}{管理奖|分润}",
    ],
    "L_fans": ["{拉|引}{一个|1个}{粉|新粉|好友}进{群|私域}{奖|给}{amt_xs}", "{推荐|招}{一位|一个}运营师{奖|给}{amt_s}"],
}, topics=["私域", "流量变现"], extras=["{LT_chain}"], contact=0.5)
P("ad_app", [
    "!{$brand}{APP|小程序|商城}{锁粉|绑粉}{机制|系统}{上线|升级}",
    "!{T_lock}",
    "!{L_lock}",
    "{粉丝|用户}{一旦|}绑定{就|}{不会|不能}{换|跑}",
], slots={
    "T_lock": [
        "一次锁粉，终身{收益|分润}：{粉丝|下级}{购物|看广告|充值}{每一笔|每一次}你都{分|拿}{pct}",
        "{锁粉|绑定}后{下级|粉丝}{的消费|的流水|看广告的收益}{按|}{pct}{分润给你|返你}",
        "{一代|直属}{粉丝|下级}{pct}，{二代|间接}{粉丝|下级}{pct_s}，{终身有效|永久绑定}",
    ],
    "L_lock": [
        "{分享|推广}{你的|}{邀请码|海报}{锁|绑}{一个|1个}粉{奖|给}{amt_xs}",
        "{邀请|拉}{好友|新人}{注册|下载}{即|就}{锁粉|绑定}，{每人|一人}{奖|返}{amt_xs}",
    ],
}, topics=["锁粉", "分润"], contact=0.5)
P("ponzi_mutual", [
    "!{$brand}{新车|新盘}{发车|今晚发车|{clock}发车}{了|啦|}{emo}",
    "!{P_car2}",
    "{LP_speed}",
    "{老司机|车长|带头大哥}{亲自|}{开车|带队}，{前几车|上一车}{都|全}{吃到肉|回本出局}了",
    "{稳如磐石|稳得一批}，{上车|要上车}的{抓紧|速度|扣1}",
], slots={"P_car2": [
    "{无需质押|不用质押|不锁仓}，{随进随出|随时可提}，{日化|每日}{pct_s}",
    "{上车|入场}{amt_m}{起|}，{days}天一个周期，{出局|到期}{拿回|带走}{amt_m}",
    "{静态|每天}{日化|产出}{pct_s}，{复利|复投}{跑|滚}{n_s}个周期{翻倍|翻番}",
    "早进早吃肉，{前{n_m}名|前几天}{进场|上车}{日化|收益}{pct_s}{起|}",
]}, topics=["新盘", "上车"], extras=["{P_reinvest}"], contact=0.5)
P("digital_asset", [
    "!{零撸|0撸|白嫖}{项目|新项目|大毛}{来了|上线}{emo}{，{撸毛|薅羊毛}的看过来|}",
    "!{P_air}",
    "!{LP_speed}",
    "{不要|不用}{实名|钱|充值}{也能|就能}{撸|领}",
    "{url}",
], slots={"P_air": [
    "{注册|签到}{就|}{空投|送}{n_m}{个|枚}{$coin}，{每天|日}{挖矿|释放}{pct_s}，{上所|上线交易所}{后|}{翻|涨}{n_s}倍",
    "{每天|日}{点一下|签到}{挖|产}{#0.1-9.9}个{$coin}，{days}天{一个周期|后}{开放|可以}{提现|兑换}",
    "{空投|挖矿}{额度|收益}{每天|天天}{翻|涨}，{早撸|早进}{早吃肉|多拿}",
]}, topics=["0撸", "空投"], extras=["{T_gen}"], contact=0.5)
P("digital_asset", [
    "!{$brand}{青铜书|数字书籍|卡牌|数字卡牌}{NFT|藏品}{首发|开售|第{n_s}期}",
    "!{F_book}",
    "!{P_book}",
    "{L_level}",
], slots={
    "F_book": ["{买单|认购}入局{amt_m}{起|一本|一张}", "{认购|购买}{一本|一张|一份}{amt_m}{才能|才有资格}{参与|分红}"],
    "P_book": [
        "{日化|每天}{pct_s}，{days}天一个周期，{周期到|到期}{出局|本息全回}",
        "{每本|每张}{每天|日}{产|返}{amt_xs}，{复利|复投}{再滚|滚动}{n_s}轮{翻倍|}",
        "{持有|持卡}{就|}{分红|领收益}，{转卖|寄售}{涨|溢价}{pct}",
    ],
}, topics=["NFT", "数字藏品"], extras=["{P_reinvest}"])
P("circle_app", [
    "!{$brand}：{全程免费|全程0投入}、{全员免费|人人免费}，{看广告|刷视频|签到|挂机}{就能|都能}赚钱",
    "!{PT_free}",
    "!{LT_wide}",
    "{每天|一天}{几分钟|{#5-30}分钟}，{不影响|不耽误}{上班|带娃}",
], slots={
    "PT_free": [
        "{静态收益|静态}{靠|来自}{签到|看广告|挂机}，{动态收益|动态}{全部|}{来自|靠}推广下级{，下级越多越高|}",
        "{挂机|签到}{每天|日}{产|领}{积分|豆子}，{动态|团队}{拿|吃}{下级|伞下}产出的{pct}",
    ],
    "LT_wide": [
        "推的人越多，{你的|}财富管道{就|}越宽",
        "{邀请|推荐}{一个|一人}{加|多}{pct}{收益|产量}，{他们|下面的人}再推{你|}{还|也}有{分|份}",
    ],
}, topics=["免费", "手机赚钱"], contact=0.6)
P("state_front", [
    "!{鸿蒙支付|数字人民币钱包|{$brand}支付}{内测|推广期|试运行}，{央行授权|国家扶持|官方授权}{，正规合法|，可查|}",
    "!{LP_state}",
    "{P_keep}",
    "{T_gen}",
], slots={
    "LP_state": [
        "{邀请|推荐}一人{实名|开户}得{#1-10}万{资产|数字资产|额度}，{资产|额度}{每天|日}{释放|增值}{pct_s}",
        "{拉|带}{一个|1个}人{开通|激活}{送|得}{amt_l}{资产|额度}，{满|到}{amt_m}{就能|即可}{提现|兑换}",
    ],
    "P_keep": ["{资产|余额}{存着|不动}{每月|每天}{增值|返}{pct_s}", "{额度|资产}{分{n_s}期|每天}{释放|到账}，{到期|释放完}{翻倍|全额提}"],
}, register="official", topics=["数字人民币", "国家扶持"], extras=["{para_official}"], contact=0.5)
P("health_levels", [
    "!{$brand}{$product}{区域服务商|社区合伙人|城市服务商}{招募|火热招募}",
    "!{F_honest}",
    "!{T_rebuy}",
    "{产品|货}{复购率|回购率}{高|{#60-95}%}，{做一次|一次开发}{终身|长期}{受益|有收益}",
], slots={
    "F_honest": ["{交|缴}{amt_m}诚意金{加盟|成为服务商|锁定名额}", "{服务商|合伙人}{加盟金|诚意金}{amt_m}，{交了|签约}{才|就}{有|享}分红{资格|}"],
    "T_rebuy": ["{下面|你发展的}{服务商|门店|伙伴}{每次|}{复购|进货}，你{拿|分}{pct}", "{团队|伞下}{复购|流水}{年底|每季度}{分红|加权分红}{pct}"],
}, shop=True, register="life", topics=["大健康", "服务商"], extras=["{L_direct}", "{FT_partner}"])
P("weishang", [
    "!{$brand}{$product}{合伙人|服务商}{计划|政策}",
    "!{FT_partner}",
    "{L_direct}",
    "{总部|公司}{发货|配送}，{你|}{不用|无需}{囤货|压货}",
], shop=True, topics=["合伙人", "复购"])

# ---- short chat messages (one line, a number, often a contact hint); negatives have the same scheme -----------------
_SHORT_KW = dict(channels=tuple(c for c in CHANNELS if c not in ("电商", "公众号")), short=0.8, contact=0.55,
                 tail="{{hype}|{money_talk}}", topics=("{topic}",))
P("chat_short", ["!{L_one}", "{{日结|秒结|一单一结|当天结}|有意私|要做的来|速来}"], slots={"L_one": [
    "招到一个人给{amt_s}", "拉一个人头{amt_s}", "推荐一人奖{amt_s}", "{拉|招}{一个|1个}{新人|人}{结|给}{amt_s}",
    "{推|拉}一个{新用户|会员}{返|奖}{amt_s}，{不限量|上不封顶}",
]}, **_SHORT_KW)
P("chat_short", ["!{T_one}", "{{有人带|带你做}|{emo}}"], slots={"T_one": [
    "一次锁粉，终身收益", "锁粉一次{吃|拿}一辈子", "伞下{n_m}人，{每天|一天}躺赚下级{amt_s}", "{下级|伞下}{出单|看广告}我{抽|拿}{pct}",
    "{团队|伞下}{流水|业绩}{pct}{管道收益|分润}{天天到账|每天结}",
]}, **_SHORT_KW)
P("chat_short", ["!{F_one}", "{{有人带|手把手教}|{emo}}"], slots={"F_one": [
    "小额会费{amt_s}包回本", "入会费{amt_s}，{做两天|两天}回本", "开通会员{amt_s}{后|}才能推广", "{押金|保证金}{amt_s}，交了{就|}{派单|接单}",
]}, **_SHORT_KW)
P("chat_short", ["{$brand}{新车|新盘}{发车|开了|上线}", "!{P_one}"], slots={"P_one": [
    "日化{pct_s}{，随进随出|，无需质押|，稳如磐石}", "{days}天{一个周期|出局}，{收益|总收益}{pct_l}", "{上车|入场}{amt_m}，{每天|日}{返|产}{amt_s}，早进早吃肉",
]}, **_SHORT_KW)
P("chat_short", ["{零撸|0撸|白嫖}{项目|大毛}", "!{LP_one}"], slots={"LP_one": [
    "{邀请|拉}一人{加速|多产}{pct}，{每天|日}{释放|挖}{pct_s}", "{拉人|邀请}{更快|加速}出局，{周期|一期}{days}天",
    "邀请一人得{#1-9}万{资产|额度}，{每天|日}释放{pct_s}",
]}, **_SHORT_KW)
P("chat_short", ["!{LT_one}"], slots={"LT_one": [
    "你招的人再招人{你也有|你照拿}，{一个|一人}{amt_s}", "{拉|推}一个{给|返}{amt_s}，{下面|下级}再拉{你|}{还拿|抽}{pct}",
    "推的人越多{管道|财富管道}越宽，{一人|一个}{奖|给}{amt_s}",
]}, **_SHORT_KW)
P("chat_short", ["!{PT_one}"], slots={"PT_one": [
    "{静态|签到}{日化|每天}{pct_s}，动态{吃|拿}下级{pct}", "{挂机|签到}{每天|日}{产|领}{amt_xs}，动态收益{来自|靠}推广下级",
]}, **_SHORT_KW)
P("chat_short", ["!{LF_one}"], slots={"LF_one": [
    "{开通|升级}VIP{amt_s}，{推一个|拉一人}{返|奖}{amt_s}", "{交|充}{amt_s}{会费|开通费}，{拉|推}一个{回|返}{amt_s}",
]}, **_SHORT_KW)


# ======================================= NEGATIVES ==============================================================
# ---- legal 直销 (own retail sales only) -------------------------------------------------------------------------
N("direct_selling", [
    "!{$brand}（{直销经营许可证|商务部直销牌照}{编号|证号}{code}）{新品上市|产品推荐}：{$product}",
    "!{官方价|零售价|建议零售价}{amt_m}{，支持七天无理由|，正品可查|}",
    "{会员价|老顾客价}{amt_m}，{满{amt_m}|买两盒}{再减|打}{#8-9}折",
    "{直销员|销售代表}{持证上岗|凭证服务}，{按本人零售额计酬|报酬只按个人销售计算}，{不向直销员收钱|直销员零费用}",
    "{欢迎|可以}{到店|预约}{咨询|体验}",
], shop=True, register="official", topics=["健康", "新品"], extras=["{para_official}", "{para_law}", "{money_talk}"], contact=0.5)
N("direct_selling", [
    "!我是{$brand}的{直销员|美容顾问|健康顾问}{nick}",
    "!{本月|这周|国庆}{活动|特惠}：{$product}{买二送一|第二件半价|满{amt_m}减{amt_s}}",
    "{原价|平时}{amt_m}，{活动价|现在}{amt_m}，{省|便宜}{pct}",
    "{需要|想要}的{私我|找我}{下单|预订}，{送货上门|可以先试用|包邮}",
    "{老顾客|回头客}{再送|送}{小样|试用装}",
], shop=True, register="life", topics=["好物推荐", "护肤"], extras=["{para_life}", "{hype}"])
N("direct_selling", [
    "!{$brand}{服务网点|体验店|专卖店}{开业|盛大开业|乔迁}",
    "!{免费体验|试用装免费领|到店有礼}，{$product}{限时|开业}{特价{amt_s}|{#7-9}折|{pct}off}",
    "{前{n_m}名|开业三天}{到店|进店}{送|领}{amt_s}{代金券|礼品}",
    "{直销员证|营业执照}{可查|公示}，{正规|合规}经营",
    "{地址|店址}：{city}{n_m}号",
], shop=True, register="life", topics=["开业", "健康"], extras=["{para_life}"])
N("direct_selling", [
    "!{$brand}{直销员|销售员}招募",
    "!{无需任何费用|不收入门费|零费用加入}，{销售产品|卖货}按个人销售额{#5-30}%提成",
    "{卖得多|业绩好}{一个月|每月}{能拿|收入}{amt_m}{左右|以上}",
    "{每周|每月}结算，{账目|收入}{可查询|公开透明}",
    "{需|要}{年满18岁|签订推销合同}，{公司|我们}{提供|有}{培训|产品知识培训}",
], register="official", topics=["招募", "直销"], extras=["{para_official}", "{para_promo}", "{money_talk}"])
N("direct_selling", [
    "!{用了|坚持用}{$brand}的{$product}{n_s}个月了",
    "!{效果|感觉}{还不错|挺好|明显}，{老公|爸妈|同事}{也|都}{在用|说好}",
    "!{一盒|一套}{amt_m}，{能用|吃}{n_s}{周|个月}",
    "{要|需要}的{朋友|姐妹}{找我|私我}{拿|买}，{按官方价|不加价}",
], shop=True, register="life", topics=["日常", "好物"], extras=["{para_life}"])

# ---- 招商加盟 (franchise of a shop / brand) -----------------------------------------------------------------------
N("franchise", [
    "!{$brand}{奶茶|火锅|炸鸡|烘焙|便利店|麻辣烫}全国招商加盟",
    "!加盟费{amt_m}-{amt_l}，{总部|公司}{提供|负责}{选址|装修|培训|配送}",
    "{单店|门店}月流水{amt_l}{+|}，毛利{pct}-{#30-60}%",
    "{n_s}天{开店|开业}，{n_s}个月{回本|回本周期}",
    "{全国|已开}{n_m}{0|}家门店",
], topics=["加盟", "开店"], extras=["{para_promo}", "{money_talk}", "{hype}"])
N("franchise", [
    "!{县级|区域|城市}独家代理，{$brand}{品牌|产品}{入驻|招商}{中|开启}",
    "!保证金{amt_m}（{可退|合作结束退还}），{拿货价|出厂价}{#3-7}折",
    "{零售价|终端价}{amt_s}，{利润|毛利}{pct}{以上|}",
    "{区域保护|一县一商}，{总部|厂家}{广告|物料}{支持|扶持}",
], topics=["招商", "代理"], extras=["{para_promo}", "{money_talk}"])
N("franchise", [
    "!{小本创业|开店}{推荐|首选}：{$brand}{洗衣|母婴|水果|宠物|零食}店加盟",
    "!{amt_l}{就能开|起开}，{回本周期|回本}{n_s}个月",
    "{日营业额|一天流水}{amt_m}{左右|起}",
    "{统一|总部}{装修|供货|培训}，{新手|小白}{也能开|零经验}",
], topics=["开店", "创业"], extras=["{para_promo}", "{para_life}", "{hype}"])
N("franchise", [
    "!【{$brand}】{招商|诚招}{经销商|合作伙伴|加盟商}",
    "!{政策支持|区域保护|低投入}，{咨询|热线}{phone}",
    "{首批|首次}{进货|订货}{满{amt_m}|}{返|送}{pct}{物料|货品}",
], topics=["招商"], contact=0.3)
N("franchise", [
    "!{我的|我们}{$brand}{加盟店|分店}{开业|满一年}了",
    "!{当初|去年}{交了|花了}{amt_m}加盟费{加|和}{amt_l}装修",
    "{现在|目前}{生意|营业额}{还行|稳定|一般}，{每月|一个月}{净赚|到手}{amt_m}{左右|上下}",
    "{说说|聊聊}{经验|真实感受}",
], register="life", topics=["开店日记", "加盟"], extras=["{para_life}"])

# ---- single-level referral -----------------------------------------------------------------------------------------
N("referral_single", [
    "!{$brand}{新用户|新人}{专享|福利}：邀请好友注册，{好友|你们}{各得|得}{amt_s}{红包|优惠券}",
    "{仅限一次|每人限邀{n_s}位|活动截止{date}}",
    "{新人|首单}{立减|享}{pct}",
    "{链接|入口}：{url}",
], shop=True, topics=["福利", "红包"], extras=["{hype}"], contact=0.5)
N("referral_single", [
    "!分享给好友，好友首单{立减|减}{amt_s}，你也得{amt_s}{券|无门槛券}",
    "{活动|优惠}{截止|到}{date}",
    "{领券|用券}{后|再}{打|享}{#5-9}折",
], shop=True, topics=["优惠", "省钱"], contact=0.5)
N("referral_single", [
    "!{宽带|手机卡|信用卡|电费}推荐有礼：老用户推荐新用户办理，双方各得{amt_s}{话费|积分|红包}",
    "{月租|套餐}{amt_s}{起|/月}，{送|含}{n_m}G流量",
    "{详询|咨询}{营业厅|客服}{phone}",
], register="official", topics=["福利"], contact=0.3)
N("referral_single", [
    "!{健身房|游泳馆|驾校|瑜伽馆}老带新：介绍朋友报名，{送|返}{n_s}节课{或|/}{amt_s}",
    "{年卡|学费}{amt_m}，{本月|活动期}{#7-9}折",
    "{上课|报名}{地址|点}{city}",
], register="life", topics=["健身", "优惠"], contact=0.5)
N("referral_single", [
    "!{$brand}邀请码{code}，填了{都|可以}领{amt_xs}",
    "{新人|首单}{#0.1-1.9}元购",
    "{提现|到账}{秒到|马上到}",
], shop=True, topics=["新人福利"], extras=["{money_talk}"], contact=0.4)
N("referral_single", [
    "!{家人们|姐妹们}，{$brand}{拉新|新人}活动：{你邀请|帮我点一下}{好友|新用户}{助力|注册}，{我|你}能{领|拿}{amt_xs}{红包|现金}",
    "{帮|求}{点一下|助力}{谢谢|感谢}{emo}",
    "{每人|每个账号}{限|只能}{助力|领}一次",
], topics=["助力", "红包"], contact=0.5)

# ---- job ads ---------------------------------------------------------------------------------------------------
N("job_ad", [
    "!{$brand}{物流|电子厂|餐饮|仓储}招聘：{普工|分拣员|服务员|仓管}{n_m}名",
    "!{月薪|薪资}{amt_m}{+|起}，{包吃住|五险一金|有宿舍}",
    "{加班费|夜班补贴}{amt_s}/{天|小时}，{全勤奖|满勤}{amt_s}",
    "{日结|周结|月结}，{长期|短期}{均可|都要}",
    "{上班地点|工作地点}在{city}{市区|附近|周边}",
], register="official", topics=["招聘", "找工作"], extras=["{para_promo}", "{money_talk}"])
N("job_ad", [
    "!兼职{发传单|促销员|服务员|临时工}{，{amt_s}一天|，时薪{#15-40}|}",
    "!{日结|当天结}{amt_s}{/天|一天}，{地点|地址}{city}",
    "{时间|工作时间}{clock}-{clock}",
    "{无需押金|不收任何费用|不交钱}",
], topics=["兼职"], extras=["{hype}", "{money_talk}"], contact=0.7)
N("job_ad", [
    "!{线上|居家}兼职：{客服|文字校对|视频剪辑|数据标注}",
    "!按{件|单|小时}计费{amt_s}",
    "{熟练后|做熟了}{一天|每天}{amt_s}-{amt_m}",
    "{有团队带教|团队氛围好|有老员工带}，{时间自由|不限时间}",
], topics=["兼职", "居家办公"], extras=["{hype}", "{money_talk}"], contact=0.7)
N("job_ad", [
    "!{公司|门店}急招{店长|销售|主管|文员}",
    "!底薪{amt_m}+{个人业绩提成|提成}{pct}",
    "{试用期|试用期内}{工资|薪资}{按|}{#70-90}%{发放|}",
    "{综合|平均}{月薪|收入}{amt_m}-{amt_m}",
    "{团队|销售团队}{n_s}0人，{晋升|升职}空间大",
    "{要求|条件}：{有经验优先|吃苦耐劳|沟通能力好}",
], register="official", topics=["招聘"], extras=["{para_promo}", "{money_talk}"])
N("job_ad", [
    "!{外卖|快递|网约车|同城配送}{骑手|司机}招募",
    "!{单价|一单}{amt_xs}，多劳多得，{日结|周结}",
    "{新人|首月}{保底|补贴}{amt_m}",
    "{自带电动车|有车优先|公司提供车辆}",
], topics=["招聘", "骑手"], extras=["{money_talk}", "{hype}"])
N("job_ad", [
    "!{#2-5}月{招聘会|双选会}{通知|来啦}：{city}{n_m}家企业{n_l}个岗位",
    "!{时间|日期}：{date}{clock}",
    "{平均|岗位}{月薪|薪资}{amt_m}{以上|起}",
    "{免费|无需}{入场|报名费}",
], register="official", topics=["招聘会"], extras=["{para_official}"], contact=0.3)
N("job_ad", [
    "!{暑假工|寒假工|学生兼职}{招募|来了}：{$brand}{奶茶店|超市|电子厂}",
    "!{时薪|小时工}{#15-30}元，{干满|做满}{n_s}0天{奖励|另发}{amt_s}",
    "{包住|包吃}，{可以|能}{结伴|带同学}",
], topics=["暑假工", "学生党"], extras=["{hype}"], contact=0.6)

# ---- anti-MLM warnings and news -------------------------------------------------------------------------------
N("anti_mlm", [
    "!【{警方提醒|反诈提醒|重要提醒}】{近期|最近}{有人|不法分子}以“{front}”为名{发展会员|拉人头}",
    "!{要求|收取}{入门费|会费|激活费}{amt_m}，{承诺|号称}{高额返利|日化{pct_s}|团队奖{pct}}",
    "{这是|这就是}{传销|网络传销}！{遇到请|请立即}{报警|拨打110|拨打12315举报}",
], channels=_NO_SHOP, register="official", topics=["反诈", "防骗"], extras=["{para_official}"], contact=0.15)
N("anti_mlm", [
    "!揭秘{网络传销|资金盘|传销}套路",
    "!第一步{洗脑|画饼|讲成功学}，第二步{交钱入会|买礼包|交入门费}，第三步{拉人头|发展下线|拉亲戚朋友}",
    "{号称|宣传}{日化|月收益}{pct_s}，{实际|其实}{拿的|发的}{是|都是}后来人的钱",
    "记住：{凡是|只要是}{要求|需要}{交钱|拉人}才能赚钱的，{都是|十有八九是}传销",
    "{转发|分享}{给|让}{家人|父母}看看",
], channels=_NO_SHOP, register="official", topics=["防骗", "揭秘"], extras=["{para_official}"], contact=0.1,
   title="{揭秘|警惕}{front}背后的{传销|骗局}套路")
N("anti_mlm", [
    "!{city}警方{破获|捣毁}一{起特大|个}{网络传销|传销}{案|组织}",
    "!{涉案金额|涉案}{amt_l}{余|多}，{抓获|刑拘}{n_m}人",
    "{据警方介绍|经查}，该组织以{front}为幌子，{要求|诱导}{会员|参与者}{缴纳|交}{amt_m}{会费|入门费}{并发展下线|后拉人加入}",
    "{层级|会员层级}{多达|达}{n_s}0{层|级}，{参与人员|会员}{n_l}余人",
    "{目前|现}{案件|此案}{正在|仍在}{进一步|}{侦办|审理}中",
], channels=_NO_SHOP, register="official", topics=["法治", "社会"], extras=["{para_official}"], contact=0.05)
N("anti_mlm", [
    "!{姐妹们|家人们|朋友们}别{信|碰}那个{front}了",
    "!我{亲戚|同事|表姐}{投了|交了}{amt_m}{现在|结果}{提不出来|跑路了|平台关了}",
    "{说是|号称}{拉人有提成|有团队奖|日化{pct_s}}，{全是|都是}骗{局|人的}",
    "{大家|你们}{长点心|别上当}",
], channels=_NO_SHOP, register="life", topics=["防骗", "避雷"], extras=["{para_life}"], contact=0.1)
N("anti_mlm", [
    "!{律师|法律}{科普|说法}：{根据|依据}《禁止传销条例》",
    "!{拉人头|收入门费|团队计酬}{属于|构成}传销",
    "组织领导者{可能|将}{构成|涉嫌}组织、领导传销活动罪，{参与者|普通参与人}{也|可能}{被没收违法所得|被处罚}",
    "{合法|正规}直销{只按|按}{个人|本人}销售额计酬，{最高|不超过}30%",
], channels=_NO_SHOP, register="official", topics=["普法", "法律"], extras=["{para_official}"], contact=0.1)
N("anti_mlm", [
    "!{刷到|看到}{一个|条}{说什么|号称}“{躺赚|日入{amt_m}|零投资月入{amt_l}|一部手机年入{amt_l}|日化{pct_s}}”的{广告|视频}",
    "!{评论区|下面}全是“{求带|怎么做|已私}”",
    "{醒醒吧|别做梦了|天上不会掉馅饼}{emo}",
], channels=_NO_SHOP, register="life", topics=["吐槽", "防骗"], contact=0.0)
N("anti_mlm", [
    "!我{妈|爸|舅舅|姑姑}{最近|去年}{被拉去|迷上了}{听课|养生讲座|开会}",
    "!{回来|天天}说要{交钱|买产品}{当{level}|}，{怎么劝|劝}{都|也}{不听|没用}",
    "{已经|前后}{花了|交了}{amt_m}{了|多}",
    "{有没有|谁有}{办法|经验}{劝劝|劝老人}{啊|？}",
], channels=_NO_SHOP, register="life", topics=["求助", "家庭"], extras=["{para_life}"], contact=0.0)
N("anti_mlm", [
    "!{市场监管|工商}部门{公布|通报}{n_s}起{传销|网络传销}{典型案例|案件}",
    "!{其中|一起案件中}，{当事人|涉案平台}{以|打着}{front}{名义|旗号}，{按|以}{发展人员数量|下线业绩}{计酬|返利}",
    "!{罚没|没收}{违法所得|款项}{amt_l}",
], channels=_NO_SHOP, register="official", topics=["通报", "市场监管"], extras=["{para_official}"], contact=0.0)

# ---- finance / investment -----------------------------------------------------------------------------------------
N("finance", [
    "!【{招商银行|农商银行|建设银行}】尊敬的客户，{您关注的|您的}{理财|基金|定期}{产品|}{到期|开售|即将发售}",
    "!{近一年|七日年化}{收益率|收益}{pct_s}",
    "{起购|起点}{amt_m}，{期限|封闭期}{days}天",
    "{详询|回复}{#1-9}{了解|办理}，{理财有风险，投资需谨慎|过往业绩不代表未来表现}",
], register="official", topics=["理财"], contact=0.3)
N("finance", [
    "!{招商证券|某证券|{$brand}证券}{开户|两融}{优惠|活动}",
    "!{佣金|费率}低至万{#1-3}，{新客户|新开户}{专享|送}{amt_s}{理财券|券}",
    "{新客理财|新手专享}{年化|收益}{pct_s}",
    "{股市有风险|投资需谨慎}",
], register="official", topics=["开户", "股票"], contact=0.4)
N("finance", [
    "!{基金|定投}{心得|分享|记录}：{今年|最近}{收益|回撤}{pct}",
    "!{坚持|长期}定投{n_s}年，{分红|红利}{再投资|选了再投资}",
    "{每月|每周}{定投|扣款}{amt_m}，{累计|总共}{投入|本金}{amt_l}",
    "{不构成投资建议|理财有风险，投资需谨慎}",
], register="life", topics=["基金", "理财"], extras=["{para_life}", "{para_official}"], contact=0.05)
N("finance", [
    "!{股票|A股}{复盘|点评}：{大盘|沪指|创业板}{涨|跌}{pct_s}",
    "!{板块|个股}{轮动|分化}，{成交额|两市成交}{n_l}亿",
    "{仓位|持仓}{控制在|保持}{#20-90}%{以内|左右}",
    "{仅供参考|个人观点，不构成建议}",
], register="official", topics=["股票", "复盘"], extras=["{para_official}"], contact=0.05)
N("finance", [
    "!{理财经理|银行}{推荐|在售}：{$brand}{稳健|固收}{#1-9}号",
    "!{期限|封闭期}{days}天，{业绩比较基准|年化}{pct_s}，{起购|起投}{amt_m}",
    "{R2|中低风险|R1低风险}，{可在手机银行购买|柜台办理}",
], register="official", topics=["理财"], extras=["{money_talk}"], contact=0.5)
N("finance", [
    "!{年金险|养老年金|增额终身寿}{介绍|推荐}",
    "!每年交{amt_m}，交{n_s}年，{#55-65}岁{开始|起}每月领{amt_m}",
    "{现金价值|保额}{每年|按}{pct_s}{复利|增长}",
    "{以合同条款为准|具体以保单为准}",
], register="official", topics=["保险", "养老规划"], extras=["{para_official}"], contact=0.5)
N("finance", [
    "!{比特币|以太坊|数字货币}{跌破|站上|回到}{amt_l}",
    "!{矿机|矿企}{厂商|板块}{财报|股价}{不及预期|大涨|承压}，{单日|本周}{涨|跌}{pct}",
    "{监管|央行}{提示|重申}{虚拟货币|数字货币}{交易|炒作}{风险|属于非法金融活动}",
], register="official", topics=["财经", "币圈"], extras=["{para_official}"], contact=0.0)
N("finance", [
    "!{存款|大额存单}{利率|利息}{又|再次}{下调|降了}",
    "!{三年期|五年期|一年期}{只有|仅}{pct_s}，{存|放}{amt_l}一年{利息|才}{amt_m}",
    "{大家|你们}{现在|最近}{钱|闲钱}{都|}{放哪|怎么打理}？",
], register="life", topics=["存钱", "理财"], extras=["{para_life}"], contact=0.0)

# ---- e-commerce listings and reviews ---------------------------------------------------------------------------
N("ecommerce", [
    "!【{$product}】{规格|净含量}{n_m}{g|ml|片|粒}",
    "!{原价|到手价|券后价}{amt_s}，{包邮|顺丰包邮|次日达}",
    "{月销|已售}{n_l}+，{好评率|好评}{#90-99}.{#0-9}%",
    "{七天无理由|假一赔十|正品保障}",
], shop=True, register="life", topics=["好物推荐"], contact=0.4)
N("ecommerce", [
    "!{买了|入手}{n_s}{次|个|箱}了，{质量|味道|做工}{不错|很好|可以}",
    "!{客服|物流}{态度好|很快|给力}",
    "{活动价|到手}{amt_s}，{比平时|比超市}便宜{amt_xs}",
    "{会回购|推荐购买|性价比高}{emo}",
], shop=True, register="life", topics=["买家秀"], contact=0.0)
N("ecommerce", [
    "!{差评|不推荐|避雷}，{收到|到手}{发现|就}{漏了|坏了|和图片不一样}",
    "!{申请|要求}{退款|退货}{n_s}天{没人理|才处理}",
    "{花了|白花}{amt_s}{买个教训|，气死}",
    "{大家|各位}{慎买|注意}",
], shop=True, register="life", topics=["避雷"], contact=0.0)
N("ecommerce", [
    "!{厂家直销|源头工厂}，{$product}{批发|一件代发}",
    "!{批发价|量大从优}，{无需囤货|不用压货}，{欢迎|招}{分销|批发}{合作|商}",
    "{拿货|进货}价{amt_s}{起|/件}，{零售|建议零售}{amt_s}",
], shop=True, topics=["批发", "一件代发"], extras=["{money_talk}"], contact=0.7)
N("ecommerce", [
    "!{店铺|小店}{上新|清仓|周年庆}：{$product}{#5-9}折",
    "!{满{amt_m}减{amt_s}|第二件半价|买一送一}，{晒图|好评}返{amt_xs}",
    "{会员|老客}{再享|额外}{pct}{折扣|优惠}",
    "{库存有限|售完即止}",
], shop=True, topics=["上新", "优惠"], contact=0.5)
N("ecommerce", [
    "!{直播间|今晚{clock}}{福利|秒杀}：{$product}{只要|仅需}{amt_s}",
    "!{前{n_m}单|前{n_s}分钟}{送|加赠}{小样|赠品|同款}",
    "{点击|戳}{小黄车|下方链接}{下单|抢购}",
], shop=True, topics=["直播", "秒杀"], extras=["{hype}"], contact=0.5)

# ---- 刷单 / task scams (fraud, not MLM) -----------------------------------------------------------------------------
N("task_scam", [
    "!{抖音|快手|小红书|B站}{点赞|关注|评论}{兼职|任务}",
    "!一单{amt_xs}，{日结|秒结|做完就结}",
    "{一天|每天}{做|能做}{n_m}单，{收入|到手}{amt_s}+",
    "{手机就能做|不限时间|一天能做几十单}",
], topics=["兼职", "手机赚钱"], extras=["{money_talk}", "{hype}"], contact=0.8)
N("task_scam", [
    "!{店铺|直播间}{冲销量|做数据}，{招|缺}{补单员|买手}",
    "!{本金|佣金}{秒返|当天返}，{一单|每单}佣金{amt_xs}",
    "{佣金|返利}{比例|}{pct}，{垫付|本金}{amt_s}-{amt_m}",
    "{先垫付|先拍下}{后返款|后返}，{安全|不封号}",
], topics=["兼职"], extras=["{money_talk}"], contact=0.8)
N("task_scam", [
    "!{小红书|知乎|豆瓣}{笔记|帖子}{代发|代写代发}，{每篇|一篇}{amt_xs}，{要|需}{被收录|能搜到}{才结|才算}",
    "!{账号|号}{越多|多}{接得越多|做得越多}",
    "{收录率|通过率}{#80-99}%{以上|}",
    "{文案|素材}我{提供|发你}，{复制粘贴|粘贴复制}就行",
], topics=["兼职", "发文"], extras=["{money_talk}", "{hype}"], contact=0.8)
N("task_scam", [
    "!{短视频|视频}{搬运|分发}{兼职|小活}：{抖音|视频号}{每条|一条}{amt_xs}，{快手|小红书}{每条|一条}{amt_xs}",
    "!{有号的|号多的}{来|私}",
    "{号多|多号}{的|}{优先|单价高}",
], topics=["代发"], extras=["{money_talk}"], contact=0.7)
N("task_scam", [
    "!{游戏|APP}试玩兼职",
    "!下载{注册|登录}{试玩|体验}{n_m}分钟得{amt_xs}",
    "{安卓|苹果}{都可以|均可}，{money_talk}",
], topics=["试玩", "兼职"], extras=["{hype}"], contact=0.8)
N("task_scam", [
    "!{高价|长期}收{微信|QQ|抖音}{号|老号}",
    "!{实名|老号}{一个|每个}{amt_s}，{秒结|当天结}",
    "{租号|出租}{每天|日}{amt_xs}，{不影响|不耽误}{使用|自己用}",
], topics=["收号"], extras=["{money_talk}"], contact=0.8)

# ---- loans ---------------------------------------------------------------------------------------------------------
N("loan", [
    "!{急用钱|资金周转|缺钱}？{$brand}{贷|借}",
    "!{额度|最高}{amt_l}，{日息|月息}{pct_s}",
    "{借{amt_l}|借一万}{每月|月}还{amt_m}",
    "{当天下款|秒批|三分钟到账}，{不看征信|无抵押|凭身份证}",
], topics=["借钱"], extras=["{hype}"], contact=0.7)
N("loan", [
    "!{农商行|城商行|银行}{经营贷|信用贷|装修贷}",
    "!{年化|利率}{pct_s}起，额度{amt_l}",
    "{公积金|社保|个税}{客户|缴纳满一年}{优先|可办}",
], register="official", topics=["贷款"], extras=["{money_talk}"], contact=0.7)
N("loan", [
    "!{网贷|信用卡}{逾期|还不上}？{协商|个性化}{还款|分期}{服务|咨询}",
    "!{停息挂账|延期还款|减免罚息}，{专业|律所}{团队|老师}{帮你|一对一}",
    "{最长|可分}{n_s}0期，{减免|少还}{pct}",
], topics=["负债", "上岸"], extras=["{hype}"], contact=0.7)

# ---- game ads (no gambling) -------------------------------------------------------------------------------------
N("game_ad", [
    "!{$game}{新服|公测|周年庆}{开启|火爆开启}",
    "!{登录|注册}{送|领}{n_m}{抽|连抽|元宝|钻石}，首充{双倍|返利{pct}}",
    "{爆率|掉率}{提升|上调}{pct}，{月卡|战令}{amt_s}",
    "{下载|预约}：{url}",
], topics=["手游"], contact=0.5)
N("game_ad", [
    "!{$game}{公会|战队|帮派}招人{，周末{pct}爆率|，首充{amt_xs}}",
    "!{要求|需要}{每日在线|活跃|等级{n_m}+}，{公会|团队}{福利|红包|副本带飞}",
    "{每周|周末}{团本|活动}{clock}{开|集合}",
    "{有意|想来}的{私|私我|密我}",
], register="life", topics=["游戏", "招人"], contact=0.5)
N("game_ad", [
    "!{$game}{渠道|发行}{代理|合作}招募",
    "!{手游|游戏}{联运|渠道}代理，{流水|充值}分成{pct}",
    "{首月|新渠道}{扶持|补贴}{amt_m}",
    "{有|自带}{流量|渠道|公会}{优先|的来}",
], topics=["游戏代理", "渠道"], extras=["{money_talk}"], contact=0.7)
N("game_ad", [
    "!{$game}{代练|陪练}{接单|工作室}",
    "!{上分|升段}{一星|一段}{amt_xs}，{包月|代肝}{amt_s}",
    "{不封号|安全}，{效率|速度}{快|高}",
], register="life", topics=["代练"], extras=["{hype}"], contact=0.7)

# ---- everyday posts with innocent 团队/下线/代理/收益 ----------------------------------------------------------------
N("everyday", [
    "!{今天|这周|又是}{我们团队|项目组|我们部门}{又|天天}加班到{#9-12}点",
    "!{累死了|好想放假|头发都要掉光了}{emo}",
    "{老板|领导}{说|承诺}{项目|季度}{收益|奖金}{不错|会发|有{amt_m}}{，希望是真的|}",
    "{年终奖|绩效}{听说|据说}{只有|才}{n_s}个月{工资|}",
], register="life", topics=["打工人", "加班"], extras=["{para_life}"], contact=0.0)
N("everyday", [
    "!{#1-9}号{生产线|产线|总装线}{今天|正式}下线{第|}{n_m}{万台|万辆|台}{新车|整车|设备}",
    "!{全员|团队}{庆祝|辛苦了}，{下一步|接下来}{冲刺|目标}{n_m}万",
    "{良品率|合格率}{达到|提升到}{#90-99}.{#0-9}%",
], register="official", topics=["制造业", "喜报"], extras=["{para_official}"], contact=0.0)
N("everyday", [
    "!{打游戏|王者|吃鸡}{队友|朋友}{突然|又}{下线了|掉线了}{，刚充的{amt_s}皮肤|}",
    "!{我|一个人}{emo}{一打五|被虐|输了}",
    "{胜率|段位}{又|直接}{掉了|跌到}{pct}",
], register="life", topics=["游戏", "日常"], contact=0.0)
N("everyday", [
    "!{帮忙|可以}代购{日本|韩国|香港}{化妆品|零食|奶粉}",
    "!{代购费|手续费}{pct}，{#7-15}天到",
    "{比国内|比专柜}{便宜|省}{amt_s}{左右|多}",
    "{需要的|有需要}{留言|私我}",
], shop=True, register="life", topics=["代购"], contact=0.6)
N("everyday", [
    "!{季度|本月|年度}{收益|营收}{汇报|复盘}：{部门|团队}{完成|达成}{pct_l}",
    "!{感谢|辛苦}{团队|大家}的{付出|努力}{emo}",
    "{营收|收入}{amt_l}，{同比|环比}{增长|提升}{pct}",
    "{下季度|明年}{继续|再接再厉}",
], register="official", topics=["工作"], contact=0.0)
N("everyday", [
    "!{公司|部门|团队}{团建|年会}{去了|在}{city}",
    "!{n_m}{人|个同事}{一起|}{爬山|烧烤|露营}，{开心|累并快乐}{emo}",
    "{人均|每人}{花了|AA}{amt_s}",
], register="life", topics=["团建", "日常"], extras=["{para_life}"], contact=0.0)
N("everyday", [
    "!{房子|车位|商铺}{出租|转让}：{city}{n_m}平",
    "!{月租|租金|转让费}{amt_m}，{拎包入住|随时看房|可短租}",
    "{押一付三|押一付一}，{中介费|物业费}{全免|另算}",
], register="life", topics=["租房"], contact=0.7)
N("everyday", [
    "!【家长群通知】{明天|下周一|{date}}{学校|班级}{开家长会|春游|体检}",
    "!{请|各位家长}{准时|提前}{到校|准备好}，{收到请回复|收到回复1}",
    "{费用|班费}{每人|}{amt_s}，{自愿|统一}{缴纳|交给班长}",
], register="official", topics=["家长群"], contact=0.0)
N("everyday", [
    "!{网店|淘宝店|小吃店}{开了|做了}{n_s}个月",
    "!{这个月|本月}{收益|营业额|利润}{amt_m}，{比上月|环比}{多了|少了}{pct}",
    "{继续|慢慢}{努力|加油}{emo}",
], register="life", topics=["小生意", "日常"], extras=["{para_life}"], contact=0.1)
N("everyday", [
    "!{手机|电脑}{电量|内存}{只剩|还剩}{pct}了",
    "!{出门|上班}{忘带|没带}{充电宝|充电器}{emo}",
], register="life", topics=["日常"], contact=0.0)
N("everyday", [
    "!{小区|楼下}{新开了|开了}{一家|个}{$brand}{超市|面馆|奶茶店}",
    "!{开业|这周}{全场|所有}{#7-9}折，{满{amt_s}|充值{amt_m}}{送|减}{amt_xs}",
    "{味道|东西}{还行|不错|一般}",
], register="life", topics=["探店", "日常"], contact=0.2)

# ---- online-MLM vocabulary in innocent or legal use (second round) ------------------------------------------------
N("job_ad", [
    "!{$brand}{家政|保洁|搬家|装卸|分拣|问卷调研}{兼职|临时工}，{一单一结|日结|做完就结}",
    "!{一单|一天|每小时}{amt_s}，{不收任何费用|不收押金|不交会费}",
    "{要求|条件}：{有手机|能吃苦|18-{#45-55}岁}{，男女不限|}",
    "{市场部|人事部}{统一|专人}对接，{新人|新手}{有老员工带|有扶持}",
    "{地址|集合地点}{city}",
], topics=["兼职", "日结"], extras=["{hype}", "{money_talk}"], contact=0.7)
N("game_ad", [
    "!{$game}{陪玩|代练|陪练}工作室{招|扩招}{陪玩师|打手|代练}",
    "!{保底|底薪}{amt_m}{+|加}{单价|一单}{amt_xs}，{一单一结|日结|周结}",
    "{不收押金|不收会费|不交任何费用}，{试音|试玩}{通过|合格}{就能|即可}{接单|上岗}",
    "{要求|需要}{段位|等级}{n_m}+{，声音好听优先|，每天在线{n_s}小时|}",
], register="life", topics=["陪玩", "代练"], extras=["{hype}"], contact=0.6)
N("referral_single", [
    "!{外卖|快递|打车|电影票}{红包|优惠券}{推广|CPS推广}{副业|小活}",
    "!{别人|朋友}{通过|用}你的{链接|二维码}{下单|领券下单}，你{拿|得}{pct}{佣金|返佣}",
    "{只有一级|只拿自己推广的佣金|就一级佣金}，{没有下级|不拉人头|不发展下线}，{不收费|不交钱}",
    "{佣金|收益}{平台|后台}{可查|结算}，{每月|次月}{提现|结算}",
], topics=["副业", "CPS"], extras=["{money_talk}"], contact=0.6)
N("referral_single", [
    "!{$brand}{老带新|推荐有礼}：推荐{一位|一人}{朋友|新客}{到店|办卡|报名}，{奖|送}{amt_s}{代金券|储值|课时}",
    "{被推荐人|新客}{也|同样}{送|享}{amt_xs}{红包|券}",
    "{不限次数|每月限{n_s}位}，{不用|无需}{交钱|充值}",
], shop=True, register="life", topics=["福利"], contact=0.4)
N("finance", [
    "!{链上|币圈}{快讯|早报|周报}：{$coin}{宣布|启动}{空投|质押挖矿|锁仓计划}",
    "!{据|根据}{项目方|官方}{公告|披露}，{锁仓|质押}{期|周期}{days}天，{年化|收益率}{浮动|约{pct}}",
    "{分析师|业内人士}{提示|认为}：{空投|挖矿}{项目|}{多|常}{伴随|存在}{钓鱼链接|抛压|高波动}",
    "{本文|以上}{不构成投资建议|仅为资讯}",
], register="official", topics=["币圈", "快讯"], extras=["{para_official}"], contact=0.0)
N("finance", [
    "!{新手|小白}{科普|入门}：{挖矿|质押|空投|锁仓}{到底|}是什么",
    "!{挖矿|PoW}{靠|是用}{矿机|算力}{记账|打包区块}{拿|获得}{奖励|区块奖励}，{质押|PoS}{是|则是}{锁定|锁仓}代币{参与|换取}{验证|共识}",
    "{凡是|只要}{承诺|号称}{保本|固定日化}的{挖矿|质押}，{多半|基本}{是|就是}资金盘",
    "{电费|币价}{波动|下跌}{时|的时候}{矿机|挖矿}{可能|会}{亏钱|回不了本}",
    "{存单|股票}质押{贷款|融资}{是|属于}{银行|券商}{正规|常见}业务，{和|跟}{币圈|链上}质押{不是一回事|两码事}",
], register="official", topics=["科普", "区块链"], extras=["{para_official}"], contact=0.0)
N("anti_mlm", [
    "!【{反诈|防骗}{课堂|提醒}】“{slogan}”“{slogan}”，{这些话|这些词}{一出现|听到}{就要|就该}{警惕|小心}",
    "!{所谓|号称}的{管道收益|终身分润|锁粉收益}，{靠的是|其实是}{不停拉人|下线交的钱}，{本质|说白了}{就是|是}{传销|资金盘}",
    "{新盘|新车}{发车|上车}{的群|的项目}{大多|往往}{几周|几个月}就{崩盘|跑路|关网}",
    "{零撸|白嫖}{项目|平台}{嘴上|说是}{不要钱|免费}，{最后|后面}{都会|总会}{要你|让你}{交钱|买单}{激活|提现}",
    "{遇到|发现}{请|可}{拨打|向}{96110|110|12315}{咨询|举报}",
], slots={"slogan": _w("管道收益 锁粉终身收益 躺赚下级收益 团队裂变 零撸 新盘上车 稳如磐石 随进随出 日化 邀请加速 全程免费 "
                        "早进早吃肉 伞下分润 小额会费包回本 0撸 终身不投一分钱 买单入局 央行授权 升级VIP")},
   channels=_NO_SHOP, register="official", topics=["反诈", "防骗"], extras=["{para_official}"], contact=0.1)
N("anti_mlm", [
    "!{同事|邻居|老同学|表哥}{拉我|喊我}{上车|进群}，{说是|号称}{新盘|零撸项目|锁粉项目}，{日化|每天}{pct_s}",
    "!{还说|又说}{拉人|推广}{有管道收益|能拿伞下分润|加速出局}，{我|我直接}{拒了|拉黑了|没理}",
    "{这不就是|一听就是}{资金盘|传销}{吗|嘛}{emo}",
], channels=_NO_SHOP, register="life", topics=["避雷", "防骗"], extras=["{para_life}"], contact=0.0)
N("direct_selling", [
    "!{$brand}（{持牌|有直销经营许可}）{服务网点|服务中心}{招募|招}{销售员|直销员}",
    "!{收入|报酬}只{按|来自}{本人|自己}{卖出的|零售的}产品{计算|算}，{顾客|客户}{复购|回购}也只算{本人|你自己}的{业绩|销售}",
    "{不设|没有}{层级|下线|团队计酬}，{不收|不交}{入门费|会费|押金}，{产品|货}{可退|七天可退}",
    "{培训|产品培训}{免费|不收费}",
], register="official", topics=["直销", "招募"], extras=["{para_official}", "{para_law}"])
N("franchise", [
    "!{$brand}{养生馆|足疗店|茶饮店|健康驿站}{合伙人|店长合伙人}{招募|计划}",
    "!{诚意金|意向金}{amt_m}{（可退）|，不合作全额退}，{加盟|签约}后{抵|转为}{加盟费|货款}",
    "{合伙人|股东}{按|凭}{出资比例|股份}{分|拿}{门店|本店}{利润|分红}，{账目|财务}{公开|透明}",
    "{会员|顾客}{复购率|回头率}{高|不错}，{单店|门店}{月利润|净利}{amt_m}{左右|起}",
], topics=["加盟", "合伙人"], extras=["{money_talk}"])
N("marketing", [
    "!{$brand}{社区团购|邻里团}{招|招募}{团长|小区团长}",
    "!{佣金|提成}按{团长自己|本人}{卖出|成交}的{订单|金额}{算|计}{pct}，{不交|没有}{加盟费|保证金|会费}",
    "{大团长|老团长}{带|教}{你|新团长}{建群|运营社群}，{不用|无需}{囤货|压货}",
    "{宝妈|店主|便利店}{优先|最适合}",
], shop=True, topics=["社区团购", "团长"], extras=["{money_talk}"], contact=0.6)
N("marketing", [
    "!{私域流量|私域运营|社群营销}{训练营|实战课|线上课}{第{n_s}期|开课|招生}",
    "!{学费|课程费}{amt_m}，{n_s}节{直播课|录播课}，{教|讲}{引流|社群运营|朋友圈文案|复购转化}",
    "{学完|结课}{考|拿}{私域运营师|社群运营师}{证书|结业证}",
    "{讲师|老师}{做过|操盘过}{n_m}个{品牌|门店}的私域",
    "{课程|我们}{不承诺收益|只教方法}，{不搞|不做}{拉人返佣|分销}",
], topics=["私域", "运营"], extras=["{para_promo}"], contact=0.6)
N("marketing", [
    "!{$brand}招聘{私域运营|社群运营|用户增长}{专员|主管}",
    "!{底薪|月薪}{amt_m}+{绩效|提成}，{五险一金|双休}",
    "{负责|工作内容}：{企业微信|社群}{日常维护|拉新促活}，{复购率|转化率}{考核|}",
    "{团队|部门}{n_s}0人，{市场部|运营中心}{统一|}管理",
], register="official", topics=["招聘", "私域"], contact=0.4)
N("marketing", [
    "!{团长|群主}{通知|提醒}：{今天|明天}{水果|蔬菜|鸡蛋|牛奶}{到货|截单}",
    "!{自提点|取货点}{在|}{city}{小区|}{n_m}号{门口|便利店}，{clock}前{来拿|取货}",
    "{团购价|今日价}{amt_xs}{一斤|一箱|一份}，{比超市|比菜场}{便宜|划算}",
    "{没到货|有问题}的{找我|私我}{退|补}",
], shop=True, register="life", topics=["团购", "日常"], contact=0.2)
N("everyday", [
    "!{slang_life}",
    "{slang_life}",
    "{emo}{emo}",
], slots={"slang_life": [
    "{开黑|五排|车队}{发车|上车}{了|啦}，还差{n_s}个{人|位置}",
    "{吃鸡|和平精英}{空投|空投箱}{落|砸}{在|到}我{脸上|旁边}了，{结果|然后}{被人抢了|成盒了}",
    "{我的世界|MC}{挖矿|挖了一晚上矿}，{终于|才}{挖到|找到}钻石",
    "{提|喜提}{新车|新车一辆}，{落地|落地价}{amt_l}",
    "{昨晚|今天}{比赛|小组赛}{出局|被淘汰}了，{明年|下次}再来",
    "{发|更}了条{动态|朋友圈}，{没人点赞|点赞{n_m}个}",
    "{拼车|顺风车}{明天|{date}}{clock}{发车|出发}，{上车点|在}{city}{南站|东站|}，{还有|剩}{n_s}个座",
    "{卡牌|奥特曼卡|球星卡}{拆包|开包}{出了|开出}{SSR|金卡|签字卡}",
    "{羊毛|撸毛}{日记|分享}：{某银行|{$brand}}{签到|做任务}{领|换}{amt_xs}{立减金|话费券}",
    "{二手书|旧书籍}{清仓|出}，{一本|每本}{amt_xs}，{city}{自取|同城}",
    "{公司|单位}{早上|今天}{要|得}{签到|打卡}，{晚了|迟到}{扣|罚}{amt_xs}",
    "{游戏|副本}{挂机|挂了一晚上}，{升了|涨了}{n_s}级",
    "{看剧|追剧}{要|得}先看{广告|{n_m}秒广告}，{开通会员|开个VIP}{又要|还要}{amt_xs}",
    "{体检|手环}{显示|测的}静态心率{#55-80}，{还行|正常}",
    "{物理课|高中物理}{讲|学}{核裂变|裂变和聚变}，{没听懂|听懵了}",
    "{领导|上下级}{关系|之间}{处不好|太难处}，{想|准备}{辞职|换工作}",
    "{集换式|宝可梦|三国杀}卡牌{到了|入坑}，{一盒|一包}{amt_xs}",
]}, register="life", topics=["日常"], contact=0.05)

N("finance", [
    "!{央行授权|中国人民银行授权}{全国银行间同业拆借中心|有关机构}{公布|发布}{最新|本月}{LPR|贷款市场报价利率}",
    "!{一年期|1年期}{为|是}{pct_s}，{五年期以上|5年期以上}{为|是}{pct_s}",
    "{房贷|存量房贷}{利率|月供}{将|会}{随之|跟着}{调整|变化}",
], register="official", topics=["财经", "利率"], extras=["{para_official}"], contact=0.0)
N("finance", [
    "!{新股|基金|{$brand}债券}{认购|申购}{提醒|开始}：{date}{起|开放}",
    "!{认购|申购}{起点|门槛}{amt_s}，{认购期|募集期}{n_s}天，{认购费率|费率}{pct_s}",
    "{以|请以}{招募说明书|公告}为准，{投资有风险|基金有风险}",
], register="official", topics=["基金", "认购"], extras=["{para_official}"], contact=0.2)
N("loan", [
    "!{银行|{$brand}}信用贷：{无需抵押|无需质押|不用抵押}，{凭|看}{公积金|社保|工资流水}",
    "!{年化|利率}{pct_s}起，{最高|额度}{amt_l}，{随借随还|按日计息}",
    "{具体|额度}以{审批|银行审批}为准",
], register="official", topics=["贷款"], contact=0.5)
N("referral_single", [
    "!{$brand}{会员日|店庆}：{开通会员|办会员卡|升级VIP}{首月|首年}{amt_xs}，{享|全场}{#8-9}折",
    "!{老会员|VIP}推荐一人奖{amt_s}{积分|代金券|储值}，{新会员|朋友}{也送|同享}{amt_xs}",
    "{一级奖励|只奖一次}，{没有|不设}{下级|层级}，{不用|无需}{交钱|入会费}",
], shop=True, register="life", topics=["会员", "福利"], contact=0.4)
N("job_ad", [
    "!{$brand}{内推|员工推荐}{计划|奖励}：{推荐|内推}{朋友|候选人}{入职|转正}",
    "!{成功|每}招到一个人{奖|发}{amt_m}{内推奖|推荐奖}，{转正后|入职满{n_s}个月}{发放|到账}",
    "{岗位|招聘岗位}：{销售|工程师|客服|团队长}{等|}{n_s}0个",
    "{不向候选人收费|候选人免费}，{公司|我们}{只招人|不做中介}",
], register="official", topics=["招聘", "内推"], extras=["{para_job}"], contact=0.3)
N("job_ad", [
    "!{地推|电销|门店}团队长招聘",
    "!{底薪|月薪}{amt_m}+{个人提成|绩效}，{带|管}{n_s}个人，{管理津贴|岗位补贴}{amt_s}",
    "{要求|条件}：{有销售经验|做过管理}{优先|}，{公司|总部}{统一|}{培训|扶持}",
    "{五险一金|双休|包住}",
], register="official", topics=["招聘"], extras=["{para_job}", "{money_talk}"], contact=0.5)
N("marketing", [
    "!{$brand}{是|作为}{抖音来客|微信支付|美团|本地生活}{官方|授权}服务商",
    "!{帮|为}{商户|门店}{开通|入驻|装修店铺}，{代运营|托管}{费|服务费}{amt_m}/月",
    "{佣金|费率}{按|以}{平台|官方}{规则|标准}{收取|执行}，{不搞|不做}{分销|拉人返佣}",
], register="official", topics=["服务商", "本地生活"], contact=0.5)
N("anti_mlm", [
    "!{警方|公安}{通报|提醒}：{某|一款}“{看广告|签到|挂机}{赚钱|领钱}”APP{涉嫌|被查}{传销|非法集资}",
    "!{该|此}APP{以|打着}{全程免费|零投入}{为名|为幌子}，{按|以}{下级|伞下}{人数|层级}{分润|计酬}，{号称|宣传}“{团队裂变|一次锁粉}{终身收益|月入过万}”",
    "{会员|参与者}{需|要}{拉满|推荐}{n_s}人{才能|方可}{出局|提现}，{动态收益|静态收益}{实际|其实}{来自|是}{新会员|后来人}的{钱|充值}",
    "{已有|涉及}{n_l}{余人|人}{参与|受骗}，{请|提醒}{大家|市民}{勿信|警惕}",
], channels=_NO_SHOP, register="official", topics=["反诈", "通报"], extras=["{para_official}", "{para_law}"], contact=0.0)

# ---- short chat messages (same scheme name and settings as the positives) ----------------------------------------
N("chat_short", ["!{J_one}", "{{不收费|不交钱|无押金}|{emo}}"], slots={"J_one": [
    "{兼职|临时工}{日结|一单一结}，{发传单|搬货|送水|保洁}{amt_s}{一天|/天}", "{周末|明天}{缺|招}{n_s}个{服务员|搬运工|促销}，{日结|当天结}{amt_s}",
    "{问卷|试吃|测评}{兼职|小活}，一单{amt_xs}{，做完就结|，一单一结}",
]}, **_SHORT_KW)
N("chat_short", ["!{R_one}", "{{链接|入口}{url}|{emo}}"], slots={"R_one": [
    "{$brand}邀请好友{得|领}{amt_xs}红包{，限一次|，新人专享|}", "{帮我|求}{点一下|助力}，{你我|咱俩}各得{amt_xs}",
    "{点|领}外卖红包，你下单我{拿|有}{amt_xs}{佣金|返佣}",
]}, **_SHORT_KW)
N("chat_short", ["!{G_one}"], slots={"G_one": [
    "{陪玩|代练}工作室{招人|缺人}，{保底|底薪}{amt_m}{，一单一结|，不收押金}", "{$game}代练{接单|在线}，{一星|一段}{amt_xs}",
    "{陪玩|声优}{招|缺}{n_s}个，{一小时|一单}{amt_xs}{，日结|}",
]}, **_SHORT_KW)
N("chat_short", ["!{A_one}"], slots={"A_one": [
    "{提醒|警惕}：{管道收益|锁粉|零撸|新盘上车|资金盘}{都是|就是}{骗局|传销套路}，{别信|别碰}",
    "{号称|说是}日化{pct_s}的{新盘|项目}，{别上车|别碰}", "{拉人头|交会费}才能赚的{都是|就是}传销{emo}",
]}, **_SHORT_KW)
N("chat_short", ["!{E_one}"], slots={"E_one": [
    "{开黑|五排}{发车|上车}了，{还差|缺}{n_s}个", "{空投|空投箱}砸{脸上|旁边}了{emo}", "{喜提|提了}新车，{落地|花了}{amt_l}",
    "{拼车|顺风车}{clock}发车，{还剩|剩}{n_s}座",
]}, **_SHORT_KW)
N("chat_short", ["!{S_one}", "{{私我|接龙}|{emo}}"], slots={"S_one": [
    "{团长|群主}通知：{今天|明天}{水果|鸡蛋}到货，{自提|取货}{clock}", "{社区团购|团购}{鸡蛋|牛奶}{amt_xs}{一板|一箱}，{接龙|下单}",
    "{大团长|团长}{今天|这周}{截单|开团}，{满|凑}{n_s}{单|份}{发货|送货}",
]}, **_SHORT_KW)
N("chat_short", ["!{M_one}"], slots={"M_one": [
    "{撸毛|羊毛}：{某银行|{$brand}}立减金{amt_xs}，{速度|冲}", "{签到|打卡}{n_s}天{领|换}{amt_xs}{话费|券}，{亲测|到账了}",
    "{白嫖|免费领}{会员|试用}{n_s}天，{记得|别忘}取消自动续费",
]}, **_SHORT_KW)
N("chat_short", ["!{D_one}"], slots={"D_one": [
    "{直销|{$brand}}{产品|{$product}}{官方价|零售价}{amt_s}，{只赚|只拿}自己卖的{提成|差价}", "{$product}{复购|回购}{第{n_s}次|了}，{官方价|不加价}{amt_s}",
    "{私域|社群}{运营|营销}{课|课程}{amt_m}，{只教方法|不搞分销}",
]}, **_SHORT_KW)

_FRONTS = _w(
    "消费返利 养老项目 数字货币 扶贫项目 原始股 互助盘 看广告赚钱 社交电商 健康产品 虚拟币挖矿 区块链 慈善基金 "
    "民族资产解冻 共享经济 数字人民币 元宇宙 新能源 文旅项目 游戏出海 挂机项目 零撸项目 锁粉分润 私域流量变现 "
    "鸿蒙支付 数字藏品 青铜书 看广告挂机 全程免费APP"
)
_POOLS["front"] = _FRONTS


# ---------------------------------------------------------------------------------------------------------------
# channel rendering (identical for both classes)
# ---------------------------------------------------------------------------------------------------------------
_SHORT_P = {"朋友圈": 0.25, "群聊": 0.4, "公众号": 0.0, "微博": 0.2, "短视频文案": 0.3, "电商": 0.2, "私聊": 0.6}
_JOIN_STYLES: dict[str, tuple[tuple[str, ...], ...]] = {
    # per channel: several joiner styles; each style is a tuple of boundary strings drawn per boundary
    "朋友圈": (("，", "。"), ("！",), ("{emo}",), ("\n",), ("", ""), ("～",), ("[em]",), ("✅",), (" ",)),
    "群聊": (("\n",), ("，", "。"), ("！",), ("{emo}",), ("\n{emo}",), ("", ""), ("👉",)),
    "微博": (("，", "。"), ("！",), ("{emo}",), (" ",), ("", ""), ("～",)),
    "短视频文案": (("\n",), (" ",), ("，",), ("{emo}",), ("！",)),
    "电商": ((" ",), ("｜",), ("，",), ("\n",), ("✅",), ("【】",)),
    "私聊": (("，",), (" ",), ("", ""), ("～",), ("。",), ("！",)),
}


def _join(parts: list[str], channel: str, ctx: _Ctx) -> str:
    rng = ctx.rng
    style = rng.choice(_JOIN_STYLES[channel])
    if style == ("【】",):
        return "".join(f"【{p}】" if i and len(p) < 14 else p for i, p in enumerate(parts))
    out = [parts[0]]
    for p in parts[1:]:
        sep = rng.choice(style)
        if sep == "[em]":
            sep = _em(rng)
        elif "{" in sep:
            sep = _expand(sep, ctx)
        out.append(sep)
        out.append(p)
    return "".join(out)


def _numbered(parts: list[str], rng: random.Random) -> list[str]:
    marks = rng.choice(("①②③④⑤⑥⑦⑧", "❶❷❸❹❺❻❼❽", "1234567890", "一二三四五六七八"))
    suffix = "." if marks[0] in "1一" and rng.random() < 0.6 else ("、" if marks[0] in "1一" else "")
    return [f"{marks[i % len(marks)]}{suffix}{p}" for i, p in enumerate(parts)]


_MEDIUM_LEN = {"朋友圈": (25, 230), "群聊": (20, 200), "微博": (25, 200), "短视频文案": (25, 170), "电商": (25, 170), "私聊": (12, 130)}
_SHORT_LEN = (6, 45)

Part = tuple  # (text, frozenset of elements expressed by the text)


def _expand_part(src: str, ctx: _Ctx) -> Part:
    ctx.trace = set()
    text = _expand(src, ctx)
    return text, frozenset(ctx.trace)


def _body_parts(tpl: Template, mode: str, ctx: _Ctx) -> list[Part]:
    rng = ctx.rng
    parts: list[Part] = []
    for s in tpl.segments:
        if s.startswith("!"):
            parts.append(_expand_part(s[1:], ctx))
        elif mode == "long" or (mode == "medium" and rng.random() < 0.65):
            parts.append(_expand_part(s, ctx))
    return [p for p in parts if p[0]]


def _shrink(parts: list[Part], target: int, label: int, rng: random.Random) -> list[Part]:
    """Drop segments until the post is about ``target`` long.  The head segment (which names the scheme or the
    topic) is kept, except that a positive may lose it while a recruiting (lart) or team-pay (team) sentence
    remains, which is recognisable on its own; a positive always keeps >= 1 element-bearing segment."""
    head = parts[0] if parts else None

    def valid(rest: list[Part]) -> bool:
        has_head = any(p is head for p in rest)
        if not label:
            return has_head
        has_elem = any(e for _, e in rest)
        self_contained = any(e & {"lart", "team"} for _, e in rest)
        return has_elem and (has_head or self_contained)

    parts = list(parts)
    while len(parts) > 1 and sum(len(t) for t, _ in parts) > target:
        cands = [i for i in range(len(parts)) if valid(parts[:i] + parts[i + 1 :])]
        if not cands:
            break
        plain = [i for i in cands if not parts[i][1]]
        del parts[rng.choice(plain or cands)]
    return parts


def _pad(parts: list[Part], tpl: Template, target: int, ctx: _Ctx) -> list[Part]:
    """Add sentences (template extras, its tail, its topical pools) until the post is about ``target`` long."""
    rng = ctx.rng
    extras = [e for e in tpl.extras if not e.startswith("{para_")]
    pools = [e[1:-1] for e in tpl.extras if e.startswith("{para_")]
    used: dict[str, list[int]] = {}
    total = sum(len(t) for t, _ in parts)
    seen = {t for t, _ in parts}
    tails = 2 if tpl.tail else 0
    for _ in range(8):
        if total >= target:
            break
        r = rng.random()
        if r < 0.3 and extras:
            part = _expand_part(extras.pop(rng.randrange(len(extras))), ctx)
        elif (r < 0.6 and tails) or not pools:
            if not tails:
                break
            tails -= 1
            part = _expand_part(tpl.tail, ctx)
        else:
            ctx.trace = set()
            txt = _draw_distinct(rng.choice(pools), ctx, used) or ""
            part = (txt.rstrip("。"), frozenset(ctx.trace))
        if len(part[0]) >= 2 and part[0] not in seen:
            parts.insert(rng.randint(1, len(parts)), part)
            seen.add(part[0])
            total += len(part[0])
    return parts


def _render(tpl: Template, channel: str, ctx: _Ctx) -> tuple[str, frozenset]:
    rng = ctx.rng
    if channel == "公众号":
        return _render_article(tpl, ctx)
    mode = "short" if rng.random() < (_SHORT_P[channel] if tpl.short is None else tpl.short) else "medium"
    parts = _body_parts(tpl, mode, ctx)
    if mode == "short":
        parts = _shrink(parts, rng.randint(*_SHORT_LEN), tpl.label, rng)
    else:
        parts = _pad(parts, tpl, rng.randint(*_MEDIUM_LEN[channel]), ctx)
    elements = frozenset().union(*(e for _, e in parts))
    texts = [t for t, _ in parts]
    if len(texts) > 2 and rng.random() < 0.12:
        texts = _numbered(texts, rng)
    ctx.trace = set()  # everything below is neutral
    body = _join(texts, channel, ctx)
    contact = _expand("{contact}", ctx) if rng.random() < tpl.contact_p else ""
    close = _expand("{close}", ctx)

    if channel == "朋友圈":
        pre = _deco(rng) if rng.random() < 0.4 else ""
        text = pre + body + close
        if contact:
            text += rng.choice(("", " ", "\n", "，", "👉")) + contact
        if rng.random() < 0.2:
            text += _deco(rng)
    elif channel == "群聊":
        pre = ""
        if rng.random() < 0.35:
            pre = _expand(
                "{@所有人 |@all |【通知】|【{$brand}】|{fam}，|群里的朋友注意了：|{emo}{emo}|【{topic}】}", ctx
            )
        text = pre + body + close + (rng.choice(("\n", " ", "，")) + contact if contact else "")
    elif channel == "微博":
        topics = tpl.topics or ("{topic}",)
        pre = ""
        if rng.random() < 0.1:
            pre = f"//@{_nick(rng)}:"
        if rng.random() < 0.5:
            pre += "#" + _expand(rng.choice(topics), ctx) + "# "
        text = pre + body + close
        if contact:
            text += " " + contact
        if rng.random() < 0.35:
            text += " #" + _expand(rng.choice(topics + ("{topic}",)), ctx) + "#"
        if rng.random() < 0.15:
            text += " @" + _nick(rng)
        if rng.random() < 0.12:
            text += " 🔗网页链接"
    elif channel == "短视频文案":
        pre = _expand("{看完这条视频的{你|朋友}，|刷到这条视频的，|{fam}，|{emo}}", ctx) if rng.random() < 0.3 else ""
        text = pre + body + close
        if contact:
            text += " " + contact
        elif rng.random() < 0.35:
            text += " " + _expand("{评论区扣1|点个关注|左下角了解|点赞收藏|关注不迷路}", ctx)
        if rng.random() < 0.7:
            tags = [_expand(rng.choice(tpl.topics + ("{topic}",)), ctx) for _ in range(rng.randint(1, 4))]
            text += " " + " ".join("#" + t for t in dict.fromkeys(tags))
    elif channel == "电商":
        title = _expand("【{$product}{|礼盒|套装|{#2-6}件套}】" if rng.random() < 0.7 else "{$product}", ctx)
        text = title + rng.choice((" ", "", "\n")) + body + close
        if rng.random() < 0.5:
            text += " " + _expand("{包邮|现货秒发|七天无理由|拍下备注|下单送小样|正品保障|量大从优}", ctx)
        if contact:
            text += " " + contact
    else:  # 私聊
        pre = _expand("{hi}{，|～| |！|}", ctx) if rng.random() < 0.6 else ""
        text = pre + body + close
        if contact and rng.random() < 0.6:
            text += rng.choice(("，", " ", "\n")) + contact
        if rng.random() < 0.4:
            text += _expand("{，|。| }{有兴趣吗|了解下不|做吗|来不来|考虑一下|回我一下|了解吗}{？|?|}", ctx)
    return text, elements


def _draw_distinct(pool: str, ctx: _Ctx, used: dict[str, list[int]]) -> str | None:
    """Expand an alternative of ``pool`` not yet used in this post (None when the pool is exhausted)."""
    alts = _lookup(pool, ctx.local)
    left = used.get(pool)
    if left is None:
        left = list(range(len(alts)))
        ctx.rng.shuffle(left)
        used[pool] = left
    if not left:
        return None
    return _expand(alts[left.pop()], ctx)


def _paragraph(pool: str, ctx: _Ctx, used: dict[str, list[int]]) -> str:
    sents = []
    for _ in range(ctx.rng.randint(1, 3)):
        s = _draw_distinct(pool, ctx, used)
        if s is None:
            break
        sents.append(s)
    return "".join(sents)


def _end(s: str, rng: random.Random) -> str:
    return s if s.endswith(("。", "！", "？", "）", "…")) or not s else s + rng.choice(("。", "。", "！"))


def _render_article(tpl: Template, ctx: _Ctx) -> tuple[str, frozenset]:
    """公众号 article: title, intro, the template body as paragraphs, then topical and register paragraphs (drawn
    without repetition) up to a target length of 300-1500 characters."""
    rng = ctx.rng
    target = rng.randint(300, 1500)
    reg_pool = "para_" + tpl.register
    used: dict[str, list[int]] = {}
    body = _body_parts(tpl, "long", ctx)
    extras = [e for e in tpl.extras if not e.startswith("{para_")]
    rng.shuffle(extras)
    body += [p for p in (_expand_part(e, ctx) for e in extras[: rng.randint(0, len(extras))]) if p[0]]
    elements = frozenset().union(*(e for _, e in body))
    ctx.trace = set()  # everything below is neutral
    title_src = tpl.title if (tpl.title and rng.random() < 0.6) else "{title_" + tpl.register + "}"
    title = _expand(title_src, ctx)
    intro = _paragraph(reg_pool, ctx, used)
    sentences = [t for t, _ in body]
    paras: list[str] = []
    i = 0
    while i < len(sentences):
        k = rng.randint(1, 3)
        paras.append(_end(rng.choice(("，", "。", "；")).join(sentences[i : i + k]), rng))
        i += k

    pools = [e[1:-1] for e in tpl.extras if e.startswith("{para_")] + [reg_pool]
    weights = [3.0] * (len(pools) - 1) + [2.0]
    pools.append("para_life" if tpl.register != "life" else "para_promo")
    weights.append(0.7)
    head = rng.choice(("", "【", "《"))
    closer = {"": "", "【": "】", "《": "》"}[head]
    contact = _expand("{contact}", ctx) if rng.random() < tpl.contact_p + 0.1 else ""
    outro = ""
    if rng.random() < 0.4:
        outro = _expand("{{点击|长按}{下方|}{二维码|阅读原文}{关注|了解更多}|{喜欢|觉得有用}{就|请}{点个在看|转发}|{emo}{emo}{emo}}", ctx)
    # low: length with one-character separators (reaches the target); high: with two (stays under 1500)
    low = len(head + title + closer) + 1 + len(intro) + sum(len(p) + 1 for p in paras) + len(contact) + len(outro) + 2
    high = low + len(paras) + 3
    before: list[str] = []
    after: list[str] = []
    while low < target and pools:
        j = rng.choices(range(len(pools)), weights=weights)[0]
        para = _paragraph(pools[j], ctx, used)
        if not para:
            del pools[j], weights[j]
            continue
        if high + len(para) + 2 > 1500:
            break
        (before if rng.random() < 0.15 else after).append(para)
        low += len(para) + 1
        high += len(para) + 2
    sep = rng.choice(("\n\n", "\n", "\n\n"))
    paras = [intro] + before + paras + after + [contact, outro]
    return head + title + closer + "\n" + sep.join(p for p in paras if p), elements


# ---------------------------------------------------------------------------------------------------------------
# evasive spellings (both classes)
# ---------------------------------------------------------------------------------------------------------------
_HOMO: dict[str, tuple[str, ...]] = {
    "加微信": ("加V", "伽薇", "➕V", "+v", "加薇", "➕薇", "加威"),
    "微信": ("薇信", "威信", "威芯", "V信", "vx", "卫星", "徽信", "wx"),
    "加我": ("伽我", "➕我", "+我", "家我"),
    "赚钱": ("赚米", "攒米", "挣米", "搞米", "赚💰", "zq", "賺錢"),
    "收益": ("收易", "收yi", "收溢", "收.益"),
    "提现": ("提线", "提米", "t现", "提.现"),
    "下线": ("下綫", "下xian", "下.线"),
    "团队": ("団队", "tuan队", "团d"),
    "代理": ("代l", "待理", "dl"),
    "红包": ("🧧", "红bao", "hb", "红.包"),
    "抖音": ("唞音", "抖硬", "dy", "斗音"),
    "快手": ("筷手", "筷兽", "ks"),
    "支付宝": ("zfb", "支付bao"),
    "银行卡": ("银行咖", "yhk"),
    "到账": ("到张", "到帐"),
    "投资": ("投zi", "头资", "投.资"),
    "注册": ("zhu册", "註册", "注.册"),
    "传销": ("传xiao", "串销", "CX"),
    "返利": ("反利", "返li"),
    "佣金": ("拥金", "yj", "佣jin"),
    "分红": ("分洪", "fh"),
    "兼职": ("兼z", "尖职", "jz"),
    "平台": ("平tai", "坪台"),
    "项目": ("项木", "xm", "向目"),
    "人民币": ("人民市", "rmb"),
    "韭菜": ("韮菜", "jc"),
    "推广": ("推guang", "推廣"),
    "扫码": ("扫ma", "扫🐎"),
    "挂机": ("挂🐔", "挂ji"),
    "躺赚": ("躺zhuan", "躺攒"),
    "日入": ("日茹", "日ru"),
    "拉人": ("la人", "拉ren"),
    "直推": ("直tui", "值推"),
    "会员": ("会yuan", "绘员"),
    "招聘": ("招pin", "招娉"),
    "理财": ("理cai", "李财"),
    "锁粉": ("锁fen", "所粉", "🔒粉"),
    "零撸": ("0撸", "0lu", "零lu"),
    "上车": ("上che", "上🚗", "尚车"),
    "管道": ("管dao", "筦道"),
    "人头": ("人t", "人🧑"),
    "会费": ("会fei", "绘费"),
    "裂变": ("裂bian", "列变"),
    "钱": ("米", "💰", "钞", "qian"),
}
_HOMO_RE = re.compile("|".join(sorted(map(re.escape, _HOMO), key=len, reverse=True)))
_UNIT_RE = re.compile(r"(?<=\d)(元|万)")
_UNIT_VARIANTS = {"元": ("圆", "r", "米", "块", "園"), "万": ("w", "W", "萬", "个w")}
_SENSITIVE = tuple(k for k in _HOMO if len(k) >= 2) + (
    "返佣", "入会", "加盟", "基金", "激活", "静态", "动态", "矿机", "原始股", "复投", "链接", "邀请码", "奖励", "提成",
    "分润", "月入", "日结", "保证金", "押金", "会费", "代理商", "升级", "礼包", "认购", "优惠券", "下载", "实名",
    "锁粉", "管道", "裂变", "空投", "质押", "伞下", "团长", "出局", "人头", "锁仓", "诚意金",
)
_SENS_RE = re.compile("|".join(sorted(map(re.escape, _SENSITIVE), key=len, reverse=True)))
_SEPARATORS = (".", "*", " ", "|", "·", "-", "_", "/", "、", "~")
_ZW = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202c")
_TRAD_FALLBACK = dict(
    zip(
        "这钱团队线会员费现红发级请说赚项币资质还进过门们时间买卖给对经结价转让广东长单条联系为实点样钟头运营",
        "這錢團隊線會員費現紅發級請說賺項幣資質還進過門們時間買賣給對經結價轉讓廣東長單條聯係為實點樣鐘頭運營",
    )
)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _ev_separator(text: str, rng: random.Random) -> str:
    seps = [rng.choice(_SEPARATORS)]
    if rng.random() < 0.3:
        seps.append(rng.choice(_EMOJI))
    if rng.random() < 0.15:
        seps.append(_em(rng))
    p = rng.uniform(0.5, 0.95)

    def sub(m: re.Match) -> str:
        w = m.group(0)
        if rng.random() > p:
            return w
        cut = rng.randint(1, len(w) - 1)
        return w[:cut] + rng.choice(seps) + w[cut:]

    out = _SENS_RE.sub(sub, text)
    if out == text:  # nothing sensitive: break a few random CJK bigrams
        chars = list(text)
        idx = [i for i in range(1, len(chars)) if _is_cjk(chars[i]) and _is_cjk(chars[i - 1])]
        for i in sorted(rng.sample(idx, min(len(idx), rng.randint(2, 6))), reverse=True):
            chars.insert(i, rng.choice(seps))
        out = "".join(chars)
    return out


def _ev_homophone(text: str, rng: random.Random) -> str:
    p = rng.uniform(0.5, 0.95)

    def sub(m: re.Match) -> str:
        w = m.group(0)
        return rng.choice(_HOMO[w]) if rng.random() < p else w

    out = _HOMO_RE.sub(sub, text)
    out = _UNIT_RE.sub(lambda m: rng.choice(_UNIT_VARIANTS[m.group(1)]) if rng.random() < p else m.group(1), out)
    return out


def _ev_fullwidth(text: str, rng: random.Random) -> str:
    p = 1.0 if rng.random() < 0.6 else rng.uniform(0.4, 0.9)
    out = []
    for ch in text:
        o = ord(ch)
        if 0x21 <= o <= 0x7E and rng.random() < p:
            out.append(chr(o + 0xFEE0))
        elif ch == " " and rng.random() < p:
            out.append("\u3000")
        else:
            out.append(ch)
    return "".join(out)


def _ev_zerowidth(text: str, rng: random.Random) -> str:
    zw = rng.choice(_ZW) if rng.random() < 0.7 else None
    p = rng.uniform(0.08, 0.35)
    out = []
    for i, ch in enumerate(text):
        out.append(ch)
        if i + 1 < len(text) and _is_cjk(ch) and rng.random() < p:
            out.append(zw or rng.choice(_ZW))
    res = "".join(out)
    if res == text and len(text) > 1:
        k = rng.randint(1, len(text) - 1)
        res = text[:k] + (zw or _ZW[0]) + text[k:]
    return res


class _Traditional:
    """Lazy s2t converter (OpenCC when installed, a small built-in table otherwise)."""

    def __init__(self) -> None:
        self._conv = None
        self._tried = False

    def __call__(self, text: str, rng: random.Random) -> str:
        if not self._tried:
            self._tried = True
            try:
                import opencc  # type: ignore

                for cfg in ("s2t", "s2t.json"):
                    try:
                        self._conv = opencc.OpenCC(cfg)
                        break
                    except Exception:  # pragma: no cover - depends on the installed OpenCC build
                        continue
            except ImportError:  # pragma: no cover
                self._conv = None
        if self._conv is not None:
            return self._conv.convert(text)
        return "".join(_TRAD_FALLBACK.get(ch, ch) for ch in text)  # pragma: no cover


def _evade(text: str, rng: random.Random, trad: _Traditional) -> tuple[str, str]:
    kinds = [rng.choices(EVASIONS, weights=_EVASION_WEIGHTS)[0]]
    if rng.random() < 0.25:
        second = rng.choices(EVASIONS, weights=_EVASION_WEIGHTS)[0]
        if second not in kinds:
            kinds.append(second)
    # fixed application order keeps combinations meaningful (e.g. homophones before separators)
    order = ("homophone", "traditional", "separator", "fullwidth", "zerowidth")
    applied = []
    out = text
    for kind in order:
        if kind not in kinds:
            continue
        new = _apply_evasion(kind, out, rng, trad)
        if new != out:
            applied.append(kind)
            out = new
    if not applied:  # nothing to change for the drawn kind(s): fall back to ones that always apply
        for kind in ("separator", "zerowidth"):
            new = _apply_evasion(kind, out, rng, trad)
            if new != out:
                applied.append(kind)
                out = new
                break
    return out, "+".join(applied)


def _apply_evasion(kind: str, text: str, rng: random.Random, trad: _Traditional) -> str:
    if kind == "separator":
        return _ev_separator(text, rng)
    if kind == "homophone":
        return _ev_homophone(text, rng)
    if kind == "traditional":
        return trad(text, rng)
    if kind == "fullwidth":
        return _ev_fullwidth(text, rng)
    return _ev_zerowidth(text, rng)


# ---------------------------------------------------------------------------------------------------------------
# validation and public API
# ---------------------------------------------------------------------------------------------------------------
def templates(label: int | None = None) -> list[Template]:
    """All templates (optionally of one class), in definition order."""
    return [t for t in _TEMPLATES if label is None or t.label == label]


def _refs(s: str) -> list[str]:
    found: list[str] = []

    def walk(nodes: list) -> None:
        for node in nodes:
            if type(node) is str:
                continue
            if node[0] == "s":
                found.append(node[1])
            elif node[0] in ("a", "o"):
                for seq in node[1]:
                    if type(seq) is not str:
                        walk(seq)

    walk(_parse(s))
    return found


def _reachable_elements(s: str, local: dict, seen: set[str] | None = None) -> set[str]:
    seen = set() if seen is None else seen
    out: set[str] = set()
    for name in _refs(s):
        out.update(_slot_tags(name))
        if name in seen:
            continue
        seen.add(name)
        src = _lookup(name, local)
        if not callable(src):
            for alt in src:
                out |= _reachable_elements(alt, local, seen)
    return out


_WORD = re.compile(r"[A-Za-z_]{3,}")


def _literal_slot_names(s: str) -> list[str]:
    """Slot names written as plain text by mistake (e.g. ``{大几千|amt_m}`` instead of ``{大几千|{amt_m}}``)."""
    bad: list[str] = []

    def walk(seq) -> None:
        if type(seq) is str:
            bad.extend(w for w in _WORD.findall(seq) if w in _POOLS or w in _GENERATORS)
            return
        for node in seq:
            if type(node) is str:
                walk(node)
            elif node[0] in ("a", "o"):
                for alt in node[1]:
                    walk(alt)

    walk(_parse(s))
    return bad


def validate_templates() -> None:
    """Static checks: slots resolve; no slot name is written as literal text; neutral pools never reach element
    slots; negatives use no element slot; every positive template has an element slot at the top level of a core
    segment."""
    every = [alt for pool in _POOLS.values() for alt in pool]
    every += [alt for t in _TEMPLATES for pool in t.slots.values() for alt in pool]
    every += [s.lstrip("!") for t in _TEMPLATES for s in t.segments + t.extras + ((t.title,) if t.title else ())]
    for s in every:
        bad = _literal_slot_names(s)
        if bad:
            raise ValueError(f"slot name(s) {bad} written as literal text in {s!r}")
    for name, pool in _POOLS.items():
        if not _slot_tags(name):
            for alt in pool:
                if _reachable_elements(alt, {}):
                    raise ValueError(f"neutral pool {name!r} reaches an element slot: {alt!r}")
    for name, pool in [(n, p) for t in _TEMPLATES for n, p in t.slots.items()]:
        if not _slot_tags(name):
            for alt in pool:
                if any(_slot_tags(r) for r in _refs(alt)):
                    raise ValueError(f"neutral local slot {name!r} uses an element slot: {alt!r}")
    for t in _TEMPLATES:
        texts = list(t.segments) + list(t.extras) + ([t.title] if t.title else [])
        elems: set[str] = set()
        for s in texts:
            elems |= _reachable_elements(s.lstrip("!"), t.slots)
        if t.label == 0 and elems:
            raise ValueError(f"negative template {t.group} reaches elements {sorted(elems)}")
        if t.label == 1:
            core_top = set()
            for s in t.segments:
                if s.startswith("!"):
                    for node in _parse(s[1:]):
                        if type(node) is not str and node[0] == "s":
                            core_top.update(node[3])
            if not core_top:
                raise ValueError(f"positive template {t.group} has no element slot in a core segment")
        if not set(t.channels) <= set(CHANNELS):
            raise ValueError(f"template {t.group} has unknown channels")


def _tidy(text: str) -> str:
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r"([，。！])\1+", r"\1", text)
    text = re.sub(r"[，。]([！？!?])", r"\1", text)
    return text.strip()


def generate(
    n: int, *, seed: int = 0, positive_fraction: float = 0.5, evasion_fraction: float = 0.3
) -> list[SyntheticPost]:
    """Generate ``n`` synthetic posts; the same arguments always give the same list."""
    if n < 0:
        raise ValueError("n must be >= 0")
    if not 0.0 <= positive_fraction <= 1.0 or not 0.0 <= evasion_fraction <= 1.0:
        raise ValueError("fractions must be in [0, 1]")
    rng = random.Random(seed)
    n_pos = round(n * positive_fraction)
    labels = [1] * n_pos + [0] * (n - n_pos)
    rng.shuffle(labels)
    by_class: dict[int, dict[str, list[Template]]] = {0: {}, 1: {}}
    for t in _TEMPLATES:
        by_class[t.label].setdefault(t.scheme, []).append(t)
    schemes = {c: list(d) for c, d in by_class.items()}
    trad = _Traditional()
    posts: list[SyntheticPost] = []
    for label in labels:
        scheme = rng.choice(schemes[label])
        tpl = rng.choice(by_class[label][scheme])
        channel = rng.choices(tpl.channels, weights=[_CHANNEL_WEIGHTS[c] for c in tpl.channels])[0]
        ctx = _Ctx(rng, tpl.slots)
        text, found = _render(tpl, channel, ctx)
        text = _tidy(text)
        elements = tuple(e for e in ELEMENTS if e in found)
        if label == 1 and not elements:  # pragma: no cover - guarded by validate_templates
            raise RuntimeError(f"positive post without elements from {tpl.group}")
        if label == 0 and elements:  # pragma: no cover - guarded by validate_templates
            raise RuntimeError(f"negative post with elements from {tpl.group}")
        evasion = None
        if rng.random() < evasion_fraction:
            text, evasion = _evade(text, rng, trad)
        posts.append(
            SyntheticPost(
                text=text,
                label=label,
                elements=elements,
                scheme=scheme,
                channel=channel,
                group=tpl.group,
                evasion=evasion,
            )
        )
    return posts


validate_templates()
