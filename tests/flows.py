"""Given-steps shared by the integration tests: accounts, followers, posts."""

from __future__ import annotations

import itertools
from typing import Any

_seq = itertools.count(1)


def new_account(api: Any, owner: str, kind: str = "merchant", **fields: Any) -> dict[str, Any]:
    n = next(_seq)
    body = {"handle": f"shop{n:04d}", "display_name": f"好店{n}", "kind": kind, "category": "服饰", **fields}
    response = api.as_user(owner, ["operator"] if kind == "official" else None).post("/accounts", body)
    assert response.status == 201, response
    return response.json


def nine_grid(text: str = "秋冬新款上市，欢迎选购", **extra: Any) -> dict[str, Any]:
    return {"type": "new_product", "format": "nine_grid", "text": text,
            "images": ["https://img.example.com/a.jpg"], "products": ["sku-1"], **extra}


def video_post(duration: float = 30) -> dict[str, Any]:
    return {"type": "video", "format": "short_video", "title": "开箱视频",
            "video": {"url": "https://v.example.com/a.mp4", "duration_s": duration},
            "cover": "https://img.example.com/c.jpg"}


def article(text: str = "冬季穿搭指南：三件单品搞定通勤") -> dict[str, Any]:
    return {"type": "article", "format": "long_article", "title": "穿搭指南", "text": text}


def follow_all(api: Any, account_id: str, users: list[str]) -> None:
    for user in users:
        assert api.as_user(user).put(f"/me/following/{account_id}").status == 200


def publish(api: Any, owner: str, account_id: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    response = api.as_user(owner).post(f"/accounts/{account_id}/posts", body, **kw)
    assert response.status == 202, response
    return response.json


def feed_ids(api: Any, user: str, section: str = "all", limit: int = 100) -> list[str]:
    response = api.as_user(user).get(f"/me/feed?section={section}&limit={limit}")
    assert response.status == 200, response
    return [item["post_id"] for item in response.json["items"]]


def queue_depths() -> dict[str, int]:
    """Messages (visible or in flight) in every queue and dead-letter queue, by name."""
    import boto3

    from chalicelib.config import settings
    from chalicelib.store import queues

    sqs = boto3.client("sqs", region_name=settings.region)
    depths = {}
    for spec in queues.QUEUES.values():
        for name in (spec.name, spec.dlq_name):
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            depths[name] = sum(int(v) for v in attributes.values())
    return depths
