"""Strike rules: which rejections are strikes, and when strikes send an account to H1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.moderation.chain import APPROVE, REJECT, REVIEW, ChainResult, Verdict
from chalicelib.domain.moderation.strikes import StrikeRule, rejection_strike
from tests.unit.moderation_fakes import shipped_config

NOW = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)


def days_ago(*days: float) -> list[datetime]:
    return [NOW - timedelta(days=d) for d in days]


def test_three_strikes_within_30_days_reach_h1_but_older_ones_do_not_count() -> None:
    rule = StrikeRule.from_config(shipped_config())
    assert (rule.limit, rule.window_days) == (3, 30)
    assert rule.reached(days_ago(29, 10, 0), [], NOW)
    assert not rule.reached(days_ago(31, 10, 0), [], NOW)
    assert not rule.reached(days_ago(10, 0), [], NOW)


def test_a_release_wipes_the_strikes_before_it() -> None:
    # Given three recent strikes and a release after the second
    strikes, releases = days_ago(20, 15, 1), days_ago(10)

    # When they are counted, then only the strike after the release counts
    assert StrikeRule().active(strikes, releases, NOW) == days_ago(1)
    assert not StrikeRule().reached(strikes, releases, NOW)


def test_violations_are_strikes_but_format_mistakes_holds_and_approvals_are_not() -> None:
    config = shipped_config()

    def result(outcome: str, hook: str, reason: str) -> ChainResult:
        return ChainResult(outcome, [Verdict.approve("account_standing"), Verdict(hook, outcome, reason, "m")])

    assert rejection_strike(config, result(REJECT, "banned_words", "fraud")) == "fraud: m"
    assert rejection_strike(config, result(REJECT, "plagiarism", "plagiarism")) == "plagiarism: m"
    assert rejection_strike(config, result(REJECT, "spam", "repeated_text")) == "repeated_text: m"
    assert rejection_strike(config, result(REJECT, "media", "video_too_long")) is None
    assert rejection_strike(config, result(REJECT, "account_standing", "account_in_h1")) is None
    assert rejection_strike(config, result(REVIEW, "plagiarism", "plagiarism")) is None
    assert rejection_strike(config, ChainResult(APPROVE, [Verdict.approve("media")])) is None
