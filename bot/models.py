"""Frozen value types shared by the core and the adapters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    """A parsed news article, before or after it is stored.

    `id` is 0 until the store assigns one. `source` names where it came from
    (a file path, or `path:line` for JSON Lines) and is the identity used to
    recognise an edited file as the same article.

    `url` is the article's web page and `author` its byline (feed items have
    them, seed files do not).
    An article with `announce` False is stored as archive: subscriptions do not
    post it as new (a feed's first poll, or items beyond the catch-up cap).
    """

    title: str
    date: dt.date
    body: str
    source: str
    content_hash: str
    id: int = 0
    url: str = ""
    author: str = ""
    announce: bool = True


@dataclass(frozen=True)
class ReplyItem:
    """One entry of a reply: an article hit, a topic, a digest sentence.

    `text` may mark matched words with `**`; renderers translate or strip it.
    """

    title: str
    text: str = ""
    article_id: int | None = None
    date: dt.date | None = None
    url: str = ""


@dataclass(frozen=True)
class Paging:
    """How to fetch another page of a reply: `command` with `options` and `page=n`."""

    command: str
    options: tuple[tuple[str, str | int], ...] = ()

    def page(self, number: int) -> dict[str, str | int]:
        """The options that ask for page `number`."""
        return {**dict(self.options), "page": number}

    def option(self, name: str) -> str | int | None:
        return dict(self.options).get(name)


@dataclass(frozen=True)
class Reply:
    """What a command answers, independent of any platform.

    Adapters render it: the console prints it, Discord turns it into embeds.
    `page`/`pages` describe where a paged reply (an article's text, a long
    result list) stands; `error` replies are shown only to the member who asked.
    """

    title: str
    text: str = ""
    items: tuple[ReplyItem, ...] = ()
    footer: str = ""
    error: bool = False
    page: int = 1
    pages: int = 1
    # How to produce another page of this reply (set when `pages` > 1 may happen).
    paging: Paging | None = None
    # The web page the reply is about (an article's link); renderers show it as a link.
    url: str = ""


@dataclass(frozen=True)
class SubscriptionSpec:
    """What a subscription asks for, the same whether the config or a command made it."""

    channel: str  # "console:news", "discord:<channel id>", "slack:<channel id>"
    mode: str = "instant"  # or "digest"
    schedule: str = ""  # digest only: a cron line in the configured timezone
    topics: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    backfill: int = 0
    on_this_day: bool = False


@dataclass(frozen=True)
class FeedSpec:
    """A feed to follow, the same whether the config or a command declared it."""

    name: str
    url: str
    poll_interval_seconds: int = 900
    topics: tuple[str, ...] = ()  # given to every article of the feed, besides its own
    full_text: bool = False  # fetch each article's page and extract its main text


def bullet_list(lines: Sequence[str]) -> str:
    """Reply text with one bullet per line: summaries and digests look alike everywhere."""
    return "\n".join(f"• {line}" for line in lines)


@dataclass(frozen=True)
class JobState:
    """A background job as admins see it in /news status."""

    id: str
    name: str
    next_run: dt.datetime | None  # None: paused
    last_error: str = ""
    last_error_at: dt.datetime | None = None
