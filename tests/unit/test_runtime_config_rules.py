"""Run-time configuration rules without AWS: defaults, schemas, the checks schemas cannot make, If-Match."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.moderation.chain import REJECT, PostContent, build_chain
from chalicelib.domain.moderation.hooks import SHIPPED_HOOKS
from chalicelib.domain.ranking import hot_list_config
from chalicelib.domain.runtime_config import (
    ROLE_OF,
    default_document,
    document_problems,
    hot_list_config_from,
    parse_if_match,
)
from chalicelib.validation import validate


@pytest.mark.parametrize("name", sorted(ROLE_OF))
def test_each_bundled_default_passes_its_own_schema_and_checks(name: str) -> None:
    # Given the bundled default of a document
    document = default_document(name)

    # When it is validated and checked / Then an editor can send it back unchanged
    assert validate(f"config/{name}", document) == document
    assert document_problems(name, document) == []


def test_the_default_hot_list_document_ranks_as_the_bundled_file_does() -> None:
    # Given the default hot-list document
    document = default_document("hot_list")

    # When it is read as a hot-list configuration
    config = hot_list_config_from(document, hot_list_config().bucket_shards)

    # Then it is the configuration of the bundled file
    assert config == hot_list_config()


@pytest.mark.parametrize(("name", "edit", "pointer"), [
    ("hot_list", lambda d: d["weights"].update(votes=-1), "/weights/votes"),
    ("hot_list", lambda d: d["weights"].pop("reads"), "/weights/reads"),
    ("hot_list", lambda d: d.update(size=101), "/size"),
    ("spam", lambda d: d["outcomes"].update(repeated_text="ban"), "/outcomes/repeated_text"),
    ("spam", lambda d: d["allowed_domains"].append("evil.com\n"), "/allowed_domains/10"),
    ("banned_words", lambda d: d["categories"]["fraud"].pop("message"), "/categories/fraud/message"),
    ("banned_words", lambda d: d.pop("categories"), "/categories"),
])
def test_the_schema_refuses_a_bad_field_by_its_pointer(name, edit, pointer) -> None:
    # Given a default document with one field broken or taken out
    document = default_document(name)
    edit(document)

    # When it is validated against its schema
    with pytest.raises(InvalidInput) as refused:
        validate(f"config/{name}", document)

    # Then the refusal names that field's pointer
    assert pointer in [d["pointer"] for d in refused.value.details]


def test_banned_word_problems_name_the_category_word_and_pattern() -> None:
    # Given lists with a bad category name, a word naming an unknown variant group and a broken pattern
    document = {"variants": {"wechat": ["微信"]}, "categories": {
        "Bad Name": {"message": "m", "words": ["x"]},
        "fraud": {"message": "m", "words": ["加{wechat}", "加{line}"], "patterns": [{"name": "p", "regex": "[0-9"}]}}}
    # When checked / Then each is named by its pointer
    assert [p["pointer"] for p in document_problems("banned_words", document)] == [
        "/categories/Bad Name", "/categories/fraud/words/1", "/categories/fraud/patterns/0/regex"]
    assert document_problems("spam", {"anything": 1}) == []


def test_a_word_standing_for_too_many_spellings_is_refused_before_anything_compiles_it() -> None:
    # Given three variant groups of 11 spellings each in one word (1,331 spellings)
    groups = {name: [f"{name}{i}" for i in range(11)] for name in ("a", "b", "c")}
    document = {"variants": groups, "categories": {"fraud": {"message": "m", "words": ["{a}{b}", "{a}{b}{c}"]}}}

    # When the document is checked
    problems = document_problems("banned_words", document)

    # Then only the second word is named
    assert [(p["pointer"], p["message"]) for p in problems] == [
        ("/categories/fraud/words/1", "stands for 1331 spellings; at most 1000")]


@pytest.mark.parametrize(("header", "version"), [("3", 3), ('"3"', 3), ('W/"12"', 12), (" 0 ", 0), (None, None)])
def test_if_match_names_a_version(header, version) -> None:
    # Given an If-Match header with a version number, quoted, weak, padded, or no header at all
    # When it is parsed
    parsed = parse_if_match(header)

    # Then it names that version (or none)
    assert parsed == version


@pytest.mark.parametrize("header", ["", "*", "v3", "-1", "1.5", "3, 4", "1" * 13])
def test_if_match_without_a_version_is_refused(header) -> None:
    # Given an If-Match header that is empty, a wildcard, not a whole number, a list or too long
    # When it is parsed / Then it is refused
    with pytest.raises(ValueError):
        parse_if_match(header)


def test_the_banned_words_hook_uses_the_lists_it_is_given() -> None:
    # Given the hook built with a live document that adds a category and drops the bundled fraud words
    document = default_document("banned_words")
    document["categories"]["group_buy_scam"] = {"message": "拼团诈骗", "words": ["拼团暗号"]}
    del document["categories"]["fraud"]
    hook = build_chain({"chain": [{"hook": "banned_words", "settings": {"words": document}}]}, hooks=SHIPPED_HOOKS)[0]

    def verdict(text: str):
        return hook(PostContent(post_id="p", account_id="a", type="article", format="long_article", text=text))

    # When posts with the new word and with a word only the bundled file lists are checked
    new_word, bundled_word = verdict("今晚 拼团暗号"), verdict("专业刷单")

    # Then the new word is rejected under its category, and a word only the bundled file lists is not
    assert (new_word.outcome, new_word.reason) == (REJECT, "group_buy_scam")
    assert bundled_word.outcome != REJECT
