"""`make screenshots`: the console's main screens as PNGs in ``docs/console/``.

Starts its own moto and API server on free loopback ports, fills them with a little
Chinese demo data through the API (an account with fans in groups, posts published,
held and rejected, activity), then photographs each screen with Debian's Chromium.
"""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

from local.environment import point_at, start_moto

OUT = Path(__file__).resolve().parent.parent / "docs" / "console"
SHOTS = [  # (file, user roles, screen, viewport width)
    ("merchant-compose", [], "merchant/compose", 1200),
    ("merchant-posts", [], "merchant/posts", 1200),
    ("merchant-stats", [], "merchant/stats", 1200),
    ("merchant-fans", [], "merchant/fans", 1200),
    ("merchant-grade", [], "merchant/grade", 1200),
    ("moderator-queue", ["moderator"], "moderator/queue", 1200),
    ("moderator-audit", ["moderator"], "moderator/audit", 1200),
    ("operator-grading", ["operator"], "operator/grading", 1200),
    ("operator-config", ["operator"], "operator/config", 1200),
    ("phone-compose", [], "merchant/compose", 375),
]


def seed(base: str) -> None:
    """Three days of history: the server runs in this process, so pinning the clock backdates it."""
    from datetime import UTC, datetime, timedelta

    import requests

    from app import app
    from chalicelib.auth import issue_dev_token
    from chalicelib.domain import clock
    from local.workers import drain

    now = datetime.now(UTC)
    clock.set_now(lambda: now - timedelta(days=3))

    def call(method: str, path: str, user: str, body: object = None, roles: list[str] | None = None) -> dict:
        response = requests.request(method, f"{base}{path}", json=body, timeout=30,
                                    headers={"Authorization": f"Bearer {issue_dev_token(user, roles)}"})
        assert response.status_code < 300, (path, response.status_code, response.text)
        return response.json() if response.text else {}

    account = call("POST", "/accounts", "merchant-1", {"handle": "xiaomi_store", "display_name": "小米官方旗舰店",
                                                       "kind": "merchant", "category": "数码", "fan_nickname": "米粉"})
    account_id = account["account_id"]
    other = call("POST", "/accounts", "merchant-1", {"handle": "mi_home", "display_name": "米家生活馆",
                                                     "kind": "merchant", "category": "家居"})
    fans = [f"fan-{i}" for i in range(12)]
    for fan in fans:
        call("PUT", f"/me/following/{account_id}", fan)
    for i, fan in enumerate(fans[:7]):
        call("PUT", f"/accounts/{account_id}/groups/{'vip' if i % 2 else 'new-fans'}/members/{fan}", "merchant-1")
    def long_article(title: str, text: str, **extra: object) -> dict:
        return {"type": "article", "format": "long_article", "title": title, "text": text, **extra}

    poll = {"question": "选哪个颜色", "options": ["曜石黑", "冰川蓝", "樱花粉"],
            "closes_at": "2030-01-01T12:00:00+08:00"}
    posts = [
        long_article("冬季数码好物指南", "三款新品带你过冬：手机、手环、耳机。"),
        {**long_article("新品配色投票", "你更喜欢哪个颜色？"), "type": "poll", "poll": poll},
        long_article("外套", "哈哈哈哈哈哈哈哈哈哈哈哈 这批秋冬外套太好看了"),  # held for review (spam)
        long_article("福利", "加微信 wx123456 领取优惠 http://spam.example"),  # rejected
    ]
    for i, body in enumerate(posts):  # a W1 account publishes 3 a day: the last goes to the other account
        call("POST", f"/accounts/{account_id if i < 3 else other['account_id']}/posts", "merchant-1", body)
    drain(app)
    published = [p["post_id"] for p in call("GET", f"/accounts/{account_id}/posts", "merchant-1")["items"]
                 if p["status"] == "published"]
    for days_ago, hour, readers in ((2, 12, fans[:8]), (1, 20, fans[2:7]), (1, 21, fans[:3])):
        clock.set_now(lambda d=days_ago, h=hour: (now - timedelta(days=d)).replace(hour=h - 8, minute=0))
        for fan in readers:
            call("GET", "/me/feed", fan)
            call("GET", f"/posts/{published[0]}", fan)
            call("PUT", f"/posts/{published[-1]}/likes/me", fan)
        call("POST", f"/posts/{published[0]}/comments", readers[0], {"text": "颜色真好看，已下单！"})
        drain(app)
    clock.set_now(None)


def main() -> int:
    executable = shutil.which("chromium")
    if executable is None:
        print("chromium is missing: apt-get install -y chromium fonts-noto-cjk", file=sys.stderr)
        return 1
    moto, endpoint = start_moto()
    point_at(endpoint)
    from chalice.config import Config
    from playwright.sync_api import sync_playwright

    from app import app
    from chalicelib.auth import issue_dev_token
    from local.bootstrap import bootstrap
    from local.server import create_server
    from local.workers import drain
    from tests.browser.conftest import CHROMIUM_ARGS

    bootstrap()
    server = create_server(app, Config(chalice_stage="local"), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server.server_address[1]}"
    seed(base)
    drain(app)
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        for name, roles, screen, width in SHOTS:
            context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN",
                                          timezone_id="Asia/Shanghai", device_scale_factor=1)
            page = context.new_page()
            page.goto(f"{base}/console#token={issue_dev_token('merchant-1', roles)}")
            page.wait_for_selector('#screen[data-ready="true"]')
            page.evaluate("screen => { location.hash = '#/' + screen; }", screen)
            page.wait_for_selector(f'#screen[data-screen="{screen}"][data-ready="true"]')
            if screen == "moderator/audit":
                page.get_by_label("账号 ID 或操作人").fill(app_account_of(base, "merchant-1"))
                page.get_by_role("button", name="搜索").click()
                page.wait_for_selector("table, .muted")
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            context.close()
            print(f"docs/console/{name}.png")
        browser.close()
    server.shutdown()
    moto.stop()
    return 0


def app_account_of(base: str, owner: str) -> str:
    import requests

    from chalicelib.auth import issue_dev_token

    response = requests.get(f"{base}/me/accounts", timeout=30,
                            headers={"Authorization": f"Bearer {issue_dev_token(owner)}"})
    return str(response.json()["items"][0]["account_id"])


if __name__ == "__main__":
    sys.exit(main())
