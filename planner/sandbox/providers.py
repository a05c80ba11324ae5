"""What the sandbox knows per provider: limits, settings rules, media rules, schemas.

Tables follow docs/postiz-api.md §5.2, §14.2 and §14.3; the linkedin, x and youtube schemas have
the shapes a real backend returned (transcripts). Messages are class-validator's
and Postiz's exact strings, since clients match on them.
"""

from __future__ import annotations

import re
import sys
import types
import unicodedata
from collections.abc import Callable
from functools import cache
from importlib import resources

Check = Callable[[object, str], "str | None"]


# -- class-validator constraints: each returns the message (without path) or None
def defined(v, p):
    return f"{p} should not be null or undefined" if v is None else None


def is_in(*values):
    def check(v, p):
        if v in values and not isinstance(v, bool):
            return None
        return f"{p} must be one of the following values: {', '.join(values)}"
    return check


def is_string(v, p):
    return None if isinstance(v, str) else f"{p} must be a string"


def min_len(n):
    def check(v, p):
        ok = isinstance(v, str) and len(v) >= n
        return None if ok else f"{p} must be longer than or equal to {n} characters"
    return check


def max_len(n):
    def check(v, p):
        ok = isinstance(v, str) and len(v) <= n
        return None if ok else f"{p} must be shorter than or equal to {n} characters"
    return check


def is_bool(v, p):
    return None if isinstance(v, bool) else f"{p} must be a boolean value"


def custom(message: str, ok: Callable[[object], bool]) -> Check:
    return lambda v, p: None if ok(v) else message


_URL = re.compile(
    r"^(https?|ftp)://(?:[^\s/:?#@]+@)?(?:(?:[a-z0-9-]+\.)+[a-z]{2,}|\d{1,3}(?:\.\d{1,3}){3})"
    r"(?::\d+)?(?:[/?#]\S*)?$",
    re.I,
)


def is_url(v, p):
    return None if isinstance(v, str) and _URL.match(v) else f"{p} must be a URL address"


# A field: (name, checks, when) where `when(settings)` says whether it is validated


def optional(name):
    return lambda s: s.get(name) is not None


def truthy(name):
    return lambda s: bool(s.get(name))


class Field:
    def __init__(self, name: str, checks: list[Check], when=None, kind: str | None = None):
        self.name, self.checks, self.kind = name, checks, kind
        self.when = when or (lambda s: True)


X_REPLY = ["everyone", "following", "mentionedUsers", "subscribers", "verified"]
_COMMUNITY = re.compile(r"^(https://x\.com/i/communities/\d+)?$")

# The settings discriminator (all.providers.settings.ts): an identifier missing from it
# falls back to EmptySettings, whose only check is an @IsIn over these names.
SETTINGS_TYPES = (
    "reddit", "lemmy", "youtube", "pinterest", "dribbble", "tiktok", "tiktok-business", "discord",
    "slack", "kick", "twitch", "x", "linkedin", "linkedin-page", "instagram", "instagram-standalone",
    "medium", "devto", "wordpress", "hashnode", "listmonk", "gmb", "wrapcast", "facebook", "threads",
    "mastodon", "bluesky", "telegram", "nostr", "vk", "moltbook", "skool", "whop", "mewe", "tumblr",
)


def settings_types(compat: str) -> tuple[str, ...]:
    if compat == "v2.23.0":  # tiktok-business joined the list after the release
        return tuple(t for t in SETTINGS_TYPES if t != "tiktok-business")
    return SETTINGS_TYPES


def has_provider(identifier: str, compat: str) -> bool:
    """Whether the server has a provider class for the channel (v2.23.0 had no TikTok Business)."""
    return not (compat == "v2.23.0" and identifier == "tiktok-business")


def _x_fields(compat: str) -> list[Field]:
    # Fields in XDto's declaration order, which is class-validator's message order.
    # @Matches carries a custom message, so no `community must match …`.
    community = Field("community", [custom(
        "Invalid X community URL. It should be in the format: https://x.com/i/communities/1493446837214187523",
        lambda v: isinstance(v, str) and bool(_COMMUNITY.match(v)))], optional("community"), "str")
    flags = [Field("made_with_ai", [is_bool], optional("made_with_ai"), "bool"),
             Field("paid_partnership", [is_bool], optional("paid_partnership"), "bool")]
    if compat == "v2.23.0":  # no article fields; who_can_reply_post always required
        return [community, Field("who_can_reply_post", [is_in(*X_REPLY)], kind="str"), *flags]
    is_article = lambda s: s.get("post_type") == "article"  # noqa: E731
    title = custom("Article title is required", lambda v: isinstance(v, str) and len(v) >= 1)
    return [
        community,
        Field("who_can_reply_post", [is_in(*X_REPLY)], lambda s: not is_article(s), "str"),
        Field("post_type", [is_in("post", "article")], optional("post_type"), "str"),
        Field("article_title", [title, is_string], is_article, "str"),
        Field("article_status", [is_in("draft", "published")], is_article, "str"),
        *flags,
    ]


def _tiktok_fields() -> list[Field]:
    # TikTokDto's declaration order (v2.23.0 and main alike); the string fields
    # carry @IsString under their @IsIn, so a missing one gets both messages.
    return [
        Field("title", [max_len(90)], truthy("title"), "str"),
        Field("privacy_level", [is_string, is_in("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS",
                                                 "FOLLOWER_OF_CREATOR", "SELF_ONLY")], kind="str"),
        Field("duet", [is_bool], kind="bool"),
        Field("stitch", [is_bool], kind="bool"),
        Field("comment", [is_bool], kind="bool"),
        Field("autoAddMusic", [is_in("yes", "no")], kind="str"),
        Field("brand_content_toggle", [is_bool], kind="bool"),
        Field("video_made_with_ai", [is_bool], optional("video_made_with_ai"), "bool"),
        Field("brand_organic_toggle", [is_bool], kind="bool"),
        Field("content_posting_method", [is_string, is_in("DIRECT_POST", "UPLOAD")], kind="str"),
    ]


def _instagram_fields() -> list[Field]:
    return [
        Field("post_type", [defined, is_in("post", "story")]),
        Field("graduation_strategy", [is_in("MANUAL", "SS_PERFORMANCE")], optional("graduation_strategy")),
    ]


def _reddit_check(v, p):
    if not isinstance(v, list):
        return [f"{p} must be an array", f"{p} must contain at least 1 elements"]
    if not v:
        return [f"{p} must contain at least 1 elements"]
    out = []
    for i, entry in enumerate(v):
        value = entry.get("value") if isinstance(entry, dict) else None
        if not isinstance(value, dict):
            out.append(f"{p}.{i}.value should not be null or undefined")
            continue
        for key in ("subreddit", "title", "type"):
            if not (isinstance(value.get(key), str) and len(value[key]) >= 2):
                out.append(f"{p}.{i}.value.{key} must be longer than or equal to 2 characters")
        if not isinstance(value.get("is_flair_required"), bool):
            out.append(f"{p}.{i}.value.is_flair_required must be a boolean value")
    return out


def settings_fields(identifier: str, compat: str = "main") -> list[Field]:
    if identifier not in settings_types(compat):
        return []
    if identifier == "x":
        return _x_fields(compat)
    if identifier == "youtube":
        return [
            Field("title", [defined, max_len(100), min_len(2), is_string], kind="str"),
            Field("type", [defined, is_in("public", "private", "unlisted")]),
            Field("selfDeclaredMadeForKids", [is_in("yes", "no")], optional("selfDeclaredMadeForKids")),
        ]
    if identifier in ("tiktok", "tiktok-business"):
        return _tiktok_fields()
    if identifier in ("instagram", "instagram-standalone"):
        return _instagram_fields()
    if identifier in ("linkedin", "linkedin-page"):
        return [
            Field("post_as_images_carousel", [is_bool], optional("post_as_images_carousel"), "bool"),
            Field("carousel_name", [is_string], optional("carousel_name"), "str"),
        ]
    if identifier == "facebook":
        return [
            Field("url", [is_url], truthy("url")),
            Field("post_type", [is_in("post", "story")], optional("post_type")),
        ]
    if identifier == "pinterest":
        board = lambda v: isinstance(v, str) and bool(v)  # noqa: E731
        return [
            Field("title", [max_len(100)], truthy("title"), "str"),
            Field("link", [is_url], truthy("link")),
            Field("board", [custom("Board is required", board)] * 3),
        ]
    return []


def validate_settings(identifier: str, settings: dict, prefix: str, compat: str = "main") -> list[str]:
    """Family-B messages for one entry's settings, each prefixed with e.g. `posts.0.settings.`."""
    out: list[str] = []
    types = settings_types(compat)
    if identifier not in types:
        return [f'{prefix}"__type" must be {", ".join(types)}']
    if identifier == "reddit":
        return [prefix + m for m in _reddit_check(settings.get("subreddit"), "subreddit")]
    for field in settings_fields(identifier, compat):
        if not field.when(settings):
            continue
        value = settings.get(field.name)
        for check in field.checks:
            message = check(value, field.name)
            if message:
                out.append(prefix + message)
    return out


def coerce_settings(identifier: str, settings: dict, compat: str = "main") -> None:
    """class-transformer's implicit conversion: `"false"` becomes True (JS truthiness)."""
    for field in settings_fields(identifier, compat):
        value = settings.get(field.name)
        if value is None:
            continue
        if field.kind == "bool" and not isinstance(value, bool):
            settings[field.name] = js_truthy(value)
        elif field.kind == "str" and isinstance(value, bool | int | float):
            settings[field.name] = js_string(value)


def js_truthy(value: object) -> bool:
    if isinstance(value, str):
        return value != ""
    if isinstance(value, int | float):
        return value != 0 and value == value
    return value is not None


def js_string(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def known_setting_keys(identifier: str) -> set[str]:
    keys = {f.name for f in settings_fields(identifier)} | {"__type"}
    extra = {
        "youtube": {"thumbnail", "tags"},
        "x": {"article_cover"},
        "instagram": {"is_trial_reel", "collaborators", "audio"},
        "instagram-standalone": {"is_trial_reel", "collaborators", "audio"},
        "tiktok-business": {"music", "location"},
        "pinterest": {"dominant_color"},
        "facebook": {"text_format_preset_id"},
        "reddit": {"subreddit"},
    }
    return keys | extra.get(identifier, set())


# -- lengths (docs/postiz-api.md §13, §14.2) ---------------------------------------------
MAX_LENGTH = {
    "x": 280, "linkedin": 3000, "linkedin-page": 3000, "facebook": 63206, "instagram": 2200,
    "instagram-standalone": 2200, "threads": 500, "youtube": 5000, "tiktok": 2000,
    "tiktok-business": 2200, "pinterest": 500, "bluesky": 300, "mastodon": 500, "reddit": 10000,
}


def max_length(identifier: str, settings: dict, verified: bool = False, compat: str = "main") -> int:
    if identifier == "x":
        if settings.get("post_type") == "article" and compat != "v2.23.0":  # articles came after
            return 100000
        return 4000 if verified else 280
    return MAX_LENGTH.get(identifier, 0)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def x_weighted_length(text: str) -> int:
    """twitter-text v3 weighted length (URLs 23, CJK and emoji 2), as Postiz counts X."""
    return _parse_tweet()(text).weightedLength


@cache
def _parse_tweet():
    """twitter-text-parser reads its emoji table through pkg_resources (setuptools, which
    it does not declare and newer Pythons lack): that one call is served by importlib
    for the import. The tool does the same in planner/xtext.py; the sandbox keeps its
    own copy, as it shares no code with the tool (tests/test_layers.py)."""
    if "twitter_text" not in sys.modules and "pkg_resources" not in sys.modules:
        def resource_string(module: str, name: str) -> bytes:
            package = module if hasattr(sys.modules[module], "__path__") else module.rpartition(".")[0]
            return resources.files(package).joinpath(name).read_bytes()

        sys.modules["pkg_resources"] = types.SimpleNamespace(resource_string=resource_string)
        try:
            import twitter_text  # noqa: F401
        finally:
            del sys.modules["pkg_resources"]
    from twitter_text import parse_tweet

    return parse_tweet


_TAG = re.compile(r"<[^>]*>")


def counted_text(content: str) -> str:
    """What Postiz's `stripHtmlValidation('normal', …)` leaves to be counted."""
    import html

    if "<p>" in content or "<p " in content:
        text = re.sub(r"</p>\s*<p[^>]*>", "\n", content)
        return html.unescape(_TAG.sub("", text))
    if "<" in content:
        return content  # already HTML-serialised by the sanitiser
    # parse5 re-serialises text, so & < > and nbsp count as their entities
    return content.replace("&", "&amp;").replace("\u00a0", "&nbsp;").replace(">", "&gt;")


def content_length(identifier: str, content: str) -> int:
    return _length_of_counted(identifier, counted_text(content))


def _length_of_counted(identifier: str, text: str) -> int:
    raw = utf16_len(text)
    if identifier == "x":
        return max(x_weighted_length(text), raw)
    return raw


# twitter-text's heaviest code point and its weight of a URL (tests/plan/test_providers.py
# checks both against twitter-text's own config).
X_MAX_CHAR_WEIGHT = 2
X_URL_WEIGHT = 23


def content_over(identifier: str, content: str, limit: int) -> bool:
    """content_length(...) > limit, without weighing an X text that surely fits: no code
    point of its NFC form weighs over X_MAX_CHAR_WEIGHT and each URL X_URL_WEIGHT, and
    every URL holds a '.'."""
    text = counted_text(content)
    if identifier == "x":
        nfc = unicodedata.normalize("NFC", text)
        if (utf16_len(text) <= limit
                and X_MAX_CHAR_WEIGHT * len(nfc) + X_URL_WEIGHT * nfc.count(".") <= limit):
            return False
    return _length_of_counted(identifier, text) > limit


# -- media rules: provider.checkValidity (docs/postiz-api.md §14.3) -------------------------
def _is_video(item: dict) -> bool:
    return "mp4" in str(item.get("path", ""))


def media_problem(identifier: str, values: list[dict], settings: dict, compat: str = "main") -> str | None:
    media = [list(v.get("image") or []) for v in values]
    first = media[0] if media else []
    if identifier == "youtube":
        if len(first) != 1:
            return "You need one media"
        if not _is_video(first[0]):
            return "Item must be a video"
    elif identifier in ("instagram", "instagram-standalone"):
        if not first:
            return "Should have at least one media"
        if identifier == "instagram" and len(first) > 10:
            return "Instagram carousel only supports up to 10 media attachments"
        if settings.get("is_trial_reel"):
            if len(first) != 1:
                return "Trial Reels can only have one video"
            if not _is_video(first[0]):
                return "Trial Reels must be a video"
    elif identifier in ("tiktok", "tiktok-business"):
        if not first:
            return "No video / images selected"
        if len(first) > 1 and any(_is_video(m) for m in first):
            return "Only pictures are supported when selecting multiple items"
        if identifier == "tiktok-business" and len(first) > 35:
            return "You can select up to 35 pictures"
    elif identifier in ("linkedin", "linkedin-page"):
        if settings.get("post_as_images_carousel") and (len(first) < 2 or any(map(_is_video, first))):
            return "Carousel can only be created with 2 or more images and no videos."
        if len(first) > 1 and any(map(_is_video, first)):
            return "Can have maximum 1 media when selecting a video."
        if any(media[1:]):
            return "Comments can only contain text."
    elif identifier == "facebook":
        if settings.get("post_type") == "story" and not first:
            return "Story should have at least one media"
    elif identifier == "pinterest":
        if not first:
            return "Requires at least one media"
        if len(first) > 5:
            return "You can only have up to 5 media items"
        if _is_video(first[0]) and len(first) < 2:
            return "If posting a video you have to also include a cover image as second media"
        if _is_video(first[0]) and len(first) > 2:
            return "If posting a video you can only have two media items"
    elif identifier == "bluesky":
        for items in media:
            if any(map(_is_video, items)) and len(items) > 1:
                return "You can only upload one video per post."
            if len(items) > 4:
                return "There can be maximum 4 pictures in a post."
    elif identifier == "x" and settings.get("post_type") == "article" and compat != "v2.23.0":
        if any(_is_video(m) for items in media for m in items):
            return "X articles only support images"
        if settings.get("article_status") == "draft" and len(values) > 1:
            return "A draft article cannot have thread replies, remove them or publish the article"
    elif identifier == "reddit":
        subs = settings.get("subreddit") or []
        types = [(s.get("value") or {}).get("type") for s in subs if isinstance(s, dict)]
        if "media" in types and len(first) != 1:
            return "When posting a media post, you must attached exactly one media file."
        if any(_is_video(m) and not m.get("thumbnail") for m in first):
            return "You must attach a thumbnail to your video post."
    return None
