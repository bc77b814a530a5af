"""Browser tests: Playwright driving Debian's headless Chromium against the real local HTTP server.

One browser per test process (session fixture); each test gets a fresh context (no
shared storage) and a wiped stack, with a background thread draining the queues
through the real handlers, as `make run`'s workers do. A browser that cannot start
fails the tests: `make test`'s setup installs ``chromium`` and ``fonts-noto-cjk``.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from app import app
from chalicelib.auth import issue_dev_token
from local.workers import drain

logger = logging.getLogger(__name__)
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Network noise the page cannot avoid and does not cause: a refused WebSocket handshake or an
# API answer with an error status is logged by Chromium itself; the page shows those errors.
BROWSER_NOISE = ("Failed to load resource", "WebSocket connection to")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One browser per run: under xdist every browser test goes to the same worker.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: run `make test` (its setup installs it) or "
                    "`apt-get install -y chromium fonts-noto-cjk`")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Console:
    """A page of the console, with every JavaScript error it raised."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type == "error" and not message.text.startswith(BROWSER_NOISE):
            self.errors.append(f"console.error: {message.text}")

    def open_as(self, user: str, roles: list[str] | None = None, screen: str = "") -> None:
        """Open ``/console#token=...`` signed in as ``user``, then go to ``screen`` (e.g. ``merchant/posts``)."""
        self.page.goto(f"{self.base}/console#token={issue_dev_token(user, roles)}")
        self.ready()
        if screen:
            self.go(screen)

    def go(self, screen: str) -> None:
        # Going to the screen already shown renders it again (a same-hash assignment fires no event).
        self.page.evaluate("""screen => {
            const target = '#/' + screen;
            if (location.hash === target) window.dispatchEvent(new HashChangeEvent('hashchange'));
            else location.hash = target;
        }""", screen)
        self.ready(screen)

    def ready(self, screen: str | None = None) -> None:
        selector = f'#screen[data-screen="{screen}"][data-ready="true"]' if screen and "/" in screen \
            else '#screen[data-ready="true"]'
        self.page.wait_for_selector(selector, timeout=15_000)


@pytest.fixture
def workers(http_base: str) -> Iterator[None]:
    """Queues drained in the background while the test drives the browser."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                if not drain(app):
                    stop.wait(0.1)
            except Exception:  # a handler failure: the message is redelivered, as on Lambda
                logger.exception("background drain failed")
                stop.wait(0.5)

    thread = threading.Thread(target=loop, daemon=True, name="browser-test-workers")
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


@pytest.fixture
def console(browser: Browser, http_base: str, workers: None) -> Iterator[Console]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Console(page, http_base)
    context.close()
