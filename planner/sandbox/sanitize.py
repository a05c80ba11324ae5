"""Content sanitising as Postiz does it with DOMPurify (API.md 14.5).

Text without `<` is stored verbatim; anything else is parsed as HTML by nh3
(ammonia), keeping Postiz's allow-list; its output matches the transcripts
(`a < b & c <b>bold</b>` -> `a &lt; b &amp; c bold`).
"""

from __future__ import annotations

import re

import nh3

TAGS = {"p", "br", "strong", "u", "a", "ul", "li", "h1", "h2", "h3", "span"}
ATTRIBUTES = {
    "*": {"class", "data-mention-id", "data-mention-label"},
    "a": {"href", "target", "rel"},
}


def sanitize(content: object) -> str:
    if not isinstance(content, str):
        return ""
    if "<" not in content:
        return content
    return nh3.clean(content, tags=TAGS, attributes=ATTRIBUTES, link_rel=None,
                     url_schemes={"http", "https", "mailto"})


_TAG = re.compile(r"<[^>]*>")


def is_blank(content: str) -> bool:
    """Empty once tags are stripped and whitespace trimmed (`<p></p>` is blank)."""
    return not _TAG.sub("", content).replace("&nbsp;", " ").strip()
