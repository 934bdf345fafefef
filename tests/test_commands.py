"""The platform-neutral commands, on a real store with real articles."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.commands import COMMANDS, Commands, parse_command_line
from bot.ingest.derive import prepare_article
from bot.ingest.seed import make_article, parse_seed_file
from bot.store import Store
from tests.conftest import RUTTE_SEED

TODAY = dt.date(2024, 12, 10)


class FixedClock:
    def __init__(self, day: dt.date) -> None:
        self.day = day

    def now(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(12), tzinfo=dt.UTC)


OTHER_NEWS = [
    (
        "2024-12-09",
        "Putin meets Chinese leaders in Beijing",
        "Russian President Vladimir Putin met Chinese leaders in Beijing on Monday. "
        "The talks covered energy exports and trade. Putin said ties were at their best.",
    ),
    (
        "2024-12-08",
        "Storm closes ports along the North Sea",
        "A winter storm closed ports along the North Sea coast. Ferries were cancelled "
        "and thousands of travellers were stranded. Forecasters expect calmer weather.",
    ),
    (
        "2024-11-20",
        "NATO summit planned for the summer",
        "NATO members agreed on the date of next summer's summit in The Hague. "
        "Secretary General Mark Rutte will host the leaders.",
    ),
]


@pytest.fixture
async def commands(tmp_path: Path) -> AsyncIterator[Commands]:
    async with Store.open(tmp_path / "news.db") as store:
        articles = [parse_seed_file(RUTTE_SEED)] + [
            make_article(f"{title}.txt", title, dt.date.fromisoformat(day), body)
            for day, title, body in OTHER_NEWS
        ]
        await store.save_articles([prepare_article(a) for a in articles])
        yield Commands(store, clock=FixedClock(TODAY))


def lines(reply_text: str) -> list[str]:
    return [line for line in reply_text.split("\n") if line]


async def test_summary_has_the_requested_number_of_whole_sentences(commands: Commands) -> None:
    article = parse_seed_file(RUTTE_SEED)
    for count in (1, 3, 5):
        reply = await commands.run("summary", {"article": 1, "sentences": count})
        sentences = [line.removeprefix("• ") for line in lines(reply.text)]
        assert len(sentences) == count
        positions = [article.body.index(s) for s in sentences]  # verbatim, whole sentences
        assert positions == sorted(positions)  # in the article's order
    assert "Mark Rutte" in reply.items[0].text  # the article's topics


async def test_summary_of_a_missing_article_is_a_friendly_error(commands: Commands) -> None:
    reply = await commands.run("summary", {"article": 99})
    assert reply.error and reply.title == "No article #99"


async def test_topics_of_the_week_rank_what_the_week_is_about(commands: Commands) -> None:
    reply = await commands.run("topics", {"period": "week"})
    assert reply.title == "Topics in the last week"
    labels = [item.title for item in reply.items]
    # In two articles this week and none the week before.
    assert "Vladimir Putin" in labels[:3]
    assert "NATO" in labels


async def test_topics_all_counts_the_whole_archive(commands: Commands) -> None:
    reply = await commands.run("topics", {"period": "all"})
    by_label = {item.title: item.text for item in reply.items}
    assert by_label["Vladimir Putin"] == "2 articles"
    assert by_label["Mark Rutte"] == "2 articles"


async def test_topic_variants_find_one_topic(commands: Commands) -> None:
    for typed in ("Vladimir Putin", "putin", "President Vladimir Putin's"):
        reply = await commands.run("topic", {"name": typed})
        assert reply.title == "Topic: Vladimir Putin", typed
        assert {item.article_id for item in reply.items} == {1, 2}
        assert all(line.endswith(("(#1)", "(#2)")) for line in lines(reply.text))


async def test_unknown_topic_suggests_nothing_wrong(commands: Commands) -> None:
    reply = await commands.run("topic", {"name": "Atlantis"})
    assert reply.error and "No topic named “Atlantis”" in reply.title


async def test_digest_of_a_period_links_each_sentence_to_its_article(commands: Commands) -> None:
    reply = await commands.run("digest", {"period": "week"})
    assert reply.title == "Digest of the last week"
    sentences = lines(reply.text)
    assert 3 <= len(sentences) <= 5
    assert len(set(sentences)) == len(sentences)
    cited = {int(line.rsplit("(#", 1)[1].rstrip(")")) for line in sentences}
    assert cited <= {1, 2, 3} and len(cited) >= 2  # the November article is outside the week


async def test_digest_on_a_topic_only_uses_its_articles(commands: Commands) -> None:
    reply = await commands.run("digest", {"period": "all", "topic": "north sea"})
    assert reply.title.startswith("Digest of all news on")
    assert all(line.endswith("(#3)") for line in lines(reply.text))


async def test_an_old_archive_shows_the_period_up_to_its_newest_news(tmp_path: Path) -> None:
    async with Store.open(tmp_path / "old.db") as store:
        await store.save_articles([prepare_article(parse_seed_file(RUTTE_SEED))])
        later = Commands(store, clock=FixedClock(dt.date(2026, 11, 27)))
        reply = await later.run("digest", {})
        assert reply.title == "Digest of the week up to 2024-12-04 (the newest news)"
        assert (await later.run("topics", {"period": "day"})).items


async def test_console_words_fill_options_in_order() -> None:
    assert parse_command_line("/news digest nato")[1] == {"topic": "nato"}
    assert parse_command_line("/news digest month air defense")[1] == {
        "period": "month",
        "topic": "air defense",
    }
    assert parse_command_line("/news search 2024 elections page=2")[1] == {
        "query": "2024 elections",
        "page": 2,
    }
    assert parse_command_line("latest 3")[1] == {"count": 3}


def test_every_command_and_option_is_described_within_discord_limits() -> None:
    for spec in COMMANDS:
        assert spec.name.islower() and 1 <= len(spec.description) <= 100
        assert len(spec.options) <= 25
        for option in spec.options:
            assert option.name.islower() and 1 <= len(option.description) <= 100


HELD = (
    "2024-12-20",
    "Greenland calls an early election",
    "Greenland's premier called an early election for the spring. Greenland votes on "
    "independence plans, and Denmark follows the campaign closely.",
)


async def test_a_held_article_stays_invisible_until_its_day(tmp_path: Path) -> None:
    async with Store.open(tmp_path / "held.db") as store:
        day, title, body = HELD
        held = make_article("held.txt", title, dt.date.fromisoformat(day), body)
        [result] = await store.save_articles([prepare_article(held)])
        clock = FixedClock(TODAY)  # ten days before it
        commands = Commands(store, clock=clock)
        assert (await commands.run_line("/news search greenland")).title.startswith("No results")
        assert (await commands.run_line(f"/news article {result.article_id}")).error
        assert (await commands.run_line(f"/news summary {result.article_id}")).error
        topic = await commands.run_line("/news topic Greenland")
        assert topic.error and topic.title.startswith("No topic named")
        clock.day = dt.date(2024, 12, 20)
        assert (await commands.run_line("/news search greenland")).items[0].title == title
        assert (await commands.run_line(f"/news article {result.article_id}")).title == title
        assert (await commands.run_line("/news topic Greenland")).items[0].title == title


async def test_an_unknown_option_name_is_refused_with_the_closest_one(commands: Commands) -> None:
    reply = await commands.run_line("/news subscribe topic=NATO")
    assert reply.error
    assert reply.title == "/news subscribe has no option 'topic' (did you mean topics?)"
    assert (await commands.run("latest", {"cuont": 3})).title.endswith("(did you mean count?)")
    # Free text may hold '=' when it is not close to an option name.
    assert not (await commands.run_line("/news search e=mc2")).error


async def test_numbers_out_of_range_name_the_option_and_its_range(commands: Commands) -> None:
    huge = await commands.run_line("/news article 999999999999999999999999999999")
    assert huge.error and huge.title == "article must be between 1 and 999,999,999"
    page = await commands.run_line("/news article 1 page=99999999999999999999")
    assert page.error and page.title == "page must be between 1 and 1,000"
    zero = await commands.run("latest", {"count": 0})
    assert zero.title == "count must be between 1 and 25, got 0"


async def test_text_longer_than_an_options_limit_is_refused_with_the_limit(
    commands: Commands,
) -> None:
    reply = await commands.run_line("/news topic " + "x" * 50_000)
    assert reply.error
    assert reply.title == "name must be at most 200 characters (got 50,000)"
    assert await commands.store.topics_like("x" * 50_000, 5) == []


async def test_what_a_member_typed_is_echoed_clipped(commands: Commands) -> None:
    for line in ("/news latest " + "9" * 5000, "/news latest " + "x" * 5000, "/news " + "y" * 5000):
        reply = await commands.run_line(line)
        assert reply.error
        assert len(reply.title) + len(reply.text) < 200, reply.title


async def test_a_trailing_number_in_a_search_is_a_word_and_the_reply_says_so(
    commands: Commands,
) -> None:
    reply = await commands.run_line("/news search putin 2")
    assert "“2” was searched as a word; for page 2, write page=2." in reply.text + reply.footer
    paged = await commands.run_line("/news search putin page=2")
    assert paged.error and paged.title.startswith("There are only 1 page(s)")


BBC = Path(__file__).resolve().parents[2] / "shared" / "data" / "bbc-news-summary.jsonl"


@pytest.fixture
async def bbc_politics(tmp_path: Path) -> AsyncIterator[Commands]:
    """The BBC set's 417 politics articles, stored with their real summaries and topics."""
    import json

    if not BBC.exists():
        pytest.skip("../shared/data/bbc-news-summary.jsonl absent")
    with BBC.open(encoding="utf-8") as f:
        rows = [row for line in f if (row := json.loads(line))["category"] == "politics"]
    articles = [
        make_article(row["id"], row["title"], dt.date(2005, 1, 1), row["body"]) for row in rows
    ]
    async with Store.open(tmp_path / "bbc.db") as store:
        await store.save_articles([prepare_article(a) for a in articles])
        yield Commands(store, clock=FixedClock(TODAY))


async def test_a_short_topic_name_finds_the_best_supported_topic(bbc_politics: Commands) -> None:
    reply = await bbc_politics.run("topic", {"name": "blair"})
    assert reply.title == "Topic: Tony Blair"  # not the small topic keyed "blair"
    assert len(reply.items) == 10
    assert reply.footer.startswith("Also: Blair (")  # and the other matches are named


async def test_topics_all_lists_names_before_common_nouns(bbc_politics: Commands) -> None:
    reply = await bbc_politics.run("topics", {"period": "all"})
    labels = [item.title for item in reply.items]
    assert "Tony Blair" in labels[:3] and "Gordon Brown" in labels
    assert not {"government", "election", "decision", "plans"} & set(labels)


async def test_an_exact_topic_with_fewer_articles_loses_to_a_fuller_name(tmp_path: Path) -> None:
    from bot.models import PreparedArticle, TopicLabel

    def article(n: int, key: str, label: str) -> PreparedArticle:
        body = f"Story number {n} about {label}."
        made = make_article(f"{n}.txt", f"Story {n}", TODAY, body)
        return PreparedArticle(made, (body,), (TopicLabel(key=key, label=label),))

    items = [article(1, "blair", "Blair")]
    items += [article(n, "tony blair", "Tony Blair") for n in range(2, 5)]
    async with Store.open(tmp_path / "news.db") as store:
        await store.save_articles(items)
        reply = await Commands(store, clock=FixedClock(TODAY)).run("topic", {"name": "Blair"})
    assert reply.title == "Topic: Tony Blair"
    assert reply.footer.startswith("Also: Blair (1)")
