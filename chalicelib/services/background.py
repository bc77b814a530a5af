"""Work a request need not wait for, done on one thread of the container.

A feed page's impressions are counted by a queue message; sending it is a round
trip the reader would otherwise wait for. On Lambda the container is frozen between
invocations, so a send still pending when the response leaves finishes when the
container thaws (impressions are analytics; a reaped container may lose that last
message). ``flush`` waits for everything queued (the local workers call it before
receiving, so tests and ``make run`` see every message sent).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from chalicelib.observability import logger

_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="background")
_pending: set[Future[Any]] = set()
_lock = threading.Lock()


def later(call: Callable[..., Any], *args: Any) -> None:
    """Run ``call(*args)`` after the request; a failure is logged, never raised to the caller."""
    future = _POOL.submit(_logged, call, *args)
    with _lock:
        _pending.add(future)
    future.add_done_callback(_settled)


def flush(timeout_s: float = 30.0) -> None:
    """Wait until everything queued so far has run."""
    with _lock:
        pending = list(_pending)
    if pending:
        wait(pending, timeout=timeout_s)


def _logged(call: Callable[..., Any], *args: Any) -> None:
    try:
        call(*args)
    except Exception:
        logger.exception("background work failed", work=getattr(call, "__name__", repr(call)))


def _settled(future: Future[Any]) -> None:
    with _lock:
        _pending.discard(future)
