"""`make demo`: fill a running `make run` with a month of realistic Chinese-language data.

What is written how (nothing is faked in the tables the API reads):

* **Today** goes through the running server's HTTP API (http://127.0.0.1:$PORT): posts of
  each account, follows, feed reads, reads, likes, comments on a floor contest, poll
  votes, a buyer show that the owner features. The server's own workers moderate,
  fan out and record the activity.
* **The previous 29 days** cannot be written over HTTP: every service stamps what it
  writes with the current time. So the demo runs the same application in its own
  process, against the same moto (found through ``.local-run.json``, which `make run`
  writes), calling the routes through Chalice's test client with the platform clock
  pinned to each past moment (``clock.set_now``, as the tests do). Moderation of those
  posts runs inline (``send_to_moderation`` is pointed at ``moderate_post``) so a post
  is published at its pinned time instead of whenever the server's worker would pick
  it up; fan-out and activity messages (which carry their own timestamps) go through
  the real queues, drained by this process and the server alike.
* **Set directly in the store**: the accounts' tiers (W1 to W4, as last month's grading
  would have left them; only W2 and up may enter the hot list). No route sets a tier.
* At the end the hot-list job runs once (the function the 10-minute schedule runs).

Run it once per `make run` (state lives in the in-memory moto); ``DEMO_FANS``,
``DEMO_DAYS`` and ``DEMO_SEED`` change its size and randomness.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from local.environment import point_at
from local.run import RUN_STATE_FILE

FANS = int(os.environ.get("DEMO_FANS", "300"))
DAYS = int(os.environ.get("DEMO_DAYS", "30"))
SEED = int(os.environ.get("DEMO_SEED", "20240601"))
TOKEN_TTL_S = 86_400  # the longest a token may live (auth.MAX_TOKEN_LIFETIME_S)
# When fans are on their phones (Asia/Shanghai hour 0..23): lunch and the evening peak.
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 3, 2.5, 2, 2.5, 4, 3.5, 2.5, 2.5, 2.5, 3, 4, 5, 7, 8, 6, 3]
IMG = "https://img.example.com/demo"


@dataclass
class DemoAccount:
    key: str
    owner: str
    body: dict[str, Any]
    tier: str
    labels: tuple[str, ...]
    popularity: float
    posts_per_day: float
    post_types: tuple[str, ...]
    products: tuple[str, ...]
    account_id: str = ""
    buyer_shows: list[str] = field(default_factory=list)


ACCOUNTS = [
    DemoAccount("jiangnan", "owner-jiangnan", {
        "handle": "jiangnan_buyi", "display_name": "江南布艺女装旗舰店", "kind": "merchant", "category": "女装",
        "fan_nickname": "布粉", "bio": "苏州原创棉麻女装，每周二、五上新"}, "W3", ("preferred_store",), 1.0, 1.0,
        ("new_product", "styling", "video", "member_benefit", "coupon", "poll", "live", "product_review"),
        ("亚麻阔腿裤", "真丝衬衫", "针织开衫", "碎花连衣裙", "棉麻半身裙", "法式方领上衣", "风衣外套", "牛仔背带裙")),
    DemoAccount("geek", "owner-geek", {
        "handle": "geek_digital", "display_name": "极客数码专营店", "kind": "merchant", "category": "数码",
        "fan_nickname": "极客粉", "bio": "耳机、充电器、智能穿戴，正品行货"}, "W2", (), 0.8, 0.7,
        ("new_product", "product_review", "video", "coupon", "article", "live"),
        ("降噪蓝牙耳机", "氮化镓充电器", "智能手表", "机械键盘", "移动电源", "无线鼠标", "便携音箱", "平板支架")),
    DemoAccount("shanye", "owner-shanye", {
        "handle": "shanye_snacks", "display_name": "山野零食铺", "kind": "merchant", "category": "食品",
        "fan_nickname": "吃货", "bio": "云南山货与手作零食"}, "W1", (), 0.5, 0.4,
        ("new_product", "article", "coupon", "poll"),
        ("菌菇礼盒", "手工红糖", "核桃酥", "鲜花饼", "野生蜂蜜", "普洱茶饼", "酸角糕", "牛肝菌酱")),
    DemoAccount("xiaolu", "owner-xiaolu", {
        "handle": "xiaolu_style", "display_name": "穿搭博主小鹿", "kind": "influencer", "category": "女装",
        "fan_nickname": "鹿粉", "bio": "158小个子穿搭｜通勤与周末"}, "W2", ("certified_influencer",), 0.9, 0.6,
        ("styling", "video", "article", "poll", "product_review"),
        ("小西装", "直筒牛仔裤", "乐福鞋", "托特包", "针织背心", "百褶裙", "短款羽绒服", "马丁靴")),
    DemoAccount("official", "ops-official", {
        "handle": "weitao_official_events", "display_name": "微淘官方活动", "kind": "official", "category": "官方",
        "fan_nickname": "淘友", "bio": "平台活动与规则公告"}, "W4", (), 0.7, 0.3,
        ("article", "floor_contest", "member_benefit", "poll", "live"),
        ("会员日", "周年庆", "新人礼包", "品质好店季")),
]
COLORS = ("雾霾蓝", "燕麦色", "奶油白", "墨绿", "焦糖棕", "樱花粉", "藏青", "浅灰")
MOODS = ("通勤", "周末出游", "约会", "居家", "开学季", "露营", "年会", "早秋")
COMMENTS = ("好看！", "已下单，期待", "求链接", "这个颜色绝了", "什么时候补货？", "支持一下", "质量怎么样？",
            "买过，推荐", "能再优惠点吗", "打卡", "已收藏", "码数准吗？", "上身效果不错", "发货快吗")


class Caller:
    """The same routes, in this process (pinned clock) or over HTTP to the running server."""

    def __init__(self, api_base: str, client: Any, token_of: Callable[[str, list[str] | None], str]) -> None:
        self.api_base = api_base
        self.client = client
        self.token_of = token_of
        self.over_http = False

    def __call__(self, user: str, method: str, path: str, body: Any = None, roles: list[str] | None = None
                 ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token_of(user, roles)}", "Content-Type": "application/json"}
        payload = json.dumps(body, ensure_ascii=False) if body is not None else None
        if self.over_http:
            response = requests.request(method, self.api_base + path, headers=headers,
                                        data=payload.encode() if payload else None, timeout=60)
            return response.status_code, (response.json() if response.content else None)
        raw = getattr(self.client.http, method.lower())(path, headers=headers, body=payload)
        return raw.status_code, (json.loads(raw.body) if raw.body else None)


# Each account words its posts its own way: the plagiarism hook compares posts across
# accounts, and shared boilerplate would read as copying. (title, text) per post type.
WORDING: dict[str, dict[str, tuple[str, str]]] = {
    "jiangnan": {
        "new_product": ("", "苏州工坊{day}新到{color}{product}，棉麻面料透气亲肤，布粉专享首发价，第{n}批现货。"),
        "styling": ("", "江南小院里的{mood}搭配：{color}{product}叠穿针织，{k}套造型都是店长亲自试过的（{n}）。"),
        "video": ("工坊实拍｜{product}的{k}种穿法 {n}", ""),
        "member_benefit": ("布粉会员日：{product}专享",
                           "本周会员购买{product}叠加{k}元无门槛券，老客再送手工香囊，活动第{n}期。"),
        "coupon": ("", "棉麻季回馈，{product}专区领券，第{n}轮"),
        "poll": ("", "布粉们帮选色：下一季{product}主推哪个颜色？第{n}轮"),
        "live": ("苏州工坊直播：{product}上新专场", ""),
        "product_review": ("", "自家{product}洗涤{k}次实测：缩水率、起球、褪色逐项记录，报告编号{n}。"),
    },
    "geek": {
        "new_product": ("", "新品到仓：{product}（{color}配色），支持全国联保，下单次日达，批次{n}。"),
        "product_review": ("", "{product}续航与音质连续实测{k}小时，对比上一代的数据全部公开，测评编号{n}。"),
        "video": ("{k}分钟看懂{product} #{n}", ""),
        "coupon": ("", "数码节{product}满减叠加店铺券，第{n}场"),
        "article": ("{product}参数怎么看（{n}）",
                    "买{product}先看芯片、接口、协议和散热。极客粉整理了{k}条选购要点，附常见坑位，第{n}期。"),
        "live": ("极客开箱夜：{product}", ""),
    },
    "shanye": {
        "new_product": ("", "山里刚采的{product}到货啦，{mood}囤货正当时，云南产地直发，第{n}批。"),
        "article": ("{product}的家常吃法（{n}）",
                    "{product}怎么吃最香？阿妈的{k}种家常做法，配料和火候写得明明白白，山货笔记第{n}篇。"),
        "coupon": ("", "吃货福利：{product}券今晚开抢{n}"),
        "poll": ("", "下个月上架什么山货？吃货们说了算，第{n}次征集"),
    },
    "xiaolu": {
        "styling": ("", "小个子{mood}公式：{color}{product}配短外套，显高{k}厘米不是梦，第{n}套。"),
        "video": ("158穿搭｜{product}一衣多穿 {n}", ""),
        "article": ("{mood}衣橱清单（{n}）",
                    "整理了{mood}必备的{k}件单品，{product}是今年最值得入的一件，鹿粉们按需收藏，清单第{n}期。"),
        "poll": ("", "鹿粉投票：下期视频拍{product}吗？第{n}期"),
        "product_review": ("", "自费买的{product}，穿了{k}周说说真实感受：版型、面料和性价比，第{n}篇。"),
    },
    "official": {
        "article": ("{product}活动规则（{n}）",
                    "{product}活动即将开启：报名时间、参与门槛、奖励发放说明一文看懂，公告第{n}号。"),
        "floor_contest": ("{product}盖楼赢好礼", "评论区盖楼，逢5楼送{product}专属权益，活动编号{n}，截止前有效。"),
        "member_benefit": ("{product}会员权益", "会员在{product}期间可领取平台补贴，叠加规则见活动详情，第{n}期。"),
        "poll": ("", "{product}你最期待哪项玩法？第{n}次调研"),
        "live": ("{product}官方直播间", ""),
    },
}


def post_body(rng: random.Random, account: DemoAccount, post_type: str, at: datetime, n: int) -> dict[str, Any]:
    """A post of ``post_type`` in the account's own wording (no two posts alike)."""
    from chalicelib.domain import clock

    product = rng.choice(account.products)
    fields = {"product": product, "color": rng.choice(COLORS), "mood": rng.choice(MOODS), "n": n,
              "k": rng.randint(3, 9), "day": at.astimezone(clock.SHANGHAI).strftime("%-m月%-d日")}
    title_template, text_template = WORDING[account.key][post_type]
    title, text = title_template.format(**fields), text_template.format(**fields)
    sku = f"sku-{account.key}-{account.products.index(product)}"
    images = [f"{IMG}/{account.key}/{n}-{i}.jpg" for i in range(rng.randint(1, 6))]
    topic = f"#{fields['mood']}穿搭#" if account.body["category"] == "女装" else f"#{account.body['category']}好物#"
    body: dict[str, Any] = {"type": post_type, "topics": [topic]}
    if post_type in ("new_product", "styling", "product_review"):
        body.update(format="nine_grid", images=images, products=[sku], text=text)
    elif post_type == "video":
        body.update(format="short_video", title=title, cover=images[0],
                    video={"url": f"https://v.example.com/demo/{account.key}/{n}.mp4",
                           "duration_s": rng.randint(15, 280)})
    elif post_type in ("article", "member_benefit"):
        body.update(format="long_article", title=title, text=text)
    elif post_type == "coupon":
        threshold = rng.choice((99, 199, 299))
        body.update(format="nine_grid", images=images, text=text,
                    coupon={"amount": threshold // 10 * 2, "threshold": threshold, "quantity": rng.randint(100, 500),
                            "expires_at": clock.rfc3339(at + timedelta(days=7))})
    elif post_type == "poll":
        body.update(format="nine_grid", images=images, text=text,
                    poll={"question": "你选哪一个？", "options": [f"{c}{product}" for c in rng.sample(COLORS, 3)],
                          "closes_at": clock.rfc3339(at + timedelta(days=3))})
    elif post_type == "floor_contest":
        body.update(format="long_article", title=title, text=text,
                    contest={"every": 5, "ends_at": clock.rfc3339(at + timedelta(days=2))})
    elif post_type == "live":
        body.update(format="live_stream", title=title, cover=images[0],
                    live={"starts_at": clock.rfc3339(at + timedelta(hours=3)),
                          "stream_url": f"https://live.example.com/{account.key}/{n}"})
    else:
        raise ValueError(post_type)
    return body


def buyer_show_body(rng: random.Random, account: DemoAccount, n: int) -> dict[str, Any]:
    product = rng.choice(account.products)
    return {"format": "nine_grid", "images": [f"{IMG}/shows/{account.key}-{n}.jpg"],
            "products": [f"sku-{account.key}-{account.products.index(product)}"],
            "text": f"{product}收到啦，{rng.choice(('做工不错', '颜色很正', '和图片一样', '物流很快'))}（{n}）"}


@dataclass
class Demo:
    rng: random.Random
    call: Caller
    today: date
    fans: list[str]
    follows: dict[str, set[str]] = field(default_factory=dict)  # account key -> fans following
    polls: dict[str, datetime] = field(default_factory=dict)  # post id -> closes at
    contests: set[str] = field(default_factory=set)
    outcomes: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    serial: int = 0

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def publish(self, account: DemoAccount, post_type: str, at: datetime) -> str | None:
        self.serial += 1
        status, post = self.call(account.owner, "POST", f"/accounts/{account.account_id}/posts",
                                 post_body(self.rng, account, post_type, at, self.serial))
        if status != 202:
            self.count(f"refused_{status}")
            return None
        self.count("posts")
        if post_type == "poll":
            self.polls[post["post_id"]] = at + timedelta(days=3)
        if post_type == "floor_contest":
            self.contests.add(post["post_id"])
        return str(post["post_id"])

    def fan_session(self, fan: str, at: datetime) -> None:
        """A fan opens the app: a feed page, a post or two, maybe a like, a comment, a vote."""
        status, page = self.call(fan, "GET", "/me/feed?limit=10")
        if status != 200 or not page["items"]:
            return
        self.count("feed_pages")
        for item in self.rng.sample(page["items"], min(len(page["items"]), self.rng.choice((1, 1, 2)))):
            post_id = item["post_id"]
            self.call(fan, "GET", f"/posts/{post_id}")
            self.count("reads")
            if self.rng.random() < 0.35:
                self.call(fan, "PUT", f"/posts/{post_id}/likes/me")
                self.count("likes")
            if self.rng.random() < (0.5 if post_id in self.contests else 0.1):
                self.call(fan, "POST", f"/posts/{post_id}/comments", {"text": self.rng.choice(COMMENTS)})
                self.count("comments")
            closes = self.polls.get(post_id)
            if closes and at < closes and self.rng.random() < 0.6:
                option = self.rng.randrange(3)
                if self.call(fan, "POST", f"/posts/{post_id}/votes", {"option": option})[0] == 201:
                    self.count("votes")


def at_hour(day: date, hour: int, minute: int) -> datetime:
    from chalicelib.domain import clock

    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.SHANGHAI)


def run_backdated(demo: Demo, drain: Callable[..., Any]) -> None:
    """Days -(DAYS-1) .. -1, in this process with the clock pinned to each action's moment."""
    from chalicelib.domain import clock
    from chalicelib.store.accounts import AccountModel

    rng = demo.rng
    first_day = demo.today - timedelta(days=DAYS - 1)
    clock.set_now(lambda: at_hour(first_day, 9, 0))
    for account in ACCOUNTS:
        roles = ["operator"] if account.body["kind"] == "official" else None
        status, created = demo.call(account.owner, "POST", "/accounts", account.body, roles=roles)
        if status == 409:
            sys.exit("the demo accounts exist already: `make run` keeps its data in memory, restart it for a "
                     "fresh demo")
        assert status == 201, created
        account.account_id = created["account_id"]
        AccountModel(account.account_id).update(actions=[AccountModel.tier.set(account.tier)])
        for label in account.labels:
            demo.call("ops-demo", "PUT", f"/accounts/{account.account_id}/labels/{label}", roles=["operator"])
        demo.follows[account.key] = set()

    # Who follows whom and when: most fans early, a few unfollow later.
    plan: dict[int, list[tuple[datetime, Callable[[], None]]]] = {d: [] for d in range(DAYS - 1)}

    def follow(fan: str, account: DemoAccount, on: bool) -> Callable[[], None]:
        def act() -> None:
            if on:
                demo.call(fan, "PUT", f"/me/following/{account.account_id}")
                demo.follows[account.key].add(fan)
                demo.count("follows")
            else:
                demo.call(fan, "DELETE", f"/me/following/{account.account_id}")
                demo.follows[account.key].discard(fan)
                demo.count("unfollows")
        return act

    for fan in demo.fans:
        chosen = {a.key: a for a in rng.choices(ACCOUNTS, weights=[a.popularity for a in ACCOUNTS],
                                                k=rng.choice((1, 1, 2, 2, 3)))}
        for account in chosen.values():
            day = min(int(rng.betavariate(1.2, 2.5) * (DAYS - 1)), DAYS - 2)
            plan[day].append((at_hour(first_day + timedelta(days=day), rng.randint(10, 23), rng.randint(0, 59)),
                              follow(fan, account, True)))
            if rng.random() < 0.06 and day < DAYS - 2:
                later = rng.randint(day + 1, DAYS - 2)
                plan[later].append((at_hour(first_day + timedelta(days=later), rng.randint(8, 23), 30),
                                    follow(fan, account, False)))

    # Chance that a fan opens the app on a given day (one day in twenty on average).
    activity_level = {fan: rng.uniform(0.02, 0.08) for fan in demo.fans}
    for index in range(DAYS - 1):
        day = first_day + timedelta(days=index)
        actions = list(plan[index])
        for account in ACCOUNTS:
            for n in range(int(account.posts_per_day + rng.random())):
                post_type = account.post_types[(index + n) % len(account.post_types)]
                moment = at_hour(day, rng.randint(9, 21), rng.randint(0, 59))
                actions.append((moment, lambda a=account, t=post_type, m=moment: demo.publish(a, t, m) and drain(
                    "fanout")))
        following_someone = set().union(*demo.follows.values())
        for fan in following_someone:
            if rng.random() < activity_level[fan]:
                hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
                moment = at_hour(day, hour, rng.randint(0, 59))
                actions.append((moment, lambda f=fan, m=moment: demo.fan_session(f, m)))
                merchants = [a for a in ACCOUNTS if a.body["kind"] == "merchant" and fan in demo.follows[a.key]]
                if merchants and rng.random() < 0.03:
                    merchant = rng.choice(merchants)
                    actions.append((moment + timedelta(minutes=5),
                                    lambda f=fan, a=merchant: send_buyer_show(demo, f, a)))
        for account in ACCOUNTS:
            if account.buyer_shows and rng.random() < 0.5:
                actions.append((at_hour(day, 22, 30), lambda a=account: feature_latest(demo, a)))
        for moment, act in sorted(actions, key=lambda pair: pair[0]):
            clock.set_now(lambda m=moment: m)
            act()
        drain("fanout", "activity")
        print(f"  {day.isoformat()}  {len(actions):4d} actions, {sum(len(f) for f in demo.follows.values())} follows",
              flush=True)
    clock.set_now(None)


def send_buyer_show(demo: Demo, fan: str, account: DemoAccount) -> None:
    demo.serial += 1
    status, show = demo.call(fan, "POST", f"/accounts/{account.account_id}/buyer-shows",
                             buyer_show_body(demo.rng, account, demo.serial))
    if status == 202:
        account.buyer_shows.append(show["post_id"])
        demo.count("buyer_shows")


def feature_latest(demo: Demo, account: DemoAccount) -> None:
    status, featured = demo.call(account.owner, "PUT", f"/posts/{account.buyer_shows.pop()}/featured")
    if status == 200 and featured.get("pushed"):
        demo.count("buyer_shows_pushed")


def run_today(demo: Demo, api_base: str) -> dict[str, str]:
    """Today, over HTTP to the running server; returns ids worth trying."""
    from chalicelib.domain import clock
    from chalicelib.domain.posts import PUBLISHED
    from chalicelib.store.posts import PostModel

    demo.call.over_http = True
    rng = demo.rng
    by_key = {a.key: a for a in ACCOUNTS}

    now = clock.now()
    newcomers = [f"fan-new-{i:02d}" for i in range(10)]
    for fan in newcomers:
        for key in ("jiangnan", "xiaolu"):
            demo.call(fan, "PUT", f"/me/following/{by_key[key].account_id}")
            demo.follows[key].add(fan)
    todays = {key: demo.publish(by_key[key], post_type, now) for key, post_type in (
        ("jiangnan", "new_product"), ("geek", "live"), ("shanye", "coupon"), ("xiaolu", "poll"),
        ("official", "floor_contest"))}
    ids = [pid for pid in todays.values() if pid]
    # Checked in the store, not through GET /posts (which would count reads).
    wait_until(lambda: all(moderated(PostModel.get(pid, consistent_read=True)) for pid in ids),
               "today's posts to pass moderation")
    fans = sorted(set().union(*demo.follows.values()))
    for fan in rng.sample(fans, min(30, len(fans))):
        demo.fan_session(fan, now)
    contest = todays["official"]
    if contest:
        for i in range(12):
            demo.call(f"fan-{i + 1:03d}", "POST", f"/posts/{contest}/comments", {"text": f"盖楼第{i + 1}弹"})
    poll = todays["xiaolu"]
    if poll:
        for i in range(15):
            if demo.call(f"fan-{i + 101:03d}", "POST", f"/posts/{poll}/votes", {"option": i % 4 % 3})[0] == 201:
                demo.count("votes")
    show_fan = sorted(demo.follows["jiangnan"])[0]
    status, show = demo.call(show_fan, "POST", f"/accounts/{by_key['jiangnan'].account_id}/buyer-shows",
                             buyer_show_body(rng, by_key["jiangnan"], 9999))
    if status == 202:
        wait_until(lambda: PostModel.get(show["post_id"], consistent_read=True).status == PUBLISHED,
                   "the buyer show's moderation")
        demo.call(by_key["jiangnan"].owner, "PUT", f"/posts/{show['post_id']}/featured")
    return {"contest": contest or "", "poll": todays["xiaolu"] or "", "show": show.get("post_id", "")}


def moderated(post: Any) -> bool:
    """Published, rejected, or held for a moderator: the chain has run."""
    from chalicelib.domain.posts import PENDING_REVIEW, QUEUE_REVIEW

    return bool(post.status != PENDING_REVIEW or post.queue == QUEUE_REVIEW)


def moderation_outcomes() -> dict[str, int]:
    from chalicelib.domain.posts import QUEUE_REVIEW
    from chalicelib.store.posts import PostModel

    outcomes: dict[str, int] = {}
    for account in ACCOUNTS:
        for post in PostModel.by_account.query(account.account_id):
            outcome = "held_for_review" if post.queue == QUEUE_REVIEW else post.status
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def wait_until(done: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.5)
    print(f"  (still waiting for {what} after {timeout_s:.0f}s; the server's workers will finish it)")


class Drainer:
    """Runs the real consumers of some queues in this process until they are empty."""

    def __init__(self, app: Any) -> None:
        from chalice.app import SQSEventConfig

        from chalicelib.store.queues import QUEUES
        from local.workers import QueueConsumer

        by_queue = {s.queue: s for s in app.event_sources if isinstance(s, SQSEventConfig)}
        self.consumers = {name: QueueConsumer(app, by_queue[spec.name], retry_delay_s=0)
                          for name, spec in QUEUES.items() if spec.name in by_queue}

    def drain(self, *names: str) -> None:
        for name in names:
            while self.consumers[name].poll_once():
                pass


def queue_empty(name: str) -> bool:
    import boto3

    from chalicelib.config import settings

    sqs = boto3.client("sqs", region_name=settings.region)
    url = sqs.get_queue_url(QueueName=settings.queue(name))["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return all(int(v) == 0 for v in attributes.values())


def main(argv: list[str] | None = None) -> int:
    # Only usage to parse: where the stack is comes from `make run` (.local-run.json) and PORT.
    argparse.ArgumentParser(prog="python -m local.demo", description=__doc__.splitlines()[0],
                            epilog="Environment: PORT (default 8000), the port `make run` serves."
                            ).parse_args(argv)
    port = os.environ.get("PORT", "8000")
    api_base = f"http://127.0.0.1:{port}"
    if not RUN_STATE_FILE.exists():
        sys.exit("no running `make run` found (.local-run.json is missing): start `make run` first")
    state = json.loads(RUN_STATE_FILE.read_text())
    if state["api"] != api_base:
        sys.exit(f"`make run` serves {state['api']}, not {api_base}: run `PORT=... make demo` with its port")
    try:
        requests.get(f"{api_base}/health", timeout=5).raise_for_status()
    except requests.RequestException as error:
        sys.exit(f"{api_base} does not answer ({error}); is `make run` still running?")
    point_at(state["moto"])

    from chalice.test import Client

    from app import app
    from chalicelib.auth import issue_dev_token
    from chalicelib.domain import clock
    from chalicelib.services import buyer_shows, pipeline
    from chalicelib.services import posts as posts_service
    from chalicelib.services.hot_list import rebuild_hot_list

    # Backdated posts are moderated here, at their pinned time (see the module docstring).
    posts_service.send_to_moderation = pipeline.moderate_post
    buyer_shows.send_to_moderation = pipeline.moderate_post
    tokens: dict[tuple[str, tuple[str, ...]], str] = {}

    def token_of(user: str, roles: list[str] | None) -> str:
        key = (user, tuple(roles or ()))
        if key not in tokens:
            tokens[key] = issue_dev_token(user, list(roles or ()), ttl_s=TOKEN_TTL_S)
        return tokens[key]

    started = time.monotonic()
    with Client(app, stage_name="local") as client:
        demo = Demo(rng=random.Random(SEED), call=Caller(api_base, client, token_of),
                    today=clock.local_day(clock.now()), fans=[f"fan-{i:03d}" for i in range(1, FANS + 1)])
        print(f"Backdating {DAYS - 1} days in this process (clock pinned), {FANS} fans...", flush=True)
        run_backdated(demo, Drainer(app).drain)
        print("Today, over HTTP to the running server...", flush=True)
        tried = run_today(demo, api_base)
    wait_until(lambda: queue_empty("activity") and queue_empty("fanout"), "the server's workers to catch up")
    summary = rebuild_hot_list()
    print(f"Hot list rebuilt: {summary}")
    print(f"Posts by moderation outcome: {moderation_outcomes()}")
    done = ", ".join(f"{k} {v}" for k, v in sorted(demo.counts.items()))
    print(f"Done in {time.monotonic() - started:.0f}s: {done}")
    print_try_it(api_base, token_of, tried)
    return 0


def print_try_it(api_base: str, token_of: Callable[[str, list[str] | None], str], tried: dict[str, str]) -> None:
    from chalicelib.domain import clock
    from chalicelib.services.stats import chart_url

    shop = ACCOUNTS[0]
    link = chart_url(shop.account_id, clock.now())
    category = quote("女装")
    print(f"""
Try it (tokens last a day):

API={api_base}
OWNER={token_of(shop.owner, None)}    # {shop.body['display_name']}
FAN={token_of("fan-001", None)}
ACCOUNT={shop.account_id}

curl -s "$API/me/feed?limit=5" -H "Authorization: Bearer $FAN"
curl -s "$API/hot" -H "Authorization: Bearer $FAN"
curl -s "$API/hot?category={category}" -H "Authorization: Bearer $FAN"      # 女装
curl -s "$API/accounts/$ACCOUNT/stats" -H "Authorization: Bearer $OWNER"
curl -s "$API/accounts/$ACCOUNT/stats.svg" -H "Authorization: Bearer $OWNER" -o stats.svg
curl -s "$API/accounts/$ACCOUNT/buyer-shows" -H "Authorization: Bearer $FAN"
curl -s "$API/posts/{tried['contest']}/comments?limit=20" -H "Authorization: Bearer $FAN"   # 盖楼 with winners
curl -s "$API/posts/{tried['poll']}" -H "Authorization: Bearer $FAN"                        # live poll tallies

Open the 30-day chart in a browser (signed link, valid 1 hour):
{api_base}{link}
""")


if __name__ == "__main__":
    sys.exit(main())
