"""Activity tracking rules that need no storage: messages, day buckets and the stats window.

A request that shows or touches content (a feed page, opening a post, a like...) is
described by one :class:`ActivityMessage`: who, when, and how much of each counter
per account (and per post, for post counters such as ``reads``). The consumer merges
a batch of messages into one :class:`ActivityPlan` — counter increments per
(account, Asia/Shanghai day), fan-activity per (account, day, hour), the set of
(account, day, fan) facts and post counter increments — so a batch costs one write per
distinct item, however many requests it holds.

Counters are ADDs, and SQS delivers at least once, so each message's effect is made
exactly-once: a message is cut into :class:`ActivityUnit` s (its counter writes, at
most :data:`MAX_UNIT_WRITES` each, cut the same way on every delivery) and each unit
is applied in one transaction with a marker of its id (``store.activity``). A
redelivered unit finds its marker and adds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.errors import InvalidInput

# Per-account daily counters (the attributes of store.activity.AccountDayModel).
COUNTERS = ("impressions", "reads", "likes", "comments", "votes", "buyer_shows", "new_followers",
            "lost_followers", "posts", "system_posts")
# Counters that make a follower an "active fan" of the account that day.
FAN_ACTIVITY = frozenset({"impressions", "reads", "likes", "comments", "votes", "buyer_shows"})
# Counters kept on the post itself by the activity consumer.
POST_COUNTERS = frozenset({"reads"})
MAX_ID_CHARS = 256
MAX_COUNT = 10_000
# The owner stats window: the default span and the longest span one request may ask for.
DEFAULT_STATS_DAYS = 30
MAX_STATS_DAYS = 92


@dataclass(frozen=True)
class ActivityMessage:
    """One request's activity: ``accounts[account_id][counter]`` and ``posts[post_id][counter]``."""

    at: datetime
    user_id: str | None
    accounts: dict[str, dict[str, int]]
    posts: dict[str, dict[str, int]] = field(default_factory=dict)
    # Unique per request, set by the sender: a redelivery (or a resent copy) keeps it.
    message_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"v": 1, "id": self.message_id, "at": self.at.isoformat(), "user_id": self.user_id,
                "accounts": self.accounts, "posts": self.posts}

    @classmethod
    def from_json(cls, body: Any) -> ActivityMessage:
        """Parse a message body; raises ``ValueError`` for anything malformed (it is dropped, not retried)."""
        if not isinstance(body, dict) or body.get("v") != 1:
            raise ValueError("not an activity message (v1)")
        at = clock.parse_rfc3339(str(body.get("at")))
        user_id = body.get("user_id")
        if user_id is not None and not _is_id(user_id):
            raise ValueError("user_id is not an id")
        accounts = _counts(body.get("accounts"), set(COUNTERS))
        posts = _counts(body.get("posts") or {}, set(POST_COUNTERS))
        message_id = body.get("id") or ""
        if message_id and not _is_id(message_id):
            raise ValueError("id is not an id")
        return cls(at=at, user_id=user_id, accounts=accounts, posts=posts, message_id=message_id)


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS


def _counts(raw: Any, allowed: set[str]) -> dict[str, dict[str, int]]:
    if not isinstance(raw, dict):
        raise ValueError("counts must be an object")
    out: dict[str, dict[str, int]] = {}
    for key, counters in raw.items():
        if not _is_id(key) or not isinstance(counters, dict):
            raise ValueError(f"bad counts for {key!r}")
        for name, n in counters.items():
            if name not in allowed or not isinstance(n, int) or isinstance(n, bool) or not 0 < n <= MAX_COUNT:
                raise ValueError(f"bad counter {name!r}={n!r}")
        out[key] = dict(counters)
    return out


@dataclass
class ActivityPlan:
    """What a batch of messages changes, merged so each item is written once."""

    day_counters: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    # (account_id, "YYYY-MM-DD#HH") -> fan actions in that hour
    hours: dict[tuple[str, str], int] = field(default_factory=dict)
    # (account_id, "YYYY-MM-DD", user_id)
    fan_days: set[tuple[str, str, str]] = field(default_factory=set)
    post_counters: dict[str, dict[str, int]] = field(default_factory=dict)


def fan_candidates(messages: Iterable[ActivityMessage]) -> set[tuple[str, str]]:
    """(account_id, user_id) pairs whose follow status decides whether they count as fan activity."""
    return {(account_id, m.user_id) for m in messages if m.user_id
            for account_id, counters in m.accounts.items() if FAN_ACTIVITY & counters.keys()}


def plan_activity(messages: Iterable[ActivityMessage], fans: set[tuple[str, str]]) -> ActivityPlan:
    """Merge messages into increments; ``fans`` are the (account, user) pairs that follow.

    Counters count everyone (a stranger's read is a read); the fan-day facts and the
    hourly histogram count followers only, since they measure the account's fans.
    Each message adds 1 to its hour per account it touched (a feed page showing three
    of the account's posts is one moment of fan activity, not three).
    """
    day_counters: defaultdict[tuple[str, str], defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    post_counters: defaultdict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    hours: defaultdict[tuple[str, str], int] = defaultdict(int)
    fan_days: set[tuple[str, str, str]] = set()
    for message in messages:
        day, hour = clock.day_of(message.at), clock.hour_of(message.at)
        for account_id, counters in message.accounts.items():
            for name, n in counters.items():
                day_counters[(account_id, day)][name] += n
            if message.user_id and FAN_ACTIVITY & counters.keys() and (account_id, message.user_id) in fans:
                fan_days.add((account_id, day, message.user_id))
                hours[(account_id, f"{day}#{hour:02d}")] += 1
        for post_id, counters in message.posts.items():
            for name, n in counters.items():
                post_counters[post_id][name] += n
    return ActivityPlan(day_counters={k: dict(v) for k, v in day_counters.items()}, hours=dict(hours),
                        fan_days=fan_days, post_counters={k: dict(v) for k, v in post_counters.items()})


# One transaction holds at most 100 actions: a unit's marker plus its writes fit one.
MAX_TRANSACTION_ACTIONS = 100
MAX_UNIT_WRITES = MAX_TRANSACTION_ACTIONS - 1
# A counter write: ("day", account_id, day) / ("hour", account_id, "YYYY-MM-DD#HH") / ("post", post_id).
WriteKey = tuple[str, ...]


@dataclass(frozen=True)
class ActivityUnit:
    """Counter writes applied together with their marker ``unit_id``, exactly once."""

    unit_id: str
    writes: dict[WriteKey, dict[str, int]]


def plan_writes(plan: ActivityPlan) -> dict[WriteKey, dict[str, int]]:
    """A plan's counter increments keyed by the item they update (fan-days are idempotent puts)."""
    writes: dict[WriteKey, dict[str, int]] = {}
    for (account_id, day), counters in plan.day_counters.items():
        writes[("day", account_id, day)] = dict(counters)
    for (account_id, day_hour), n in plan.hours.items():
        writes[("hour", account_id, day_hour)] = {"active": n}
    for post_id, counters in plan.post_counters.items():
        writes[("post", post_id)] = dict(counters)
    return writes


def activity_units(messages: Iterable[ActivityMessage], fans: set[tuple[str, str]]) -> list[ActivityUnit]:
    """Each message's counter writes as units ``<message_id>#<n>`` (the same cut on every delivery).

    A message appearing twice (the same id) counts once; one with no counter writes has no unit.
    """
    units: list[ActivityUnit] = []
    seen: set[str] = set()
    for message in messages:
        if message.message_id in seen:
            continue
        seen.add(message.message_id)
        writes = plan_writes(plan_activity([message], fans))
        keys = sorted(writes)
        for n, start in enumerate(range(0, len(keys), MAX_UNIT_WRITES)):
            units.append(ActivityUnit(f"{message.message_id}#{n}",
                                      {k: writes[k] for k in keys[start:start + MAX_UNIT_WRITES]}))
    return units


def merge_writes(units: Iterable[ActivityUnit]) -> dict[WriteKey, dict[str, int]]:
    """The units' writes summed per item (one update per item in their transaction)."""
    merged: defaultdict[WriteKey, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for unit in units:
        for key, counters in unit.writes.items():
            for name, n in counters.items():
                merged[key][name] += n
    return {k: dict(v) for k, v in merged.items()}


def transaction_groups(units: Iterable[ActivityUnit]) -> list[list[ActivityUnit]]:
    """Units packed in order into transactions of at most 100 actions (markers plus merged writes)."""
    groups: list[list[ActivityUnit]] = []
    current: list[ActivityUnit] = []
    keys: set[WriteKey] = set()
    for unit in units:
        grown = keys | unit.writes.keys()
        if current and len(current) + 1 + len(grown) > MAX_TRANSACTION_ACTIONS:
            groups.append(current)
            current, grown = [], set(unit.writes)
        current.append(unit)
        keys = grown
    if current:
        groups.append(current)
    return groups


def stats_window(from_text: str | None, to_text: str | None, today: date) -> tuple[date, date]:
    """The completed days an owner's stats cover (N+1: yesterday at the latest).

    Defaults to the last :data:`DEFAULT_STATS_DAYS` completed days; ``to`` later than
    yesterday is clamped to yesterday. Raises :class:`InvalidInput` naming ``/from``
    or ``/to`` for a malformed date, a reversed range or a span over
    :data:`MAX_STATS_DAYS` days.
    """
    yesterday = today - timedelta(days=1)

    def parse(name: str, text: str | None) -> date | None:
        if text is None:
            return None
        try:
            if len(text) != 10:
                raise ValueError(text)
            return clock.check_calendar_day(date.fromisoformat(text))
        except ValueError:
            message = f"must be a date YYYY-MM-DD from {clock.FIRST_DAY.isoformat()} to {clock.LAST_DAY.isoformat()}"
            raise InvalidInput(f"{name} {message}", details=[{"pointer": f"/{name}", "message": message}]) from None

    to_day = min(parse("to", to_text) or yesterday, yesterday)
    from_day = parse("from", from_text) or to_day - timedelta(days=DEFAULT_STATS_DAYS - 1)
    if from_day > to_day:
        raise InvalidInput("from must not be after to (or after yesterday: today's counters are under 'today')",
                           details=[{"pointer": "/from", "message": f"must be on or before {to_day.isoformat()}"}])
    if (to_day - from_day).days + 1 > MAX_STATS_DAYS:
        raise InvalidInput(f"a stats request spans at most {MAX_STATS_DAYS} days",
                           details=[{"pointer": "/from", "message": f"at most {MAX_STATS_DAYS} days before to"}])
    return from_day, to_day


def days_between(first: date, last: date) -> list[str]:
    """Every day from ``first`` to ``last`` inclusive, ``YYYY-MM-DD``."""
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def best_hour(histogram: list[int]) -> int | None:
    """The hour with the most fan activity (the earliest on a tie); ``None`` with no activity."""
    top = max(histogram, default=0)
    return histogram.index(top) if top > 0 else None
