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
