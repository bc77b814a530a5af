"""The shipped moderation hooks; importing this package registers them."""

from chalicelib.domain.moderation.hooks import (  # noqa: F401
    account_standing,
    banned_words,
    media,
    plagiarism,
    spam,
)
