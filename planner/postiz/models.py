"""What the Postiz public API returns and takes, as plain dataclasses.

Parsing lives here so the client only moves bytes; every parser raises
`ValueError`/`KeyError`/`TypeError` on a malformed answer and the client turns
that into `NotPostizError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Customer:
    id: str
    name: str


@dataclass(frozen=True)
class Channel:
    """One Postiz integration (`GET /integrations`)."""

    id: str
    name: str
    provider: str  # the `identifier`, e.g. "youtube", "x", "tiktok"
    picture: str | None = None
    disabled: bool = False
    profile: str | None = None
    customer: Customer | None = None

    @classmethod
    def from_api(cls, item: dict) -> Channel:
        customer = item.get("customer")
        return cls(
            id=str(item["id"]),
            name=str(item["name"]),
            provider=str(item["identifier"]),
            picture=item.get("picture"),
            disabled=bool(item.get("disabled", False)),
            profile=item.get("profile"),
            customer=Customer(str(customer["id"]), str(customer.get("name", "")))
            if isinstance(customer, dict) else None,
        )


@dataclass(frozen=True)
class Media:
    """An uploaded file (`POST /upload`); `id` and `path` go into a post's `image[]`."""

    id: str
    path: str
    name: str | None = None
    thumbnail: str | None = None
    alt: str | None = None

    @classmethod
    def from_api(cls, item: dict) -> Media:
        return cls(id=str(item["id"]), path=str(item["path"]), name=item.get("name"),
                   thumbnail=item.get("thumbnail"), alt=item.get("alt"))


# The key cliper-sched keeps in each post's settings to recognise its own posts
# (docs/postiz-api.md §17.1: no `plug-` prefix, no provider DTO field name).
MARKER_KEY = "cliper_sched"


@dataclass(frozen=True)
class LivePost:
    """One root post as `GET /posts` lists it (no media: the API never returns it).

    The one live-post type of the tool: the reconciler reads it as it comes."""

    id: str
    content: str
    publish_date: datetime  # aware, UTC
    release_url: str | None
    release_id: str | None
    state: str  # QUEUE | PUBLISHED | ERROR | DRAFT
    interval_in_days: int | None
    group: str
    creation_method: str | None
    settings: dict | None  # None: the server sent no `settings` (Postiz v2.23.0)
    integration_id: str
    provider: str
    channel_name: str

    @classmethod
    def from_api(cls, item: dict) -> LivePost:
        integration = item["integration"]
        # Repeating posts are listed once per occurrence; `actualDate` is the stored date.
        date = item.get("actualDate") or item["publishDate"]
        return cls(
            id=str(item["id"]),
            content=item.get("content") or "",
            publish_date=parse_utc(date),
            release_url=item.get("releaseURL"),
            release_id=item.get("releaseId"),
            state=str(item.get("state")),
            interval_in_days=item.get("intervalInDays"),
            group=str(item.get("group")),
            creation_method=item.get("creationMethod"),
            settings=_settings(item),
            integration_id=str(integration["id"]),
            provider=str(integration.get("providerIdentifier")),
            channel_name=str(integration.get("name")),
        )

    @property
    def at(self) -> datetime:
        return self.publish_date

    @property
    def channel_id(self) -> str:
        return self.integration_id

    @property
    def published(self) -> bool:
        return self.state == "PUBLISHED"

    @property
    def marker(self) -> str | None:
        """cliper-sched's ownership marker, when the listing has settings that carry one."""
        value = (self.settings or {}).get(MARKER_KEY)
        return value if isinstance(value, str) else None


@dataclass
class PostEntry:
    """One channel post in a create or edit request (one `posts[]` item)."""

    integration_id: str
    content: str
    media: list[dict] = field(default_factory=list)  # [{"id": ..., "path": ...}]
    settings: dict = field(default_factory=dict)
    post_id: str | None = None  # edit: the root post id (kept by Postiz)
    group: str | None = None  # edit: the post's *current* group (rotated by Postiz)

    def to_api(self, *, edit: bool) -> dict:
        value: dict = {
            "content": self.content,
            "image": [{"id": str(m["id"]), "path": str(m["path"])} for m in self.media],
        }
        body: dict = {"integration": {"id": self.integration_id}, "value": [value],
                      "settings": dict(self.settings)}
        if edit:
            if not self.post_id or not self.group:
                # Without both, Postiz creates a new post or leaves stale rows (docs/postiz-api.md §9.3).
                raise ValueError("editing a post needs both post_id and its current group")
            value["id"] = self.post_id
            body["group"] = self.group
        return body


def _settings(item: dict) -> dict | None:
    if "settings" not in item:
        return None
    raw = item["settings"]
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):  # tolerate a server that already decodes it
        return raw
    try:
        decoded = json.loads(raw)
    except RecursionError:  # thousands of nested [ or {, deeper than Python's JSON parser goes
        raise ValueError("settings is nested too deeply to read") from None
    if not isinstance(decoded, dict):
        raise ValueError("settings is not a JSON object")
    return decoded


def parse_utc(text: str) -> datetime:
    """Postiz dates: ISO 8601 with `Z`, or zone-less meaning UTC (find-slot, settings)."""
    value = datetime.fromisoformat(str(text))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_utc(when: datetime) -> str:
    """Dates Postiz gets: UTC, milliseconds, `Z` (what its own frontend sends)."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"naive datetime {when!r}: give a timezone-aware datetime")
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
