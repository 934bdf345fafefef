"""Arbitrary console command lines and option values against the commands layer, on a
real SQLite store with real articles: every one gets an answer, never an exception or
"something went wrong", and an error answer stays short whatever was typed."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.console.publisher import ConsolePublisher
from bot.commands import COMMANDS, CommandContext, Commands
from bot.config import parse_config
from bot.delivery import Delivery
from bot.ingest.derive import prepare_article
from bot.ingest.seed import make_article, parse_seed_file
from bot.models import Reply
from bot.store import Store
from tests.conftest import RUTTE_SEED

TODAY = dt.date(2024, 12, 10)
ARTICLES = [
    ("2024-12-09", "Putin meets Chinese leaders", "Vladimir Putin met Chinese leaders in Beijing."),
    ("2024-12-30", "Held: NATO summit moved", "NATO moved its summit. Mark Rutte will host it."),
    ("2023-12-10", "A year ago in Kyiv", "Air defense systems protected Kyiv overnight."),
]


class FixedClock:
    def now(self) -> dt.datetime:
        return dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def commands(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[asyncio.Runner, Commands]]:
    folder: Path = tmp_path_factory.mktemp("properties")
    with asyncio.Runner() as runner:
        opened = Store.open(folder / "news.db")
        store = runner.run(opened.__aenter__())
        articles = [parse_seed_file(RUTTE_SEED)] + [
            make_article(f"{title}.txt", title, dt.date.fromisoformat(day), body)
            for day, title, body in ARTICLES
        ]
        runner.run(store.save_articles([prepare_article(a) for a in articles]))
        config = parse_config(
            folder / "newsbot.toml",
            {"database": {"path": str(folder / "news.db")}, "console": {"channels": ["news"]}},
        )
        publisher = ConsolePublisher(config.console_channels, out=io.StringIO())
        delivery = Delivery(store, config, {"console": publisher}, FixedClock())
        yield runner, Commands(store, clock=FixedClock(), delivery=delivery)
        runner.run(opened.__aexit__(None, None, None))


OPTION_NAMES = sorted({option.name for spec in COMMANDS for option in spec.options})
WORDS = st.one_of(
    st.sampled_from([spec.name for spec in COMMANDS]),
    st.sampled_from(OPTION_NAMES).flatmap(
        lambda name: st.text(max_size=12).map(lambda value: f"{name}={value}")
    ),
    st.integers().map(str),
    st.sampled_from(
        ['"', "'", "*", "title:", "=", "AND", "NEAR(", "#1", "-", "putin", "0 8 30 2 *", "\\"]
    ),
    st.text(max_size=20),
    # Undecodable bytes in argv arrive as lone surrogates (surrogateescape).
    st.text(st.characters(codec=None, categories=["Cs", "Ll", "Nd"]), max_size=8),
    st.text(alphabet="9", min_size=18, max_size=5000),
    st.text(alphabet="ab ", min_size=1000, max_size=20_000),
)
LINES = st.tuples(st.sampled_from(["/news ", "/", "", "/other "]), st.lists(WORDS, max_size=8)).map(
    lambda parts: parts[0] + " ".join(parts[1])
)
CONTEXTS = st.sampled_from(
    [CommandContext(), CommandContext(channel="discord:123456789012345678", is_admin=False)]
)


def check(reply: Reply) -> None:
    assert isinstance(reply, Reply)
    assert "something went wrong" not in (reply.title + reply.text).lower()
    if reply.error:
        assert len(reply.title) + len(reply.text) < 600, reply


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(line=LINES, context=CONTEXTS)
def test_any_command_line_gets_an_answer(
    commands: tuple[asyncio.Runner, Commands], line: str, context: CommandContext
) -> None:
    runner, core = commands
    check(runner.run(core.run_line(line, context)))


VALUES = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=30),
    st.text(alphabet="x", min_size=5000, max_size=7000),
    st.sampled_from(["day", "all", "digest", "yes", "0 8 * * *", "NATO", "1"]),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from([spec.name for spec in COMMANDS]),
    options=st.dictionaries(st.sampled_from([*OPTION_NAMES, "bogus"]), VALUES, max_size=4),
    context=CONTEXTS,
)
def test_any_option_values_get_an_answer(
    commands: tuple[asyncio.Runner, Commands],
    name: str,
    options: dict[str, Any],
    context: CommandContext,
) -> None:
    """What a platform adapter passes (Discord sends typed values by option name)."""
    runner, core = commands
    values = {key: value for key, value in options.items() if value is not None}
    check(runner.run(core.run(name, values, context)))
