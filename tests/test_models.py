"""Typed replies: matched words are spans of an item's text, not markers inside it."""

from __future__ import annotations

import datetime as dt

from bot.adapters.console.render import render
from bot.models import MATCH_END, MATCH_START, Reply, ReplyItem, split_marks


def test_a_snippet_becomes_plain_text_and_the_spans_that_matched() -> None:
    snippet = f"the {MATCH_START}air{MATCH_END} and {MATCH_START}defense{MATCH_END} plan"
    assert split_marks(snippet) == ("the air and defense plan", ((4, 7), (12, 19)))


def test_a_cut_inside_a_match_marks_up_to_the_end() -> None:
    assert split_marks(f"a {MATCH_START}long matc…") == ("a long matc…", ((2, 12),))
    assert split_marks(f"{MATCH_END}x {MATCH_START}{MATCH_END}y") == ("x y", ())


def test_stars_in_an_article_are_text_not_a_match() -> None:
    hit = ReplyItem.matched("T", f"**Update** {MATCH_START}NATO{MATCH_END}", 1, dt.date(2024, 1, 1))
    assert hit.marked(lambda word: f"<b>{word}</b>") == "**Update** <b>NATO</b>"
    shown = render(Reply(title="Search", items=(hit,)))
    assert "**Update** [NATO]" in shown
