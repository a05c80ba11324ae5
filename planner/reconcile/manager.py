"""The whole workflow in one place (octoDNS `Manager`): load the plan and its
state, refresh from Postiz, settle interrupted requests, build desired posts,
pair them with what exists and compute the changes. Commands stay thin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from planner import providers, validate
from planner.errors import UserError
from planner.planfile import load_plan
from planner.reconcile import adopt, desired, diff, normalize, refresh, state
from planner.reconcile.adopt import Entry
from planner.reconcile.executor import counted_needed, eta_seconds
from planner.reconcile.refresh import Live


@dataclass
class Context:
    plan: Any  # planner.planfile.Plan
    state: state.State
    channels: dict[str, desired.ChannelInfo]
    desired: list[desired.DesiredPost]
    lives: list[Live]
    settings_listed: bool | None  # None: no post in the window to tell
    entries: list[Entry]
    changes: diff.Plan
    journal_notes: list[str] = field(default_factory=list)

    @property
    def tz(self):
        return getattr(self.plan, "timezone", None)

    def cost(self, budget) -> tuple[int, float | None]:
        """Counted requests the changes need, and seconds of rate-limit waiting for them."""
        # Unknown (None) still tries PUT settings; only a listing without settings is v2.23.0.
        counted = counted_needed(self.changes, put_settings=self.settings_listed is not False)
        return counted, eta_seconds(counted, budget)


def state_path(plan_path: str | Path) -> Path:
    return state.state_path_for(plan_path)


def prepare(plan_path: str | Path, client: Any, *, workspace: str | None = None,
            overwrite_drift: bool = False, by_content: bool = False, by_time: bool = False,
            ignore_state: bool = False, settle: Callable[[float], None] | None = None,
            preflight: bool = False) -> Context:
    """`settle(seconds)` is called to wait for a recent unanswered request to land
    (apply); without it (diff), such posts are left out of the changes for now."""
    plan = load_plan(plan_path, workspace=workspace)
    if preflight:  # diff and apply: refuse before anything is read or changed
        problems = validate.preflight(plan)
        if problems:
            raise UserError(problems=problems)
    st = state.load(state_path(plan_path), plan.name, api_url=client.api_url)
    if ignore_state:
        st = state.State(path=st.path, plan=plan.name, api_url=client.api_url)
    st.api_url = client.api_url
    channels = refresh.resolve_channels(plan, client.list_channels())
    wanted = desired.build(plan, channels, providers.default_settings)
    times: list[datetime] = [d.record.at for d in wanted]
    times += [o.applied.at for o in st.posts.values()]
    times += [normalize.instant(e["at"]) for j in st.journal for e in j.get("entries", [])]
    span = refresh.window(times)
    lives, listed = refresh.fetch_posts(client, *span) if span else ([], None)
    lives, listed = _find_moved_far(client, st, span, lives, listed)
    notes, wait = adopt.resolve_journal(st, lives)
    if wait > 0 and settle is not None:
        settle(wait)
        lives, listed = refresh.fetch_posts(client, *span)
        lives, listed = _find_moved_far(client, st, span, lives, listed)
        more, wait = adopt.resolve_journal(st, lives, now=datetime.now(UTC) + timedelta(seconds=adopt.settle_seconds()))
        notes += more
    pending = {e["address"] for j in st.journal for e in j.get("entries", [])}
    wanted_now = [d for d in wanted if d.address not in pending]
    # Without settings in the listing (v2.23.0) ownership can only be re-established by
    # channel + instant + content; on current main the marker is required (import may ask more).
    entries = adopt.match(plan.name, wanted_now, st, lives, by_content=by_content or listed is False,
                          by_time=by_time)
    changes = diff.compute(entries, overwrite_drift=overwrite_drift, plan_name=plan.name)
    if preflight:
        _check_sent(plan, channels, changes)
    changes.notes += _collisions(changes, entries, lives)
    if pending:
        notes.append(f"{len(pending)} post(s) of a recent unanswered request are still settling in Postiz; "
                     "they are left out until the next run")
    return Context(plan, st, channels, wanted, lives, listed, entries, changes, notes)


def _check_sent(plan, channels: dict[str, desired.ChannelInfo], changes: diff.Plan) -> None:
    """Validate's checks on what apply would send, with the providers Postiz reported (a
    plan made with --channels names none): refused here, not one by one by Postiz mid-run.
    Past times are left to safety.check (--allow-past); posts not sent are not judged."""
    sent = {c.address for c in changes.creates} | {u.address for u in changes.updates}
    problems = validate.check_targets(plan, {ref: c.provider for ref, c in channels.items()},
                                      channel_ids={ref: c.id for ref, c in channels.items()}, only=sent)
    if problems:
        raise UserError(problems=problems)


def _collisions(changes: diff.Plan, entries: list[Entry], lives: list[Live]) -> list[diff.Note]:
    """A create aimed at a channel + instant where Postiz already has a post this plan does
    not own: often the plan's own post, edited in the dashboard after the state was lost
    (v2.23.0 lists no marker to recognise it by). Warn before a second one is made."""
    claimed = {e.live.id for e in entries if e.live is not None}
    slots: dict[tuple, list[Live]] = {}
    for lv in lives:
        if lv.id not in claimed:
            slots.setdefault((lv.channel_id, lv.at), []).append(lv)
    notes = []
    for c in changes.creates:
        for lv in slots.get((c.desired.channel.id, c.desired.record.at), []):
            notes.append(diff.Note(
                c.address, "collision",
                f"Postiz already has a post on {c.desired.channel.name} at this time, not owned by this plan "
                f"(post {lv.id}: {lv.content[:60]!r})",
                "if it is this plan's post edited in the dashboard after the state file was lost, run "
                "`cliper-sched import PLAN --force --match-time` instead of creating a second one"))
    return notes


# A post moved far away in the dashboard must not look deleted (and be re-created
# by --overwrite-drift): when an owned post is missing, look once over a wide window.
FAR_WINDOW = timedelta(days=400)


def _find_moved_far(client, st, span, lives, listed):
    if not span:
        return lives, listed
    seen = {lv.id for lv in lives}
    if all(o.post_id in seen for o in st.posts.values()):
        return lives, listed
    wide, wide_listed = refresh.fetch_posts(client, span[0] - FAR_WINDOW, span[1] + FAR_WINDOW)
    return wide, wide_listed if wide_listed is not None else listed
