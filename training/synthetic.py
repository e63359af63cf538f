"""Deterministic generator of synthetic Chinese platform posts.

Writes synthetic POSITIVES (pyramid-scheme / 传销 promotion) and synthetic HARD NEGATIVES (legal 直销, 招商加盟,
single-level referral, job ads, anti-MLM warnings and news, finance, e-commerce, task scams, loans, game ads,
everyday posts, 社区团购 / 私域 marketing; one-line chat messages in both classes) with ONE machinery: the same channels, length modes, joiners, emoji, contact hints, money formats,
slang and evasive spellings.  Only the legal content differs, so writing style cannot separate the classes.

The content lives in data files, not in this module (docs/synthetic_data.md): ``data/synthetic/templates.json``
(the template skeletons), ``pools.json`` (the global slot pools), ``config.json`` (channels and their weights,
lengths, evasion weights, per-scheme topical pools and tails, the slot generators by function name, channel
frames), ``lexicon.json`` (word lists of the generator functions) and ``evasions.json`` (homophones, sensitive
words, separators).  They are read once (``_load``); this module keeps the machinery: the slot-language parser and
expander, the generator functions, element tagging, rendering, evasions and validation.

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

import functools
import json
import random
import re
from dataclasses import dataclass
from typing import Callable

from mlmrisk.resources import data_path

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

# the data files of data/synthetic/, in the order they are described in docs/synthetic_data.md
_DATA_FILES = ("templates", "pools", "config", "lexicon", "evasions")


@functools.lru_cache(maxsize=None)
def _load() -> dict[str, dict]:
    """The data files of ``data/synthetic/`` (read once per process)."""
    out = {}
    for name in _DATA_FILES:
        with open(data_path("synthetic", f"{name}.json"), encoding="utf-8") as f:
            out[name] = json.load(f)
    return out


_CONFIG = _load()["config"]
_LEX = _load()["lexicon"]

ELEMENTS: tuple[str, ...] = ("lart", "fee", "team", "ponzi")
_TAG_TO_ELEMENT = {"L": "lart", "F": "fee", "T": "team", "P": "ponzi"}
CHANNELS: tuple[str, ...] = tuple(_CONFIG["channels"])
_CHANNEL_WEIGHTS = {c: spec["weight"] for c, spec in _CONFIG["channels"].items()}
EVASIONS: tuple[str, ...] = tuple(_CONFIG["evasions"])
_EVASION_WEIGHTS = tuple(_CONFIG["evasions"].values())
_FRAMES = _CONFIG["frames"]


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


_MONEY = _LEX["money"]


def _money_str(rng: random.Random, v: int) -> str:
    r = rng.random()
    if v >= 10000 and r < 0.55 and v % 1000 == 0:
        w = f"{v / 10000:g}"
        return w + rng.choice(_MONEY["wan_units"])
    if v >= 1000 and r < 0.12 and v % 100 == 0:
        return f"{v / 1000:g}" + rng.choice(_MONEY["thousand_units"])
    if r < 0.2 and v < 100000 and (v < 100 or v % 100 == 0):
        return _cn_small(v) + rng.choice(_MONEY["chinese_units"])
    unit = rng.choice(_MONEY["units"])
    pre = rng.choice(_MONEY["currency_signs"]) if (unit in _MONEY["units_taking_sign"] and rng.random() < 0.6) else ""
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


_TLDS = tuple(_LEX["tlds"])


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


_EMOJI = _LEX["emoji"]
_EMX = _LEX["emx"]


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


_SYL_A = _LEX["brand"]["first"]  # strings of single characters: rng.choice draws one character
_SYL_B = _LEX["brand"]["second"]
_BRAND_SUFFIX = _LEX["brand"]["suffixes"]


def _brand(rng: random.Random) -> str:
    a = rng.choice(_SYL_A)
    b = rng.choice(_SYL_B)
    mid = rng.choice(_SYL_A) if rng.random() < 0.3 else ""
    return a + mid + b + rng.choice(_BRAND_SUFFIX)


_COIN = _LEX["coin"]


def _coin(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "".join(rng.choice(_COIN["letters"]) for _ in range(rng.randint(2, 4))) + rng.choice(
            _COIN["letter_suffixes"]
        )
    return rng.choice(_SYL_A) + rng.choice(_SYL_B) + rng.choice(_COIN["word_suffixes"])


def _game(rng: random.Random) -> str:
    return rng.choice(_SYL_A) + rng.choice(_LEX["game"]["middle"]) + rng.choice(_LEX["game"]["suffixes"])


def _nick(rng: random.Random) -> str:
    k = rng.random()
    if k < 0.4:
        nick = _LEX["nick"]
        return rng.choice(nick["prefixes"]) + rng.choice(nick["middle"]) + rng.choice(nick["suffixes"])
    if k < 0.7:
        return rng.choice(_SYL_A) + rng.choice(_SYL_B) + str(rng.randint(1, 999))
    return "".join(rng.choice(_ALNUM) for _ in range(rng.randint(4, 9)))


def _date(rng: random.Random) -> str:
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice((f"{m}月{d}日", f"{m}月{d}号", f"{m}.{d}", f"{m}/{d}"))


def _clock(rng: random.Random) -> str:
    h = rng.randint(7, 22)
    return rng.choice((f"{h}点", f"{h}:00", f"{h}:30", f"晚上{h - 12 if h > 12 else h}点"))



# generator functions by the name config.json's "generators" table uses: name -> factory(**arguments)
_GENERATOR_FUNCTIONS: dict[str, Callable[..., Callable[[random.Random], str]]] = {
    "money": lambda lo, hi, steps: _amt(lo, hi, tuple(steps)),
    "percent": _pct,
    "integer": _int,
    **{
        f.__name__.lstrip("_"): (lambda f=f: f)
        for f in (
            _wxid, _phone, _qq, _code, _url, _host, _em, _emo, _emx, _deco, _brand, _coin, _game, _nick, _date, _clock
        )
    },
}


def _make_generator(name: str, spec: dict) -> Callable[[random.Random], str]:
    args = {k: v for k, v in spec.items() if k != "fn"}
    factory = _GENERATOR_FUNCTIONS.get(spec["fn"])
    if factory is None:
        raise ValueError(f"generator {name!r}: unknown function {spec['fn']!r}")
    return factory(**args)


_GENERATORS: dict[str, Callable[[random.Random], str]] = {
    name: _make_generator(name, spec) for name, spec in _CONFIG["generators"].items()
}


# ---------------------------------------------------------------------------------------------------------------
# global pools (data/synthetic/pools.json).  Lower-case names are neutral (shared by both classes); names with an
# L/F/T/P prefix are element pools and may only be reached from positive templates.
# ---------------------------------------------------------------------------------------------------------------
def _load_pools() -> dict[str, list[str]]:
    pools: dict[str, list[str]] = {}
    for group in _load()["pools"]["groups"]:
        for name, alts in group["pools"].items():
            if name in pools or name in _GENERATORS:
                raise ValueError(f"pool {name!r} defined twice")
            if not isinstance(alts, list) or not all(isinstance(a, str) for a in alts) or not alts:
                raise ValueError(f"pool {name!r} must be a non-empty list of strings")
            pools[name] = alts
    return pools


_POOLS: dict[str, list[str]] = _load_pools()


# ---------------------------------------------------------------------------------------------------------------
# templates (data/synthetic/templates.json)
# ---------------------------------------------------------------------------------------------------------------
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


_TEMPLATE_KEYS = {
    "id", "scheme", "label", "preset", "segments", "slots", "channels", "shop", "register", "topics", "extras",
    "contact", "title", "tail", "short",
}  # fmt: skip


def _load_templates() -> list[Template]:
    """Templates in file order.  Defaults: channels all but 电商 (all with ``shop``), register ``promo``, contact
    0.5; the scheme's topical pools (config.json) are appended to the extras; the tail defaults to the scheme's
    tail, else the promo tail for the promo register."""
    data = _load()["templates"]
    schemes = _CONFIG["schemes"]
    no_shop = tuple(c for c in CHANNELS if c != "电商")
    out: list[Template] = []
    counters: dict[tuple[int, str], int] = {}
    for section in data["sections"]:
        for entry in section["templates"]:
            unknown = set(entry) - _TEMPLATE_KEYS
            if unknown:
                raise ValueError(f"template {entry.get('id')}: unknown keys {sorted(unknown)}")
            kw = dict(data["presets"][entry["preset"]]) if "preset" in entry else {}
            kw.update({k: v for k, v in entry.items() if k not in ("id", "scheme", "label", "preset", "segments")})
            label, scheme = entry["label"], entry["scheme"]
            idx = counters.get((label, scheme), 0)
            counters[(label, scheme)] = idx + 1
            register = kw.get("register", "promo")
            channels = kw.get("channels")
            if channels is None:
                channels = CHANNELS if kw.get("shop", False) else no_shop
            extras = tuple(kw.get("extras", ()))
            extras += tuple("{" + p + "}" for p in schemes[scheme]["paras"] if "{" + p + "}" not in extras)
            tail = kw.get("tail")
            if tail is None:
                tail = schemes[scheme].get("tail", _CONFIG["default_tail"]["promo" if register == "promo" else "other"])
            tpl = Template(
                scheme=scheme,
                label=label,
                index=idx,
                segments=tuple(entry["segments"]),
                slots=dict(kw.get("slots") or {}),
                channels=tuple(channels),
                register=register,
                topics=tuple(kw.get("topics", ())),
                extras=extras,
                contact_p=kw.get("contact", 0.5),
                title=kw.get("title"),
                tail=tail,
                short=kw.get("short"),
            )
            if entry["id"] != tpl.group:
                raise ValueError(f"template id {entry['id']!r} does not match its position ({tpl.group!r})")
            out.append(tpl)
    return out


_TEMPLATES: list[Template] = _load_templates()


# ---------------------------------------------------------------------------------------------------------------
# channel rendering (identical for both classes)
# ---------------------------------------------------------------------------------------------------------------
_SHORT_P = {c: spec["short_p"] for c, spec in _CONFIG["channels"].items()}
# per channel: several joiner styles; each style is a tuple of boundary strings drawn per boundary
_JOIN_STYLES: dict[str, tuple[tuple[str, ...], ...]] = {
    c: tuple(tuple(style) for style in spec["joiners"]) for c, spec in _CONFIG["channels"].items() if "joiners" in spec
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
    marks = rng.choice(_FRAMES["numbered_marks"])
    suffix = "." if marks[0] in "1一" and rng.random() < 0.6 else ("、" if marks[0] in "1一" else "")
    return [f"{marks[i % len(marks)]}{suffix}{p}" for i, p in enumerate(parts)]


_MEDIUM_LEN = {c: tuple(spec["medium_len"]) for c, spec in _CONFIG["channels"].items() if "medium_len" in spec}
_SHORT_LEN = tuple(_CONFIG["short_len"])
_ARTICLE_LEN = tuple(_CONFIG["article_len"])

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
            text += rng.choice(_FRAMES["moments_contact_sep"]) + contact
        if rng.random() < 0.2:
            text += _deco(rng)
    elif channel == "群聊":
        pre = ""
        if rng.random() < 0.35:
            pre = _expand(_FRAMES["group_prefix"], ctx)
        text = pre + body + close + (rng.choice(_FRAMES["group_contact_sep"]) + contact if contact else "")
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
            text += _FRAMES["weibo_link"]
    elif channel == "短视频文案":
        pre = _expand(_FRAMES["video_prefix"], ctx) if rng.random() < 0.3 else ""
        text = pre + body + close
        if contact:
            text += " " + contact
        elif rng.random() < 0.35:
            text += " " + _expand(_FRAMES["video_call"], ctx)
        if rng.random() < 0.7:
            tags = [_expand(rng.choice(tpl.topics + ("{topic}",)), ctx) for _ in range(rng.randint(1, 4))]
            text += " " + " ".join("#" + t for t in dict.fromkeys(tags))
    elif channel == "电商":
        title = _expand(_FRAMES["shop_title"] if rng.random() < 0.7 else _FRAMES["shop_title_plain"], ctx)
        text = title + rng.choice(_FRAMES["shop_title_sep"]) + body + close
        if rng.random() < 0.5:
            text += " " + _expand(_FRAMES["shop_badge"], ctx)
        if contact:
            text += " " + contact
    else:  # 私聊
        pre = _expand(_FRAMES["private_greeting"], ctx) if rng.random() < 0.6 else ""
        text = pre + body + close
        if contact and rng.random() < 0.6:
            text += rng.choice(_FRAMES["private_contact_sep"]) + contact
        if rng.random() < 0.4:
            text += _expand(_FRAMES["private_question"], ctx)
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


_SENTENCE_ENDS = tuple(_FRAMES["sentence_ends"])
_ARTICLE_HEADS = tuple(_FRAMES["article_heads"])


def _end(s: str, rng: random.Random) -> str:
    return s if s.endswith(_SENTENCE_ENDS) or not s else s + rng.choice(_FRAMES["sentence_end_added"])


def _render_article(tpl: Template, ctx: _Ctx) -> tuple[str, frozenset]:
    """公众号 article: title, intro, the template body as paragraphs, then topical and register paragraphs (drawn
    without repetition) up to a target length of 300-1500 characters."""
    rng = ctx.rng
    target = rng.randint(*_ARTICLE_LEN)
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
        paras.append(_end(rng.choice(_FRAMES["article_joiners"]).join(sentences[i : i + k]), rng))
        i += k

    pools = [e[1:-1] for e in tpl.extras if e.startswith("{para_")] + [reg_pool]
    weights = [3.0] * (len(pools) - 1) + [2.0]
    pools.append("para_life" if tpl.register != "life" else "para_promo")
    weights.append(0.7)
    head = rng.choice(_ARTICLE_HEADS)
    closer = _FRAMES["article_heads"][head]
    contact = _expand("{contact}", ctx) if rng.random() < tpl.contact_p + 0.1 else ""
    outro = ""
    if rng.random() < 0.4:
        outro = _expand(_FRAMES["article_outro"], ctx)
    # low: length with one-character separators (reaches the target); high: with two (stays under the maximum)
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
        if high + len(para) + 2 > _ARTICLE_LEN[1]:
            break
        (before if rng.random() < 0.15 else after).append(para)
        low += len(para) + 1
        high += len(para) + 2
    sep = rng.choice(_FRAMES["article_paragraph_sep"])
    paras = [intro] + before + paras + after + [contact, outro]
    return head + title + closer + "\n" + sep.join(p for p in paras if p), elements



# ---------------------------------------------------------------------------------------------------------------
# evasive spellings (both classes; word lists in data/synthetic/evasions.json)
# ---------------------------------------------------------------------------------------------------------------
_EV = _load()["evasions"]
_HOMO: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _EV["homophones"].items()}
_HOMO_RE = re.compile("|".join(sorted(map(re.escape, _HOMO), key=len, reverse=True)))
_UNIT_VARIANTS = {k: tuple(v) for k, v in _EV["unit_variants"].items()}
_UNIT_RE = re.compile(r"(?<=\d)(" + "|".join(map(re.escape, _UNIT_VARIANTS)) + ")")
_SENSITIVE = tuple(k for k in _HOMO if len(k) >= 2) + tuple(_EV["sensitive_extra"])
_SENS_RE = re.compile("|".join(sorted(map(re.escape, _SENSITIVE), key=len, reverse=True)))
_SEPARATORS = tuple(_EV["separators"])
_ZW = tuple(_EV["zero_width"])
_TRAD_FALLBACK = dict(zip(_EV["traditional_fallback"]["simplified"], _EV["traditional_fallback"]["traditional"]))


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


_EVASION_ORDER = tuple(_CONFIG["evasion_order"])
_EVASION_FALLBACK = tuple(_CONFIG["evasion_fallback"])


def _evade(text: str, rng: random.Random, trad: _Traditional) -> tuple[str, str]:
    kinds = [rng.choices(EVASIONS, weights=_EVASION_WEIGHTS)[0]]
    if rng.random() < 0.25:
        second = rng.choices(EVASIONS, weights=_EVASION_WEIGHTS)[0]
        if second not in kinds:
            kinds.append(second)
    # fixed application order keeps combinations meaningful (e.g. homophones before separators)
    order = _EVASION_ORDER
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
        for kind in _EVASION_FALLBACK:
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
    """Static checks of the data files: slots resolve; no slot name is written as literal text; neutral pools and
    the channel frames never reach element slots; negatives use no element slot; every positive template has an
    element slot at the top level of a core segment; channels have what their renderer needs."""
    frames = [v for v in _FRAMES.values() if isinstance(v, str) and "{" in v]
    frames += [spec["tail"] for spec in _CONFIG["schemes"].values() if "tail" in spec]
    frames += [tail for tail in _CONFIG["default_tail"].values() if tail]
    frames += [sep for styles in _JOIN_STYLES.values() for style in styles for sep in style if "{" in sep]
    for s in frames:
        if _reachable_elements(s, {}):
            raise ValueError(f"channel frame or tail reaches an element slot: {s!r}")
    for c in CHANNELS:
        if c != "公众号" and (c not in _MEDIUM_LEN or c not in _JOIN_STYLES):
            raise ValueError(f"channel {c!r} needs medium_len and joiners in config.json")
    every = [alt for pool in _POOLS.values() for alt in pool]
    every += [alt for t in _TEMPLATES for pool in t.slots.values() for alt in pool]
    every += [s.lstrip("!") for t in _TEMPLATES for s in t.segments + t.extras + ((t.title,) if t.title else ())]
    every += [t.tail for t in _TEMPLATES if t.tail] + frames
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
        texts = list(t.segments) + list(t.extras) + ([t.title] if t.title else []) + ([t.tail] if t.tail else [])
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
