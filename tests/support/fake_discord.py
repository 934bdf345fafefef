"""A local fake of Discord's REST API and gateway for end-to-end tests.

Why: the unmodified discord.py client can log in, sync commands, receive interactions and post
messages against 127.0.0.1, so tests exercise the real library code paths (rate-limit handling,
retries, nonce dedupe, validation errors) without network access or a real bot token.

Use it in-process (``async with FakeDiscord() as fake``; see ``tests.support.discord_client`` for
pointing discord.py at it) or as a separate process
(``python -m tests.support.fake_discord --port 0 --state-file state.json``, or the
``FakeDiscordProcess`` helper) and inspect it through the ``/_fake/*`` control endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
import zlib
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self, TypeVar

from aiohttp import BodyPartReader, WSMsgType, web

JSON = dict[str, Any]
T = TypeVar("T")

API_VERSION: Final = 10
DISCORD_EPOCH_MS: Final = 1_420_070_400_000
MAX_INTERACTION_TOKEN_AGE: Final = 15 * 60.0

# Gateway opcodes.
OP_DISPATCH: Final = 0
OP_HEARTBEAT: Final = 1
OP_IDENTIFY: Final = 2
OP_PRESENCE_UPDATE: Final = 3
OP_RESUME: Final = 6
OP_RECONNECT: Final = 7
OP_REQUEST_GUILD_MEMBERS: Final = 8
OP_INVALID_SESSION: Final = 9
OP_HELLO: Final = 10
OP_HEARTBEAT_ACK: Final = 11

# Interaction types.
INTERACTION_PING: Final = 1
INTERACTION_APPLICATION_COMMAND: Final = 2
INTERACTION_MESSAGE_COMPONENT: Final = 3
INTERACTION_AUTOCOMPLETE: Final = 4
INTERACTION_MODAL_SUBMIT: Final = 5

# Interaction callback types.
CALLBACK_PONG: Final = 1
CALLBACK_CHANNEL_MESSAGE: Final = 4
CALLBACK_DEFERRED_CHANNEL_MESSAGE: Final = 5
CALLBACK_DEFERRED_UPDATE_MESSAGE: Final = 6
CALLBACK_UPDATE_MESSAGE: Final = 7
CALLBACK_AUTOCOMPLETE_RESULT: Final = 8
CALLBACK_MODAL: Final = 9

ALLOWED_CALLBACKS: Final[Mapping[int, frozenset[int]]] = {
    INTERACTION_PING: frozenset({CALLBACK_PONG}),
    INTERACTION_APPLICATION_COMMAND: frozenset(
        {CALLBACK_CHANNEL_MESSAGE, CALLBACK_DEFERRED_CHANNEL_MESSAGE, CALLBACK_MODAL}
    ),
    INTERACTION_MESSAGE_COMPONENT: frozenset(
        {
            CALLBACK_CHANNEL_MESSAGE,
            CALLBACK_DEFERRED_CHANNEL_MESSAGE,
            CALLBACK_DEFERRED_UPDATE_MESSAGE,
            CALLBACK_UPDATE_MESSAGE,
            CALLBACK_MODAL,
        }
    ),
    INTERACTION_AUTOCOMPLETE: frozenset({CALLBACK_AUTOCOMPLETE_RESULT}),
    INTERACTION_MODAL_SUBMIT: frozenset(
        {
            CALLBACK_CHANNEL_MESSAGE,
            CALLBACK_DEFERRED_CHANNEL_MESSAGE,
            CALLBACK_DEFERRED_UPDATE_MESSAGE,
            CALLBACK_UPDATE_MESSAGE,
        }
    ),
}

# Application command (option) types.
COMMAND_CHAT_INPUT: Final = 1
OPTION_SUB_COMMAND: Final = 1
OPTION_SUB_COMMAND_GROUP: Final = 2
OPTION_STRING: Final = 3
OPTION_INTEGER: Final = 4
OPTION_BOOLEAN: Final = 5
OPTION_USER: Final = 6
OPTION_CHANNEL: Final = 7
OPTION_ROLE: Final = 8
OPTION_MENTIONABLE: Final = 9
OPTION_NUMBER: Final = 10
OPTION_ATTACHMENT: Final = 11

# Message flags.
FLAG_EPHEMERAL: Final = 1 << 6
FLAG_LOADING: Final = 1 << 7

# Permission bits used by the default world.
PERM_ADMINISTRATOR: Final = 1 << 3
PERM_MANAGE_GUILD: Final = 1 << 5
PERM_VIEW_CHANNEL: Final = 1 << 10
PERM_SEND_MESSAGES: Final = 1 << 11
PERM_MANAGE_MESSAGES: Final = 1 << 13
PERM_EMBED_LINKS: Final = 1 << 14
PERM_READ_MESSAGE_HISTORY: Final = 1 << 16
PERM_USE_APPLICATION_COMMANDS: Final = 1 << 31
ALL_PERMISSIONS: Final = (1 << 51) - 1
DEFAULT_EVERYONE_PERMISSIONS: Final = (
    PERM_VIEW_CHANNEL
    | PERM_SEND_MESSAGES
    | PERM_EMBED_LINKS
    | PERM_READ_MESSAGE_HISTORY
    | PERM_USE_APPLICATION_COMMANDS
)

# Gateway intents that need to be enabled in the developer portal.
PRIVILEGED_INTENTS: Final = (1 << 1) | (1 << 8) | (1 << 15)
INTENT_GUILD_MESSAGES: Final = 1 << 9

TEXT_CHANNEL_TYPES: Final = frozenset({0, 2, 5, 10, 11, 12, 13})

# Bucket names (``"<METHOD> <route template>"``) for ``FakeDiscord.set_bucket_limit``.
MESSAGE_CREATE_BUCKET: Final = "POST /channels/{channel_id}/messages"
INTERACTION_CALLBACK_BUCKET: Final = (
    "POST /interactions/{interaction_id}/{interaction_token}/callback"
)

RATE_LIMIT_MESSAGE: Final = "You are being rate limited."

# Default error bodies for injected failures, shaped like Discord's.
DEFAULT_ERROR_BODIES: Final[Mapping[int, JSON]] = {
    400: {"message": "400: Bad Request", "code": 0},
    401: {"message": "401: Unauthorized", "code": 0},
    403: {"message": "Missing Access", "code": 50001},
    404: {"message": "Unknown Channel", "code": 10003},
    405: {"message": "405: Method Not Allowed", "code": 0},
    500: {"message": "500: Internal Server Error", "code": 0},
}
# Cloudflare answers these with HTML rather than JSON.
HTML_ERROR_STATUSES: Final = frozenset({502, 503, 504, 520, 521, 522, 524})


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _bucket_hash(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:32]


def _ceil_ms(seconds: float) -> float:
    """Round up so a client sleeping exactly this long never wakes before the window resets."""
    return math.ceil(max(seconds, 0.0) * 1000) / 1000


class SnowflakeFactory:
    """Generates increasing, time-based snowflakes like Discord's."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(candidate, self._last + 1)
        return self._last


class DiscordHTTPError(Exception):
    """Raised by handlers to answer with a Discord-style error body."""

    def __init__(self, status: int, body: JSON, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def not_found(message: str, code: int) -> DiscordHTTPError:
    return DiscordHTTPError(404, {"message": message, "code": code})


class FormErrors:
    """Collects validation errors into Discord's nested ``errors`` tree (code 50035)."""

    def __init__(self) -> None:
        self.tree: JSON = {}

    def add(self, path: Sequence[str | int], code: str, message: str) -> None:
        node = self.tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def __bool__(self) -> bool:
        return bool(self.tree)

    def raise_if_any(self) -> None:
        if self.tree:
            raise DiscordHTTPError(
                400, {"code": 50035, "errors": self.tree, "message": "Invalid Form Body"}
            )


def _check_length(
    errors: FormErrors,
    path: Sequence[str | int],
    value: Any,
    *,
    low: int,
    high: int,
    required: bool = True,
) -> None:
    if value is None:
        if required:
            errors.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        return
    if not isinstance(value, str):
        errors.add(path, "BASE_TYPE_STRING", "Must be a string.")
        return
    if not low <= len(value) <= high:
        if low <= 0:
            errors.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {high} or fewer in length.")
        else:
            errors.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


# --------------------------------------------------------------------------------------------
# Application command validation
# --------------------------------------------------------------------------------------------

COMMAND_NAME_RE: Final = re.compile(r"^[-_\w]{1,32}$")
MAX_COMMAND_SIZE: Final = 4000


def command_size(command: Mapping[str, Any]) -> int:
    """Characters Discord counts against the 4000 limit: names, descriptions, choices."""

    def option_size(option: Mapping[str, Any]) -> int:
        total = len(str(option.get("name", ""))) + len(str(option.get("description", "")))
        for choice in option.get("choices") or []:
            total += len(str(choice.get("name", ""))) + len(str(choice.get("value", "")))
        return total + sum(option_size(o) for o in option.get("options") or [])

    return option_size(command)


def _validate_name(
    errors: FormErrors, path: Sequence[str | int], name: Any, *, lowercase: bool
) -> None:
    if (
        not isinstance(name, str)
        or not COMMAND_NAME_RE.match(name)
        or (lowercase and name != name.lower())
    ):
        errors.add(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")


def _validate_options(
    errors: FormErrors, path: list[str | int], options: Any, *, level: str
) -> None:
    """Validate an option list; ``level`` is ``command``, ``group`` or ``subcommand``."""
    if options is None:
        return
    if not isinstance(options, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(options) > 25:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen: set[str] = set()
    saw_optional = False
    kinds = {
        "sub" if o.get("type") in (OPTION_SUB_COMMAND, OPTION_SUB_COMMAND_GROUP) else "value"
        for o in options
        if isinstance(o, Mapping)
    }
    if len(kinds) > 1:
        errors.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command and sub-command group option types are mutually exclusive to all other "
            "types",
        )
    for index, option in enumerate(options):
        opath = [*path, index]
        if not isinstance(option, Mapping):
            errors.add(opath, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
            continue
        otype = option.get("type")
        if otype not in range(OPTION_SUB_COMMAND, OPTION_ATTACHMENT + 1):
            errors.add([*opath, "type"], "BASE_TYPE_CHOICES", "Value must be one of {1..11}.")
            continue
        name = option.get("name")
        _validate_name(errors, [*opath, "name"], name, lowercase=True)
        if isinstance(name, str):
            if name in seen:
                errors.add(
                    [*opath, "name"],
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    "Option names must be unique",
                )
            seen.add(name)
        _check_length(errors, [*opath, "description"], option.get("description"), low=1, high=100)
        if level == "group" and otype != OPTION_SUB_COMMAND:
            errors.add(
                [*opath, "type"],
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Sub-command groups may only contain sub-commands",
            )
        if level == "subcommand" and otype in (OPTION_SUB_COMMAND, OPTION_SUB_COMMAND_GROUP):
            errors.add(
                [*opath, "type"],
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Sub-commands may not contain sub-commands or groups",
            )
        if otype == OPTION_SUB_COMMAND_GROUP:
            _validate_options(errors, [*opath, "options"], option.get("options"), level="group")
            continue
        if otype == OPTION_SUB_COMMAND:
            _validate_options(
                errors, [*opath, "options"], option.get("options"), level="subcommand"
            )
            continue
        if option.get("required"):
            if saw_optional:
                errors.add(
                    [*opath, "required"],
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            saw_optional = True
        choices = option.get("choices")
        if choices:
            if otype not in (OPTION_STRING, OPTION_INTEGER, OPTION_NUMBER):
                errors.add(
                    [*opath, "choices"],
                    "APPLICATION_COMMAND_OPTION_CHOICES_INVALID",
                    "Choices are only allowed for string, integer and number options",
                )
            if option.get("autocomplete"):
                errors.add(
                    [*opath, "autocomplete"],
                    "APPLICATION_COMMAND_OPTIONS_AUTOCOMPLETE_INVALID",
                    "Autocomplete cannot be set when choices are present",
                )
            if len(choices) > 25:
                errors.add(
                    [*opath, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
                )
            for cindex, choice in enumerate(choices):
                cpath = [*opath, "choices", cindex]
                _check_length(errors, [*cpath, "name"], choice.get("name"), low=1, high=100)
                value = choice.get("value")
                if otype == OPTION_STRING:
                    _check_length(errors, [*cpath, "value"], value, low=1, high=100)
                elif not isinstance(value, int | float) or isinstance(value, bool):
                    errors.add([*cpath, "value"], "NUMBER_TYPE_COERCE", "Value is not a number.")
        for key in ("min_length", "max_length"):
            if key in option and not 0 <= int(option[key]) <= 6000:
                errors.add(
                    [*opath, key], "NUMBER_TYPE_MAX", "int value should be between 0 and 6000."
                )


def validate_command(command: Any, errors: FormErrors, path: list[str | int]) -> None:
    """Validate one application command definition the way Discord does."""
    if not isinstance(command, Mapping):
        errors.add(path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
        return
    ctype = command.get("type", COMMAND_CHAT_INPUT)
    if ctype == COMMAND_CHAT_INPUT:
        _validate_name(errors, [*path, "name"], command.get("name"), lowercase=True)
        _check_length(errors, [*path, "description"], command.get("description"), low=1, high=100)
        _validate_options(errors, [*path, "options"], command.get("options"), level="command")
    elif ctype in (2, 3):
        _check_length(errors, [*path, "name"], command.get("name"), low=1, high=32)
        if command.get("description"):
            errors.add(
                [*path, "description"],
                "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION_INVALID",
                "Context menu commands cannot have description",
            )
        if command.get("options"):
            errors.add(
                [*path, "options"],
                "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS_INVALID",
                "Context menu commands cannot have options",
            )
    elif ctype != 4:
        errors.add([*path, "type"], "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}.")
        return
    if command_size(command) > MAX_COMMAND_SIZE:
        errors.add(
            path,
            "APPLICATION_COMMAND_TOO_LARGE",
            f"Command exceeds maximum size ({MAX_COMMAND_SIZE})",
        )


def validate_commands(commands: Any) -> None:
    """Validate a bulk-overwrite body; raises ``DiscordHTTPError`` (400, 50035) on failure."""
    errors = FormErrors()
    if not isinstance(commands, list):
        errors.add([], "BASE_TYPE_ARRAY", "Must be an array.")
        errors.raise_if_any()
        return
    names: set[tuple[int, str]] = set()
    chat_inputs = 0
    for index, command in enumerate(commands):
        validate_command(command, errors, [index])
        if isinstance(command, Mapping):
            key = (int(command.get("type", COMMAND_CHAT_INPUT)), str(command.get("name")))
            if key in names:
                errors.add(
                    [index, "name"],
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique ({key[1]})",
                )
            names.add(key)
            chat_inputs += key[0] == COMMAND_CHAT_INPUT
    if chat_inputs > 100:
        errors.add([], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    errors.raise_if_any()


# --------------------------------------------------------------------------------------------
# Message validation
# --------------------------------------------------------------------------------------------

MAX_EMBED_TOTAL: Final = 6000


def embed_size(embed: Mapping[str, Any]) -> int:
    """Characters Discord counts towards the 6000 per-message embed budget."""
    total = len(str(embed.get("title") or "")) + len(str(embed.get("description") or ""))
    for fld in embed.get("fields") or []:
        total += len(str(fld.get("name") or "")) + len(str(fld.get("value") or ""))
    total += len(str((embed.get("footer") or {}).get("text") or ""))
    total += len(str((embed.get("author") or {}).get("name") or ""))
    return total


def validate_embeds(errors: FormErrors, embeds: Any, path: list[str | int]) -> None:
    if embeds is None:
        return
    if not isinstance(embeds, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    if len(embeds) > 10:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    for index, embed in enumerate(embeds):
        epath = [*path, index]
        if not isinstance(embed, Mapping):
            errors.add(epath, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
            continue
        _check_length(errors, [*epath, "title"], embed.get("title"), low=0, high=256,
                      required=False)  # fmt: skip
        _check_length(
            errors, [*epath, "description"], embed.get("description"), low=0, high=4096,
            required=False,
        )  # fmt: skip
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors.add([*epath, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        for findex, fld in enumerate(fields):
            fpath = [*epath, "fields", findex]
            _check_length(errors, [*fpath, "name"], fld.get("name"), low=1, high=256)
            _check_length(errors, [*fpath, "value"], fld.get("value"), low=1, high=1024)
        footer = embed.get("footer")
        if footer is not None:
            _check_length(errors, [*epath, "footer", "text"], footer.get("text"), low=1, high=2048)
        author = embed.get("author")
        if author is not None:
            _check_length(errors, [*epath, "author", "name"], author.get("name"), low=1, high=256)
    sized = [e for e in embeds if isinstance(e, Mapping)]
    if sum(embed_size(e) for e in sized) > MAX_EMBED_TOTAL:
        errors.add(
            path, "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}"
        )


def validate_message(
    payload: Mapping[str, Any], *, creating: bool, has_files: bool = False
) -> None:
    """Validate a message create/edit body; raises ``DiscordHTTPError`` like Discord would."""
    errors = FormErrors()
    content = payload.get("content")
    if content is not None:
        _check_length(errors, ["content"], content, low=0, high=2000)
    validate_embeds(errors, payload.get("embeds"), ["embeds"])
    components = payload.get("components")
    if components is not None and len(components) > 5 and not (payload.get("flags", 0) & 1 << 15):
        errors.add(["components"], "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
    nonce = payload.get("nonce")
    if nonce is not None:
        if isinstance(nonce, str):
            _check_length(errors, ["nonce"], nonce, low=0, high=25)
        elif not isinstance(nonce, int) or isinstance(nonce, bool):
            errors.add(["nonce"], "BASE_TYPE_STRING", "Must be a string or an integer.")
    errors.raise_if_any()
    if creating and not (
        content
        or payload.get("embeds")
        or payload.get("components")
        or payload.get("sticker_ids")
        or payload.get("poll")
        or has_files
    ):
        raise DiscordHTTPError(400, {"message": "Cannot send an empty message", "code": 50006})


# --------------------------------------------------------------------------------------------
# World model
# --------------------------------------------------------------------------------------------


@dataclass
class FakeUser:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
            "verified": True,
            "mfa_enabled": False,
        }


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "hoist": False,
            "managed": self.managed,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass
class FakeMember:
    user: FakeUser
    roles: list[int] = field(default_factory=list)
    nick: str | None = None

    def payload(self) -> JSON:
        return {
            "user": self.user.payload(),
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }


@dataclass
class FakeChannel:
    """A guild channel; ``bot_can_send=False`` makes message creates fail with 50013."""

    id: int
    name: str
    type: int = 0
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    bot_can_send: bool = True

    def payload(self, guild_id: int) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": str(self.parent_id) if self.parent_id else None,
        }
        if self.type in (0, 5):
            data.update(topic=self.topic, rate_limit_per_user=0, last_message_id=None)
        if self.type in (2, 13):
            data.update(bitrate=64000, user_limit=0, rtc_region=None, last_message_id=None)
        return data


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    channels: list[FakeChannel] = field(default_factory=list)
    roles: list[FakeRole] = field(default_factory=list)
    members: list[FakeMember] = field(default_factory=list)

    def channel(self, name_or_id: str | int) -> FakeChannel:
        for channel in self.channels:
            if name_or_id in (channel.name, channel.id, str(channel.id)):
                return channel
        raise KeyError(f"no channel {name_or_id!r} in guild {self.name!r}")

    def member(self, name_or_id: str | int) -> FakeMember:
        for member in self.members:
            if name_or_id in (member.user.username, member.user.id, str(member.user.id)):
                return member
        raise KeyError(f"no member {name_or_id!r} in guild {self.name!r}")

    def role(self, name_or_id: str | int) -> FakeRole:
        for role in self.roles:
            if name_or_id in (role.name, role.id, str(role.id)):
                return role
        raise KeyError(f"no role {name_or_id!r} in guild {self.name!r}")

    def permissions_for(self, member: FakeMember) -> int:
        """Guild-level permissions: @everyone plus the member's roles; admin means everything."""
        if member.user.id == self.owner_id:
            return ALL_PERMISSIONS
        perms = 0
        for role in self.roles:
            if role.id == self.id or role.id in member.roles:
                perms |= role.permissions
        return ALL_PERMISSIONS if perms & PERM_ADMINISTRATOR else perms

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "features": [],
            "roles": [r.payload() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": [m.payload() for m in self.members],
            "channels": [c.payload(self.id) for c in self.channels],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "premium_progress_bar_enabled": False,
        }


# Stable ids for the default world, so tests and out-of-process users can hard-code them.
DEFAULT_APPLICATION_ID: Final = 1_100_000_000_000_000_001
DEFAULT_BOT_USER_ID: Final = DEFAULT_APPLICATION_ID
DEFAULT_OWNER_USER_ID: Final = 1_100_000_000_000_000_002
DEFAULT_GUILD_ID: Final = 1_200_000_000_000_000_001
DEFAULT_CHANNEL_IDS: Final[Mapping[str, int]] = {
    "general": 1_200_000_000_000_000_101,
    "news": 1_200_000_000_000_000_102,
    "alerts": 1_200_000_000_000_000_103,
    "read-only": 1_200_000_000_000_000_104,
}
# `--extra-channels N` adds text channels "bulk-0".."bulk-{N-1}" with ids BULK_CHANNEL_BASE + n.
BULK_CHANNEL_BASE: Final = 1_200_000_000_000_100_000
DEFAULT_USER_IDS: Final[Mapping[str, int]] = {
    "owner": DEFAULT_OWNER_USER_ID,
    "alice": 1_200_000_000_000_000_201,
    "bob": 1_200_000_000_000_000_202,
}
DEFAULT_ROLE_IDS: Final[Mapping[str, int]] = {
    "admin": 1_200_000_000_000_000_301,
    "moderator": 1_200_000_000_000_000_302,
}


def default_guild(bot_user: FakeUser) -> FakeGuild:
    """Guild with text channels, @everyone/admin/moderator roles and a few members.

    alice is an admin, bob has no roles; the bot cannot post in #read-only.
    """
    owner = FakeUser(DEFAULT_OWNER_USER_ID, "owner")
    alice = FakeUser(DEFAULT_USER_IDS["alice"], "alice", global_name="Alice")
    bob = FakeUser(DEFAULT_USER_IDS["bob"], "bob", global_name="Bob")
    return FakeGuild(
        id=DEFAULT_GUILD_ID,
        name="Newsroom",
        owner_id=owner.id,
        channels=[
            FakeChannel(DEFAULT_CHANNEL_IDS["general"], "general", position=0),
            FakeChannel(DEFAULT_CHANNEL_IDS["news"], "news", position=1, topic="Headlines"),
            FakeChannel(DEFAULT_CHANNEL_IDS["alerts"], "alerts", position=2),
            FakeChannel(
                DEFAULT_CHANNEL_IDS["read-only"], "read-only", position=3, bot_can_send=False
            ),
        ],
        roles=[
            FakeRole(DEFAULT_GUILD_ID, "@everyone", DEFAULT_EVERYONE_PERMISSIONS, 0),
            FakeRole(DEFAULT_ROLE_IDS["admin"], "Admin", PERM_ADMINISTRATOR, 2),
            FakeRole(
                DEFAULT_ROLE_IDS["moderator"],
                "Moderator",
                PERM_MANAGE_GUILD | PERM_MANAGE_MESSAGES,
                1,
            ),
        ],
        members=[
            FakeMember(bot_user),
            FakeMember(owner),
            FakeMember(alice, roles=[DEFAULT_ROLE_IDS["admin"]]),
            FakeMember(bob),
        ],
    )


# --------------------------------------------------------------------------------------------
# Recorded state
# --------------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One REST request as the fake saw it (control endpoints are not recorded)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int = 0
    at: float = field(default_factory=time.time)
    global_limited: bool = False  # answered 429 by the global (per bot token) limit

    def to_json(self) -> JSON:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "json": self.json,
            "status": self.status,
            "at": self.at,
            "global_limited": self.global_limited,
        }


@dataclass
class FakeInteraction:
    """An interaction sent over the gateway and everything the bot answered to it."""

    id: int
    token: str
    type: int
    payload: JSON
    created_at: float = field(default_factory=time.monotonic)
    responses: list[JSON] = field(default_factory=list)
    original: JSON | None = None
    followups: list[JSON] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return bool(self.responses)

    @property
    def response(self) -> JSON | None:
        """The callback body (``{"type": 4, "data": {...}}``), if any."""
        return self.responses[0] if self.responses else None

    def to_json(self) -> JSON:
        return {
            "id": str(self.id),
            "token": self.token,
            "type": self.type,
            "payload": self.payload,
            "responses": self.responses,
            "original": self.original,
            "followups": self.followups,
        }


@dataclass
class FailureRule:
    """An injected failure (or delay) for requests whose path matches ``pattern``."""

    pattern: re.Pattern[str]
    status: int | None
    times: int
    body: Any = None
    method: str | None = None
    process: bool = False
    retry_after: float = 0.2
    is_global: bool = False
    delay: float = 0.0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times <= 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.pattern.fullmatch(path) is not None


@dataclass
class _Bucket:
    limit: int
    window: float
    count: int = 0
    reset_at: float = 0.0


class RateLimiter:
    """Fixed-window per-route buckets plus a sliding one-second global limit, like Discord's."""

    def __init__(
        self,
        *,
        global_limit: int,
        global_window: float,
        default_limit: tuple[int, float],
        overrides: Mapping[str, tuple[int, float]] | None = None,
    ) -> None:
        self.global_limit = global_limit
        self.global_window = global_window
        self.default_limit = default_limit
        self.overrides: dict[str, tuple[int, float]] = dict(overrides or {})
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._global_hits: deque[float] = deque()

    def set_limit(self, bucket: str, limit: int, window: float) -> None:
        self.overrides[bucket] = (limit, window)
        for (name, _major), state in self._buckets.items():
            if name == bucket:
                state.limit, state.window = limit, window

    def reset(self) -> None:
        self._buckets.clear()
        self._global_hits.clear()

    def check_global(self, now: float) -> float | None:
        """Count a request against the global limit; returns ``retry_after`` when exceeded."""
        if self.global_limit <= 0:
            return None
        while self._global_hits and now - self._global_hits[0] >= self.global_window:
            self._global_hits.popleft()
        if len(self._global_hits) >= self.global_limit:
            return _ceil_ms(self._global_hits[0] + self.global_window - now)
        self._global_hits.append(now)
        return None

    def hit(
        self, bucket: str, major: str, now: float, *, count: bool = True
    ) -> tuple[dict[str, str], float | None]:
        """Count a request; returns the ``X-RateLimit-*`` headers and ``retry_after`` if limited.

        ``count=False`` only reports the bucket (for injected failures, which Discord would
        still answer with rate-limit headers).
        """
        state = self._buckets.get((bucket, major))
        if state is None:
            limit, window = self.overrides.get(bucket, self.default_limit)
            state = self._buckets[(bucket, major)] = _Bucket(limit, window)
        if now >= state.reset_at:
            state.count = 0
            state.reset_at = now + state.window
        retry_after: float | None = None
        if state.count >= state.limit:
            retry_after = _ceil_ms(state.reset_at - now)
        elif count:
            state.count += 1
        reset_after = _ceil_ms(state.reset_at - now)
        headers = {
            "X-RateLimit-Limit": str(state.limit),
            "X-RateLimit-Remaining": str(max(state.limit - state.count, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": _bucket_hash(bucket),
        }
        return headers, retry_after


def rate_limit_response(
    retry_after: float, *, is_global: bool, headers: Mapping[str, str] | None = None
) -> tuple[JSON, dict[str, str]]:
    """Body and headers of a Discord 429; ``Via`` tells discord.py it is not a Cloudflare ban."""
    out = dict(headers or {})
    out.update(
        {
            "Retry-After": str(max(math.ceil(retry_after), 0)),
            "X-RateLimit-Scope": "global" if is_global else "user",
            "Via": "1.1 google",
        }
    )
    if is_global:
        out["X-RateLimit-Global"] = "true"
    body = {"message": RATE_LIMIT_MESSAGE, "retry_after": retry_after, "global": is_global}
    if is_global:
        body["code"] = 0
    return body, out


# --------------------------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------------------------


@dataclass
class _Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[JSON]
    headers: Mapping[str, str]


@dataclass
class _Route:
    method: str
    template: str
    handler: str
    auth: bool = True
    global_limited: bool = True
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.regex = re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template))

    @property
    def bucket(self) -> str:
        return f"{self.method} {self.template}"

    def major(self, params: Mapping[str, str]) -> str:
        for key in ("channel_id", "guild_id", "interaction_token", "interaction_id"):
            if key in params:
                return params[key]
        return ""


_ROUTES: Final = [
    _Route("GET", "/users/@me", "_get_me"),
    _Route("GET", "/gateway", "_get_gateway", auth=False),
    _Route("GET", "/gateway/bot", "_get_gateway_bot"),
    _Route("GET", "/oauth2/applications/@me", "_get_application"),
    _Route("GET", "/applications/@me", "_get_application"),
    _Route("GET", "/applications/{application_id}/commands", "_list_commands"),
    _Route("PUT", "/applications/{application_id}/commands", "_bulk_commands"),
    _Route("POST", "/applications/{application_id}/commands", "_upsert_command"),
    _Route("GET", "/applications/{application_id}/commands/{command_id}", "_get_command"),
    _Route("PATCH", "/applications/{application_id}/commands/{command_id}", "_edit_command"),
    _Route("DELETE", "/applications/{application_id}/commands/{command_id}", "_delete_command"),
    _Route("GET", "/applications/{application_id}/guilds/{guild_id}/commands", "_list_commands"),
    _Route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", "_bulk_commands"),
    _Route("POST", "/applications/{application_id}/guilds/{guild_id}/commands", "_upsert_command"),
    _Route(
        "GET",
        "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
        "_get_command",
    ),
    _Route(
        "PATCH",
        "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
        "_edit_command",
    ),
    _Route(
        "DELETE",
        "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
        "_delete_command",
    ),
    _Route("GET", "/channels/{channel_id}", "_get_channel"),
    _Route("GET", "/channels/{channel_id}/messages", "_list_messages"),
    _Route("POST", "/channels/{channel_id}/messages", "_create_message"),
    _Route("GET", "/channels/{channel_id}/messages/{message_id}", "_get_message"),
    _Route("PATCH", "/channels/{channel_id}/messages/{message_id}", "_edit_message"),
    _Route("DELETE", "/channels/{channel_id}/messages/{message_id}", "_delete_message"),
    _Route("POST", "/channels/{channel_id}/typing", "_typing"),
    _Route("GET", "/guilds/{guild_id}", "_get_guild"),
    _Route("GET", "/guilds/{guild_id}/channels", "_get_guild_channels"),
    _Route("GET", "/guilds/{guild_id}/members/{user_id}", "_get_member"),
    _Route(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        "_interaction_callback",
        auth=False,
        global_limited=False,
    ),
    _Route(
        "POST",
        "/webhooks/{application_id}/{interaction_token}",
        "_create_followup",
        auth=False,
        global_limited=False,
    ),
    _Route(
        "GET",
        "/webhooks/{application_id}/{interaction_token}/messages/{message_id}",
        "_get_webhook_message",
        auth=False,
        global_limited=False,
    ),
    _Route(
        "PATCH",
        "/webhooks/{application_id}/{interaction_token}/messages/{message_id}",
        "_edit_webhook_message",
        auth=False,
        global_limited=False,
    ),
    _Route(
        "DELETE",
        "/webhooks/{application_id}/{interaction_token}/messages/{message_id}",
        "_delete_webhook_message",
        auth=False,
        global_limited=False,
    ),
]

_API_PREFIX_RE: Final = re.compile(r"^/api/v(\d+)")


def _json_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None
) -> web.Response:
    """JSON answer with ``Content-Type: application/json`` exactly: discord.py compares it
    verbatim and would treat ``application/json; charset=utf-8`` as plain text."""
    out = dict(headers or {})
    if status == 204 or body is None:
        return web.Response(status=204 if body is None and status < 300 else status, headers=out)
    out["Content-Type"] = "application/json"
    return web.Response(status=status, body=json.dumps(body).encode(), headers=out)


def _error_response(
    status: int, body: Any, headers: Mapping[str, str] | None = None
) -> web.Response:
    if isinstance(body, str):
        out = {**(headers or {}), "Content-Type": "text/html"}
        return web.Response(status=status, body=body.encode(), headers=out)
    return _json_response(status, body, headers)


# --------------------------------------------------------------------------------------------
# Gateway sessions
# --------------------------------------------------------------------------------------------


class GatewaySession:
    """One gateway websocket; keeps a replay buffer so RESUME works after a drop."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.session_id = secrets.token_hex(16)
        self.seq = 0
        self.identified = False
        self.intents = 0
        self.identify_payload: JSON | None = None
        self.heartbeats = 0
        self.buffer: deque[JSON] = deque(maxlen=500)
        self._lock = asyncio.Lock()
        self._compressor = zlib.compressobj() if compress == "zlib-stream" else None

    async def send(self, payload: JSON) -> None:
        raw = json.dumps(payload)
        async with self._lock:
            if self.ws.closed:
                return
            if self._compressor is not None:
                data = self._compressor.compress(raw.encode())
                data += self._compressor.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(raw)

    async def dispatch(self, event: str, data: Any) -> None:
        self.seq += 1
        payload = {"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data}
        self.buffer.append(payload)
        await self.send(payload)

    def adopt_connection(self, other: GatewaySession) -> None:
        """Take over a new websocket on RESUME, keeping its zlib stream (HELLO already used it)."""
        self.ws = other.ws
        self._compressor = other._compressor
        self._lock = other._lock


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


class FakeDiscord:
    """Fake Discord REST API + gateway served by aiohttp on 127.0.0.1.

    All state is public and inspectable: ``requests``, ``messages`` (per channel id),
    ``interactions`` (by id), ``commands`` (``None`` = global scope, else guild id),
    ``rate_limited_count``. Use ``wait_for`` to await a condition instead of sleeping.
    """

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        application_id: int = DEFAULT_APPLICATION_ID,
        bot_username: str = "newsbot",
        guilds: list[FakeGuild] | None = None,
        global_rate_limit: int = 50,
        global_rate_window: float = 1.0,
        default_route_limit: tuple[int, float] = (50, 1.0),
        message_rate_limit: tuple[int, float] = (5, 5.0),
        heartbeat_interval_ms: int = 41_250,
        interaction_response_timeout: float | None = 3.0,
        nonce_ttl: float = 300.0,
        privileged_intents_enabled: bool = True,
        dispatch_message_create: bool = True,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.token = token
        self.application_id = application_id
        self.bot_user = FakeUser(application_id, bot_username, bot=True)
        self.owner = FakeUser(DEFAULT_OWNER_USER_ID, "owner")
        self.guilds: list[FakeGuild] = (
            guilds if guilds is not None else [default_guild(self.bot_user)]
        )
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_response_timeout = interaction_response_timeout
        self.nonce_ttl = nonce_ttl
        self.privileged_intents_enabled = privileged_intents_enabled
        self.dispatch_message_create = dispatch_message_create
        self.ack_heartbeats = True
        self.state_file = Path(state_file) if state_file is not None else None
        self.rate_limiter = RateLimiter(
            global_limit=global_rate_limit,
            global_window=global_rate_window,
            default_limit=default_route_limit,
            overrides={MESSAGE_CREATE_BUCKET: message_rate_limit},
        )
        self.snowflake = SnowflakeFactory()

        self.requests: list[RecordedRequest] = []
        self.messages: dict[int, list[JSON]] = {}
        self.message_log: list[JSON] = []
        self.interactions: dict[int, FakeInteraction] = {}
        self.commands: dict[int | None, list[JSON]] = {}
        self.rate_limited_count = 0
        self.sessions: list[GatewaySession] = []
        self.identify_count = 0
        self.resume_count = 0
        self.failures: list[FailureRule] = []
        self._nonces: dict[tuple[int, str], tuple[float, JSON]] = {}
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self.host = "127.0.0.1"
        self.port = 0

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Self:
        """Serve on ``host:port`` (0 picks a free port; see ``base_url``)."""
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/", self._gateway_handler)
        app.router.add_get("/_fake/messages", self._ctl_messages)
        app.router.add_get("/_fake/state", self._ctl_state)
        app.router.add_get("/_fake/requests", self._ctl_requests)
        app.router.add_post("/_fake/interaction", self._ctl_interaction)
        app.router.add_get("/_fake/interactions/{interaction_id}", self._ctl_get_interaction)
        app.router.add_post("/_fake/fail", self._ctl_fail)
        app.router.add_post("/_fake/rate_limit", self._ctl_rate_limit)
        app.router.add_post("/_fake/dispatch", self._ctl_dispatch)
        app.router.add_post("/_fake/reset", self._ctl_reset)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._api_handler)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.host = host
        self.port = int(self._runner.addresses[0][1])
        self._persist()
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"fake shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``; the REST API lives under ``/api/v10``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    # -- world lookups ----------------------------------------------------------------------

    @property
    def guild(self) -> FakeGuild:
        """The first (by default the only) guild."""
        return self.guilds[0]

    def channel(self, name_or_id: str | int, guild_id: int | None = None) -> FakeChannel:
        return self._guild(guild_id).channel(name_or_id)

    def member(self, name_or_id: str | int, guild_id: int | None = None) -> FakeMember:
        return self._guild(guild_id).member(name_or_id)

    def _guild(self, guild_id: int | str | None) -> FakeGuild:
        if guild_id is None:
            return self.guild
        for guild in self.guilds:
            if guild.id == int(guild_id):
                return guild
        raise KeyError(f"unknown guild {guild_id}")

    def _find_channel(self, channel_id: int) -> tuple[FakeGuild, FakeChannel] | None:
        for guild in self.guilds:
            for channel in guild.channels:
                if channel.id == channel_id:
                    return guild, channel
        return None

    # -- inspection helpers -----------------------------------------------------------------

    def messages_in(self, channel: str | int) -> list[JSON]:
        """Visible (non-ephemeral, non-deleted) messages in a channel, oldest first."""
        channel_id = channel if isinstance(channel, int) else self.channel(channel).id
        return list(self.messages.get(channel_id, []))

    def all_messages(self) -> list[JSON]:
        """Every visible message across channels, in creation order."""
        return [m for m in self.message_log if not m.get("_deleted")]

    def requests_matching(self, method: str, pattern: str) -> list[RecordedRequest]:
        regex = re.compile(pattern)
        return [r for r in self.requests if r.method == method.upper() and regex.fullmatch(r.path)]

    def guild_commands(self, guild_id: int | None = None) -> list[JSON]:
        return self.commands.get(guild_id if guild_id is not None else self.guild.id, [])

    def global_commands(self) -> list[JSON]:
        return self.commands.get(None, [])

    @property
    def identified_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions if s.identified and not s.ws.closed]

    def state_snapshot(self) -> JSON:
        """Everything an out-of-process test needs, as JSON (also the ``--state-file``)."""
        return {
            "base_url": self.base_url,
            "messages": [_public_message(m) for m in self.all_messages()],
            "message_count": len(self.all_messages()),
            "interactions": {str(i): x.to_json() for i, x in self.interactions.items()},
            "commands": {("global" if k is None else str(k)): v for k, v in self.commands.items()},
            "request_count": len(self.requests),
            "rate_limited_count": self.rate_limited_count,
            "identify_count": self.identify_count,
            "resume_count": self.resume_count,
            "connected_sessions": len(self.identified_sessions),
        }

    # -- waiting ----------------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
        self._persist()

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> T:
        """Wait until ``predicate()`` is truthy (re-checked after every state change).

        Takes a ``timeout`` (rather than leaving it to the caller) so a broken bot fails the
        test quickly instead of hanging the suite.
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    result = predicate()
                    if result:
                        return result
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(f"condition not met within {timeout}s") from None

    async def wait_for_response(
        self,
        interaction: FakeInteraction | int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JSON:
        """Wait for the interaction callback (``{"type": ..., "data": ...}``)."""
        record = self._interaction(interaction)
        return await self.wait_for(lambda: record.response, timeout)

    async def wait_for_interaction_message(
        self,
        interaction: FakeInteraction | int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JSON:
        """Wait for the interaction's final original message (a deferral resolved by an edit)."""
        record = self._interaction(interaction)

        def ready() -> JSON | None:
            msg = record.original
            if msg is None or msg.get("flags", 0) & FLAG_LOADING:
                return None
            return msg

        return await self.wait_for(ready, timeout)

    async def wait_for_messages(
        self,
        channel: str | int,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[JSON]:
        return await self.wait_for(
            lambda: m if len(m := self.messages_in(channel)) >= count else None, timeout
        )

    async def wait_until_identified(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> GatewaySession:
        return await self.wait_for(
            lambda: self.identified_sessions[-1] if self.identified_sessions else None, timeout
        )

    def _interaction(self, interaction: FakeInteraction | int | str) -> FakeInteraction:
        if isinstance(interaction, FakeInteraction):
            return interaction
        return self.interactions[int(interaction)]

    # -- control ----------------------------------------------------------------------------

    def fail_next(
        self,
        path_pattern: str,
        status: int,
        *,
        times: int = 1,
        json: Any = None,
        method: str | None = None,
        process: bool = False,
        retry_after: float = 0.2,
        is_global: bool = False,
        delay: float = 0.0,
    ) -> FailureRule:
        """Answer the next ``times`` matching requests with ``status``.

        ``path_pattern`` is a regex matched (fullmatch) against the path after ``/api/v10``,
        e.g. ``r"/channels/\\d+/messages"``. The default body is Discord's for the status
        (403 Missing Access, 404 Unknown Channel, HTML for 502/503/504); 429 gets
        ``retry_after``/``global`` and a ``Via`` header. With ``process=True`` the request
        takes effect first and only the response is lost (a duplicate-delivery scenario).
        """
        rule = FailureRule(
            pattern=re.compile(path_pattern),
            status=status,
            times=times,
            body=json,
            method=method,
            process=process,
            retry_after=retry_after,
            is_global=is_global,
            delay=delay,
        )
        self.failures.append(rule)
        return rule

    def delay_next(
        self, path_pattern: str, seconds: float, *, times: int = 1, method: str | None = None
    ) -> FailureRule:
        """Answer normally, but only after ``seconds`` (slow API)."""
        rule = FailureRule(
            pattern=re.compile(path_pattern),
            status=None,
            times=times,
            method=method,
            process=True,
            delay=seconds,
        )
        self.failures.append(rule)
        return rule

    def set_bucket_limit(self, bucket: str, limit: int, window: float) -> None:
        """Configure a route bucket, e.g. ``MESSAGE_CREATE_BUCKET`` (per channel)."""
        self.rate_limiter.set_limit(bucket, limit, window)

    def set_global_limit(self, limit: int, window: float = 1.0) -> None:
        self.rate_limiter.global_limit = limit
        self.rate_limiter.global_window = window

    def reset_records(self) -> None:
        """Forget recorded requests, messages and interactions (keeps commands and sessions)."""
        self.requests.clear()
        self.messages.clear()
        self.message_log.clear()
        self.interactions.clear()
        self._nonces.clear()
        self.failures.clear()
        self.rate_limited_count = 0
        self.rate_limiter.reset()
        self._notify()

    async def dispatch(self, event: str, data: Any) -> int:
        """Send a gateway DISPATCH to every identified session; returns how many got it."""
        sessions = self.identified_sessions
        for session in sessions:
            await session.dispatch(event, data)
        return len(sessions)

    async def close_gateway(self, code: int = 4000) -> None:
        """Drop every gateway connection (discord.py will try to RESUME)."""
        for session in self.identified_sessions:
            await session.ws.close(code=code, message=b"fake closed the connection")

    # -- simulated users --------------------------------------------------------------------

    def _member_payload(
        self, guild: FakeGuild, member: FakeMember, permissions: int | None
    ) -> JSON:
        data = member.payload()
        data["permissions"] = str(
            permissions if permissions is not None else guild.permissions_for(member)
        )
        return data

    async def _send_interaction(
        self,
        itype: int,
        data: JSON | None,
        *,
        guild_id: int | None,
        channel: str | int | None,
        user: str | int | None,
        permissions: int | None,
        message: JSON | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        guild = self._guild(guild_id)
        if channel is None and message is not None:
            channel = int(message["channel_id"])
        fchannel = guild.channel(channel if channel is not None else guild.channels[0].id)
        member = guild.member(user if user is not None else DEFAULT_USER_IDS["alice"])
        bot_member = next((m for m in guild.members if m.user.id == self.bot_user.id), None)
        interaction_id = self.snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(60)
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": itype,
            "token": token,
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(fchannel.id),
            "channel": fchannel.payload(guild.id),
            "member": self._member_payload(guild, member, permissions),
            "app_permissions": str(guild.permissions_for(bot_member) if bot_member else 0),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if data is not None:
            payload["data"] = data
        if message is not None:
            payload["message"] = _public_message(message)
        record = FakeInteraction(id=interaction_id, token=token, type=itype, payload=payload)
        self.interactions[interaction_id] = record
        delivered = await self.dispatch("INTERACTION_CREATE", payload)
        if not delivered:
            raise RuntimeError("no identified gateway session to deliver the interaction to")
        self._notify()
        return record

    def find_command(
        self, name: str, guild_id: int | None = None
    ) -> tuple[int | None, JSON] | None:
        """Find a synced chat-input command by name: the guild scope first, then global."""
        gid = guild_id if guild_id is not None else self.guild.id
        for scope in (gid, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == COMMAND_CHAT_INPUT:
                    return scope, command
        return None

    def _build_command_data(
        self,
        command: str,
        options: Mapping[str, Any] | None,
        *,
        guild_id: int | None,
        focused: str | None,
        require_registered: bool,
    ) -> JSON:
        parts = command.strip().lstrip("/").split()
        if not parts:
            raise ValueError("empty command")
        found = self.find_command(parts[0], guild_id)
        if found is None and require_registered:
            raise LookupError(f"/{parts[0]} is not synced to the fake (call tree.sync first)")
        scope: int | None = None
        definition: JSON = {"name": parts[0]}
        if found is not None:
            scope, definition = found
        options = dict(options or {})
        data: JSON = {
            "id": str(definition.get("id", self.snowflake())),
            "name": parts[0],
            "type": 1,
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        resolved: JSON = {}
        container = data
        node = definition
        for sub in parts[1:]:
            child = next((o for o in node.get("options") or [] if o.get("name") == sub), None)
            if child is None:
                if found is not None:
                    raise LookupError(f"/{command}: no subcommand {sub!r}")
                child = {"name": sub, "type": OPTION_SUB_COMMAND}
            entry: JSON = {
                "name": sub,
                "type": child.get("type", OPTION_SUB_COMMAND),
                "options": [],
            }
            container.setdefault("options", []).append(entry)
            container, node = entry, child
        leaves: list[JSON] = []
        known = {o["name"]: o for o in node.get("options") or []}
        if found is not None:
            unknown = set(options) - set(known)
            if unknown:
                raise ValueError(f"/{command}: unknown options {sorted(unknown)}")
            missing = [
                n
                for n, o in known.items()
                if o.get("required") and n not in options and n != focused
            ]
            if missing and focused is None:
                raise ValueError(f"/{command}: missing required options {missing}")
        for name, value in options.items():
            otype = known.get(name, {}).get("type") or _infer_option_type(value)
            leaf: JSON = {"name": name, "type": otype, "value": value}
            if name == focused:
                leaf["focused"] = True
                leaf["value"] = str(value)
            elif found is not None:
                _check_option_value(command, known[name], value)
            if otype in (OPTION_USER, OPTION_CHANNEL, OPTION_ROLE, OPTION_MENTIONABLE):
                leaf["value"] = str(value)
                self._resolve(guild_id, otype, int(value), resolved)
            leaves.append(leaf)
        container.setdefault("options", []).extend(leaves)
        if not container["options"] and container is data:
            del data["options"]
        if resolved:
            data["resolved"] = resolved
        return data

    def _resolve(self, guild_id: int | None, otype: int, target: int, resolved: JSON) -> None:
        guild = self._guild(guild_id)
        with contextlib.suppress(KeyError):
            member = guild.member(target)
            resolved.setdefault("users", {})[str(target)] = member.user.payload()
            mdata = member.payload()
            mdata.pop("user")
            mdata["permissions"] = str(guild.permissions_for(member))
            resolved.setdefault("members", {})[str(target)] = mdata
            return
        with contextlib.suppress(KeyError):
            resolved.setdefault("channels", {})[str(target)] = {
                **guild.channel(target).payload(guild.id),
                "permissions": str(ALL_PERMISSIONS),
            }
            return
        with contextlib.suppress(KeyError):
            resolved.setdefault("roles", {})[str(target)] = guild.role(target).payload()
            return
        raise LookupError(f"option type {otype}: nothing with id {target}")

    async def send_slash_command(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        guild_id: int | None = None,
        channel: str | int | None = None,
        user: str | int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
        require_registered: bool = True,
    ) -> FakeInteraction:
        """Simulate a member running e.g. ``send_slash_command("news search", {"query": "nato"})``.

        The command must have been synced (like in Discord's UI) unless
        ``require_registered=False``; option types come from the synced definition. The
        default user is alice (admin) in the first channel of the first guild.
        """
        data = self._build_command_data(
            command, options, guild_id=guild_id, focused=None, require_registered=require_registered
        )
        return await self._send_interaction(
            INTERACTION_APPLICATION_COMMAND,
            data,
            guild_id=guild_id,
            channel=channel,
            user=user,
            permissions=permissions,
            locale=locale,
        )

    async def send_autocomplete(
        self,
        command: str,
        focused: str,
        options: Mapping[str, Any] | None = None,
        *,
        guild_id: int | None = None,
        channel: str | int | None = None,
        user: str | int | None = None,
        require_registered: bool = True,
    ) -> FakeInteraction:
        """Simulate typing into option ``focused`` (its partial value goes in ``options``)."""
        opts = dict(options or {})
        opts.setdefault(focused, "")
        data = self._build_command_data(
            command, opts, guild_id=guild_id, focused=focused, require_registered=require_registered
        )
        return await self._send_interaction(
            INTERACTION_AUTOCOMPLETE,
            data,
            guild_id=guild_id,
            channel=channel,
            user=user,
            permissions=None,
        )

    def find_component_message(self, custom_id: str, message_id: int | None = None) -> JSON:
        """The message (latest first) carrying a component with ``custom_id``."""
        candidates = list(self.message_log)
        for record in self.interactions.values():
            candidates.extend(m for m in [record.original, *record.followups] if m)
        if message_id is not None:
            for msg in candidates:
                if int(msg["id"]) == message_id:
                    return msg
            raise LookupError(f"no message {message_id}")
        for msg in reversed(candidates):
            if not msg.get("_deleted") and _has_custom_id(msg.get("components") or [], custom_id):
                return msg
        raise LookupError(f"no message with a component {custom_id!r}")

    async def send_component(
        self,
        custom_id: str,
        *,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        message_id: int | None = None,
        user: str | int | None = None,
        permissions: int | None = None,
    ) -> FakeInteraction:
        """Simulate clicking a button (type 2) or choosing in a select menu (``values``)."""
        message = self.find_component_message(custom_id, message_id)
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        guild_id = int(message["guild_id"]) if message.get("guild_id") else None
        return await self._send_interaction(
            INTERACTION_MESSAGE_COMPONENT,
            data,
            guild_id=guild_id,
            channel=int(message["channel_id"]),
            user=user,
            permissions=permissions,
            message=message,
        )

    async def click_button(
        self, custom_id: str, *, message_id: int | None = None, user: str | int | None = None
    ) -> FakeInteraction:
        return await self.send_component(custom_id, message_id=message_id, user=user)

    async def submit_modal(
        self,
        custom_id: str,
        values: Mapping[str, str],
        *,
        channel: str | int | None = None,
        user: str | int | None = None,
    ) -> FakeInteraction:
        """Simulate submitting a modal with text inputs ``{input_custom_id: value}``."""
        data: JSON = {
            "custom_id": custom_id,
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
                for k, v in values.items()
            ],
        }
        return await self._send_interaction(
            INTERACTION_MODAL_SUBMIT,
            data,
            guild_id=None,
            channel=channel,
            user=user,
            permissions=None,
        )

    # -- HTTP pipeline ----------------------------------------------------------------------

    async def _api_handler(self, request: web.Request) -> web.StreamResponse:
        path = _API_PREFIX_RE.sub("", request.path, count=1) or "/"
        method = request.method.upper()
        body, files = await _read_body(request)
        record = RecordedRequest(method, path, dict(request.query), body)
        self.requests.append(record)
        try:
            response = await self._process(request, record, files)
        except DiscordHTTPError as exc:
            response = _error_response(exc.status, exc.body, exc.headers)
        record.status = response.status
        if response.status == 429:
            self.rate_limited_count += 1
        self._notify()
        return response

    async def _process(
        self, request: web.Request, record: RecordedRequest, files: list[JSON]
    ) -> web.Response:
        route, params = _match_route(record.method, record.path)
        if route is None:
            if any(r.regex.fullmatch(record.path) for r in _ROUTES):
                raise DiscordHTTPError(405, {"message": "405: Method Not Allowed", "code": 0})
            raise DiscordHTTPError(404, {"message": "404: Not Found", "code": 0})
        if route.auth and request.headers.get("Authorization") != f"Bot {self.token}":
            raise DiscordHTTPError(401, {"message": "401: Unauthorized", "code": 0})
        now = time.monotonic()
        if route.global_limited:
            retry = self.rate_limiter.check_global(now)
            if retry is not None:
                record.global_limited = True
                body, headers = rate_limit_response(retry, is_global=True)
                raise DiscordHTTPError(429, body, headers)
        rule = next((f for f in self.failures if f.matches(record.method, record.path)), None)
        if rule is not None:
            rule.times -= 1
            rule.hits += 1
            if rule.delay:
                await asyncio.sleep(rule.delay)
            now = time.monotonic()
            if not rule.process and rule.status is not None:
                peek, _ = self.rate_limiter.hit(route.bucket, route.major(params), now, count=False)
                return self._injected_failure(rule, peek)
        headers, retry = self.rate_limiter.hit(route.bucket, route.major(params), now)
        if retry is not None:
            body, rl_headers = rate_limit_response(retry, is_global=False, headers=headers)
            raise DiscordHTTPError(429, body, rl_headers)
        req = _Request(
            record.method,
            record.path,
            params,
            dict(request.query),
            record.json,
            files,
            request.headers,
        )
        try:
            status, result = await getattr(self, route.handler)(req)
        except DiscordHTTPError as exc:
            exc.headers = {**headers, **exc.headers}
            raise
        if rule is not None and rule.status is not None:
            return self._injected_failure(rule, headers)
        return _json_response(status, result, headers)

    def _injected_failure(
        self, rule: FailureRule, headers: Mapping[str, str] | None
    ) -> web.Response:
        status = rule.status or 500
        if status == 429:
            body, rl_headers = rate_limit_response(
                rule.retry_after, is_global=rule.is_global, headers=headers
            )
            if rule.body is not None:
                body = rule.body
            return _json_response(429, body, rl_headers)
        if rule.body is not None:
            return _error_response(status, rule.body, headers)
        if status in HTML_ERROR_STATUSES:
            html = f"<html><head><title>{status}</title></head><body>{status}</body></html>"
            return _error_response(status, html, headers)
        default = DEFAULT_ERROR_BODIES.get(status, {"message": f"{status}", "code": 0})
        return _error_response(status, default, headers)

    # -- REST handlers: users, gateway, application -----------------------------------------

    async def _get_me(self, req: _Request) -> tuple[int, Any]:
        return 200, self.bot_user.payload()

    async def _get_gateway(self, req: _Request) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url.rstrip("/")}

    async def _get_gateway_bot(self, req: _Request) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url.rstrip("/"),
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 1000 - self.identify_count,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }

    async def _get_application(self, req: _Request) -> tuple[int, Any]:
        return 200, {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot": self.bot_user.payload(),
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.owner.payload(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "rpc_origins": [],
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(self.guilds),
        }

    # -- REST handlers: application commands ------------------------------------------------

    def _command_scope(self, req: _Request) -> int | None:
        if int(req.params["application_id"]) != self.application_id:
            raise DiscordHTTPError(403, {"message": "Missing Access", "code": 50001})
        guild_id = req.params.get("guild_id")
        if guild_id is None:
            return None
        try:
            return self._guild(guild_id).id
        except KeyError:
            raise DiscordHTTPError(403, {"message": "Missing Access", "code": 50001}) from None

    def _store_command(self, scope: int | None, definition: JSON, existing: JSON | None) -> JSON:
        stored: JSON = json.loads(json.dumps(definition))
        stored.setdefault("type", COMMAND_CHAT_INPUT)
        stored.setdefault("description", "")
        stored.setdefault("options", [])
        stored.setdefault("default_member_permissions", None)
        stored.setdefault("nsfw", False)
        stored["id"] = existing["id"] if existing else str(self.snowflake())
        stored["application_id"] = str(self.application_id)
        stored["version"] = str(self.snowflake())
        if scope is not None:
            stored["guild_id"] = str(scope)
        else:
            stored.setdefault("contexts", None)
            stored.setdefault("integration_types", [0])
        return stored

    async def _list_commands(self, req: _Request) -> tuple[int, Any]:
        return 200, self.commands.get(self._command_scope(req), [])

    async def _bulk_commands(self, req: _Request) -> tuple[int, Any]:
        scope = self._command_scope(req)
        validate_commands(req.json)
        old = {(c["type"], c["name"]): c for c in self.commands.get(scope, [])}
        new = [
            self._store_command(
                scope, cmd, old.get((cmd.get("type", COMMAND_CHAT_INPUT), cmd["name"]))
            )
            for cmd in req.json
        ]
        self.commands[scope] = new
        return 200, new

    async def _upsert_command(self, req: _Request) -> tuple[int, Any]:
        scope = self._command_scope(req)
        errors = FormErrors()
        validate_command(req.json, errors, [])
        errors.raise_if_any()
        current = self.commands.setdefault(scope, [])
        key = (req.json.get("type", COMMAND_CHAT_INPUT), req.json["name"])
        existing = next((c for c in current if (c["type"], c["name"]) == key), None)
        stored = self._store_command(scope, req.json, existing)
        if existing is not None:
            current[current.index(existing)] = stored
            return 200, stored
        current.append(stored)
        return 201, stored

    def _command_by_id(self, req: _Request) -> tuple[list[JSON], JSON]:
        current = self.commands.get(self._command_scope(req), [])
        for command in current:
            if command["id"] == req.params["command_id"]:
                return current, command
        raise not_found("Unknown application command", 10063)

    async def _get_command(self, req: _Request) -> tuple[int, Any]:
        return 200, self._command_by_id(req)[1]

    async def _edit_command(self, req: _Request) -> tuple[int, Any]:
        current, command = self._command_by_id(req)
        merged = {**command, **(req.json or {})}
        errors = FormErrors()
        validate_command(merged, errors, [])
        errors.raise_if_any()
        stored = self._store_command(self._command_scope(req), merged, command)
        current[current.index(command)] = stored
        return 200, stored

    async def _delete_command(self, req: _Request) -> tuple[int, Any]:
        current, command = self._command_by_id(req)
        current.remove(command)
        return 204, None

    # -- REST handlers: channels and messages -----------------------------------------------

    def _channel_or_404(self, req: _Request) -> tuple[FakeGuild, FakeChannel]:
        found = self._find_channel(int(req.params["channel_id"]))
        if found is None:
            raise not_found("Unknown Channel", 10003)
        return found

    async def _get_channel(self, req: _Request) -> tuple[int, Any]:
        guild, channel = self._channel_or_404(req)
        return 200, channel.payload(guild.id)

    async def _typing(self, req: _Request) -> tuple[int, Any]:
        self._channel_or_404(req)
        return 204, None

    def _new_message(
        self,
        guild: FakeGuild | None,
        channel_id: int,
        payload: Mapping[str, Any],
        files: Sequence[JSON],
        *,
        message_type: int = 0,
        extra: Mapping[str, Any] | None = None,
    ) -> JSON:
        message_id = self.snowflake()
        attachments = [
            {
                "id": str(self.snowflake()),
                "filename": f["filename"],
                "size": f["size"],
                "url": f"{self.base_url}/attachments/{channel_id}/{message_id}/{f['filename']}",
                "proxy_url": f"{self.base_url}/proxy/{channel_id}/{message_id}/{f['filename']}",
                "content_type": f.get("content_type"),
            }
            for f in files
        ]
        embeds = [{"type": "rich", **e} for e in payload.get("embeds") or []]
        message: JSON = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": self.bot_user.payload(),
            "content": payload.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": embeds,
            "components": payload.get("components") or [],
            "pinned": False,
            "type": message_type,
            "flags": int(payload.get("flags") or 0),
        }
        if guild is not None:
            message["guild_id"] = str(guild.id)
        if payload.get("nonce") is not None:
            message["nonce"] = payload["nonce"]
        if extra:
            message.update(extra)
        return message

    async def _publish(self, guild: FakeGuild | None, message: JSON) -> None:
        """Make a message visible in its channel and tell the gateway about it."""
        channel_id = int(message["channel_id"])
        self.messages.setdefault(channel_id, []).append(message)
        self.message_log.append(message)
        if self.dispatch_message_create and guild is not None:
            event = _public_message(message)
            bot_member = next((m for m in guild.members if m.user.id == self.bot_user.id), None)
            if bot_member is not None:
                member = bot_member.payload()
                member.pop("user")
                event["member"] = member
            for session in self.identified_sessions:
                if session.intents & INTENT_GUILD_MESSAGES:
                    await session.dispatch("MESSAGE_CREATE", event)

    async def _create_message(self, req: _Request) -> tuple[int, Any]:
        guild, channel = self._channel_or_404(req)
        if channel.type not in TEXT_CHANNEL_TYPES:
            raise DiscordHTTPError(
                400, {"message": "Cannot send messages in a non-text channel", "code": 50008}
            )
        if not channel.bot_can_send:
            raise DiscordHTTPError(403, {"message": "Missing Permissions", "code": 50013})
        payload = req.json if isinstance(req.json, Mapping) else {}
        validate_message(payload, creating=True, has_files=bool(req.files))
        nonce = payload.get("nonce")
        key = (channel.id, str(nonce))
        now = time.monotonic()
        if nonce is not None and payload.get("enforce_nonce"):
            previous = self._nonces.get(key)
            if previous is not None and now - previous[0] < self.nonce_ttl:
                return 200, _public_message(previous[1])
        message = self._new_message(guild, channel.id, payload, req.files)
        if nonce is not None and payload.get("enforce_nonce"):
            self._nonces[key] = (now, message)
        await self._publish(guild, message)
        return 200, _public_message(message)

    def _message_or_404(self, req: _Request) -> JSON:
        self._channel_or_404(req)
        for message in self.messages.get(int(req.params["channel_id"]), []):
            if message["id"] == req.params["message_id"]:
                return message
        raise not_found("Unknown Message", 10008)

    async def _list_messages(self, req: _Request) -> tuple[int, Any]:
        self._channel_or_404(req)
        limit = int(req.query.get("limit", 50))
        newest_first = list(reversed(self.messages.get(int(req.params["channel_id"]), [])))
        return 200, [_public_message(m) for m in newest_first[:limit]]

    async def _get_message(self, req: _Request) -> tuple[int, Any]:
        return 200, _public_message(self._message_or_404(req))

    async def _edit_message(self, req: _Request) -> tuple[int, Any]:
        message = self._message_or_404(req)
        payload = req.json if isinstance(req.json, Mapping) else {}
        validate_message(payload, creating=False)
        _apply_edit(message, payload)
        return 200, _public_message(message)

    async def _delete_message(self, req: _Request) -> tuple[int, Any]:
        message = self._message_or_404(req)
        self._remove_message(message)
        return 204, None

    def _remove_message(self, message: JSON) -> None:
        message["_deleted"] = True
        channel_messages = self.messages.get(int(message["channel_id"]), [])
        if message in channel_messages:
            channel_messages.remove(message)

    # -- REST handlers: guilds --------------------------------------------------------------

    def _guild_or_404(self, req: _Request) -> FakeGuild:
        try:
            return self._guild(req.params["guild_id"])
        except (KeyError, ValueError):
            raise not_found("Unknown Guild", 10004) from None

    async def _get_guild(self, req: _Request) -> tuple[int, Any]:
        data = self._guild_or_404(req).payload()
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at"):
            data.pop(key, None)
        return 200, data

    async def _get_guild_channels(self, req: _Request) -> tuple[int, Any]:
        guild = self._guild_or_404(req)
        return 200, [c.payload(guild.id) for c in guild.channels]

    async def _get_member(self, req: _Request) -> tuple[int, Any]:
        guild = self._guild_or_404(req)
        try:
            return 200, guild.member(req.params["user_id"]).payload()
        except KeyError:
            raise not_found("Unknown Member", 10007) from None

    # -- REST handlers: interactions and their webhooks -------------------------------------

    def _interaction_by_token(self, token: str) -> FakeInteraction | None:
        return next((i for i in self.interactions.values() if i.token == token), None)

    async def _interaction_callback(self, req: _Request) -> tuple[int, Any]:
        record = self.interactions.get(int(req.params["interaction_id"]))
        if record is None or record.token != req.params["interaction_token"]:
            raise not_found("Unknown interaction", 10062)
        age = time.monotonic() - record.created_at
        if (
            self.interaction_response_timeout is not None
            and age > self.interaction_response_timeout
            and not record.acknowledged
        ):
            raise not_found("Unknown interaction", 10062)
        if record.acknowledged:
            raise DiscordHTTPError(
                400, {"message": "Interaction has already been acknowledged.", "code": 40060}
            )
        body = req.json if isinstance(req.json, Mapping) else {}
        rtype = body.get("type")
        data = body.get("data") or {}
        if rtype not in ALLOWED_CALLBACKS.get(record.type, frozenset()):
            errors = FormErrors()
            errors.add(
                ["type"],
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Interaction response type {rtype} is invalid for interaction type {record.type}",
            )
            errors.raise_if_any()
        found = self._find_channel(int(record.payload["channel_id"]))
        guild = found[0] if found else None
        channel_id = int(record.payload["channel_id"])
        message: JSON | None = None
        extra = {
            "application_id": str(self.application_id),
            "webhook_id": str(self.application_id),
            "interaction_metadata": {
                "id": str(record.id),
                "type": record.type,
                "user": record.payload["member"]["user"],
                "authorizing_integration_owners": record.payload["authorizing_integration_owners"],
            },
        }
        msg_type = 20 if record.type == INTERACTION_APPLICATION_COMMAND else 0
        if rtype == CALLBACK_CHANNEL_MESSAGE:
            validate_message(data, creating=True, has_files=bool(req.files))
            message = self._new_message(
                guild, channel_id, data, req.files, message_type=msg_type, extra=extra
            )
        elif rtype == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._new_message(
                guild, channel_id, {"flags": flags}, [], message_type=msg_type, extra=extra
            )
        elif rtype == CALLBACK_UPDATE_MESSAGE:
            validate_message(data, creating=False)
            target = record.payload.get("message")
            if target is None:
                raise DiscordHTTPError(400, {"message": "Unknown Message", "code": 10008})
            message = self.find_component_message("", int(target["id"]))
            _apply_edit(message, data)
        elif rtype == CALLBACK_AUTOCOMPLETE_RESULT:
            errors = FormErrors()
            choices = data.get("choices")
            if not isinstance(choices, list):
                errors.add(["data", "choices"], "BASE_TYPE_REQUIRED", "This field is required")
            else:
                if len(choices) > 25:
                    errors.add(
                        ["data", "choices"],
                        "BASE_TYPE_MAX_LENGTH",
                        "Must be 25 or fewer in length.",
                    )
                for index, choice in enumerate(choices):
                    path: list[str | int] = ["data", "choices", index]
                    _check_length(errors, [*path, "name"], choice.get("name"), low=1, high=100)
                    if isinstance(choice.get("value"), str):
                        _check_length(errors, [*path, "value"], choice["value"], low=1, high=100)
            errors.raise_if_any()
        elif rtype == CALLBACK_MODAL:
            errors = FormErrors()
            _check_length(errors, ["data", "custom_id"], data.get("custom_id"), low=1, high=100)
            _check_length(errors, ["data", "title"], data.get("title"), low=1, high=45)
            components = data.get("components")
            if not isinstance(components, list) or not 1 <= len(components) <= 5:
                errors.add(
                    ["data", "components"],
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 5 in length.",
                )
            errors.raise_if_any()
        record.responses.append({"type": rtype, "data": data})
        if message is not None and rtype != CALLBACK_UPDATE_MESSAGE:
            record.original = message
            if not message["flags"] & FLAG_EPHEMERAL:
                await self._publish(guild, message)
        elif rtype == CALLBACK_UPDATE_MESSAGE:
            record.original = message
        if req.query.get("with_response", "").lower() not in ("1", "true"):
            return 204, None
        result: JSON = {
            "interaction": {
                "id": str(record.id),
                "type": record.type,
                "response_message_loading": rtype == CALLBACK_DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(
                    message is not None and message["flags"] & FLAG_EPHEMERAL
                ),
            },
            "resource": {"type": rtype},
        }
        if message is not None:
            result["interaction"]["response_message_id"] = message["id"]
            result["resource"]["message"] = _public_message(message)
        return 200, result

    def _webhook_interaction(self, req: _Request) -> FakeInteraction:
        record = self._interaction_by_token(req.params["interaction_token"])
        if record is None or int(req.params["application_id"]) != self.application_id:
            raise not_found("Unknown Webhook", 10015)
        if time.monotonic() - record.created_at > MAX_INTERACTION_TOKEN_AGE:
            raise DiscordHTTPError(401, {"message": "Invalid Webhook Token", "code": 50027})
        return record

    def _webhook_message(self, record: FakeInteraction, message_id: str) -> JSON:
        if message_id == "@original":
            if record.original is None:
                raise not_found("Unknown Message", 10008)
            return record.original
        for message in record.followups:
            if message["id"] == message_id:
                return message
        if record.original is not None and record.original["id"] == message_id:
            return record.original
        raise not_found("Unknown Message", 10008)

    async def _create_followup(self, req: _Request) -> tuple[int, Any]:
        record = self._webhook_interaction(req)
        if not record.acknowledged:
            raise not_found("Unknown Webhook", 10015)
        payload = req.json if isinstance(req.json, Mapping) else {}
        validate_message(payload, creating=True, has_files=bool(req.files))
        wait = req.query.get("wait", "").lower() in ("1", "true")
        original = record.original
        if original is not None and original.get("flags", 0) & FLAG_LOADING:
            # Discord: the first followup after a deferral replaces the loading message.
            _apply_edit(original, payload)
            return (200, _public_message(original)) if wait else (204, None)
        found = self._find_channel(int(record.payload["channel_id"]))
        guild = found[0] if found else None
        message = self._new_message(
            guild,
            int(record.payload["channel_id"]),
            payload,
            req.files,
            extra={
                "webhook_id": str(self.application_id),
                "application_id": str(self.application_id),
            },
        )
        record.followups.append(message)
        if not message["flags"] & FLAG_EPHEMERAL:
            await self._publish(guild, message)
        return (200, _public_message(message)) if wait else (204, None)

    async def _get_webhook_message(self, req: _Request) -> tuple[int, Any]:
        record = self._webhook_interaction(req)
        return 200, _public_message(self._webhook_message(record, req.params["message_id"]))

    async def _edit_webhook_message(self, req: _Request) -> tuple[int, Any]:
        record = self._webhook_interaction(req)
        message = self._webhook_message(record, req.params["message_id"])
        payload = req.json if isinstance(req.json, Mapping) else {}
        validate_message(payload, creating=False)
        _apply_edit(message, payload)
        return 200, _public_message(message)

    async def _delete_webhook_message(self, req: _Request) -> tuple[int, Any]:
        record = self._webhook_interaction(req)
        message = self._webhook_message(record, req.params["message_id"])
        self._remove_message(message)
        if message is record.original:
            record.original = None
        elif message in record.followups:
            record.followups.remove(message)
        return 204, None

    # -- gateway ----------------------------------------------------------------------------

    async def _gateway_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        session = GatewaySession(ws, request.query.get("compress"))
        try:
            await session.send(
                {"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            )
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                resumed = await self._gateway_message(session, payload)
                if resumed is not None:
                    session = resumed
        finally:
            self._sockets.discard(ws)
            self._notify()
        return ws

    async def _gateway_message(
        self, session: GatewaySession, payload: JSON
    ) -> GatewaySession | None:
        op = payload.get("op")
        data = payload.get("d")
        if op == OP_HEARTBEAT:
            session.heartbeats += 1
            if self.ack_heartbeats:
                await session.send({"op": OP_HEARTBEAT_ACK})
        elif op == OP_IDENTIFY:
            await self._identify(session, data or {})
        elif op == OP_RESUME:
            return await self._resume(session, data or {})
        elif op == OP_REQUEST_GUILD_MEMBERS and isinstance(data, dict):
            guild = self._guild(data["guild_id"])
            await session.dispatch(
                "GUILD_MEMBERS_CHUNK",
                {
                    "guild_id": str(guild.id),
                    "members": [m.payload() for m in guild.members],
                    "chunk_index": 0,
                    "chunk_count": 1,
                    "nonce": data.get("nonce"),
                },
            )
        return None

    async def _identify(self, session: GatewaySession, data: JSON) -> None:
        if data.get("token") != self.token:
            await session.ws.close(code=4004, message=b"Authentication failed.")
            return
        if session.identified:
            await session.ws.close(code=4005, message=b"Already authenticated.")
            return
        intents = int(data.get("intents") or 0)
        if intents & PRIVILEGED_INTENTS and not self.privileged_intents_enabled:
            await session.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session.identified = True
        session.intents = intents
        session.identify_payload = data
        self.identify_count += 1
        self.sessions.append(session)
        guilds = self._shard_guilds(data.get("shard"))
        ready: JSON = {
            "v": API_VERSION,
            "user": self.bot_user.payload(),
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "user_settings": {},
            "_trace": ["fake-discord"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await session.dispatch("READY", ready)
        for guild in guilds:
            await session.dispatch("GUILD_CREATE", guild.payload())
        self._notify()

    def _shard_guilds(self, shard: Any) -> list[FakeGuild]:
        """The guilds a session receives: with `shard: [id, count]`, as Discord spreads
        them, those whose `(guild_id >> 22) % count` is the shard's id."""
        if not shard:
            return self.guilds
        shard_id, count = shard
        return [g for g in self.guilds if (g.id >> 22) % count == shard_id]

    async def _resume(self, session: GatewaySession, data: JSON) -> GatewaySession | None:
        previous = next((s for s in self.sessions if s.session_id == data.get("session_id")), None)
        if previous is None or data.get("token") != self.token:
            await session.send({"op": OP_INVALID_SESSION, "d": False})
            return None
        previous.adopt_connection(session)
        seq = int(data.get("seq") or 0)
        for event in list(previous.buffer):
            if event["s"] > seq:
                await previous.send(event)
        await previous.dispatch("RESUMED", {"_trace": ["fake-discord"]})
        self.resume_count += 1
        self._notify()
        return previous

    # -- control endpoints (out-of-process use) ---------------------------------------------

    async def _ctl_messages(self, request: web.Request) -> web.Response:
        channel_id = request.query.get("channel_id")
        messages = self.all_messages()
        if channel_id is not None:
            messages = [m for m in messages if m["channel_id"] == channel_id]
        data = [_public_message(m) for m in messages]
        return _json_response(200, {"messages": data, "count": len(data)})

    async def _ctl_state(self, request: web.Request) -> web.Response:
        return _json_response(200, self.state_snapshot())

    async def _ctl_requests(self, request: web.Request) -> web.Response:
        return _json_response(200, [r.to_json() for r in self.requests])

    async def _ctl_interaction(self, request: web.Request) -> web.Response:
        body = await request.json()
        kind = body.get("kind", "command")
        try:
            if kind == "command":
                record = await self.send_slash_command(
                    body["command"],
                    body.get("options"),
                    guild_id=body.get("guild_id"),
                    channel=body.get("channel"),
                    user=body.get("user"),
                    permissions=body.get("permissions"),
                    require_registered=body.get("require_registered", True),
                )
            elif kind == "autocomplete":
                record = await self.send_autocomplete(
                    body["command"],
                    body["focused"],
                    body.get("options"),
                    guild_id=body.get("guild_id"),
                    channel=body.get("channel"),
                    user=body.get("user"),
                )
            elif kind == "component":
                record = await self.send_component(
                    body["custom_id"],
                    component_type=body.get("component_type", 2),
                    values=body.get("values"),
                    message_id=body.get("message_id"),
                    user=body.get("user"),
                )
            elif kind == "modal":
                record = await self.submit_modal(
                    body["custom_id"], body.get("values", {}), user=body.get("user")
                )
            else:
                return _json_response(400, {"message": f"unknown kind {kind!r}"})
        except (LookupError, ValueError, RuntimeError) as exc:
            return _json_response(400, {"message": str(exc)})
        if body.get("wait"):
            with contextlib.suppress(TimeoutError):
                await self.wait_for_response(record, float(body["wait"]))
        return _json_response(200, record.to_json())

    async def _ctl_get_interaction(self, request: web.Request) -> web.Response:
        record = self.interactions.get(int(request.match_info["interaction_id"]))
        if record is None:
            return _json_response(404, {"message": "unknown interaction"})
        wait = float(request.query.get("wait", 0))
        if wait:
            with contextlib.suppress(TimeoutError):
                await self.wait_for_response(record, wait)
        return _json_response(200, record.to_json())

    async def _ctl_fail(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fail_next(
            body["path"],
            int(body["status"]),
            times=int(body.get("times", 1)),
            json=body.get("json"),
            method=body.get("method"),
            process=bool(body.get("process", False)),
            retry_after=float(body.get("retry_after", 0.2)),
            is_global=bool(body.get("global", False)),
            delay=float(body.get("delay", 0.0)),
        )
        return _json_response(200, {"ok": True})

    async def _ctl_rate_limit(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "bucket" in body:
            self.set_bucket_limit(body["bucket"], int(body["limit"]), float(body["window"]))
        else:
            self.set_global_limit(int(body["limit"]), float(body.get("window", 1.0)))
        return _json_response(200, {"ok": True})

    async def _ctl_dispatch(self, request: web.Request) -> web.Response:
        body = await request.json()
        count = await self.dispatch(body["event"], body["data"])
        return _json_response(200, {"sessions": count})

    async def _ctl_reset(self, request: web.Request) -> web.Response:
        self.reset_records()
        return _json_response(200, {"ok": True})

    # -- persistence ------------------------------------------------------------------------

    def _persist(self) -> None:
        """Write the state file atomically so readers never see a half-written file."""
        if self.state_file is None:
            return
        tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
        tmp.write_text(json.dumps(self.state_snapshot()))
        os.replace(tmp, self.state_file)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _match_route(method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
    for route in _ROUTES:
        if route.method != method:
            continue
        match = route.regex.fullmatch(path)
        if match:
            return route, match.groupdict()
    return None, {}


async def _read_body(request: web.Request) -> tuple[Any, list[JSON]]:
    """JSON body, or ``payload_json`` plus file metadata for multipart uploads."""
    if request.content_type == "application/json":
        raw = await request.read()
        return (json.loads(raw) if raw else None), []
    if request.content_type.startswith("multipart/"):
        body: Any = None
        files: list[JSON] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read()
            if part.name == "payload_json":
                body = json.loads(data)
            else:
                files.append(
                    {
                        "name": part.name,
                        "filename": part.filename or "file",
                        "size": len(data),
                        "content_type": part.headers.get("Content-Type"),
                    }
                )
        return body, files
    raw = await request.read()
    if raw:
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode(errors="replace"), []
    return None, []


def _public_message(message: JSON) -> JSON:
    """The message as Discord would return it (without the fake's private ``_`` keys)."""
    return {k: v for k, v in message.items() if not k.startswith("_")}


def _apply_edit(message: JSON, payload: Mapping[str, Any]) -> None:
    for key in ("content", "components", "flags", "attachments"):
        if key in payload and payload[key] is not None:
            message[key] = payload[key]
    if "embeds" in payload and payload["embeds"] is not None:
        message["embeds"] = [{"type": "rich", **e} for e in payload["embeds"]]
    if message.get("flags", 0) & FLAG_LOADING:
        message["flags"] = message["flags"] & ~FLAG_LOADING
    else:
        message["edited_timestamp"] = _now_iso()


def _has_custom_id(components: Sequence[Any], custom_id: str) -> bool:
    for component in components:
        if not isinstance(component, Mapping):
            continue
        if component.get("custom_id") == custom_id:
            return True
        nested = list(component.get("components") or [])
        for key in ("component", "accessory"):
            if isinstance(component.get(key), Mapping):
                nested.append(component[key])
        if _has_custom_id(nested, custom_id):
            return True
    return False


def _infer_option_type(value: Any) -> int:
    if isinstance(value, bool):
        return OPTION_BOOLEAN
    if isinstance(value, int):
        return OPTION_INTEGER
    if isinstance(value, float):
        return OPTION_NUMBER
    return OPTION_STRING


def _check_option_value(command: str, definition: Mapping[str, Any], value: Any) -> None:
    """Reject values Discord's UI would not let a member submit."""
    otype = definition.get("type")
    name = definition.get("name")
    expected: dict[int, tuple[type, ...]] = {
        OPTION_STRING: (str,),
        OPTION_INTEGER: (int,),
        OPTION_BOOLEAN: (bool,),
        OPTION_NUMBER: (int, float),
    }
    types = expected.get(int(otype or 0))
    if types is not None and (
        not isinstance(value, types) or (otype != OPTION_BOOLEAN and isinstance(value, bool))
    ):
        raise ValueError(f"/{command}: option {name!r} expects type {otype}, got {value!r}")
    choices = definition.get("choices") or []
    if choices and value not in [c["value"] for c in choices]:
        raise ValueError(f"/{command}: {value!r} is not a choice of option {name!r}")


# --------------------------------------------------------------------------------------------
# Out-of-process use
# --------------------------------------------------------------------------------------------


class FakeDiscordProcess:
    """Runs the fake in a child process (it outlives bots that tests kill -9).

    ``with FakeDiscordProcess(state_file=p) as proc:`` then point the bot at ``proc.base_url``
    and read ``proc.messages()`` / ``proc.state()`` over the control endpoints.
    """

    def __init__(
        self,
        *,
        state_file: str | os.PathLike[str] | None = None,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 10.0,
    ) -> None:
        self.state_file = state_file
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.info: JSON = {}

    def start(self) -> Self:
        root = Path(__file__).resolve().parents[2]
        cmd = [sys.executable, "-m", "tests.support.fake_discord", "--port", "0", *self.extra_args]
        if self.state_file is not None:
            cmd += ["--state-file", os.fspath(self.state_file)]
        self.process = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = _readline_with_timeout(self.process, self.startup_timeout)
        self.info = json.loads(line)
        self.base_url = self.info["base_url"]
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def request(self, method: str, path: str, body: Any = None, timeout: float = 10.0) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return json.loads(response.read() or b"null")

    def messages(self, channel_id: int | None = None) -> list[JSON]:
        query = f"?channel_id={channel_id}" if channel_id is not None else ""
        return list(self.request("GET", f"/_fake/messages{query}")["messages"])

    def state(self) -> JSON:
        return dict(self.request("GET", "/_fake/state"))

    def send_interaction(self, body: JSON) -> JSON:
        return dict(self.request("POST", "/_fake/interaction", body))

    def fail_next(self, path: str, status: int, **options: Any) -> None:
        self.request("POST", "/_fake/fail", {"path": path, "status": status, **options})


def _readline_with_timeout(process: subprocess.Popen[str], timeout: float) -> str:
    import selectors

    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            process.kill()
            raise TimeoutError("fake discord process did not report its address")
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"fake discord process exited with {process.wait()}")
    return line


def _parse_limit(text: str) -> tuple[int, float]:
    limit, _, window = text.partition("/")
    return int(limit), float(window or 1.0)


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeDiscord(
        token=args.token,
        global_rate_limit=args.global_rate_limit,
        message_rate_limit=_parse_limit(args.message_rate_limit),
        interaction_response_timeout=args.interaction_timeout or None,
        state_file=args.state_file,
    )
    guild = fake.guild
    first = len(guild.channels)
    guild.channels += [
        FakeChannel(BULK_CHANNEL_BASE + n, f"bulk-{n}", position=first + n)
        for n in range(args.extra_channels)
    ]
    await fake.start(args.host, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(
        json.dumps(
            {"base_url": fake.base_url, "port": fake.port, "pid": os.getpid(), "token": fake.token}
        ),
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await fake.stop()


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m tests.support.fake_discord --port 0`` prints one JSON line with base_url."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="fake-bot-token")
    parser.add_argument("--state-file", default=None)
    parser.add_argument("--global-rate-limit", type=int, default=50)
    parser.add_argument("--message-rate-limit", default="5/5", help="LIMIT/WINDOW_SECONDS")
    parser.add_argument("--extra-channels", type=int, default=0, help="bulk-0.. text channels")
    parser.add_argument("--interaction-timeout", type=float, default=3.0, help="0 disables")
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
