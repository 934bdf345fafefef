"""Plain-text rendering of replies for a terminal."""

from __future__ import annotations

import textwrap

from bot.models import Reply, ReplyItem

WIDTH = 88


def _wrap(text: str, indent: str) -> str:
    """Wrap paragraphs with a blank line between them; bullets hang and stay together."""
    blocks: list[str] = []
    for paragraph in (p for p in text.split("\n") if p.strip()):
        bullet = paragraph.startswith("• ")
        wrapped = textwrap.fill(
            paragraph, WIDTH, initial_indent=indent, subsequent_indent=indent + "  " * bullet
        )
        if bullet and blocks and blocks[-1].lstrip().startswith("• "):
            blocks[-1] += "\n" + wrapped
        else:
            blocks.append(wrapped)
    return "\n\n".join(blocks)


def _item(item: ReplyItem) -> str:
    lines = ["  " + item.heading("  ")]
    if item.url:
        lines.append(f"      <{item.url}>")
    if item.text:
        # A terminal has no bold we can rely on everywhere; brackets show a match plainly.
        lines.append(_wrap(item.marked(lambda word: f"[{word}]"), "      "))
    return "\n".join(lines)


def render(reply: Reply) -> str:
    """A reply as terminal text: title, body, items, footer."""
    parts = [("Error: " if reply.error else "") + reply.title]
    if reply.url:
        parts.append(f"  <{reply.url}>")
    if reply.text:
        parts.append(_wrap(reply.text, "  "))
    if reply.items:
        parts.append("\n".join(_item(item) for item in reply.items))
    if reply.footer:
        parts.append(f"  ({reply.footer})")
    return "\n".join(parts)
