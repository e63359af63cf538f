"""Contact handles and codes on evasive spellings; spans point into the original text."""

import pytest

from mlmrisk.classifier.contacts import extract_contacts, linking_keys

CASES = [
    ("想赚钱加V：abc12345", "wechat", "abc12345"),
    ("薇：mlm_888999 详聊", "wechat", "mlm_888999"),
    ("v❤：happy2024", "wechat", "happy2024"),
    ("wei❤信 goodluck88", "wechat", "goodluck88"),
    ("微 信 号 ： a b c 1 2 3 4 5", "wechat", "abc12345"),
    ("邀请码：AB12CD 注册即送", "invite", "ab12cd"),
    ("注册填邀請碼８８Ｋ９Ｑ２", "invite", "88k9q2"),
    ("QQ 12345678", "qq", "12345678"),
    ("扣扣：８８６６７７５５", "qq", "88667755"),
    ("进群 Q群:987654321", "qq", "987654321"),
    ("电话１３８-１２３４-５６７８", "phone", "13812345678"),
    ("加微 一三八一二三四五六七八", "phone", "13812345678"),
    ("加vx：13812345678", "phone", "13812345678"),
    ("官网 https://www.BigMoney.top/reg?id=9 快来", "url", "bigmoney.top/reg?id=9"),
    ("详情 w6sp3q.top/r 了解", "url", "w6sp3q.top/r"),
]


@pytest.mark.parametrize("text,kind,value", CASES)
def test_evasive_spellings(text, kind, value):
    found = [(c.kind, c.value) for c in extract_contacts(text)]
    assert (kind, value) in found, found


@pytest.mark.parametrize("text", [c[0] for c in CASES] + ["私我了解", "加V happy_2024 私聊"])
def test_spans_are_original_text(text):
    for c in extract_contacts(text):
        assert c.text == text[c.start:c.end]
        assert c.text


def test_dm_request_has_no_value_and_never_links():
    found = extract_contacts("感兴趣的私我，名额有限")
    assert [(c.kind, c.value, c.text) for c in found] == [("dm", "", "私我")]
    assert linking_keys("感兴趣的私我，名额有限") == []


def test_same_handle_spelled_two_ways_is_one_key():
    assert linking_keys("加V：abc12345") == linking_keys("薇信 ａｂｃ１２３４５")


@pytest.mark.parametrize("text", ["今天天气不错，出去散步了", "主页有码", "发展下线vip会员", "拨打12315投诉", "2024年5月1日"])
def test_no_false_handles(text):
    assert linking_keys(text) == []
