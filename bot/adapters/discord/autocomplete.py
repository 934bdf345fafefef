"""Autocomplete suggestions, read straight from the store (small, LIMITed queries).

These are reader queries the core does not offer yet; they belong in the store
(`Store.article_title_matches`, `Store.topic_label_matches`) and move there once
it has them.
"""

from __future__ import annotations

from bot.store import Store
from bot.store.fts import to_fts_query

MAX_CHOICES = 25
# A one-letter prefix matches too much to be useful (and is slow on a big archive).
MIN_PREFIX_CHARS = 2
MAX_LABEL_CHARS = 100  # a choice value (the topic name) must fit Discord's 100 characters


async def article_matches(
    store: Store, current: str, limit: int = MAX_CHOICES
) -> list[tuple[int, str]]:
    """(id, title) of articles whose title matches what the member has typed so far.

    Empty input lists the newest; a number (`12`, `#12`) finds that article; words
    are matched against titles, the last one as a prefix.
    """
    text = current.strip()
    number = text.lstrip("#")
    if number.isdigit():
        async with store.reader.execute(
            "SELECT id, title FROM articles WHERE id = ?", (int(number),)
        ) as cursor:
            return [(int(row[0]), str(row[1])) async for row in cursor]
    if not text:
        sql = "SELECT id, title FROM articles ORDER BY date DESC, id DESC LIMIT ?"
        params: tuple[object, ...] = (limit,)
    else:
        words = text.replace("*", " ").split()
        last_is_prefix = len(words[-1]) >= MIN_PREFIX_CHARS and not text[-1].isspace()
        typed = " ".join(f"title:{word}" for word in words) + ("*" if last_is_prefix else "")
        query = to_fts_query(typed)
        if query is None:
            return []
        sql = (
            "SELECT a.id, a.title FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
            " WHERE articles_fts MATCH ? ORDER BY a.date DESC, a.id DESC LIMIT ?"
        )
        params = (query, limit)
    async with store.reader.execute(sql, params) as cursor:
        return [(int(row[0]), str(row[1])) async for row in cursor]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def topic_matches(store: Store, current: str, limit: int = MAX_CHOICES) -> list[str]:
    """Topic names containing what was typed: exact, then starting with it, then the
    rest; ties go to the topic with more articles."""
    text = " ".join(current.split())
    escaped = _like_escape(text)
    async with store.reader.execute(
        "SELECT label FROM topics"
        " WHERE label LIKE ? ESCAPE '\\' AND length(label) <= ?"
        " ORDER BY CASE WHEN lower(label) = lower(?) THEN 0"
        "               WHEN label LIKE ? ESCAPE '\\' THEN 1"
        "               WHEN label LIKE ? ESCAPE '\\' THEN 2 ELSE 3 END,"
        " (SELECT count(*) FROM article_topics WHERE topic_id = topics.id) DESC, label"
        " LIMIT ?",
        (
            f"%{escaped}%",
            MAX_LABEL_CHARS,
            text,
            f"{escaped}%",
            f"% {escaped}%",
            limit * 2,
        ),
    ) as cursor:
        labels = [str(row[0]) async for row in cursor]
    # Two keys can carry the same label; a choice list shows it once.
    return list(dict.fromkeys(labels))[:limit]
