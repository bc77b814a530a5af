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
    # Given the shipped strike rule: 3 strikes within 30 days
    rule = StrikeRule.from_config(shipped_config())
    assert (rule.limit, rule.window_days) == (3, 30)

    # When three strikes in the last 30 days, three with one older, and two are counted
    three_recent = rule.reached(days_ago(29, 10, 0), [], NOW)
    one_too_old = rule.reached(days_ago(31, 10, 0), [], NOW)
    only_two = rule.reached(days_ago(10, 0), [], NOW)

    # Then only the three recent ones send the account to H1
    assert three_recent
    assert not one_too_old
    assert not only_two


def test_a_release_wipes_the_strikes_before_it() -> None:
    # Given three recent strikes and a release after the second
    strikes, releases = days_ago(20, 15, 1), days_ago(10)

    # When they are counted
    active = StrikeRule().active(strikes, releases, NOW)

    # Then only the strike after the release counts, and the limit is not reached
    assert active == days_ago(1)
    assert not StrikeRule().reached(strikes, releases, NOW)


def test_violations_are_strikes_but_format_mistakes_holds_and_approvals_are_not() -> None:
    # Given the shipped strike configuration and chain results of each kind
    config = shipped_config()

    def result(outcome: str, hook: str, reason: str) -> ChainResult:
        return ChainResult(outcome, [Verdict.approve("account_standing"), Verdict(hook, outcome, reason, "m")])

    results = {
        "fraud": result(REJECT, "banned_words", "fraud"),
        "plagiarism": result(REJECT, "plagiarism", "plagiarism"),
        "repeat": result(REJECT, "spam", "repeated_text"),
        "format_mistake": result(REJECT, "media", "video_too_long"),
        "in_h1": result(REJECT, "account_standing", "account_in_h1"),
        "held": result(REVIEW, "plagiarism", "plagiarism"),
        "approved": ChainResult(APPROVE, [Verdict.approve("media")]),
    }

    # When each is judged
    strikes = {kind: rejection_strike(config, chain_result) for kind, chain_result in results.items()}

    # Then rejections for fraud, plagiarism and repeats are strikes, named by reason and message
    assert strikes["fraud"] == "fraud: m"
    assert strikes["plagiarism"] == "plagiarism: m"
    assert strikes["repeat"] == "repeated_text: m"
    # And a media format mistake, a rejection for being in H1, a hold and an approval are not
    assert strikes["format_mistake"] is None
    assert strikes["in_h1"] is None
    assert strikes["held"] is None
    assert strikes["approved"] is None
