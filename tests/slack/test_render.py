"""Block Kit rendering stays within Slack's limits and never mentions anyone,
whatever the article text (hypothesis over long and hostile text)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.slack import render
from bot.models import MATCH_END, MATCH_START, Paging, Reply, ReplyItem
from tests.support.fake_slack import block_kit_problems, mentions

HOSTILE = ["<!channel>", "<!here>", "<@U0123ABC>", "<!subteam^S0123>", "&", "<", ">", "**", "*"]
HOSTILE += [MATCH_START, MATCH_END]  # search snippets: matched words, and cuts inside them
text = st.lists(
    st.sampled_from(HOSTILE) | st.text(st.characters(blacklist_categories=["Cs"]), max_size=300),
    max_size=40,
).map("".join) | st.text(max_size=9000)


URLS = ["", "https://example.com/a?b=1&c=<2>|x", "javascript:alert(1)", "https://" + "x" * 5000]


def check(reply: Reply, owner: str = "UBOB00001") -> None:
    message = render.render_message(reply, render.paging_actions(reply, owner))
    payload = message.as_kwargs()
    assert block_kit_problems(payload) == []
    assert mentions(payload) == []


@settings(max_examples=80, deadline=None)
@given(
    title=text,
    body=text,
    footer=text,
    items=st.lists(
        st.tuples(text, text, st.none() | st.integers(1, 10**9), st.booleans()), max_size=80
    ),
    error=st.booleans(),
    pages=st.integers(1, 40),
    url=st.sampled_from(URLS),
)
def test_any_reply_renders_within_every_block_kit_limit(
    title: str,
    body: str,
    footer: str,
    items: list[tuple[str, str, int | None, bool]],
    error: bool,
    pages: int,
    url: str,
) -> None:
    reply = Reply(
        title=title,
        text=body,
        footer=footer,
        error=error,
        items=tuple(
            ReplyItem.matched(t, x, a, dt.date(2024, 12, 4))
            if a and dated
            else ReplyItem(t, x, a, url=url)
            for t, x, a, dated in items
        ),
        page=min(2, pages),
        pages=pages,
        paging=Paging("search", (("query", body[:3000]),)),
        url=url,
    )
    check(reply)


def test_escaping_leaves_no_mention_and_bolds_only_matched_words() -> None:
    marked = f"<!channel> & <@U1> **x** {MATCH_START}NATO{MATCH_END} {MATCH_START}cut"
    assert render.mrkdwn(marked) == "&lt;!channel&gt; &amp; &lt;@U1&gt; **x** *NATO* cut"


def test_text_of_ampersands_is_cut_so_that_escaped_it_still_fits() -> None:
    fitted = render.fit("& " * 5000, render.SECTION_TEXT_LIMIT)
    assert len(fitted) <= render.SECTION_TEXT_LIMIT and fitted.endswith("…")


def test_items_beyond_fifty_blocks_are_counted_in_the_footer() -> None:
    items = tuple(ReplyItem(f"Story {n}", "text", article_id=n) for n in range(1, 101))
    long_footer = "Found 100 " + "and more words " * 40
    message = render.render_message(Reply(title="Many", items=items, footer=long_footer))
    assert len(message.blocks) == render.BLOCKS_PER_MESSAGE
    footer = message.blocks[-1]["elements"][0]["text"]
    assert footer.startswith("Found 100 and more words")
    assert footer.endswith(f"… · {100 - (render.BLOCKS_PER_MESSAGE - 3)} more not shown")


def test_buttons_are_left_out_when_a_query_is_too_long_for_their_value() -> None:
    reply = Reply(title="x", pages=3, paging=Paging("search", (("query", "q" * 3000),)))
    assert render.paging_actions(reply, "UBOB00001") == []
    short = Reply(title="x", pages=3, paging=Paging("search", (("query", "nato"),)))
    [actions] = render.paging_actions(short, "UBOB00001")
    assert [b["text"]["text"] for b in actions["elements"]] == ["Next ▶"]
    assert render.decode_page(actions["elements"][0]["value"]) == (
        "search",
        {"query": "nato", "page": 2},
        "UBOB00001",
    )


def test_links_to_the_original_are_escaped_and_only_for_web_addresses() -> None:
    url = "https://example.com/a?b=1&c=<2>|x"
    assert render.link(url, "Title") == "<https://example.com/a?b=1&amp;c=&lt;2&gt;%7Cx|Title>"
    assert render.link("javascript:alert(1)", "Title") == "Title"
    item = ReplyItem("Rutte", "NATO", article_id=1, url="https://example.com/rutte")
    message = render.render_message(Reply(title="x", items=(item,), url="https://example.com/r"))
    assert message.blocks[2]["text"]["text"].startswith("*<https://example.com/rutte|#1 · Rutte>*")
    assert message.blocks[-1]["elements"][0]["text"].startswith(
        "<https://example.com/r|Original article>"
    )
