"""Contact handles, invite/referral codes and links in a post: pure functions, no I/O.

Promoters of one scheme share a WeChat id, a QQ number, a phone, an invite code or a landing page, and they spell
them evasively: 加V, 薇信, v❤信, 扣扣, ＱＱ１２３４５ (full-width), 1 3 8-1234-5678 (separators), 一三八… (Chinese
numerals), 私我 (a request for a private message, with no handle). ``extract_contacts`` finds them and returns
:class:`Contact` values with a canonical ``value`` (so two spellings of one handle compare equal) and the span in
the ORIGINAL text (code-point offsets, ``text[start:end]``) for highlighting.

How: full-width forms become ASCII, ①–⑨ digits, everything is lower-cased (a length-preserving fold); separators
and decorations (spaces, ``-._·|*/``, emoji, zero-width characters: anything but word characters and ``:：+#@``) are
dropped while an index back to the original is kept; runs of ≥ 5 Chinese digits become ASCII digits. Cue + handle patterns run on that compact string; URLs run
on the folded text with separators kept (a dot matters there).

``kind`` is one of ``wechat``, ``qq``, ``phone``, ``invite``, ``url``, ``dm`` (a 私我/私聊 request: no value, never a
link between accounts). A WeChat cue followed by a mobile number yields ``phone`` (one number, one key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("wechat", "qq", "phone", "invite", "url", "dm")
#: Kinds whose value links accounts into networks.
LINKING_KINDS = ("wechat", "qq", "phone", "invite", "url")


@dataclass(frozen=True)
class Contact:
    kind: str
    value: str  # canonical: lower-case ASCII, digits only for numbers; "" for dm
    start: int  # code-point offsets into the original text
    end: int
    text: str  # original[start:end]

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value, "start": self.start, "end": self.end, "text": self.text}


_CN_DIGITS = str.maketrans("零〇一二三四五六七八九壹贰叁肆伍陆柒捌玖", "00123456789123456789")
_CN_DIGIT_SET = set("零〇一二三四五六七八九壹贰叁肆伍陆柒捌玖")


#: Length-preserving NFKC for what evasion uses: full-width ASCII (Ａ１：), the ideographic space, ①–⑨.
_FOLD = {c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = " "
_FOLD.update({0x2460 + i: str(i + 1) for i in range(9)})
_FOLD.update({0x2776 + i: str(i + 1) for i in range(9)})
_FOLD.update({0x2780 + i: str(i + 1) for i in range(9)})
_FOLD.update({0x278A + i: str(i + 1) for i in range(9)})
_KEPT = re.compile(r"[\w:：+#@]+")


def _fold(text: str) -> tuple[str, list[int] | None]:
    """Full-width → ASCII, circled digits → digits, lower-case; length-preserving (origin = identity, None)."""
    folded = text.translate(_FOLD).lower()
    if len(folded) != len(text):  # a lower-casing that changes length (rare non-Chinese letters): map per char
        out, origin = [], []
        for i, ch in enumerate(text.translate(_FOLD)):
            low = ch.lower()
            out.append(low)
            origin.extend([i] * len(low))
        return "".join(out), origin
    return folded, None


_DROPPED = re.compile(r"[^\w:：+#@]+")
_MAY_HOLD = re.compile(r"[a-z0-9零〇一二三四五六七八九壹贰叁肆伍陆柒捌玖]")


def _compact(folded: str) -> str:
    """Drop separators and decorations (anything but word characters and ``:：+#@``); Chinese-digit runs of ≥ 5
    become ASCII digits (same length)."""
    compact = _DROPPED.sub("", folded)
    if any(c in _CN_DIGIT_SET for c in compact):
        compact = _CN_RUN.sub(lambda m: m.group(0).translate(_CN_DIGITS), compact)
    return compact


def _kept_index(folded: str, origin: list[int] | None) -> list[int]:
    """Original index of every compact character (built only for texts with a hit)."""
    keep: list[int] = []
    for m in _KEPT.finditer(folded):
        keep.extend(range(m.start(), m.end()) if origin is None else origin[m.start():m.end()])
    return keep


_CN_RUN = re.compile("[零〇一二三四五六七八九壹贰叁肆伍陆柒捌玖]{5,}")
_SEP = r"[:：]?(?:号码?|号是|是|为|id|号|账号)?[:：]?"
_WECHAT_CUE = (r"(?:微信|薇信|威信|徽信|维信|卫信|微心|威心|v信|wei信|weixin|wechat|vx|wx|薇|徽|绿泡泡|"
               r"加微|(?:加|\+|私|找|添加|联系)v|v(?=[:：]))")
_WECHAT_ID = r"([a-z][a-z0-9_-]{5,19}|1[3-9]\d{9})"
_QQ_CUE = r"(?:qq|扣扣|抠抠|蔻蔻|企鹅|球球|(?:加|\+|私|找)q|q群|q(?=[:：]))(?:群)?"
_INVITE_CUE = r"(?:邀请码|邀請碼|推荐码|推薦碼|推广码|注册码|註冊碼|激活码|识别码|邀请id|推荐id|填码|填写|码)"

_PATTERNS = [
    ("wechat", re.compile(_WECHAT_CUE + _SEP + _WECHAT_ID)),
    ("qq", re.compile(_QQ_CUE + _SEP + r"([1-9]\d{4,11})(?!\d)")),
    ("invite", re.compile(_INVITE_CUE + _SEP + r"([a-z0-9]{4,16})(?![a-z0-9])")),
    ("phone", re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")),
]
_DM = re.compile(r"私我|私信我|私聊|私戳|滴滴我|戳我|扣我|q我|v我|加我|找我|私一下|私下联系")
_URL = re.compile(r"(?:https?://|www\.)[a-z0-9./?=&%_#:~+-]+|(?<![a-z0-9@.])[a-z0-9-]{2,30}\."
                  r"(?:com|cn|net|org|top|xyz|vip|cc|io|app|me|club|site|shop|info|ltd|link)(?:/[a-z0-9./?=&%_#~+-]*)?"
                  r"(?![a-z0-9])")


def _span(text: str, origin: list[int], a: int, b: int) -> tuple[int, int, str]:
    start, end = origin[a], origin[b - 1] + 1
    return start, end, text[start:end]


def _canonical_url(url: str) -> str:
    url = re.sub(r"^https?://", "", url)
    url = re.sub(r"^www\.", "", url)
    return url.rstrip("/.")


def extract_contacts(text: str) -> list[Contact]:
    """All contacts in ``text``, sorted by position; each handle once per position (a cue wins over a bare number)."""
    if not text:
        return []
    folded, origin = _fold(text)
    found: list[Contact] = []
    if not _MAY_HOLD.search(folded) and not _DM.search(_DROPPED.sub("", folded)):
        return found
    compact = _compact(folded)
    index: list[list[int]] = []

    def keep() -> list[int]:
        if not index:
            index.append(_kept_index(folded, origin))
        return index[0]

    taken: list[tuple[int, int]] = []  # compact spans of handle values already claimed

    def overlaps(a: int, b: int) -> bool:
        return any(a < y and x < b for x, y in taken)

    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(compact):
            a, b = m.span(1)
            if overlaps(a, b):
                continue
            value = m.group(1)
            k = kind
            if kind == "wechat" and value.isdigit():
                k = "phone"
            if kind == "invite" and not any(ch.isdigit() for ch in value) and len(value) < 6:
                continue
            taken.append((a, b))
            start, end, original = _span(text, keep(), m.start(), b)
            found.append(Contact(k, value, start, end, original))
    for m in _URL.finditer(folded):
        raw = m.group(0)
        start, end = (m.start(), m.end()) if origin is None else (origin[m.start()], origin[m.end() - 1] + 1)
        found.append(Contact("url", _canonical_url(raw), start, end, text[start:end]))
    for m in _DM.finditer(compact):
        start, end, original = _span(text, keep(), m.start(), m.end())
        found.append(Contact("dm", "", start, end, original))
    found.sort(key=lambda c: (c.start, c.end, c.kind))
    return found


def linking_keys(text: str) -> list[str]:
    """The distinct ``kind:value`` keys of a post that can link accounts (no ``dm``), in first-seen order."""
    seen: dict[str, None] = {}
    for c in extract_contacts(text):
        if c.kind in LINKING_KINDS:
            seen.setdefault(c.key, None)
    return list(seen)
