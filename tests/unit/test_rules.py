"""Pure rules of the spine: quota days, cursors, feed merging, post rules, the hook chain."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import clock
from chalicelib.domain.cursor import cursor_scope, decode_cursor, encode_cursor, parse_limit
from chalicelib.domain.errors import InvalidInput, QuotaExceeded
from chalicelib.domain.feed import shows_in_feed
from chalicelib.domain.ids import new_id
from chalicelib.domain.moderation.chain import (
    APPROVE,
    REJECT,
    REVIEW,
    PostContent,
    Verdict,
    build_chain,
    load_chain_config,
    run_chain,
)
from chalicelib.domain.moderation.hooks import SHIPPED_HOOKS
from chalicelib.domain.posts import check_post_rules, feed_key, section_of
from chalicelib.domain.quota import quota_charge, quota_exceeded
from chalicelib.domain.tiers import daily_quota_for, hot_list_eligible
from tests.unit.moderation_fakes import FakeFingerprintIndex, shipped_scheme

UTC = UTC


class TestQuota:
    def test_w1_quota_is_small_tiers_grow_and_h1_may_not_post(self) -> None:
        # Given the four writer tiers, lowest first
        tiers = ("W1", "W2", "W3", "W4")

        # When their daily quotas are looked up
        quotas = [daily_quota_for(t) for t in tiers]

        # Then W1's is small and each tier's is at least the one below's
        assert 1 <= quotas[0] <= 9
        assert quotas == sorted(quotas)
        # And H1 may not post at all, nor enter the hot list
        assert daily_quota_for("H1") == 0
        assert not hot_list_eligible("H1")

    def test_the_day_is_the_shanghai_calendar_day(self) -> None:
        # Given 2026-11-22 16:30 UTC (00:30 on the 23rd in Shanghai) and 15:59 UTC (23:59 on the 22nd)
        after_midnight = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)
        before_midnight = datetime(2026, 11, 22, 15, 59, tzinfo=UTC)

        # When a post is charged at each
        charges = quota_charge("W1", after_midnight), quota_charge("W1", before_midnight)

        # Then each counts against the Shanghai calendar day
        assert charges[0].day == "2026-11-23"
        assert charges[1].day == "2026-11-22"

    def test_refusal_says_quota_count_and_reset(self) -> None:
        # Given a W1 account at 22:00 Shanghai with 3 posts published that day
        at = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)

        # When the quota is found exceeded
        error = quota_exceeded(quota_charge("W1", at), 3, at)

        # Then it is a 429 that says when the quota resets (Shanghai midnight, in 2 hours)
        assert isinstance(error, QuotaExceeded) and error.status == 429
        assert error.details[0]["resets_at"] == "2026-11-23T00:00:00+08:00"
        assert error.headers["Retry-After"] == str(2 * 3600)


FEED = cursor_scope("/me/feed", "u1", section="all")


class TestCursor:
    def test_a_cursor_decodes_to_the_position_it_was_encoded_from(self) -> None:
        # Given a feed position
        position = {"before": "0001#abc", "served": "20"}

        # When it is encoded and decoded for the same feed
        decoded = decode_cursor(encode_cursor(position, FEED), ("before", "served"), FEED)

        # Then the same position comes back
        assert decoded == position

    @pytest.mark.parametrize("token", ["%%%", "bm90IGpzb24", encode_cursor({"other": "x"}, FEED),
                                       encode_cursor({"before": ""}, FEED)])
    def test_a_made_up_cursor_is_a_400(self, token: str) -> None:
        # Given a token that is not base64, not JSON, lacks the position's fields or leaves one empty
        # When it is decoded / Then it is refused as invalid input
        with pytest.raises(InvalidInput):
            decode_cursor(token, ("before",), FEED)

    @pytest.mark.parametrize("other", [cursor_scope("/me/feed", "u2", section="all"),
                                       cursor_scope("/me/feed", "u1", section="video"),
                                       cursor_scope("/me/following", "u1", section="all")])
    def test_a_cursor_of_another_caller_list_or_filter_is_a_400_naming_it(self, other) -> None:
        # Given a cursor issued for u1's whole feed
        token = encode_cursor({"before": "0001#abc"}, FEED)

        # When it is decoded for another caller, section or list
        with pytest.raises(InvalidInput) as refused:
            decode_cursor(token, ("before",), other)

        # Then the refusal names the cursor
        assert refused.value.details == [{"pointer": "/cursor",
                                          "message": "was issued for another list, caller or filter"}]

    def test_key_attributes_come_from_the_request_never_the_token(self) -> None:
        # Given a following cursor: user_id is the partition the page is read from
        mine = cursor_scope("/me/following", "u1", user_id="u1")

        # When a position is encoded in it
        token = encode_cursor({"user_id": "u1", "account_id": "a9", "followed_at": "2024"}, mine)

        # Then the token does not carry the partition, and decoding fills it in from the scope
        assert "u1" not in base64.urlsafe_b64decode(token + "==").decode().split('"p"')[1]
        assert decode_cursor(token, ("user_id", "account_id", "followed_at"), mine)["user_id"] == "u1"
        # And a token made up with the right scope digest that tries to carry another partition is refused
        raw = json.dumps({"s": mine.digest, "p": {"user_id": "u2", "account_id": "a9", "followed_at": "2024"}})
        forged = base64.urlsafe_b64encode(raw.encode()).decode()
        with pytest.raises(InvalidInput):
            decode_cursor(forged, ("user_id", "account_id", "followed_at"), mine)

    @pytest.mark.parametrize("raw", ["0", "101", "-1", "abc", "1.5"])
    def test_a_limit_outside_1_to_100_is_a_400_and_a_missing_one_is_20(self, raw: str) -> None:
        # Given a limit below 1, above 100 or not a whole number
        # When it is parsed / Then it is refused as invalid input
        with pytest.raises(InvalidInput):
            parse_limit(raw)

        # And no limit means 20, and 100 is still allowed
        assert parse_limit(None) == 20 and parse_limit("100") == 100


class TestFeedVisibility:
    def test_only_published_posts_of_followed_accounts_show(self) -> None:
        # Given a published post of a followed account, a removed one, and a published one of an unfollowed account
        # When the feed rule is asked about each
        published_followed = shows_in_feed("published", True)
        removed_followed = shows_in_feed("removed", True)
        published_unfollowed = shows_in_feed("published", False)

        # Then only the published post of the followed account shows
        assert published_followed
        assert not removed_followed
        assert not published_unfollowed


class TestPostRules:
    def test_each_post_type_belongs_to_its_feed_section(self) -> None:
        # Given a new product, a video, a live stream and an article
        # When the section of each is looked up
        sections = [section_of(t) for t in ("new_product", "video", "live", "article")]

        # Then new products are "new", videos and live streams "video", the rest "other"
        assert sections[0] == "new"
        assert sections[1] == sections[2] == "video"
        assert sections[3] == "other"

    def test_feed_keys_sort_by_publication_time(self) -> None:
        # Given two publication times a day apart
        early, late = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)

        # When feed keys and ids are made for them (the earlier with a later-sorting post id)
        keys, ids = (feed_key(early, "Z"), feed_key(late, "A")), (new_id(early), new_id(late))

        # Then the earlier one sorts first, whatever the post id
        assert keys[0] < keys[1]
        assert ids[0] < ids[1]

    def test_closing_times_must_follow_publication(self) -> None:
        # Given a post scheduled for the 25th whose poll closes on the 24th
        now = datetime(2026, 11, 22, tzinfo=UTC)
        body = {"publish_at": "2026-11-25T10:00:00+08:00",
                "poll": {"closes_at": "2026-11-24T10:00:00+08:00"}}

        # When the post rules check it
        with pytest.raises(InvalidInput) as refused:
            check_post_rules(body, now)

        # Then the poll's closing time is named
        assert refused.value.details[0]["pointer"] == "/poll/closes_at"

    def test_schedule_at_most_30_days_ahead_and_coupon_below_threshold(self) -> None:
        # Given a post scheduled 31 days ahead with a coupon worth its whole threshold
        now = datetime(2026, 11, 22, tzinfo=UTC)
        far, later = clock.rfc3339(now + timedelta(days=31)), clock.rfc3339(now + timedelta(days=40))
        body = {"publish_at": far, "coupon": {"amount": 300, "threshold": 300, "expires_at": later}}

        # When the post rules check it
        with pytest.raises(InvalidInput) as refused:
            check_post_rules(body, now)

        # Then both the schedule and the coupon amount are named
        assert {d["pointer"] for d in refused.value.details} == {"/publish_at", "/coupon/amount"}


class TestHookChain:
    @staticmethod
    def content(text: str) -> PostContent:
        return PostContent("p1", "a1", "article", "long_article", title="标题", text=text)

    def test_first_reject_stops_the_chain(self) -> None:
        # Given a chain of hooks that approve, reject, then approve, each noting that it ran
        calls = []

        def hook(outcome: str):
            def run(_: PostContent) -> Verdict:
                calls.append(outcome)
                return Verdict(f"h{len(calls)}", outcome, "r", "m")
            return run

        # When a post runs through it
        result = run_chain([hook(APPROVE), hook(REJECT), hook(APPROVE)], self.content("x"))

        # Then it is rejected and the hook after the rejecting one never runs
        assert result.outcome == REJECT and calls == [APPROVE, REJECT]

    def test_any_review_holds_when_nobody_rejects(self) -> None:
        # Given a chain where one hook approves and the next asks for review
        chain = [lambda c: Verdict("a", APPROVE), lambda c: Verdict("b", REVIEW, "dup", "m")]

        # When a post runs through it
        result = run_chain(chain, self.content("x"))

        # Then the post is held for review with that hook's reason and message
        assert result.outcome == REVIEW and result.reason == "dup: m"

    @staticmethod
    def configured_chain() -> list:
        # The shipped chain with in-memory stand-ins for the services its hooks read.
        return build_chain(load_chain_config(), FakeFingerprintIndex(shipped_scheme()).services(), hooks=SHIPPED_HOOKS)

    @pytest.mark.parametrize("text", ["欢迎加微信下单", "加 V：abc123", "进ＱＱ群领券", "刷单返现", "加-微-信"])
    def test_configured_chain_rejects_diversion_and_fraud(self, text: str) -> None:
        # Given the shipped chain and a text that diverts buyers off the platform or invites fraud
        chain = self.configured_chain()

        # When the text runs through the chain
        result = run_chain(chain, self.content(text))

        # Then it is rejected
        assert result.outcome == REJECT

    @pytest.mark.parametrize("text", ["支持微信支付和支付宝", "秋冬新款，欢迎选购"])
    def test_configured_chain_lets_innocent_text_pass(self, text: str) -> None:
        # Given the shipped chain and an innocent text (one that merely mentions WeChat Pay)
        chain = self.configured_chain()

        # When the text runs through the chain
        result = run_chain(chain, self.content(text))

        # Then it is approved
        assert result.outcome == APPROVE

    def test_a_hook_missing_its_service_is_a_configuration_error(self) -> None:
        # Given the shipped chain configuration and no services for its hooks
        config = load_chain_config()

        # When the chain is built / Then the build fails naming the missing service
        with pytest.raises(ValueError, match="needs the .* service"):
            build_chain(config, hooks=SHIPPED_HOOKS)

    def test_the_shipped_configuration_names_only_hooks_of_the_shipped_table(self) -> None:
        # Given the shipped chain file and hook table
        # When their names are compared
        configured = {entry["hook"] for entry in load_chain_config()["chain"]}

        # Then every configured hook has a factory (a hook left out fails here, not at the first message)
        assert configured <= set(SHIPPED_HOOKS)

    def test_unknown_hook_in_configuration_is_an_error(self) -> None:
        # Given a chain configuration naming a hook that does not exist
        config = {"chain": [{"hook": "does_not_exist"}]}

        # When the chain is built / Then the build fails
        with pytest.raises(ValueError):
            build_chain(config, hooks=SHIPPED_HOOKS)
