"""The diff: the ChangeSet (changes.py) from desired, applied and live.

Per address: live == desired -> no-op; live == applied != desired -> Update;
live != applied (moved, caption edited, settings edited, set to draft or
scheduled, deleted, published in the dashboard) -> Drift, kept unless
`overwrite_drift`. The status (draft or scheduled) is a field like the others;
an Update that only switches it goes through the uncounted status route.
Published posts are history and never changed. Nothing here talks to a server
or a terminal.
"""

from __future__ import annotations

from datetime import datetime

from planner.postiz.models import LivePost
from planner.reconcile import ownership
from planner.reconcile.adopt import Entry, live_fields
from planner.reconcile.changes import ChangeSet, Create, Delete, Drift, Note, Remark, Update
from planner.reconcile.desired import DesiredPost
from planner.reconcile.records import FieldChange, Record, field_changes
from planner.reconcile.state import Owned


def live_record(live: LivePost, owned: Owned | None, desired: DesiredPost | None) -> Record:
    """What Postiz holds, completed with what it does not list (media; settings on v2.23.0)."""
    return live_fields(live, owned.applied if owned else (desired.record if desired else None))


def _drift_how(fields: list[FieldChange]) -> str:
    paths = {f.path.split(".")[0] for f in fields}
    if "at" in paths:
        return "moved"
    if "content" in paths or "media" in paths:
        return "edited"
    if paths == {"status"}:
        return "status"  # set to draft, or scheduled, in the dashboard
    return "settings"


def compute(entries: list[Entry], *, now: datetime, overwrite_drift: bool = False,
            plan_id: str | None = None) -> ChangeSet:
    plan = _compute(ChangeSet(), entries, overwrite_drift)
    _duplicates(plan, entries)
    if plan_id:
        plan.remarks = _stale_markers(plan, entries, plan_id, now)
    return plan


def _duplicates(plan: ChangeSet, entries: list[Entry]) -> None:
    """Posts carrying the marker of a post already kept (two applies raced): delete
    the extras (uncounted), keep any published one as history."""
    for e in entries:
        if e.live is None:
            continue
        for extra in e.duplicates:
            if extra.published:
                plan.notes.append(Note(e.address, "duplicate", f"post {extra.id} is a published duplicate of "
                                       f"post {e.live.id}: kept (history)"))
                continue
            owned = Owned.from_live(extra, live_fields(extra, e.owned.applied if e.owned else None),
                                    caption_digest=None)
            plan.deletes.append(Delete(e.address, owned, extra, duplicate_of=e.live.id,
                                       reason=f"duplicate of post {e.live.id} (same marker; two applies raced)"))


def _stale_markers(plan: ChangeSet, entries: list[Entry], plan_id: str, now: datetime) -> list[Remark]:
    """Owned scheduled posts whose marker is missing (another client rebuilt the settings,
    or a dashboard duplicate) or out of date (after `pull`, or a dashboard edit that
    equals the plan), on a server that lists settings. Creates and edits carry the
    marker already; a past post cannot take a settings change any more."""
    sending = {c.address for c in plan.changes}
    drifting = {d.address for d in plan.drifts}
    out = []
    for e in entries:
        lv = e.live
        if (e.owned is None or lv is None or lv.settings is None or lv.state not in ("QUEUE", "DRAFT")
                or e.address in sending or lv.at <= now):
            continue
        if e.address in drifting:
            if e.marker is not None:
                continue  # its fingerprint is what tells the drift apart: never overwrite it
            # Missing on a drifted post (signed state): put back what we applied.
            want = ownership.marker_for(plan_id, e.address, e.owned.applied)
        else:
            want = ownership.marker_for(plan_id, e.address, live_record(lv, e.owned, e.desired))
        if lv.marker != want.text():
            out.append(Remark(e.address, lv, want.text(), missing=e.marker is None))
    return out


def _compute(plan: ChangeSet, entries: list[Entry], overwrite_drift: bool) -> ChangeSet:
    plan.owned_count = sum(1 for e in entries if e.owned is not None)
    for e in entries:
        d, o, lv = e.desired, e.owned, e.live
        if e.adopted and o is not None:
            if e.adopted != "marker":  # found by our marker: ours all along, nothing to say
                plan.notes.append(Note(e.address, "adopted", f"found in Postiz by {ADOPTED_HOW[e.adopted]} "
                                       f"(post {o.post_id}); now owned"))
            plan.state_refresh[e.address] = o
        if o is None and d is not None and e.unproven is not None and e.unproven_plan is not None:
            lv = e.unproven
            plan.notes.append(Note(
                e.address, "unproven",
                f"post {lv.id} already sits on {d.channel.name} at this time with this address, marked by plan id "
                f"{e.unproven_plan}: not created again, not touched",
                f"if this plan replaces that one (made again without its id), put `id: {e.unproven_plan}` in it; "
                "otherwise move the plan's post to another minute"))
            continue
        if o is None and d is not None and e.unproven is not None:
            lv = e.unproven
            plan.notes.append(Note(
                e.address, "unproven",
                f"post {lv.id} already sits on {d.channel.name} at this time without this plan's marker: "
                f"not created again, not overwritten ({lv.content[:60]!r})",
                "if it is this plan's post (a lost state file on a server that lists no settings, a dashboard "
                "duplicate), run `cliper-sched import PLAN --force --match-time` to adopt it; otherwise move "
                "the plan's post to another minute"))
            continue
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
        # Media is not listed: what the state (or the marker) says we applied stands for it.
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
                           provider=lv.provider or o.provider, fingerprint=o.fingerprint)


ADOPTED_HOW = {"content": "channel + time + content", "time": "channel + time (--match-time)",
               "legacy": "an older cliper-sched marker", "marker": "marker"}
