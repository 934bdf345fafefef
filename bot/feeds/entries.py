"""A feed entry becomes an Article: clean text, absolute link, a date in the local zone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

from bot.feeds.html import html_paragraphs, text_paragraphs
from bot.feeds.parse import FeedEntry
from bot.ingest.clean import one_line
from bot.ingest.seed import IngestError, make_article
from bot.models import Article
from bot.store.feeds import feed_source_prefix

TITLE_FROM_TEXT_CHARS = 100  # an untitled entry (a micro-post) is named by its first words


def feed_source(feed_id: int, entry_key: str) -> str:
    """An entry's identity in the store: its feed and its key within the feed."""
    return feed_source_prefix(feed_id) + entry_key


def feed_content_hash(title: str, body: str) -> str:
    """Feed articles are known by their text alone: a feed that changes an entry's id or
    date without changing its words must not make it news again."""
    return hashlib.sha256(f"feed\n{title}\n{body}".encode()).hexdigest()


def entry_paragraphs(entry: FeedEntry) -> list[str]:
    if entry.content_is_html:
        return html_paragraphs(entry.content)
    return text_paragraphs(entry.content)


def _title_from(paragraphs: list[str]) -> str:
    first = paragraphs[0] if paragraphs else ""
    if len(first) <= TITLE_FROM_TEXT_CHARS:
        return first
    return first[:TITLE_FROM_TEXT_CHARS].rsplit(" ", 1)[0] + "…"


def entry_article(
    feed_id: int,
    entry: FeedEntry,
    fetched_at: dt.datetime,
    tz: dt.tzinfo,
    paragraphs: list[str] | None = None,
) -> Article | IngestError:
    """The article for `entry` (`paragraphs`: its text when it came from elsewhere, such
    as the full page). Undated entries are dated when they were fetched; the date is the
    local day in `tz`, so one from tomorrow is held until then, like a seed."""
    source = feed_source(feed_id, entry.key)
    if paragraphs is None:
        paragraphs = entry_paragraphs(entry)
    title = entry.title or _title_from(paragraphs)
    if not title:
        return IngestError(source, "the entry has neither a title nor any text")
    # A headline-only entry (a link feed) is still news: its title is its text.
    body = "\n".join(paragraphs) or title
    date = (entry.published or fetched_at).astimezone(tz).date()
    try:
        article = make_article(source, title, date, body)  # cleaned and length-checked
    except IngestError as error:
        return error
    return dataclasses.replace(
        article,
        content_hash=feed_content_hash(article.title, article.body),
        url=one_line(entry.link),
        author=one_line(entry.author),
    )
