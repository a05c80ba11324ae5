"""The base of a plan: what `plan` wrote for each post, as short digests.

`plan` records it under `generated:` (one line per post key); `plan --update`
merges three ways with it (planner.update): a field of a post that differs from
its base digest was edited by hand; CLIPER's new value that differs from it is
CLIPER's change. Digests, not text, keep the plan short, and they are taken of
values, not of how they are written, so re-quoting a caption, writing `at` with
another offset for the same instant or reordering `channels` is not an edit.

One entry: `caption` (CLIPER's caption), `media` (path + sha256), `slot` (`at` +
`channels`), and when templates rendered overrides (`caption_template`,
`settings_templates`): `overrides` (their `caption` and `settings`, per channel)
and `from` (the caption they were rendered from, when it is not CLIPER's).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime

# 10 hex digits (40 bits): edits are told apart, never guarded against forgery
# (whoever edits the plan may edit anything in it anyway).
DIGEST_LENGTH = 10
FIELDS = ("caption", "media", "slot", "overrides", "from")


class Entry(dict):
    """One post's base (field -> digest), written on one line (planner.planfile)."""


def digest(value) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def caption_digest(caption: str) -> str:
    return digest(["caption", caption])


def media_digest(path: str | None, sha256: str | None) -> str:
    return digest(["media", path, sha256])


def slot_digest(at: datetime, channels: list[str]) -> str:
    # The instant, not its spelling; the set of channels, not their order.
    return digest(["slot", at.astimezone(UTC).isoformat(), sorted(channels)])


def templated(overrides: Mapping) -> dict:
    """The part of a post's `overrides:` templates write (caption, settings), normalized:
    {ref: {"caption": ..., "settings": {...}}} without empty parts. Takes the plan
    document's dicts or planfile `Override` objects."""
    out: dict = {}
    for ref, ov in overrides.items():
        caption = ov.get("caption") if isinstance(ov, Mapping) else ov.caption
        settings = (ov.get("settings") if isinstance(ov, Mapping) else ov.settings) or {}
        part: dict = {}
        if caption is not None:
            part["caption"] = caption
        if settings:
            part["settings"] = dict(settings)
        if part:
            out[str(ref)] = part
    return out


def overrides_digest(overrides: Mapping) -> str:
    return digest(["overrides", templated(overrides)])


def entry_for(post: dict, at: datetime) -> Entry:
    """The base of one post of a plan document, as `plan` writes it (`at` parsed)."""
    media = post.get("media") or {}
    entry = Entry(caption=caption_digest(post["caption"]),
                  media=media_digest(media.get("path"), media.get("sha256")),
                  slot=slot_digest(at, post["channels"]))
    if templated(post.get("overrides") or {}):
        entry["overrides"] = overrides_digest(post["overrides"])
    return entry


def rendered_from(entry: Mapping) -> str | None:
    """The digest of the caption the templated overrides were rendered from."""
    return entry.get("from") or entry.get("caption")
