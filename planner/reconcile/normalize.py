"""Comparable forms of post values, as Postiz stores them (docs/postiz-api.md §12, §8.4).

A diff compares what Postiz *keeps*, not what we send: content after its HTML
sanitising, instants rather than strings, settings without the keys the server
or we add (`__type`, our ownership marker).
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime

import nh3

from planner.postiz.models import MARKER_KEY

# Postiz runs DOMPurify with this allow-list (libraries/helpers/.../sanitize.post.content.ts);
# its attribute list holds for every tag, and DOMPurify adds any data-*/aria-* attribute.
_TAGS = {"p", "br", "strong", "u", "a", "ul", "li", "h1", "h2", "h3", "span"}
_ATTRIBUTES = {"*": {"href", "target", "rel", "class", "data-mention-id", "data-mention-label"}}
_PREFIXES = {"data-", "aria-"}
_SCHEMES = {"http", "https", "mailto"}
# DOMPurify removes these with their text (FORBID_CONTENTS), not only script and style.
_GONE_WITH_TEXT = {"script", "style", "iframe", "noscript", "noembed", "noframes", "xmp", "plaintext",
                   "title", "template", "svg", "math", "mi", "mn", "mo", "ms", "mtext", "annotation-xml",
                   "foreignobject", "desc", "audio", "video", "head", "thead", "colgroup"}
# ALLOWED_URI_REGEXP applies to every kept attribute but class and data-*/aria-*:
# `target="_blank"` or `rel="noopener"` fail it and are not stored.
_URI_OK = re.compile(r"(?i)(https?:|mailto:|/|#)")
_URI_IGNORED = re.compile(r"[\x00-\x20\xa0\u1680\u180e\u2000-\u2029\u205f\u3000]")
_DATA = re.compile(r"data-[-\w.\u00b7-\uffff]+")
_ARIA = re.compile(r"aria-[-\w]+")
_UNSAFE_VALUE = re.compile(r"(?i)(--!?|\])>|</(style|script|title|xmp|textarea|noscript|iframe|noembed|noframes)")
_TRIM = "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
        "\u2028\u2029\u202f\u205f\u3000\ufeff"  # JavaScript's trim(), which DOMPurify applies to values


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    value = value.strip(_TRIM)
    if _UNSAFE_VALUE.search(value):
        return None
    if name.startswith(("data-", "aria-")):
        return value if (_DATA if name[0] == "d" else _ARIA).fullmatch(name) else None
    if name == "class" or value == "" or _URI_OK.match(_URI_IGNORED.sub("", value)):
        return value
    return None


SERVER_KEYS = {"__type", MARKER_KEY}


def content(text: str | None) -> str:
    """The text Postiz stores for `text`: verbatim unless it contains `<`."""
    if not isinstance(text, str):
        return ""
    if "<" not in text:
        return text
    return nh3.clean(text, tags=_TAGS, clean_content_tags=_GONE_WITH_TEXT, attributes=_ATTRIBUTES,
                     generic_attribute_prefixes=_PREFIXES, attribute_filter=_keep_attribute,
                     link_rel=None, url_schemes=_SCHEMES)


_PARAGRAPHS = re.compile(r"(?:<p>[^<]*</p>)+")
_PARAGRAPH = re.compile(r"<p>([^<]*)</p>")


def plain_text(stored: str) -> str:
    """A caption saved by the Postiz editor, as the plain text it shows.

    The editor opens plain text as one `<p>` per line and saves its HTML
    (docs/postiz-api.md §17.1), so a dashboard save turns "a\nb" into
    `<p>a</p><p>b</p>` without a word changed. Content made only of such paragraphs
    is read back as the lines it holds; anything else (real markup) stays as stored."""
    if not stored.startswith("<p>") or not _PARAGRAPHS.fullmatch(stored):
        return stored
    return "\n".join(html.unescape(line) for line in _PARAGRAPH.findall(stored))


def instant(value: datetime | str) -> datetime:
    """An aware UTC datetime; strings without a zone are UTC, as Postiz reads them."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())  # 3.11 reads a trailing Z
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso_z(value: datetime) -> str:
    """What Postiz gets and what the state stores: `2026-12-01T15:00:00.000Z`."""
    return instant(value).strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant(value).microsecond // 1000:03d}Z"


def settings(value: dict | None) -> dict:
    """Settings minus server-added and marker keys (the client decoded them already)."""
    return {k: v for k, v in (value or {}).items() if k not in SERVER_KEYS}


def text_digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(content(text).encode("utf-8")).hexdigest()
