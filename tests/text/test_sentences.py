"""Sentence splitting on text from real sources: spaced punctuation, bylines, page debris."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import split_sentences, summarize
from bot.text.sentences import (
    _AMBIGUOUS_ABBREVIATIONS,
    _NEVER_LAST,
    _TITLE_ABBREVIATIONS,
    is_caption,
)

CNNDM = Path(__file__).resolve().parents[3] / "shared" / "data" / "cnndm-train-sample.jsonl"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "He scored on Sunday . 'Just been told the news,' the team 's coach said . It ended .",
            [
                "He scored on Sunday .",
                "'Just been told the news,' the team 's coach said .",
                "It ended .",
            ],
            id="spaced punctuation",
        ),
        pytest.param(
            "By . Associated Press . PUBLISHED: . 14:11 EST, 25 October 2013 . | . UPDATED: ."
            " 15:36 EST, 25 October 2013 . The bishop of the Fargo Catholic Diocese has exposed"
            " hundreds to hepatitis A. The state issued an advisory.",
            [
                "The bishop of the Fargo Catholic Diocese has exposed hundreds to hepatitis A.",
                "The state issued an advisory.",
            ],
            id="byline and timestamps glued to the lede",
        ),
        pytest.param(
            "By . Daily Mail Reporter . Last updated at 1:25 AM on 3rd August 2011 . Dragons' Den"
            " star Duncan Bannatyne offered a reward.",
            ["Dragons' Den star Duncan Bannatyne offered a reward."],
            id="last updated",
        ),
        pytest.param(
            "By John Smith\nThe council voted on Tuesday.",
            ["The council voted on Tuesday."],
            id="byline line",
        ),
        pytest.param(
            "By Friday the fighting had stopped. Published in 1990, the book sold well."
            " Advertisement revenue fell.",
            [
                "By Friday the fighting had stopped.",
                "Published in 1990, the book sold well.",
                "Advertisement revenue fell.",
            ],
            id="sentences that start like debris are kept",
        ),
        pytest.param(
            "The train pulled in. Scroll down for video . The remark was greeted by cheers.",
            ["The train pulled in.", "The remark was greeted by cheers."],
            id="scroll down for video",
        ),
        pytest.param(
            "Fans cheered. Share this article\nWatch how officials worry about an attack » ."
            " The talks went on.",
            ["Fans cheered.", "The talks went on."],
            id="share and watch teasers",
        ),
        pytest.param(
            "Beirut (CNN) -- Syria carried out an airstrike on Saturday. Nine died.",
            ["Syria carried out an airstrike on Saturday.", "Nine died."],
            id="dateline",
        ),
        pytest.param(
            "Two lawyers representing a woman who . claims to have been a victim, Cassell and ."
            " Edwards said, filed a lawsuit.",
            [
                "Two lawyers representing a woman who claims to have been a victim, Cassell and"
                " Edwards said, filed a lawsuit."
            ],
            id="line-wrap stops",
        ),
        pytest.param(
            "Key points:\n\u2022 Taxes rise in April\n\u2022 Pensions are frozen",
            ["Key points:", "Taxes rise in April", "Pensions are frozen"],
            id="bullet list",
        ),
        pytest.param(
            "Key points: \u2022 Taxes rise in April \u2022 Pensions are frozen",
            ["Key points:", "Taxes rise in April", "Pensions are frozen"],
            id="inline bullets",
        ),
        pytest.param(
            "1. Preheat the oven\n2) Mix the flour",
            ["Preheat the oven", "Mix the flour"],
            id="numbered list",
        ),
        pytest.param(
            "CNN's Hamdi Alkhshali contributed to this report. The strike was the first.",
            ["The strike was the first."],
            id="contributor line",
        ),
    ],
)
def test_real_text_splits_into_sentences_without_debris(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("sentence", "caption"),
    [
        ("Retread: David Cameron with Samantha yesterday.", True),
        ("Bishop John Folda (pictured) of the Fargo Catholic Diocese is ill.", True),
        ("Craig Eccleston-Todd, 27 (left) was using his mobile phone.", True),
        ("She died later from her injuries .", True),
        ("She died later from her injuries.", False),
        ("He said: 'We will win.'", False),
        ("The minister, pictured as a reformer by allies, resigned.", False),
    ],
)
def test_captions_are_told_from_story_sentences(sentence: str, caption: bool) -> None:
    assert is_caption(sentence) is caption


def test_a_spaced_stop_is_no_caption_cue_in_tokenised_text() -> None:
    assert not is_caption("She died later from her injuries .", spaced_text=True)


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12).filter(
    # Abbreviations may not end a sentence; nor may "and", "the" (a spaced stop after them
    # is a line-wrap artefact).
    lambda w: w not in _TITLE_ABBREVIATIONS | _AMBIGUOUS_ABBREVIATIONS | _NEVER_LAST
)
_SENTENCE = st.lists(_WORD, min_size=3, max_size=30).map(
    lambda words: " ".join([words[0].capitalize(), *words[1:]])
)


@settings(max_examples=100, deadline=None)
@given(
    sentences=st.lists(_SENTENCE, min_size=1, max_size=20),
    stop=st.sampled_from([".", " .", "!", "?", '."', " ?"]),
    gap=st.sampled_from([" ", "  ", "\n", " \n "]),
)
def test_no_sentence_of_ordinary_prose_runs_on(sentences: list[str], stop: str, gap: str) -> None:
    # Sentences of at most 30 words of 12 letters: about 400 characters at most.
    parts = split_sentences(gap.join(s + stop for s in sentences))
    assert len(parts) == len(sentences)
    assert all(len(p) <= 400 for p in parts)


_DEBRIS = ("PUBLISHED:", "UPDATED:", "Scroll down", "Share this", "(CNN)", "Last updated", "By .")


def _cnndm() -> list[dict[str, str]]:
    with CNNDM.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.mark.skipif(not CNNDM.exists(), reason="../shared/data/cnndm-train-sample.jsonl absent")
def test_real_news_summaries_carry_no_debris_and_no_captions() -> None:
    for row in _cnndm():
        summary = summarize(row["body"], 3)
        text = " ".join(summary)
        assert not any(d in text for d in _DEBRIS), (row["id"], summary)
        assert not any(is_caption(s) for s in summary), (row["id"], summary)
        assert all(s in " ".join(row["body"].split()) or " . " in row["body"] for s in summary)


def test_summary_of_a_mail_page_leaves_out_byline_caption_and_video_teaser() -> None:
    body = (
        "By . Daily Mail Reporter . PUBLISHED: . 01:15 EST, 30 November 2013 . | . UPDATED: ."
        " 01:23 EST, 30 November 2013 . More than two decades after Magic Johnson announced that"
        " he had HIV, the basketball player says he is still surprised at the impact. Scroll down"
        " for video . Campaign: Magic Johnson has dedicated his life to raising awareness about"
        " HIV over the past 22 years . He is now campaigning for more people to get tested for"
        " HIV, especially in black and Hispanic communities. Johnson said the drugs he takes for"
        " HIV have kept him healthy for more than two decades."
    )
    summary = summarize(body, 3)
    assert summary[0].startswith("More than two decades after Magic Johnson")
    assert not any("Campaign:" in s or "Scroll" in s or "EST" in s for s in summary)
