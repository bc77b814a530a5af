"""Banned words: off-platform diversion, fraud and prohibited goods, from a data file."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.moderation.chain import DATA_DIR, REJECT, Hook, PostContent, Verdict, register_hook
from chalicelib.domain.moderation.text import squeeze

NAME = "banned_words"


@register_hook(NAME)
def banned_words_hook(settings: dict[str, Any]) -> Hook:
    """Reject text containing a listed word, whatever the width, case or separators."""
    data = json.loads((DATA_DIR / settings.get("words_file", "banned_words.json")).read_text(encoding="utf-8"))
    allow = [squeeze(p) for p in data.get("allow", [])]
    table = [(squeeze(word), category, spec["message"])
             for category, spec in data["categories"].items() for word in spec["words"]]

    def check(content: PostContent) -> Verdict:
        text = squeeze(content.all_text)
        for phrase in allow:
            text = text.replace(phrase, "\x00")
        for word, category, message in table:
            if word and word in text:
                return Verdict(NAME, REJECT, category, f"{message}: '{word}'")
        return Verdict.approve(NAME)

    return check
