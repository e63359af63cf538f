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

import numpy as np

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
#: the terms of the formula, in the order ``components`` reports them
COMPONENTS = ("strength", "contact", "elements", "persistence", "volume", "network")


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


def account_risks(*, flagged: Sequence[int], top: np.ndarray, elements: np.ndarray, flagged_days: Sequence[int],
                  network_size: Sequence[int], contact_share: Sequence[float]) -> tuple[np.ndarray, list[str], dict]:
    """Risk, tier and (unrounded) components of many accounts at once: the one implementation of the formula.

    ``top`` is (accounts × ≥ 0) probabilities, ``elements`` (accounts × 4) booleans in ELEMENT_NAMES order. The
    arithmetic is the scalar formula's, in the same order of operations, and ``exp`` is ``math.exp`` (looked up per
    distinct count), so each account gets the very floats a per-account loop gave: a monitor run scores 50k
    accounts here in a few numpy operations instead of 50k Python calls.
    """
    flagged = np.asarray(flagged, dtype=np.int64)
    n = len(flagged)
    if n == 0:
        return np.zeros(0, dtype=np.int64), [], {k: np.zeros(0) for k in COMPONENTS}
    top = -np.sort(-np.asarray(top, dtype=np.float64).reshape(n, -1), axis=1)[:, :TOP_K]
    top = np.hstack([top, np.zeros((n, TOP_K - top.shape[1]))])
    strength = top[:, 0]
    for k in range(1, TOP_K):  # sum() left to right, as the scalar version did
        strength = strength + top[:, k]
    strength = strength / TOP_K
    present = np.asarray(elements, dtype=bool).reshape(n, len(ELEMENT_NAMES))
    n_elements = present.sum(axis=1)
    days = np.asarray(flagged_days, dtype=np.int64)
    persistence = 1.0 - _exp(-np.maximum(days, 0) / PERSISTENCE_DAYS)
    volume = 1.0 - _exp(-np.maximum(flagged, 0) / VOLUME_POSTS)
    network = np.minimum(1.0, np.maximum(np.asarray(network_size, dtype=np.int64) - 1, 0) / (NETWORK_FULL - 1))
    share = np.asarray(contact_share, dtype=np.float64)
    contact = np.minimum(1.0, np.maximum(0.0, share))
    parts = dict(zip(COMPONENTS, (strength, contact, n_elements / len(ELEMENT_NAMES), persistence, volume, network)))
    multiplier = (WEIGHTS["base"] + WEIGHTS["elements"] * parts["elements"] + WEIGHTS["persistence"] * persistence
                  + WEIGHTS["volume"] * volume + WEIGHTS["network"] * network)
    risk = np.clip(np.rint(100 * strength * (0.5 + 0.5 * contact) * multiplier), 0, 100).astype(np.int64)
    return risk, tiers_of(risk, flagged, present, days, share), parts


def tiers_of(risk: np.ndarray, flagged: np.ndarray, present: np.ndarray, flagged_days: np.ndarray,
             contact_share: np.ndarray) -> list[str]:
    """The tier of each account: the risk band, and for the two top tiers the evidence the tier implies in law."""
    n_elements = present.sum(axis=1)
    reachable = contact_share >= MIN_CONTACT_SHARE
    strong = present[:, [ELEMENT_NAMES.index("team"), ELEMENT_NAMES.index("ponzi")]].any(axis=1)
    tiers = np.select(
        [(risk >= TIER_MIN_RISK["severe"]) & (n_elements >= 3) & strong & (flagged_days >= 3) & reachable,
         (risk >= TIER_MIN_RISK["medium"]) & (n_elements >= 2) & (flagged >= 2) & reachable,
         risk >= TIER_MIN_RISK["light"],
         (risk >= TIER_MIN_RISK["watch"]) | (flagged > 0)],
        ["severe", "medium", "light", "watch"], "none")
    return tiers.tolist()


def _exp(x: np.ndarray) -> np.ndarray:
    """``math.exp`` of each value (numpy's exp may differ in the last bit; the inputs are a few distinct counts)."""
    values, inverse = np.unique(x, return_inverse=True)
    return np.array([math.exp(v) for v in values.tolist()], dtype=np.float64)[inverse.reshape(-1)]


def _one(stats: AccountStats) -> tuple[np.ndarray, list[str], dict]:
    present = [[name in set(stats.elements) for name in ELEMENT_NAMES]]
    return account_risks(flagged=[stats.flagged], top=np.array([list(stats.top_probabilities)], dtype=np.float64),
                         elements=present, flagged_days=[stats.flagged_days], network_size=[stats.network_size],
                         contact_share=[float(stats.contact_share)])


def components(stats: AccountStats) -> dict:
    return {k: float(v[0]) for k, v in _one(stats)[2].items()}


def account_risk(stats: AccountStats) -> AccountRisk:
    risk, tiers, parts = _one(stats)
    return AccountRisk(int(risk[0]), tiers[0], {k: round(float(v[0]), 4) for k, v in parts.items()})


def tier_of(risk: int, stats: AccountStats) -> str:
    present = np.array([[name in set(stats.elements) for name in ELEMENT_NAMES]])
    return tiers_of(np.array([risk]), np.array([stats.flagged]), present, np.array([stats.flagged_days]),
                    np.array([float(stats.contact_share)]))[0]


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
