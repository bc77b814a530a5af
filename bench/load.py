"""``make bench-load``: 50 simulated app users for 2 minutes against ``make run``, then the invariants.

Uses the ``make run`` already up on ``PORT`` (its ``.local-run.json``), or starts one in a
subprocess and stops it at the end. Everything it creates carries this run's id, so it
can run beside other data.

Each user is a phone app in a loop with a think time (0.5–1.5 s): 90% reads (feed, a
post, its comments, an account page, the hot list, notifications, suggestions) and 10%
writes (follow, like, comment, and posts within the account's daily quota for its
owners). Every answer is timed per route. The baseline is a raw DynamoDB Query of a
fan's inbox (20 items) sent to the same moto server by one more thread at the same pace
during the load: what a request costs the store without the API around it.

Afterwards, once the queues are empty: 0 errors (any non-2xx), every counter exact
against what the users did (likes and comments of each post, followers of each
account), and each follower's inbox holds each post published after they followed
exactly once, and nobody's holds a post twice. Exits 1 when any of that fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import requests

from bench.fanout import stop_process
from local.environment import point_at
from local.run import RUN_STATE_FILE

READS = [("feed", 40), ("post", 15), ("comments", 10), ("account", 10), ("hot", 10), ("notifications", 10),
         ("suggestions", 5)]
WRITES = [("follow", 30), ("like", 40), ("comment", 20), ("publish", 10)]
WRITE_SHARE = 0.10


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@contextmanager
def local_run() -> Any:
    """The running ``make run`` (``.local-run.json``), or one started here for the bench."""
    if RUN_STATE_FILE.exists():
        state = json.loads(RUN_STATE_FILE.read_text())
        try:
            os.kill(state["pid"], 0)
            requests.get(f"{state['api']}/health", timeout=5).raise_for_status()
            print(f"against the running make run: {state['api']}", flush=True)
            yield state
            return
        except (OSError, requests.RequestException):
            RUN_STATE_FILE.unlink(missing_ok=True)  # left by a run that died
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    env = {**os.environ, "PORT": str(ports[0]), "WS_PORT": str(ports[1]), "POWERTOOLS_LOG_LEVEL": "ERROR"}
    process = subprocess.Popen([sys.executable, "-m", "local.run"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 120
        while not RUN_STATE_FILE.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("make run did not start")
            time.sleep(0.2)
        state = json.loads(RUN_STATE_FILE.read_text())
        print(f"started make run for the bench: {state['api']}", flush=True)
        yield state
    finally:
        stop_process(process)


@dataclass
class World:
    """What the users did, kept by the users: the invariants are checked against it."""

    run: str
    accounts: dict[str, str] = field(default_factory=dict)  # account id -> owner
    posts: dict[str, str] = field(default_factory=dict)  # post id -> account id
    post_started: dict[str, float] = field(default_factory=dict)  # post id -> when its create was sent
    followed: dict[tuple[str, str], float] = field(default_factory=dict)  # (user, account) -> answered at
    likes: set[tuple[str, str]] = field(default_factory=set)
    comments: Counter[str] = field(default_factory=Counter)
    published: Counter[str] = field(default_factory=Counter)  # account id -> manual posts made today
    lock: threading.Lock = field(default_factory=threading.Lock)


class Users:
    def __init__(self, api: str, world: World, quota: int, seconds: float) -> None:
        from chalicelib.auth import issue_dev_token

        self.api, self.world, self.quota, self.seconds = api, world, quota, seconds
        self.token = issue_dev_token
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def call(self, session: requests.Session, route: str, method: str, path: str, user: str,
             body: Any = None, expect: tuple[int, ...] = (200,)) -> Any:
        started = time.perf_counter()
        response = session.request(method, self.api + path, json=body, timeout=60,
                                   headers={"Authorization": f"Bearer {self.token(user)}"})
        took = time.perf_counter() - started
        with self.lock:
            self.timings[route].append(took)
            if response.status_code not in expect:
                self.errors.append(f"{method} {path} -> {response.status_code} {response.text[:200]}")
                return None
        return response.json() if response.content else {}

    def seed(self, owners: int, fans: list[str]) -> None:
        """Accounts (the first ``owners`` fans own one each) with a first post each, and
        every fan following three of them."""
        session = requests.Session()
        for i, owner in enumerate(fans[:owners]):
            account = self.call(session, "seed", "POST", "/accounts", owner, {
                "handle": f"{self.world.run}_{i:02d}".replace("-", "_"), "display_name": f"压测店铺{i:02d}",
                "kind": "merchant", "category": random.choice(["服饰", "数码", "美妆"])}, expect=(201,))
            self.world.accounts[account["account_id"]] = owner
        for fan in fans:
            others = [a for a, owner in self.world.accounts.items() if owner != fan]
            for account_id in random.sample(others, min(3, len(others))):
                self.follow(session, fan, account_id, route="seed")
        for account_id in list(self.world.accounts):
            self.publish(session, account_id, route="seed")

    def follow(self, session: requests.Session, user: str, account_id: str, route: str = "follow") -> None:
        if self.call(session, route, "PUT", f"/me/following/{account_id}", user) is not None:
            with self.world.lock:
                self.world.followed.setdefault((user, account_id), time.monotonic())

    def publish(self, session: requests.Session, account_id: str, route: str = "publish") -> bool:
        with self.world.lock:
            if self.world.published[account_id] >= self.quota:
                return False
            self.world.published[account_id] += 1
        started = time.monotonic()
        post = self.call(session, route, "POST", f"/accounts/{account_id}/posts", self.world.accounts[account_id], {
            "type": "new_product", "format": "nine_grid", "text": f"压测上新 {uuid.uuid4().hex[:6]}",
            "images": ["https://img.example.com/load.jpg"], "products": ["sku-load"]}, expect=(202,))
        if post is not None:
            with self.world.lock:
                self.world.posts[post["post_id"]] = account_id
                self.world.post_started[post["post_id"]] = started
        return True

    def user(self, fan: str, stop_at: float, seed: int) -> None:
        """One app: reads its feed first; likes, comments and opens only posts its feed showed it."""
        rng = random.Random(seed)
        session = requests.Session()
        seen: list[str] = []
        while time.monotonic() < stop_at:
            with self.world.lock:
                accounts = [a for a, owner in self.world.accounts.items() if owner != fan]
            posts = seen or []
            if not posts:
                page = self.call(session, "feed", "GET", "/me/feed?limit=20", fan)
                seen = [item["post_id"] for item in (page or {}).get("items", [])]
            elif rng.random() < WRITE_SHARE:
                action = rng.choices([w for w, _ in WRITES], [n for _, n in WRITES])[0]
                if action == "follow":
                    self.follow(session, fan, rng.choice(accounts))
                elif action == "like":
                    post_id = rng.choice(posts)
                    if self.call(session, "like", "PUT", f"/posts/{post_id}/likes/me", fan) is not None:
                        with self.world.lock:
                            self.world.likes.add((fan, post_id))
                elif action == "comment":
                    post_id = rng.choice(posts)
                    if self.call(session, "comment", "POST", f"/posts/{post_id}/comments", fan,
                                 {"text": "好看，已下单"}, expect=(201,)) is not None:
                        with self.world.lock:
                            self.world.comments[post_id] += 1
                else:
                    owned = [a for a, owner in self.world.accounts.items() if owner == fan]
                    if not any(self.publish(session, a) for a in owned):
                        self.follow(session, fan, rng.choice(accounts))
            else:
                action = rng.choices([r for r, _ in READS], [n for _, n in READS])[0]
                post_id, account_id = rng.choice(posts), rng.choice(accounts)
                path = {"feed": "/me/feed?limit=20", "post": f"/posts/{post_id}",
                        "comments": f"/posts/{post_id}/comments", "account": f"/accounts/{account_id}",
                        "hot": "/hot", "notifications": "/me/notifications",
                        "suggestions": "/me/suggestions"}[action]
                page = self.call(session, action, "GET", path, fan)
                if action == "feed" and page:
                    seen = [item["post_id"] for item in page.get("items", [])] or seen
            time.sleep(rng.uniform(0.5, 1.5))


def raw_baseline(state: dict[str, Any], fans: list[str], stop_at: float, out: list[float]) -> None:
    """A raw Query of a fan's inbox at the users' pace (one more thread, same moto server)."""
    from chalicelib.config import settings

    client = boto3.client("dynamodb", endpoint_url=state["moto"], region_name=settings.region)
    rng = random.Random(7)
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        client.query(TableName=settings.table("inbox"), KeyConditionExpression="user_id = :u",
                     ExpressionAttributeValues={":u": {"S": rng.choice(fans)}}, ScanIndexForward=False, Limit=20)
        out.append(time.perf_counter() - started)
        time.sleep(rng.uniform(0.5, 1.5) / 2)


def queues_empty(state: dict[str, Any], timeout_s: float = 300) -> list[str]:
    """Waits until every queue is empty; returns the queues still holding messages at the deadline."""
    from chalicelib.config import settings
    from chalicelib.store.queues import QUEUES

    sqs = boto3.client("sqs", endpoint_url=state["moto"], region_name=settings.region)
    urls = {spec.name: sqs.get_queue_url(QueueName=spec.name)["QueueUrl"] for spec in QUEUES.values()}
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while True:
        waiting = []
        for name, url in urls.items():
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed"])["Attributes"]
            held = sum(int(v) for v in attributes.values())
            if held:
                waiting.append(f"{name} ({held})")
        quiet = quiet + 1 if not waiting else 0
        if quiet >= 3:  # three looks in a row: a worker may be between receive and delete
            return []
        if time.monotonic() > deadline:
            return waiting
        time.sleep(1)


def scan(client: Any, table: str) -> list[dict[str, Any]]:
    items, kwargs = [], {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def check(state: dict[str, Any], users: Users, world: World) -> list[str]:
    """Every counter and inbox against what the users did; returns the problems."""
    from chalicelib.config import settings

    problems: list[str] = []
    session = requests.Session()
    judge = f"{world.run}-judge"
    for post_id in world.posts:
        post = users.call(session, "check", "GET", f"/posts/{post_id}", judge)
        if post is None:
            problems.append(f"post {post_id} unreadable")
            continue
        if post["status"] != "published":
            problems.append(f"post {post_id} is {post['status']}, not published")
        likes = sum(1 for _, p in world.likes if p == post_id)
        if post["likes"] != likes or post["comments"] != world.comments[post_id]:
            problems.append(f"post {post_id}: likes {post['likes']} comments {post['comments']}, "
                            f"the users made {likes} and {world.comments[post_id]}")
    for account_id in world.accounts:
        account = users.call(session, "check", "GET", f"/accounts/{account_id}", judge)
        followers = sum(1 for _, a in world.followed if a == account_id)
        if account is None or account["follower_count"] != followers:
            problems.append(f"account {account_id}: {account and account['follower_count']} followers, "
                            f"{followers} followed it")
    client = boto3.client("dynamodb", endpoint_url=state["moto"], region_name=settings.region)
    held: Counter[tuple[str, str]] = Counter()
    for item in scan(client, settings.table("inbox")):
        if item["post_id"]["S"] in world.posts:
            held[(item["user_id"]["S"], item["post_id"]["S"])] += 1
    twice = [key for key, n in held.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} (user, post) pairs held more than once, e.g. {twice[0]}")
    missing = [(user, post_id) for (user, account_id), followed_at in world.followed.items()
               for post_id, posted_by in world.posts.items()
               if posted_by == account_id and followed_at < world.post_started[post_id] and not held[(user, post_id)]]
    if missing:
        problems.append(f"{len(missing)} posts missing from a follower's inbox, e.g. {missing[0]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--accounts", type=int, default=30)
    args = parser.parse_args()
    with local_run() as state:
        point_at(state["moto"])  # before chalicelib is imported: settings read the environment
        from chalicelib.domain.tiers import daily_quota_for

        world = World(run=f"load{uuid.uuid4().hex[:6]}")
        users = Users(state["api"], world, daily_quota_for("W1"), args.seconds)
        fans = [f"{world.run}-fan{i:02d}" for i in range(args.users)]
        print(f"seeding {args.accounts} accounts, {args.users} fans ...", flush=True)
        users.seed(min(args.accounts, args.users), fans)
        seeded_errors = len(users.errors)
        users.timings.clear()
        print(f"{args.users} users for {args.seconds:.0f} s ...", flush=True)
        stop_at = time.monotonic() + args.seconds
        raw: list[float] = []
        threads = [threading.Thread(target=users.user, args=(fan, stop_at, i)) for i, fan in enumerate(fans)]
        threads.append(threading.Thread(target=raw_baseline, args=(state, fans, stop_at, raw)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        left = queues_empty(state)
        problems = [f"queues not empty 300 s after the load: {', '.join(left)}"] if left else []
        problems += check(state, users, world)
    return report(users, raw, seeded_errors, problems, world)


def report(users: Users, raw: list[float], seeded_errors: int, problems: list[str], world: World) -> int:
    routes = {k: v for k, v in users.timings.items() if k not in ("seed", "check")}
    total = sum(len(v) for v in routes.values())
    writes = sum(len(routes.get(w, [])) for w, _ in WRITES)
    raw50, raw99 = percentile(raw, 0.5), percentile(raw, 0.99)
    print()
    for error in users.errors[:10]:
        print(f"error: {error}")
    for problem in problems:
        print(f"invariant: {problem}")
    print(f"note: {total} requests ({writes / max(1, total):.0%} writes), {len(world.posts)} posts, "
          f"{len(world.likes)} likes, {sum(world.comments.values())} comments, {len(world.followed)} follows; "
          f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    headers = ("route", "requests", "p50 ms", "p99 ms", "raw Query p50 / p99 ms", "ratio p50 / p99")
    rows = [(route, str(len(v)), f"{1000 * statistics.median(v):.1f}", f"{1000 * percentile(v, 0.99):.1f}",
             f"{1000 * raw50:.1f} / {1000 * raw99:.1f}",
             f"{statistics.median(v) / raw50:.2f}× / {percentile(v, 0.99) / raw99:.2f}×")
            for route, v in sorted(routes.items())]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    errors = len(users.errors)
    print()
    print(f"errors: {errors} (target 0){'' if errors == 0 else '  MISSED'}; "
          f"invariants after the load: {'hold' if not problems else f'{len(problems)} broken  MISSED'}")
    return 0 if errors == 0 and not problems and seeded_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
