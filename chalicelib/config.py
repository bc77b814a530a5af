"""The one place that reads environment variables.

Every other module takes its settings from :data:`settings`. Names of tables and
queues are derived from ``STAGE`` so the local runner, the tests and the deployed
stack all agree on them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields

AUTH_MODES = ("hs256", "cognito")
# The public secret of local runs and tests: usable only outside Lambda.
DEV_JWT_SECRET = "dev-only-secret-change-me-0123456789abcdef"
MIN_JWT_SECRET_CHARS = 32


class ConfigError(RuntimeError):
    """A setting that is missing, mistyped, out of range or unsafe: the code refuses to load."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"setting {name} {problem}")
        self.setting = name


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigError(name, f"must be an integer, not {raw!r}") from None


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(name, f"must be a number, not {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ConfigError(name, f"must be a finite number, not {raw!r}")
    return value


def _in_lambda() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and not os.environ.get("AWS_SAM_LOCAL")


# Integer settings and their sane ranges (inclusive): a value outside stops the import.
_INT_RANGES: dict[str, tuple[int, int]] = {
    "max_body_bytes": (1_024, 10 * 1_048_576),  # API Gateway caps requests at 10 MB
    "fanout_page_size": (1, 100_000),
    "fanout_writers": (1, 64),
    "hybrid_pull_above": (1, 10**9),
    "hybrid_push_below": (0, 10**9),
    "hybrid_max_pulled": (0, 100),
    "backfill_posts": (0, 100),
    "inbox_max_entries": (1, 100_000),
    "inbox_trim_sample": (1, 10**12),
    "idempotency_ttl_s": (60, 7 * 86_400),
    "moderation_resend_after_s": (1, 86_400),
    "grading_rows_per_segment": (1, 10**8),
    "grading_accounts_per_bucket": (1, 10**7),
    "grading_max_shards": (1, 100_000),
    "grading_write_threads": (1, 64),
    "suggestion_accounts_per_shard": (1, 100_000),
    "suggestion_max_shards": (1, 100_000),
    "suggestion_read_threads": (1, 64),
    "auto_new_window_s": (1, 7 * 86_400),
    "auto_new_close_grace_s": (0, 3_600),
}


@dataclass
class Settings:
    stage: str = field(default_factory=lambda: os.environ.get("STAGE", "local"))
    region: str = field(default_factory=lambda: os.environ.get("AWS_DEFAULT_REGION", "ap-southeast-1"))
    # "hs256": tokens signed with AUTH_JWT_SECRET and verified in-process (local only).
    # "cognito": API Gateway's Cognito authorizer verified the token; we read its claims.
    # Inside Lambda only "cognito" loads; "hs256" is for local runs and tests.
    auth_mode: str = field(default_factory=lambda: os.environ.get("AUTH_MODE", "hs256"))
    jwt_secret: str = field(default_factory=lambda: os.environ.get("AUTH_JWT_SECRET", DEV_JWT_SECRET))
    cognito_user_pool_arn: str = field(default_factory=lambda: os.environ.get("COGNITO_USER_POOL_ARN", ""))
    # The web console's sign-in when deployed: the Hosted UI domain (https://...) and its app client.
    cognito_domain: str = field(default_factory=lambda: os.environ.get("COGNITO_DOMAIN", ""))
    cognito_console_client_id: str = field(default_factory=lambda: os.environ.get("COGNITO_CONSOLE_CLIENT_ID", ""))
    max_body_bytes: int = field(default_factory=lambda: _int("MAX_BODY_BYTES", 1_048_576))
    # Followers per fan-out message (whole fan-roster pages until at least this many):
    # few, chunky messages keep queues shallow and per-message reads rare.
    fanout_page_size: int = field(default_factory=lambda: _int("FANOUT_PAGE_SIZE", 10_000))
    # BatchWriteItem calls one fan-out message keeps in flight (its page is split this many ways).
    fanout_writers: int = field(default_factory=lambda: _int("FANOUT_WRITERS", 4))
    # Hybrid fan-out (services/delivery_switch.py): an account with more followers than
    # HYBRID_PULL_ABOVE is not fanned out on write, its followers' feeds pull its posts;
    # it returns to fan-out on write below HYBRID_PUSH_BELOW (the gap stops flapping).
    hybrid_pull_above: int = field(default_factory=lambda: _int("HYBRID_PULL_ABOVE", 100_000))
    hybrid_push_below: int = field(default_factory=lambda: _int("HYBRID_PUSH_BELOW", 90_000))
    # At most this many pulled accounts are merged into one feed page (bounds its store calls).
    hybrid_max_pulled: int = field(default_factory=lambda: _int("HYBRID_MAX_PULLED", 10))
    backfill_posts: int = field(default_factory=lambda: _int("BACKFILL_POSTS", 5))
    # First backoff step (seconds) of batched writes and reads retrying unprocessed items
    # (store.batch; exponential with full jitter). Tests under injected faults shorten it.
    batch_base_delay_s: float = field(default_factory=lambda: _float("BATCH_BASE_DELAY_S", 0.02))
    # Seconds a container keeps read-mostly feed items (store/read_cache.py); 0 turns the caches off.
    feed_cache_ttl_s: float = field(default_factory=lambda: _float("FEED_CACHE_TTL_S", 10.0))
    # Seconds a container keeps posts served on feed pages (their counters may lag this much).
    feed_post_cache_ttl_s: float = field(default_factory=lambda: _float("FEED_POST_CACHE_TTL_S", 3.0))
    inbox_max_entries: int = field(default_factory=lambda: _int("INBOX_MAX_ENTRIES", 1000))
    # One inbox write in this many triggers a trim of that inbox (see store.inbox).
    inbox_trim_sample: int = field(default_factory=lambda: _int("INBOX_TRIM_SAMPLE", 50))
    idempotency_ttl_s: int = field(default_factory=lambda: _int("IDEMPOTENCY_TTL_S", 86_400))
    # A post still pending moderation after this long is sent to the queue again.
    moderation_resend_after_s: int = field(default_factory=lambda: _int("MODERATION_RESEND_AFTER_S", 300))
    # Tier grading (services/grading.py): a map shard scans a segment of about this many
    # rows, a reduce shard grades about this many accounts; both counts grow with the
    # tables (capped), so each shard stays far below Lambda's 15 minutes.
    grading_rows_per_segment: int = field(default_factory=lambda: _int("GRADING_ROWS_PER_SEGMENT", 500_000))
    grading_accounts_per_bucket: int = field(default_factory=lambda: _int("GRADING_ACCOUNTS_PER_BUCKET", 20_000))
    grading_max_shards: int = field(default_factory=lambda: _int("GRADING_MAX_SHARDS", 2_000))
    # Concurrent conditional tier updates inside one reduce shard.
    grading_write_threads: int = field(default_factory=lambda: _int("GRADING_WRITE_THREADS", 8))
    # Related-accounts job (services/suggestion_runs.py): accounts per shard (each costs at most
    # about follower_sample + 4 store calls whatever its size: 2,000 accounts stay far below
    # Lambda's 15 minutes even if all were large), the cap on shards, and the concurrent
    # follower reads inside one shard.
    suggestion_accounts_per_shard: int = field(default_factory=lambda: _int("SUGGESTION_ACCOUNTS_PER_SHARD", 2_000))
    suggestion_max_shards: int = field(default_factory=lambda: _int("SUGGESTION_MAX_SHARDS", 10_000))
    suggestion_read_threads: int = field(default_factory=lambda: _int("SUGGESTION_READ_THREADS", 8))
    # Signs the stats-chart links owners open in a browser; with hs256 dev tokens the
    # token secret serves when unset, deployed (cognito) links are off until it is set.
    chart_link_secret: str = field(default_factory=lambda: os.environ.get("CHART_LINK_SECRET", ""))
    # Auto 上新 (services/new_products.py): an account's listings are gathered for this long
    # from the window's first listing, then announced in one system post. The schedule closes
    # a window this much later still, so every listing written before the end is seen.
    auto_new_window_s: int = field(default_factory=lambda: _int("AUTO_NEW_WINDOW_S", 3600))
    auto_new_close_grace_s: int = field(default_factory=lambda: _int("AUTO_NEW_CLOSE_GRACE_S", 30))
    # Realtime (services/realtime.py): the WebSocket API the push worker posts through
    # (its id and stage, passed in by the template) and the URL tickets are for.
    # The longest a GET /me/events waits (API.md allows up to 20 s; the test suite shortens it).
    long_poll_cap_s: float = field(default_factory=lambda: float(os.environ.get("LONG_POLL_CAP_S", "20")))
    websocket_api_id: str = field(default_factory=lambda: os.environ.get("WEBSOCKET_API_ID", ""))
    websocket_stage: str = field(default_factory=lambda: os.environ.get("WEBSOCKET_STAGE", "api"))
    websocket_url: str = field(default_factory=lambda: os.environ.get(
        "WEBSOCKET_URL", f"ws://127.0.0.1:{os.environ.get('WS_PORT', _int('PORT', 8000) + 1)}/"))

    def __post_init__(self) -> None:
        """Check every setting now, so a bad deploy fails at import with the setting's name."""
        env_names = {f.name: f.name.upper() for f in fields(self)}
        env_names.update(region="AWS_DEFAULT_REGION", jwt_secret="AUTH_JWT_SECRET",
                         cognito_user_pool_arn="COGNITO_USER_POOL_ARN")
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,15}", self.stage):
            raise ConfigError("STAGE", f"must be 1-16 of a-z, 0-9 and - (it names tables and queues), "
                                       f"not {self.stage!r}")
        if self.auth_mode not in AUTH_MODES:
            raise ConfigError("AUTH_MODE", f"must be one of {', '.join(AUTH_MODES)}, not {self.auth_mode!r}")
        if self.in_lambda:
            if self.auth_mode != "cognito":
                raise ConfigError("AUTH_MODE", f"is {self.auth_mode!r} (dev tokens), which must not run inside "
                                               "Lambda; deploy with AUTH_MODE=cognito")
            if not self.cognito_user_pool_arn.startswith("arn:aws:cognito-idp:"):
                raise ConfigError("COGNITO_USER_POOL_ARN", "must be the user pool's ARN inside Lambda")
            # The dev secret is public: deployed, nothing may be signed or verified with it.
            if self.jwt_secret == DEV_JWT_SECRET:
                self.jwt_secret = ""
        elif self.auth_mode == "hs256" and len(self.jwt_secret) < MIN_JWT_SECRET_CHARS:
            raise ConfigError("AUTH_JWT_SECRET", f"must be at least {MIN_JWT_SECRET_CHARS} characters")
        for name, (low, high) in _INT_RANGES.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ConfigError(env_names[name], f"must be an integer from {low} to {high}, not {value!r}")
        if self.hybrid_push_below >= self.hybrid_pull_above:
            raise ConfigError("HYBRID_PUSH_BELOW", "must be below HYBRID_PULL_ABOVE (the gap stops flapping)")
        if not 0 < self.batch_base_delay_s <= 5:
            raise ConfigError("BATCH_BASE_DELAY_S",
                              f"must be a number of seconds in (0, 5], not {self.batch_base_delay_s}")
        for name in ("feed_cache_ttl_s", "feed_post_cache_ttl_s"):
            if not 0 <= getattr(self, name) <= 300:
                raise ConfigError(name.upper(), f"must be a number of seconds in [0, 300], not {getattr(self, name)}")

    def table(self, name: str) -> str:
        return f"weitao-{self.stage}-{name}"

    def queue(self, name: str) -> str:
        return f"weitao-{self.stage}-{name}"

    @property
    def moderation_queue(self) -> str:
        return self.queue("moderation")

    @property
    def fanout_queue(self) -> str:
        return self.queue("fanout")

    @property
    def in_lambda(self) -> bool:
        return _in_lambda()


settings = Settings()
