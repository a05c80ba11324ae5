"""What Postiz accepts, per provider and for media: caption limits, required settings, file types and sizes.

From docs/postiz-api.md §14.2 (required settings, the minimal valid
set for each) and §14.3 (maximum lengths, media rules). Lengths are counted the
way Postiz counts them: the text as HTML-serialised (`&` counts as `&amp;`),
in UTF-16 code units (JavaScript `.length`); for X, the larger of that and the
twitter-text v3 weighted length (emoji and CJK count 2, URLs 23).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """A required setting: allowed values (None = any) or a check returning an error."""

    allowed: tuple | None = None
    check: Callable[[object], str | None] | None = None
    describe: str = ""


@dataclass(frozen=True)
class Provider:
    identifier: str
    max_length: int
    required_settings: dict[str, Setting] = field(default_factory=dict)
    needs_media: bool = False


def _text_between(lo: int, hi: int | None) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        if not isinstance(value, str):
            return f"must be text ({lo}-{hi} characters)" if hi else "must be text"
        n = utf16_length(value)
        if n < lo:
            return f"must be at least {lo} characters (has {n})"
        if hi is not None and n > hi:
            return f"must be at most {hi} characters (has {n})"
        return None
    return check


def _boolean(value: object) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


BOOL = Setting(check=_boolean, describe="true or false")

_TIKTOK = {
    "privacy_level": Setting(("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")),
    "duet": BOOL,
    "stitch": BOOL,
    "comment": BOOL,
    "brand_content_toggle": BOOL,
    "brand_organic_toggle": BOOL,
    "autoAddMusic": Setting(("yes", "no")),
    "content_posting_method": Setting(("DIRECT_POST", "UPLOAD")),
}
_INSTAGRAM = {"post_type": Setting(("post", "story"))}

PROVIDERS: dict[str, Provider] = {p.identifier: p for p in (
    Provider("x", 280, {"who_can_reply_post": Setting(("everyone", "following", "mentionedUsers", "subscribers", "verified"))}),
    Provider("linkedin", 3000),
    Provider("linkedin-page", 3000),
    Provider("facebook", 63206),
    Provider("instagram", 2200, _INSTAGRAM, needs_media=True),
    Provider("instagram-standalone", 2200, _INSTAGRAM, needs_media=True),
    Provider("threads", 500),
    Provider("youtube", 5000, {
        "title": Setting(check=_text_between(2, 100), describe="text, 2-100 characters"),
        "type": Setting(("public", "private", "unlisted")),
    }, needs_media=True),
    Provider("tiktok", 2000, _TIKTOK, needs_media=True),
    Provider("tiktok-business", 2200, _TIKTOK, needs_media=True),
    Provider("pinterest", 500, {
        "board": Setting(check=_text_between(1, None), describe="the board id (from Postiz's `boards` tool)"),
    }, needs_media=True),
    Provider("bluesky", 300),
    Provider("mastodon", 500),
    Provider("reddit", 10000, {"subreddit": Setting(check=lambda v: None if isinstance(v, list) and v else
                                                     "must list at least one subreddit",
                                                     describe="a list of subreddits")}),
)}

_HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\u00a0": "&nbsp;"}


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _as_postiz_counts(text: str) -> str:
    # Plain text is counted after HTML serialisation (docs/postiz-api.md §13.1): `&` is 5.
    return re.sub("[&<>\u00a0]", lambda m: _HTML_ESCAPES[m.group()], text)


def caption_length(identifier: str, text: str) -> int:
    return _length_of_counted(identifier, _as_postiz_counts(text))


def _length_of_counted(identifier: str, counted: str) -> int:
    raw = utf16_length(counted)
    if identifier == "x":
        # Imported here: twitter-text compiles large regexes (~0.13 s) that only X needs.
        from planner.xtext import weighted_length

        return max(weighted_length(counted), raw)
    return raw


def caption_length_over(identifier: str, text: str, limit: int) -> int | None:
    """The caption's length as Postiz counts it when that is over `limit`, else None.
    An X caption that surely fits is not weighed (xtext.surely_within)."""
    counted = _as_postiz_counts(text)
    if identifier == "x":
        from planner.xtext import surely_within

        if utf16_length(counted) <= limit and surely_within(counted, limit):
            return None
    n = _length_of_counted(identifier, counted)
    return n if n > limit else None


def max_length(identifier: str, settings: dict | None = None) -> int | None:
    provider = PROVIDERS.get(identifier)
    if provider is None:
        return None
    if identifier == "x" and (settings or {}).get("post_type") == "article":
        return 100000
    return provider.max_length


def missing_settings(identifier: str, settings: dict) -> list[str]:
    """Human messages for required settings that are missing or invalid (`[]` = fine)."""
    return [message for _name, message in settings_problems(identifier, settings)]


def settings_problems(identifier: str, settings: dict) -> list[tuple[str, str]]:
    """(setting name, message) for each required setting missing or invalid."""
    provider = PROVIDERS.get(identifier)
    if provider is None:
        return []
    required = dict(provider.required_settings)
    if identifier == "x" and settings.get("post_type") == "article":
        required = {"article_title": Setting(check=_text_between(1, None), describe="text"),
                    "article_status": Setting(("draft", "published"))}
    out: list[tuple[str, str]] = []
    for name, rule in required.items():
        if name not in settings or settings[name] is None:
            what = rule.describe or "one of " + ", ".join(rule.allowed or ())
            out.append((name, f"{name} is required by {identifier}: {what}"))
            continue
        value = settings[name]
        if rule.allowed is not None and value not in rule.allowed:
            shown = {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value
            extra = ""
            if isinstance(value, bool) and ("yes" in rule.allowed or "no" in rule.allowed):
                extra = ' (YAML reads a bare yes/no as true/false: write "yes" or "no" in quotes)'
            out.append((name, f"{name}: {shown!r} is not allowed; use one of {', '.join(rule.allowed)}{extra}"))
        elif rule.check is not None and (msg := rule.check(value)):
            out.append((name, f"{name} {msg}"))
    return out


HASHTAG = re.compile(r"(?<!\w)#[\w\u00C0-\uFFFF]+")  # also `{hashtags}` in templates


def title_from_caption(caption: str, limit: int = 100) -> str:
    """A readable title: the caption without hashtags, cut at a word to `limit` UTF-16 units."""
    text = " ".join(HASHTAG.sub(" ", caption).split()) or " ".join(caption.split())
    if utf16_length(text) > limit:
        cut = _prefix_within(text, limit - 1)  # room for the "…"
        word = cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut
        text = word.rstrip(" ,.;:-") + "…"
    if utf16_length(text) < 2:
        text = (text + " clip").strip() if text else "Clip"
    return text


def _prefix_within(text: str, units: int) -> str:
    """The longest start of `text` that fits in `units` UTF-16 code units (one pass, however long the text)."""
    used = 0
    for i, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:i]
    return text


def default_settings(identifier: str, caption: str) -> dict:
    """Conservative settings that make a post valid for `identifier` (docs/postiz-api.md §14.2).

    youtube: public, title derived from the caption. tiktok: public, direct
    post, no duet/stitch, comments on, no music, no branded content. x: anyone
    can reply. instagram: a feed post. pinterest has no default (it needs a
    board id only you know): `missing_settings` reports it.
    """
    if identifier == "youtube":
        return {"title": title_from_caption(caption), "type": "public"}
    if identifier in ("tiktok", "tiktok-business"):
        return {"privacy_level": "PUBLIC_TO_EVERYONE", "duet": False, "stitch": False, "comment": True,
                "autoAddMusic": "no", "brand_content_toggle": False, "brand_organic_toggle": False,
                "content_posting_method": "DIRECT_POST"}
    if identifier == "x":
        return {"who_can_reply_post": "everyone"}
    if identifier in ("instagram", "instagram-standalone"):
        return {"post_type": "post"}
    return {}


def effective_settings(identifier: str | None, caption: str, channel_settings: Mapping | None = None,
                       override_settings: Mapping | None = None) -> dict:
    """The settings a post sends: provider defaults < channel settings < the post's override.

    The one place this order is written. A provider this module does not know
    (or None) has no defaults; None for either settings layer means none.
    """
    return {**(default_settings(identifier, caption) if identifier else {}),
            **(channel_settings or {}), **(override_settings or {})}


# What Postiz takes in a post, by sniffed type (docs/postiz-api.md §6.2: upload allow-list and size
# limits; 5.1 gotchas: AVIF, BMP and TIFF upload but cannot be used in a post).
POSTABLE_TYPES = {"video/mp4", "image/jpeg", "image/png", "image/gif", "image/webp"}
MAX_VIDEO_BYTES = 1 << 30  # 1 GiB
MAX_IMAGE_BYTES = 10 << 20  # 10 MiB


def media_problem(path: Path, size: int) -> tuple[str, str] | None:
    """(why, hint) when Postiz would refuse this file as post media; None = fine."""
    import filetype

    try:
        kind = filetype.guess_mime(str(path))
    except OSError as exc:
        return f"cannot read the media file ({exc.strerror or exc})", "check the file's permissions"
    if kind not in POSTABLE_TYPES:
        found = f" (it is {kind})" if kind else ""
        return (f"{path.name} is not an MP4 video or a JPEG/PNG/GIF/WebP image{found}: Postiz refuses it",
                "Postiz looks at the bytes, not the name; point media.path at the exported .mp4")
    if kind.startswith("video/") and size > MAX_VIDEO_BYTES:
        return (f"{path.name} is {size / (1 << 30):.1f} GB: over Postiz's 1 GB upload limit for videos",
                "re-export the clip shorter or at a lower bitrate")
    if kind.startswith("image/") and size > MAX_IMAGE_BYTES:
        return (f"{path.name} is {size / (1 << 20):.1f} MB: over Postiz's 10 MB upload limit for images",
                "save the image smaller")
    return None


# Who reads a post's media from its upload `path` URL at publish time (docs/postiz-api.md §6.5,
# from Postiz's libraries/nestjs-libraries/src/integrations/social/*.provider.ts, alike at v2.23.0
# and main): NETWORK = Postiz hands the URL to the network, which fetches it from the internet
# (so it must be public https); POSTIZ = Postiz's own backend reads the URL and uploads the bytes.
NETWORK, POSTIZ = "network", "postiz"
MEDIA_READER: dict[str, tuple[str, str]] = {  # identifier -> (who reads images, who reads videos)
    "instagram": (NETWORK, NETWORK),
    "instagram-standalone": (NETWORK, NETWORK),
    "facebook": (NETWORK, NETWORK),
    "threads": (NETWORK, NETWORK),
    "tiktok": (NETWORK, POSTIZ),  # photos PULL_FROM_URL, videos FILE_UPLOAD
    "tiktok-business": (NETWORK, NETWORK),  # main only; PULL_FROM_URL for both
    "pinterest": (NETWORK, POSTIZ),
    "gmb": (NETWORK, NETWORK),
    "youtube": (POSTIZ, POSTIZ),
    "x": (POSTIZ, POSTIZ),
    "linkedin": (POSTIZ, POSTIZ),
    "linkedin-page": (POSTIZ, POSTIZ),
}


def is_video_path(path: str) -> bool:
    """As Postiz decides it: a media path holding `mp4` is a video (docs/postiz-api.md §6.4)."""
    return "mp4" in path.lower()


def media_reader(identifier: str | None, video: bool) -> str | None:
    """NETWORK, POSTIZ, or None when this module does not know the provider."""
    readers = MEDIA_READER.get(identifier or "")
    return None if readers is None else readers[1 if video else 0]
