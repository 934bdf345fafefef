"""Persistence: the SQLite store and its migrations."""

from bot.store.sqlite import (
    IngestResult,
    Outcome,
    PreparedArticle,
    SearchHit,
    Store,
    StoredArticle,
    StoreError,
    StoreStats,
    TopicLabel,
)

__all__ = [
    "IngestResult",
    "Outcome",
    "PreparedArticle",
    "SearchHit",
    "Store",
    "StoreError",
    "StoreStats",
    "StoredArticle",
    "TopicLabel",
]
