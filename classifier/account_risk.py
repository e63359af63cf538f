"""The account risk index (0–100) and disposal tier: pure math, no I/O (docs/monitoring.md explains the choices).

One post rarely proves a scheme (docs/design_facts.md §4); an account that keeps promoting one, shows several of the
legal elements across its posts, over many days and alongside other accounts, does. The index is a product of

- ``strength`` S — the mean of the account's three highest post probabilities, missing posts counting 0: a single
  flagged post can give at most 1/3, so one-off posts by ordinary accounts stay low however strong they are;
- a multiplier M = 0.40 + 0.15·E + 0.15·P + 0.15·V + 0.15·N, each term in [0, 1]:
  E = elements seen across the flagged posts / 4 (拉人头, 入门费, 团队计酬, 资金盘),
  P = 1 − exp(−flagged days / 3) (persistence), V = 1 − exp(−flagged posts / 5) (volume),
  N = min(1, (network accounts − 1) / 4) (0 outside a network; a ring of ≥ 5 accounts gives 1).

- a reachability factor 0.5 + 0.5·C, C = share of flagged posts that offer a way to join (a contact handle, an
  invite code, a link or a 私我 request): promotion recruits, reporting about a scheme (news, warnings) does not.

``risk = round(100 · S · (0.5 + 0.5·C) · M)``. S gates everything (an account whose posts are not promotion cannot
score high by volume or links alone); C and M only scale it down, to 50 % and 40 % of S at the least.

Tiers follow the regulators' disposal tiers (docs/design_facts.md §4) and need the evidence the tier implies, not
just a number: ``medium`` (行政查处) needs ≥ 2 elements across ≥ 2 flagged posts, ``severe`` (移送公安, after 线下实证)
needs ≥ 3 elements including 团队计酬 or 资金盘 on ≥ 3 distinct days; both need C ≥ 0.25 (the account recruits).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

ELEMENT_NAMES = ("lart", "fee", "team", "ponzi")

#: tier key → (Chinese label, minimum risk); ordered lowest first.
TIERS = ("none", "watch", "light", "medium", "severe")
TIER_LABELS = {
    "none": "无",
    "watch": "观察",
    "light": "提醒·约谈·告诫",
    "medium": "行政查处",
    "severe": "移送公安",
}
TIER_MIN_RISK = {"watch": 10, "light": 30, "medium": 55, "severe": 75}
WEIGHTS = {"base": 0.40, "elements": 0.15, "persistence": 0.15, "volume": 0.15, "network": 0.15}
TOP_K = 3
PERSISTENCE_DAYS = 3.0
VOLUME_POSTS = 5.0
NETWORK_FULL = 5
MIN_CONTACT_SHARE = 0.25


@dataclass
class AccountStats:
    posts: int
    flagged: int
    top_probabilities: Sequence[float]  # the account's highest post probabilities (any order, ≥ 0 items)
    elements: Iterable[str] = ()  # elements present in at least one flagged post
    flagged_days: int = 0
    network_size: int = 1  # accounts in the account's network (1 = none)
    contact_share: float = 0.0  # share of flagged posts offering a way to join (handle, code, link, 私我)


@dataclass
class AccountRisk:
    risk: int
    tier: str
    components: dict = field(default_factory=dict)

    @property
    def tier_label(self) -> str:
        return TIER_LABELS[self.tier]


def components(stats: AccountStats) -> dict:
    top = sorted((float(p) for p in stats.top_probabilities), reverse=True)[:TOP_K]
    strength = sum(top) / TOP_K
    elements = len(set(stats.elements) & set(ELEMENT_NAMES)) / len(ELEMENT_NAMES)
    persistence = 1.0 - math.exp(-max(stats.flagged_days, 0) / PERSISTENCE_DAYS)
    volume = 1.0 - math.exp(-max(stats.flagged, 0) / VOLUME_POSTS)
    network = min(1.0, max(stats.network_size - 1, 0) / (NETWORK_FULL - 1))
    contact = min(1.0, max(0.0, float(stats.contact_share)))
    return {"strength": strength, "contact": contact, "elements": elements, "persistence": persistence, "volume": volume,
            "network": network}


def account_risk(stats: AccountStats) -> AccountRisk:
    c = components(stats)
    multiplier = (WEIGHTS["base"] + WEIGHTS["elements"] * c["elements"] + WEIGHTS["persistence"] * c["persistence"]
                  + WEIGHTS["volume"] * c["volume"] + WEIGHTS["network"] * c["network"])
    risk = int(round(100 * c["strength"] * (0.5 + 0.5 * c["contact"]) * multiplier))
    risk = max(0, min(100, risk))
    return AccountRisk(risk, tier_of(risk, stats), {k: round(v, 4) for k, v in c.items()})


def tier_of(risk: int, stats: AccountStats) -> str:
    elements = set(stats.elements) & set(ELEMENT_NAMES)
    reachable = stats.contact_share >= MIN_CONTACT_SHARE
    if (risk >= TIER_MIN_RISK["severe"] and len(elements) >= 3 and elements & {"team", "ponzi"}
            and stats.flagged_days >= 3 and reachable):
        return "severe"
    if risk >= TIER_MIN_RISK["medium"] and len(elements) >= 2 and stats.flagged >= 2 and reachable:
        return "medium"
    if risk >= TIER_MIN_RISK["light"]:
        return "light"
    if risk >= TIER_MIN_RISK["watch"] or stats.flagged > 0:
        return "watch"
    return "none"


def tier_rank(tier: str) -> int:
    return TIERS.index(tier)


def trend(recent: int, previous: int) -> str:
    """Flagged posts in the last 7 days of the data against the 7 before: new / rising / falling / steady / quiet."""
    if recent == 0 and previous == 0:
        return "quiet"
    if previous == 0:
        return "new"
    if recent >= 1.5 * previous:
        return "rising"
    if recent <= 0.5 * previous:
        return "falling"
    return "steady"
