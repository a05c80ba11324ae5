"""Content sanitising as Postiz does it with DOMPurify (docs/postiz-api.md §12).

Text without `<` is stored verbatim (DOMPurify's own shortcut); anything else is
parsed as HTML by nh3 (ammonia) and cut down the way DOMPurify cuts it with
Postiz's config (`sanitize.post.content.ts`): its output matches the transcripts
(`a < b & c <b>bold</b>` -> `a &lt; b &amp; c bold`).
"""

from __future__ import annotations

import re

import nh3

TAGS = {"p", "br", "strong", "u", "a", "ul", "li", "h1", "h2", "h3", "span"}
# Postiz's ALLOWED_ATTR is one list for every tag: `<p href>` is kept like `<a href>`.
ATTRIBUTES = {"*": {"href", "target", "rel", "class", "data-mention-id", "data-mention-label"}}
# DOMPurify keeps any well-formed data-*/aria-* attribute unless told otherwise.
ATTRIBUTE_PREFIXES = {"data-", "aria-"}
_DATA_NAME = re.compile(r"^data-[-\w.\u00b7-\uffff]+$")
_ARIA_NAME = re.compile(r"^aria-[-\w]+$")
# Elements DOMPurify drops together with their text (its FORBID_CONTENTS);
# ammonia would keep the text of all but script and style.
DROP_WITH_CONTENT = {
    "annotation-xml", "audio", "colgroup", "desc", "foreignobject", "head", "iframe", "math",
    "mi", "mn", "mo", "ms", "mtext", "noembed", "noframes", "noscript", "plaintext", "script",
    "style", "svg", "template", "thead", "title", "video", "xmp",
}
# Postiz's ALLOWED_URI_REGEXP. DOMPurify checks every allowed attribute's value
# against it except `class` and data-*/aria-*, so `target="_blank"`,
# `rel="noopener"` and `href="page.html"` are all dropped.
_URI = re.compile(r"^(?:https?:|mailto:|/|#)", re.I)
_URI_BLANKS = re.compile("[\u0000-\u0020\u00a0\u1680\u180e\u2000-\u2029\u205f\u3000]")
# DOMPurify's SAFE_FOR_XML: an attribute value that could close a comment or raw-text element goes.
_XML_BREAKER = re.compile(r"(--!?|\])>|</(style|script|title|xmp|textarea|noscript|iframe|noembed|noframes)", re.I)
# What JavaScript's String.prototype.trim removes; DOMPurify trims every value.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
            "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def _attribute(tag: str, name: str, value: str) -> str | None:
    value = value.strip(_JS_SPACE)
    if _XML_BREAKER.search(value):
        return None
    if name.startswith("data-"):
        return value if _DATA_NAME.match(name) else None
    if name.startswith("aria-"):
        return value if _ARIA_NAME.match(name) else None
    if name == "class" or not value:
        return value
    return value if _URI.match(_URI_BLANKS.sub("", value)) else None


def sanitize(content: object) -> str:
    if not isinstance(content, str):
        return ""
    if "<" not in content:
        return content
    return nh3.clean(content, tags=TAGS, clean_content_tags=DROP_WITH_CONTENT, attributes=ATTRIBUTES,
                     generic_attribute_prefixes=ATTRIBUTE_PREFIXES, attribute_filter=_attribute,
                     link_rel=None, url_schemes={"http", "https", "mailto"})


_TAG = re.compile(r"<[^>]*>")


def is_blank(content: str) -> bool:
    """Empty once tags are stripped and whitespace trimmed (`<p></p>` is blank)."""
    return not _TAG.sub("", content).replace("&nbsp;", " ").strip()
