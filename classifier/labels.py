"""Label schema: the legal elements of 传销 under 禁止传销条例 (2005) Art. 7, plus 资金盘.

Art. 7 names three forms of pyramid selling:
  (1) 拉人头 — paying participants by the number of people they recruit, directly or indirectly;
  (2) 入门费 — requiring a fee (or a purchase) to gain the right to join or to recruit;
  (3) 团队计酬 — paying from the sales of a participant's downline (上下线 relations).
资金盘 (money games: returns paid out of new entrants' deposits) is the commonest online variant and is
prosecuted as illegal fund-raising or fraud; it is tracked as a fourth element because reviewers need it.
"""

from __future__ import annotations

from enum import Enum


class Element(str, Enum):
    """A legal element a post can show; the value is the stable machine name used in files and outputs."""

    LART = "lart"  # 拉人头
    FEE = "fee"  # 入门费
    TEAM = "team"  # 团队计酬
    PONZI = "ponzi"  # 资金盘

    @property
    def chinese(self) -> str:
        return _CHINESE[self]


_CHINESE = {Element.LART: "拉人头", Element.FEE: "入门费", Element.TEAM: "团队计酬", Element.PONZI: "资金盘"}

#: Order of the model's output heads: the overall MLM head, then one head per element.
HEADS: tuple[str, ...] = ("mlm",) + tuple(e.value for e in Element)
ELEMENTS: tuple[str, ...] = tuple(e.value for e in Element)
