"""``make bench`` (realtime and notifications): push latency, notification write cost, one big group.

Against a moto server in its own process, with the local runner's workers and the
WebSocket bridge of ``make run`` in this one:

1. publish → ``feed.new``: an account with ``--followers`` followers of whom
   ``--connected`` hold a real WebSocket (the bridge); each of ``--posts`` posts is
   published through the API and the time until every connected follower has its
   ``feed.new`` frame is recorded; p50 and p99 over all frames (targets 1 s and 3 s);
2. notification store writes per event: ``--likes`` likes of one post by distinct
   fans, applied through the notifications consumer in batches of the queue's batch
   size, every DynamoDB item written counted by a botocore ``before-send`` hook
   (target ≤ 1.5 amortised);
3. the same likes make one notification whose ``count`` is ``--likes`` and the owner's
   unread count is 1.

moto copies a table on every transaction item (its rollback), so row 2 slows down
with the group's size on moto; DynamoDB's cost per transaction does not grow.
The defaults are the full size (1,000 followers, 100 connected, 10,000 likes);
``--quick`` is a small run for development.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bench.fanout import moto_process, stop_process


def item_writes(params: dict[str, Any], operation: str) -> int:
    """DynamoDB items one request writes."""
    if operation == "TransactWriteItems":
        return sum(1 for item in params.get("TransactItems", []) if "ConditionCheck" not in item)
    if operation == "BatchWriteItem":
        return sum(len(requests) for requests in params.get("RequestItems", {}).values())
    return 1 if operation in ("PutItem", "UpdateItem", "DeleteItem") else 0


class WriteCounter:
    def __init__(self, tables: set[str]) -> None:
        self.tables = tables
        self.writes: Counter[str] = Counter()

    def attach(self) -> None:
        from local.store_calls import dynamodb_clients

        for client in dynamodb_clients():
            client.meta.events.register("provide-client-params.dynamodb.*", self._count)

    def _count(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        text = json.dumps(params)
        if any(table in text for table in self.tables):
            self.writes[model.name] += item_writes(params, model.name)


class Sockets:
    """``connected`` WebSocket clients in their own process (``bench.phones``): phones are not
    in the server's interpreter, so they take no CPU from the workers they measure."""

    def __init__(self, url: str, tokens: list[str]) -> None:
        self.url, self.tokens = url, tokens
        self.arrivals: dict[str, list[float]] = {}
        self.opened = threading.Event()
        self.process: subprocess.Popen[str] | None = None
        self.reader = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip() == "open":
                self.opened.set()
                continue
            post_id, at = line.split()
            self.arrivals.setdefault(post_id, []).append(float(at))

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "bench.phones", self.url], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdin is not None
        self.process.stdin.write("".join(f"{t}\n" for t in self.tokens))
        self.process.stdin.close()
        self.reader.start()
        if not self.opened.wait(60):
            raise RuntimeError("WebSocket clients did not connect")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        self.reader.join(timeout=10)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(followers: int, connected: int, posts: int, likes: int) -> int:
    from chalice.test import Client

    from app import app
    from chalicelib.auth import issue_dev_token
    from chalicelib.config import settings
    from chalicelib.domain.notifications import NotificationEvent
    from chalicelib.domain.tiers import tier_config
    from chalicelib.services import notifications
    from chalicelib.store.notifications import ActorMarkerModel, GroupHeadModel, NotificationModel
    from chalicelib.store.queues import QUEUES
    from local.bootstrap import bootstrap
    from local.seed import add_followers
    from local.workers import Workers
    from local.ws_bridge import Bridge

    bootstrap()
    # Inbox trimming off, as in bench.fanout: on moto every trim is a Query that reads the
    # whole inbox table (on DynamoDB it reads one partition), which would measure moto.
    settings.inbox_trim_sample = 10**12
    for tier in tier_config()["tiers"].values():
        tier["daily_quota"] = 10_000  # the posts measured are more than a new account's quota
    rows: list[tuple[str, str, str, str, str, bool]] = []
    with Client(app, stage_name="local") as client:
        def call(method: str, path: str, user: str, body: Any = None) -> Any:
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {issue_dev_token(user)}"}
            response = getattr(client.http, method)(path, headers=headers,
                                                    body=json.dumps(body, ensure_ascii=False) if body else None)
            assert response.status_code < 300, (method, path, response.status_code, response.body)
            return json.loads(response.body) if response.body else None

        account = call("post", "/accounts", "owner", {"handle": "benchshop", "display_name": "压测店",
                                                      "kind": "merchant", "category": "服饰"})
        fans = [f"fan{i:06d}" for i in range(followers)]
        add_followers(account["account_id"], fans, datetime.now(UTC))

        # 1. publish -> feed.new at the connected followers
        workers = Workers(app)
        workers.start()
        bridge = Bridge(app).start()
        sockets = Sockets(f"ws://127.0.0.1:{bridge.port}/", [issue_dev_token(f) for f in fans[:connected]])
        try:
            sockets.start()
            latencies: list[float] = []
            for n in range(posts):
                started = time.monotonic()
                post = call("post", f"/accounts/{account['account_id']}/posts", "owner",
                            {"type": "new_product", "format": "nine_grid", "text": f"压测新品 {n}",
                             "images": ["https://img.example.com/a.jpg"], "products": ["sku-1"]})
                deadline = started + 30
                while len(sockets.arrivals.get(post["post_id"], [])) < connected and time.monotonic() < deadline:
                    time.sleep(0.01)
                got = sockets.arrivals.get(post["post_id"], [])
                latencies += [t - started for t in got]
            print(f"publish -> feed.new, {connected} connected of {followers} followers, {posts} posts: "
                  f"frames {len(latencies)}/{connected * posts}")
            p50, p99 = (percentile(latencies, 0.5), percentile(latencies, 0.99)) if latencies else (99.0, 99.0)
            rows.append((f"publish -> feed.new at {connected} of {followers:,} followers, p50", f"{p50:.3f} s",
                         "-", "-", "<= 1 s", p50 <= 1))
            rows.append((f"publish -> feed.new at {connected} of {followers:,} followers, p99", f"{p99:.3f} s",
                         "-", "-", "<= 3 s", p99 <= 3))
            rows.append(("feed.new frames received", f"{len(latencies):,}", f"{connected * posts:,} expected",
                         "-", "all", len(latencies) == connected * posts))
        finally:
            sockets.stop()
            bridge.stop()
            workers.stop()

        # 2 and 3. likes -> one group, write cost per event
        post_id = post["post_id"]
        counter = WriteCounter({m.Meta.table_name for m in (NotificationModel, GroupHeadModel, ActorMarkerModel)})
        counter.attach()
        at = datetime.now(UTC).isoformat()
        events = [NotificationEvent("like", f"like#{post_id}#{f}", at, account_id=account["account_id"],
                                    post_id=post_id, actor=f) for f in (fans * 10)[:likes]]
        if likes > len(fans):
            events = [replace(e, actor=f"liker{i:06d}", key=f"like#{post_id}#liker{i:06d}")
                      for i, e in enumerate(events)]
        batch = QUEUES["notifications"].batch_size
        started = time.monotonic()
        for start in range(0, len(events), batch):
            notifications.apply_events(events[start:start + batch])
        elapsed = time.monotonic() - started
        writes = sum(counter.writes.values())
        per_event = writes / max(1, len(events))
        print(f"notification store writes: {writes} items for {len(events)} like events, batches of {batch}, "
              f"{elapsed:.1f} s on moto; by call {dict(counter.writes)}")
        rows.append(("notification store writes per like event", f"{per_event:.3f}", "1 (one write per event)",
                     f"{per_event:.2f}x", "<= 1.5", per_event <= 1.5))
        listed = call("get", "/me/notifications?type=like", "owner")["items"]
        unread = call("get", "/me/notifications/unread", "owner")["count"]
        ok = len(listed) == 1 and listed[0]["count"] == len(events) and unread == 1
        rows.append((f"{len(events):,} likes of one post -> notifications",
                     f"{len(listed)} group, count {listed[0]['count'] if listed else None:,}, unread {unread}",
                     "-", "-", f"1 group, count {len(events):,}, unread 1", ok))
    headers = ("measure", "value", "baseline", "ratio", "target", "met")
    table = [headers, *[(*r[:5], "yes" if r[5] else "NO") for r in rows]]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(headers))]
    print()
    for n, r in enumerate(table):
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    return 0 if all(r[5] for r in rows) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--connected", type=int, default=100)
    parser.add_argument("--posts", type=int, default=5)
    parser.add_argument("--likes", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="200 followers, 20 connected, 3 posts, 500 likes")
    args = parser.parse_args()
    if args.quick:
        args.followers, args.connected, args.posts, args.likes = 200, 20, 3, 500
    with moto_process():
        return run(args.followers, args.connected, args.posts, args.likes)


if __name__ == "__main__":
    raise SystemExit(main())
