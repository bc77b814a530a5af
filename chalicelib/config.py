"""The one place that reads environment variables.

Every other module takes its settings from :data:`settings`. Names of tables and
queues are derived from ``STAGE`` so the local runner, the tests and the deployed
stack all agree on them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass
class Settings:
    stage: str = field(default_factory=lambda: os.environ.get("STAGE", "local"))
    region: str = field(default_factory=lambda: os.environ.get("AWS_DEFAULT_REGION", "ap-southeast-1"))
    # "hs256": tokens signed with AUTH_JWT_SECRET and verified in-process (local only).
    # "cognito": API Gateway's Cognito authorizer verified the token; we read its claims.
    auth_mode: str = field(default_factory=lambda: os.environ.get("AUTH_MODE", "hs256"))
    jwt_secret: str = field(
        default_factory=lambda: os.environ.get("AUTH_JWT_SECRET", "dev-only-secret-change-me-0123456789abcdef"))
    cognito_user_pool_arn: str = field(default_factory=lambda: os.environ.get("COGNITO_USER_POOL_ARN", ""))
    # The web console's sign-in when deployed: the Hosted UI domain (https://...) and its app client.
    cognito_domain: str = field(default_factory=lambda: os.environ.get("COGNITO_DOMAIN", ""))
    cognito_console_client_id: str = field(default_factory=lambda: os.environ.get("COGNITO_CONSOLE_CLIENT_ID", ""))
    max_body_bytes: int = field(default_factory=lambda: _int("MAX_BODY_BYTES", 1_048_576))
    # Followers per fan-out message (whole fan-roster pages until at least this many):
    # few, chunky messages keep queues shallow and per-message reads rare.
    fanout_page_size: int = field(default_factory=lambda: _int("FANOUT_PAGE_SIZE", 5000))
    # BatchWriteItem calls one fan-out message keeps in flight (its page is split this many ways).
    fanout_writers: int = field(default_factory=lambda: _int("FANOUT_WRITERS", 4))
    # Hybrid fan-out (services/hybrid.py): an account with more followers than
    # HYBRID_PULL_ABOVE is not fanned out on write, its followers' feeds pull its posts;
    # it returns to fan-out on write below HYBRID_PUSH_BELOW (the gap stops flapping).
    hybrid_pull_above: int = field(default_factory=lambda: _int("HYBRID_PULL_ABOVE", 100_000))
    hybrid_push_below: int = field(default_factory=lambda: _int("HYBRID_PUSH_BELOW", 90_000))
    # At most this many pulled accounts are merged into one feed page (bounds its store calls).
    hybrid_max_pulled: int = field(default_factory=lambda: _int("HYBRID_MAX_PULLED", 10))
    backfill_posts: int = field(default_factory=lambda: _int("BACKFILL_POSTS", 5))
    # First backoff step (seconds) of batched writes and reads retrying unprocessed items
    # (store.batch; exponential with full jitter). Tests under injected faults shorten it.
    batch_base_delay_s: float = field(default_factory=lambda: float(os.environ.get("BATCH_BASE_DELAY_S", "0.02")))
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
    # Signs the stats-chart links owners open in a browser; with hs256 dev tokens the
    # token secret serves when unset, deployed (cognito) links are off until it is set.
    chart_link_secret: str = field(default_factory=lambda: os.environ.get("CHART_LINK_SECRET", ""))

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
        return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and not os.environ.get("AWS_SAM_LOCAL")


settings = Settings()
