"""Every real capture in ../shared/data/feeds reads to its entries (the malformed ones
as far as they can be read, with the problem named), and feed HTML becomes clean text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

import pytest

from bot.feeds.entries import entry_article, entry_paragraphs
from bot.feeds.html import html_paragraphs, inline_text
from bot.feeds.parse import FeedEntry, FeedParseError, parse_feed
from bot.models import Article
from tests.feeds.conftest import capture, capture_names, needs_captures
from tests.support.feed_server import TRUNCATED_XML

BASE = "https://feeds.example.org/news/feed.xml"

# Entries in each capture, counted by hand from the files.
ENTRIES = {
    "atom-blogger-4fsodonline.xml": 25,
    "atom-github-commits-miniflux.xml": 20,
    "atom-intertwingly-xhtml.xml": 20,
    "atom-typepad-xmlbase-xhtml.xml": 10,
    "atom-youtube-pbs-spacetime.xml": 14,
    "jsonfeed1-allthis-truncated.json": 2,
    "jsonfeed1-pxlnv-http-version.json": 20,
    "jsonfeed11-3960-journal.json": 20,
    "rss1-biorxiv-crlf.xml": 30,
    "rss1-slashdot-2024.xml": 15,
    "rss2-bbc-urdu.xml": 26,
    "rss2-ctvnews-bom-enclosures-2017.xml": 10,
    "rss2-golem-iso-8859-1.xml": 40,
    "rss2-hackernews-frontpage-2022.xml": 30,
    "rss2-kc0011-gb2312-odd-pubdate.xml": 20,
    "rss2-medium-emarley.xml": 10,
    "rss2-myanimelist-html-entity.xml": 20,
    "rss2-neverwinter-relative-urls.xml": 2,
    "rss2-nixos-js-date-format.xml": 99,
    "rss2-npr-us-news-2012.xml": 15,
    "rss2-nytimes-homepage-2017.xml": 33,
    "rss2-reuters-worldnews-feedburner-2017.xml": 10,
    "rss2-techcrunch-feedburner-leading-newline.xml": 20,
    "rss2-wordpress-morningpaper.xml": 10,
}
MALFORMED = {
    "jsonfeed1-allthis-truncated.json": "malformed JSON",
    "rss2-myanimelist-html-entity.xml": "undefined entity",
    "rss2-techcrunch-feedburner-leading-newline.xml": "declaration not at start",
}


@needs_captures
def test_the_table_covers_all_24_captures() -> None:
    assert sorted(ENTRIES) == capture_names()


@needs_captures
@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_each_capture_yields_its_entries_as_articles(name: str) -> None:
    parsed = parse_feed(capture(name), BASE)
    assert len(parsed.entries) == ENTRIES[name]
    assert len({entry.key for entry in parsed.entries}) == ENTRIES[name]  # none collapse
    if name in MALFORMED:
        assert parsed.problem is not None and MALFORMED[name] in parsed.problem
    else:
        assert parsed.problem is None
    fetched = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    for entry in parsed.entries:
        article = entry_article(1, entry, fetched, dt.UTC)
        assert isinstance(article, Article), article
        assert article.title.strip() and article.body.strip()
        assert article.url.startswith(("http://", "https://")), article.url
        assert "<" not in article.title and "&amp;" not in article.body
        assert "\ufffd" not in article.title + article.body  # decoded right


@needs_captures
def test_latin1_gb2312_and_bom_feeds_decode_to_the_right_letters() -> None:
    golem = parse_feed(capture("rss2-golem-iso-8859-1.xml"), BASE)
    assert any("ü" in e.title or "ä" in e.title for e in golem.entries)
    kc = parse_feed(capture("rss2-kc0011-gb2312-odd-pubdate.xml"), BASE)
    assert kc.entries[0].title == "建国35周年纪念，华表，和平鸽"
    ctv = parse_feed(capture("rss2-ctvnews-bom-enclosures-2017.xml"), BASE)
    assert ctv.entries[0].title.startswith("Florida shooting suspect")


@needs_captures
def test_odd_dates_are_read_not_guessed() -> None:
    kc = parse_feed(capture("rss2-kc0011-gb2312-odd-pubdate.xml"), BASE)  # 2020/1/10 14:33:00
    assert kc.entries[0].published == dt.datetime(2020, 1, 10, 14, 33, tzinfo=dt.UTC)
    nixos = parse_feed(capture("rss2-nixos-js-date-format.xml"), BASE)  # JS Date.toString()
    assert nixos.entries[0].published == dt.datetime(2018, 10, 6, tzinfo=dt.UTC)
    neverwinter = parse_feed(capture("rss2-neverwinter-relative-urls.xml"), BASE)  # '17
    assert neverwinter.entries[0].published is not None
    assert neverwinter.entries[0].published.year == 2017


@needs_captures
def test_relative_links_resolve_against_the_feed() -> None:
    parsed = parse_feed(capture("rss2-neverwinter-relative-urls.xml"), BASE)
    assert parsed.entries[0].link.startswith("https://feeds.example.org/en/games/neverwinter/")


@needs_captures
def test_feedburner_links_point_at_the_real_article() -> None:
    parsed = parse_feed(capture("rss2-reuters-worldnews-feedburner-2017.xml"), BASE)
    assert parsed.entries[0].link.startswith("http://www.reuters.com/article/")


@needs_captures
def test_entries_sharing_one_link_are_told_apart_by_title_and_date() -> None:
    parsed = parse_feed(capture("rss2-nixos-js-date-format.xml"), BASE)
    assert {e.link for e in parsed.entries} == {"https://nixos.org/news.html"}
    assert all(e.key.startswith("title:") for e in parsed.entries)


@needs_captures
def test_the_truncated_json_feed_keeps_its_complete_items() -> None:
    parsed = parse_feed(capture("jsonfeed1-allthis-truncated.json"), BASE)
    assert parsed.problem is not None and "read the 2 complete items" in parsed.problem
    assert parsed.entries[0].title == "Last thoughts on modifier keys"


@needs_captures
def test_json_feed_11_authors_and_dates() -> None:
    parsed = parse_feed(capture("jsonfeed11-3960-journal.json"), BASE)
    first = parsed.entries[0]
    assert first.author == "Frank Boës"
    assert first.published == dt.datetime(2020, 2, 21, 17, 8, 6, tzinfo=dt.UTC)


@needs_captures
def test_share_links_and_tracking_leave_no_text() -> None:
    npr = parse_feed(capture("rss2-npr-us-news-2012.xml"), BASE)
    text = "\n".join(p for e in npr.entries for p in entry_paragraphs(e))
    assert "E-Mail This" not in text and "Del.icio.us" not in text
    slashdot = parse_feed(capture("rss1-slashdot-2024.xml"), BASE)
    text = "\n".join(p for e in slashdot.entries for p in entry_paragraphs(e))
    assert "Read more of this story" not in text and "at Slashdot." not in text


def test_html_served_as_a_feed_is_refused_with_a_reason() -> None:
    with pytest.raises(FeedParseError, match="serves an HTML page"):
        parse_feed(b"<!DOCTYPE html><html><body><p>Welcome</p></body></html>", BASE)


def test_truncated_xml_keeps_what_arrived() -> None:
    parsed = parse_feed(TRUNCATED_XML, BASE)
    assert parsed.problem is not None
    assert [e.title for e in parsed.entries][:1] == ["Whole item"]


def test_an_empty_answer_is_not_a_feed() -> None:
    with pytest.raises(FeedParseError, match="empty"):
        parse_feed(b"", BASE)


def test_json_without_items_is_not_a_feed() -> None:
    with pytest.raises(FeedParseError, match="'items'"):
        parse_feed(b'{"error": "rate limited"}', BASE)


def test_html_cleaning_drops_scripts_styles_pixels_and_furniture() -> None:
    html = (
        "<style>p{color:red}</style><p>First <b>paragraph</b> of the story.</p>"
        "<script>track()</script><img src='https://pixel.example/1x1.gif' width=1 height=1>"
        "<div>Second paragraph<br>on two lines.</div>"
        "<p><a href='https://example.org/story'>Continue reading →</a></p>"
        "<div class='feedflare'><a href='http://feeds.feedburner.com/~ff/x'>Share</a></div>"
        "<p>A <a href='https://example.org/a'>linked</a> word stays.</p>"
        "<p><a href='https://www.facebook.com/sharer/sharer.php?u=x'>Facebook</a></p>"
    )
    assert html_paragraphs(html) == [
        "First paragraph of the story.",
        "Second paragraph",
        "on two lines.",
        "A linked word stays.",
    ]


def test_titles_lose_markup_but_keep_their_words() -> None:
    assert inline_text("Sentry Calming Collar for <i>dogs</i>") == "Sentry Calming Collar for dogs"
    assert inline_text("  Comments  \n") == "Comments"
    assert inline_text("AT&T & friends") == "AT&T & friends"


def test_feed_text_is_cleaned_like_every_source() -> None:
    hostile = rss_entry(title="Breaking\x1b[2J news\u202e", body="<p>Body\x07 text.</p>")
    article = entry_article(1, hostile, dt.datetime(2026, 12, 1, tzinfo=dt.UTC), dt.UTC)
    assert isinstance(article, Article)
    assert (article.title, article.body) == ("Breaking news", "Body text.")


def test_an_entry_too_long_to_be_one_article_is_rejected_alone() -> None:
    huge = rss_entry(title="Huge", body="<p>" + "word " * 30_000 + "</p>")
    error = entry_article(1, huge, dt.datetime(2026, 12, 1, tzinfo=dt.UTC), dt.UTC)
    assert not isinstance(error, Article) and "over the limit" in str(error)


def rss_entry(title: str, body: str) -> FeedEntry:
    return FeedEntry("id:x", title, "https://example.org/x", "", None, body, True)


def test_rss_091_and_atom_03_are_read_too() -> None:
    rss091 = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title>
<link>https://old.example.org/</link><item><title>Old style item</title>
<link>https://old.example.org/1</link><description>Text of the old item.</description></item>
</channel></rss>"""
    atom03 = b"""<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Early Atom</title>
<link rel="alternate" type="text/html" href="https://atom.example.org/"/>
<entry><title>An Atom 0.3 entry</title><id>tag:atom.example.org,2004:1</id>
<link rel="alternate" type="text/html" href="https://atom.example.org/1"/>
<issued>2004-06-01T10:00:00Z</issued><modified>2004-06-01T10:00:00Z</modified>
<content type="text/html" mode="escaped">&lt;p&gt;Body of the entry.&lt;/p&gt;</content></entry>
</feed>"""
    [old] = parse_feed(rss091, BASE).entries
    assert (old.title, old.link) == ("Old style item", "https://old.example.org/1")
    [early] = parse_feed(atom03, BASE).entries
    assert early.title == "An Atom 0.3 entry" and early.link == "https://atom.example.org/1"
    assert early.published == dt.datetime(2004, 6, 1, 10, tzinfo=dt.UTC)
    assert entry_paragraphs(early) == ["Body of the entry."]


def test_dates_are_local_days_and_undated_entries_take_the_fetch_day() -> None:
    brussels = zoneinfo.ZoneInfo("Europe/Brussels")
    late = FeedEntry(
        "id:1", "Late news", "", "", dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC), "x", False
    )
    fetched = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)
    article = entry_article(1, late, fetched, brussels)
    assert isinstance(article, Article) and article.date == dt.date(2026, 12, 2)
    undated = dataclasses.replace(late, published=None)
    article = entry_article(1, undated, fetched, brussels)
    assert isinstance(article, Article) and article.date == dt.date(2026, 12, 5)
