"""The PostgreSQL backend: several bot processes on one database (`database.url`)."""

from bot.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
