"""Unit tests run with sockets off; fixtures of the hook tests: a pinned clock, an in-memory fingerprint index."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chalicelib.domain import clock
from tests.unit.moderation_fakes import FakeFingerprintIndex, shipped_scheme

MODERATION_NOW = datetime(2024, 6, 18, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _sockets_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule under test never reaches the network (a stray AWS call fails here, by name)."""
    def refuse(self: socket.socket, address: object) -> None:
        raise RuntimeError(f"a unit test opened a connection to {address!r}; rules run without AWS")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture
def pinned_clock() -> Iterator[datetime]:
    """The clock stands at :data:`MODERATION_NOW` for the test."""
    clock.set_now(lambda: MODERATION_NOW)
    yield MODERATION_NOW
    clock.set_now(None)


@pytest.fixture
def index() -> FakeFingerprintIndex:
    return FakeFingerprintIndex(shipped_scheme())
