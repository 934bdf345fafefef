"""The Slack bot: Bolt's AsyncApp in Socket Mode, one `/news` command, the publisher.

`/news <command> [options]` takes exactly what the console takes (the console's
parser reads it). Every handler acknowledges first (Slack drops what is not
acknowledged within 3 s), then works, then answers through `respond()` (or in
the channel, for an app mention); errors and refusals are ephemeral. Prev/Next
buttons name their asker in their value, so only the asker can page.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.admins import SlackAdmins
from bot.adapters.slack.publisher import SlackPublisher
from bot.adapters.slack.render import (
    PAGE_ACTION,
    PICK_ACTION,
    Message,
    decode_page,
    decode_pick,
    paging_actions,
    pick_actions,
    render_message,
    unescape,
)
from bot.commands import (
    COMMANDS_BY_NAME,
    CommandContext,
    CommandError,
    Commands,
    parse_command_line,
)
from bot.config import AdminConfig, Settings, SettingsError
from bot.models import Reply

log = logging.getLogger(__name__)

OnReady = Callable[[SlackPublisher], Awaitable[None]]
Respond = Callable[..., Awaitable[Any]]
PICKER_ARTICLES = 5
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


@dataclasses.dataclass(frozen=True)
class Answer:
    message: Message
    private: bool  # shown only to the member who asked

    def respond_kwargs(self) -> dict[str, Any]:
        kind = "ephemeral" if self.private else "in_channel"
        return {**self.message.as_kwargs(), "response_type": kind}


def _failure(what: str) -> Answer:
    """An unexpected failure: a short reference the member can quote, the rest in the log."""
    reference = uuid.uuid4().hex[:8]
    log.exception("%s failed (reference %s)", what, reference)
    reply = Reply(
        title="Something went wrong on our side",
        text=f"Please try again later. If it keeps happening, tell an admin the reference "
        f"{reference}.",
        error=True,
    )
    return Answer(render_message(reply), private=True)


class _SameToken(logging.Filter):
    """Bolt warns that the client's token wins over SLACK_BOT_TOKEN; it is the same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


BOLT_LOG = logging.getLogger("slack_bolt")
BOLT_LOG.addFilter(_SameToken())


class SlackBot:
    """`/news`, app mentions and buttons answered through `Commands`."""

    def __init__(self, commands: Commands, client: AsyncWebClient, admins: SlackAdmins) -> None:
        self.commands = commands
        self.admins = admins
        self.publisher = SlackPublisher(client)
        self.app = AsyncApp(client=client, logger=BOLT_LOG)
        self.app.command("/news")(self._on_command)
        self.app.event("app_mention")(self._on_mention)
        self.app.action(re.compile(f"^{PAGE_ACTION}:"))(self._on_page)
        self.app.action(re.compile(f"^{PICK_ACTION}:"))(self._on_pick)

    # -- what to answer ---------------------------------------------------------------------

    async def _context(self, user: str, channel: str) -> CommandContext:
        return CommandContext(channel=f"slack:{channel}", is_admin=await self.admins.is_admin(user))

    async def answer_line(self, line: str, user: str, channel: str) -> Answer:
        """The answer to a `/news` line typed by `user` in `channel`."""
        picker = await self._picker(line)
        if picker is not None:
            return picker
        try:
            spec, values = parse_command_line(line)
        except CommandError as problem:
            return Answer(render_message(Commands.error(problem)), private=True)
        reply = await self.commands.run(spec.name, values, await self._context(user, channel))
        if spec.name == "subscribe" and not reply.error:
            reply = await self._joined(reply, channel)
        return Answer(render_message(reply, paging_actions(reply, user)), private=reply.error)

    async def _picker(self, line: str) -> Answer | None:
        """`/news summary` without an article: the latest articles as buttons to pick from
        (Slack has no autocomplete), for any command whose article is required."""
        words = line.split()
        spec = COMMANDS_BY_NAME.get(words[0].lower()) if len(words) == 1 else None
        wanted = [o for o in spec.options if o.autocomplete == "article"] if spec else []
        if spec is None or not wanted or not wanted[0].required:
            return None
        latest = await self.commands.run("latest", {"count": PICKER_ARTICLES})
        reply = dataclasses.replace(
            latest,
            title=f"Which article? /news {spec.name} <article>",
            footer="Pick one, or type its number.",
        )
        return Answer(render_message(reply, pick_actions(spec.name, latest)), private=True)

    async def _joined(self, reply: Reply, channel: str) -> Reply:
        """Join the channel a subscription posts to, or say why newsbot cannot."""
        problem = await self.publisher.join(channel)
        if problem is None:
            return reply
        return dataclasses.replace(reply, text=f"{reply.text}\n\n{problem}".strip())

    # -- Bolt listeners: acknowledge, work, answer ------------------------------------------

    async def _on_command(self, ack: Any, command: dict[str, Any], respond: Respond) -> None:
        await ack()
        line = unescape(str(command.get("text") or ""))
        try:
            answer = await self.answer_line(line, command["user_id"], command["channel_id"])
        except Exception:
            answer = _failure(f"/news {line!r}")
        await respond(**answer.respond_kwargs())

    async def _on_mention(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        line = unescape(_MENTION.sub(" ", str(event.get("text") or ""))).strip()
        user, channel = event["user"], event["channel"]
        try:
            answer = await self.answer_line(line or "help", user, channel)
        except Exception:
            answer = _failure(f"mention {line!r}")
        # A mention in a thread is answered in that thread.
        kwargs = {**answer.message.as_kwargs(), "thread_ts": event.get("thread_ts")}
        if answer.private:
            await client.chat_postEphemeral(channel=channel, user=user, **kwargs)
        else:
            await client.chat_postMessage(channel=channel, unfurl_links=False, **kwargs)

    async def turn_page(self, value: str, user: str, channel: str) -> Answer:
        """Another page of a reply, for the member who asked for it only."""
        command, options, owner = decode_page(value)
        if user != owner:
            refusal = Reply(
                title="These buttons belong to someone else",
                text="Run the command yourself to get your own copy you can page through.",
                error=True,
            )
            return Answer(render_message(refusal), private=True)
        reply = await self.commands.run(command, options, await self._context(user, channel))
        return Answer(render_message(reply, paging_actions(reply, owner)), private=reply.error)

    async def _on_page(self, ack: Any, body: dict[str, Any], respond: Respond) -> None:
        await ack()
        value = body["actions"][0]["value"]
        user, channel = body["user"]["id"], (body.get("channel") or {}).get("id", "")
        try:
            answer = await self.turn_page(value, user, channel)
        except Exception:
            answer = _failure(f"a page button {value!r}")
        if answer.private:
            await respond(**answer.respond_kwargs(), replace_original=False)
        else:
            await respond(**answer.message.as_kwargs(), replace_original=True)

    async def _on_pick(self, ack: Any, body: dict[str, Any], respond: Respond) -> None:
        await ack()
        value = body["actions"][0]["value"]
        user, channel = body["user"]["id"], (body.get("channel") or {}).get("id", "")
        try:
            command, article = decode_pick(value)
            reply = await self.commands.run(
                command, {"article": article}, await self._context(user, channel)
            )
            answer = Answer(render_message(reply, paging_actions(reply, user)), reply.error)
        except Exception:
            answer = _failure(f"a pick button {value!r}")
        await respond(**answer.respond_kwargs(), replace_original=False)


async def run_slack(
    commands: Commands,
    settings: Settings,
    config: AdminConfig,
    *,
    on_ready: OnReady | None = None,
) -> None:
    """Run the Slack bot in Socket Mode until cancelled.

    `on_ready(publisher)` is awaited once connected: the scheduler posts through
    the SlackPublisher from there.
    """
    if not (settings.slack_bot_token and settings.slack_app_token):
        raise SettingsError("SLACK_BOT_TOKEN and SLACK_APP_TOKEN must both be set")
    client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    await _check_tokens(client, settings.slack_app_token)
    admins = SlackAdmins(client, config.slack_admin_users, config.slack_admin_group)
    bot = SlackBot(commands, client, admins)
    handler = AsyncSocketModeHandler(bot.app, settings.slack_app_token, web_client=client)
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]  # Bolt leaves it unannotated
        log.info("slack: connected in socket mode")
        if on_ready is not None:
            await on_ready(bot.publisher)
        await asyncio.Event().wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def _check_tokens(client: AsyncWebClient, app_token: str) -> None:
    """Fail at start-up with a clear message instead of reconnecting forever."""
    try:
        await client.auth_test()
    except SlackApiError as exc:
        raise SettingsError(
            f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')}); copy the Bot User "
            "OAuth Token (xoxb-...) again from OAuth & Permissions"
        ) from exc
    try:
        await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        raise SettingsError(
            f"Slack rejected SLACK_APP_TOKEN ({exc.response.get('error')}); create an app-level "
            "token (xapp-...) with connections:write under Basic Information"
        ) from exc
