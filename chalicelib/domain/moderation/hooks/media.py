"""Media rules: https only, image and video counts, video duration, a cover where the format needs one.

The request schemas already refuse most broken media at the door; this hook applies
the platform's current media policy (from the chain file) to every post that reaches
moderation, including scheduled posts written under an older policy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain.moderation.chain import REJECT, Hook, PostContent, Verdict

NAME = "media"


def insecure_urls(urls: tuple[str, ...]) -> list[str]:
    """The URLs that are not ``https://`` with a host."""
    bad = []
    for url in urls:
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            bad.append(url)
            continue
        if parts.scheme.lower() != "https" or not parts.hostname:
            bad.append(url)
    return bad


def media_hook(settings: dict[str, Any]) -> Hook:
    """Check the post's media against the rules of its format.

    ``settings["formats"]`` maps a format to ``min_images``, ``max_images``,
    ``video`` (required), ``max_video_s`` and ``cover`` (required); a format not
    listed only gets the https check.
    """
    formats: dict[str, dict[str, Any]] = settings.get("formats", {})

    def reject(reason: str, message: str) -> Verdict:
        return Verdict(NAME, REJECT, reason, message)

    def check(content: PostContent) -> Verdict:
        bad = insecure_urls(content.urls)
        if bad:
            return reject("insecure_media_url", f"media must be served over https: {bad[0][:200]}")
        rules = formats.get(content.format, {})
        images = len(content.images)
        if images < int(rules.get("min_images", 0)):
            return reject("too_few_images", f"{content.format} needs at least {rules['min_images']} image(s)")
        if "max_images" in rules and images > int(rules["max_images"]):
            return reject("too_many_images", f"{content.format} allows at most {rules['max_images']} images, "
                                             f"this post has {images}")
        if rules.get("video") and content.video_duration_s is None:
            return reject("video_missing", f"{content.format} needs a video")
        limit = rules.get("max_video_s")
        if limit is not None and content.video_duration_s is not None and content.video_duration_s > float(limit):
            return reject("video_too_long", f"the video is {content.video_duration_s:g} s; {content.format} "
                                            f"allows at most {limit} s")
        if rules.get("cover") and not content.has_cover:
            return reject("cover_missing", f"{content.format} needs a cover image")
        return Verdict.approve(NAME)

    return check
