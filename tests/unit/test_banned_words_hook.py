"""The banned-words hook: real Chinese diversion, fraud and prohibited-goods texts, evasions and innocents."""

from __future__ import annotations

import pytest

from chalicelib.domain.moderation.chain import APPROVE, REJECT, build_chain
from chalicelib.domain.moderation.hooks import SHIPPED_HOOKS
from chalicelib.domain.moderation.hooks.banned_words import BannedWordList
from tests.unit.moderation_fakes import text_post


@pytest.fixture(scope="module")
def hook():
    return build_chain({"chain": [{"hook": "banned_words", "settings": {"words_file": "banned_words.json"}}]},
                       hooks=SHIPPED_HOOKS)[0]


def check(hook, text: str):
    return hook(text_post("p1", "a1", text))


@pytest.mark.parametrize("text", [
    "想要同款的加微信 abc123 私聊",
    "优惠券不够用？加V领取更多",
    "加v看实拍图",
    "加 薇 了解详情",
    "加ＶＸ：shop888 发你价格表",           # full-width letters
    "加 Ｖ-X 领券",                         # full width, spaces and a dash between the letters
    "+v 备注淘宝",                          # a plus sign standing for 加
    "➕微信领红包",
    "加🌹微🌹信，拿内部价",                  # emoji between the characters
    "详情 v信 搜 shop888",
    "欢迎加卫星 shop888（你懂的）",          # homophone of 微信
    "VX号：shop888",
    "wx 号 shop888",
    "私聊下单更便宜",
    "联系电话 138-0013-8000 直接转账",
    "手机 １３８ ００１３ ８０００",          # full-width digits with spaces
    "Add me on WeChat: shop888",
])
def test_off_platform_diversion_and_its_evasions_are_rejected(hook, text: str) -> None:
    # Given a post steering buyers off the platform, however it is written
    # When the hook reads it
    verdict = check(hook, text)

    # Then it is rejected as diversion, naming the word
    assert (verdict.outcome, verdict.reason) == (REJECT, "off_platform_diversion"), (text, verdict)
    assert verdict.message and "'" in verdict.message


@pytest.mark.parametrize(("text", "category"), [
    ("招聘兼职刷单，日结200", "fraud"),
    ("专业 刷-单 刷信誉，安全可靠", "fraud"),
    ("五星好评返现5元，晒图再送小礼品", "fraud"),
    ("好 评 返 现，截图找客服", "fraud"),
    ("Click farm services for your shop", "fraud"),
    ("高仿大牌包包，一比一做工", "prohibited_goods"),
    ("出售仿真枪配件", "prohibited_goods"),
    ("电子烟 烟油 批发", "prohibited_goods"),
    ("代开发票，税点低", "prohibited_goods"),
    ("Counterfeit watches at wholesale price", "prohibited_goods"),
    ("网络赌博平台注册就送", "gambling"),
])
def test_fraud_prohibited_goods_and_gambling_carry_their_reason_code(hook, text: str, category: str) -> None:
    # Given a post in one of the banned categories
    # When the hook reads it
    verdict = check(hook, text)

    # Then the rejection carries that category as its reason code
    assert (verdict.outcome, verdict.reason) == (REJECT, category), (text, verdict)


@pytest.mark.parametrize("text", [
    "支持微信支付和支付宝付款，下单立减10元",       # 微信支付 is a payment method
    "本店商品均可使用微信支付，参加vip活动享九折",   # 参加vip is not 加v
    "今晚参加薇娅直播间的粉丝有福利",               # 薇娅 is a streamer, not 加薇
    "更加威武霸气的越野车模型",                      # 加威 is not listed on purpose
    "这款手表支持卫星定位，户外更安心",
    "身高 155 165 175 18 岁都能穿",                 # numbers near each other are not a phone number
    "We accept WeChat Pay and Alipay",
    "QQ音乐会员免费送三个月",
    "新款羽绒服上市，轻薄保暖，欢迎选购",
    "订单号 2024061800123456 已发货",
])
def test_innocent_texts_pass(hook, text: str) -> None:
    # Given an ordinary shop text that only resembles a banned word
    # When the hook reads it
    verdict = check(hook, text)

    # Then it is approved
    assert verdict.outcome == APPROVE, (text, verdict)


def test_the_message_shows_how_the_text_wrote_the_word() -> None:
    # Given a list with one word
    words = BannedWordList({"categories": {"fraud": {"message": "刷单 (fraud)", "words": ["刷单"]}}})

    # When a text hides it behind full-width and punctuation
    match = words.first_match("诚招 刷．单 兼职")

    # Then the match names the listed word and the text as written
    assert match is not None and (match.word, match.written, match.category) == ("刷单", "刷．单", "fraud")


def test_variant_groups_expand_and_an_unknown_group_is_a_configuration_error() -> None:
    # Given a word using a variant group
    data = {"variants": {"wechat": ["微信", "vx"]},
            "categories": {"off_platform_diversion": {"message": "m", "words": ["加{wechat}"]}}}

    # When it is compiled
    words = BannedWordList(data)

    # Then each spelling is matched, and nothing else
    assert words.first_match("加vx") and words.first_match("加微信") and not words.first_match("加好友")
    # And a word naming a group that does not exist is refused when the chain is built
    data["categories"]["off_platform_diversion"]["words"] = ["加{wexin}"]
    with pytest.raises(ValueError, match="wexin"):
        BannedWordList(data)
