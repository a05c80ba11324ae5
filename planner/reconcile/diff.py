"""The diff: the ChangeSet (changes.py) from desired, applied and live.

Per address: live == desired -> no-op; live == applied != desired -> Update;
live != applied (moved, caption edited, settings edited, deleted, published in
the dashboard) -> Drift, kept unless `overwrite_drift`. Published posts are
history and never changed. Nothing here talks to a server or a terminal.
"""

from __future__ import annotations

from datetime import datetime

from planner.postiz.models import LivePost
from planner.reconcile import normalize
from planner.reconcile.adopt import Entry
from planner.reconcile.changes import ChangeSet, Create, Delete, Drift, Note, Remark, Update
from planner.reconcile.desired import DesiredPost
from planner.reconcile.records import FieldChange, Record, field_changes
from planner.reconcile.state import Owned


def live_record(live: LivePost, owned: Owned | None, desired: DesiredPost | None) -> Record:
    """What Postiz holds, completed with what it does not list (media; settings on v2.23.0)."""
    base = owned.applied if owned else (desired.record if desired else None)
    media = base.media if base else ()
    if live.settings is not None:
        settings = normalize.settings(live.settings)
    else:
        settings = base.settings if base else {}
    return Record(at=live.at, content=live.content, media=media, settings=settings)


def _drift_how(fields: list[FieldChange]) -> str:
    paths = {f.path.split(".")[0] for f in fields}
    if "at" in paths:
        return "moved"
    if "content" in paths or "media" in paths:
        return "edited"
    return "settings"


def compute(entries: list[Entry], *, now: datetime, overwrite_drift: bool = False,
            plan_name: str | None = None) -> ChangeSet:
    plan = _compute(ChangeSet(), entries, overwrite_drift)
    if plan_name:
        plan.remarks = _missing_markers(plan, entries, plan_name, now)
    return plan


def _missing_markers(plan: ChangeSet, entries: list[Entry], plan_name: str, now: datetime) -> list[Remark]:
    """Owned scheduled posts listed without our marker (only a server that lists settings,
    i.e. current main, can tell). Creates and edits carry the marker already; a past post
    cannot take a settings change any more (Postiz refuses it)."""
    sending = {c.address for c in plan.changes}
    out = []
    for e in entries:
        lv = e.live
        if (e.owned is None or lv is None or lv.settings is None or lv.state != "QUEUE"
                or e.address in sending or lv.at <= now):
            continue
        want = normalize.marker(plan_name, e.address)
        if lv.marker != want:
            out.append(Remark(e.address, lv, want))
    return out


def _compute(plan: ChangeSet, entries: list[Entry], overwrite_drift: bool) -> ChangeSet:
    plan.owned_count = sum(1 for e in entries if e.owned is not None)
    for e in entries:
        d, o, lv = e.desired, e.owned, e.live
        if e.adopted and o is not None:
            plan.notes.append(Note(e.address, "adopted", f"found in Postiz by {e.adopted} (post {o.post_id}); now owned"))
            plan.state_refresh[e.address] = o
        if lv is not None and lv.published:
            if o is not None and o.state != "PUBLISHED":
                fields = [FieldChange("state", o.state, "PUBLISHED")]
                plan.drifts.append(Drift(e.address, "published", fields, lv, o))
            plan.notes.append(Note(e.address, "published", f"published: {lv.release_url or '(no URL yet)'}",
                                   "published posts are history: never edited or deleted"))
            if o is not None:
                plan.state_refresh[e.address] = _refreshed(o, lv, o.applied)
            continue
        if lv is not None and lv.state == "ERROR":
            plan.notes.append(Note(e.address, "error", "Postiz failed to publish this post",
                                   "the reason is shown in the Postiz dashboard (often a channel that needs "
                                   "reconnecting); fix it there and reschedule, or delete the post and re-apply"))
            if d is None and o is not None:
                plan.deletes.append(Delete(e.address, o, lv))  # removed from the plan: may go
            continue
        if d is None:
            if o is None:
                continue
            if lv is None:
                plan.forget.append(e.address)  # gone from Postiz and from the plan: nothing to do
                continue
            plan.deletes.append(Delete(e.address, o, lv))
            continue
        if o is None:
            plan.creates.append(Create(e.address, d))
            continue
        if lv is None:
            drift = Drift(e.address, "deleted", [], None, o, restored=overwrite_drift,
                          plan_also_changes=o.applied != d.record)
            plan.drifts.append(drift)
            if overwrite_drift:
                plan.creates.append(Create(e.address, d, reason="deleted in Postiz; restored (--overwrite-drift)"))
            continue
        live_rec = live_record(lv, o, d)
        want = d.record
        # Our sanitiser may differ from Postiz's in corner cases: a caption we already
        # sent, stored as the live text, counts as equal.
        if o.caption_digest == d.caption_digest and o.applied.content == lv.content:
            want = want.replace(content=lv.content)
        if live_rec == want:
            plan.noops += 1
            if o.applied != live_rec or o.group != lv.group or o.state != lv.state:
                plan.state_refresh[e.address] = _refreshed(o, lv, live_rec, d)
            continue
        if live_rec == o.applied:
            plan.updates.append(Update(e.address, d, o, lv, field_changes(live_rec, want)))
            continue
        drift = Drift(e.address, _drift_how(field_changes(o.applied, live_rec)), field_changes(o.applied, live_rec),
                      lv, o, restored=overwrite_drift, plan_also_changes=o.applied != want)
        plan.drifts.append(drift)
        if overwrite_drift:
            plan.updates.append(Update(e.address, d, o, lv, field_changes(live_rec, want),
                                       reason="changed in Postiz; restored (--overwrite-drift)"))
    return plan


def _refreshed(o: Owned, lv: LivePost, applied: Record, d: DesiredPost | None = None) -> Owned:
    return Owned.from_live(lv, applied, caption_digest=d.caption_digest if d else o.caption_digest,
                           provider=lv.provider or o.provider)
