"""The `/news` group mirrors the core's COMMANDS table, and Discord accepts it."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from bot.adapters.discord.app import tree_hash
from bot.adapters.discord.tree import GROUP_NAME, NewsTree, build_news_group
from bot.commands import COMMANDS, Commands, CommandSpec, Option
from bot.store import Store
from tests.support.fake_discord import command_size, validate_commands


@pytest.fixture
def tree(store: Store) -> NewsTree:
    client = discord.Client(intents=discord.Intents.default())
    news_tree = NewsTree(client)
    news_tree.add_command(build_news_group(Commands(store)))
    return news_tree


def _payload(tree: NewsTree) -> dict[str, object]:
    [news] = [c.to_dict(tree) for c in tree.get_commands()]
    return news


def test_every_core_command_is_a_news_subcommand_with_the_same_options(tree: NewsTree) -> None:
    news = tree.get_command(GROUP_NAME)
    assert isinstance(news, app_commands.Group)
    subcommands = {c.name: c for c in news.commands}
    assert set(subcommands) == {spec.name for spec in COMMANDS}
    for spec in COMMANDS:
        command = subcommands[spec.name]
        assert isinstance(command, app_commands.Command)
        assert command.description == spec.description[:100]
        params = {p.name: p for p in command.parameters}
        assert list(params) == [o.name for o in sorted(spec.options, key=lambda o: not o.required)]
        for option in spec.options:
            param = params[option.name]
            assert param.required == option.required, (spec.name, option.name)
            assert param.description == option.description[:100]
            if option.kind is int and not option.autocomplete:
                assert param.type is discord.AppCommandOptionType.integer
                assert (param.min_value, param.max_value) == (option.min_value, option.max_value)
            else:
                # Autocompleted numbers travel as text: Discord's client only lets
                # members type digits into an integer option. The core converts.
                assert param.type is discord.AppCommandOptionType.string
            assert [c.value for c in param.choices] == list(option.choices)
            assert param.autocomplete == (option.autocomplete in ("article", "topic"))


def test_discord_accepts_the_definitions(tree: NewsTree) -> None:
    news = _payload(tree)
    validate_commands([news])  # names, 1-100 char descriptions, <= 25 options, sizes
    assert command_size(news) <= 4000


def test_a_new_core_command_appears_without_adapter_changes(store: Store) -> None:
    spec = CommandSpec(
        "weather",
        "x" * 150,
        (
            Option("city", "Which city", str, True, max_length=100, autocomplete="topic"),
            Option("days", "How many days", int, False, 1, 7),
            Option("units", "Units", str, False, choices=("metric", "imperial")),
        ),
        admin=True,
    )
    news = build_news_group(Commands(store), [spec])
    [command] = news.commands
    assert isinstance(command, app_commands.Command)
    assert len(command.description) == 100 and command.description.endswith("…")
    days = command.get_parameter("days")
    assert days is not None and (days.min_value, days.max_value) == (1, 7)
    units = command.get_parameter("units")
    assert units is not None and [c.name for c in units.choices] == ["metric", "imperial"]


def test_tree_hash_is_stable_and_changes_with_the_tree(store: Store) -> None:
    def make(specs: tuple[CommandSpec, ...]) -> NewsTree:
        client = discord.Client(intents=discord.Intents.default())
        news_tree = NewsTree(client)
        news_tree.add_command(build_news_group(Commands(store), specs))
        return news_tree

    assert tree_hash(make(COMMANDS), None) == tree_hash(make(COMMANDS), None)
    assert tree_hash(make(COMMANDS), None) != tree_hash(make(COMMANDS[:-1]), None)
