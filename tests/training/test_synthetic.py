"""training/synthetic.py: the deterministic generator of synthetic positives and hard negatives."""

from __future__ import annotations

import collections
import functools
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlmrisk.training import synthetic
from mlmrisk.training.synthetic import CHANNELS, ELEMENTS, EVASIONS, SyntheticPost, generate, templates

REPO = Path(__file__).resolve().parents[2]

# Cue words: every element recorded for a post must be visible in its (un-evaded) text.
CUES = {
    "lart": re.compile(r"推|拉|邀|招|人头|发展|介绍|带|引|分享|新人|好友"),
    "fee": re.compile(
        r"入群|入团|入会|一台|一个，|进了|进\d|的货|费|交|缴|买|购|充|预存|进货|拿货|囤货|押金|保证金|激活|开通|认购|投|订|租|"
        r"门槛|入局|入单|入场|起步|启动|甩|发我|转我|入股|拍|礼包|开卡|升级|资格|存入|申请|办|加盟|诚意金|拿.{0,6}[套盒]|"
        r"[=＝是].{0,12}(钻石|皇冠|代理|会员|合伙人|联创|董事|经理|股东|节点|达人|社区长|团长|分公司|创客|省代|市代)"
    ),
    "team": re.compile(
        r"团队|代|下线|下级|下面|伞下|管道|见点|对碰|层级|级差|动态|团长|节点|社区|你的人|成员|手下|名下|伙伴|底下|他们|"
        r"用户|你带的人|星球|你拿|你抽|你还有|你分|分你|返你|你都有|管理奖|锁粉|分润|裂变|你也有|你照|算你"
    ),
    "ponzi": re.compile(
        r"帮助|补贴|不花钱|有\d|\d%|折合|能出|到手|收益|返|分|释放|日化|月化|年化|回本|复投|利|增值|涨|翻|产|挖|本金|还本|出局|"
        r"静态|养老金|领|收款|回款|出金|提|派息|稳赚|保本|赚|到账|值钱|结算|兑换|就有|周期|拿回"
    ),
}
# Online-MLM vocabulary the generator must write in BOTH classes (positives promote with it; negatives use it in
# warnings, news, legal jobs, 团购, single-level referral and daily life), so no single word decides the label.
SHARED_VOCABULARY = (
    "招到一个人 推荐一人奖 人头 管道 锁粉 分润 裂变 下级 伞下 团队长 大团长 会费 押金 开通会员 VIP 认购 新盘 新车 上车 发车 "
    "锁仓 随进随出 稳如磐石 零撸 白嫖 空投 挖矿 矿机 日化 周期 出局 复利 全程免费 看广告 签到 挂机 私域 运营师 服务商 "
    "合伙人 诚意金 复购 日结 一单一结 兼职 陪玩 代练 团长 直销 央行授权"
).split()
CONTACT = re.compile(r"加V|➕|私我|私信|扫码|邀请码|http|QQ|扣扣|微信|vx|V：|主页|滴滴|热线|电话|回复|扣1")
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")


@pytest.fixture(scope="module")
def posts() -> list[SyntheticPost]:
    return generate(6000, seed=7)


@pytest.fixture(scope="module")
def plain_posts() -> list[SyntheticPost]:
    return generate(6000, seed=11, evasion_fraction=0.0)


# --- API and records ----------------------------------------------------------------------------------------------


def test_record_has_the_documented_fields(posts):
    for post in posts[:200]:
        rec = post.to_record()
        assert set(rec) == {"text", "label", "elements", "source", "group", "channel", "evasion", "synthetic"}
        assert rec["synthetic"] is True
        assert rec["source"] == f"synthetic:{post.scheme}"
        assert rec["elements"] == list(post.elements)
        assert isinstance(rec["text"], str) and rec["text"]
        json.dumps(rec, ensure_ascii=False)  # serialisable as JSONL


def test_post_is_frozen(posts):
    with pytest.raises(Exception):
        posts[0].label = 1 - posts[0].label  # type: ignore[misc]


@pytest.mark.parametrize("n", [0, 1, 7])
def test_small_n(n):
    assert len(generate(n, seed=1)) == n


@pytest.mark.parametrize(
    "kwargs",
    [{"n": -1}, {"n": 5, "positive_fraction": 1.5}, {"n": 5, "evasion_fraction": -0.1}],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        generate(**kwargs)


# --- determinism --------------------------------------------------------------------------------------------------


def test_same_seed_same_output():
    assert generate(1500, seed=42) == generate(1500, seed=42)


@pytest.mark.parametrize("other", [{"seed": 43}, {"seed": 42, "evasion_fraction": 0.5}])
def test_other_arguments_other_output(other):
    assert generate(300, seed=42) != generate(300, **other)


def test_does_not_touch_global_random_state():
    import random

    random.seed(123)
    expected = random.random()
    random.seed(123)
    generate(200, seed=5)
    assert random.random() == expected


def test_identical_across_processes_and_hash_seeds():
    code = (
        "import hashlib, json; from training.synthetic import generate; "
        "print(hashlib.sha256(json.dumps([p.to_record() for p in generate(800, seed=9)], ensure_ascii=False)"
        ".encode()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=str(REPO))
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=True)
        digests.add(out.stdout.strip())
    assert len(digests) == 1


# --- labels and elements ------------------------------------------------------------------------------------------


def test_labels_and_elements_are_consistent(posts):
    for post in posts:
        assert post.label in (0, 1)
        assert set(post.elements) <= set(ELEMENTS)
        assert list(post.elements) == [e for e in ELEMENTS if e in post.elements]  # canonical order, no repeats
        if post.label:
            assert post.elements, post
            assert post.group.startswith("pos:")
        else:
            assert post.elements == ()
            assert post.group.startswith("neg:")
        kind, scheme, index = post.group.split(":")
        assert scheme == post.scheme and index.isdigit()


def test_every_element_occurs_alone_and_in_combination(posts):
    combos = collections.Counter(p.elements for p in posts if p.label)
    for element in ELEMENTS:
        assert sum(n for c, n in combos.items() if element in c) > 300, element
        assert sum(n for c, n in combos.items() if c == (element,)) > 10, element
    assert sum(n for c, n in combos.items() if len(c) >= 2) > 0.5 * sum(combos.values())


def test_elements_are_expressed_in_the_text(plain_posts):
    checked = missed = 0
    for post in plain_posts:
        for element in post.elements:
            checked += 1
            missed += not CUES[element].search(post.text)
    assert checked > 5000
    assert missed / checked < 0.005


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.5, 1.0])
def test_positive_fraction_is_exact(fraction):
    out = generate(401, seed=3, positive_fraction=fraction)
    assert sum(p.label for p in out) == round(401 * fraction)


def test_group_identifies_one_template(posts):
    by_group: dict[str, set] = collections.defaultdict(set)
    for post in posts:
        by_group[post.group].add((post.label, post.scheme))
    assert all(len(v) == 1 for v in by_group.values())
    assert {t.group for t in templates()} >= set(by_group)


# --- templates ----------------------------------------------------------------------------------------------------


def test_template_inventory():
    pos, neg = templates(1), templates(0)
    assert len(pos) >= 70 and len(neg) >= 95
    assert len({t.group for t in templates()}) == len(templates())
    assert {t.scheme for t in pos} >= {
        "ponzi_mutual", "ad_app", "weishang", "rebate_mall", "digital_asset", "charity_front", "health_levels",
        "hangup", "fee_job", "circle_app", "state_front", "chat_short",
    }
    assert {t.scheme for t in neg} >= {
        "direct_selling", "franchise", "referral_single", "job_ad", "anti_mlm", "finance", "ecommerce", "task_scam",
        "loan", "game_ad", "everyday", "marketing", "chat_short",
    }
    # one-line chat messages: the same number of templates and the same settings in both classes
    short = {label: [t for t in templates(label) if t.scheme == "chat_short"] for label in (0, 1)}
    assert len(short[0]) == len(short[1]) >= 6
    assert {(t.short, t.channels, t.contact_p, t.tail) for t in short[0] + short[1]} == {
        (short[1][0].short, short[1][0].channels, short[1][0].contact_p, short[1][0].tail)
    }


def test_templates_validate():
    synthetic.validate_templates()


@pytest.mark.parametrize(
    "text,bad",
    [("{大几千|amt_m}", ["amt_m"]), ("{大几千|{amt_m}}", []), ("每天{pct_s}", []), ("返pct_l", ["pct_l"])],
)
def test_literal_slot_names_are_caught(text, bad):
    assert synthetic._literal_slot_names(text) == bad


def test_every_template_is_used(posts):
    assert {p.group for p in posts} == {t.group for t in templates()}


# --- channels, lengths, style parity ------------------------------------------------------------------------------


def test_both_classes_in_every_channel(posts):
    seen = collections.Counter((p.label, p.channel) for p in posts)
    for label in (0, 1):
        for channel in CHANNELS:
            assert seen[label, channel] >= 20, (label, channel)


def test_lengths_short_to_long(plain_posts):
    lengths = collections.defaultdict(list)
    for post in plain_posts:
        lengths[post.label, post.channel == "公众号"].append(len(post.text))
    for label in (0, 1):
        articles = lengths[label, True]
        assert articles and min(articles) >= 300 and max(articles) <= 1500
        assert max(articles) > 1200
        others = lengths[label, False]
        assert min(others) <= 15 and sum(n <= 30 for n in others) > 100
    articles = [p.text for p in plain_posts if p.channel == "公众号"]
    assert all(t.count("\n") >= 3 for t in articles)  # multi-paragraph


def test_short_chat_messages(plain_posts):
    """Many real posts are one-line chat messages: both classes have them, mostly 10-60 characters, often with a
    contact hint."""
    for label in (0, 1):
        items = [p for p in plain_posts if p.scheme == "chat_short" and p.label == label]
        assert len(items) > 150, label
        assert sum(10 <= len(p.text) <= 60 for p in items) / len(items) > 0.85, label
        assert sum(bool(CONTACT.search(p.text)) for p in items) / len(items) > 0.25, label
        assert all(p.channel not in ("公众号", "电商") for p in items)


def test_online_vocabulary_occurs_in_both_classes(plain_posts):
    for word in SHARED_VOCABULARY:
        counts = [sum(word in p.text for p in plain_posts if p.label == label) for label in (0, 1)]
        assert min(counts) >= 3, (word, counts)


def test_style_is_similar_across_classes(posts):
    """Writing style must not separate the classes: cue rates and lengths per class stay close."""
    by_label = {label: [p for p in posts if p.label == label] for label in (0, 1)}

    def rate(regex, items):
        return sum(bool(regex.search(p.text)) for p in items) / len(items)

    for regex in (CONTACT, EMOJI, re.compile(r"\[em\]"), re.compile("#"), re.compile("\n"), re.compile("！|!")):
        assert abs(rate(regex, by_label[0]) - rate(regex, by_label[1])) < 0.1, regex.pattern
    med = {label: statistics.median(len(p.text) for p in items) for label, items in by_label.items()}
    assert 0.75 < med[0] / med[1] < 1.33
    for label in (0, 1):
        channels = collections.Counter(p.channel for p in by_label[label])
        share = {c: n / len(by_label[label]) for c, n in channels.items()}
        other = collections.Counter(p.channel for p in by_label[1 - label])
        for c in CHANNELS:
            assert abs(share[c] - other[c] / len(by_label[1 - label])) < 0.05, c


# --- evasion ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.8])
def test_evasion_fraction_is_respected(fraction):
    out = generate(3000, seed=13, evasion_fraction=fraction)
    share = sum(p.evasion is not None for p in out) / len(out)
    assert abs(share - fraction) < 0.04
    for label in (0, 1):
        items = [p for p in out if p.label == label]
        assert abs(sum(p.evasion is not None for p in items) / len(items) - fraction) < 0.06


def test_evasion_names_and_effect(posts):
    kinds = collections.Counter()
    for post in posts:
        if post.evasion is None:
            continue
        parts = post.evasion.split("+")
        assert set(parts) <= set(EVASIONS) and len(parts) == len(set(parts))
        kinds.update(parts)
    assert set(kinds) == set(EVASIONS)


def test_evasion_always_changes_the_text(plain_posts):
    import random

    trad = synthetic._Traditional()
    for i, post in enumerate(plain_posts[:1500]):
        text, kind = synthetic._evade(post.text, random.Random(i), trad)
        assert text != post.text and kind
        assert set(kind.split("+")) <= set(EVASIONS)


@pytest.mark.parametrize(
    "kind,check",
    [
        ("traditional", lambda t: _t2s(t) != t),
        ("fullwidth", lambda t: re.search("[\uff01-\uff5e\u3000]", t)),
        ("zerowidth", lambda t: re.search("[\u200b\u200c\u200d\u2060\ufeff\u202c]", t)),
    ],
)
def test_evasion_kinds_leave_their_mark(posts, kind, check):
    if kind == "traditional":
        pytest.importorskip("opencc")
    items = [p for p in posts if p.evasion == kind]
    assert items
    assert sum(bool(check(p.text)) for p in items) / len(items) > 0.9


@functools.lru_cache(maxsize=1)
def _t2s_converter():
    import opencc

    return opencc.OpenCC("t2s")


def _t2s(text: str) -> str:
    return _t2s_converter().convert(text)


# --- diversity and speed ------------------------------------------------------------------------------------------


def test_texts_are_diverse(posts):
    texts = [p.text for p in posts]
    assert len(set(texts)) / len(texts) >= 0.98
    grams = {t[i : i + 4] for t in texts for i in range(len(t) - 3)}
    assert len(grams) > 150_000


def test_fast_enough():
    start = time.process_time()
    generate(4000, seed=2)
    assert time.process_time() - start < 8.0


# --- never a copy of the real data --------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_no_long_overlap_with_real_posts(shared_data, plain_posts):
    """Templates are our own writing: no 8-character Chinese run of the real labelled posts appears in the output."""
    k = 8
    skip = re.compile(r"[A-Za-z0-9/\[\]#?.:=_%~～，。！、 ]")
    real = set()
    with open(shared_data / "labelled" / "chineseharm_dev.jsonl", encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line)["text"]
            real.update(g for g in (text[i : i + k] for i in range(len(text) - k + 1)) if not skip.search(g))
    generated = set()
    for post in plain_posts:
        t = post.text
        generated.update(t[i : i + k] for i in range(len(t) - k + 1))
    assert not (real & generated)
