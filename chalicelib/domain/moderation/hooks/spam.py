"""Spam ("water" posts and traffic diversion): repeats, link stuffing, off-platform links, emoji and character floods.

Rules, each with a reason code and an outcome set in the chain file:

- ``repeated_text``: the account published the same text (normalised: width, case,
  punctuation and spaces ignored) within ``repeat_window_hours``. Found through the
  ``find_fingerprints`` service by one exact key, not by scanning the account's posts.
- ``off_platform_link``: a link whose domain is not on ``allowed_domains``.
- ``link_stuffing``: more than ``max_links`` links in the text.
- ``excessive_emoji``: more than ``max_emoji`` emoji, or emoji making up more than
  ``max_emoji_share`` of the visible characters (with at least ``min_emoji_for_share``).
- ``repeated_characters``: one to four characters repeated ``max_repeats`` times or more
  in a row (哈哈哈哈哈哈哈哈哈哈, !!!!!!!!!!, 清仓清仓清仓...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.moderation.chain import APPROVE, REJECT, REVIEW, Hook, PostContent, Verdict, required_service
from chalicelib.domain.moderation.fingerprint import FingerprintHit, FingerprintScheme, post_fingerprint
from chalicelib.domain.moderation.text import fold

NAME = "spam"
DEFAULT_OUTCOMES = {"repeated_text": REJECT, "off_platform_link": REJECT, "link_stuffing": REJECT,
                    "excessive_emoji": REVIEW, "repeated_characters": REVIEW}
DEFAULT_TLDS = ("com", "cn", "net", "org", "info", "io", "cc", "co", "me", "tv", "top", "xyz", "vip", "shop", "club",
                "site", "online", "link", "ly", "gl", "app", "hk", "tw", "biz", "store", "ink", "ltd", "live", "wang")
_EMOJI_RANGES = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F1E6, 0x1F1FF))


def link_pattern(tlds: Sequence[str]) -> re.Pattern[str]:
    """Links in folded text, with or without a scheme: ``https://a.cn/x``, ``www.b.com``, ``t.cn/abc``.

    The host of an e-mail address counts too (``abc@163.com`` is an off-platform contact).
    """
    labels = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    return re.compile(rf"(?<![a-z0-9.\-])(?:https?://)?({labels}(?:{'|'.join(map(re.escape, tlds))}))"
                      r"(?![a-z0-9\-])(?:[:/?#][^\s]*)?")


def links_in(text: str, pattern: re.Pattern[str]) -> list[str]:
    """The host of every link in ``text`` (width- and case-folded), in order."""
    return [m.group(1) for m in pattern.finditer(fold(text))]


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in allowed)


def emoji_count(text: str) -> int:
    return sum(1 for ch in text if any(lo <= ord(ch) <= hi for lo, hi in _EMOJI_RANGES))


def longest_repeat(text: str, max_unit: int = 4) -> tuple[str, int]:
    """The unit (1 to ``max_unit`` characters) repeated most times in a row, and how many times.

    Examples
    --------
    >>> longest_repeat("好好好好 真的哈哈哈哈哈哈")
    ('哈', 6)
    """
    compact = "".join(fold(text).split())
    best = ("", 0)
    for match in re.finditer(rf"(.{{1,{max_unit}}}?)\1+", compact):
        unit = match.group(1)
        times = len(match.group(0)) // len(unit)
        if times > best[1]:
            best = (unit, times)
    return best


def spam_hook(settings: dict[str, Any]) -> Hook:
    """Flag repeats, stuffed or off-platform links, and emoji or character floods."""
    scheme: FingerprintScheme = required_service(settings, "fingerprint_scheme", NAME)
    find: Callable[[Sequence[str]], list[FingerprintHit]] = required_service(settings, "find_fingerprints", NAME)
    outcomes = {**DEFAULT_OUTCOMES, **settings.get("outcomes", {})}
    if set(outcomes) != set(DEFAULT_OUTCOMES) or not set(outcomes.values()) <= {APPROVE, REJECT, REVIEW}:
        raise ValueError(f"spam outcomes must map {sorted(DEFAULT_OUTCOMES)} to approve, reject or review")
    repeat_window = timedelta(hours=float(settings.get("repeat_window_hours", 24)))
    allowed = [d.lower() for d in settings.get("allowed_domains", [])]
    max_links = int(settings.get("max_links", 3))
    max_emoji = int(settings.get("max_emoji", 15))
    max_emoji_share = float(settings.get("max_emoji_share", 0.3))
    min_emoji_for_share = int(settings.get("min_emoji_for_share", 6))
    max_repeats = int(settings.get("max_repeats", 10))
    pattern = link_pattern(settings.get("tlds", DEFAULT_TLDS))

    def text_rules(content: PostContent) -> list[tuple[str, str]]:
        found = []
        text = content.all_text
        hosts = links_in(text, pattern)
        foreign = [h for h in hosts if not host_allowed(h, allowed)]
        if foreign:
            found.append(("off_platform_link", f"links may only lead to the platform's own sites; found {foreign[0]}"))
        if len(hosts) > max_links:
            found.append(("link_stuffing", f"{len(hosts)} links in one post; at most {max_links}"))
        emoji = emoji_count(text)
        visible = sum(1 for ch in text if not ch.isspace())
        if emoji > max_emoji or (emoji >= min_emoji_for_share and emoji > max_emoji_share * visible):
            found.append(("excessive_emoji", f"{emoji} emoji in {visible} characters"))
        unit, times = longest_repeat(text)
        if times >= max_repeats:
            found.append(("repeated_characters", f"'{unit}' repeated {times} times in a row"))
        return found

    def repeated(content: PostContent) -> tuple[str, str] | None:
        key = post_fingerprint(scheme, content).text_key
        if key is None:
            return None
        since = clock.now() - repeat_window
        earlier = [h for h in find([key])
                   if h.post_id != content.post_id and h.account_id == content.account_id and h.at >= since]
        if not earlier:
            return None
        first = min(earlier, key=lambda h: h.at)
        return ("repeated_text", f"the account published the same text within {repeat_window.total_seconds() / 3600:g}"
                                 f" hours (post {first.post_id})")

    def check(content: PostContent) -> Verdict:
        found = text_rules(content)
        if not any(outcomes[reason] == REJECT for reason, _ in found):
            # The one rule that reads the store runs only when the cheap ones did not decide.
            repeat = repeated(content)
            if repeat:
                found.insert(0, repeat)
        for wanted in (REJECT, REVIEW):
            for reason, message in found:
                if outcomes[reason] == wanted:
                    return Verdict(NAME, wanted, reason, message)
        return Verdict(NAME, APPROVE)

    return check
