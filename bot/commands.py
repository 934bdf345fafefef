"""The use cases behind every `/news` command, platform-neutral.

Each command is declared once in COMMANDS (name, description, typed options);
the console parser, `/news help` and the Discord command tree are all built
from these declarations, so they cannot drift apart. `Commands.run` validates
options and returns a Reply; adapters only render.
"""

from __future__ import annotations

import datetime as dt
import math
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.delivery import Delivery, SubscriptionError, describe
from bot.models import Reply, ReplyItem
from bot.store import Store, StoredArticle
from bot.store.deliveries import SubscriptionSpec

SEARCH_PAGE_SIZE = 5
ARTICLE_PAGE_CHARS = 1800
SNIPPET_CHARS = 240
MAX_QUERY_CHARS = 10_000


class CommandError(Exception):
    """Something the member asked cannot be done; the message says why, politely."""

    def __init__(self, title: str, text: str = "") -> None:
        super().__init__(title)
        self.title = title
        self.text = text


@dataclass(frozen=True)
class Option:
    name: str
    description: str
    kind: type = str
    required: bool = False
    min_value: int | None = None
    max_value: int | None = None
    # The console gives this option the rest of the line (search words, names).
    rest: bool = False
    # Which values Discord autocompletes: "article" titles or "topic" names.
    autocomplete: str | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str
    options: tuple[Option, ...] = ()
    admin: bool = False

    @property
    def usage(self) -> str:
        parts = [f"/news {self.name}"]
        for option in self.options:
            label = "|".join(option.choices) if option.choices else option.name
            parts.append(f"<{label}>" if option.required else f"[{label}]")
        return " ".join(parts)


@dataclass(frozen=True)
class CommandContext:
    """Where a command was typed: the channel key (`console:news`, `discord:<id>`) and
    whether the member may run admin commands. The console is always admin."""

    channel: str = "console:news"
    is_admin: bool = True


CONSOLE_CONTEXT = CommandContext()

ARTICLE_ID = Option(
    "article", "The article's number (shown as #12)", int, True, 1, None, autocomplete="article"
)
COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "latest",
        "The newest articles",
        (Option("count", "How many articles (1-25, default 5)", int, False, 1, 25),),
    ),
    CommandSpec(
        "search",
        "Find articles by words in their title or text",
        (
            Option(
                "query",
                "Words to look for; end a word with * to match its start",
                str,
                True,
                rest=True,
            ),
            Option("page", "Which page of results", int, False, 1, None),
        ),
    ),
    CommandSpec(
        "article",
        "Read an article in full",
        (ARTICLE_ID, Option("page", "Which page of the article", int, False, 1, None)),
    ),
    CommandSpec(
        "subscribe",
        "Post news to this channel as it arrives, or as a scheduled digest",
        (
            Option("topics", "Topics, comma-separated (default: all news)", str, False),
            Option("keywords", "Words to look for, comma-separated", str, False),
            Option("exclude", "Topics or words to leave out, comma-separated", str, False),
            Option(
                "mode", "instant (default) or digest", str, False, choices=("instant", "digest")
            ),
            Option("schedule", "Digest cron line, e.g. '0 8 * * *' (bot's timezone)", str, False),
            Option("backfill", "Also post the N latest articles now (0-100)", int, False, 0, 100),
            Option(
                "on_this_day",
                "Also post items from this date in earlier years",
                str,
                False,
                choices=("yes", "no"),
            ),
        ),
        admin=True,
    ),
    CommandSpec(
        "unsubscribe",
        "Stop posting news to this channel (one subscription, or all made by command)",
        (Option("id", "The subscription's number (shown as #3)", int, False, 1, None),),
        admin=True,
    ),
    CommandSpec(
        "subscriptions",
        "What this channel is subscribed to, and why a subscription is paused",
        (
            Option(
                "scope", "channel (default) or all (admins)", str, False, choices=("channel", "all")
            ),
        ),
    ),
    CommandSpec(
        "status", "Sources, last ingest, pending and failed deliveries, next jobs", admin=True
    ),
    CommandSpec("help", "What newsbot can do"),
)
COMMANDS_BY_NAME: dict[str, CommandSpec] = {spec.name: spec for spec in COMMANDS}


class UsageError(CommandError):
    """A command line that does not fit its command; carries the usage line."""

    def __init__(self, problem: str, spec: CommandSpec | None) -> None:
        usage = f"Usage: {spec.usage}" if spec else "Try /news help for the list of commands."
        super().__init__(problem, usage)


def _convert(spec: CommandSpec, option: Option, raw: Any) -> Any:
    if option.kind is int:
        try:
            number = int(raw)
        except (TypeError, ValueError):
            raise UsageError(f"{option.name} must be a whole number, got {raw!r}", spec) from None
        if option.min_value is not None and number < option.min_value:
            raise UsageError(f"{option.name} must be at least {option.min_value}", spec)
        if option.max_value is not None and number > option.max_value:
            raise UsageError(f"{option.name} must be at most {option.max_value}", spec)
        return number
    text = str(raw).strip()
    if option.choices and text.lower() not in option.choices:
        raise UsageError(f"{option.name} must be one of {', '.join(option.choices)}", spec)
    return text.lower() if option.choices else text


def validate_options(spec: CommandSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed, range-checked options; a missing required one is a usage error."""
    known = {option.name: option for option in spec.options}
    for name in raw:
        if name not in known:
            raise UsageError(f"/news {spec.name} has no option {name!r}", spec)
    values: dict[str, Any] = {}
    for option in spec.options:
        value = raw.get(option.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if option.required:
                raise UsageError(f"/news {spec.name} needs {option.name}", spec)
            continue
        values[option.name] = _convert(spec, option, value)
    return values


def parse_command_line(line: str) -> tuple[CommandSpec, dict[str, Any]]:
    """`/news search air defense` -> (search spec, {"query": "air defense"}).

    Positional words fill options in order; an option marked `rest` takes the
    remaining words, except trailing ones that fill later integer options only
    when written as name=value (so `search 2024 elections` searches for 2024).
    """
    text = line.strip()
    if text.startswith("/"):
        head, _, text = text.partition(" ")
        if head.lower() not in ("/news", "/"):
            raise UsageError(f"Unknown command {head!r}", None)
    name, _, rest = text.strip().partition(" ")
    if not name:
        name = "help"
    spec = COMMANDS_BY_NAME.get(name.lower())
    if spec is None:
        raise UsageError(f"Unknown command {name!r}", None)
    try:
        words = shlex.split(rest)
    except ValueError:
        words = rest.split()
    named: dict[str, str] = {}
    positional: list[str] = []
    option_names = {option.name for option in spec.options}
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key in option_names:
            named[key] = value
        else:
            positional.append(word)
    raw: dict[str, Any] = dict(named)
    for option in spec.options:
        if option.name in raw or not positional:
            continue
        if option.rest:
            raw[option.name] = " ".join(positional)
            positional = []
        else:
            raw[option.name] = positional.pop(0)
    if positional:
        raise UsageError(f"Too many words for /news {spec.name}: {' '.join(positional)!r}", spec)
    return spec, validate_options(spec, raw)


def _clip(text: str, limit: int) -> str:
    """Shorten at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:-") + "…"


def _pages(body: str, size: int) -> list[str]:
    """Split an article into pages at paragraph, then sentence or word, boundaries."""
    pages: list[str] = []
    current = ""
    for paragraph in body.split("\n"):
        while len(paragraph) > size:
            cut = paragraph.rfind(". ", 0, size)
            cut = cut + 1 if cut > size // 2 else paragraph.rfind(" ", 0, size)
            cut = cut if cut > 0 else size
            if current:
                pages.append(current)
                current = ""
            pages.append(paragraph[:cut].strip())
            paragraph = paragraph[cut:].strip()
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) > size and current:
            pages.append(current)
            current = paragraph
        else:
            current = candidate
    if current:
        pages.append(current)
    return pages or [""]


def _teaser(article: StoredArticle) -> str:
    return _clip(article.summary[0] if article.summary else article.body, SNIPPET_CHARS)


Handler = Callable[..., Awaitable[Reply]]


class Commands:
    """Runs commands against the store. One instance serves every adapter."""

    def __init__(
        self,
        store: Store,
        *,
        delivery: Delivery | None = None,
        jobs: Callable[[], list[tuple[str, str, dt.datetime | None]]] | None = None,
        sources: Callable[[], list[str]] | None = None,
    ) -> None:
        self.store = store
        self.timezone: dt.tzinfo = dt.UTC
        # Set by `newsbot run` once the scheduler exists; None elsewhere (ask, tests).
        self.delivery = delivery
        self.jobs = jobs
        self.sources = sources
        self._handlers: dict[str, Handler] = {
            "latest": self.latest,
            "search": self.search,
            "article": self.article,
            "help": self.help,
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
            "subscriptions": self.subscriptions,
            "status": self.status,
        }

    async def run(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        context: CommandContext | None = None,
    ) -> Reply:
        """Validate and run one command; expected problems become an error Reply.

        `context` says where it was typed (default: the console, an admin)."""
        spec = COMMANDS_BY_NAME.get(name)
        if spec is None or name not in self._handlers:
            return self.error(UsageError(f"Unknown command {name!r}", None))
        context = context or CONSOLE_CONTEXT
        try:
            if spec.admin and not context.is_admin:
                raise CommandError(f"/news {name} is for admins")
            values = validate_options(spec, options or {})
            if name in _CONTEXT_COMMANDS:
                values["context"] = context
            return await self._handlers[name](**values)
        except CommandError as problem:
            return self.error(problem)

    async def run_line(self, line: str, context: CommandContext | None = None) -> Reply:
        """Parse and run a typed command line such as `/news latest 5`."""
        try:
            spec, values = parse_command_line(line)
        except CommandError as problem:
            return self.error(problem)
        return await self.run(spec.name, values, context)

    @staticmethod
    def error(problem: CommandError) -> Reply:
        return Reply(title=problem.title, text=problem.text, error=True)

    async def latest(self, count: int = 5) -> Reply:
        articles = await self.store.latest(count)
        if not articles:
            return Reply(
                title="No news yet",
                text="The archive is empty. An admin can add articles with `newsbot ingest`.",
            )
        return Reply(
            title="Latest news",
            items=tuple(
                ReplyItem(a.title, _teaser(a), article_id=a.id, date=a.date) for a in articles
            ),
            footer="Read one in full: /news article <number>",
        )

    async def search(self, query: str, page: int = 1) -> Reply:
        if len(query) > MAX_QUERY_CHARS:
            raise CommandError(
                "That search is too long", f"Keep it under {MAX_QUERY_CHARS:,} characters."
            )
        offset = (page - 1) * SEARCH_PAGE_SIZE
        hits, total = await self.store.search(query, SEARCH_PAGE_SIZE, offset)
        shown = _clip(query, 60)
        if total == 0:
            return Reply(
                title=f"No results for “{shown}”",
                text="Try fewer or different words, or end a word with * to match its start.",
            )
        pages = math.ceil(total / SEARCH_PAGE_SIZE)
        if not hits:
            raise CommandError(f"There are only {pages} page(s) of results for “{shown}”")
        return Reply(
            title=f"Search: “{shown}”",
            items=tuple(
                ReplyItem(hit.title, _clip(hit.snippet, SNIPPET_CHARS), hit.id, hit.date)
                for hit in hits
            ),
            footer=f"{total} result{'s' if total != 1 else ''} · page {page} of {pages}",
            page=page,
            pages=pages,
            paging=("search", (("query", query),)),
        )

    async def article(self, article: int, page: int = 1) -> Reply:
        found = await self.store.get_article(article)
        if found is None:
            raise CommandError(
                f"No article #{article}", "Find one with /news latest or /news search."
            )
        pages = _pages(found.body, ARTICLE_PAGE_CHARS)
        if page > len(pages):
            raise CommandError(f"Article #{article} has only {len(pages)} page(s)")
        return Reply(
            title=found.title,
            text=pages[page - 1],
            footer=f"#{found.id} · {found.date.isoformat()} · page {page} of {len(pages)}",
            page=page,
            pages=len(pages),
            paging=("article", (("article", article),)),
        )

    async def help(self) -> Reply:
        return Reply(
            title="newsbot commands",
            items=tuple(ReplyItem(spec.usage, spec.description) for spec in COMMANDS),
            footer="Options in <> are required, in [] optional.",
        )

    # -- subscriptions and status (bot.delivery) ----------------------------------------

    def _delivery(self) -> Delivery:
        if self.delivery is None:
            raise CommandError(
                "Subscriptions are not running here",
                "They are managed while the bot runs (newsbot run).",
            )
        return self.delivery

    async def subscribe(
        self,
        context: CommandContext,
        topics: str = "",
        keywords: str = "",
        exclude: str = "",
        mode: str = "instant",
        schedule: str = "",
        backfill: int = 0,
        on_this_day: str = "no",
    ) -> Reply:
        spec = SubscriptionSpec(
            channel=context.channel,
            mode=mode,
            schedule=schedule,
            topics=(topics,),
            keywords=(keywords,),
            exclude=(exclude,),
            backfill=backfill,
            on_this_day=on_this_day == "yes",
        )
        try:
            sub, created = await self._delivery().subscribe(spec)
        except SubscriptionError as problem:
            raise CommandError("Cannot subscribe", str(problem)) from None
        title = f"Subscribed #{sub.id}" if created else f"Already subscribed (#{sub.id})"
        return Reply(
            title=title,
            text=describe(sub.spec),
            footer="New articles are posted here; the archive is not (see backfill).",
        )

    async def unsubscribe(self, context: CommandContext, id: int | None = None) -> Reply:
        try:
            removed = await self._delivery().unsubscribe(context.channel, id)
        except SubscriptionError as problem:
            raise CommandError("Cannot unsubscribe", str(problem)) from None
        if not removed:
            raise CommandError(
                "Nothing to unsubscribe",
                "This channel has no subscriptions made by command (see /news subscriptions).",
            )
        return Reply(title=f"Removed {removed} subscription{'s' if removed != 1 else ''}")

    async def subscriptions(self, context: CommandContext, scope: str = "channel") -> Reply:
        if scope == "all" and not context.is_admin:
            raise CommandError("Only admins can list every channel's subscriptions")
        found = await self._delivery().subscriptions(None if scope == "all" else context.channel)
        if not found:
            return Reply(
                title="No subscriptions" + (" in this channel" if scope == "channel" else ""),
                text="An admin can add one with /news subscribe.",
            )
        items = []
        for sub in found:
            state = f"PAUSED: {sub.paused_reason}" if sub.paused_reason else "active"
            items.append(
                ReplyItem(
                    f"#{sub.id} {sub.channel} ({sub.origin})",
                    f"{describe(sub.spec)} · {state}",
                )
            )
        return Reply(
            title="Subscriptions",
            items=tuple(items[:25]),
            footer="A paused one resumes when an admin runs /news subscribe in its channel.",
        )

    async def status(self) -> Reply:
        stats = await self.store.stats()
        lines = [f"Articles: {stats.articles}, topics: {stats.topics}"]
        if self.sources is not None:
            lines.extend(self.sources())
        last = stats.last_ingest.isoformat(timespec="seconds") if stats.last_ingest else "never"
        lines.append(f"Last ingest: {last}")
        items: list[ReplyItem] = []
        if self.delivery is not None:
            counts = await self.delivery.counts()
            subs = await self.delivery.subscriptions()
            paused = sum(1 for sub in subs if sub.paused_reason)
            lines.append(
                f"Subscriptions: {len(subs)} ({paused} paused); deliveries pending: "
                f"{counts.claimed} ({counts.due} due now), sent: {counts.sent}, "
                f"failed: {counts.failed}"
            )
            for channel, article_id, reason in await self.delivery.db.recent_failures():
                items.append(ReplyItem(f"Failed: #{article_id} to {channel}", reason))
        for job_id, name, when in self.jobs() if self.jobs is not None else []:
            shown = (
                when.astimezone(self.timezone).isoformat(timespec="seconds") if when else "paused"
            )
            items.append(ReplyItem(f"Job {job_id}: next run {shown}", name))
        return Reply(title="newsbot status", text="\n".join(lines), items=tuple(items[:25]))


_CONTEXT_COMMANDS = frozenset({"subscribe", "unsubscribe", "subscriptions"})
