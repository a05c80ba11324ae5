"""Refresh: read what Postiz holds now (channels and the posts in the plan's window).

Only reads. Channel refs are resolved to the client's `Channel`s; live posts
are the client's `LivePost`s, with settings when the server lists them
(current main does, v2.23.0 does not).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from planner.errors import Problem, UserError
from planner.postiz.models import Channel, LivePost

# Posts can be moved in the dashboard; look a little beyond the plan's span.
WINDOW_PAD = timedelta(days=2)


def fetch_posts(client: Any, start: datetime, end: datetime) -> tuple[list[LivePost], bool | None]:
    """All live posts in [start, end], de-duplicated by id, and whether settings are listed."""
    posts = client.list_posts(start, end)
    unique: dict[str, LivePost] = {}
    for post in posts:
        unique.setdefault(post.id, post)
    listed = [p.settings is not None for p in unique.values()]
    settings_listed = all(listed) if listed else None
    return sorted(unique.values(), key=lambda p: (p.at, p.id)), settings_listed


def window(times: list[datetime]) -> tuple[datetime, datetime] | None:
    if not times:
        return None
    return min(times) - WINDOW_PAD, max(times) + WINDOW_PAD


def resolve_channels(plan: Any, channels: list[Channel]) -> dict[str, Channel]:
    """Map each channel ref of the plan (integration id or name) to a channel, or explain."""
    infos = list(channels)
    by_id = {c.id: c for c in infos}
    by_name: dict[str, list[Channel]] = {}
    by_folded: dict[str, list[Channel]] = {}
    for c in infos:
        by_name.setdefault(c.name, []).append(c)
        by_folded.setdefault(c.name.casefold(), []).append(c)
    names = ", ".join(sorted({c.name for c in infos})) or "(none: connect a channel in Postiz first)"
    refs: dict[str, tuple[int | None, str]] = {}
    for post in plan.posts:
        for ref in post.channels:
            refs.setdefault(ref, (getattr(post, "line", None), f"posts[{getattr(post, 'index', 0)}].channels"))
    resolved: dict[str, Channel] = {}
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
