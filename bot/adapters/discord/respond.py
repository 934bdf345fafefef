"""Acknowledge an interaction in time, then show a rendered reply.

Discord drops an interaction that is not acknowledged within 3 seconds. Every
command runs as a task; if it has not finished after `ACK_AFTER` seconds the
interaction is deferred, and the answer is sent by editing the deferred response.
Error replies are shown only to the member who asked (ephemeral).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any

import discord

from bot import commands as core
from bot.adapters.discord.render import refusal, render_embeds
from bot.commands import Commands
from bot.models import Reply

if TYPE_CHECKING:
    from bot.adapters.discord.views import PagerView

log = logging.getLogger(__name__)

ACK_AFTER = 1.0


def command_context(interaction: discord.Interaction) -> tuple[Any, ...]:
    """Where the command was typed, for cores whose `Commands.run` takes a context.

    The core's `CommandContext(channel, is_admin)` is passed when it exists (a
    Discord member is an admin when they have Manage Server), so channel-bound
    commands such as subscribe act on this channel.
    """
    factory = getattr(core, "CommandContext", None)
    if factory is None:
        return ()
    channel = f"discord:{interaction.channel_id}"
    return (factory(channel=channel, is_admin=interaction.permissions.manage_guild),)


def run_command(
    commands: Commands,
    name: str,
    options: Mapping[str, Any],
    interaction: discord.Interaction,
) -> Awaitable[Reply]:
    return commands.run(name, options, *command_context(interaction))


async def run_acknowledged(
    interaction: discord.Interaction, work: Awaitable[Reply], *, update: bool = False
) -> Reply:
    """Await `work`, deferring the interaction if it takes longer than `ACK_AFTER`.

    `update=True` is for component clicks: the deferral then keeps the message as it
    is (no "thinking..." placeholder) until it is edited.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=ACK_AFTER)
        if not done:
            if update:
                await interaction.response.defer()
            else:
                await interaction.response.defer(thinking=True)
        return await task
    finally:
        if not task.done():
            task.cancel()


async def show_reply(
    interaction: discord.Interaction, reply: Reply, view: PagerView | None = None
) -> None:
    """Answer a slash command with `reply` (ephemeral when it is an error)."""
    embeds = render_embeds(reply)
    if reply.error:
        await show_private(interaction, embeds)
        return
    if interaction.response.is_done():
        if view is not None:
            await interaction.edit_original_response(embeds=embeds, view=view)
        else:
            await interaction.edit_original_response(embeds=embeds)
    elif view is not None:
        await interaction.response.send_message(embeds=embeds, view=view)
    else:
        await interaction.response.send_message(embeds=embeds)


async def show_page(interaction: discord.Interaction, reply: Reply, view: PagerView) -> None:
    """Replace the paged message with another page (after a button click)."""
    embeds = render_embeds(reply)
    if reply.error:
        await show_private(interaction, embeds, replace_original=False)
    elif interaction.response.is_done():
        await interaction.edit_original_response(embeds=embeds, view=view)
    else:
        await interaction.response.edit_message(embeds=embeds, view=view)


async def show_private(
    interaction: discord.Interaction,
    embeds: list[discord.Embed],
    *,
    replace_original: bool = True,
) -> None:
    """Show `embeds` to the member only, whatever state the interaction is in.

    After a public deferral ("newsbot is thinking..."), a follow-up would only
    replace that public placeholder (its visibility was fixed by the deferral). So
    the placeholder is completed first, the private message follows, and the
    public one is then deleted: if anything fails on the way, the member still
    sees the message.
    """
    if not interaction.response.is_done():
        await interaction.response.send_message(embeds=embeds, ephemeral=True)
        return
    public_placeholder = replace_original and (
        interaction.response.type is discord.InteractionResponseType.deferred_channel_message
    )
    if public_placeholder:
        await interaction.edit_original_response(embeds=embeds)
    await interaction.followup.send(embeds=embeds, ephemeral=True)
    if public_placeholder:
        with contextlib.suppress(discord.HTTPException):
            await interaction.delete_original_response()


async def report_failure(interaction: discord.Interaction, what: str) -> str:
    """Log an unexpected failure with a short reference the member can quote to an admin."""
    reference = uuid.uuid4().hex[:8]
    log.exception("%s failed (reference %s)", what, reference)
    embeds = refusal(
        "Something went wrong on our side",
        "Please try again later. If it keeps happening, tell an admin the reference "
        f"`{reference}`.",
    )
    try:
        await show_private(interaction, embeds)
    except discord.HTTPException:
        log.warning("could not tell the member about failure %s", reference)
    return reference
