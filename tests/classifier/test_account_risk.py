"""The account index formula and the tier rules."""

from mlmrisk.classifier.account_risk import TIER_LABELS, AccountStats, account_risk, components, trend


def scheme(**kw):
    base = dict(posts=30, flagged=20, top_probabilities=[0.99, 0.98, 0.97], elements=["lart", "fee", "team"],
                flagged_days=12, network_size=6, contact_share=0.9)
    base.update(kw)
    return AccountStats(**base)


def test_persistent_networked_recruiter_is_severe():
    r = account_risk(scheme())
    assert r.risk >= 85 and r.tier == "severe" and r.tier_label == "移送公安"


def test_one_off_post_stays_low_however_strong():
    r = account_risk(AccountStats(posts=20, flagged=1, top_probabilities=[1.0, 0.01, 0.0], elements=["lart", "fee",
                                  "team", "ponzi"], flagged_days=1, contact_share=1.0))
    assert r.risk < 30 and r.tier == "watch"


def test_talking_about_schemes_without_recruiting_is_capped():
    r = account_risk(scheme(contact_share=0.0, network_size=1))
    assert r.tier not in ("medium", "severe")


def test_no_flags_no_risk():
    r = account_risk(AccountStats(posts=50, flagged=0, top_probabilities=[0.1, 0.05, 0.02]))
    assert r.tier == "none" and r.risk <= 5


def test_monotone_in_each_component():
    base = account_risk(scheme(flagged=3, flagged_days=2, network_size=1, elements=["lart"])).risk
    assert account_risk(scheme(flagged=3, flagged_days=6, network_size=1, elements=["lart"])).risk >= base
    assert account_risk(scheme(flagged=9, flagged_days=2, network_size=1, elements=["lart"])).risk >= base
    assert account_risk(scheme(flagged=3, flagged_days=2, network_size=4, elements=["lart"])).risk >= base
    assert account_risk(scheme(flagged=3, flagged_days=2, network_size=1, elements=["lart", "fee"])).risk >= base


def test_components_in_unit_range_and_labels():
    for v in components(scheme()).values():
        assert 0.0 <= v <= 1.0
    assert set(TIER_LABELS) == {"none", "watch", "light", "medium", "severe"}
    assert TIER_LABELS["medium"] == "行政查处"


def test_trend():
    assert trend(0, 0) == "quiet" and trend(3, 0) == "new" and trend(6, 2) == "rising"
    assert trend(1, 4) == "falling" and trend(4, 4) == "steady"


def _scalar_oracle(s: AccountStats) -> tuple[int, dict]:
    """The per-account formula as it was written before the vectorised one (docs/monitoring.md): the oracle."""
    import math

    top = sorted((float(p) for p in s.top_probabilities), reverse=True)[:3]
    c = {"strength": sum(top) / 3, "contact": min(1.0, max(0.0, float(s.contact_share))),
         "elements": len(set(s.elements)) / 4, "persistence": 1.0 - math.exp(-max(s.flagged_days, 0) / 3.0),
         "volume": 1.0 - math.exp(-max(s.flagged, 0) / 5.0), "network": min(1.0, max(s.network_size - 1, 0) / 4)}
    m = 0.40 + 0.15 * c["elements"] + 0.15 * c["persistence"] + 0.15 * c["volume"] + 0.15 * c["network"]
    risk = max(0, min(100, int(round(100 * c["strength"] * (0.5 + 0.5 * c["contact"]) * m))))
    return risk, {k: round(v, 4) for k, v in c.items()}


def test_vectorised_formula_gives_the_scalar_floats():
    import random

    import numpy as np

    from mlmrisk.classifier.account_risk import ELEMENT_NAMES, account_risks

    rng = random.Random(7)
    cases = []
    for _ in range(20000):
        flagged = rng.choice([0, 0, 1, 2, 3, 5, 8, 20, 60])
        cases.append(AccountStats(
            posts=flagged + rng.randint(0, 50), flagged=flagged,
            top_probabilities=[round(rng.random() ** rng.choice([1, 3, 8]), 6) for _ in range(rng.randint(0, 3))],
            elements=rng.sample(ELEMENT_NAMES, rng.randint(0, 4)), flagged_days=rng.randint(0, min(flagged, 40)),
            network_size=rng.choice([1, 1, 2, 3, 5, 9]),
            contact_share=(rng.randint(0, flagged) / flagged) if flagged else 0.0))
    risk, tiers, parts = account_risks(
        flagged=[s.flagged for s in cases],
        top=np.array([s.top_probabilities + [0.0] * (3 - len(s.top_probabilities)) for s in cases]),
        elements=np.array([[e in s.elements for e in ELEMENT_NAMES] for s in cases]),
        flagged_days=[s.flagged_days for s in cases], network_size=[s.network_size for s in cases],
        contact_share=[s.contact_share for s in cases])
    for i, s in enumerate(cases):
        expected_risk, expected = _scalar_oracle(s)
        assert risk[i] == expected_risk and {k: round(float(v[i]), 4) for k, v in parts.items()} == expected
        assert account_risk(s).risk == expected_risk and account_risk(s).tier == tiers[i]
