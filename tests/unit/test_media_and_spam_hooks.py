"""The media and spam hooks with their shipped settings; repeats are found through a fake index."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.moderation.chain import APPROVE, REJECT, REVIEW, PostContent
from tests.unit.conftest import MODERATION_NOW
from tests.unit.moderation_fakes import shipped_hook, text_post

NOW = MODERATION_NOW
pytestmark = pytest.mark.usefixtures("pinned_clock")
IMG = "https://img.example.com/a.jpg"


def media_post(fmt: str, **fields) -> PostContent:
    images = tuple(fields.pop("images", ()))
    urls = images + tuple(fields.pop("extra_urls", ()))
    return PostContent(post_id="p1", account_id="a1", type="video", format=fmt, images=images, urls=urls, **fields)


@pytest.mark.parametrize(("post", "reason"), [
    (media_post("nine_grid", images=["http://img.example.com/a.jpg"]), "insecure_media_url"),
    (media_post("nine_grid", images=[IMG], extra_urls=["ftp://v.example.com/a.mp4"]), "insecure_media_url"),
    (media_post("nine_grid"), "too_few_images"),
    (media_post("nine_grid", images=[IMG] * 10), "too_many_images"),
    (media_post("short_video", has_cover=True), "video_missing"),
    (media_post("short_video", video_duration_s=301, has_cover=True), "video_too_long"),
    (media_post("short_video", video_duration_s=30), "cover_missing"),
    (media_post("live_stream"), "cover_missing"),
])
def test_media_breaking_the_format_rules_is_rejected(index, post: PostContent, reason: str) -> None:
    # Given a post whose media break the shipped media policy
    # When the media hook checks it
    verdict = shipped_hook("media", index)(post)

    # Then it is rejected with the rule's reason code
    assert (verdict.outcome, verdict.reason) == (REJECT, reason), verdict


@pytest.mark.parametrize("post", [
    media_post("nine_grid", images=[IMG] * 9),
    media_post("short_video", video_duration_s=300, has_cover=True, extra_urls=["https://v.example.com/a.mp4"]),
    media_post("live_stream", has_cover=True),
    media_post("long_article"),
])
def test_media_within_the_rules_passes(index, post: PostContent) -> None:
    # Given a post whose media are within the shipped media policy (at its limits, or without media)
    # When the media hook checks it
    verdict = shipped_hook("media", index)(post)

    # Then it is approved
    assert verdict.outcome == APPROVE


@pytest.mark.parametrize(("text", "outcome", "reason"), [
    ("京东更便宜，去 https://item.jd.com/100012.html 下单", REJECT, "off_platform_link"),
    ("拼多多同款 ｗｗｗ．ｐｉｎｄｕｏｄｕｏ．ｃｏｍ", REJECT, "off_platform_link"),
    ("有问题发邮件到 shop888@163.com", REJECT, "off_platform_link"),
    ("新品 https://a.taobao.com/1 https://b.taobao.com/2 https://c.tmall.com/3 https://d.tb.cn/4",
     REJECT, "link_stuffing"),
    ("🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥 清仓", REVIEW, "excessive_emoji"),
    ("好价😍😍👍👍🔥🔥", REVIEW, "excessive_emoji"),
    ("哈哈哈哈哈哈哈哈哈哈哈哈 太便宜了", REVIEW, "repeated_characters"),
    ("清仓清仓清仓清仓清仓清仓清仓清仓清仓清仓", REVIEW, "repeated_characters"),
    ("买它！！！！！！！！！！！！", REVIEW, "repeated_characters"),
])
def test_link_emoji_and_character_spam_is_flagged(index, text: str, outcome: str, reason: str) -> None:
    # Given a post stuffed with links, off-platform links, emoji or repeated characters
    # When the spam hook checks it
    verdict = shipped_hook("spam", index)(text_post("p1", "a1", text))

    # Then it is rejected or held with the rule's reason code
    assert (verdict.outcome, verdict.reason) == (outcome, reason), verdict


@pytest.mark.parametrize("text", [
    "店铺首页 https://shop123.taobao.com 更多新品，天猫旗舰店同步上架 https://detail.tmall.com/item.htm?id=1",
    "小米14.Pro 新色上市，v1.5 固件升级更流畅",
    "哈哈哈哈 这件真的好看 😍👍",
    "双十一预售开启，定金50抵100，全场包邮。",
])
def test_ordinary_posts_are_not_spam(index, text: str) -> None:
    # Given an ordinary post: links to the platform's own shops, model numbers, a little emoji, a sale
    # When the spam hook checks it
    verdict = shipped_hook("spam", index)(text_post("p1", "a1", text))

    # Then it is approved
    assert verdict.outcome == APPROVE


def test_the_same_text_again_within_a_day_is_a_repeat_but_not_after_a_day(index) -> None:
    # Given an account that published a text 3 hours ago, and another one 25 hours ago
    text = "秋冬新款羊毛大衣上市，双面呢工艺，版型挺括，今天下单送围巾！"
    other = "夏季冰丝防晒衣到货，UPF50+，轻薄透气，骑车出游都适合，两件包邮。"
    index.publish(text_post("old-1", "a1", text), NOW - timedelta(hours=3))
    index.publish(text_post("old-2", "a1", other), NOW - timedelta(hours=25))
    hook = shipped_hook("spam", index)

    # When it posts the first text again, with other punctuation and spacing, and the second one too
    again = hook(text_post("new-1", "a1", "秋冬新款 羊毛大衣上市!双面呢工艺 版型挺括 今天下单送围巾"))
    later = hook(text_post("new-2", "a1", other))

    # Then the first is rejected as a repeat naming the earlier post; the second is fine
    assert (again.outcome, again.reason) == (REJECT, "repeated_text") and "old-1" in again.message
    assert later.outcome == APPROVE
    # And another account posting the first text is not a repeat (plagiarism judges that)
    assert hook(text_post("new-3", "a2", text)).outcome == APPROVE


def test_a_short_caption_repeats_only_with_the_same_media(index) -> None:
    # Given a shop that posted 新品上市 with one picture an hour ago
    first = text_post("old-1", "a1", "新品上市", images=(IMG,), urls=(IMG,))
    index.publish(first, NOW - timedelta(hours=1))
    hook = shipped_hook("spam", index)

    # When it posts the same caption with another picture, and then with the same picture
    other_goods = hook(text_post("new-1", "a1", "新品上市", images=("https://img.example.com/b.jpg",),
                                 urls=("https://img.example.com/b.jpg",)))
    same_post = hook(text_post("new-2", "a1", "新品上市！", images=(IMG,), urls=(IMG,)))

    # Then only the identical post is a repeat
    assert other_goods.outcome == APPROVE
    assert (same_post.outcome, same_post.reason) == (REJECT, "repeated_text")


def test_spam_outcomes_come_from_the_chain_file(index) -> None:
    # Given the spam hook configured to only hold off-platform links
    hook = shipped_hook("spam", index, outcomes={"off_platform_link": "review"})

    # When a post links to another shop
    verdict = hook(text_post("p1", "a1", "去 jd.com 看看"))

    # Then it is held rather than rejected; and a bad outcome name is refused at build time
    assert (verdict.outcome, verdict.reason) == (REVIEW, "off_platform_link")
    with pytest.raises(ValueError):
        shipped_hook("spam", index, outcomes={"off_platform_link": "delete"})


def test_an_account_in_h1_cannot_get_a_post_through(index) -> None:
    # Given the standing hook with an account in H1
    from chalicelib.domain.moderation.chain import build_chain
    from chalicelib.domain.moderation.hooks import SHIPPED_HOOKS
    hook = build_chain({"chain": [{"hook": "account_standing"}]}, index.services({"a1": "H1"}), hooks=SHIPPED_HOOKS)[0]

    # When posts of that account and of another are checked
    blocked, fine = hook(text_post("p1", "a1", "新品")), hook(text_post("p2", "a2", "新品"))

    # Then only the H1 account's post is rejected
    assert (blocked.outcome, blocked.reason) == (REJECT, "account_in_h1") and fine.outcome == APPROVE
