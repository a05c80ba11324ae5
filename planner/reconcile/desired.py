"""Desired posts: the plan's targets with channels resolved and provider defaults applied.

One plan post x one channel = one desired post, addressed `"<key>@<channel ref>"`.
Settings: provider defaults < channels.<ref>.settings < overrides
(`providers.effective_settings`; the last two already merged by `Plan.targets()`).
Status ("schedule" or "draft"): overrides.<ref>.status, else the post's `status`, else
the plan's, else "schedule".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from planner.planfile import Plan
from planner.postiz.models import Channel
from planner.providers import effective_settings
from planner.reconcile import normalize
from planner.reconcile.records import Record


@dataclass
class DesiredPost:
    address: str
    key: str
    ref: str
    channel: Channel
    caption: str  # what we send (Postiz sanitises it; record.content is the result)
    record: Record
    media_files: list[tuple[str, Path]]  # (sha256, file) in order
    line: int | None = None
    index: int | None = None
    media_paths: tuple[str, ...] = ()  # each file as the plan names it (relative to the workspace)
    plan_id: str = ""  # the plan it belongs to (its marker's id; several plans may run together)

    @property
    def caption_digest(self) -> str:
        return normalize.text_digest(self.caption)


def address(key: str, ref: str) -> str:
    return f"{key}@{ref}"


def build(plan: Plan, channels: dict[str, Channel], plan_id: str = "") -> list[DesiredPost]:
    """`channels` maps every channel ref used by the plan to its resolved channel;
    `plan_id` is the plan's identity in Postiz (`plan.id`, or the one this run gives it)."""
    out: list[DesiredPost] = []
    for post, ref, at, caption, settings in plan.targets():
        channel = channels[ref]
        effective = effective_settings(channel.provider, caption, settings)
        media_files: list[tuple[str, Path]] = []
        media_paths: list[str] = []
        media = getattr(post, "media", None)
        if media is not None:
            # The plan's sha256 is required, and checked against the file before anything is sent.
            media_files.append((media.sha256, Path(plan.media_file(post))))
            media_paths.append(media.path)
        record = Record(
            at=normalize.instant(at),
            content=normalize.content(caption),
            media=tuple(sha for sha, _ in media_files),
            settings=normalize.settings(effective),
            status=plan.status_of(post, ref),
        )
        out.append(
            DesiredPost(
                address=address(post.key, ref),
                key=post.key,
                ref=ref,
                channel=channel,
                caption=caption,
                record=record,
                media_files=media_files,
                line=getattr(post, "line", None),
                index=getattr(post, "index", None),
                media_paths=tuple(media_paths),
                plan_id=plan_id,
            )
        )
    return out
