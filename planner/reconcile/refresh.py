"""Refresh: read what Postiz holds now (channels and the posts in the plan's window).

Only reads. Channel refs are resolved to the client's `Channel`s; live posts
are the client's `LivePost`s, with settings when the server lists them
(current main does, v2.23.0 does not).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from planner.errors import Problem, UserError
from planner.postiz.models import Channel, LivePost
from planner.reconcile import normalize

# Posts can be moved in the dashboard; look a little beyond the plan's span.
WINDOW_PAD = timedelta(days=2)


def fetch_posts(client: Any, start: datetime, end: datetime) -> tuple[list[LivePost], bool | None]:
    """All live posts in [start, end], de-duplicated by id, and whether settings are listed."""
    posts = client.list_posts(start, end)
    unique: dict[str, LivePost] = {}
    for post in posts:
        # A dashboard save stores the editor's paragraphs: compare the text they hold.
        text = normalize.plain_text(post.content)
        unique.setdefault(post.id, post if text == post.content else replace(post, content=text))
    listed = [p.settings is not None for p in unique.values()]
    settings_listed = all(listed) if listed else None
    return sorted(unique.values(), key=lambda p: (p.at, p.id)), settings_listed


def window(times: list[datetime]) -> tuple[datetime, datetime] | None:
    if not times:
        return None
    return min(times) - WINDOW_PAD, max(times) + WINDOW_PAD


def _refs(plan: Any) -> dict[str, tuple[int | None, str]]:
    refs: dict[str, tuple[int | None, str]] = {}
    for post in plan.posts:
        for ref in post.channels:
            refs.setdefault(ref, (getattr(post, "line", None), f"posts[{getattr(post, 'index', 0)}].channels"))
    return refs


def by_name(channels: list[Channel], ref: str) -> dict[str, Channel]:
    """The channels `ref` names: its exact name, else any case (several: ambiguous)."""
    exact = {c.id: c for c in channels if c.name == ref}
    return exact or {c.id: c for c in channels if c.name.casefold() == ref.casefold()}


def unresolved(plan: Any, channels: list[Channel]) -> list[str]:
    """Channel refs of the plan that match no channel id nor name."""
    ids = {c.id for c in channels}
    return [ref for ref in _refs(plan) if ref not in ids and not by_name(channels, ref)]


def resolve_channels(plan: Any, channels: list[Channel], *,
                     known_ids: dict[str, str] | None = None) -> tuple[dict[str, Channel], dict[str, Channel]]:
    """Map each channel ref of the plan (integration id or name) to a channel, or explain.

    `known_ids`: ref -> the channel id this plan's posts were made on (from proof of
    ownership); a ref no longer matching any name is followed to that channel if it
    still exists: renamed in Postiz (names follow the social account). Returns the map
    and the refs followed that way."""
    infos = list(channels)
    by_id = {c.id: c for c in infos}
    names = ", ".join(sorted({c.name for c in infos})) or "(none: connect a channel in Postiz first)"
    resolved: dict[str, Channel] = {}
    renamed: dict[str, Channel] = {}
    problems: list[Problem] = []
    plan_file = str(getattr(plan, "path", "") or "") or None
    for ref, (line, path) in _refs(plan).items():
        if ref in by_id:
            resolved[ref] = by_id[ref]
            continue
        unique = by_name(infos, ref)
        if len(unique) == 1:
            resolved[ref] = next(iter(unique.values()))
        elif len(unique) > 1:
            ids = ", ".join(sorted(unique))
            problems.append(Problem(f"channel {ref!r} is ambiguous: {len(unique)} channels have that name",
                                    file=plan_file, path=path, line=line,
                                    hint=f"use the integration id instead ({ids}); `cliper-sched channels` lists them"))
        elif (known_ids or {}).get(ref) in by_id:
            resolved[ref] = renamed[ref] = by_id[(known_ids or {})[ref]]
        else:
            problems.append(Problem(f"unknown channel {ref!r}", file=plan_file, path=path, line=line,
                                    hint=f"available channels: {names} (see `cliper-sched channels`)"))
    if problems:
        raise UserError(problems=problems)
    return resolved, renamed


class Listing:
    """One refresh per server for a run over several plans: the channels are listed
    once, and posts are fetched once over the widest window asked for; a later
    request inside that window is answered from memory. `forget()` after anything
    that may have changed Postiz (a settle wait) makes the next request read again."""

    def __init__(self, client: Any):
        self.client = client
        self._channels: list[Channel] | None = None
        self._span: tuple[datetime, datetime] | None = None
        self._posts: tuple[list[LivePost], bool | None] = ([], None)

    def channels(self) -> list[Channel]:
        if self._channels is None:
            self._channels = list(self.client.list_channels())
        return self._channels

    def prefetch(self, spans: list[tuple[datetime, datetime]]) -> None:
        """Read the union of several plans' windows in one go."""
        if spans:
            self.posts(min(s for s, _ in spans), max(e for _, e in spans))

    def posts(self, start: datetime, end: datetime) -> tuple[list[LivePost], bool | None]:
        if self._span is not None and self._span[0] <= start and end <= self._span[1]:
            inside = [lv for lv in self._posts[0] if start <= lv.at <= end]
            # As fetch_posts says it for that window: from the posts in it.
            return inside, all(lv.settings is not None for lv in inside) if inside else None
        self._posts = fetch_posts(self.client, start, end)
        self._span = (start, end)
        return self._posts

    def forget(self) -> None:
        self._span, self._posts = None, ([], None)
