"""End-to-end tests of the fake Discord with the real, unmodified discord.py client.

Why: the fake is only useful if discord.py accepts it exactly like Discord, so every test here
drives ``client.start(token)`` and the public discord.py API rather than raw HTTP.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.support.discord_client import fake_discord_env, make_client, running_client
from tests.support.fake_discord import (
    CALLBACK_AUTOCOMPLETE_RESULT,
    CALLBACK_CHANNEL_MESSAGE,
    DEFAULT_CHANNEL_IDS,
    DiscordHTTPError,
    FakeDiscord,
    FakeDiscordProcess,
    command_size,
    validate_commands,
    validate_message,
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord_env() as fake:
        yield fake


def build_tree(client: discord.Client, guild_id: int) -> app_commands.CommandTree[discord.Client]:
    """Guild command ``/news search query:`` (autocompleted) answered with an embed + button."""
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    news = app_commands.Group(name="news", description="News commands")

    @news.command(name="search", description="Search the news")
    @app_commands.describe(query="What to look for")
    async def search(interaction: discord.Interaction, query: str) -> None:
        embed = discord.Embed(title=f"Results for {query}", description="1. NATO summit")
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="More", custom_id="news:more"))
        await interaction.response.send_message(embed=embed, view=view)

    @search.autocomplete("query")
    async def query_autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        topics = ["nato", "nasa", "elections"]
        return [app_commands.Choice(name=t, value=t) for t in topics if t.startswith(current)]

    @news.command(name="digest", description="Slow digest: defers, then follows up")
    async def digest(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("Digest ready")

    tree.add_command(news, guild=discord.Object(guild_id))
    return tree


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    client = make_client()
    tree = build_tree(client, fake.guild.id)

    async def on_interaction(interaction: discord.Interaction) -> None:
        if interaction.data and interaction.data.get("custom_id") == "news:more":
            await interaction.response.edit_message(content="Page 2", view=None)

    client.event(on_interaction)
    async with running_client(client, fake.token) as running:
        await tree.sync(guild=discord.Object(fake.guild.id))
        yield running


async def test_login_ready_and_guild_available(fake: FakeDiscord) -> None:
    client = make_client()
    ready = asyncio.Event()

    async def on_ready() -> None:
        ready.set()

    client.event(on_ready)
    async with running_client(client, fake.token):
        await asyncio.wait_for(ready.wait(), 2)
        guild = client.get_guild(fake.guild.id)
        assert guild is not None and not guild.unavailable
        assert {c.name for c in guild.text_channels} >= {"general", "news"}
        assert guild.me is not None
        assert client.user is not None and client.user.id == fake.bot_user.id
        assert client.application_id == fake.application_id
    assert fake.identify_count == 1
    assert [r.path for r in fake.requests[:2]] == ["/users/@me", "/oauth2/applications/@me"]


async def test_bad_token_is_a_login_failure(fake: FakeDiscord) -> None:
    with pytest.raises(discord.LoginFailure):
        async with running_client(make_client(), "wrong-token"):
            pass


async def test_guild_sync_accepted(fake: FakeDiscord, bot: discord.Client) -> None:
    [news] = fake.guild_commands()
    assert news["name"] == "news"
    assert {o["name"] for o in news["options"]} == {"search", "digest"}
    assert fake.requests_matching("PUT", r"/applications/\d+/guilds/\d+/commands")


async def test_invalid_command_definition_rejected(fake: FakeDiscord) -> None:
    client = make_client()
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)

    @tree.command(name="bad", description="x" * 101, guild=discord.Object(fake.guild.id))
    async def bad(interaction: discord.Interaction) -> None:  # pragma: no cover - never runs
        raise AssertionError

    async with running_client(client, fake.token):
        with pytest.raises(discord.HTTPException) as excinfo:
            await tree.sync(guild=discord.Object(fake.guild.id))
    assert excinfo.value.status == 400
    assert excinfo.value.code == 50035
    assert fake.guild_commands() == []


async def test_slash_command_answered_with_embed(fake: FakeDiscord, bot: discord.Client) -> None:
    interaction = await fake.send_slash_command("news search", {"query": "nato"}, channel="news")
    response = await fake.wait_for_response(interaction)
    assert response["type"] == CALLBACK_CHANNEL_MESSAGE
    assert response["data"]["embeds"][0]["title"] == "Results for nato"
    [posted] = fake.messages_in("news")
    assert posted["interaction_metadata"]["id"] == str(interaction.id)


async def test_button_click_updates_the_message(fake: FakeDiscord, bot: discord.Client) -> None:
    command = await fake.send_slash_command("news search", {"query": "nato"})
    await fake.wait_for_response(command)
    click = await fake.click_button("news:more")
    assert (await fake.wait_for_response(click))["type"] == 7
    assert command.original is not None and command.original["content"] == "Page 2"


async def test_autocomplete(fake: FakeDiscord, bot: discord.Client) -> None:
    interaction = await fake.send_autocomplete("news search", "query", {"query": "na"})
    response = await fake.wait_for_response(interaction)
    assert response["type"] == CALLBACK_AUTOCOMPLETE_RESULT
    assert [c["value"] for c in response["data"]["choices"]] == ["nato", "nasa"]


async def test_deferred_response_then_followup(fake: FakeDiscord, bot: discord.Client) -> None:
    interaction = await fake.send_slash_command("news digest")
    message = await fake.wait_for_interaction_message(interaction)
    assert message["content"] == "Digest ready"
    assert [r["type"] for r in interaction.responses] == [5]


async def test_unsynced_command_cannot_be_invoked(fake: FakeDiscord, bot: discord.Client) -> None:
    with pytest.raises(LookupError):
        await fake.send_slash_command("weather")
    with pytest.raises(ValueError, match="unknown options"):
        await fake.send_slash_command("news search", {"query": "x", "limit": 3})


async def test_channel_send_embed(fake: FakeDiscord, bot: discord.Client) -> None:
    channel = bot.get_channel(fake.channel("news").id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send(embed=discord.Embed(title="Headline", description="Body"))
    [posted] = fake.messages_in("news")
    assert posted["id"] == str(sent.id)
    assert posted["embeds"][0]["title"] == "Headline"
    assert sent.embeds[0].description == "Body"


async def test_embed_and_content_limits(fake: FakeDiscord, bot: discord.Client) -> None:
    channel = bot.get_channel(fake.channel("news").id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as excinfo:
        await channel.send(embed=discord.Embed(title="t" * 257))
    assert excinfo.value.code == 50035
    assert "embeds.0.title" in str(excinfo.value)
    with pytest.raises(discord.HTTPException):
        await channel.send("x" * 2001)
    too_big = [discord.Embed(description="d" * 4000) for _ in range(2)]
    with pytest.raises(discord.HTTPException, match="6000"):
        await channel.send(embeds=too_big)
    assert fake.messages_in("news") == []


async def test_429_is_waited_out_without_duplicates(fake: FakeDiscord, bot: discord.Client) -> None:
    channel = bot.get_channel(fake.channel("alerts").id)
    assert isinstance(channel, discord.TextChannel)
    fake.fail_next(r"/channels/\d+/messages", 429, retry_after=0.2, method="POST")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await channel.send("breaking")
    assert loop.time() - started >= 0.2
    assert [m["content"] for m in fake.messages_in("alerts")] == ["breaking"]
    assert fake.rate_limited_count == 1
    statuses = [r.status for r in fake.requests_matching("POST", r"/channels/\d+/messages")]
    assert statuses == [429, 200]


async def test_global_429_is_waited_out(fake: FakeDiscord, bot: discord.Client) -> None:
    channel = bot.get_channel(fake.channel("alerts").id)
    assert isinstance(channel, discord.TextChannel)
    fake.fail_next(r"/channels/\d+/messages", 429, retry_after=0.1, is_global=True)
    await channel.send("after global limit")
    assert len(fake.messages_in("alerts")) == 1
    assert fake.rate_limited_count == 1


async def test_lost_response_retry_is_deduplicated_by_nonce(
    fake: FakeDiscord, bot: discord.Client
) -> None:
    """The post lands but the 500 makes discord.py retry (after 1 s); the nonce saves us."""
    channel = bot.get_channel(fake.channel("alerts").id)
    assert isinstance(channel, discord.TextChannel)
    fake.fail_next(r"/channels/\d+/messages", 500, process=True)
    sent = await channel.send("exactly once")
    [posted] = fake.messages_in("alerts")
    assert posted["id"] == str(sent.id)
    statuses = [r.status for r in fake.requests_matching("POST", r"/channels/\d+/messages")]
    assert statuses == [500, 200]


async def test_bucket_exhaustion_sends_headers_discord_py_respects(
    fake: FakeDiscord, bot: discord.Client
) -> None:
    fake.set_bucket_limit("POST /channels/{channel_id}/messages", limit=2, window=0.15)
    channel = bot.get_channel(fake.channel("general").id)
    assert isinstance(channel, discord.TextChannel)
    for i in range(4):
        await channel.send(f"m{i}")
    assert len(fake.messages_in("general")) == 4
    assert fake.rate_limited_count == 0  # discord.py pre-emptively waited on Remaining: 0


async def test_nonce_dedupe_returns_same_message(fake: FakeDiscord, bot: discord.Client) -> None:
    channel = bot.get_channel(fake.channel("news").id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("once", nonce="retry-123")
    second = await channel.send("once", nonce="retry-123")
    assert first.id == second.id
    assert len(fake.messages_in("news")) == 1
    with pytest.raises(discord.HTTPException):
        await channel.send("long nonce", nonce="n" * 26)


async def test_injected_errors_map_to_discord_py_exceptions(
    fake: FakeDiscord, bot: discord.Client
) -> None:
    channel = bot.get_channel(fake.channel("news").id)
    assert isinstance(channel, discord.TextChannel)
    fake.fail_next(r"/channels/\d+/messages", 403)
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel.send("x")
    assert forbidden.value.code == 50001
    fake.fail_next(r"/channels/\d+/messages", 404)
    with pytest.raises(discord.NotFound):
        await channel.send("x")
    read_only = bot.get_channel(fake.channel("read-only").id)
    assert isinstance(read_only, discord.TextChannel)
    with pytest.raises(discord.Forbidden):
        await read_only.send("x")
    assert fake.all_messages() == []


async def test_control_endpoints(fake: FakeDiscord, bot: discord.Client) -> None:
    channel = bot.get_channel(fake.channel("news").id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("hello")
    async with aiohttp.ClientSession(fake.base_url) as http:
        async with http.get("/_fake/messages") as resp:
            assert (await resp.json())["count"] == 1
        body = {"kind": "command", "command": "news search", "options": {"query": "nato"}}
        async with http.post("/_fake/interaction", json={**body, "wait": 2}) as resp:
            record = await resp.json()
    assert record["responses"][0]["type"] == CALLBACK_CHANNEL_MESSAGE


async def test_gateway_resume_after_drop(fake: FakeDiscord, bot: discord.Client) -> None:
    await fake.close_gateway(4000)
    await fake.wait_for(lambda: fake.resume_count == 1)
    interaction = await fake.send_slash_command("news search", {"query": "nasa"})
    assert (await fake.wait_for_response(interaction))["type"] == CALLBACK_CHANNEL_MESSAGE
    assert fake.identify_count == 1


async def test_file_upload_is_recorded(fake: FakeDiscord, bot: discord.Client) -> None:
    channel = bot.get_channel(fake.channel("news").id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("report", file=discord.File(io.BytesIO(b"a,b\n1,2\n"), "report.csv"))
    [posted] = fake.messages_in("news")
    assert posted["content"] == "report"
    assert [(a["filename"], a["size"]) for a in posted["attachments"]] == [("report.csv", 8)]


def _command(**overrides: Any) -> dict[str, Any]:
    return {"name": "news", "description": "News", "type": 1, **overrides}


def _option(name: str, **overrides: Any) -> dict[str, Any]:
    return {"name": name, "description": "An option", "type": 3, **overrides}


@pytest.mark.parametrize(
    ("command", "error_path"),
    [
        (_command(name="News"), "0.name"),
        (_command(name="two words"), "0.name"),
        (_command(name="x" * 33), "0.name"),
        (_command(description=""), "0.description"),
        (_command(options=[_option(f"o{i}") for i in range(26)]), "0.options"),
        (
            _command(
                options=[
                    {
                        "name": "grp",
                        "description": "g",
                        "type": 2,
                        "options": [
                            {"name": f"s{i}", "description": "s", "type": 1} for i in range(26)
                        ],
                    }
                ]
            ),
            "0.options.0.options",
        ),
        (
            _command(
                options=[_option("q", choices=[{"name": f"c{i}", "value": "v"} for i in range(26)])]
            ),
            "0.options.0.choices",
        ),
        (_command(options=[_option("q", choices=[{"name": "n" * 101, "value": "v"}])]), "name"),
        (_command(options=[_option("Query")]), "0.options.0.name"),
        (_command(options=[_option("a"), _option("a")]), "0.options.1.name"),
        (_command(options=[_option("a"), _option("b", required=True)]), "required"),
        (
            _command(
                options=[
                    {
                        "name": f"sub{i}",
                        "description": "d" * 100,
                        "type": 1,
                        "options": [_option(f"o{j}", description="d" * 100) for j in range(5)],
                    }
                    for i in range(8)
                ]
            ),
            "0._errors",
        ),
    ],
)
def test_command_validation_rejects(command: dict[str, Any], error_path: str) -> None:
    with pytest.raises(DiscordHTTPError) as excinfo:
        validate_commands([command])
    assert excinfo.value.status == 400
    assert excinfo.value.body["code"] == 50035
    assert error_path in ".".join(_error_paths(excinfo.value.body["errors"]))


def test_command_validation_accepts_limits() -> None:
    options = [_option(f"o{i}", description="d" * 100) for i in range(25)]
    validate_commands([_command(name="n" * 32, description="d" * 100, options=options[:20])])
    assert command_size(_command(options=options)) > 2500


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"embeds": [{"title": "t"}] * 11}, "embeds"),
        ({"embeds": [{"description": "d" * 4097}]}, "embeds.0.description"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, "embeds.0.fields"),
        ({"embeds": [{"fields": [{"name": "n" * 257, "value": "v"}]}]}, "fields.0.name"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "fields.0.value"),
        ({"embeds": [{"footer": {"text": "f" * 2049}}]}, "footer.text"),
        ({"embeds": [{"author": {"name": "a" * 257}}]}, "author.name"),
        ({"content": "c" * 2001}, "content"),
        ({"content": "hi", "nonce": "n" * 26, "enforce_nonce": True}, "nonce"),
    ],
)
def test_message_validation_rejects(payload: dict[str, Any], fragment: str) -> None:
    with pytest.raises(DiscordHTTPError) as excinfo:
        validate_message(payload, creating=True)
    assert fragment in ".".join(_error_paths(excinfo.value.body["errors"]))


def _error_paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        paths.append(path)
        if isinstance(value, dict):
            paths.extend(_error_paths(value, path))
    return paths


BOT_SCRIPT = """
import asyncio, os, discord

async def main():
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)

    @client.event
    async def on_ready():
        channel = client.get_channel(int(os.environ["CHANNEL_ID"]))
        for i in range(3):
            await channel.send(f"post {i}", nonce=f"post-{i}")
        await client.close()

    await client.start(os.environ["TOKEN"])

asyncio.run(main())
"""


def test_bot_in_another_process_posts_to_out_of_process_fake(tmp_path: Path) -> None:
    (tmp_path / "fakebot.py").write_text(BOT_SCRIPT)
    root = Path(__file__).resolve().parents[1]
    with FakeDiscordProcess(state_file=tmp_path / "state.json") as proc:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root)]),
            "TOKEN": proc.info["token"],
            "CHANNEL_ID": str(DEFAULT_CHANNEL_IDS["news"]),
        }
        cmd = [sys.executable, "-m", "tests.support.discord_client"]
        cmd += ["--fake-url", proc.base_url, "-m", "fakebot"]
        subprocess.run(cmd, cwd=root, env=env, check=True, timeout=30)
        posted = proc.messages(channel_id=DEFAULT_CHANNEL_IDS["news"])
    assert [m["content"] for m in posted] == ["post 0", "post 1", "post 2"]
    assert json.loads((tmp_path / "state.json").read_text())["message_count"] == 3
