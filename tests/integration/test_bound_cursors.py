"""Cursors are bound to their list, caller and filters: any other use is a 400 naming the cursor."""

from __future__ import annotations

from tests.flows import article, follow_all, new_account, nine_grid, publish


def _first_page(api, user: str, path: str) -> str:
    page = api.as_user(user).get(path)
    assert page.status == 200 and len(page.json["items"]) == 1 and page.json["next_cursor"], (path, page)
    return page.json["next_cursor"]


def _refused(api, user: str, path: str, cursor: str) -> bool:
    join = "&" if "?" in path else "?"
    answer = api.as_user(user).get(f"{path}{join}cursor={cursor}")
    return answer.status == 400 and [d["pointer"] for d in answer.json["error"]["details"]] == ["/cursor"]


def _resumes(api, user: str, path: str, cursor: str) -> bool:
    join = "&" if "?" in path else "?"
    answer = api.as_user(user).get(f"{path}{join}cursor={cursor}")
    return answer.status == 200 and len(answer.json["items"]) == 1


def test_every_list_cursor_works_only_for_its_list_caller_and_filters(api, run_workers) -> None:
    # Given two shops with two posts and two buyer shows each, followed by two fans
    shops = [new_account(api, "m1")["account_id"], new_account(api, "m2")["account_id"]]
    for owner, shop in zip(("m1", "m2"), shops, strict=True):
        follow_all(api, shop, ["f1", "f2"])
        publish(api, owner, shop, nine_grid())
        publish(api, owner, shop, article())
        for fan in ("f1", "f2"):
            show = {"format": "nine_grid", "text": "面料舒服，推荐", "images": ["https://img.example.com/s.jpg"],
                    "products": ["sku-1"]}
            assert api.as_user(fan).post(f"/accounts/{shop}/buyer-shows", show).status == 202
    run_workers()
    a, b = shops
    cases = [
        # (caller, list, cursor misuses: (caller, path))
        ("f1", "/me/following?limit=1", [("f2", "/me/following?limit=1")]),
        ("m1", f"/accounts/{a}/followers?limit=1", [("m2", f"/accounts/{b}/followers?limit=1"),
                                                    ("m1", f"/accounts/{a}/followers?limit=1&group=vip")]),
        ("f1", f"/accounts/{a}/posts?limit=1", [("f2", f"/accounts/{a}/posts?limit=1"),
                                                ("f1", f"/accounts/{b}/posts?limit=1"),
                                                ("m1", f"/accounts/{a}/posts?limit=1")]),
        ("f1", f"/accounts/{a}/buyer-shows?limit=1", [("f1", f"/accounts/{b}/buyer-shows?limit=1"),
                                                      ("f2", f"/accounts/{a}/buyer-shows?limit=1")]),
        ("f1", "/accounts?q=shop&limit=1", [("f2", "/accounts?q=shop&limit=1"), ("f1", "/accounts?q=sho&limit=1")]),
        ("f1", "/me/feed?limit=1", [("f2", "/me/feed?limit=1"), ("f1", "/me/feed?section=new&limit=1"),
                                    ("f1", "/me/following?limit=1")]),
    ]
    problems = []
    for caller, path, misuses in cases:
        cursor = _first_page(api, caller, path)
        # When the cursor is used by another caller, on another list or with other filters: a 400
        problems += [f"{path} cursor accepted by {who} on {other}" for who, other in misuses
                     if not _refused(api, who, other, cursor)]
        # And its own caller on its own list resumes
        if not _resumes(api, caller, path, cursor):
            problems.append(f"{path} cursor does not resume its own list")
    assert not problems, "\n".join(problems)
