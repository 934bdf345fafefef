"""Who may run admin commands in Slack, which has no per-command permissions.

Workspace admins and owners (from users.info), the users named in the config,
and the members of the user group named in the config. Answers are cached for a
few minutes: a slash command must be acknowledged in 3 s, and a member usually
runs several commands in a row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0


class SlackAdmins:
    def __init__(
        self,
        client: AsyncWebClient,
        users: Iterable[str] = (),
        group: str | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.users = frozenset(users)
        self.group = group or None
        self._clock = clock
        self._cache: dict[str, tuple[float, bool]] = {}

    async def is_admin(self, user_id: str) -> bool:
        if user_id in self.users:
            return True
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        admin = await self._workspace_admin(user_id)
        in_group = None if admin else await self._in_group(user_id)
        answer = bool(admin or in_group)
        if answer or (admin is not None and in_group is not None):
            self._cache[user_id] = (now + CACHE_SECONDS, answer)  # a failed look-up is not kept
        return answer

    async def _workspace_admin(self, user_id: str) -> bool | None:
        try:
            user = (await self.client.users_info(user=user_id))["user"]
        except SlackApiError as exc:
            log.warning("users.info for %s failed: %s", user_id, exc.response.get("error"))
            return None
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    async def _in_group(self, user_id: str) -> bool | None:
        if self.group is None:
            return False
        try:
            members = await self.client.usergroups_users_list(usergroup=self.group)
        except SlackApiError as exc:
            log.warning("members of user group %s: %s", self.group, exc.response.get("error"))
            return None
        return user_id in (members.get("users") or [])
