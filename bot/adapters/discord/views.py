"""Prev/Next buttons for replies that have more than one page.

The reply says how to fetch another page (`Reply.paging`): the same command with
`page=n`. Only the member who asked may turn the pages; after `PAGER_TIMEOUT`
without a click the buttons are removed.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.adapters.discord.render import refusal
from bot.adapters.discord.respond import (
    report_failure,
    run_acknowledged,
    run_command,
    show_page,
)
from bot.commands import Commands
from bot.models import Reply

log = logging.getLogger(__name__)

PAGER_TIMEOUT = 600.0


class PagerView(discord.ui.View):
    """Turns the pages of one reply for the member who asked for it."""

    def __init__(
        self,
        commands: Commands,
        reply: Reply,
        owner_id: int,
        interaction: discord.Interaction,
        *,
        timeout: float = PAGER_TIMEOUT,
    ) -> None:
        super().__init__(timeout=timeout)
        assert reply.paging is not None
        self.commands = commands
        self.paging = reply.paging
        self.command_name = reply.paging.command
        self.owner_id = owner_id
        self.page = reply.page
        self.pages = reply.pages
        # The latest interaction on this message: its token edits the message on timeout.
        self.interaction = interaction
        self._sync_buttons()

    @classmethod
    def for_reply(
        cls, commands: Commands, reply: Reply, interaction: discord.Interaction
    ) -> PagerView | None:
        """A pager when the reply has more pages, else None."""
        if reply.error or reply.paging is None or reply.pages <= 1:
            return None
        return cls(commands, reply, interaction.user.id, interaction)

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page <= 1
        self.next.disabled = self.page >= self.pages

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            embeds=refusal(
                "These buttons belong to someone else",
                "Run the command yourself to get your own copy you can page through.",
            ),
            ephemeral=True,
        )
        return False

    async def _turn(self, interaction: discord.Interaction, page: int) -> None:
        self.interaction = interaction
        try:
            reply = await run_acknowledged(
                interaction,
                run_command(
                    self.commands,
                    self.command_name,
                    self.paging.page(page),
                    interaction,
                ),
                update=True,
            )
            if not reply.error:
                self.page = reply.page
                self.pages = reply.pages
                self._sync_buttons()
            await show_page(interaction, reply, self)
        except Exception:
            await report_failure(interaction, f"page {page} of /news {self.command_name}")

    @discord.ui.button(label="Prev", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[PagerView]
    ) -> None:
        await self._turn(interaction, max(1, self.page - 1))

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[PagerView]
    ) -> None:
        await self._turn(interaction, min(self.pages, self.page + 1))

    async def on_timeout(self) -> None:
        try:
            await self.interaction.edit_original_response(view=None)
        except discord.HTTPException as exc:
            # The message may be gone, or the interaction token expired (15 minutes).
            log.debug("could not remove expired paging buttons: %s", exc)

    async def on_error(
        self,
        interaction: discord.Interaction,
        error: Exception,
        item: discord.ui.Item[Any],
        /,
    ) -> None:
        try:
            raise error
        except Exception:
            await report_failure(interaction, f"a button of /news {self.command_name}")
