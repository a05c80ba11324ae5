"""The orchestrator (octoDNS `Manager`): one method per command, each owning the
lock and the whole sequence, so a reader follows one plan top to bottom:

    load plan + state ─► refresh (channels, live posts) ─► settle the crash journal
    ─► desired posts ─► pair with live posts (adopt) ─► ChangeSet (diff)
    ─► provider checks ─► show ─► safety ─► approve ─► execute ─► state file

Steps return values; the state is changed only here and by the executor,
through `State`'s methods. Commands parse options and render what comes back
(`show`/`approve` are their callbacks); nothing here prints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from planner import clock, validate
from planner.errors import UserError
from planner.planfile import Plan, load_plan
from planner.postiz.models import Channel, LivePost
from planner.reconcile import adopt, desired, diff, journal, refresh, safety, state
from planner.reconcile.adopt import Entry
from planner.reconcile.changes import ChangeSet, Delete, Note
from planner.reconcile.cost import counted_needed, eta_seconds
from planner.reconcile.diff import live_record
from planner.reconcile.executor import Executor, Reporter, Result
from planner.reconcile.journal import IntentEntry
from planner.reconcile.records import Record
from planner.reconcile.state import Lock, Owned, State

log = logging.getLogger(__name__)


@dataclass
class Review:
    """Everything known before acting: what a command shows, and what it acts on."""

    plan: Plan
    state: State
    channels: dict[str, Channel]
    desired: list[desired.DesiredPost]
    lives: list[LivePost]
    settings_listed: bool | None  # None: no post in the window to tell
    entries: list[Entry]
    changes: ChangeSet
    notes: list[str] = field(default_factory=list)  # the crash journal's findings
    counted: int = 0  # counted requests the changes need
    eta: float = 0.0  # seconds of rate-limit waiting they imply

    @property
    def tz(self):
        return self.plan.timezone


@dataclass
class Imported:
    path: Path
    found: dict[str, int]  # how: "marker" | "content" | "time" -> count
    by_time: list[Entry]  # adopted by channel + time only: listed for review
    missing: list[str]  # planned addresses not in Postiz


@dataclass
class Pulled:
    pulled: list  # reconcile.pull.Pulled items (nothing is written on --dry-run)


class Manager:
    def __init__(self, client: Any, plan_path: str | Path, *, workspace: str | None = None,
                 now: Callable[[], datetime] = clock.now):
        """`now` decides what is past (the schedule's clock: --now / CLIPER_SCHED_NOW
        hold here too). How long a request has been waiting is wall-clock time."""
        self.client = client
        self.plan_path = Path(plan_path)
        self.workspace = workspace
        self.now = now
        self.state_path = state.state_path_for(plan_path)

    # -- commands ------------------------------------------------------------------

    def diff(self, *, overwrite_drift: bool = False) -> Review:
        """Read only, so no lock: a diff during an apply shows the moment's truth."""
        return self._review(preflight=True, overwrite_drift=overwrite_drift)

    def apply(self, *, show: Callable[[Review], None], approve: Callable[[Review], None],
              reporter: Reporter, wait: bool, settle: Callable[[float], None],
              save_budget: Callable[[], None], overwrite_drift: bool = False, allow_past: bool = False,
              allow_mass_delete: bool = False) -> tuple[Review, Result]:
        with Lock(self.state_path):
            review = self._review(preflight=True, overwrite_drift=overwrite_drift, settle=settle)
            show(review)  # before the safety check: a refusal is read next to its changes
            safety.check(review.changes, plan_file=str(self.plan_path), allow_mass_delete=allow_mass_delete,
                         allow_past=allow_past, now=self.now())
            if review.changes.has_changes:
                approve(review)  # refuses by raising (or exiting), as the command decides
            executor = Executor(self.client, review.state, wait=wait, reporter=reporter,
                                settings_listed=review.settings_listed, save_budget=save_budget)
            return review, executor.run(review.changes)

    def destroy(self, *, show: Callable[[Review], None], approve: Callable[[Review], None],
                reporter: Reporter) -> tuple[Review, Result]:
        """Delete every unpublished post the plan owns; published ones stay (history)."""
        with Lock(self.state_path):
            review = self._review()
            doomed = ChangeSet(owned_count=review.changes.owned_count,
                               notes=[n for n in review.changes.notes if n.kind == "published"],
                               state_refresh=dict(review.changes.state_refresh))
            for e in review.entries:
                if e.owned is None:
                    continue
                if e.live is None:
                    doomed.forget.append(e.address)
                elif not e.live.published:
                    doomed.deletes.append(Delete(e.address, e.owned, e.live, reason="destroy"))
            review.changes = doomed
            show(review)
            if doomed.deletes:
                approve(review)
            executor = Executor(self.client, review.state, wait=False, reporter=reporter,
                                settings_listed=review.settings_listed)
            return review, executor.run(doomed)

    def import_(self, *, force: bool, match_time: bool) -> Imported:
        """Rebuild the state file from the posts in Postiz (marker, else channel + instant + content)."""
        with Lock(self.state_path):
            if self.state_path.exists() and not force:
                raise UserError("a state file already exists for this plan", file=str(self.state_path),
                                hint="`cliper-sched apply` already adopts posts it finds; to rebuild the "
                                "state from scratch anyway, re-run with --force")
            review = self._review(by_content=True, ignore_state=True, by_time=match_time)
            found = {"marker": 0, "content": 0, "time": 0}
            posts: dict[str, Owned] = {}
            by_time = []
            for entry in review.entries:
                if entry.adopted and entry.owned is not None:
                    posts[entry.address] = entry.owned
                    found[entry.adopted] += 1
                    if entry.adopted == "time":
                        by_time.append(entry)
            review.state.replace_posts(posts)
            review.state.replace_journal([])
            review.state.save()
        missing = [e.address for e in review.entries if e.desired is not None and e.owned is None]
        return Imported(self.state_path, found, by_time, missing)

    def pull(self, *, dry_run: bool) -> Pulled:
        """Write dashboard edits into the plan file, then record them as applied."""
        from planner.errors import write_failed
        from planner.reconcile import pull as pull_mod

        with Lock(self.state_path):
            review = self._review()
            drifts = [d for d in review.changes.drifts if d.how != "published"]
            if not drifts:
                return Pulled([])
            entries = {e.address: e for e in review.entries}
            live_records = {d.address: live_record(d.live, d.owned, entries[d.address].desired)
                            for d in drifts if d.live is not None}
            text, pulled = pull_mod.pull(review.plan.path, review.plan, drifts, live_records)
            if dry_run:
                return Pulled(pulled)
            try:
                pull_mod.write(review.plan.path, text)
            except OSError as exc:
                raise write_failed(str(self.plan_path), "the plan", exc, "the plan file is unchanged") from None
            # The plan now says what Postiz holds: record it as applied, so diff shows no changes.
            st = review.state
            for d in drifts:
                if d.live is None:
                    st.forget(d.address)
                else:
                    st.own(d.address, Owned.from_live(d.live, live_records[d.address], caption_digest=None,
                                                      provider=st.posts[d.address].provider))
            for address, owned in review.changes.state_refresh.items():
                if address not in st.posts:
                    st.own(address, owned)
            st.save()
            return Pulled(pulled)

    # -- the shared sequence ---------------------------------------------------------

    def _review(self, *, preflight: bool = False, overwrite_drift: bool = False, by_content: bool = False,
                by_time: bool = False, ignore_state: bool = False,
                settle: Callable[[float], None] | None = None) -> Review:
        """Everything up to the ChangeSet. `settle(seconds)` waits for a recent unanswered
        request to land (apply); without it (diff), such posts are left out for now."""
        client = self.client
        plan = load_plan(self.plan_path, workspace=self.workspace)
        if preflight:  # diff and apply: refuse before anything is read or changed
            problems = validate.preflight(plan)
            if problems:
                raise UserError(problems=problems)
        if ignore_state:
            st = State(path=self.state_path, plan_name=plan.name, api_url=client.api_url)
        else:
            st = state.load(self.state_path, plan.name, api_url=client.api_url)
        st.api_url = client.api_url
        channels = refresh.resolve_channels(plan, client.list_channels())
        wanted = desired.build(plan, channels)
        times = [d.record.at for d in wanted] + [o.applied.at for o in st.posts.values()]
        span = refresh.window(times + journal.pending_times(st.journal))
        lives, listed = self._fetch(st, span)
        notes, wait = self._settle_journal(st, lives)
        if wait > 0 and settle is not None:
            settle(wait)
            lives, listed = self._fetch(st, span)
            more, _ = self._settle_journal(st, lives, late=True)
            notes += more
        pending = journal.pending_addresses(st.journal)
        wanted_now = [d for d in wanted if d.address not in pending]
        # Without settings in the listing (v2.23.0) ownership can only be re-established by
        # channel + instant + content; on current main the marker is required (import may ask more).
        entries = adopt.match(plan.name, wanted_now, st, lives, by_content=by_content or listed is False,
                              by_time=by_time)
        changes = diff.compute(entries, now=self.now(), overwrite_drift=overwrite_drift, plan_name=plan.name)
        if preflight:
            _check_sent(plan, channels, changes)
        changes.notes += _collisions(changes, entries, lives)
        if pending:
            notes.append(f"{len(pending)} post(s) of a recent unanswered request are still settling in Postiz; "
                         "they are left out until the next run")
        # Unknown (None) still tries PUT settings; only a listing without settings is v2.23.0.
        counted = counted_needed(changes, put_settings=listed is not False)
        log.info("%s: %d to add, %d to change, %d to destroy, %d drift; %d counted request(s)", plan.name,
                 len(changes.creates), len(changes.updates), len(changes.deletes), len(changes.drifts), counted)
        return Review(plan, st, channels, wanted, lives, listed, entries, changes, notes,
                      counted, eta_seconds(counted, client.budget))

    def _fetch(self, st: State, span) -> tuple[list[LivePost], bool | None]:
        if not span:
            return [], None
        lives, listed = refresh.fetch_posts(self.client, *span)
        return _find_moved_far(self.client, st, span, lives, listed)

    def _settle_journal(self, st: State, lives: list[LivePost], *, late: bool = False) -> tuple[list[str], float]:
        """Adopt what a crashed or unanswered request did; keep what may still land.
        `late`: after the settle wait, whatever is still missing never happened."""
        if not st.journal:
            return [], 0.0
        matcher = adopt.Matcher(st.plan_name, lives, {o.post_id for o in st.posts.values()})

        def find(entry: IntentEntry) -> LivePost | None:
            content = entry.record.content if entry.record else entry.content
            live, _how = matcher.find(entry.address, entry.channel_id, entry.at, content, by_content=True)
            return live

        settle = journal.settle_seconds()
        wall = datetime.now(UTC)  # elapsed time since a request was sent: never the schedule's clock
        now = wall + timedelta(seconds=settle) if late else wall
        found = journal.resolve(st.journal, set(st.posts), find, now=now, settle=settle)
        for landed in found.landed:
            e, live = landed.entry, landed.live
            applied = e.record or Record(at=live.at, content=live.content)
            st.own(e.address, Owned.from_live(live, applied, caption_digest=e.caption_digest,
                                              provider=e.provider or None))
        st.replace_journal(found.kept)
        for note in found.notes:
            log.info("journal: %s", note)
        return found.notes, found.wait


def _check_sent(plan: Plan, channels: dict[str, Channel], changes: ChangeSet) -> None:
    """Validate's checks on what apply would send, with the providers Postiz reported (a
    plan made with --channels names none): refused here, not one by one by Postiz mid-run.
    Past times are left to safety.check (--allow-past); posts not sent are not judged."""
    sent = {c.address for c in changes.creates} | {u.address for u in changes.updates}
    problems = validate.check_targets(plan, {ref: c.provider for ref, c in channels.items()},
                                      channel_ids={ref: c.id for ref, c in channels.items()}, only=sent)
    if problems:
        raise UserError(problems=problems)


def _collisions(changes: ChangeSet, entries: list[Entry], lives: list[LivePost]) -> list[Note]:
    """A create aimed at a channel + instant where Postiz already has a post this plan does
    not own: often the plan's own post, edited in the dashboard after the state was lost
    (v2.23.0 lists no marker to recognise it by). Warn before a second one is made."""
    claimed = {e.live.id for e in entries if e.live is not None}
    slots: dict[tuple, list[LivePost]] = {}
    for lv in lives:
        if lv.id not in claimed:
            slots.setdefault((lv.channel_id, lv.at), []).append(lv)
    notes = []
    for c in changes.creates:
        for lv in slots.get((c.desired.channel.id, c.desired.record.at), []):
            notes.append(Note(
                c.address, "collision",
                f"Postiz already has a post on {c.desired.channel.name} at this time, not owned by this plan "
                f"(post {lv.id}: {lv.content[:60]!r})",
                "if it is this plan's post edited in the dashboard after the state file was lost, run "
                "`cliper-sched import PLAN --force --match-time` instead of creating a second one"))
    return notes


# A post moved far away in the dashboard must not look deleted (and be re-created
# by --overwrite-drift): when an owned post is missing, look once over a wide window.
FAR_WINDOW = timedelta(days=400)


def _find_moved_far(client, st: State, span, lives, listed):
    seen = {lv.id for lv in lives}
    if all(o.post_id in seen for o in st.posts.values()):
        return lives, listed
    wide, wide_listed = refresh.fetch_posts(client, span[0] - FAR_WINDOW, span[1] + FAR_WINDOW)
    return wide, wide_listed if wide_listed is not None else listed
