"""The `/news` command group, generated from the core's COMMANDS table.

discord.py reads a command's options from its callback's signature, so each
subcommand gets a callback whose `__signature__` is built from the spec's
Option list (types, ranges, defaults), plus the attributes discord.py's
decorators would set (descriptions, choices, autocomplete). A command added to
COMMANDS therefore appears here without touching this module.

Two Discord rules shape the translation:
- The client accepts only digits in an integer option, so an integer option that
  autocompletes (article titles) is a string option here whose value is the id;
  the core converts it and checks its range.
- Discord has no per-subcommand default permissions (only a top-level command
  has `default_member_permissions`), so admin subcommands are checked here: a
  member without Manage Server gets a polite ephemeral refusal.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord.render import (
    CHOICE_NAME_LIMIT,
    CHOICES_LIMIT,
    choice_name,
    command_description,
    refusal,
)
from bot.adapters.discord.respond import (
    report_failure,
    run_acknowledged,
    run_command,
    show_reply,
)
from bot.adapters.discord.views import PagerView
from bot.commands import COMMANDS, Commands, CommandSpec, Option

log = logging.getLogger(__name__)

GROUP_NAME = "news"
GROUP_DESCRIPTION = "News: latest articles, search, summaries and topics"

AutocompleteCallback = Callable[
    [discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]
]


def discord_type(option: Option) -> Any:
    """The annotation discord.py turns into the option's type, range or length."""
    if option.kind is int and not option.autocomplete:
        return app_commands.Range[int, option.min_value, option.max_value]
    if option.max_length is not None:
        return app_commands.Range[str, 1, option.max_length]
    return str


def _autocompleter(commands: Commands, source: str) -> AutocompleteCallback | None:
    store = commands.store

    async def articles(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            found = await store.article_title_matches(
                current, CHOICES_LIMIT, up_to=commands.today()
            )
        except Exception:
            log.exception("article autocomplete failed for %r", current)
            return []
        return [
            app_commands.Choice(name=choice_name(f"#{article_id} {title}"), value=str(article_id))
            for article_id, title in found
        ]

    async def topics(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            found = await store.topic_label_matches(
                current, CHOICES_LIMIT, CHOICE_NAME_LIMIT, up_to=commands.today()
            )
        except Exception:
            log.exception("topic autocomplete failed for %r", current)
            return []
        return [app_commands.Choice(name=choice_name(label), value=label) for label in found]

    sources: dict[str, AutocompleteCallback] = {"article": articles, "topic": topics}
    if source not in sources:
        log.warning("no Discord autocomplete for %r options; typing stays free", source)
    return sources.get(source)


def _may_run(spec: CommandSpec, interaction: discord.Interaction) -> bool:
    return not spec.admin or interaction.permissions.manage_guild


def build_subcommand(
    spec: CommandSpec, commands: Commands, parent: app_commands.Group
) -> app_commands.Command[Any, ..., None]:
    """One `/news <name>` subcommand whose options mirror `spec.options`."""

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        try:
            if not _may_run(spec, interaction):
                await interaction.response.send_message(
                    embeds=refusal(
                        f"/news {spec.name} is for server managers",
                        "You need the Manage Server permission to use it. "
                        "Ask a server admin if you think you should have it.",
                    ),
                    ephemeral=True,
                )
                return
            options = {name: value for name, value in values.items() if value is not None}
            reply = await run_acknowledged(
                interaction, run_command(commands, spec.name, options, interaction)
            )
            await show_reply(interaction, reply, PagerView.for_reply(commands, reply, interaction))
        except Exception:
            await report_failure(interaction, f"/news {spec.name}")

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    descriptions: dict[str, str] = {}
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    autocomplete: dict[str, AutocompleteCallback] = {}
    for option in spec.options:
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=discord_type(option),
                default=inspect.Parameter.empty if option.required else None,
            )
        )
        descriptions[option.name] = command_description(option.description)
        if option.choices:
            choices[option.name] = [
                app_commands.Choice(name=choice_name(value), value=value)
                for value in option.choices[:CHOICES_LIMIT]
            ]
        elif option.autocomplete and (found := _autocompleter(commands, option.autocomplete)):
            autocomplete[option.name] = found
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = descriptions  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_choices__ = choices  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_autocomplete__ = autocomplete  # type: ignore[attr-defined]
    callback.__qualname__ = callback.__name__ = f"news_{spec.name}"
    return app_commands.Command(
        name=spec.name,
        description=command_description(spec.description),
        callback=callback,
        parent=parent,
    )


def build_news_group(
    commands: Commands, specs: Sequence[CommandSpec] = COMMANDS
) -> app_commands.Group:
    """The `/news` group with one subcommand per spec (Discord allows 25)."""
    group = app_commands.Group(name=GROUP_NAME, description=command_description(GROUP_DESCRIPTION))
    for spec in specs:
        group.add_command(build_subcommand(spec, commands, group))
    return group


class NewsTree(app_commands.CommandTree[discord.Client]):
    """A command tree whose errors become a friendly ephemeral message with a reference."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        if isinstance(error, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
            # Discord still shows an older definition (a sync is on its way).
            if not interaction.response.is_done():
                await interaction.response.send_message(
                    embeds=refusal(
                        "This command was just updated",
                        "Discord is still showing the old version; try again in a minute.",
                    ),
                    ephemeral=True,
                )
            return
        try:
            raise error
        except app_commands.AppCommandError:
            name = interaction.command.qualified_name if interaction.command else "a command"
            await report_failure(interaction, f"/{name}")
