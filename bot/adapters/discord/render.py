"""Replies as Discord embeds: the only place that knows Discord's size limits.

Every string is cut to its limit at a word boundary with an ellipsis; a cut
item points at `/news article <id>`, where the whole text can be read. The
6,000-character budget shared by all embeds of a message is spent in reading
order (title, footer, text, then items); items that no longer fit are counted
in the footer instead of being dropped silently.

Text is escaped before it is cut (`escape`): article text is shown as written, so a
title with `[click](https://evil.example)`, `||spoiler||`, backticks or `@everyone`
is neither a link, hidden, code nor a ping. Only the bold marks of matched words
are added after escaping. Footers are not escaped: Discord shows them as plain text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace

import discord

from bot.adapters.clip import MARK, clip
from bot.models import Reply, ReplyItem

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_URL_LIMIT = 2048  # longer links are left off rather than have Discord refuse the embed
MESSAGE_EMBED_TOTAL = 6000
CHOICES_LIMIT = 25
CHOICE_NAME_LIMIT = 100
DESCRIPTION_LIMIT = 100  # command and option descriptions
NONCE_LIMIT = 25

# An item needs at least this much room (name + a little text) to be worth showing.
MIN_ITEM_ROOM = 120
EMPTY_FIELD = "\u200b"  # Discord rejects an empty field value.

COLOUR = discord.Colour.blurple()
ERROR_COLOUR = discord.Colour.red()


def escape(text: str) -> str:
    """Text shown literally in Discord markdown: no links, spoilers, code, headings, bold
    or mentions made by the text itself."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def article_pointer(article_id: int) -> str:
    return f" (read more: /news article {article_id})"


def _item_name(item: ReplyItem, limit: int) -> str:
    return clip(replace(item, title=escape(item.title)).heading(), limit) or EMPTY_FIELD


def _item_value(item: ReplyItem, limit: int) -> str:
    pointer = article_pointer(item.article_id) if item.article_id is not None else ""
    # Discord links a bare address in a field; it goes first so a cut text never loses it.
    link = f"{item.url}\n" if item.url and len(item.url) < limit // 2 else ""
    text = item.marked(lambda word: f"{MARK}{word}{MARK}", escape)
    return (link + clip(text, limit - len(link), pointer)).strip() or EMPTY_FIELD


def embed_size(embed: discord.Embed) -> int:
    """Characters that count toward the 6,000 limit (what Discord adds up)."""
    size = len(embed.title or "") + len(embed.description or "")
    size += len(embed.footer.text or "") + len(embed.author.name or "")
    for field in embed.fields:
        size += len(field.name or "") + len(field.value or "")
    return size


def render_embeds(reply: Reply, *, our_markdown: bool = False) -> list[discord.Embed]:
    """One reply as up to 10 embeds that Discord accepts in a single message.

    `our_markdown`: the title and text are newsbot's own words, whose markdown (a
    reference in backticks) is meant; never for a reply that carries article text."""
    as_shown: Callable[[str], str] = str if our_markdown else escape
    colour = ERROR_COLOUR if reply.error else COLOUR
    budget = MESSAGE_EMBED_TOTAL
    title = clip(as_shown(reply.title), min(EMBED_TITLE_LIMIT, budget)) or "newsbot"
    budget -= len(title)
    # Reserve room for the footer, plus a note about items that did not fit.
    more_note_room = 40 if reply.items else 0
    footer = clip(reply.footer, min(FOOTER_LIMIT, budget // 4))
    budget -= len(footer) + more_note_room

    # The title links to the article's page when there is one (Discord caps a URL at 2,048).
    url = reply.url if len(reply.url) <= EMBED_URL_LIMIT else ""
    first = discord.Embed(title=title, url=url or None, colour=colour)
    if reply.text:
        reserve = min(len(reply.items), 3) * MIN_ITEM_ROOM
        pointer = ""
        if reply.paging and reply.paging.command == "article":
            pointer = f" (continued: /news article {reply.paging.option('article')})"
        room = min(EMBED_DESCRIPTION_LIMIT, budget - reserve)
        description = clip(as_shown(reply.text), room, pointer)
        first.description = description or None
        budget -= len(description)

    embeds = [first]
    shown = 0
    for index, item in enumerate(reply.items):
        # Share what is left fairly among the items still to come.
        share = max(MIN_ITEM_ROOM, budget // (len(reply.items) - index))
        if budget < MIN_ITEM_ROOM:
            break
        current = embeds[-1]
        if len(current.fields) >= EMBED_FIELDS_LIMIT:
            if len(embeds) >= EMBEDS_PER_MESSAGE:
                break
            current = discord.Embed(colour=colour)
            embeds.append(current)
        name = _item_name(item, min(FIELD_NAME_LIMIT, share // 3))
        value = _item_value(item, min(FIELD_VALUE_LIMIT, share - len(name)))
        budget -= len(name) + len(value)
        current.add_field(name=name, value=value, inline=False)
        shown += 1

    hidden = len(reply.items) - shown
    if hidden:
        footer = f"{footer} · {hidden} more not shown" if footer else f"{hidden} more not shown"
    if footer:
        embeds[-1].set_footer(text=footer)
    return embeds


def render_content(text: str) -> str:
    """Plain message content within Discord's 2,000 characters."""
    return clip(text, CONTENT_LIMIT)


def refusal(title: str, text: str = "") -> list[discord.Embed]:
    """A friendly, ephemeral-style notice (no permission, not your paging buttons...)."""
    return render_embeds(Reply(title=title, text=text, error=True), our_markdown=True)


def choice_name(text: str) -> str:
    """An autocomplete choice label within 100 characters."""
    return clip(" ".join(text.split()), CHOICE_NAME_LIMIT) or "?"


def command_description(text: str) -> str:
    """A command or option description within Discord's 1-100 characters."""
    return clip(" ".join(text.split()), DESCRIPTION_LIMIT) or "-"


def nonce_for(idempotency_key: str) -> str:
    """A Discord nonce (<= 25 chars), the same for every retry of one delivery."""
    if len(idempotency_key) <= NONCE_LIMIT:
        return idempotency_key
    return hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:NONCE_LIMIT]
