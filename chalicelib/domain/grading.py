"""Tier grading rules: metrics → status → new tier, and the rule that decided.

Everything here is pure and configured by ``chalicelib/data/tiers.json`` (README,
"Tier grading"). Per account, over the 30 days before a cut-off (Asia/Shanghai):

- ``fans``: followers at the cut-off;
- ``active_fans``: distinct followers active with the account's content in the window;
- ``revisit_rate``: of the followers active in the last 7 days, the share active on 2+
  distinct days;
- ``avg_daily_posts``: manual posts published in the window / 30.

A tier's status is the best level (``excellent`` > ``good``) whose every threshold the
metrics meet, else ``poor``. The monthly decision: poor demotes one tier, good keeps,
excellent promotes one tier when the next tier's entry conditions are met too; the
first tier (W1) has no status and promotes when it meets the second's entry
conditions; tiers outside the order (H1) are not graded.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.tiers import tier_config

METRICS = ("fans", "active_fans", "revisit_rate", "avg_daily_posts")
POOR, GOOD, EXCELLENT = "poor", "good", "excellent"
# Rates are compared and stored at this many decimals, so an owner sees what was compared.
RATE_DECIMALS = 4

# The rule behind each decision (stored with every grade record).
RULE_NOT_GRADED = "not_graded"
RULE_ENTRY_MET = "entry_met"
RULE_ENTRY_NOT_MET = "entry_not_met"
RULE_POOR_DEMOTES = "poor_demotes"
RULE_GOOD_KEEPS = "good_keeps"
RULE_EXCELLENT_PROMOTES = "excellent_promotes"
RULE_EXCELLENT_ENTRY_NOT_MET = "excellent_entry_not_met"
RULE_EXCELLENT_TOP_TIER = "excellent_top_tier"

MONTH_RUN, WEEK_RUN = "month", "week"


class GradingConfigError(ValueError):
    """tiers.json does not describe a usable grading (raised when it is loaded)."""


# --- configuration ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TierRules:
    """One tier's grading thresholds: entry conditions and the good / excellent minimums."""

    name: str
    entry: Mapping[str, float] | None = None
    good: Mapping[str, float] | None = None
    excellent: Mapping[str, float] | None = None


@dataclass(frozen=True)
class GradingConfig:
    """The grading part of tiers.json, validated."""

    order: tuple[str, ...]
    tiers: Mapping[str, TierRules]
    window_days: int = 30
    revisit_days: int = 7
    revisit_min_days: int = 2

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> GradingConfig:
        """Build and check the configuration.

        Raises
        ------
        GradingConfigError
            When a tier of the order lacks thresholds, names an unknown metric, has an
            excellent minimum below its good one, or the windows are not positive.
        """
        order = tuple(raw.get("order") or ())
        tiers_raw = raw.get("tiers") or {}
        if len(order) < 2 or len(set(order)) != len(order) or any(t not in tiers_raw for t in order):
            raise GradingConfigError("order must list two or more distinct tiers, each defined under 'tiers'")
        metrics = raw.get("metrics") or {}
        windows = {name: metrics.get(name, default) for name, default in
                   (("window_days", 30), ("revisit_days", 7), ("revisit_min_days", 2))}
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in windows.values()):
            raise GradingConfigError("metrics.window_days, revisit_days and revisit_min_days must be positive integers")
        if windows["revisit_days"] > windows["window_days"]:
            raise GradingConfigError("metrics.revisit_days cannot exceed metrics.window_days")
        tiers: dict[str, TierRules] = {}
        for index, name in enumerate(order):
            spec = tiers_raw[name]
            status = spec.get("status") or {}
            if index == 0:
                if spec.get("entry") or status:
                    raise GradingConfigError(f"{name} is the first tier: it has no status and no entry conditions")
                tiers[name] = TierRules(name)
                continue
            entry = _thresholds(f"{name}.entry", spec.get("entry"))
            good = _thresholds(f"{name}.status.good", status.get("good"))
            excellent = _thresholds(f"{name}.status.excellent", status.get("excellent"))
            for metric, minimum in good.items():
                if excellent.get(metric, math.inf) < minimum:
                    raise GradingConfigError(f"{name}: the excellent {metric} minimum is below the good one")
            tiers[name] = TierRules(name, entry=entry, good=good, excellent=excellent)
        return cls(order=order, tiers=tiers, **windows)

    def next_tier(self, tier: str) -> str | None:
        index = self.order.index(tier)
        return self.order[index + 1] if index + 1 < len(self.order) else None

    def previous_tier(self, tier: str) -> str | None:
        index = self.order.index(tier)
        return self.order[index - 1] if index > 0 else None


def _thresholds(where: str, raw: Any) -> dict[str, float]:
    if not isinstance(raw, dict) or not raw:
        raise GradingConfigError(f"{where} must be an object of metric minimums")
    for metric, value in raw.items():
        if metric not in METRICS:
            raise GradingConfigError(f"{where}: unknown metric {metric!r} (metrics are {', '.join(METRICS)})")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise GradingConfigError(f"{where}.{metric} must be a number >= 0")
    return dict(raw)


@lru_cache(maxsize=1)
def grading_config() -> GradingConfig:
    """The shipped configuration (tiers.json), read and checked once per process."""
    return GradingConfig.from_json(tier_config())


# --- metrics ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Metrics:
    """One account's grading metrics over a window."""

    fans: int
    active_fans: int
    revisit_rate: float
    avg_daily_posts: float

    def value(self, metric: str) -> float:
        return float(getattr(self, metric))

    def as_dict(self) -> dict[str, float | int]:
        return {metric: getattr(self, metric) for metric in METRICS}


@dataclass(frozen=True)
class Window:
    """The days a grading looks at: ``start`` ≤ day < ``cutoff``; the revisit window is the last days of it."""

    cutoff: str
    start: str
    revisit_start: str
    days: int

    @classmethod
    def before(cls, cutoff: date, config: GradingConfig) -> Window:
        return cls(cutoff=cutoff.isoformat(), start=(cutoff - timedelta(days=config.window_days)).isoformat(),
                   revisit_start=(cutoff - timedelta(days=config.revisit_days)).isoformat(),
                   days=config.window_days)


@dataclass(frozen=True)
class FanCounts:
    active_fans: int = 0
    active_recent: int = 0  # fans active in the revisit window
    revisiting: int = 0  # of those, active on revisit_min_days or more distinct days


@dataclass
class FanTally:
    """Counts one account's fan-day facts (``day``, ``user``), each fact at most once.

    Memory is one entry per distinct fan of this account in the window.
    """

    window: Window
    min_days: int = 2
    _fans: set[str] = field(default_factory=set)
    _recent_days: Counter[str] = field(default_factory=Counter)

    def add(self, day: str, user: str) -> None:
        if not self.window.start <= day < self.window.cutoff:
            return
        self._fans.add(user)
        if day >= self.window.revisit_start:
            self._recent_days[user] += 1

    def counts(self) -> FanCounts:
        return FanCounts(active_fans=len(self._fans), active_recent=len(self._recent_days),
                         revisiting=sum(1 for n in self._recent_days.values() if n >= self.min_days))


@dataclass(frozen=True)
class DayCounts:
    posts: int = 0  # manual posts in the window
    net_followers_since: int = 0  # new minus lost followers from the cut-off day on


def tally_day(window: Window, counts: DayCounts, day: str, posts: int, new_followers: int,
              lost_followers: int) -> DayCounts:
    """Add one account-day row to ``counts``: posts inside the window, follower moves from the cut-off on."""
    if window.start <= day < window.cutoff:
        return DayCounts(counts.posts + posts, counts.net_followers_since)
    if day >= window.cutoff:
        return DayCounts(counts.posts, counts.net_followers_since + new_followers - lost_followers)
    return counts


def metrics_from(follower_count: int, days: DayCounts, fans: FanCounts, window: Window) -> Metrics:
    """The metrics of one account.

    Fans at the cut-off are today's follower count minus the follows and unfollows
    recorded from the cut-off day on, so a run started late (or rerun) still grades the
    cut-off, not the moment it ran.
    """
    rate = fans.revisiting / fans.active_recent if fans.active_recent else 0.0
    return Metrics(fans=max(0, follower_count - days.net_followers_since), active_fans=fans.active_fans,
                   revisit_rate=round(rate, RATE_DECIMALS),
                   avg_daily_posts=round(days.posts / window.days, RATE_DECIMALS))


# --- decisions -------------------------------------------------------------------------------

def meets(conditions: Mapping[str, float] | None, metrics: Metrics) -> bool:
    """Whether ``metrics`` reach every minimum of ``conditions`` (a minimum is met when equal)."""
    return all(metrics.value(metric) >= minimum for metric, minimum in (conditions or {}).items())


def status_for(tier: str, metrics: Metrics, config: GradingConfig | None = None) -> str | None:
    """``poor``, ``good`` or ``excellent`` for a tier with thresholds; None for the first tier and H1."""
    config = config or grading_config()
    rules = config.tiers.get(tier)
    if rules is None or rules.good is None:
        return None
    if meets(rules.excellent, metrics):
        return EXCELLENT
    return GOOD if meets(rules.good, metrics) else POOR


@dataclass(frozen=True)
class Decision:
    """What the monthly grading does with one account, and why."""

    old_tier: str
    status: str | None
    new_tier: str
    rule: str

    @property
    def movement(self) -> str:
        """``promotion``, ``demotion`` or ``kept`` (needs the tier order: see :func:`movement`)."""
        return movement(self.old_tier, self.new_tier)


def movement(old_tier: str, new_tier: str, config: GradingConfig | None = None) -> str:
    config = config or grading_config()
    if old_tier == new_tier or old_tier not in config.order or new_tier not in config.order:
        return "kept"
    return "promotion" if config.order.index(new_tier) > config.order.index(old_tier) else "demotion"


def decide(tier: str, metrics: Metrics, config: GradingConfig | None = None) -> Decision:
    """The monthly decision for an account in ``tier`` with ``metrics``.

    Examples
    --------
    >>> cfg = GradingConfig.from_json({"order": ["W1", "W2"], "tiers": {"W1": {}, "W2": {
    ...     "entry": {"fans": 10}, "status": {"good": {"fans": 5}, "excellent": {"fans": 50}}}}})
    >>> decide("W1", Metrics(12, 0, 0.0, 0.0), cfg)
    Decision(old_tier='W1', status=None, new_tier='W2', rule='entry_met')
    >>> decide("W2", Metrics(4, 0, 0.0, 0.0), cfg).rule
    'poor_demotes'
    """
    config = config or grading_config()
    if tier not in config.order:
        return Decision(tier, None, tier, RULE_NOT_GRADED)
    following = config.next_tier(tier)
    if tier == config.order[0]:
        assert following is not None  # the order has two or more tiers
        if meets(config.tiers[following].entry, metrics):
            return Decision(tier, None, following, RULE_ENTRY_MET)
        return Decision(tier, None, tier, RULE_ENTRY_NOT_MET)
    status = status_for(tier, metrics, config)
    if status == POOR:
        return Decision(tier, status, config.previous_tier(tier) or tier, RULE_POOR_DEMOTES)
    if status == GOOD:
        return Decision(tier, status, tier, RULE_GOOD_KEEPS)
    if following is None:
        return Decision(tier, status, tier, RULE_EXCELLENT_TOP_TIER)
    if meets(config.tiers[following].entry, metrics):
        return Decision(tier, status, following, RULE_EXCELLENT_PROMOTES)
    return Decision(tier, status, tier, RULE_EXCELLENT_ENTRY_NOT_MET)


def standing(tier: str, metrics: Metrics, config: GradingConfig | None = None) -> dict[str, Any]:
    """Each metric against the tier's thresholds and the next tier's entry, plus what to improve.

    ``to_improve`` lists unmet targets, most urgent first: the ``good`` minimums (a poor
    status demotes at the next monthly grading), then ``excellent``, then the next
    tier's entry conditions (``promotion``).
    """
    config = config or grading_config()
    rules = config.tiers.get(tier, TierRules(tier))
    following = config.next_tier(tier) if tier in config.order else None
    entry = config.tiers[following].entry if following else None
    table: dict[str, dict[str, Any]] = {}
    to_improve: list[dict[str, Any]] = []
    for metric in METRICS:
        value = metrics.value(metric)
        row: dict[str, Any] = {"value": metrics.as_dict()[metric]}
        for goal, thresholds in (("good", rules.good), ("excellent", rules.excellent), ("promotion", entry)):
            if thresholds is None or metric not in thresholds:
                continue
            row[goal] = thresholds[metric]
            if value < thresholds[metric]:
                to_improve.append({"metric": metric, "value": row["value"], "target": thresholds[metric],
                                   "for": goal})
        table[metric] = row
    rank = {"good": 0, "excellent": 1, "promotion": 2}
    to_improve.sort(key=lambda item: rank[item["for"]])
    return {"tier": tier, "status": status_for(tier, metrics, config), "next_tier": following,
            "metrics": table, "to_improve": to_improve}


# --- runs ------------------------------------------------------------------------------------

_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_month(text: Any) -> date:
    """The first day of a ``YYYY-MM`` month (ASCII digits only: one month, one run id); 400 otherwise."""
    try:
        if not isinstance(text, str) or not _MONTH.fullmatch(text):
            raise ValueError(text)
        return clock.check_calendar_day(date(int(text[:4]), int(text[5:]), 1))
    except ValueError:
        raise InvalidInput(f"month must be YYYY-MM from {clock.FIRST_DAY:%Y-%m}, got {str(text)[:20]!r}",
                           details=[{"pointer": "/month", "message": "must be YYYY-MM"}]) from None


def run_kind(run_id: str) -> str:
    """``month`` for a monthly run id (``YYYY-MM``), ``week`` for a weekly status run (``YYYY-MM-DD``)."""
    if len(run_id) == 7:
        parse_month(run_id)
        return MONTH_RUN
    try:
        if not _DAY.fullmatch(run_id):
            raise ValueError(run_id)
        clock.check_calendar_day(date.fromisoformat(run_id))
    except ValueError:
        raise InvalidInput(f"a grading run is named by its month (YYYY-MM) or, for a weekly status run, "
                           f"its day (YYYY-MM-DD); got {run_id!r}",
                           details=[{"pointer": "/month", "message": "must be YYYY-MM or YYYY-MM-DD"}]) from None
    return WEEK_RUN


def cutoff_of(run_id: str) -> date:
    """The first day after a run's window: the 1st of the month, or the weekly run's day."""
    return parse_month(run_id) if run_kind(run_id) == MONTH_RUN else date.fromisoformat(run_id)


def check_runnable(run_id: str, now: datetime, max_age_days: int) -> None:
    """Refuse a run whose cut-off is in the future or older than the fan activity kept.

    Raises
    ------
    InvalidInput
        A month whose 1st (Asia/Shanghai) has not begun, or whose window's fan activity
        has already expired (``max_age_days`` after the cut-off).
    """
    cutoff = cutoff_of(run_id)
    starts = clock.local_midnight(cutoff)
    if starts > now:
        raise InvalidInput(f"{run_id} cannot be graded before {clock.rfc3339(starts)} (Asia/Shanghai)",
                           details=[{"pointer": "/month", "message": "starts in the future"}])
    if now - starts > timedelta(days=max_age_days):
        raise InvalidInput(f"{run_id} is too old to grade: the fan activity of its window is kept "
                           f"only {max_age_days} days after {cutoff.isoformat()}",
                           details=[{"pointer": "/month", "message": "is too old"}])


def tier_change_mark(at: datetime, previous_tier: str) -> str:
    """How a tier change is kept on the account: ``<epoch ms, 13 digits>#<tier before the change>``."""
    return f"{clock.epoch_millis(at):013d}#{previous_tier}"


def tier_at(current_tier: str, changes: Sequence[str] | None, instant: datetime) -> str:
    """The tier an account had at ``instant``: the tier before its first change after it, else today's.

    A run grades accounts as they stood when it started, however late its shards scan.

    Examples
    --------
    >>> from datetime import UTC
    >>> moved = [tier_change_mark(datetime(2026, 11, 2, tzinfo=UTC), "W3")]
    >>> tier_at("H1", moved, datetime(2026, 11, 1, tzinfo=UTC)), tier_at("H1", moved, datetime(2026, 11, 3, tzinfo=UTC))
    ('W3', 'H1')
    """
    after = clock.epoch_millis(instant)
    for mark in changes or ():
        at, _, previous = mark.partition("#")
        if int(at) > after:
            return previous
    return current_tier


def shard_count(items: int, per_shard: int, maximum: int) -> int:
    """How many shards split ``items`` into shards of about ``per_shard`` (1 to ``maximum``)."""
    return max(1, min(maximum, math.ceil(items / max(1, per_shard))))


def shard_progress(phases: Mapping[str, Sequence[str]], finished: Collection[str]) -> dict[str, Any]:
    """How far a sharded run (grading, related accounts) got: shards done per phase, and of all.

    ``phases`` names each phase's shard ids; ``finished`` holds the ids of the shards done.

    Examples
    --------
    >>> shard_progress({"map_shards": ["m0", "m1"], "reduce_shards": ["r0"]}, {"m0", "m1"})
    {'map_shards': {'done': 2, 'total': 2}, 'reduce_shards': {'done': 0, 'total': 1}, 'fraction': 0.6667}
    """
    counts = {phase: {"done": sum(1 for shard in shards if shard in finished), "total": len(shards)}
              for phase, shards in phases.items()}
    done, total = sum(c["done"] for c in counts.values()), sum(c["total"] for c in counts.values())
    return {**counts, "fraction": round(done / max(1, total), 4)}


def bucket_of(account_id: str, buckets: int) -> int:
    """The reduce shard of an account: a stable hash of its id (the same in every process and run)."""
    digest = hashlib.blake2b(account_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % buckets


# --- run summaries ---------------------------------------------------------------------------

@dataclass
class MonthSummary:
    """Counts of one monthly run (or one shard of it): tiers before and after, moves, rules."""

    graded: int = 0
    skipped_new: int = 0  # created after the run started
    not_applied: int = 0  # the account changed (e.g. sent to H1) before its grade was applied
    before: Counter[str] = field(default_factory=Counter)
    after: Counter[str] = field(default_factory=Counter)
    transitions: dict[str, Counter[str]] = field(default_factory=dict)
    rules: Counter[str] = field(default_factory=Counter)
    moves: Counter[str] = field(default_factory=Counter)

    def add(self, decision: Decision, config: GradingConfig | None = None) -> None:
        """Count one account; H1 and other ungraded tiers count in before/after only."""
        self.before[decision.old_tier] += 1
        self.after[decision.new_tier] += 1
        self.transitions.setdefault(decision.old_tier, Counter())[decision.new_tier] += 1
        if decision.rule == RULE_NOT_GRADED:
            return
        self.graded += 1
        self.rules[decision.rule] += 1
        self.moves[movement(decision.old_tier, decision.new_tier, config)] += 1

    def to_json(self) -> dict[str, Any]:
        return {"graded": self.graded, "promotions": self.moves["promotion"], "demotions": self.moves["demotion"],
                "kept": self.moves["kept"], "skipped_new": self.skipped_new, "not_applied": self.not_applied,
                "before": dict(sorted(self.before.items())), "after": dict(sorted(self.after.items())),
                "transitions": {old: dict(sorted(row.items())) for old, row in sorted(self.transitions.items())},
                "rules": dict(sorted(self.rules.items()))}


@dataclass
class WeekSummary:
    """Counts of one weekly status refresh: statuses per tier."""

    graded: int = 0
    skipped_new: int = 0
    changed: int = 0  # accounts whose tier_status changed
    tiers: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, tier: str, status: str | None, config: GradingConfig | None = None) -> None:
        config = config or grading_config()
        self.tiers[tier] += 1
        if tier not in config.order:
            return
        self.graded += 1
        if status is not None:
            self.statuses.setdefault(tier, Counter())[status] += 1

    def to_json(self) -> dict[str, Any]:
        return {"graded": self.graded, "skipped_new": self.skipped_new, "changed": self.changed,
                "tiers": dict(sorted(self.tiers.items())),
                "statuses": {tier: dict(sorted(row.items())) for tier, row in sorted(self.statuses.items())}}


def merged_summary(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A run's summary from its shards' (``MonthSummary`` or ``WeekSummary`` JSON): every count adds up.

    Numbers add; nested counts add key by key, their keys sorted as ``to_json`` sorts them.

    Examples
    --------
    >>> merged_summary([{"graded": 1, "tiers": {"W2": 1}}, {"graded": 2, "tiers": {"W1": 2, "W2": 1}}])
    {'graded': 3, 'tiers': {'W1': 2, 'W2': 2}}
    """
    total: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, Mapping):
                total[key] = dict(sorted(merged_summary([total.get(key, {}), value]).items()))
            else:
                total[key] = total.get(key, 0) + value
    return total
