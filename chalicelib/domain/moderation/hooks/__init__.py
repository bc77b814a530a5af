"""The shipped moderation hooks: the one table from a hook's name (in ``data/moderation.json``) to its factory."""

from chalicelib.domain.moderation.chain import HookFactory
from chalicelib.domain.moderation.hooks import account_standing, banned_words, media, plagiarism, spam

SHIPPED_HOOKS: dict[str, HookFactory] = {
    account_standing.NAME: account_standing.account_standing_hook,
    banned_words.NAME: banned_words.banned_words_hook,
    media.NAME: media.media_hook,
    plagiarism.NAME: plagiarism.plagiarism_hook,
    spam.NAME: spam.spam_hook,
}
