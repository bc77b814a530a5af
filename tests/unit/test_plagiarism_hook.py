"""The plagiarism hook: near copies of another account's post are caught, distinct posts pass.

The labelled set (tests/unit/plagiarism_corpus.py) is run through the real hook with
its shipped settings and an in-memory index; precision and recall are printed
(``pytest -s``) and must both be at least 0.95.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.moderation.chain import APPROVE, REJECT, REVIEW
from tests.unit.conftest import MODERATION_NOW
from tests.unit.moderation_fakes import FakeFingerprintIndex, shipped_hook, shipped_scheme, text_post
from tests.unit.plagiarism_corpus import TOPICS, labelled_pairs

NOW = MODERATION_NOW
pytestmark = pytest.mark.usefixtures("pinned_clock")
ORIGINAL = TOPICS["羽绒服"][0]


def test_the_labelled_set_is_caught_with_precision_and_recall_of_at_least_95_percent(index) -> None:
    # Given at least 100 labelled pairs: edited copies and distinct posts on the same topic
    pairs = labelled_pairs()
    assert len(pairs) >= 100 and sum(p.is_copy for p in pairs) >= 50 and sum(not p.is_copy for p in pairs) >= 50
    scheme = shipped_scheme()
    true_pos = false_pos = false_neg = true_neg = 0
    missed, wrongly_flagged = [], []

    for n, pair in enumerate(pairs):
        # When the original is published by one account and the candidate comes from another
        fresh = FakeFingerprintIndex(scheme)
        fresh.publish(text_post(f"orig-{n}", "shop-a", pair.original), NOW - timedelta(days=2))
        verdict = shipped_hook("plagiarism", fresh)(text_post(f"cand-{n}", "shop-b", pair.candidate))
        flagged = verdict.outcome != APPROVE
        if flagged:
            assert verdict.reason == "plagiarism" and f"orig-{n}" in (verdict.message or "")
        true_pos += flagged and pair.is_copy
        false_pos += flagged and not pair.is_copy
        false_neg += (not flagged) and pair.is_copy
        true_neg += (not flagged) and not pair.is_copy
        if pair.is_copy and not flagged:
            missed.append((pair.how, round(scheme.similarity(pair.original, pair.candidate), 2)))
        if flagged and not pair.is_copy:
            wrongly_flagged.append((pair.how, round(scheme.similarity(pair.original, pair.candidate), 2)))

    # Then precision and recall are both at least 0.95
    precision = true_pos / max(1, true_pos + false_pos)
    recall = true_pos / max(1, true_pos + false_neg)
    similarities = [(p.is_copy, scheme.similarity(p.original, p.candidate)) for p in pairs]
    lowest_copy = min(s for copy, s in similarities if copy)
    highest_distinct = max(s for copy, s in similarities if not copy)
    print(f"\nplagiarism labelled set: {len(pairs)} pairs ({true_pos + false_neg} copies, "
          f"{true_neg + false_pos} distinct); TP={true_pos} FP={false_pos} FN={false_neg} TN={true_neg}; "
          f"precision={precision:.3f} recall={recall:.3f}; lowest copy similarity {lowest_copy:.2f}, "
          f"highest distinct {highest_distinct:.2f}")
    assert precision >= 0.95 and recall >= 0.95, (missed, wrongly_flagged)


def test_a_verbatim_copy_is_rejected_and_a_looser_one_is_held_both_naming_the_original(index) -> None:
    # Given another account's post from yesterday
    index.publish(text_post("orig-1", "shop-a", ORIGINAL), NOW - timedelta(days=1))
    hook = shipped_hook("plagiarism", index)

    # When a second account posts it with new punctuation, and a third rewrites a good part of it
    verbatim = hook(text_post("copy-1", "shop-b", ORIGINAL.replace("，", " ").replace("。", "！")))
    rewritten = ORIGINAL[:70] + "版型宽松，内搭毛衣也不会显得臃肿，颜色有黑白灰三种可选。"
    loose = hook(text_post("copy-2", "shop-c", rewritten))

    # Then the verbatim copy is rejected and the loose one held, both naming the original post
    assert (verbatim.outcome, verbatim.reason) == (REJECT, "plagiarism") and "orig-1" in verbatim.message
    assert (loose.outcome, loose.reason) == (REVIEW, "plagiarism") and "orig-1" in loose.message


def test_the_same_account_reposting_its_own_text_is_not_plagiarism(index) -> None:
    # Given a shop's own post from last week
    index.publish(text_post("orig-1", "shop-a", ORIGINAL), NOW - timedelta(days=7))

    # When the same shop posts the text again
    verdict = shipped_hook("plagiarism", index)(text_post("again-1", "shop-a", ORIGINAL))

    # Then the plagiarism hook approves it
    assert verdict.outcome == APPROVE


def test_a_copy_of_a_post_older_than_the_window_passes(index) -> None:
    # Given a post published 31 days ago
    index.publish(text_post("orig-1", "shop-a", ORIGINAL), NOW - timedelta(days=31))

    # When another account posts the same text
    verdict = shipped_hook("plagiarism", index)(text_post("copy-1", "shop-b", ORIGINAL))

    # Then it is not compared with the expired post
    assert verdict.outcome == APPROVE


def test_the_original_is_the_earliest_of_several_copies(index) -> None:
    # Given an original and an earlier copy of it by a second account
    index.publish(text_post("orig-1", "shop-a", ORIGINAL), NOW - timedelta(days=5))
    index.publish(text_post("copy-1", "shop-b", ORIGINAL + "亲测好用"), NOW - timedelta(days=2))

    # When a third account copies it too
    verdict = shipped_hook("plagiarism", index)(text_post("copy-2", "shop-c", ORIGINAL))

    # Then the reason names the first post, not the intermediate copy
    assert verdict.outcome == REJECT and "orig-1" in verdict.message and "copy-1" not in verdict.message


def test_short_texts_are_not_compared(index) -> None:
    # Given two shops posting the same common caption
    index.publish(text_post("orig-1", "shop-a", "新品上市，欢迎选购"), NOW - timedelta(hours=1))

    # When the second posts it
    verdict = shipped_hook("plagiarism", index)(text_post("p2", "shop-b", "新品上市，欢迎选购"))

    # Then it is not plagiarism, and no read was spent on it
    assert verdict.outcome == APPROVE and index.key_reads == 0


def test_the_lookup_cost_is_bounded_by_the_bands_not_the_posts(index) -> None:
    # Given 300 published posts of other accounts on the same few topics
    texts = [t for posts in TOPICS.values() for t in posts]
    for n in range(300):
        index.publish(text_post(f"p{n}", f"shop-{n % 40}", f"{texts[n % len(texts)]}第{n}期"),
                      NOW - timedelta(hours=n % 200))
    scheme = shipped_scheme()

    # When a new post is checked
    shipped_hook("plagiarism", index)(text_post("new-1", "shop-new", ORIGINAL + "限时特价"))

    # Then it cost one key read per band and one batch read of candidate texts
    assert index.key_reads == scheme.bands and index.text_reads <= 1


def test_thresholds_out_of_order_are_a_configuration_error(index) -> None:
    # Given plagiarism settings whose review similarity is above the reject similarity
    settings = {"review_similarity": 0.8, "reject_similarity": 0.5}

    # When the hook is built / Then the build fails
    with pytest.raises(ValueError):
        shipped_hook("plagiarism", index, **settings)
