"""Discord's errors map once, at the boundary, to the Publisher port's errors."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.adapters.discord.publisher import map_http_error
from bot.ports import ChannelUnavailable, PublishError, TemporaryFailure


def http_error(kind: type[discord.HTTPException], status: int, **headers: str) -> Any:
    response = SimpleNamespace(status=status, reason="Reason", headers=headers)
    return kind(response, {"message": "Discord says no", "code": 12345})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (http_error(discord.Forbidden, 403), ChannelUnavailable),
        (http_error(discord.NotFound, 404), ChannelUnavailable),
        (http_error(discord.DiscordServerError, 503), TemporaryFailure),
        (http_error(discord.HTTPException, 429, **{"Retry-After": "7"}), TemporaryFailure),
        (http_error(discord.HTTPException, 400), PublishError),
    ],
)
def test_each_discord_error_maps_to_one_of_ours(
    error: discord.HTTPException, expected: type[PublishError]
) -> None:
    mapped = map_http_error(42, error)
    assert type(mapped) is expected
    assert "channel 42" in mapped.reason
    assert "Discord says no (Discord code 12345, HTTP" in mapped.reason


def test_a_429_keeps_discords_retry_after() -> None:
    mapped = map_http_error(1, http_error(discord.HTTPException, 429, **{"Retry-After": "7"}))
    assert isinstance(mapped, TemporaryFailure) and mapped.retry_after == 7.0
