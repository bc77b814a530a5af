"""Fixtures of the moderation hook tests: a pinned clock and an in-memory fingerprint index (no AWS)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chalicelib.domain import clock
from tests.unit.moderation_fakes import FakeFingerprintIndex, shipped_scheme

MODERATION_NOW = datetime(2024, 6, 18, 4, 0, tzinfo=UTC)


@pytest.fixture
def pinned_clock() -> Iterator[datetime]:
    """The clock stands at :data:`MODERATION_NOW` for the test."""
    clock.set_now(lambda: MODERATION_NOW)
    yield MODERATION_NOW
    clock.set_now(None)


@pytest.fixture
def index() -> FakeFingerprintIndex:
    return FakeFingerprintIndex(shipped_scheme())
