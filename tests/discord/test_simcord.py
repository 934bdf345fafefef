"""Behaviour of `/news` in a simulated Discord (simcord: real discord.py dispatch,
Discord's limits and interaction rules enforced, virtual time)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import discord
import pytest
import simcord

from bot import commands as core
from bot.adapters.discord import render, respond
from bot.adapters.discord.app import NewsBot
from bot.commands import COMMANDS, Commands, CommandSpec, Option
from bot.config import Settings
from bot.models import PreparedArticle, Reply, TopicLabel
from bot.store import Store
from tests.discord.conftest import add_article

FAILURE_TITLE = "Something went wrong on our side"


@dataclass
class World:
    env: simcord.Env
    channel: Any
    alice: Any  # an ordinary member
    bob: Any  # another ordinary member
    manager: Any  # has Manage Server


def make_world(env: simcord.Env) -> World:
    guild = env.create_guild("Newsroom")
    channel = guild.create_text_channel("news")
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
    return World(
        env,
        channel,
        guild.add_member(env.create_user("alice")),
        guild.add_member(env.create_user("bob")),
        guild.add_member(env.create_user("mia"), roles=[managers]),
    )


@pytest.fixture
def world(simcord_env: simcord.Env) -> World:
    return make_world(simcord_env)


def embeds_of(result: Any) -> list[discord.Embed]:
    message = result.response
    assert message is not None, result
    return list(message.embeds)


def sample_value(option: Option) -> Any:
    if option.choices:
        return option.choices[0]
    if option.autocomplete == "article":
        return "1"
    if option.kind is int:
        return option.min_value or 1
    if option.autocomplete == "topic":
        return "NATO"
    return "air defense"


@pytest.mark.parametrize("spec", COMMANDS, ids=[spec.name for spec in COMMANDS])
async def test_every_command_answers_without_failing(world: World, spec: CommandSpec) -> None:
    options = {o.name: sample_value(o) for o in spec.options if o.required}
    result = await world.manager.slash(world.channel, f"news {spec.name}", **options)
    assert result.acknowledged
    shown = [*([result.response] if result.response else []), *result.followups]
    assert shown, f"/news {spec.name} showed nothing"
    for message in shown:
        assert message.embeds, message
        assert message.embeds[0].title != FAILURE_TITLE


async def test_search_finds_the_rutte_article(world: World) -> None:
    result = await world.alice.slash(world.channel, "news search", query="air defense")
    assert not result.ephemeral
    [embed] = embeds_of(result)
    assert embed.title == "Search: “air defense”"
    [field] = embed.fields
    assert field.name is not None and field.name.startswith("#1 · 2024-12-04 · Rutte")
    assert field.value is not None and "**air** **defense**" in field.value


async def test_article_autocomplete_offers_titles_and_returns_the_id(world: World) -> None:
    choices = await world.alice.autocomplete(world.channel, "news article", "article", "rut")
    assert choices == [
        {
            "name": "#1 Rutte: Putin Shows No Interest in Peace Amid Rising Casualties in Ukraine",
            "value": "1",
        }
    ]
    by_number = await world.alice.autocomplete(world.channel, "news article", "article", "#1")
    assert [c["value"] for c in by_number] == ["1"]
    assert await world.alice.autocomplete(world.channel, "news article", "article", "zzzz") == []


async def test_article_autocomplete_stays_within_discord_limits(
    world: World, commands: Commands
) -> None:
    for n in range(40):
        await add_article(commands.store, f"Air defense update {n} " + "long " * 60, f"Body {n}.")
    choices = await world.alice.autocomplete(world.channel, "news article", "article", "air def")
    assert len(choices) == 25
    assert all(len(c["name"]) <= 100 for c in choices)
    newest = await world.alice.autocomplete(world.channel, "news article", "article", "")
    assert len(newest) == 25


async def test_choosing_an_autocompleted_article_opens_it(world: World) -> None:
    [choice] = await world.alice.autocomplete(world.channel, "news article", "article", "putin")
    result = await world.alice.slash(world.channel, "news article", article=choice["value"])
    assert embeds_of(result)[0].title is not None
    assert embeds_of(result)[0].title.startswith("Rutte: Putin")


TOPIC_SPECS = (
    CommandSpec(
        "topic",
        "One topic",
        (Option("name", "A topic", str, True, max_length=100, autocomplete="topic"),),
    ),
)


async def test_topic_autocomplete_ranks_exact_then_prefix_matches(seeded: Store) -> None:
    # Only topics with an article members can see are suggested.
    article_id = await add_article(seeded, "NATO talks", "NATO met.")
    [article] = await seeded.articles_after(article_id - 1, 1)
    labels = [
        ("natalia", "Natalia Ivanova"),
        ("ukraine nato bid", "Ukraine NATO bid"),
        ("nato summit", "NATO summit"),
        ("nato", "NATO"),
        ("long", "NATO " + "x" * 200),
    ]
    await seeded.update_derived(
        [PreparedArticle(article, topics=tuple(TopicLabel(f"test:{k}", v) for k, v in labels))]
    )
    bot = NewsBot(Commands(seeded), Settings(discord_token="t"), specs=TOPIC_SPECS)
    async with simcord.run(bot) as env:
        world = make_world(env)
        choices = await world.alice.autocomplete(world.channel, "news topic", "name", "nato")
    names = [c["name"] for c in choices]
    assert names[:3] == ["NATO", "NATO summit", "Ukraine NATO bid"]
    assert "Natalia Ivanova" not in names
    assert all(len(c["value"]) <= 100 for c in choices)


async def test_admin_commands_need_manage_server(commands: Commands) -> None:
    admin_latest = CommandSpec("latest", "The newest articles", admin=True)
    bot = NewsBot(commands, Settings(discord_token="t"), specs=(admin_latest,))
    async with simcord.run(bot) as env:
        world = make_world(env)
        refused = await world.alice.slash(world.channel, "news latest")
        allowed = await world.manager.slash(world.channel, "news latest")
    assert refused.ephemeral
    assert embeds_of(refused)[0].title == "/news latest is for server managers"
    assert not allowed.ephemeral
    assert embeds_of(allowed)[0].title == "Latest news"


async def test_paging_buttons_turn_pages_for_the_asker_only(
    world: World, commands: Commands
) -> None:
    body = "\n".join(f"Paragraph {n}. " + "The summit went on. " * 40 for n in range(60))[:50_000]
    article_id = await add_article(commands.store, "A very long report", body)
    first = await world.alice.slash(world.channel, "news article", article=str(article_id))
    footer = embeds_of(first)[0].footer.text or ""
    pages = int(re.search(r"page 1 of (\d+)", footer)[1])  # type: ignore[index]
    assert pages > 10
    message = first.response.message

    turned = await world.alice.click(message, label="Next")
    assert "page 2 of" in (embeds_of(turned)[0].footer.text or "")
    for embed_list in (embeds_of(first), embeds_of(turned)):
        assert sum(render.embed_size(e) for e in embed_list) <= render.MESSAGE_EMBED_TOTAL

    refused = await world.bob.click(message, label="Next")
    assert refused.ephemeral
    assert embeds_of(refused)[0].title == "These buttons belong to someone else"
    assert "page 2 of" in (embeds_of(turned)[0].footer.text or "")

    back = await world.alice.click(message, label="Prev")
    assert "page 1 of" in (embeds_of(back)[0].footer.text or "")
    buttons = back.response.components[0]["components"]
    assert [b["label"] for b in buttons] == ["Prev", "Next"]
    assert [b.get("disabled", False) for b in buttons] == [True, False]


async def test_paging_buttons_go_away_after_the_timeout(world: World) -> None:
    first = await world.alice.slash(world.channel, "news article", article="1")
    assert first.response.components
    await world.env.advance_time(601)
    assert embeds_of(first)[0].title is not None
    assert first.response.components == []


async def test_search_with_huge_titles_fits_discord(world: World, commands: Commands) -> None:
    for n in range(6):
        await add_article(
            commands.store,
            f"Air defense {n} " + "headline " * 400,
            "air defense " + "detail " * 3000,
        )
    result = await world.alice.slash(world.channel, "news search", query="air defense")
    embeds = embeds_of(result)
    assert sum(render.embed_size(e) for e in embeds) <= render.MESSAGE_EMBED_TOTAL
    fields = [f for e in embeds for f in e.fields]
    assert len(fields) == 5
    assert all(f.name and len(f.name) <= 256 for f in fields)
    long_titles = [f for f in fields if "headline" in (f.name or "")]
    assert long_titles and all((f.name or "").endswith("…") for f in long_titles)
    assert result.response.components  # more than one page: paging buttons


async def test_an_article_with_a_huge_title_has_its_title_cut(
    world: World, commands: Commands
) -> None:
    article_id = await add_article(commands.store, "Breaking " * 500, "Short body.")
    result = await world.alice.slash(world.channel, "news article", article=str(article_id))
    title = embeds_of(result)[0].title or ""
    assert len(title) <= 256 and title.endswith("…")


async def test_an_error_reply_is_shown_only_to_the_asker(world: World) -> None:
    result = await world.alice.slash(world.channel, "news article", article="999")
    assert result.ephemeral
    assert embeds_of(result)[0].title == "No article #999"
    assert embeds_of(result)[0].colour == render.ERROR_COLOUR


class ExplodingCommands(Commands):
    async def run(self, name: str, options: Mapping[str, Any] | None = None, *rest: Any) -> Reply:
        raise RuntimeError("database on fire")


async def test_an_unexpected_failure_gives_a_reference_to_quote(
    seeded: Store, caplog: pytest.LogCaptureFixture
) -> None:
    bot = NewsBot(ExplodingCommands(seeded), Settings(discord_token="t"))
    with caplog.at_level(logging.ERROR):
        async with simcord.run(bot) as env:
            world = make_world(env)
            result = await world.alice.slash(world.channel, "news latest")
    assert result.ephemeral
    [embed] = embeds_of(result)
    assert embed.title == FAILURE_TITLE
    reference = re.search(r"`([0-9a-f]{8})`", embed.description or "")
    assert reference is not None
    assert any(reference[1] in r.getMessage() for r in caplog.records)
    assert "database on fire" not in (embed.description or "")


class SlowCommands(Commands):
    async def run(self, name: str, options: Mapping[str, Any] | None = None, *rest: Any) -> Reply:
        await asyncio.sleep(0.3)
        return await super().run(name, options, *rest)


async def test_a_slow_command_is_deferred_then_answered(
    seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(respond, "ACK_AFTER", 0.1)  # instead of waiting a real second
    bot = NewsBot(SlowCommands(seeded), Settings(discord_token="t"))
    async with simcord.run(bot) as env:
        world = make_world(env)
        result = await world.alice.slash(world.channel, "news search", query="air defense")
        failed = await world.alice.slash(world.channel, "news article", article="999")
        callbacks = [
            r.json["type"]
            for r in env.http_requests
            if r.method == "POST" and r.path.endswith("/callback")
        ]
    assert callbacks == [5, 5]  # both deferred ("thinking..."), none answered late
    assert embeds_of(result)[0].title == "Search: “air defense”"
    [followup] = failed.followups
    assert followup.ephemeral and followup.embeds[0].title == "No article #999"
    assert failed.response is None  # the public "thinking..." placeholder was removed


class RecordingCommands(Commands):
    contexts: list[Any]

    async def run(self, name: str, options: Mapping[str, Any] | None = None, *rest: Any) -> Reply:
        self.contexts.extend(rest)
        return await super().run(name, options, *rest)


async def test_the_core_is_told_the_channel_and_whether_the_member_is_an_admin(
    seeded: Store,
) -> None:
    if not hasattr(core, "CommandContext"):
        pytest.skip("this core's Commands.run takes no context")
    commands = RecordingCommands(seeded)
    commands.contexts = []
    async with simcord.run(NewsBot(commands, Settings(discord_token="t"))) as env:
        world = make_world(env)
        await world.alice.slash(world.channel, "news latest")
        await world.manager.slash(world.channel, "news latest")
    channel = f"discord:{world.channel.id}"
    assert [(c.channel, c.is_admin) for c in commands.contexts] == [
        (channel, False),
        (channel, True),
    ]


async def test_a_slow_page_turn_is_deferred_then_edited_in_place(
    seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(respond, "ACK_AFTER", 0.1)
    async with simcord.run(NewsBot(SlowCommands(seeded), Settings(discord_token="t"))) as env:
        world = make_world(env)
        first = await world.alice.slash(world.channel, "news article", article="1")
        turned = await world.alice.click(first.response.message, label="Next")
        callbacks = [
            r.json["type"]
            for r in env.http_requests
            if r.method == "POST" and r.path.endswith("/callback")
        ]
    assert callbacks == [5, 6]  # "thinking..." for the command, a silent deferral for the click
    assert turned.response is not None and turned.response.id == first.response.id
    assert "page 2 of 2" in (embeds_of(turned)[0].footer.text or "")


async def test_a_hostile_article_is_shown_literally_with_its_match_in_bold(
    seeded: Store,
) -> None:
    await add_article(
        seeded,
        "Markets [click](https://evil.example) ||rally|| @everyone",
        "Markets rallied on `Friday` as _traders_ cheered. More in [this](https://evil.example).",
    )
    bot = NewsBot(Commands(seeded), Settings(discord_token="t"))
    assert bot.allowed_mentions is not None
    assert bot.allowed_mentions.to_dict() == {"parse": []}  # no one can be pinged
    async with simcord.run(bot) as env:
        world = make_world(env)
        result = await world.alice.slash(world.channel, "news search", query="traders")
    [field] = embeds_of(result)[0].fields
    assert field.name is not None
    escaped = r"Markets \[click](https://evil.example) \|\|rally\|\| @" + "\u200beveryone"
    assert field.name.endswith(escaped)
    assert field.value is not None and r"\`Friday\`" in field.value
    assert r"\_**traders**\_" in field.value  # escaped text, our bold kept
