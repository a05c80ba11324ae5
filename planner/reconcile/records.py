"""The comparable value of one post, and field-level differences between two.

One `Record` shape serves the plan (desired), the state (applied) and Postiz
(live), so a diff is a comparison of three values of one type.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from planner.reconcile import normalize

# What a plan asks of a post (docs/postiz-api.md §8.1 `type`, §10.3): "schedule" (Postiz
# state QUEUE, published at its time) or "draft" (state DRAFT: shown in the calendar,
# never published).
SCHEDULE, DRAFT = "schedule", "draft"
STATUSES = (SCHEDULE, DRAFT)


def status_of_state(state: str) -> str:
    """A listed post's status: DRAFT is a draft; anything else was scheduled (PUBLISHED
    and ERROR posts are history, never compared)."""
    return DRAFT if state == "DRAFT" else SCHEDULE


@dataclass(frozen=True)
class Record:
    at: datetime  # aware, UTC
    content: str  # as Postiz stores it (normalize.content)
    media: tuple[str, ...] = ()  # sha256 of each media file, in order
    settings: dict = field(default_factory=dict)  # without __type / marker
    status: str = SCHEDULE  # SCHEDULE | DRAFT

    def as_dict(self) -> dict:
        data = {
            "at": normalize.iso_z(self.at),
            "content": self.content,
            "media": list(self.media),
            "settings": self.settings,
        }
        # Only a draft says so: records written before drafts existed (state files, their
        # signatures, journals) read and sign exactly as they did.
        if self.status != SCHEDULE:
            data["status"] = self.status
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Record:
        return cls(
            at=normalize.instant(data["at"]),
            content=data.get("content", ""),
            media=tuple(data.get("media") or ()),
            settings=dict(data.get("settings") or {}),
            status=DRAFT if data.get("status") == DRAFT else SCHEDULE,
        )

    def replace(self, **changes: Any) -> Record:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class FieldChange:
    path: str  # "at", "content", "media", "status", "settings.title"
    old: Any  # None when the field is added
    new: Any  # None when the field is removed

    def as_dict(self) -> dict:
        return {"path": self.path, "old": self.old, "new": self.new}


_ABSENT = "<absent>"


def field_changes(old: Record, new: Record) -> list[FieldChange]:
    """Which fields differ, old -> new, via deepdiff; media is one field (a list of files)."""
    a, b = old.as_dict(), new.as_dict()
    changes: dict[str, FieldChange] = {}
    if a["media"] != b["media"]:
        changes["media"] = FieldChange("media", a["media"], b["media"])
    a.pop("media")
    b.pop("media")
    if old.status != new.status:  # both sides named, even the default: `status: draft → schedule`
        changes["status"] = FieldChange("status", old.status, new.status)
    a.pop("status", None)
    b.pop("status", None)
    from deepdiff import DeepDiff  # ~0.1 s to import: only runs that compare records pay it

    diff = DeepDiff(a, b, view="tree", ignore_order=False)
    for levels in diff.values():
        for level in levels:
            parts = level.path(output_format="list")
            # Nested settings values (lists, dicts) are reported as one field.
            parts = parts[:2] if parts and parts[0] == "settings" else parts[:1]
            path = ".".join(str(p) for p in parts)
            old_value = _lookup(a, parts)
            new_value = _lookup(b, parts)
            changes[path] = FieldChange(path, old_value, new_value)
    return [changes[k] for k in sorted(changes, key=_field_order)]


def _lookup(data: dict, parts: list) -> Any:
    for part in parts:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _field_order(path: str) -> tuple[int, str]:
    rank = {"status": 0, "at": 1, "content": 2, "media": 3}
    return (rank.get(path.split(".")[0], 4), path)
