"""The app manifest an admin pastes into Slack declares what newsbot uses."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import REPO

MANIFEST = REPO / "config" / "slack-manifest.yaml"
# Every Web API method or event newsbot uses, and the scope Slack wants for it.
NEEDED = {
    "/news": "commands",
    "app_mention": "app_mentions:read",
    "chat.postMessage / chat.postEphemeral": "chat:write",
    "conversations.join": "channels:join",
    "conversations.info": "channels:read",
    "conversations.history (public)": "channels:history",
    "conversations.history (private)": "groups:history",
    "users.info": "users:read",
    "usergroups.users.list": "usergroups:read",
}


def scopes(text: str) -> set[str]:
    return set(re.findall(r"^\s+- ([a-z_]+:[a-z_.]+|commands)\b", text, re.MULTILINE))


def test_the_manifest_has_the_command_socket_mode_and_every_scope_used() -> None:
    text = Path(MANIFEST).read_text(encoding="utf-8")
    assert re.search(r"^\s+- command: /news$", text, re.MULTILINE)
    assert re.search(r"^\s+socket_mode_enabled: true$", text, re.MULTILINE)
    assert re.search(r"^\s+is_enabled: true", text, re.MULTILINE)  # buttons
    assert re.search(r"^\s+- app_mention$", text, re.MULTILINE)
    assert set(NEEDED.values()) <= scopes(text)
