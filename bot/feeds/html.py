"""Feed HTML to clean paragraphs of text, with the standard library's HTML parser.

Scripts, styles, embeds and images (tracking pixels included) leave no text; links
that are feed furniture ("Continue reading", share buttons, FeedBurner flares,
"Comments") are dropped; every block element ends a paragraph.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

# Elements whose content is never article text.
_SKIPPED = frozenset(
    {"script", "style", "noscript", "iframe", "object", "embed", "svg", "template", "head",
     "form", "button", "select", "textarea", "audio", "video", "canvas", "map"}
)  # fmt: skip
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
     "pre", "tr", "table", "section", "article", "header", "footer", "aside", "figure",
     "figcaption", "hr", "dd", "dt", "dl", "address", "main", "nav"}
)  # fmt: skip
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "source", "wbr", "area", "col"})
# Link texts that are navigation, not story (compared case-folded, without trailing dots).
_FURNITURE_TEXTS = frozenset(
    {"continue reading", "read more", "read the rest", "read the full story", "read full article",
     "comments", "comment", "share", "tweet", "share on facebook", "share on twitter", "email",
     "view comments", "more", "full story", "keep reading", "read on", "e-mail this",
     "email this", "add to del.icio.us", "read more of this story", "print"}
)  # fmt: skip
_SHARE_HOSTS = ("feeds.feedburner.com", "feedproxy.google.com", "ad.doubleclick.net",
                "addtoany.com", "sharethis.com", "del.icio.us")  # fmt: skip
_SHARE_PATHS = (
    "/share",
    "/sharer",
    "/intent/tweet",
    "/~ff/",
    "/~a/",
    "sharearticle",
    "emailafriend",
)
# What is left of a paragraph once its furniture link is gone ("at Slashdot.") goes too.
_LEFTOVER_WORDS = 4
# Containers whose class marks them as furniture (FeedBurner flares, share bars).
_FURNITURE_CLASSES = ("feedflare", "share", "social", "related", "advert")


def _is_furniture_text(text: str) -> bool:
    words = " ".join(text.split()).casefold().strip(".…→»« ")
    return words in _FURNITURE_TEXTS or words.startswith(("continue reading", "read more"))


def _is_share_link(href: str) -> bool:
    parts = urlsplit(href)
    host = parts.netloc.casefold()
    path = parts.path.casefold()
    return any(host.endswith(h) for h in _SHARE_HOSTS) or any(p in path for p in _SHARE_PATHS)


class _TextCollector(HTMLParser):
    def __init__(self, drop_furniture: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self._drop_furniture = drop_furniture
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._skip_stack: list[str] = []  # open elements whose text is dropped
        self._link: list[str] | None = None  # text of the open link
        self._link_is_share = False
        self._dropped_link = False  # the current paragraph lost a furniture link

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_stack:
            if tag not in _VOID:
                self._skip_stack.append(tag)
            return
        classes = (dict(attrs).get("class") or "").casefold()
        if tag in _SKIPPED or (
            tag in ("div", "p", "span", "ul", "aside", "section")
            and any(name in classes for name in _FURNITURE_CLASSES)
        ):
            self._skip_stack.append(tag)
            return
        if tag in _BLOCKS:
            self._end_paragraph()
        if tag == "a":
            self._end_link()
            self._link = []
            self._link_is_share = _is_share_link(dict(attrs).get("href") or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip_stack and tag in _BLOCKS:
            self._end_paragraph()

    def handle_endtag(self, tag: str) -> None:
        if self._skip_stack:
            # Close up to the matching open tag; unbalanced markup must not swallow the rest.
            if tag in self._skip_stack:
                while self._skip_stack and self._skip_stack.pop() != tag:
                    pass
            return
        if tag == "a":
            self._end_link()
        elif tag in _BLOCKS:
            self._end_paragraph()

    def handle_data(self, data: str) -> None:
        if self._skip_stack:
            return
        if self._link is not None:
            self._link.append(data)
        else:
            self._current.append(data)

    def _end_link(self) -> None:
        if self._link is None:
            return
        text = "".join(self._link)
        if not self._drop_furniture or not (self._link_is_share or _is_furniture_text(text)):
            self._current.append(text)
        else:
            self._dropped_link = True
        self._link = None

    def _end_paragraph(self) -> None:
        self._end_link()
        text = " ".join("".join(self._current).split())
        self._current = []
        leftover = self._dropped_link and len(text.split()) <= _LEFTOVER_WORDS
        self._dropped_link = False
        if text and not (self._drop_furniture and (leftover or _is_furniture_text(text))):
            self.paragraphs.append(text)

    def close(self) -> None:
        super().close()
        self._end_paragraph()


def html_paragraphs(html: str, drop_furniture: bool = True) -> list[str]:
    """The readable paragraphs of an HTML fragment, in order."""
    collector = _TextCollector(drop_furniture)
    collector.feed(html)
    collector.close()
    return collector.paragraphs


def text_paragraphs(text: str) -> list[str]:
    """Plain text to paragraphs: one per non-blank line, white space collapsed."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def inline_text(html: str) -> str:
    """A title or a name that may carry markup (`for <i>dogs</i>`), as one line of text."""
    return " ".join(html_paragraphs(html, drop_furniture=False))
