"""A post limited to fan groups is seen only by its owner, moderators and its groups' members, on every
route and ranking; a post a caller may not see is a 404 everywhere (no existence oracle)."""

from __future__ import annotations

from app import app
from chalicelib.store.accounts import AccountModel
from local.workers import fire_schedule
from tests.flows import feed_ids, follow_all, new_account, nine_grid, publish


def coupon_for_vip(api, run_workers) -> tuple[str, str]:
    # Given a shop whose follower "member" is in its vip group, "fan" follows without it, and a vip-only post
    account_id = new_account(api, "owner")["account_id"]
    follow_all(api, account_id, ["member", "fan"])
    assert api.as_user("owner").put(f"/accounts/{account_id}/groups/vip/members/member").status == 200
    post = publish(api, "owner", account_id, nine_grid("会员专享券，仅限VIP", audience={"groups": ["vip"]}))
    run_workers()
    return account_id, post["post_id"]


def test_a_targeted_post_is_seen_only_by_owner_moderators_and_members(api, run_workers) -> None:
    account_id, post_id = coupon_for_vip(api, run_workers)
    moderator = api.as_user("mod", ["moderator"])

    # Its own page: the member and moderators see it, the member without the owner's group names
    member_view = api.as_user("member").get(f"/posts/{post_id}")
    assert member_view.status == 200 and "audience" not in member_view.json
    assert api.as_user("owner").get(f"/posts/{post_id}").json["audience"] == {"groups": ["vip"]}
    assert moderator.get(f"/posts/{post_id}").status == 200
    # Everyone else gets a 404 on every route that names the post
    for user in ("fan", "stranger"):
        caller = api.as_user(user)
        answers = [caller.get(f"/posts/{post_id}"), caller.get(f"/posts/{post_id}/comments"),
                   caller.put(f"/posts/{post_id}/likes/me"), caller.delete(f"/posts/{post_id}/likes/me"),
                   caller.post(f"/posts/{post_id}/comments", {"text": "好"}),
                   caller.post(f"/posts/{post_id}/votes", {"option": 0}), caller.delete(f"/posts/{post_id}")]
        assert [a.status for a in answers] == [404] * len(answers), (user, answers)
    # The account's list shows it to the member and the owner only
    listed = {user: [p["post_id"] for p in api.as_user(user).get(f"/accounts/{account_id}/posts").json["items"]]
              for user in ("owner", "member", "fan", "stranger")}
    assert listed == {"owner": [post_id], "member": [post_id], "fan": [], "stranger": []}
    assert api.as_user("member").get(f"/posts/{post_id}/comments").status == 200
    # The feed delivered it to the member alone
    assert (feed_ids(api, "member"), feed_ids(api, "fan")) == ([post_id], [])


def test_a_targeted_post_never_enters_the_hot_list(api, run_workers) -> None:
    account_id, post_id = coupon_for_vip(api, run_workers)
    AccountModel(account_id).update(actions=[AccountModel.tier.set("W2")])  # a tier on the hot list
    public = publish(api, "owner", account_id, nine_grid("秋冬新款上市"))["post_id"]
    run_workers()
    for user in ("member", "stranger"):
        assert api.as_user(user).put(f"/posts/{public}/likes/me").status == 200
    assert api.as_user("member").put(f"/posts/{post_id}/likes/me").status == 200
    fire_schedule(app, "hot_list")
    ranked = [p["post_id"] for p in api.as_user("member").get("/hot").json["items"]]
    assert ranked == [public]


def test_a_targeted_post_is_not_backfilled_to_a_new_follower_outside_its_groups(api, run_workers) -> None:
    account_id, post_id = coupon_for_vip(api, run_workers)
    public = publish(api, "owner", account_id, nine_grid("秋冬新款上市"))["post_id"]
    run_workers()
    follow_all(api, account_id, ["newcomer"])
    assert feed_ids(api, "newcomer") == [public]


def test_unliking_a_removed_post_is_a_404_like_a_post_that_never_was(api, run_workers) -> None:
    account_id = new_account(api, "owner")["account_id"]
    post_id = publish(api, "owner", account_id, nine_grid())["post_id"]
    run_workers()
    assert api.as_user("owner").delete(f"/posts/{post_id}").status == 204
    stranger = api.as_user("stranger")
    assert stranger.delete(f"/posts/{post_id}/likes/me").status == stranger.delete("/posts/nope/likes/me").status == 404
