"""Changes as values (octoDNS `record/change.py`): Create, Update, Delete, Drift,
and the ChangeSet that holds them for one plan. `diff.compute` makes them;
safety, cost, the executor and the views read them. Nothing here acts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from planner.postiz.models import LivePost
from planner.reconcile.desired import DesiredPost
from planner.reconcile.records import FieldChange
from planner.reconcile.state import Owned


def media_files(desired: DesiredPost) -> list[dict]:
    """The plan's media of a post: each file as the plan names it, with its sha256."""
    return [{"path": path, "sha256": sha}
            for (sha, _), path in zip(desired.media_files, desired.media_paths, strict=True)]


@dataclass
class Create:
    address: str
    desired: DesiredPost
    reason: str = "new in the plan"  # or "deleted in Postiz, restored (--overwrite-drift)"
    kind = "create"

    def data(self) -> dict:
        return {"action": "create", "address": self.address, "channel": self.desired.channel.name,
                "provider": self.desired.channel.provider, "reason": self.reason,
                "new": self.desired.record.as_dict(), "media_files": media_files(self.desired)}


def _settings_keys(fields: list[FieldChange]) -> bool:
    """Every change is a settings key added or changed (PUT merges keys: none can be removed)."""
    return all(f.path.startswith("settings.") and f.new is not None for f in fields)


@dataclass
class Update:
    address: str
    desired: DesiredPost
    owned: Owned
    live: LivePost
    fields: list[FieldChange]
    reason: str = "changed in the plan"
    kind = "update"

    @property
    def settings_only(self) -> bool:
        """Only settings keys added or changed: PUT /posts/:id/settings (uncounted) can do it."""
        return _settings_keys(self.fields)

    @property
    def status(self) -> FieldChange | None:
        """`status: draft → schedule` (or back), when this update switches it."""
        return next((f for f in self.fields if f.path == "status"), None)

    @property
    def settings_fields(self) -> list[FieldChange]:
        return [f for f in self.fields if f.path != "status"]

    def uncounted(self, put_settings: bool, put_status: bool = True) -> bool:
        """Whether uncounted routes can do all of it: the status route (`PUT /posts/:id/status`,
        on every version) for the status, the settings route (main only) for settings keys
        added or changed. Anything else is an edit through the counted `POST /posts`."""
        if self.status is not None and not put_status:
            return False
        rest = self.settings_fields
        if not rest:
            return self.status is not None
        return put_settings and _settings_keys(rest)

    def data(self) -> dict:
        return {"action": "update", "address": self.address, "post_id": self.live.id,
                "channel": self.desired.channel.name, "provider": self.desired.channel.provider,
                "reason": self.reason, "fields": [f.as_dict() for f in self.fields],
                "media_files": media_files(self.desired)}


@dataclass
class Delete:
    address: str
    owned: Owned
    live: LivePost
    reason: str = "no longer in the plan"
    duplicate_of: str | None = None  # the post kept: healing a race, not a removal from the plan
    kind = "delete"

    def data(self) -> dict:
        return {"action": "delete", "address": self.address, "post_id": self.live.id,
                "reason": self.reason, "old": self.owned.applied.as_dict()}


@dataclass
class Drift:
    """A dashboard change since the last apply. Kept unless --overwrite-drift."""

    address: str
    how: str  # "moved" | "edited" | "settings" | "deleted" | "published"
    fields: list[FieldChange]  # applied -> live
    live: LivePost | None
    owned: Owned
    restored: bool = False  # --overwrite-drift: a Create/Update restores the plan's version
    plan_also_changes: bool = False

    def data(self) -> dict:
        return {"address": self.address, "how": self.how, "fields": [f.as_dict() for f in self.fields],
                "post_id": self.live.id if self.live else self.owned.post_id,
                "release_url": self.live.release_url if self.live else None,
                "action": "restore" if self.restored else "keep",
                "plan_also_changes": self.plan_also_changes}


@dataclass
class Remark:
    """An owned, scheduled post whose ownership marker is missing (a client that rebuilt
    its settings) or out of date (after `pull`). Apply writes it through the uncounted
    `PUT /posts/:id/settings`, which merges keys and keeps everything else, so any
    machine can tell plan changes from dashboard edits without a state file."""

    address: str
    live: LivePost
    marker: str
    missing: bool = True  # False: present but out of date


@dataclass
class Note:
    """Something to show that is not a change: published history, ERROR posts, adoptions."""

    address: str
    kind: str  # "published" | "error" | "adopted" | "unproven" | "untouched" | "duplicate" | "ownership" | "clock"
    message: str
    hint: str | None = None

    def data(self) -> dict:
        return {"address": self.address, "kind": self.kind, "message": self.message, "hint": self.hint}


@dataclass
class ChangeSet:
    """The changes for one plan, sorted by address; safety, cost and views read this."""

    creates: list[Create] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    deletes: list[Delete] = field(default_factory=list)
    drifts: list[Drift] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    noops: int = 0
    owned_count: int = 0  # posts the plan owns before this apply (mass-delete threshold)
    state_refresh: dict[str, Owned] = field(default_factory=dict)  # silent state updates
    forget: list[str] = field(default_factory=list)  # state entries whose post is gone for good
    remarks: list[Remark] = field(default_factory=list)  # markers to put back (uncounted, not a change)

    @property
    def changes(self) -> list:
        return [*self.creates, *self.updates, *self.deletes]

    @property
    def has_changes(self) -> bool:
        return bool(self.creates or self.updates or self.deletes)

    def counts(self) -> dict:
        return {"add": len(self.creates), "change": len(self.updates), "destroy": len(self.deletes)}

    @classmethod
    def union(cls, sets: list[ChangeSet]) -> ChangeSet:
        """Several plans' changes as one set, for what is shared: the counted requests
        (posts of any plan at one instant go in one) and their cost."""
        return cls(creates=[c for s in sets for c in s.creates], updates=[u for s in sets for u in s.updates],
                   deletes=[d for s in sets for d in s.deletes])

    def only(self, wanted: Callable[[str], bool]) -> ChangeSet:
        """The changes whose address `wanted` accepts (--target); what the refresh
        learnt about the others is still recorded, nothing is done to them."""
        return replace(self, creates=[c for c in self.creates if wanted(c.address)],
                       updates=[u for u in self.updates if wanted(u.address)],
                       deletes=[d for d in self.deletes if wanted(d.address)],
                       drifts=[d for d in self.drifts if wanted(d.address)],
                       notes=[n for n in self.notes if n.address.startswith("(") or wanted(n.address)],
                       remarks=[r for r in self.remarks if wanted(r.address)])
