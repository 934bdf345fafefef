"""Replies as Block Kit messages: the only place that knows Slack's size limits.

Article text is escaped for mrkdwn (`&`, `<`, `>`) and every mrkdwn object is
`verbatim`, so no article can mention `@channel`, a user or a group, or open a
link Slack built from its words. Strings are cut at word boundaries (the one
`clip` rule); items that do not fit in the 50 blocks are counted in the footer.
Every message also carries the fallback `text` Slack shows in notifications and
reads to screen readers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.adapters.clip import clip
from bot.models import MATCH_END, MATCH_START, Paging, Reply, ReplyItem

# Slack's limits (https://api.slack.com/reference/block-kit/blocks).
BLOCKS_PER_MESSAGE = 50
HEADER_LIMIT = 150
SECTION_TEXT_LIMIT = 3000
FIELDS_PER_SECTION = 10
FIELD_TEXT_LIMIT = 2000
FOOTER_LIMIT = 300  # ours: a footer is one line under the reply
URL_LIMIT = 1000  # a link in mrkdwn: longer ones are left out rather than cut
FALLBACK_TEXT_LIMIT = 40_000
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
ACTION_ID_LIMIT = 255
BUTTONS_PER_ACTIONS = 25

PAGE_ACTION = "news_page"  # Prev/Next: the value names the command, its options and the asker
PICK_ACTION = "news_pick"  # a picked article: the value names the command and the article

_MARKED = re.compile(f"{MATCH_START}(.+?){MATCH_END}")
_LEFT_MARK = re.compile(f"[{MATCH_START}{MATCH_END}]")  # one a cut left unpaired
Block = dict[str, Any]


def escape(text: str) -> str:
    """Text shown literally in mrkdwn: `<!channel>` or `<@U1>` become harmless text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """What a member typed: Slack sends `&`, `<` and `>` in commands and messages escaped."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mrkdwn(text: str) -> str:
    """Escaped text with matched words (between MATCH_START and MATCH_END) in Slack's bold."""
    return _LEFT_MARK.sub("", _MARKED.sub(r"*\1*", escape(text)))


def link(url: str, text: str) -> str:
    """`text` (already mrkdwn) linked to a web address; just `text` for anything that is
    not a plain http(s) address. `|` would end the address, `<>&` must be escaped."""
    if not url.startswith(("http://", "https://")) or len(url) > URL_LIMIT:
        return text
    if any(char.isspace() for char in url):
        return text
    return f"<{escape(url).replace('|', '%7C')}|{text}>"


def _marked_text(item: ReplyItem) -> str:
    """The item's text with its matched words enclosed, for `fit` to cut and embolden."""
    return item.marked(lambda word: f"{MATCH_START}{word}{MATCH_END}")


def fit(text: str, limit: int, suffix: str = "") -> str:
    """`text` as mrkdwn in at most `limit` characters: cut first, then escaped, and cut
    shorter while escaping (`&` is five characters in mrkdwn) makes it too long."""
    room = limit
    while True:
        shown = mrkdwn(clip(text, room, suffix))
        if len(shown) <= limit:
            return shown
        # Shrink in proportion: escaping may have made every character several.
        room = min(room - 1, room * limit // len(shown))


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(" ".join(text.split()), limit) or "-", "emoji": True}


def _mrkdwn_object(text: str) -> dict[str, Any]:
    # verbatim: Slack must not turn words into links or mentions on its own.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn_object(text)}


def _item_block(item: ReplyItem) -> Block:
    """An article hit as a section: bold head, then its text."""
    head = fit(item.heading(), 300)
    pointer = f" (read more: /news article {item.article_id})" if item.article_id else ""
    text = f"*{link(item.url, head)}*"
    if item.text:
        text += "\n" + fit(_marked_text(item), SECTION_TEXT_LIMIT - len(text) - 1, pointer)
    return _section(text)


def _field_blocks(items: tuple[ReplyItem, ...]) -> list[Block]:
    """Short items without an article (topics, commands) as fields, ten a section."""
    blocks = []
    for start in range(0, len(items), FIELDS_PER_SECTION):
        fields = []
        for item in items[start : start + FIELDS_PER_SECTION]:
            head = fit(item.heading(), 200)
            body = fit(_marked_text(item), FIELD_TEXT_LIMIT - len(head) - 3) if item.text else ""
            fields.append(_mrkdwn_object(f"*{head}*" + (f"\n{body}" if body else "")))
        blocks.append({"type": "section", "fields": fields})
    return blocks


def _text_blocks(reply: Reply) -> list[Block]:
    """The reply's text as one section (an article page is well under 3,000 characters)."""
    pointer = ""
    if reply.paging and reply.paging.command == "article":
        pointer = f" (continued: /news article {reply.paging.option('article')})"
    shown = fit(reply.text, SECTION_TEXT_LIMIT, pointer)
    return [_section(shown)] if shown else []


def fallback_text(reply: Reply) -> str:
    """The whole reply as plain mrkdwn-escaped text, for notifications and screen readers."""
    lines = [reply.title]
    if reply.text:
        lines.append(reply.text)
    for item in reply.items:
        lines.append(item.heading() + (f": {item.text}" if item.text else ""))
    if reply.footer:
        lines.append(reply.footer)
    if reply.url:
        lines.append(reply.url)
    return fit("\n".join(lines), FALLBACK_TEXT_LIMIT) or "newsbot"


@dataclass(frozen=True)
class Message:
    """What chat.postMessage and respond() take: fallback text and blocks."""

    text: str
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def render_message(reply: Reply, actions: list[Block] | None = None) -> Message:
    """One reply as a Block Kit message within Slack's limits; `actions` (button rows)
    go last and are always kept."""
    actions = actions or []
    title = ("⚠️ " if reply.error else "") + (reply.title.strip() or "newsbot")
    blocks: list[Block] = [{"type": "header", "text": plain(title, HEADER_LIMIT)}]
    if reply.text:
        blocks.extend(_text_blocks(reply))
    note = ""
    if reply.items:
        blocks.append({"type": "divider"})
        room = BLOCKS_PER_MESSAGE - len(blocks) - len(actions) - 1  # one for the footer
        hits = tuple(item for item in reply.items if item.article_id is not None)
        others = tuple(item for item in reply.items if item.article_id is None)
        item_blocks = [_item_block(item) for item in hits] + _field_blocks(others)
        shown = item_blocks[:room]
        blocks.extend(shown)
        hidden = _hidden_items(hits, others, len(shown))
        note = f"{hidden} more not shown" if hidden else ""
    # The link and the note on hidden items are never the parts cut off.
    source = link(reply.url, "Original article") if reply.url else ""
    footer = fit(reply.footer, FOOTER_LIMIT - len(note) - 3)
    footer = " · ".join(part for part in (source, footer, note) if part)
    if footer:
        blocks.append({"type": "context", "elements": [_mrkdwn_object(footer)]})
    blocks.extend(actions)
    return Message(fallback_text(reply), blocks)


def _hidden_items(hits: tuple[ReplyItem, ...], others: tuple[ReplyItem, ...], shown: int) -> int:
    """Items left out when only `shown` item blocks fit."""
    if shown >= len(hits):
        fields_shown = (shown - len(hits)) * FIELDS_PER_SECTION
        return max(0, len(others) - fields_shown)
    return len(hits) - shown + len(others)


def button(text: str, action_id: str, value: str, *, primary: bool = False) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_LIMIT),
        "action_id": action_id[:ACTION_ID_LIMIT],
        "value": value,
    }
    if primary:
        element["style"] = "primary"
    return element


def paging_actions(reply: Reply, owner: str) -> list[Block]:
    """Prev/Next for a reply with more pages; the value says who may click and what to run.

    None fit when the options are too long for a button value (a 10,000-character
    search): the footer still says which page this is."""
    if reply.error or reply.paging is None or reply.pages <= 1:
        return []
    buttons = []
    for label, page in (("◀ Prev", reply.page - 1), ("Next ▶", reply.page + 1)):
        if not 1 <= page <= reply.pages:
            continue
        value = encode_page(reply.paging, page, owner)
        if len(value) > BUTTON_VALUE_LIMIT:
            return []
        buttons.append(button(label, f"{PAGE_ACTION}:{page}", value))
    return [{"type": "actions", "elements": buttons}]


def encode_page(paging: Paging, page: int, owner: str) -> str:
    return json.dumps(
        {"c": paging.command, "o": paging.page(page), "u": owner},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def decode_page(value: str) -> tuple[str, dict[str, Any], str]:
    """(command, options, owner) from a Prev/Next button value."""
    data = json.loads(value)
    return str(data["c"]), dict(data["o"]), str(data["u"])


def pick_actions(command: str, reply: Reply) -> list[Block]:
    """A button per listed article that runs `command` on it (Slack has no autocomplete)."""
    buttons = [
        button(f"#{item.article_id} {item.title}", f"{PICK_ACTION}:{item.article_id}", value)
        for item in reply.items[:BUTTONS_PER_ACTIONS]
        if item.article_id is not None
        for value in [json.dumps({"c": command, "a": item.article_id})]
    ]
    return [{"type": "actions", "elements": buttons}] if buttons else []


def decode_pick(value: str) -> tuple[str, int]:
    data = json.loads(value)
    return str(data["c"]), int(data["a"])
