"""Layer 1 of `POST /posts` (docs/postiz-api.md §11.1): class-validator on CreatePostDto, family B.

Also applies class-transformer's implicit conversion, because the converted body
is what Postiz stores (`"false"` becomes true, `"7"` becomes 7).
"""

from __future__ import annotations

import re

from planner.sandbox import providers
from planner.sandbox.clock import is_iso8601
from planner.sandbox.providers import is_bool, js_truthy
from planner.sandbox.sanitize import is_blank

_EXT = re.compile(r"\.(png|jpg|jpeg|gif|webp|mp4)$")
NUMBER_MSG = "must be a number conforming to the specified constraints"


def js_number(value: object) -> object:
    """`Number(value)` for implicit conversion; None means NaN."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    return None


def validate_body(body: dict, channels: list[dict], compat: str) -> list[str]:
    """Return every layer-1 message (in class-validator order); coerce `body` in place."""
    out: list[str] = []
    if body.get("shortLink") is not None and not isinstance(body["shortLink"], bool):
        body["shortLink"] = js_truthy(body["shortLink"])
    if body.get("shortLink") is None:
        out.append("shortLink should not be null or undefined")
    if (m := is_bool(body.get("shortLink"), "shortLink")):
        out.append(m)
    if body.get("republish") is not None and compat != "v2.23.0":
        if not isinstance(body["republish"], bool):
            body["republish"] = js_truthy(body["republish"])
    if body.get("inter") is not None:
        body["inter"] = js_number(body["inter"])
        if body["inter"] is None:
            out.append(f"inter {NUMBER_MSG}")
    if body.get("date") is None:
        out.append("date should not be null or undefined")
    if not is_iso8601(body.get("date")):
        out.append("date must be a valid ISO 8601 date string")
    if body.get("tags") is None:
        out.append("tags should not be null or undefined")
    if not isinstance(body.get("tags"), list):
        out.append("tags must be an array")
    posts = body.get("posts")
    if isinstance(posts, list) and not posts:
        out.append("posts must contain at least 1 elements")
    for n, (entry, channel) in enumerate(zip(posts or [], channels, strict=False)):
        out.extend(_validate_entry(entry, channel, f"posts.{n}.", compat))
    return out


def _validate_entry(entry: dict, channel: dict, prefix: str, compat: str) -> list[str]:
    out: list[str] = []
    values = entry.get("value")
    if values is None:
        out.append(f"{prefix}value should not be null or undefined")
    if not isinstance(values, list):
        out.append(f"{prefix}value must be an array")
        values = []
    elif not values:
        out.append(f"{prefix}value must contain at least 1 elements")
    if entry.get("group") is not None and not isinstance(entry["group"], str):
        out.append(f"{prefix}group must be a string")
    for i, item in enumerate(values):
        if not isinstance(item, dict):
            out.append(f"{prefix}value.{i}.nested property value must be either object or array")
            continue
        out.extend(_validate_value(item, f"{prefix}value.{i}."))
    settings = entry["settings"]
    if entry.get("type") != "draft":
        identifier = channel["identifier"]
        providers.coerce_settings(identifier, settings, compat)
        out.extend(providers.validate_settings(identifier, settings, f"{prefix}settings.", compat))
    return out


def _validate_value(item: dict, prefix: str) -> list[str]:
    out: list[str] = []
    images = item.get("image")
    if item.get("delay") is not None:
        item["delay"] = js_number(item["delay"])
        if item["delay"] is None:
            out.append(f"{prefix}delay {NUMBER_MSG}")
    if item.get("id") is not None and not isinstance(item["id"], str):
        out.append(f"{prefix}id must be a string")
    has_images = isinstance(images, list) and len(images) > 0
    if not has_images and is_blank(item.get("content", "")):
        out.append(f"{prefix} If images do not exist, content must be a non-empty string.")
    if not isinstance(images, list):
        out.append(f"{prefix}image must be an array")
        return out
    for j, media in enumerate(images):
        where = f"{prefix}image.{j}."
        if not isinstance(media, dict):
            out.append(f"{where}nested property image must be either object or array")
            continue
        if media.get("id") is None:
            out.append(f"{where}id should not be null or undefined")
        if not isinstance(media.get("id"), str):
            out.append(f"{where}id must be a string")
        path = media.get("path")
        if path is None:
            out.append(f"{where}path should not be null or undefined")
        if not isinstance(path, str):
            out.append(f"{where}path must be a string")
        if not (isinstance(path, str) and _EXT.search(path.split("?")[0])):
            out.append(f"{where}File must have a valid extension: .png, .jpg, .jpeg, .gif, .webp, or .mp4")
        if media.get("alt") and not isinstance(media["alt"], str):
            out.append(f"{where}alt must be a string")
        if media.get("thumbnail") and providers.is_url(media["thumbnail"], "thumbnail"):
            out.append(f"{where}thumbnail must be a URL address")
    return out
