"""An article page's main text, extracted with trafilatura (pure: no fetching here)."""

from __future__ import annotations

from bot.feeds.html import text_paragraphs


def main_text(page: bytes | str, url: str) -> list[str]:
    """The paragraphs of the page's main text, without navigation, comments or ads;
    empty when nothing trustworthy could be extracted."""
    # Imported here: it takes seconds to import, and only full-text feeds need it, so every
    # `newsbot` command would otherwise start that much slower.
    import trafilatura

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
