"""Feed documents to entries: RSS 0.9x-2.0, RSS 1.0 and Atom with feedparser, and
JSON Feed 1.0/1.1 (which feedparser does not read) to the same entries.

Malformed documents are read as far as they can be (feedparser's loose parser for
XML; the complete items of a truncated JSON Feed), with the problem noted; a
document that is no feed at all raises FeedParseError with the reason.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from bot.feeds.html import inline_text

JSON_FEED_VERSION_PREFIX = "jsonfeed.org/version/1"


class FeedParseError(Exception):
    """The document is not a feed we can read; str() says why."""


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, whatever its format."""

    key: str  # identity across polls: its id, else its link, else title and date
    title: str
    link: str  # absolute
    author: str
    published: dt.datetime | None  # aware
    content: str  # the richest text the feed gives
    content_is_html: bool


@dataclass(frozen=True)
class ParsedFeed:
    entries: tuple[FeedEntry, ...]
    # What was wrong with a document that was still read (malformed XML, truncated JSON).
    problem: str | None = None


@dataclass(frozen=True)
class _Raw:
    """An entry before its key is chosen (which needs the whole document)."""

    id: str
    title: str
    link: str
    author: str
    published: dt.datetime | None
    content: str
    content_is_html: bool


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Entries of the feed document `body`, fetched from `url` (the base for relative
    links). `content_type` is the HTTP header; only its charset is trusted."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"{" or "json" in content_type.casefold():
        raws, problem = _json_feed(body, url)
    else:
        raws, problem = _xml_feed(body, url, content_type)
    return ParsedFeed(_with_keys(raws), problem)


def _with_keys(raws: list[_Raw]) -> tuple[FeedEntry, ...]:
    """Key each entry by its id, else its link, else title and date; an id or link that
    several entries of the document share does not identify any of them."""
    ids = Counter(raw.id for raw in raws if raw.id)
    links = Counter(raw.link for raw in raws if raw.link)
    entries = []
    for raw in raws:
        if raw.id and ids[raw.id] == 1:
            key = f"id:{raw.id}"
        elif raw.link and links[raw.link] == 1:
            key = f"link:{raw.link}"
        else:
            when = raw.published.isoformat() if raw.published else ""
            key = f"title:{raw.title}|{when}"
        entries.append(
            FeedEntry(
                key=key,
                title=raw.title,
                link=raw.link,
                author=raw.author,
                published=raw.published,
                content=raw.content,
                content_is_html=raw.content_is_html,
            )
        )
    return tuple(entries)


# -- RSS and Atom -------------------------------------------------------------------------


def _charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().casefold() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _xml_feed(body: bytes, url: str, content_type: str) -> tuple[list[_Raw], str | None]:
    # Servers label feeds text/html, text/plain or text/xml (which would mean ASCII without
    # a charset); only the charset is worth passing on, the document declares the rest.
    charset = _charset(content_type)
    headers = {
        "content-location": url,
        "content-type": f"application/xml; charset={charset}" if charset else "application/xml",
    }
    # Our text comes from the HTML, never its links, so relative URIs in content need no
    # resolving (a third of feedparser's time); entry links are still resolved.
    import feedparser  # here, not at the top: only polling a feed needs it (start-up)

    parsed = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    problem = None
    if parsed.get("bozo") and not _harmless(parsed.get("bozo_exception")):
        problem = f"malformed XML ({parsed.get('bozo_exception')}); read what could be read"
    if not parsed.get("version") and not parsed.entries:
        raise FeedParseError(_not_a_feed(body, problem))
    base = parsed.feed.get("link") or url
    return [_xml_entry(entry, urljoin(url, base)) for entry in parsed.entries], problem


def _harmless(exc: object) -> bool:
    import feedparser

    return isinstance(exc, feedparser.NonXMLContentType | feedparser.CharacterEncodingOverride)


def _not_a_feed(body: bytes, problem: str | None) -> str:
    head = body[:1024].lstrip().lower()
    if not head:
        return "not a feed: the response is empty"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "not a feed: the address serves an HTML page (look for its RSS or Atom link)"
    return f"not a feed: no RSS, Atom or JSON Feed found{f' ({problem})' if problem else ''}"


def _xml_entry(entry: Mapping[str, Any], base: str) -> _Raw:
    link = entry.get("feedburner_origlink") or entry.get("link") or ""
    content, is_html = _richest(entry)
    author = entry.get("author") or ""
    return _Raw(
        id=str(entry.get("id") or "").strip(),
        title=inline_text(entry.get("title") or ""),
        link=urljoin(base, link.strip()) if link else "",
        author=inline_text(author),
        published=_entry_date(entry),
        content=content,
        content_is_html=is_html,
    )


def _richest(entry: Mapping[str, Any]) -> tuple[str, bool]:
    """The longest of content:encoded / Atom content and the summary (content wins ties)."""
    candidates = [
        (item.get("value") or "", item.get("type") or "text/html")
        for item in entry.get("content") or []
    ]
    summary = entry.get("summary_detail") or {}
    candidates.append((entry.get("summary") or "", summary.get("type") or "text/html"))
    value, kind = max(candidates, key=lambda pair: len(pair[0].strip()))
    return value, kind != "text/plain"


def _entry_date(entry: Mapping[str, Any]) -> dt.datetime | None:
    for name in ("published", "updated", "created"):
        raw = entry.get(name) or ""
        if (slashed := _slashed_date(raw)) is not None:
            return slashed
        parsed = entry.get(f"{name}_parsed")
        if parsed:
            try:
                return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC)
            except (OverflowError, ValueError):
                continue
    return None


def _slashed_date(raw: str) -> dt.datetime | None:
    """`2020/1/10 14:33:00` (forum software; no zone, read as UTC), which feedparser misreads."""
    for layout in ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(raw.strip(), layout).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


# -- JSON Feed ------------------------------------------------------------------------------


def _json_feed(body: bytes, url: str) -> tuple[list[_Raw], str | None]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedParseError(f"JSON Feed is not UTF-8 (byte {exc.start})") from None
    problem = None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        document = _salvage_json_feed(text)
        problem = f"malformed JSON at line {exc.lineno} column {exc.colno} ({exc.msg})"
        if not document.get("items"):
            raise FeedParseError(f"not a feed: {problem}") from None
        problem += f"; read the {len(document['items'])} complete items"
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedParseError("not a feed: JSON without an 'items' list")
    version = str(document.get("version") or "")
    if version and JSON_FEED_VERSION_PREFIX not in version:
        raise FeedParseError(f"not a feed: unknown JSON Feed version {version[:80]!r}")
    base = urljoin(url, str(document.get("home_page_url") or url))
    return [_json_entry(item, base) for item in document["items"] if isinstance(item, dict)], (
        problem
    )


def _salvage_json_feed(text: str) -> dict[str, Any]:
    """The top-level keys and complete items before the point where a JSON Feed breaks
    off (a truncated download). The keys can come in any order: `version` is often last."""
    decoder = json.JSONDecoder()
    found: dict[str, Any] = {}
    index = _skip(text, text.find("{") + 1)
    while index < len(text) and text[index] == '"':
        try:
            key, index = decoder.raw_decode(text, index)
            index = _skip(text, _skip(text, index) + 1)  # past the colon
            if key == "items" and text.startswith("[", index):
                found["items"] = list(_complete_items(decoder, text, index + 1))
                break
            found[key], index = decoder.raw_decode(text, index)
        except (json.JSONDecodeError, IndexError):
            break
        index = _skip(text, index)
        if text.startswith(",", index):
            index = _skip(text, index + 1)
    return found


def _complete_items(decoder: json.JSONDecoder, text: str, index: int) -> Iterator[Any]:
    while True:
        index = _skip(text, index)
        try:
            item, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            return
        yield item
        index = _skip(text, index)
        if not text.startswith(",", index):
            return
        index += 1


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _json_entry(item: Mapping[str, Any], base: str) -> _Raw:
    html = str(item.get("content_html") or "")
    plain = str(item.get("content_text") or "")
    summary = str(item.get("summary") or "")
    content, is_html = max(
        [(html, True), (plain, False), (summary, False)], key=lambda pair: len(pair[0].strip())
    )
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    names = [str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")]
    link = str(item.get("url") or item.get("external_url") or "")
    return _Raw(
        id=str(item.get("id") or "").strip(),
        title=inline_text(str(item.get("title") or "")),
        link=urljoin(base, link) if link else "",
        author=", ".join(names),
        published=_iso_date(item.get("date_published") or item.get("date_modified")),
        content=content,
        content_is_html=is_html,
    )


def _iso_date(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        import feedparser

        parsed = feedparser.datetimes._parse_date(value)  # the same fallbacks as for XML
        return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC) if parsed else None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
