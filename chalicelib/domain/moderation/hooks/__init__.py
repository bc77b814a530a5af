"""The shipped moderation hooks; importing this package registers them."""

from chalicelib.domain.moderation.hooks import banned_words  # noqa: F401
