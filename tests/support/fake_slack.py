"""A local fake of Slack's Web API and Socket Mode, on 127.0.0.1, for end-to-end tests.

The real slack_sdk / slack-bolt clients talk to it unchanged: `AsyncWebClient(base_url=
fake.api_url)`, and `apps.connections.open` hands out a websocket URL on this server,
so `AsyncSocketModeHandler` connects here. Tests push envelopes in (slash commands,
app mentions, button clicks) and read what comes out: socket acks, `response_url`
posts and messages posted with `chat.postMessage`.

It keeps what Slack enforces and newsbot relies on: tokens, Block Kit limits (a
message over them is rejected with `invalid_blocks`, as Slack does), channels a bot
is not in, archived and private channels, message metadata returned only with
`include_all_metadata`, and queued failures such as a 429 with Retry-After.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

TEAM_ID = "T0FAKE001"
APP_ID = "A0FAKE001"
BOT_USER_ID = "UBOT00001"
BOT_ID = "BBOT00001"

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 3000
MAX_BUTTONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_TEXT = 40_000
# What Slack turns into a notification: @channel/@here/@everyone, a user, a user group.
MENTION = re.compile(r"<(?:!channel|!here|!everyone|@[UW][A-Z0-9]+|!subteam\^[A-Z0-9]+)[^>]*>")


@dataclass
class Channel:
    id: str
    name: str
    members: set[str] = field(default_factory=set)
    is_private: bool = False
    is_archived: bool = False

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_member": BOT_USER_ID in self.members,
        }


@dataclass
class Request:
    method: str
    args: dict[str, Any]
    status: int
    error: str | None


@dataclass
class Envelope:
    """One envelope pushed over Socket Mode, and what came back for it."""

    id: str
    payload: dict[str, Any]
    response_url: str | None
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    ack: dict[str, Any] | None = None


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def block_kit_problems(message: dict[str, Any]) -> list[str]:
    """Every Block Kit limit a message breaks (empty when Slack would accept it)."""
    problems: list[str] = []
    text = message.get("text")
    blocks = message.get("blocks") or []
    if not isinstance(text, str) or not text:
        problems.append("no fallback text")
    elif len(text) > MAX_TEXT:
        problems.append(f"text is {len(text)} characters")
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks")
    action_ids: list[str] = []
    for index, block in enumerate(blocks):
        problems.extend(f"blocks[{index}]: {p}" for p in _block_problems(block, action_ids))
    if len(action_ids) != len(set(action_ids)):
        problems.append("repeated action_id")
    return problems


def _text_problems(obj: Any, limit: int, kind: str | None = None) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return ["not a text object"]
    if kind and obj["type"] != kind:
        return [f"must be {kind}"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return ["empty text"]
    return [f"text of {len(text)} > {limit}"] if len(text) > limit else []


def _block_problems(block: dict[str, Any], action_ids: list[str]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return _text_problems(block.get("text"), MAX_HEADER, "plain_text")
    if kind == "divider":
        return []
    if kind == "section":
        found = []
        if "text" in block:
            found += _text_problems(block["text"], MAX_SECTION_TEXT)
        fields = block.get("fields")
        if fields is not None:
            if not 1 <= len(fields) <= MAX_FIELDS:
                found.append(f"{len(fields)} fields")
            for item in fields:
                found += _text_problems(item, MAX_FIELD_TEXT)
        if "text" not in block and not fields:
            found.append("a section needs text or fields")
        return found
    if kind == "context":
        elements = block.get("elements") or []
        found = [] if 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS else ["context elements"]
        for element in elements:
            found += _text_problems(element, MAX_CONTEXT_TEXT)
        return found
    if kind == "actions":
        elements = block.get("elements") or []
        found = [] if 1 <= len(elements) <= MAX_BUTTONS else [f"{len(elements)} buttons"]
        for element in elements:
            found += _text_problems(element.get("text"), MAX_BUTTON_TEXT, "plain_text")
            action_id = str(element.get("action_id", ""))
            action_ids.append(action_id)
            if not 0 < len(action_id) <= MAX_ACTION_ID:
                found.append("action_id length")
            if len(str(element.get("value", ""))) > MAX_BUTTON_VALUE:
                found.append("button value too long")
        return found
    return [f"unknown block type {kind!r}"]


def mentions(message: dict[str, Any]) -> list[str]:
    """Mentions Slack would notify for in a message's fallback text and mrkdwn."""
    texts = [str(message.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                texts.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks") or [])
    return [m for text in texts for m in MENTION.findall(text)]


class FakeSlack:
    """Slack's Web API under /api/, Socket Mode at /link, response URLs at /respond/<n>."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-fake-bot-token",
        app_token: str = "xapp-fake-app-token",
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[Request] = []
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.rejected: list[tuple[str, list[str]]] = []
        self.envelopes: dict[str, Envelope] = {}
        self._failures: list[tuple[str, int, str, dict[str, str]]] = []
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._connected = asyncio.Event()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        # Once this many messages are posted, chat.postMessage stores each message but never
        # answers: the bot has sent a post it cannot record (the crash window).
        self.hold_after: int | None = None
        self.held = 0
        self._release = asyncio.Event()
        self.port = 0
        self._add_defaults()

    # -- set-up -------------------------------------------------------------------------------

    def _add_defaults(self) -> None:
        self.add_channel("CNEWS0001", "news", member=True)
        self.add_channel("CGENERAL1", "general")
        self.add_channel("CSECRET01", "secret", private=True)
        self.add_channel("COLD00001", "old", archived=True, member=True)
        self.add_user("UBOB00001", "bob")
        self.add_user("UADA00001", "ada", is_admin=True)
        self.add_user("UOWEN0001", "owen", is_owner=True)
        self.add_user("UGRACE001", "grace")
        self.add_user("UCONF0001", "conf")
        self.usergroups["SEDITORS1"] = ["UGRACE001"]

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        member: bool = False,
        private: bool = False,
        archived: bool = False,
    ) -> Channel:
        channel = Channel(channel_id, name, {BOT_USER_ID} if member else set(), private, archived)
        self.channels[channel_id] = channel
        self.messages.setdefault(channel_id, [])
        return channel

    def add_user(self, user_id: str, name: str, **flags: bool) -> None:
        self.users[user_id] = {"id": user_id, "name": name, "team_id": TEAM_ID, **flags}

    def fail_next(
        self, method: str, error: str = "ratelimited", status: int = 429, retry_after: int = 0
    ) -> None:
        """The next call of `method` fails with `error` (a 429 carries Retry-After)."""
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        self._failures.append((method, status, error, headers))

    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link", self._socket)
        app.router.add_post("/respond/{id}", self._respond)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # -- what tests read ----------------------------------------------------------------------

    def messages_in(self, channel_id: str) -> list[dict[str, Any]]:
        return list(self.messages.get(channel_id, []))

    def calls(self, method: str) -> list[Request]:
        return [r for r in self.requests if r.method == method]

    async def wait_connected(self, within: float = 5.0) -> None:
        await asyncio.wait_for(self._connected.wait(), within)

    async def wait_for(self, predicate: Callable[[], Any], within: float = 5.0) -> Any:
        """Wait until `predicate()` is truthy (checked whenever the fake records something)."""

        async def check() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(check(), within)

    async def wait_for_ack(self, envelope: Envelope, within: float = 3.0) -> dict[str, Any]:
        await asyncio.wait_for(envelope.acked.wait(), within)
        return envelope.ack or {}

    async def wait_for_response(self, envelope: Envelope, count: int = 1) -> dict[str, Any]:
        """The `count`-th post to the envelope's response_url."""
        assert envelope.response_url is not None
        key = envelope.response_url.rsplit("/", 1)[1]
        posts = await self.wait_for(lambda: len(self.responses.get(key, [])) >= count and True)
        assert posts
        return self.responses[key][count - 1]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- what tests send ----------------------------------------------------------------------

    async def _push(self, kind: str, payload: dict[str, Any], response_url: str | None) -> Envelope:
        envelope = Envelope(f"env-{next(self._ids)}", payload, response_url)
        self.envelopes[envelope.id] = envelope
        message = {
            "envelope_id": envelope.id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        await self.wait_connected()
        await self._sockets[-1].send_str(json.dumps(message))
        return envelope

    def _response_url(self) -> str:
        key = str(next(self._ids))
        self.responses[key] = []
        return f"{self.base_url}/respond/{key}"

    async def slash(
        self, text: str, *, user: str = "UBOB00001", channel: str = "CNEWS0001"
    ) -> Envelope:
        """A member types `/news <text>` in `channel`."""
        url = self._response_url()
        payload = {
            "token": "verification-token",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": self.channels[channel].name if channel in self.channels else "?",
            "user_id": user,
            "user_name": self.users.get(user, {}).get("name", "someone"),
            "command": "/news",
            "text": escape(text),  # as Slack sends what a member typed
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": url,
            "trigger_id": f"trigger-{next(self._ids)}",
        }
        return await self._push("slash_commands", payload, url)

    async def mention(
        self,
        text: str,
        *,
        user: str = "UBOB00001",
        channel: str = "CNEWS0001",
        thread_ts: str | None = None,
    ) -> Envelope:
        """A member writes `@newsbot <text>` in `channel` (in a thread: `thread_ts`)."""
        ts = self._next_ts()
        event = {
            **({"thread_ts": thread_ts} if thread_ts else {}),
            "type": "app_mention",
            "user": user,
            "text": f"<@{BOT_USER_ID}> {escape(text)}",
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
        }
        payload = {
            "token": "verification-token",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{next(self._ids)}",
            "event_time": 1_700_000_000,
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        return await self._push("events_api", payload, None)

    async def click(
        self,
        message: dict[str, Any],
        label: str,
        *,
        user: str = "UBOB00001",
        channel: str = "CNEWS0001",
    ) -> Envelope:
        """A member clicks the button whose text contains `label` in `message`."""
        button = next(
            element
            for block in message.get("blocks", [])
            if block.get("type") == "actions"
            for element in block["elements"]
            if label in element["text"]["text"]
        )
        url = self._response_url()
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": self.users.get(user, {}).get("name", "someone")},
            "api_app_id": APP_ID,
            "token": "verification-token",
            "container": {"type": "message", "message_ts": "1.0", "channel_id": channel},
            "trigger_id": f"trigger-{next(self._ids)}",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "channel": {"id": channel, "name": self.channels[channel].name},
            "message": message,
            "response_url": url,
            "actions": [
                {
                    "action_id": button["action_id"],
                    "block_id": "b1",
                    "text": button["text"],
                    "value": button["value"],
                    "type": "button",
                    "action_ts": self._next_ts(),
                }
            ],
        }
        return await self._push("interactive", payload, url)

    # -- the server ---------------------------------------------------------------------------

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": APP_ID}}
        await socket.send_str(json.dumps(hello))
        self._connected.set()
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                ack = json.loads(message.data)
                envelope = self.envelopes.get(ack.get("envelope_id", ""))
                if envelope is not None:
                    envelope.ack = ack
                    envelope.acked.set()
                    await self._notify()
        finally:
            self._sockets.remove(socket)
            if not self._sockets:
                self._connected.clear()
        return socket

    async def _respond(self, request: web.Request) -> web.Response:
        key = request.match_info["id"]
        body = await request.json()
        if key not in self.responses:
            return web.Response(status=404, text="no_response_url")
        problems = block_kit_problems(body)
        if problems:
            self.rejected.append((f"response {key}", problems))
            return web.Response(status=400, text="invalid_blocks")
        self.responses[key].append(body)
        await self._notify()
        return web.Response(text="ok")

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != wanted:
            return self._answer(method, args, {"ok": False, "error": "invalid_auth"})
        for index, (failing, status, error, headers) in enumerate(self._failures):
            if failing == method:
                del self._failures[index]
                return self._answer(method, args, {"ok": False, "error": error}, status, headers)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return self._answer(method, args, {"ok": False, "error": "unknown_method"}, 404)
        body = handler(args)
        if isinstance(body, str):
            body = {"ok": False, "error": body}
        response = self._answer(method, args, body)
        await self._notify()
        if method == "chat.postMessage" and self._holding():
            self.held += 1
            await self._notify()
            await self._release.wait()  # the fake stops: its answer goes nowhere
        return response

    def _holding(self) -> bool:
        posted = sum(len(messages) for messages in self.messages.values())
        return self.hold_after is not None and posted >= self.hold_after

    def _answer(
        self,
        method: str,
        args: dict[str, Any],
        body: dict[str, Any],
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        body = {"ok": True, **body} if "ok" not in body else body
        self.requests.append(Request(method, args, status, body.get("error")))
        # Slack answers application/json; charset=utf-8, which slack_sdk requires.
        return web.json_response(body, status=status, headers=headers)

    # -- Web API methods: each returns a body, or an error code ---------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "user": "newsbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/link?ticket={next(self._ids)}"}

    def _postable(self, channel_id: str) -> Channel | str:
        channel = self.channels.get(channel_id)
        if channel is None or (channel.is_private and BOT_USER_ID not in channel.members):
            return "channel_not_found"
        if channel.is_archived:
            return "is_archived"
        if BOT_USER_ID not in channel.members:
            return "not_in_channel"
        return channel

    def _message(self, args: dict[str, Any]) -> dict[str, Any] | str:
        message = {k: args[k] for k in ("text", "blocks", "thread_ts") if k in args}
        if isinstance(message.get("blocks"), str):
            message["blocks"] = json.loads(message["blocks"])
        problems = block_kit_problems(message)
        if problems:
            self.rejected.append((str(args.get("channel")), problems))
            return "invalid_blocks"
        return message

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = self._postable(str(args.get("channel", "")))
        if isinstance(channel, str):
            return channel
        message = self._message(args)
        if isinstance(message, str):
            return message
        message.update(type="message", ts=self._next_ts(), user=BOT_USER_ID, bot_id=BOT_ID)
        metadata = args.get("metadata")
        if metadata:
            message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        self.messages[channel.id].append(message)
        return {"channel": channel.id, "ts": message["ts"], "message": message}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = self._postable(str(args.get("channel", "")))
        if isinstance(channel, str) and channel != "not_in_channel":
            return channel
        message = self._message(args)
        if isinstance(message, str):
            return message
        message.update(type="ephemeral", user=args.get("user"), ts=self._next_ts())
        self.messages.setdefault("ephemeral", []).append(message)
        return {"message_ts": message["ts"]}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = self._postable(str(args.get("channel", "")))
        if isinstance(channel, str) and channel != "is_archived":
            return channel
        found = self.channels[str(args["channel"])]
        newest_first = list(reversed(self.messages[found.id]))
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        page = newest_first[start : start + limit]
        if str(args.get("include_all_metadata", "")).lower() not in ("1", "true"):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(newest_first)
        cursor = str(start + limit) if more else ""
        return {"messages": page, "has_more": more, "response_metadata": {"next_cursor": cursor}}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = self.channels.get(str(args.get("channel", "")))
        if channel is None or (channel.is_private and BOT_USER_ID not in channel.members):
            return "channel_not_found"
        return {"channel": channel.info()}

    def _conversations_join(self, args: dict[str, Any]) -> dict[str, Any] | str:
        channel = self.channels.get(str(args.get("channel", "")))
        if channel is None:
            return "channel_not_found"
        if channel.is_private:
            return "method_not_supported_for_channel_type"
        if channel.is_archived:
            return "is_archived"
        channel.members.add(BOT_USER_ID)
        return {"channel": channel.info()}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any] | str:
        user = self.users.get(str(args.get("user", "")))
        return {"user": user} if user else "user_not_found"

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any] | str:
        users = self.usergroups.get(str(args.get("usergroup", "")))
        return {"users": users} if users is not None else "no_such_subteam"
