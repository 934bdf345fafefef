"""The use cases behind every `/news` command, platform-neutral.

Each command is declared once in COMMANDS (name, description, typed options);
the console parser, `/news help` and the Discord command tree are all built
from these declarations, so they cannot drift apart. `Commands.run` validates
options and returns a Reply; adapters only render.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import math
import re
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot import text
from bot.config import FEED_POLL_DEFAULT_SECONDS, FEED_POLL_MAX_SECONDS, FEED_POLL_MIN_SECONDS
from bot.delivery import Delivery, SubscriptionError, describe
from bot.feeds.service import FeedError, FeedService
from bot.models import (
    Feed,
    FeedSpec,
    JobState,
    Paging,
    Reply,
    ReplyItem,
    StoredArticle,
    SubscriptionSpec,
    bullet_list,
)
from bot.ports import Clock, SystemClock
from bot.store import StoreError
from bot.store.ports import Articles

log = logging.getLogger(__name__)

SEARCH_PAGE_SIZE = 5
SOURCES_PAGE_SIZE = 10
ARTICLE_PAGE_CHARS = 1800
SNIPPET_CHARS = 240
ECHO_CHARS = 40  # what a member typed is quoted back at most this long
# Ranges and lengths of options (documented in the README and the option descriptions).
MAX_ID = 999_999_999
MAX_PAGE = 1000
QUERY_CHARS = 500
NAME_CHARS = 200
TERMS_CHARS = 1000
SCHEDULE_CHARS = 100
FEED_NAME_CHARS = 64  # the config's rule for feed names (bot.config.feed_name_problem)
URL_CHARS = 2000
TOPICS_SHOWN = 10
TOPIC_CANDIDATES = 300  # the most frequent or trending topics, re-ranked by how specific
TOPIC_ARTICLES = 10
DIGEST_ARTICLES = 50
DIGEST_SENTENCES = 5


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
    max_length: int | None = None  # str options
    # The console gives this option the rest of the line (search words, names).
    rest: bool = False
    # Which values Discord autocompletes: "article" titles or "topic" names.
    autocomplete: str | None = None
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Every number has a range and every free text a length, so no input is unbounded.
        if self.kind is int and (self.min_value is None or self.max_value is None):
            raise ValueError(f"option {self.name}: an int option needs min_value and max_value")
        if self.kind is str and not self.choices and self.max_length is None:
            raise ValueError(f"option {self.name}: a text option needs max_length")

    @property
    def bounds(self) -> tuple[int, int]:
        assert self.min_value is not None and self.max_value is not None
        return self.min_value, self.max_value


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
    "article", "The article's number (shown as #12)", int, True, 1, MAX_ID, autocomplete="article"
)
PERIODS: dict[str, int | None] = {"day": 1, "week": 7, "month": 30, "all": None}
PERIOD = Option(
    "period", "day, week, month or all (default week)", str, False, choices=tuple(PERIODS)
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
                max_length=QUERY_CHARS,
                rest=True,
            ),
            Option("page", f"Which page of results (1-{MAX_PAGE})", int, False, 1, MAX_PAGE),
        ),
    ),
    CommandSpec(
        "article",
        "Read an article in full",
        (
            ARTICLE_ID,
            Option("page", f"Which page of the article (1-{MAX_PAGE})", int, False, 1, MAX_PAGE),
        ),
    ),
    CommandSpec(
        "summary",
        "The key sentences of an article",
        (
            ARTICLE_ID,
            Option("sentences", "How many sentences (1-10)", int, False, 1, 10),
        ),
    ),
    CommandSpec(
        "topics",
        "What the news is about: topics trending in a period",
        (PERIOD,),
    ),
    CommandSpec(
        "topic",
        "One topic: its latest articles and a digest of them",
        (
            Option(
                "name",
                "A person, place, organisation or phrase",
                str,
                True,
                max_length=NAME_CHARS,
                rest=True,
                autocomplete="topic",
            ),
        ),
    ),
    CommandSpec(
        "digest",
        "A short digest of a period's news, optionally on one topic",
        (
            PERIOD,
            Option(
                "topic",
                "Only articles on this topic",
                str,
                False,
                max_length=NAME_CHARS,
                rest=True,
                autocomplete="topic",
            ),
        ),
    ),
    CommandSpec(
        "subscribe",
        "Post news to this channel as it arrives, or as a scheduled digest",
        (
            Option(
                "topics",
                "Topics, comma-separated (default: all news)",
                str,
                False,
                max_length=TERMS_CHARS,
            ),
            Option(
                "keywords", "Words to look for, comma-separated", str, False, max_length=TERMS_CHARS
            ),
            Option(
                "exclude",
                "Topics or words to leave out, comma-separated",
                str,
                False,
                max_length=TERMS_CHARS,
            ),
            Option(
                "mode", "instant (default) or digest", str, False, choices=("instant", "digest")
            ),
            Option(
                "schedule",
                "Digest cron line, e.g. '0 8 * * *' (bot's timezone)",
                str,
                False,
                max_length=SCHEDULE_CHARS,
            ),
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
        (Option("id", "The subscription's number (shown as #3)", int, False, 1, MAX_ID),),
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
    CommandSpec(
        "sources",
        "The feeds newsbot follows and their health: last fetch, items, next poll, problems",
        (Option("page", f"Which page of sources (1-{MAX_PAGE})", int, False, 1, MAX_PAGE),),
        admin=True,
    ),
    CommandSpec(
        "source-add",
        "Follow an RSS, Atom or JSON Feed source",
        (
            Option(
                "name",
                "A short name for the source, e.g. BBC World",
                str,
                True,
                max_length=FEED_NAME_CHARS,
            ),
            Option(
                "url", "The feed's address (http:// or https://)", str, True, max_length=URL_CHARS
            ),
            Option(
                "interval",
                f"Seconds between polls ({FEED_POLL_MIN_SECONDS} or more, "
                f"default {FEED_POLL_DEFAULT_SECONDS})",
                int,
                False,
                FEED_POLL_MIN_SECONDS,
                FEED_POLL_MAX_SECONDS,
            ),
            Option(
                "full_text",
                "Fetch each article's page for its full text",
                str,
                False,
                choices=("yes", "no"),
            ),
            Option(
                "topics",
                "Topics given to all its articles, comma-separated",
                str,
                False,
                max_length=TERMS_CHARS,
            ),
        ),
        admin=True,
    ),
    CommandSpec(
        "source-remove",
        "Stop following a source added by command",
        (
            Option(
                "name",
                "The source's name (see /news sources)",
                str,
                True,
                max_length=FEED_NAME_CHARS,
                rest=True,
            ),
        ),
        admin=True,
    ),
    CommandSpec("help", "What newsbot can do"),
)
COMMANDS_BY_NAME: dict[str, CommandSpec] = {spec.name: spec for spec in COMMANDS}


_OPTION_NAME = re.compile(r"[a-z_]{1,32}", re.ASCII)


class UsageError(CommandError):
    """A command line that does not fit its command; carries the usage line."""

    def __init__(self, problem: str, spec: CommandSpec | None) -> None:
        usage = f"Usage: {spec.usage}" if spec else "Try /news help for the list of commands."
        super().__init__(problem, usage)


def echo(typed: object) -> str:
    """What a member typed, quoted back short enough to read."""
    return repr(_clip(str(typed), ECHO_CHARS))


def _range(option: Option) -> str:
    low, high = option.bounds
    return f"between {low:,} and {high:,}"


def _convert(spec: CommandSpec, option: Option, raw: Any) -> Any:
    if option.kind is int:
        text = str(raw).strip()
        # Digits only: int() would also take "1_000" or " +5", and a huge number costs time.
        if not re.fullmatch(r"[+-]?[0-9]{1,18}", text, re.ASCII):
            if re.fullmatch(r"[+-]?[0-9]+", text, re.ASCII):
                raise UsageError(f"{option.name} must be {_range(option)}", spec)
            raise UsageError(f"{option.name} must be a whole number, got {echo(raw)}", spec)
        number = int(text)
        low, high = option.bounds
        if not low <= number <= high:
            raise UsageError(f"{option.name} must be {_range(option)}, got {number:,}", spec)
        return number
    text = str(raw).strip()
    if option.max_length is not None and len(text) > option.max_length:
        raise UsageError(
            f"{option.name} must be at most {option.max_length:,} characters (got {len(text):,})",
            spec,
        )
    if option.choices and text.lower() not in option.choices:
        raise UsageError(f"{option.name} must be one of {', '.join(option.choices)}", spec)
    return text.lower() if option.choices else text


def unknown_option(spec: CommandSpec, name: str) -> UsageError:
    close = difflib.get_close_matches(name, [option.name for option in spec.options], n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return UsageError(f"/news {spec.name} has no option {echo(name)}{hint}", spec)


def validate_options(spec: CommandSpec, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed, range-checked options; a missing required one is a usage error."""
    known = {option.name: option for option in spec.options}
    for name in raw:
        if name not in known:
            raise unknown_option(spec, name)
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
    when written as name=value (so `search 2024 elections` searches for 2024, and
    `search putin 2` for "putin 2": page 2 is `search putin page=2`).

    `name=value` with a name the command does not have is refused with the closest
    option name, except in the free text of a command that takes one when no option
    is close (`search e=mc2` searches for it).
    """
    text = line.strip()
    if text.startswith("/"):
        head, _, text = text.partition(" ")
        if head.lower() not in ("/news", "/"):
            raise UsageError(f"Unknown command {echo(head)}", None)
    name, _, rest = text.strip().partition(" ")
    if not name:
        name = "help"
    spec = COMMANDS_BY_NAME.get(name.lower())
    if spec is None:
        raise UsageError(f"Unknown command {echo(name)}", None)
    try:
        words = shlex.split(rest)
    except ValueError:
        words = rest.split()
    named: dict[str, str] = {}
    positional: list[str] = []
    option_names = [option.name for option in spec.options]
    takes_text = any(option.rest for option in spec.options)
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key in option_names:
            named[key] = value
        elif (
            sep
            and _OPTION_NAME.fullmatch(key)
            and not (takes_text and not difflib.get_close_matches(key, option_names, n=1))
        ):
            raise unknown_option(spec, key)
        else:
            positional.append(word)
    raw: dict[str, Any] = dict(named)
    for option in spec.options:
        if option.name in raw or not positional:
            continue
        if option.choices and positional[0].lower() not in option.choices:
            continue  # `/news digest nato` leaves the period at its default
        if option.rest:
            raw[option.name] = " ".join(positional)
            positional = []
        else:
            raw[option.name] = positional.pop(0)
    if positional:
        raise UsageError(
            f"Too many words for /news {spec.name}: {echo(' '.join(positional))}", spec
        )
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


def _page_hint(query: str) -> str:
    """A number at the end of a search is searched for (`2024`), never taken as the page;
    say so, since `search putin 2` may have meant page 2."""
    last = query.split()[-1] if query.split() else ""
    if len(query.split()) > 1 and last.isascii() and last.isdigit() and len(last) <= 4:
        return f"“{last}” was searched as a word; for page {int(last)}, write page={int(last)}."
    return ""


def _digest_input(article: StoredArticle) -> text.DigestInput:
    return text.DigestInput(article.id, article.title, article.body, article.summary)


def _teaser(article: StoredArticle) -> str:
    return _clip(article.summary[0] if article.summary else article.body, SNIPPET_CHARS)


Handler = Callable[..., Awaitable[Reply]]


@dataclass(frozen=True)
class Window:
    """A period of news: `start`..`end` inclusive, and the same length just before it."""

    name: str
    start: dt.date
    end: dt.date
    previous_start: dt.date | None
    # Set when the archive has nothing recent, so the window ends at its newest news.
    shifted: bool = False

    @property
    def describe(self) -> str:
        if self.name == "all":
            return "all news"
        if self.shifted:
            return f"the {self.name} up to {self.end.isoformat()} (the newest news)"
        return f"the last {self.name}"


def _byline(article: StoredArticle) -> str:
    return f"by {article.author} · " if article.author else ""


def _when(moment: dt.datetime | None, timezone: dt.tzinfo) -> str:
    return moment.astimezone(timezone).isoformat(timespec="seconds") if moment else "never"


class FeedCommands:
    """`/news sources`, `source-add` and `source-remove`, on the FeedService."""

    feeds: FeedService | None
    jobs: Callable[[], list[JobState]] | None
    timezone: dt.tzinfo

    def _feeds(self) -> FeedService:
        if self.feeds is None:
            raise CommandError(
                "Feeds are not running here", "They are polled while the bot runs (newsbot run)."
            )
        return self.feeds

    async def list_sources(self, page: int = 1) -> Reply:
        feeds = await self._feeds().feeds()
        if not feeds:
            return Reply(
                title="No sources",
                text="Add one with /news source-add <name> <url>, or [[feeds]] in the config.",
            )
        pages = math.ceil(len(feeds) / SOURCES_PAGE_SIZE)
        if page > pages:
            raise CommandError(f"There are only {pages} page(s) of sources")
        # The ones that need an admin first: disabled, then failing.
        feeds.sort(key=lambda feed: (not feed.disabled_reason, not feed.failures, feed.id))
        runs = {job.id: job.next_run for job in self.jobs()} if self.jobs is not None else {}
        items = []
        for feed in feeds[(page - 1) * SOURCES_PAGE_SIZE : page * SOURCES_PAGE_SIZE]:
            next_poll = runs.get(f"feed:{feed.id}")
            if feed.next_poll_at and (next_poll is None or feed.next_poll_at > next_poll):
                next_poll = feed.next_poll_at
            items.append(
                ReplyItem(
                    f"{feed.name} ({feed.origin})",
                    _health(feed, next_poll, self.timezone),
                    url=feed.spec.url,
                )
            )
        return Reply(
            title=f"Sources ({len(feeds)})",
            items=tuple(items),
            footer=f"page {page} of {pages} · disabled and failing first · a disabled source"
            " resumes when an admin adds it again with /news source-add",
            page=page,
            pages=pages,
            paging=Paging("sources"),
        )

    async def _feeds_line(self) -> str:
        feeds = await self._feeds().feeds()
        failing = sum(1 for feed in feeds if feed.failures and not feed.disabled_reason)
        disabled = sum(1 for feed in feeds if feed.disabled_reason)
        return (
            f"Feeds: {len(feeds)} ({failing} failing, {disabled} disabled); "
            "health and next polls: /news sources"
        )

    async def source_add(
        self,
        name: str,
        url: str,
        interval: int = FEED_POLL_DEFAULT_SECONDS,
        full_text: str = "no",
        topics: str = "",
    ) -> Reply:
        spec = FeedSpec(
            name=name,
            url=url,
            poll_interval_seconds=interval,
            topics=tuple(t.strip() for t in topics.split(",") if t.strip()),
            full_text=full_text == "yes",
        )
        try:
            feed, created = await self._feeds().add(spec)
        except FeedError as problem:
            raise CommandError("Cannot add the source", str(problem)) from None
        title = f"Following {feed.name}" if created else f"Already following {feed.name}"
        return Reply(
            title=title,
            text=f"{feed.spec.url}, polled every {feed.spec.poll_interval_seconds} s",
            footer="Its current items are stored without being posted; new ones are posted.",
        )

    async def source_remove(self, name: str) -> Reply:
        try:
            feed = await self._feeds().remove(name)
        except FeedError as problem:
            raise CommandError("Cannot remove the source", str(problem)) from None
        return Reply(
            title=f"Stopped following {feed.name}",
            text="Its articles stay in the archive.",
        )


def _health(feed: Feed, next_poll: dt.datetime | None, timezone: dt.tzinfo) -> str:
    """One line an admin can act on: state, last fetch, status, items, next poll, why."""
    if feed.disabled_reason:
        return f"DISABLED: {feed.disabled_reason}"
    parts = []
    if feed.failures:
        parts.append(f"FAILING ({feed.failures} in a row): {feed.last_error}")
    elif feed.last_fetch_at is None:
        parts.append("not polled yet")
    else:
        parts.append("ok")
    if feed.last_fetch_at is not None:
        status = f"HTTP {feed.last_status}" if feed.last_status else "no answer"
        parts.append(f"last fetch {_when(feed.last_fetch_at, timezone)} ({status})")
    if feed.last_items is not None:
        parts.append(f"{feed.last_items} items")
    parts.append(f"next poll {_when(next_poll, timezone)}")
    if not feed.failures and feed.last_error:
        parts.append(f"warning: {feed.last_error}")
    return " · ".join(parts)


class Commands(FeedCommands):
    """Runs commands against the store. One instance serves every adapter."""

    def __init__(
        self,
        store: Articles,
        *,
        timezone: dt.tzinfo = dt.UTC,
        summary_sentences: int = 3,
        clock: Clock | None = None,
        delivery: Delivery | None = None,
        jobs: Callable[[], list[JobState]] | None = None,
        sources: Callable[[], list[str]] | None = None,
        feeds: FeedService | None = None,
    ) -> None:
        self.store = store
        self.feeds = feeds
        # Given by `newsbot run`, which runs the scheduler; None elsewhere (ask, tests).
        self.delivery = delivery
        self.jobs = jobs
        self.sources = sources
        self.timezone = timezone
        self.summary_sentences = summary_sentences
        self.clock = clock or SystemClock()
        self._handlers: dict[str, Handler] = {
            "latest": self.latest,
            "search": self.search,
            "article": self.article,
            "summary": self.summary,
            "topics": self.topics,
            "topic": self.topic,
            "digest": self.digest,
            "help": self.help,
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
            "subscriptions": self.subscriptions,
            "status": self.status,
            "sources": self.list_sources,
            "source-add": self.source_add,
            "source-remove": self.source_remove,
        }

    def today(self) -> dt.date:
        """Members see articles dated up to today: a future-dated one is held until its day
        (the store's reads take it as `up_to`)."""
        return self.clock.now().astimezone(self.timezone).date()

    async def window(self, period: str) -> Window:
        """The period ending today, or at the newest article when nothing is that recent."""
        today = self.today()
        days = PERIODS[period]
        newest = await self.store.newest_date(today) or today
        if days is None:
            return Window(period, dt.date.min, today, None)
        shifted = newest <= today - dt.timedelta(days=days)
        end = newest if shifted else today
        start = end - dt.timedelta(days=days - 1)
        return Window(period, start, end, start - dt.timedelta(days=days), shifted)

    async def _find_topic(self, name: str) -> tuple[str, str, list[str]]:
        """(key, label) of the topic a member typed, and the other topics it could mean.

        Of the topics whose name matches ("blair": "Tony Blair", "Blair"), the one with the
        most articles wins, exact or not: a name typed short means the topic people know."""
        key = text.canonical_key(name)
        if not key:
            raise CommandError("Which topic?", "Give a name, such as /news topic NATO.")
        today = self.today()
        words = key.split()
        candidates = await self.store.topics_like(words[-1], 200, up_to=today) if words else []
        matches = [(k, label, n) for k, label, n in candidates if text.topic_matches(name, k)]
        if matches:
            (best, label, _), others = matches[0], matches[1:4]
            return best, label, [f"{other} ({n})" for _, other, n in others]
        suggestions = ", ".join(label for _, label, _ in candidates[:5])
        raise CommandError(
            f"No topic named “{_clip(name, 60)}”",
            f"Did you mean: {suggestions}?"
            if suggestions
            else "See /news topics for what's in the news.",
        )

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
        except StoreError as fault:
            log.error("/news %s: %s", name, fault)
            # Admins see which file and why; members are told it is not their doing.
            why = str(fault) if context.is_admin else "An admin can see why in the bot's log."
            return Reply(title="The news database is not available right now", text=why, error=True)

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
        articles = await self.store.latest(count, up_to=self.today())
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
        offset = (page - 1) * SEARCH_PAGE_SIZE
        hits, total = await self.store.search(query, SEARCH_PAGE_SIZE, offset, up_to=self.today())
        shown = _clip(query, 60)
        if total == 0:
            return Reply(
                title=f"No results for “{shown}”",
                text=" ".join(
                    (
                        "Try fewer or different words, or end a word with * to match its start.",
                        _page_hint(query),
                    )
                ).strip(),
            )
        pages = math.ceil(total / SEARCH_PAGE_SIZE)
        if not hits:
            raise CommandError(f"There are only {pages} page(s) of results for “{shown}”")
        return Reply(
            title=f"Search: “{shown}”",
            items=tuple(
                ReplyItem.matched(hit.title, _clip(hit.snippet, SNIPPET_CHARS), hit.id, hit.date)
                for hit in hits
            ),
            footer=" · ".join(
                part
                for part in (
                    f"{total} result{'s' if total != 1 else ''}",
                    f"page {page} of {pages}",
                    _page_hint(query),
                )
                if part
            ),
            page=page,
            pages=pages,
            paging=Paging("search", (("query", query),)),
        )

    async def article(self, article: int, page: int = 1) -> Reply:
        found = await self.store.get_article(article, up_to=self.today())
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
            footer=_byline(found)
            + f"#{found.id} · {found.date.isoformat()} · page {page} of {len(pages)}",
            url=found.url,
            page=page,
            pages=len(pages),
            paging=Paging("article", (("article", article),)),
        )

    async def summary(self, article: int, sentences: int | None = None) -> Reply:
        found = await self.store.get_article(article, up_to=self.today())
        if found is None:
            raise CommandError(
                f"No article #{article}", "Find one with /news latest or /news search."
            )
        count = sentences or self.summary_sentences
        # The stored summary has the configured length; other lengths are cheap to compute.
        lines = (
            list(found.summary)
            if count == self.summary_sentences and found.summary
            else (text.summarize(found.body, sentences=count, title=found.title))
        )
        topics = await self.store.article_topics(found.id)
        footer = f"#{found.id} · {found.date.isoformat()} · full text: /news article {found.id}"
        return Reply(
            title=found.title,
            text=bullet_list(lines),
            items=(ReplyItem("Topics", ", ".join(topics[:8])),) if topics else (),
            footer=_byline(found) + footer,
            url=found.url,
        )

    async def topics(self, period: str = "week") -> Reply:
        window = await self.window(period)
        previous: dict[str, int] = {}
        if window.previous_start is None:
            # Without a period before to compare with, only the most frequent are candidates.
            counts, total = await self.store.topic_counts(
                window.start, window.end, TOPIC_CANDIDATES
            )
            scored = [(key, float(count)) for key, count in counts.items()]
        else:
            # Topics of one article cannot trend: the store leaves them out of the counts,
            # not out of the totals the ranking weighs the counts against.
            trend = await self.store.trending_counts(
                window.start, window.end, window.previous_start, text.MIN_SUPPORT, TOPICS_SHOWN
            )
            counts, previous, total = trend.counts, trend.before, trend.articles
            scored = text.rank_trending(
                counts,
                previous,
                max(total, trend.mentions),
                max(trend.articles_before, trend.mentions_before),
                TOPIC_CANDIDATES,
            )
        if not counts:
            return Reply(
                title="No topics yet",
                text="There is no news in this period. Try /news topics all.",
            )
        # Names and specific phrases before common nouns ("government", "firm").
        candidate_labels = await self.store.topic_labels([key for key, _ in scored])
        best = text.prefer_specific(scored, candidate_labels)[:TOPICS_SHOWN]
        ranked = [(key, counts[key]) for key, _ in best]
        # A small archive has few repeated topics; fill up with the most frequent ones.
        seen = {key for key, _ in ranked}
        for key, count in counts.items():
            if len(ranked) >= TOPICS_SHOWN:
                break
            if key not in seen:
                ranked.append((key, count))
        # Only the topics filled up with may lack their label yet.
        missing = [key for key, _ in ranked if key not in candidate_labels]
        labels = candidate_labels | (await self.store.topic_labels(missing) if missing else {})
        items = []
        for key, count in ranked:
            detail = f"{count} article{'s' if count != 1 else ''}"
            if window.previous_start is not None:
                detail += f" (before: {previous.get(key, 0)})"
            items.append(ReplyItem(labels.get(key, key), detail))
        return Reply(
            title=f"Topics in {window.describe}",
            items=tuple(items),
            footer=f"{total} article{'s' if total != 1 else ''} · more: /news topic <name>",
        )

    async def topic(self, name: str) -> Reply:
        key, label, others = await self._find_topic(name)
        articles = await self.store.articles_between(
            dt.date.min, self.today(), TOPIC_ARTICLES, topic_key=key
        )
        sentences = text.digest([_digest_input(a) for a in articles], DIGEST_SENTENCES)
        also = f"Also: {', '.join(others)} · " if others else ""
        return Reply(
            title=f"Topic: {label}",
            text=bullet_list([f"{s.text} (#{s.article_id})" for s in sentences]),
            items=tuple(ReplyItem(a.title, "", article_id=a.id, date=a.date) for a in articles),
            footer=f"{also}Read one in full: /news article <number>",
        )

    async def digest(self, period: str = "week", topic: str | None = None) -> Reply:
        window = await self.window(period)
        key, label, _ = await self._find_topic(topic) if topic else (None, "", [])
        articles = await self.store.articles_between(
            window.start, window.end, DIGEST_ARTICLES, topic_key=key
        )
        about = f" on {label}" if label else ""
        if not articles:
            return Reply(
                title=f"No news{about} in {window.describe}",
                text="Try a longer period, such as /news digest all.",
            )
        sentences = text.digest([_digest_input(a) for a in articles], DIGEST_SENTENCES)
        return Reply(
            title=f"Digest of {window.describe}{about}",
            text=bullet_list([f"{s.text} (#{s.article_id})" for s in sentences]),
            footer=f"From {len(articles)} article{'s' if len(articles) != 1 else ''}"
            " · read one: /news article <number>",
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
            # Not given is all news; given, each comma-separated entry must name something.
            topics=(topics,) if topics else (),
            keywords=(keywords,) if keywords else (),
            exclude=(exclude,) if exclude else (),
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
            items=tuple(items),
            footer="A paused one resumes when an admin runs /news subscribe in its channel.",
        )

    async def status(self) -> Reply:
        stats = await self.store.stats()
        lines = [f"Articles: {stats.articles}, topics: {stats.topics}"]
        if self.sources is not None:
            lines.extend(self.sources())
        if self.feeds is not None:
            lines.append(await self._feeds_line())
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
            for channel, article_id, tries, since, reason in await self.delivery.stuck():
                items.append(
                    ReplyItem(
                        f"Stuck: #{article_id} to {channel}",
                        f"claimed {self._when(since)}, {tries} tries"
                        + (f"; last: {reason}" if reason else ""),
                    )
                )
        for job in self.jobs() if self.jobs is not None else []:
            if job.id.startswith("feed:") and job.last_error_at is None:
                continue  # one per feed: /news sources shows them
            shown = self._when(job.next_run) if job.next_run else "paused"
            items.append(ReplyItem(f"Job {job.id}: next run {shown}", job.name))
            if job.last_error_at is not None:
                items.append(
                    ReplyItem(
                        f"Job {job.id}: last error {self._when(job.last_error_at)}",
                        _clip(job.last_error, SNIPPET_CHARS),
                    )
                )
        return Reply(title="newsbot status", text="\n".join(lines), items=tuple(items))

    def _when(self, moment: dt.datetime) -> str:
        return moment.astimezone(self.timezone).isoformat(timespec="seconds")


_CONTEXT_COMMANDS = frozenset({"subscribe", "unsubscribe", "subscriptions"})
