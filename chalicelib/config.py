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
    max_body_bytes: int = field(default_factory=lambda: _int("MAX_BODY_BYTES", 1_048_576))
    # Followers read per fan-out message: few, chunky messages keep queues shallow.
    fanout_page_size: int = field(default_factory=lambda: _int("FANOUT_PAGE_SIZE", 1000))
    backfill_posts: int = field(default_factory=lambda: _int("BACKFILL_POSTS", 5))
    inbox_max_entries: int = field(default_factory=lambda: _int("INBOX_MAX_ENTRIES", 1000))
    # One inbox write in this many triggers a trim of that inbox (see store.inbox).
    inbox_trim_sample: int = field(default_factory=lambda: _int("INBOX_TRIM_SAMPLE", 50))
    idempotency_ttl_s: int = field(default_factory=lambda: _int("IDEMPOTENCY_TTL_S", 86_400))
    # A post still pending moderation after this long is sent to the queue again.
    moderation_resend_after_s: int = field(default_factory=lambda: _int("MODERATION_RESEND_AFTER_S", 300))

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
