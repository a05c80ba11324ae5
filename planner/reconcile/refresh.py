"""Refresh: read what Postiz holds now (channels and the posts in the plan's window).

Only reads. Channel refs are resolved to channels; live posts become `Live`
values with the fields the diff compares (instant, stored content, settings
when the server lists them: current main does, v2.23.0 does not).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from planner.errors import Problem, UserError
from planner.reconcile import normalize
from planner.reconcile.desired import ChannelInfo

# Posts can be moved in the dashboard; look a little beyond the plan's span.
WINDOW_PAD = timedelta(days=2)


@dataclass
class Live:
    id: str
    group: str | None
    channel_id: str
    provider: str
    at: datetime
    content: str
    state: str
    release_url: str | None
    settings: dict | None  # raw, parsed; None when the server does not list settings
    channel_name: str = ""

    @property
    def marker(self) -> str | None:
        return normalize.marker_of(self.settings)

    @property
    def published(self) -> bool:
        return self.state == "PUBLISHED"


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        if isinstance(obj, dict):
            if name in obj:
                return obj[name]
        elif hasattr(obj, name):
            return getattr(obj, name)
    return default


def to_live(post: Any) -> Live:
    """Adapt the client's LivePost (or a raw listing dict) to `Live`."""
    integration = _get(post, "integration") or {}
    settings = _get(post, "settings", default=None)
    if isinstance(settings, str):
        try:
            settings = json.loads(settings) if settings else {}
        except ValueError:
            settings = {}
    if settings is not None and not isinstance(settings, dict):
        settings = {}
    channel_id = _get(post, "channel_id", "integration_id") or _get(integration, "id")
    provider = _get(post, "provider", "provider_identifier") or _get(integration, "providerIdentifier", "identifier") or ""
    at = _get(post, "publish_date", "at", "publishDate")
    return Live(
        id=_get(post, "id", "post_id"),
        group=_get(post, "group"),
        channel_id=channel_id,
        provider=provider,
        at=normalize.instant(at),
        content=_get(post, "content", default="") or "",
        state=_get(post, "state", default="QUEUE") or "QUEUE",
        release_url=_get(post, "release_url", "releaseURL"),
        settings=settings,
        channel_name=_get(post, "channel_name") or _get(integration, "name") or "",
    )


def fetch_posts(client: Any, start: datetime, end: datetime) -> tuple[list[Live], bool | None]:
    """All live posts in [start, end], de-duplicated by id, and whether settings are listed."""
    posts = [to_live(p) for p in client.list_posts(start, end)]
    unique: dict[str, Live] = {}
    for post in posts:
        unique.setdefault(post.id, post)
    listed = [p.settings is not None for p in unique.values()]
    settings_listed = all(listed) if listed else None
    return sorted(unique.values(), key=lambda p: (p.at, p.id)), settings_listed


def window(times: list[datetime]) -> tuple[datetime, datetime] | None:
    if not times:
        return None
    return min(times) - WINDOW_PAD, max(times) + WINDOW_PAD


def channel_info(channel: Any) -> ChannelInfo:
    return ChannelInfo(
        id=_get(channel, "id"),
        name=_get(channel, "name", default="") or "",
        provider=_get(channel, "provider", "identifier", "providerIdentifier", default="") or "",
        disabled=bool(_get(channel, "disabled", default=False)),
    )


def resolve_channels(plan: Any, channels: list[Any]) -> dict[str, ChannelInfo]:
    """Map each channel ref of the plan (integration id or name) to a channel, or explain."""
    infos = [channel_info(c) for c in channels]
    by_id = {c.id: c for c in infos}
    by_name: dict[str, list[ChannelInfo]] = {}
    by_folded: dict[str, list[ChannelInfo]] = {}
    for c in infos:
        by_name.setdefault(c.name, []).append(c)
        by_folded.setdefault(c.name.casefold(), []).append(c)
    names = ", ".join(sorted({c.name for c in infos})) or "(none: connect a channel in Postiz first)"
    refs: dict[str, tuple[int | None, str]] = {}
    for post in plan.posts:
        for ref in post.channels:
            refs.setdefault(ref, (getattr(post, "line", None), f"posts[{getattr(post, 'index', 0)}].channels"))
    resolved: dict[str, ChannelInfo] = {}
    problems: list[Problem] = []
    plan_file = str(getattr(plan, "path", "") or "") or None
    for ref, (line, path) in refs.items():
        if ref in by_id:
            resolved[ref] = by_id[ref]
            continue
        matches = by_name.get(ref) or by_folded.get(ref.casefold()) or []
        unique = {c.id: c for c in matches}
        if len(unique) == 1:
            resolved[ref] = next(iter(unique.values()))
        elif len(unique) > 1:
            ids = ", ".join(sorted(unique))
            problems.append(Problem(f"channel {ref!r} is ambiguous: {len(unique)} channels have that name",
                                    file=plan_file, path=path, line=line,
                                    hint=f"use the integration id instead ({ids}); `cliper-sched channels` lists them"))
        else:
            problems.append(Problem(f"unknown channel {ref!r}", file=plan_file, path=path, line=line,
                                    hint=f"available channels: {names} (see `cliper-sched channels`)"))
    if problems:
        raise UserError(problems=problems)
    return resolved
