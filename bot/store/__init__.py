"""Persistence: the SQLite store and its migrations."""

from bot.store.sqlite import Store, StoreError

__all__ = ["Store", "StoreError"]
