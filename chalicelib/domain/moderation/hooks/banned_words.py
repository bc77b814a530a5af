"""Banned words: off-platform diversion, fraud, prohibited goods and gambling, from a data file.

Matching survives the usual evasions: full-width letters and digits (ＶＸ), case (Vx),
spaces, punctuation, symbols or emoji between the characters (加 微-信, 加🌹V), symbols
standing for characters (+V), and the spelling variants the data file lists (加薇,
v信, 卫星 for 微信). Innocent phrases (微信支付) are masked first, and a word that
begins or ends with a Latin letter must not run into another Latin word (加v is not in
参加vip活动).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.data_files import data_file
from chalicelib.domain.moderation.chain import REJECT, Hook, PostContent, Verdict
from chalicelib.domain.moderation.text import fold

NAME = "banned_words"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class BannedMatch:
    """A banned word found in a text: its category, the listed form, and how the text wrote it."""

    category: str
    word: str
    written: str
    message: str


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _kept(ch: str) -> bool:
    return unicodedata.category(ch)[0] in ("L", "N")


class BannedWordList:
    """A compiled banned-word file; :meth:`first_match` is the whole check.

    Parameters
    ----------
    data : dict
        The parsed file: ``categories`` (each with ``message``, ``words`` and optional
        ``patterns``, each ``{"name", "regex"}``), ``variants``, ``aliases`` and ``allow``.

    Examples
    --------
    >>> words = BannedWordList({"categories": {"fraud": {"message": "fraud", "words": ["刷单"]}}})
    >>> words.first_match("专业 刷-单，信誉有保障").written
    '刷-单'
    >>> words.first_match("新品上市") is None
    True
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.aliases = {fold(k): v for k, v in data.get("aliases", {}).items()}
        variants = {name: list(spellings) for name, spellings in data.get("variants", {}).items()}
        self.allow = sorted({self._squeeze(p) for p in data.get("allow", [])} - {""}, key=len, reverse=True)
        self.words: list[tuple[str, str, str]] = []
        self.patterns: list[tuple[re.Pattern[str], str, str]] = []
        for category, spec in data["categories"].items():
            for listed in spec.get("words", []):
                for expanded in self._expand(listed, variants):
                    squeezed = self._squeeze(expanded)
                    if squeezed:
                        self.words.append((squeezed, category, expanded))
            self.patterns += [(re.compile(p["regex"]), category, p["name"]) for p in spec.get("patterns", [])]
        self.messages = {category: spec["message"] for category, spec in data["categories"].items()}
        # Longest first: the message then names the most specific word (加微信, not 微信号's shorter kin).
        self.words.sort(key=lambda w: len(w[0]), reverse=True)

    @staticmethod
    def _expand(word: str, variants: dict[str, list[str]]) -> list[str]:
        names = _PLACEHOLDER.findall(word)
        unknown = [n for n in names if n not in variants]
        if unknown:
            raise ValueError(f"banned word {word!r} uses unknown variant group(s) {unknown}")
        if not names:
            return [word]
        template = _PLACEHOLDER.sub("{}", word)
        return [template.format(*combo) for combo in itertools.product(*(variants[n] for n in names))]

    def _folded(self, text: str) -> tuple[str, list[int]]:
        """Folded text (aliases applied) and, per folded character, its index in ``text``."""
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(text):
            for out in fold(ch):
                chars.append(self.aliases.get(out, out))
                origin.append(i)
        return "".join(chars), origin

    def _squeeze(self, text: str) -> str:
        folded, _ = self._folded(text)
        return "".join(ch for ch in folded if _kept(ch))

    def first_match(self, text: str) -> BannedMatch | None:
        """The first banned word or pattern in ``text``, or None."""
        folded, origin = self._folded(text)
        positions = [i for i, ch in enumerate(folded) if _kept(ch)]
        squeezed = "".join(folded[i] for i in positions)
        masked = [False] * len(squeezed)
        for phrase in self.allow:
            for start in _occurrences(squeezed, phrase):
                masked[start:start + len(phrase)] = [True] * len(phrase)
        for word, category, listed in self.words:
            for start in _occurrences(squeezed, word):
                end = start + len(word) - 1
                if any(masked[start:end + 1]):
                    continue
                first, last = positions[start], positions[end]
                if _is_latin(word[0]) and first > 0 and _is_latin(folded[first - 1]):
                    continue
                if _is_latin(word[-1]) and last + 1 < len(folded) and _is_latin(folded[last + 1]):
                    continue
                written = text[origin[first]:origin[last] + 1]
                return BannedMatch(category, listed, written, self.messages[category])
        for pattern, category, name in self.patterns:
            found = pattern.search(folded)
            if found:
                written = text[origin[found.start()]:origin[found.end() - 1] + 1]
                return BannedMatch(category, name, written, self.messages[category])
        return None


def _occurrences(text: str, word: str) -> list[int]:
    found, start = [], text.find(word)
    while start >= 0:
        found.append(start)
        start = text.find(word, start + 1)
    return found


def load_word_list(name: str = "banned_words.json") -> BannedWordList:
    """The banned-word file ``name`` from ``chalicelib/data``, compiled."""
    return BannedWordList(data_file(name))


def banned_words_hook(settings: dict[str, Any]) -> Hook:
    """Reject text containing a listed word, whatever the width, case, separators or variant spelling.

    ``settings["words"]`` is the lists themselves (the live run-time document); without it
    they come from ``settings["words_file"]`` in ``chalicelib/data``.
    """
    words = (BannedWordList(settings["words"]) if "words" in settings
             else load_word_list(settings.get("words_file", "banned_words.json")))

    def check(content: PostContent) -> Verdict:
        match = words.first_match(content.all_text)
        if match is None:
            return Verdict.approve(NAME)
        written = "" if match.written == match.word else f" (written '{match.written}')"
        return Verdict(NAME, REJECT, match.category, f"{match.message}: '{match.word}'{written}")

    return check
