"""Moderating a comment before it takes a floor, with the banned-words and spam hooks of the post chain.

The hooks and their settings are those of the configured chain (``moderation.json``),
so a word banned for posts is banned for comments. A comment the hooks would reject or
hold is refused with a 400 naming the hook's reason: comments have no review queue, and
a held comment would still have taken a floor. The repeat rule of the spam hook looks
for the author's earlier published posts; comments are not indexed, so it is given none.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.moderation.chain import APPROVE, Hook, PostContent, build_chain, run_chain
from chalicelib.domain.moderation.hooks import SHIPPED_HOOKS
from chalicelib.services.moderation_chain import chain_services, live_chain_config

COMMENT_HOOKS = ("banned_words", "spam")


_built_chain: tuple[tuple[Any, ...], list[Hook]] | None = None


def comment_chain() -> list[Hook]:
    """The content hooks with the live run-time configuration, rebuilt when the cache read it again."""
    global _built_chain
    used, config = live_chain_config()
    if _built_chain is None or any(a is not b for a, b in zip(_built_chain[0], used, strict=True)):
        entries = [entry for entry in config["chain"] if entry["hook"] in COMMENT_HOOKS]
        services = {**chain_services(), "find_fingerprints": lambda keys: []}
        _built_chain = (used, build_chain({"chain": entries}, services, hooks=SHIPPED_HOOKS))
    return _built_chain[1]


def check_comment(user_id: str, post_id: str, text: str) -> None:
    """Refuse a comment the content hooks do not approve (400 on ``/text`` with the reason code)."""
    content = PostContent(post_id=f"comment-on#{post_id}", account_id=f"user#{user_id}", type="comment",
                          format="comment", text=text)
    result = run_chain(comment_chain(), content)
    verdict = result.deciding
    if result.outcome != APPROVE and verdict is not None:
        raise InvalidInput(f"comment refused by moderation ({verdict.reason}): {verdict.message}",
                           details=[{"pointer": "/text", "message": f"{verdict.reason}: {verdict.message}",
                                     "reason": str(verdict.reason)}])
