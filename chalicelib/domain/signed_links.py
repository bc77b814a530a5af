"""Short-lived signed links, so an owner can open their stats chart in a browser.

A browser cannot send an ``Authorization`` header from the address bar; the stats
answer carries a link whose query holds an expiry and an HMAC-SHA256 of
``<purpose>:<subject>:<expiry>``. Anyone holding the link sees that one chart until
it expires, which is what a shared screenshot would show anyway.
"""

from __future__ import annotations

import hashlib
import hmac


def link_signature(secret: str, purpose: str, subject: str, expires: int) -> str:
    """The hex signature of one link."""
    message = f"{purpose}:{subject}:{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def link_is_valid(secret: str, purpose: str, subject: str, expires_text: str | None, signature: str | None,
                  now_epoch: int) -> bool:
    """Whether ``signature`` signs this link and ``expires_text`` (epoch seconds) is still ahead."""
    if not secret or not expires_text or not signature or not expires_text.isdigit() or len(expires_text) > 12:
        return False
    # "¹".isdigit() holds but int() refuses it; compare_digest raises on non-ASCII text.
    if not (expires_text.isascii() and signature.isascii()):
        return False
    expires = int(expires_text)
    if expires <= now_epoch:
        return False
    return hmac.compare_digest(link_signature(secret, purpose, subject, expires), signature)
