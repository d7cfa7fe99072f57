"""Intercom message HTML made safe to show: an allow-list of bare tags, everything else text.

Messages and notes arrive as HTML a person or a widget wrote, so they may hold anything a
browser would run or fetch. The report shows what the person wrote, never what it would do:

| input                                          | output                                      |
|------------------------------------------------|---------------------------------------------|
| ``p br b strong i em u s ul ol li blockquote`` | the same tag, **without any attribute**     |
| ``pre code h1-h6 div``                         | (headings and ``div`` become ``p``; a ``p`` |
|                                                | inside a ``p`` is dropped, its text kept)   |
| ``<a href=URL>label</a>``                      | ``label (URL)`` as text for http(s)/mailto; |
|                                                | the label only for any other scheme          |
| ``<img alt=...>``                              | the text ``[image: alt]``; nothing fetched  |
| ``script style iframe object svg template ...`` | dropped, with everything inside            |
| any other tag, comments, declarations          | dropped; its text is kept                   |
| text, entities                                 | decoded, then escaped (:func:`text_html`)   |
| text past ``SHOWN_MAX`` characters             | cut, and ``cut_note`` said after it         |

Every tag the output opens is closed, so a message cannot leak markup into the page around
it. Built on the standard library's ``html.parser``: a few dozen lines are easier to audit
than a dependency, and no attribute ever survives, which is the whole defence.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from typing import Final
from urllib.parse import urlsplit

from dsr_resolvers.report._page import SHOWN_MAX, text_html

__all__ = ["message_html", "message_text"]

_KEPT: Final = frozenset(
    {"p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "blockquote", "pre", "code"}
)
_AS_PARAGRAPH: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "div"})
_VOID: Final = frozenset({"br"})
_DROPPED_WITH_CONTENT: Final = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "noscript",
        "template",
        "svg",
        "math",
        "head",
        "title",
        "textarea",
        "select",
        "audio",
        "video",
        "canvas",
    }
)
_SHOWN_SCHEMES: Final = frozenset({"http", "https", "mailto"})
_MAX_DEPTH: Final = 40


class _Sanitiser(HTMLParser):
    def __init__(self, image_label: str, limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping: list[str] = []
        self.links: list[str | None] = []
        self.nested_paragraphs = 0
        self.image_label = image_label
        self.left = limit
        self.cut = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag in _DROPPED_WITH_CONTENT:
                self.skipping.append(tag)
            return
        if tag in _DROPPED_WITH_CONTENT:
            self.skipping.append(tag)
            return
        if tag == "a":
            self.links.append(_shown_url(dict(attrs).get("href")))
            return
        if tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            label = f"{self.image_label}: {alt}" if alt else self.image_label
            self.out.append(text_html(f"[{label}]"))
            return
        kept = "p" if tag in _AS_PARAGRAPH else tag
        if kept == "p" and "p" in self.open:
            # A paragraph inside a paragraph would end the outer one in a browser.
            self.nested_paragraphs += 1
            self.out.append("<br>")
            return
        if kept not in _KEPT:
            return
        if kept in _VOID:
            self.out.append(f"<{kept}>")
        elif len(self.open) < _MAX_DEPTH:
            self.out.append(f"<{kept}>")
            self.open.append(kept)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and tag not in ("img", "a"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag == "a":
            if self.links:
                url = self.links.pop()
                if url is not None:
                    self.out.append(text_html(f" ({url})"))
            return
        kept = "p" if tag in _AS_PARAGRAPH else tag
        if kept == "p" and self.nested_paragraphs:
            self.nested_paragraphs -= 1
            return
        if kept in self.open:
            while self.open:
                closing = self.open.pop()
                self.out.append(f"</{closing}>")
                if closing == kept:
                    break

    def handle_data(self, data: str) -> None:
        if self.skipping or self.cut:
            return
        if len(data) > self.left:
            data, self.cut = data[: self.left], True
        self.left -= len(data)
        self.out.append(text_html(data))

    def result(self, cut_note: str) -> str:
        self.close()
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        self.open.clear()
        if self.cut:
            self.out.append(f'<p class="cut">{escape(cut_note)}</p>')
        return "".join(self.out).strip()


def _shown_url(href: str | None) -> str | None:
    if not href:
        return None
    href = "".join(ch for ch in href if ch.isprintable() and not ch.isspace())
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        return None
    return href if scheme in _SHOWN_SCHEMES else None


def message_html(
    fragment: str,
    *,
    image_label: str = "image",
    cut_note: str = "[shown in part; the full text is in the JSON export]",
    limit: int = SHOWN_MAX,
) -> str:
    """``fragment`` (a message body as Intercom stores it) as safe HTML for the report.

    Args:
        fragment: HTML, or plain text.
        image_label: The word shown in place of an image (``[image: alt]``).
        cut_note: Said after the text when it is longer than ``limit`` characters.
        limit: The most characters of text shown.

    Returns:
        HTML whose only tags are bare allow-listed ones, all closed; no attribute at all.
    """
    sanitiser = _Sanitiser(image_label, limit)
    sanitiser.feed(fragment)
    return sanitiser.result(cut_note)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def message_text(fragment: str) -> str:
    """The text of ``fragment`` with every tag removed (script content included)."""
    parser = _Text()
    parser.feed(message_html(fragment))
    parser.close()
    return "".join(parser.parts)
