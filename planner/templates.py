"""The template language of rules files: `{name}` placeholders, `{name:80}` cut to a width.

Used for captions of uncaptioned clips and per-channel captions and settings.
A placeholder is one of `TEMPLATE_NAMES`, nothing more: templates come from
files anyone may edit, so nothing in them is ever evaluated.
"""

from __future__ import annotations

import re

from planner.providers import HASHTAG, title_from_caption, utf16_length

# Every {...} is a placeholder: a known name, optionally `:width`. Nothing in it is
# ever evaluated (no str.format: `{clip.__class__}` would reach into Python objects).
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
TEMPLATE_NAMES = ("caption", "text", "hashtags", "title", "clip", "key", "video_title", "video_id", "youtube_id", "name")


def template_problems(template: str) -> list[tuple[str, str]]:
    """(message, hint) for each placeholder that is not a known name with an optional width >= 1."""
    out = []
    for body in dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(template)):
        name, colon, width = body.partition(":")
        if name not in TEMPLATE_NAMES:
            out.append((f"unknown placeholder {{{body}}}; use one of " + ", ".join("{" + n + "}" for n in TEMPLATE_NAMES),
                        "a placeholder is one of these names, optionally with a width ({title:80}); "
                        "attribute and index access ({clip.x}, {clip[0]}) are not supported"))
        elif colon and not (width.isascii() and width.isdigit() and int(width) >= 1):
            out.append((f"{{{body}}}: the width must be a whole number of characters, at least 1",
                        f"{{{name}:80}} cuts {name} at a word to 80 characters; {{{name}}} keeps it whole"))
    return out


# In a plan file, text is final: a placeholder of the template language left in
# it (`{video_title}`, `{title:80}`, `{clip.__class__}`) would be posted as is.
_FIELD = "|".join(TEMPLATE_NAMES)
UNRENDERED = re.compile(r"\{(?:(?:" + _FIELD + r")(?::[^{}]*)?|(?:" + _FIELD + r")\s*[.\[][^{}]*)\}")


def unrendered_placeholders(text: str) -> list[str]:
    """Template placeholders left in final text (other braces are ordinary text)."""
    return list(dict.fromkeys(m.group(0) for m in UNRENDERED.finditer(text)))


def uses(template: str, name: str) -> bool:
    """Whether `template` has a `{name}` or `{name:width}` placeholder."""
    return any(m.group(1).partition(":")[0] == name for m in PLACEHOLDER.finditer(template))


def render_template(template: str, values: dict[str, str]) -> str:
    """`{name}` replaced by its value; `{name:80}` cut at a word to 80 characters.

    Only for templates `template_problems` accepts (rules files and flags are checked on load).
    """
    def sub(m: re.Match) -> str:
        name, _, width = m.group(1).partition(":")
        value = values[name]
        if width and utf16_length(value) > int(width):
            value = title_from_caption(value, int(width)) if name != "hashtags" else value[:int(width)]
        return value
    return PLACEHOLDER.sub(sub, template)


def template_values(caption: str, clip_id: int, key: str, video_title: str, video_id: str, name: str,
                    youtube_id: str | None = None) -> dict:
    """The value of every placeholder for one clip of one plan. `youtube_id` None: the
    video folder ends in no YouTube id (the caller refuses templates that use it)."""
    tags = HASHTAG.findall(caption)
    return {
        "caption": caption,
        "text": " ".join(HASHTAG.sub(" ", caption).split()),
        "hashtags": " ".join(tags),
        "title": title_from_caption(caption),
        "clip": str(clip_id),
        "key": key,
        "video_title": video_title,
        "video_id": video_id,
        "youtube_id": youtube_id or "",
        "name": name,
    }
