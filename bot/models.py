"""Frozen value types shared by the core and the adapters."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar


@dataclass(frozen=True)
class Article:
    """A parsed news article, before or after it is stored.

    `id` is 0 until the store assigns one. `source` names where it came from
    (a file's resolved path, see bot.ingest.seed.source_name; `path#id` or
    `path#line` for JSON Lines) and is the identity used to recognise an edited
    file as the same article.

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


# What the store puts around a matched word in a search snippet. Ingest drops control
# characters from articles, so these can never come from an article's own text.
MATCH_START = "\x02"
MATCH_END = "\x03"


@dataclass(frozen=True)
class ReplyItem:
    """One entry of a reply: an article hit, a topic, a digest sentence.

    `marks` are the [start, end) spans of `text` that matched a search: renderers
    show them in bold (Discord, Slack) or brackets (the console).
    """

    title: str
    text: str = ""
    article_id: int | None = None
    date: dt.date | None = None
    url: str = ""
    marks: tuple[tuple[int, int], ...] = ()

    @classmethod
    def matched(cls, title: str, snippet: str, article_id: int, date: dt.date) -> ReplyItem:
        """A search hit from a snippet whose matches are wrapped in MATCH_START/MATCH_END."""
        text, marks = split_marks(snippet)
        return cls(title, text, article_id, date, marks=marks)

    def heading(self, separator: str = " · ") -> str:
        """`#12 · 2024-12-04 · Title`: how every renderer names an item."""
        parts = [f"#{self.article_id}"] if self.article_id is not None else []
        if self.date is not None:
            parts.append(self.date.isoformat())
        return separator.join([*parts, self.title])

    def marked(self, wrap: Callable[[str], str], escape: Callable[[str], str] = str) -> str:
        """`text` with every part escaped and each matched span wrapped (`**NATO**`)."""
        parts: list[str] = []
        at = 0
        for start, end in self.marks:
            parts.append(escape(self.text[at:start]))
            parts.append(wrap(escape(self.text[start:end])))
            at = end
        parts.append(escape(self.text[at:]))
        return "".join(parts)


def split_marks(snippet: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Plain text and the spans MATCH_START/MATCH_END enclosed; an unclosed one (a cut
    snippet) runs to the end."""
    text: list[str] = []
    marks: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    # Split at the markers, not walked a character at a time: this runs for every hit.
    for position, part in enumerate(_MARKERS.split(snippet)):
        if position % 2 == 0:  # text between markers
            text.append(part)
            length += len(part)
        elif part == MATCH_START:
            start = length if start is None else start
        else:
            if start is not None and start < length:
                marks.append((start, length))
            start = None
    if start is not None and start < length:
        marks.append((start, length))
    return "".join(text), tuple(marks)


_MARKERS = re.compile(f"([{MATCH_START}{MATCH_END}])")


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


class Outcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class TopicLabel:
    key: str
    label: str


@dataclass(frozen=True)
class PreparedArticle:
    """An article with what the text pipeline derived from it, ready to store."""

    article: Article
    summary: tuple[str, ...] = ()
    topics: tuple[TopicLabel, ...] = ()


@dataclass(frozen=True)
class IngestResult:
    source: str
    outcome: Outcome
    article_id: int
    duplicate_of: str = ""


@dataclass(frozen=True)
class StoredArticle:
    id: int
    title: str
    date: dt.date
    body: str
    source: str
    summary: tuple[str, ...]
    ingested_at: dt.datetime
    url: str = ""
    author: str = ""


@dataclass(frozen=True)
class SearchHit:
    id: int
    title: str
    date: dt.date
    snippet: str


TopicId = TypeVar("TopicId")  # how a store names its topics: int or text


@dataclass(frozen=True)
class TrendCounts:
    """A period's topic counts beside the period before it, as trending compares them."""

    # topic key -> articles: the period's topics of at least a minimum count (or, when few
    # are, its most frequent), most frequent first, then the ones articles rank higher
    counts: dict[str, int]
    before: dict[str, int]  # the same topics' articles in the period before (absent: none)
    articles: int
    articles_before: int
    # Every topic's count summed, the ones left out of `counts` included.
    mentions: int
    mentions_before: int

    @classmethod
    def of_periods(
        cls,
        period: tuple[tuple[Sequence[TopicId], Sequence[str], Sequence[int]], int, int],
        before: tuple[Mapping[TopicId, int], int],
    ) -> TrendCounts:
        """From the period's topics as columns (ids, keys, articles) with its article and
        topic-mention totals, and the period before's articles by topic id with its
        article total: what each store reads for the two periods."""
        (ids, keys, counts), articles, mentions = period
        earlier, articles_before = before
        return cls(
            counts=dict(zip(keys, counts, strict=True)),
            before={key: earlier[i] for i, key in zip(ids, keys, strict=True) if i in earlier},
            articles=articles,
            articles_before=articles_before,
            mentions=mentions,
            mentions_before=sum(earlier.values()),
        )


@dataclass(frozen=True)
class StoreStats:
    articles: int
    topics: int
    newest_date: dt.date | None
    last_ingest: dt.datetime | None
    schema_version: int


@dataclass(frozen=True)
class Subscription:
    id: int
    spec: SubscriptionSpec
    origin: str
    config_key: str | None
    after_article_id: int
    scanned_to: int
    created_at: dt.datetime
    last_digest_at: dt.datetime | None
    paused_reason: str | None

    @property
    def channel(self) -> str:
        return self.spec.channel

    @property
    def platform(self) -> str:
        return self.spec.channel.split(":", 1)[0]

    @property
    def channel_id(self) -> str:
        return self.spec.channel.split(":", 1)[1]


@dataclass(frozen=True)
class Candidate:
    """An article not yet in this subscription's ledger, with what its due time needs."""

    id: int
    date: dt.date
    ingested_at: dt.datetime


@dataclass(frozen=True)
class ArticleFacts:
    """What matching and rendering need from an article."""

    article: StoredArticle
    topic_keys: frozenset[str]


@dataclass(frozen=True)
class Claim:
    subscription_id: int
    article_id: int
    post_key: str
    post_kind: str


@dataclass(frozen=True)
class PendingPost:
    """Claimed ledger rows that go out as one platform message."""

    subscription_id: int
    channel: str
    post_key: str
    post_kind: str
    article_ids: tuple[int, ...]
    attempts: int
    first_row: int
    claimed_at: dt.datetime


@dataclass(frozen=True)
class LedgerCounts:
    claimed: int
    due: int
    sent: int
    failed: int


@dataclass(frozen=True)
class Feed:
    """A followed feed, with what the last polls found."""

    id: int
    spec: FeedSpec
    origin: str  # "config" or "command"
    etag: str | None
    last_modified: str | None
    last_fetch_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_status: int | None
    last_items: int | None
    failures: int
    last_error: str | None
    next_poll_at: dt.datetime | None
    disabled_reason: str | None
    body_hash: str | None  # of the last document read

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class PollRecord:
    """What one poll found, to record on its feed."""

    at: dt.datetime
    status: int | None
    next_poll_at: dt.datetime | None = None
    items: int | None = None  # None: unchanged (a 304, or a failure)
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None  # a failure, or what was wrong with a document still read
    body_hash: str | None = None  # of the document read; None keeps the last one
