"""The console in a real browser: composing, moderating, every screen at phone width, no JS errors."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.flows import new_account, publish

HELD_TEXT = "哈哈哈哈哈哈哈哈哈哈哈哈 这批秋冬外套太好看了"  # repeated characters: the spam hook holds it

# Every screen of the console (area/tab), as route() in app.js names them.
SCREENS = ["merchant/compose", "merchant/posts", "merchant/stats", "merchant/fans", "merchant/grade",
           "merchant/notifications", "merchant/accounts", "moderator/queue", "moderator/takedown",
           "moderator/blackroom", "moderator/audit", "moderator/words", "operator/labels", "operator/picks",
           "operator/grading", "operator/suggestions", "operator/config"]

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')].filter(el => {
  if (el.type === 'hidden') return false;
  const byAria = (el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby');
  const byLabel = el.labels && [...el.labels].some(l => l.textContent.trim());
  return !(byAria || byLabel);
}).map(el => el.outerHTML.slice(0, 120))"""


def _wait_for_status(console, post_id: str, status: str, timeout_s: float = 20) -> None:
    """Reload the posts list until the post shows ``status`` (the workers publish in the background)."""
    card = console.page.locator(f'article.post[data-post-id="{post_id}"]')
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        console.go("merchant/posts")
        if card.count() and card.get_attribute("data-status") == status:
            return
        time.sleep(0.3)
    raise AssertionError(f"post {post_id} never showed {status}: {card.all_inner_texts()}")


def test_token_link_signs_in_and_leaves_the_address_bar(console, api) -> None:
    new_account(api, "m1")
    console.open_as("m1")
    assert "token=" not in console.page.url
    expect(console.page.locator("#whoami")).to_have_text("m1")
    # A reload stays signed in (the token is kept for the tab's session, not in the URL)
    console.page.reload()
    console.ready()
    assert console.errors == []


def test_a_poll_with_one_option_shows_the_error_next_to_the_options_then_publishes(console, api) -> None:
    # Given a merchant with an account, on the composer
    account = new_account(api, "m1")
    console.open_as("m1", screen="merchant/compose")
    page = console.page
    types = page.locator("#post-type option").evaluate_all("options => options.map(o => o.value)")
    assert "poll" in types and "floor_contest" in types and len(types) == 11
    page.select_option("#post-type", "poll")
    page.get_by_label("版式").select_option("long_article")
    page.get_by_label("标题").fill("冬季新款投票")
    page.get_by_label("正文").fill("你更喜欢哪个颜色？")
    page.get_by_label("问题").fill("选哪个颜色")
    page.get_by_label("选项 第 1 项").fill("红色")
    page.get_by_label("截止时间").fill("2030-01-01T12:00")
    # When they submit a poll with one option
    page.get_by_role("button", name="提交").click()
    # Then the API's error shows next to the options field
    options_error = page.locator('[data-pointer="/poll/options"] > .field-error')
    expect(options_error).not_to_be_empty()
    expect(page.locator('[data-pointer="/poll/options"] > .list')).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#compose-errors .error")).to_contain_text("invalid_input")
    # When they add the second option and submit again
    page.get_by_label("选项 第 2 项").fill("蓝色")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status").filter(has_text="已提交")).to_be_visible()
    expect(options_error).to_be_empty()
    # Then the post reaches published, with each hook's verdict
    posts = api.as_user("m1").get(f"/accounts/{account['account_id']}/posts").json["items"]
    assert len(posts) == 1 and posts[0]["type"] == "poll"
    _wait_for_status(console, posts[0]["post_id"], "published")
    card = page.locator(f'article.post[data-post-id="{posts[0]["post_id"]}"]')
    expect(card.locator(".verdicts li").first).to_contain_text("通过")
    assert console.errors == []


def test_a_moderator_approves_a_held_post_and_the_merchant_sees_it_published(console, api) -> None:
    # Given a post the spam hook holds for review
    account = new_account(api, "m1")
    post = publish(api, "m1", account["account_id"], {"type": "article", "format": "long_article",
                                                      "title": "外套", "text": HELD_TEXT})
    # (the background workers run the chain; pending_review alone could mean "not yet moderated")
    deadline = time.monotonic() + 20
    while not api.as_user("m1").get(f"/posts/{post['post_id']}").json.get("moderation"):
        assert time.monotonic() < deadline, "the moderation chain never ran"
        time.sleep(0.2)
    assert api.as_user("m1").get(f"/posts/{post['post_id']}").json["status"] == "pending_review"
    # When a moderator opens the queue and approves it
    console.open_as("mod-1", ["moderator"], screen="moderator/queue")
    page = console.page
    card = page.locator(f'article[data-post-id="{post["post_id"]}"]')
    expect(card.locator(".verdicts")).to_contain_text("垃圾信息")
    expect(card.locator(".verdicts")).to_contain_text("转人工")
    card.get_by_role("button", name="通过").click()
    expect(card).to_contain_text("已发布")
    # Then the merchant's posts list shows it published
    console.open_as("m1")
    _wait_for_status(console, post["post_id"], "published")
    assert console.errors == []


def test_every_screen_fits_375_px_has_labelled_inputs_and_raises_no_js_errors(console, api) -> None:
    # Given a user who is merchant, moderator and operator, at phone width
    account = new_account(api, "boss")
    publish(api, "boss", account["account_id"], {"type": "article", "format": "long_article",
                                                  "title": "穿搭指南", "text": "冬季穿搭指南：三件单品搞定通勤"})
    console.page.set_viewport_size({"width": 375, "height": 740})
    console.open_as("boss", ["moderator", "operator"])
    for screen in SCREENS:
        # When each screen is shown
        console.go(screen)
        # Then the page does not scroll sideways
        widths = console.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{screen} scrolls horizontally: {widths}"
        # ... every input, select and textarea has an accessible name
        assert console.page.evaluate(UNLABELLED) == [], screen
    # And no screen raised a JavaScript error
    assert console.errors == []
