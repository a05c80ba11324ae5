"""`GET /integration-settings/:id` bodies per provider (docs/postiz-api.md §5.2).

linkedin, x and youtube have the shapes a real backend answered (transcripts);
the others are written from docs/postiz-api.md §14.2-14.3 in the same style.
"""

from __future__ import annotations

from planner.sandbox.providers import MAX_LENGTH, X_REPLY, has_provider

NO_SETTINGS = "No additional settings required"

_MEDIA = {
    "properties": {
        "id": {"not": {"type": "null"}, "type": "string"},
        "path": {"type": "string", "not": {"type": "null"}},
        "alt": {"type": "string"},
        "thumbnail": {"format": "url", "type": "string"},
    },
    "type": "object",
    "required": ["id", "path"],
}

RULES = {
    "linkedin": "LinkedIn can have maximum one attachment when selecting video, when choosing a carousel on LinkedIn minimum amount of attachment must be two, and only pictures, if uploading a video, LinkedIn can have only one attachment",
    "x": "X can have maximum 4 pictures, or maximum one video, it can also be without attachments, it can also be published as a long-form article (draft or published) when post_type is set to article ",
    "youtube": "YouTube must have on video attachment, it cannot be empty",
    "tiktok": "TikTok can have one video or one picture or multiple pictures, it cannot be without an attachment",
    "instagram": "Instagram should have at least one attachment, if it's a story, it can have only one picture",
    "instagram-standalone": "Instagram should have at least one attachment, if it's a story, it can have only one picture",
    "facebook": "",
    "pinterest": "Pinterest requires at least one media, if posting a video, you must have two attachment, one for video, one for the cover picture, When posting a video, there can be only one",
    "bluesky": "Bluesky can have maximum 4 pictures, or one video",
    "reddit": "",
    "threads": "",
    "mastodon": "",
}
RULES["linkedin-page"] = RULES["linkedin"]
RULES["tiktok-business"] = RULES["tiktok"]
# v2.23.0's XProvider @Rules, before articles (STRIP_LINKS_FROM_X_POSTS unset leaves the space).
X_RULES_V2_23_0 = "X can have maximum 4 pictures, or maximum one video, it can also be without attachments "


def _enum(*values: str, **extra) -> dict:
    return {"type": "string", "enum": list(values), **extra}


def _x_schema_v2_23_0() -> dict:
    # XDto at v2.23.0: who_can_reply_post has no @IsOptional/@ValidateIf, so
    # class-validator-jsonschema lists it as required.
    return {
        "properties": {
            "community": {"pattern": "^(https:\\/\\/x\\.com\\/i\\/communities\\/\\d+)?$", "type": "string"},
            "who_can_reply_post": _enum(*X_REPLY),
            "made_with_ai": {"type": "boolean"},
            "paid_partnership": {"type": "boolean"},
        },
        "type": "object",
        "required": ["who_can_reply_post"],
    }


def _schema(identifier: str, compat: str) -> dict | str:
    if identifier in ("linkedin", "linkedin-page", "threads", "bluesky", "mastodon"):
        return NO_SETTINGS
    if identifier == "x" and compat == "v2.23.0":
        return _x_schema_v2_23_0()
    if identifier == "x":
        return {
            "properties": {
                "community": {"pattern": "^(https:\\/\\/x\\.com\\/i\\/communities\\/\\d+)?$", "type": "string"},
                "who_can_reply_post": _enum(*X_REPLY),
                "post_type": _enum("post", "article", description="post = a regular short post (plain text). article = a long-form X article: write the post content as HTML (p, h1, h2, h3, ul, ol, li, strong, u, a) - the formatting is kept in the article"),
                "article_title": {"minLength": 1, "type": "string", "description": "The title of the article, required when post_type is article"},
                "article_status": _enum("draft", "published", description="draft = save the article as a draft on X, published = publish it right away, required when post_type is article"),
                "article_cover": {**_MEDIA, "description": "Optional cover image for the article, only used when post_type is article"},
                "made_with_ai": {"type": "boolean"},
                "paid_partnership": {"type": "boolean"},
            },
            "type": "object",
        }
    if identifier == "youtube":
        return {
            "properties": {
                "title": {"not": {"type": "null"}, "maxLength": 100, "type": "string", "minLength": 2},
                "type": {"not": {"type": "null"}, **_enum("public", "private", "unlisted")},
                "selfDeclaredMadeForKids": _enum("yes", "no"),
                "thumbnail": _MEDIA,
                "tags": {
                    "$ref": "#/definitions/Array",
                    "items": {"properties": {"value": {"type": "string"}, "label": {"type": "string"}},
                              "type": "object", "required": ["value", "label"]},
                    "type": "array",
                },
            },
            "type": "object",
            "required": ["title", "type"],
        }
    if identifier in ("tiktok", "tiktok-business"):
        props = {
            "title": {"maxLength": 90, "type": "string"},
            "privacy_level": _enum("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"),
            "duet": {"type": "boolean"},
            "stitch": {"type": "boolean"},
            "comment": {"type": "boolean"},
            "autoAddMusic": _enum("yes", "no"),
            "brand_content_toggle": {"type": "boolean"},
            "brand_organic_toggle": {"type": "boolean"},
            "video_made_with_ai": {"type": "boolean"},
            "content_posting_method": _enum("DIRECT_POST", "UPLOAD", description="DIRECT_POST publishes; UPLOAD sends the media to the creator's TikTok inbox"),
        }
        return {"properties": props, "type": "object",
                "required": ["privacy_level", "duet", "stitch", "comment", "autoAddMusic",
                             "brand_content_toggle", "brand_organic_toggle", "content_posting_method"]}
    if identifier in ("instagram", "instagram-standalone"):
        return {
            "properties": {
                "post_type": {"not": {"type": "null"}, **_enum("post", "story")},
                "is_trial_reel": {"type": "boolean"},
                "graduation_strategy": _enum("MANUAL", "SS_PERFORMANCE"),
                "collaborators": {"type": "array", "items": {"type": "object", "properties": {"label": {"type": "string"}}}},
            },
            "type": "object",
            "required": ["post_type"],
        }
    if identifier == "facebook":
        return {"properties": {"url": {"format": "url", "type": "string"}, "post_type": _enum("post", "story"),
                               "text_format_preset_id": {"type": "string"}}, "type": "object"}
    if identifier == "pinterest":
        return {"properties": {"title": {"maxLength": 100, "type": "string"}, "link": {"format": "url", "type": "string"},
                               "dominant_color": {"type": "string"}, "board": {"minLength": 1, "type": "string"}},
                "type": "object", "required": ["board"]}
    if identifier == "reddit":
        return {"properties": {"subreddit": {"minItems": 1, "type": "array", "items": {"type": "object"}}},
                "type": "object", "required": ["subreddit"]}
    return {}


_TOOLS = {
    "pinterest": [{"methodName": "boards", "description": "List of boards", "dataSchema": []}],
    "reddit": [
        {"methodName": "subreddits", "description": "Search subreddits",
         "dataSchema": [{"key": "word", "type": "string", "description": "Term to search"}]},
        {"methodName": "restrictions", "description": "Restrictions of a subreddit",
         "dataSchema": [{"key": "subreddit", "type": "string", "description": "Subreddit name"}]},
    ],
    "instagram": [{"methodName": "audioSearch", "description": "Search audio",
                   "dataSchema": [{"key": "q", "type": "string", "description": "Search term"}]}],
    "tiktok-business": [
        {"methodName": "musicSearch", "description": "Search music",
         "dataSchema": [{"key": "q", "type": "string", "description": "Search term"}]},
        {"methodName": "locationSearch", "description": "Search locations",
         "dataSchema": [{"key": "q", "type": "string", "description": "Search term"}]},
    ],
}


def integration_settings(identifier: str, verified: bool = False, compat: str = "main") -> dict:
    if identifier not in MAX_LENGTH or not has_provider(identifier, compat):
        return {"output": {"rules": "", "maxLength": 0, "settings": {}, "tools": []}}
    max_length = 4000 if identifier == "x" and verified else MAX_LENGTH[identifier]
    rules = X_RULES_V2_23_0 if identifier == "x" and compat == "v2.23.0" else RULES.get(identifier, "")
    return {"output": {"rules": rules, "maxLength": max_length,
                       "settings": _schema(identifier, compat), "tools": _TOOLS.get(identifier, [])}}
