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
    def test_w1_quota_is_small_and_tiers_grow(self) -> None:
        quotas = [daily_quota_for(t) for t in ("W1", "W2", "W3", "W4")]
        assert 1 <= quotas[0] <= 9
        assert quotas == sorted(quotas)
        assert daily_quota_for("H1") == 0
        assert not hot_list_eligible("H1")

    def test_the_day_is_the_shanghai_calendar_day(self) -> None:
        # 2026-11-22 16:30 UTC is 2026-11-23 00:30 in Shanghai.
        assert quota_charge("W1", datetime(2026, 11, 22, 16, 30, tzinfo=UTC)).day == "2026-11-23"
        assert quota_charge("W1", datetime(2026, 11, 22, 15, 59, tzinfo=UTC)).day == "2026-11-22"

    def test_refusal_says_quota_count_and_reset(self) -> None:
        at = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # 22:00 Shanghai
        error = quota_exceeded(quota_charge("W1", at), 3, at)
        assert isinstance(error, QuotaExceeded) and error.status == 429
        assert error.details[0]["resets_at"] == "2026-11-23T00:00:00+08:00"
        assert error.headers["Retry-After"] == str(2 * 3600)


FEED = cursor_scope("/me/feed", "u1", section="all")


class TestCursor:
    def test_round_trip(self) -> None:
        position = {"before": "0001#abc", "served": "20"}
        assert decode_cursor(encode_cursor(position, FEED), ("before", "served"), FEED) == position

    @pytest.mark.parametrize("token", ["%%%", "bm90IGpzb24", encode_cursor({"other": "x"}, FEED),
                                       encode_cursor({"before": ""}, FEED)])
    def test_a_made_up_cursor_is_a_400(self, token: str) -> None:
        with pytest.raises(InvalidInput):
            decode_cursor(token, ("before",), FEED)

    @pytest.mark.parametrize("other", [cursor_scope("/me/feed", "u2", section="all"),
                                       cursor_scope("/me/feed", "u1", section="video"),
                                       cursor_scope("/me/following", "u1", section="all")])
    def test_a_cursor_of_another_caller_list_or_filter_is_a_400_naming_it(self, other) -> None:
        token = encode_cursor({"before": "0001#abc"}, FEED)
        with pytest.raises(InvalidInput) as refused:
            decode_cursor(token, ("before",), other)
        assert refused.value.details == [{"pointer": "/cursor",
                                          "message": "was issued for another list, caller or filter"}]

    def test_key_attributes_come_from_the_request_never_the_token(self) -> None:
        # Given a following cursor: user_id is the partition the page is read from
        mine = cursor_scope("/me/following", "u1", user_id="u1")
        token = encode_cursor({"user_id": "u1", "account_id": "a9", "followed_at": "2024"}, mine)
        # The token does not carry the partition, and decoding fills it in from the scope
        assert "u1" not in base64.urlsafe_b64decode(token + "==").decode().split('"p"')[1]
        assert decode_cursor(token, ("user_id", "account_id", "followed_at"), mine)["user_id"] == "u1"
        # And a token made up with the right scope digest that tries to carry another partition is refused
        raw = json.dumps({"s": mine.digest, "p": {"user_id": "u2", "account_id": "a9", "followed_at": "2024"}})
        forged = base64.urlsafe_b64encode(raw.encode()).decode()
        with pytest.raises(InvalidInput):
            decode_cursor(forged, ("user_id", "account_id", "followed_at"), mine)

    @pytest.mark.parametrize("raw", ["0", "101", "-1", "abc", "1.5"])
    def test_limit_out_of_range(self, raw: str) -> None:
        with pytest.raises(InvalidInput):
            parse_limit(raw)
        assert parse_limit(None) == 20 and parse_limit("100") == 100


class TestFeedVisibility:
    def test_only_published_posts_of_followed_accounts_show(self) -> None:
        assert shows_in_feed("published", True)
        assert not shows_in_feed("removed", True)
        assert not shows_in_feed("published", False)


class TestPostRules:
    def test_sections(self) -> None:
        assert section_of("new_product") == "new"
        assert section_of("video") == section_of("live") == "video"
        assert section_of("article") == "other"

    def test_feed_keys_sort_by_publication_time(self) -> None:
        early, late = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
        assert feed_key(early, "Z") < feed_key(late, "A")
        assert new_id(early) < new_id(late)

    def test_closing_times_must_follow_publication(self) -> None:
        now = datetime(2026, 11, 22, tzinfo=UTC)
        body = {"publish_at": "2026-11-25T10:00:00+08:00",
                "poll": {"closes_at": "2026-11-24T10:00:00+08:00"}}
        with pytest.raises(InvalidInput) as refused:
            check_post_rules(body, now)
        assert refused.value.details[0]["pointer"] == "/poll/closes_at"

    def test_schedule_at_most_30_days_ahead_and_coupon_below_threshold(self) -> None:
        now = datetime(2026, 11, 22, tzinfo=UTC)
        far, later = clock.rfc3339(now + timedelta(days=31)), clock.rfc3339(now + timedelta(days=40))
        body = {"publish_at": far, "coupon": {"amount": 300, "threshold": 300, "expires_at": later}}
        with pytest.raises(InvalidInput) as refused:
            check_post_rules(body, now)
        assert {d["pointer"] for d in refused.value.details} == {"/publish_at", "/coupon/amount"}


class TestHookChain:
    @staticmethod
    def content(text: str) -> PostContent:
        return PostContent("p1", "a1", "article", "long_article", title="标题", text=text)

    def test_first_reject_stops_the_chain(self) -> None:
        calls = []

        def hook(outcome: str):
            def run(_: PostContent) -> Verdict:
                calls.append(outcome)
                return Verdict(f"h{len(calls)}", outcome, "r", "m")
            return run

        result = run_chain([hook(APPROVE), hook(REJECT), hook(APPROVE)], self.content("x"))
        assert result.outcome == REJECT and calls == [APPROVE, REJECT]

    def test_any_review_holds_when_nobody_rejects(self) -> None:
        result = run_chain([lambda c: Verdict("a", APPROVE), lambda c: Verdict("b", REVIEW, "dup", "m")],
                           self.content("x"))
        assert result.outcome == REVIEW and result.reason == "dup: m"

    @staticmethod
    def configured_chain() -> list:
        # The shipped chain with in-memory stand-ins for the services its hooks read.
        return build_chain(load_chain_config(), FakeFingerprintIndex(shipped_scheme()).services(), hooks=SHIPPED_HOOKS)

    @pytest.mark.parametrize("text", ["欢迎加微信下单", "加 V：abc123", "进ＱＱ群领券", "刷单返现", "加-微-信"])
    def test_configured_chain_rejects_diversion_and_fraud(self, text: str) -> None:
        assert run_chain(self.configured_chain(), self.content(text)).outcome == REJECT

    @pytest.mark.parametrize("text", ["支持微信支付和支付宝", "秋冬新款，欢迎选购"])
    def test_configured_chain_lets_innocent_text_pass(self, text: str) -> None:
        assert run_chain(self.configured_chain(), self.content(text)).outcome == APPROVE

    def test_a_hook_missing_its_service_is_a_configuration_error(self) -> None:
        with pytest.raises(ValueError, match="needs the .* service"):
            build_chain(load_chain_config(), hooks=SHIPPED_HOOKS)

    def test_the_shipped_configuration_names_only_hooks_of_the_shipped_table(self) -> None:
        # Given the shipped chain file and hook table / When their names are compared
        configured = {entry["hook"] for entry in load_chain_config()["chain"]}
        # Then every configured hook has a factory (a hook left out fails here, not at the first message)
        assert configured <= set(SHIPPED_HOOKS)

    def test_unknown_hook_in_configuration_is_an_error(self) -> None:
        with pytest.raises(ValueError):
            build_chain({"chain": [{"hook": "does_not_exist"}]}, hooks=SHIPPED_HOOKS)
