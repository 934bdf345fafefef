"""An article page's main text, extracted with trafilatura (pure: no fetching here)."""

from __future__ import annotations

import trafilatura

from bot.feeds.html import text_paragraphs


def main_text(page: bytes | str, url: str) -> list[str]:
    """The paragraphs of the page's main text, without navigation, comments or ads;
    empty when nothing trustworthy could be extracted."""
    text = trafilatura.extract(
        page,
        url=url,
        output_format="txt",
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
    )
    return text_paragraphs(text) if text else []
