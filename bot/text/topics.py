from __future__ import annotations


def extract_topics(text: str, limit: int = 10, title: str | None = None) -> list[str]:
    return []
