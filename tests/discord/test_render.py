"""Rendering replies as embeds: every Discord limit holds, whatever the reply."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.discord import render
from bot.models import Paging, Reply, ReplyItem
from tests.support.fake_discord import validate_message


def assert_within_limits(embeds: list[object]) -> None:
    """Discord's own checks (as the fake implements them) accept the message."""
    payload = {"embeds": [e.to_dict() for e in embeds]}  # type: ignore[attr-defined]
    validate_message(payload, creating=True)
    assert len(embeds) <= render.EMBEDS_PER_MESSAGE
    assert sum(render.embed_size(e) for e in embeds) <= render.MESSAGE_EMBED_TOTAL  # type: ignore[arg-type]


def test_clip_cuts_at_a_word_boundary_with_an_ellipsis() -> None:
    text = "NATO allies agreed to send more air defense systems to Ukraine this winter"
    cut = render.clip(text, 30)
    assert len(cut) <= 30
    assert cut.endswith("…")
    assert text.startswith(cut[:-1])
    assert cut[:-1] == cut[:-1].rstrip() and text[len(cut) - 1] == " "


def test_clip_leaves_short_text_alone_and_adds_the_pointer_only_when_cut() -> None:
    assert render.clip("short", 100, " (more)") == "short"
    cut = render.clip("word " * 100, 100, " (read more: /news article 7)")
    assert len(cut) <= 100 and cut.endswith("… (read more: /news article 7)")


def test_clip_does_not_leave_an_unclosed_bold_marker() -> None:
    text = "before **air defense** and then **a very long bolded phrase that gets cut here**"
    cut = render.clip(text, 50)
    assert cut.count("**") % 2 == 0


def test_clip_hard_cuts_a_single_giant_word() -> None:
    cut = render.clip("x" * 5000, 256)
    assert len(cut) == 256 and cut.endswith("…")


def test_a_50000_character_text_is_cut_with_a_pointer_to_the_article() -> None:
    body = ("The alliance met in Brussels. " * 2000)[:50_000]
    reply = Reply(title="Long", text=body, paging=Paging("article", (("article", 42),)), pages=30)
    [embed] = render.render_embeds(reply)
    assert embed.description is not None
    assert len(embed.description) <= render.EMBED_DESCRIPTION_LIMIT
    assert embed.description.endswith("… (continued: /news article 42)")
    assert_within_limits([embed])


def test_huge_titles_and_snippets_fit_and_point_at_the_article() -> None:
    items = tuple(
        ReplyItem("Title " * 1000, "snippet " * 1000, article_id=n, date=dt.date(2024, 12, 4))
        for n in range(1, 6)
    )
    embeds = render.render_embeds(Reply(title="T" * 9000, items=items, footer="F" * 9000))
    assert_within_limits(embeds)
    fields = [f for e in embeds for f in e.fields]
    assert len(fields) == 5
    assert all(
        f.name and f.name.startswith(f"#{n} · 2024-12-04 · ") for n, f in enumerate(fields, 1)
    )
    assert all(
        f.value and f.value.endswith(f"… (read more: /news article {n})")
        for n, f in enumerate(fields, 1)
    )


def test_many_items_spill_into_more_embeds_and_the_rest_is_counted() -> None:
    items = tuple(ReplyItem(f"Item {n}", "x" * 30, article_id=n) for n in range(300))
    embeds = render.render_embeds(Reply(title="Many", items=items, footer="page 1"))
    assert_within_limits(embeds)
    shown = sum(len(e.fields) for e in embeds)
    assert 25 < shown < 300
    assert embeds[-1].footer.text == f"page 1 · {300 - shown} more not shown"


def test_error_replies_are_red() -> None:
    [embed] = render.render_embeds(Reply(title="No article #9", error=True))
    assert embed.colour == render.ERROR_COLOUR


def test_nonce_is_short_and_stable() -> None:
    assert render.nonce_for("delivery-12") == "delivery-12"
    long_key = "subscription-4-article-123456-2024-12-04"
    assert render.nonce_for(long_key) == render.nonce_for(long_key)
    assert len(render.nonce_for(long_key)) == render.NONCE_LIMIT


text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=7000)


@settings(max_examples=60, deadline=None)
@given(
    title=text,
    body=text,
    footer=text,
    items=st.lists(st.tuples(text, text, st.none() | st.integers(1, 10**9)), max_size=40),
    error=st.booleans(),
)
def test_any_reply_renders_within_every_limit(
    title: str,
    body: str,
    footer: str,
    items: list[tuple[str, str, int | None]],
    error: bool,
) -> None:
    reply = Reply(
        title=title,
        text=body,
        footer=footer,
        error=error,
        items=tuple(ReplyItem(t, x, article_id=a) for t, x, a in items),
    )
    assert_within_limits(render.render_embeds(reply))
