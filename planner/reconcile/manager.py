"""One plan's orchestrator (octoDNS `Manager`): the steps every command takes for
a plan, in order, and the commands that work on one plan (import, pull, status):

    load plan + state ─► refresh (channels, live posts) ─► settle the crash journal
    ─► desired posts ─► pair with live posts (adopt) ─► ChangeSet (diff)
    ─► provider checks ─► (runner.py: show ─► safety ─► approve ─► execute) ─► state file

diff, apply and destroy take several plans in one run: reconcile/runner.py drives
these steps for each plan, with one listing of Postiz (`refresh.Listing`) and one
executor. Steps return values; the state is changed only here and by the executor,
through `State`'s methods. Commands parse options and render what comes back;
nothing here prints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner import clock, planid, validate
from planner.errors import UserError
from planner.planfile import Plan, load_plan
from planner.postiz import mediaurl
from planner.postiz.models import Channel, LivePost
from planner.reconcile import (
    adopt,
    desired,
    diff,
    journal,
    normalize,
    ownership,
    refresh,
    state,
)
from planner.reconcile.adopt import Entry
from planner.reconcile.changes import ChangeSet, Delete, Note
from planner.reconcile.diff import live_record
from planner.reconcile.journal import IntentEntry
from planner.reconcile.ownership import Marker, Signer
from planner.reconcile.records import Record
from planner.reconcile.state import Lock, Owned, State

if TYPE_CHECKING:
    from planner.reconcile.status import PlanStatus

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
    # Counted requests the changes need and the rate-limit wait they imply: set by the
    # Runner (_cost), which decides for every plan of the run whether settings PUTs work.
    counted: int = 0
    eta: float = 0.0

    @property
    def tz(self):
        return self.plan.timezone


@dataclass
class Imported:
    path: Path
    found: dict[str, int]  # how: "marker" | "content" | "time" | "legacy" -> count
    by_time: list[Entry]  # adopted by channel + time only: listed for review
    missing: list[str]  # planned addresses not in Postiz


@dataclass
class Pulled:
    pulled: list  # reconcile.pull.Pulled items (nothing is written on --dry-run)


SKEW_REPORTED = timedelta(minutes=1)  # a server clock further off than this is reported
SKEW_USED = timedelta(seconds=2)  # Date has a one-second resolution: below this, noise


@dataclass
class Prepared:
    """What is read before the lock: the plan, its cached state, and its channels."""

    plan: Plan
    plan_id: str
    state: State
    channels: dict[str, Channel]
    notes: list[str]


class Manager:
    def __init__(self, client: Any, plan_path: str | Path, *, workspace: str | None = None,
                 now: Callable[[], datetime] = clock.now, lock_timeout: float = 0.0,
                 listing: refresh.Listing | None = None, wanted: Callable[[str], bool] | None = None):
        """`now` decides what is past (the schedule's clock: --now / CLIPER_SCHED_NOW
        hold here too), moved by the server's clock skew once its `Date` is known
        (Postiz publishes by its own clock). How long a request has been waiting is
        wall-clock time. `lock_timeout`: seconds to wait for another run holding the
        plan's lock (--lock-timeout; 0 fails at once)."""
        self.lock_timeout = lock_timeout
        self.client = client
        # Shared by the plans of one run (reconcile/runner.py): one refresh per server.
        self.listing = listing or refresh.Listing(client)
        self.wanted = wanted  # --target: the addresses this run may change (None: all)
        self.plan_path = Path(plan_path)
        self.workspace = workspace
        self._now = now
        self.state_path = state.state_path_for(plan_path)
        self.signer = Signer(client.signing_key(Signer.PURPOSE))
        self.plan_id_added: str | None = None  # set when apply wrote a new `id` into the plan

    def now(self) -> datetime:
        """The schedule's clock, on the server's time when its `Date` header says otherwise."""
        skew = self.client.clock_skew()
        if skew is not None and abs(skew) >= SKEW_USED:
            return self._now() + skew
        return self._now()

    # -- commands ------------------------------------------------------------------

    def destroy_changes(self, review: Review) -> ChangeSet:
        """`destroy`'s change set: every unpublished post the plan owns (published ones
        stay: history), extra copies of one post, and what the refresh learnt."""
        doomed = ChangeSet(owned_count=review.changes.owned_count,
                           notes=[n for n in review.changes.notes if n.kind in ("published", "ownership", "clock")],
                           state_refresh=dict(review.changes.state_refresh))
        for e in review.entries:
            if self.wanted is not None and not self.wanted(e.address):
                continue
            if e.unproven is not None:
                doomed.notes.append(Note(
                    e.address, "untouched",
                    f"post {e.unproven.id} sits at this post's channel and time without this plan's marker: "
                    "not deleted", "if it is this plan's post, run `cliper-sched import PLAN --force "
                    "--match-time`, then destroy again"))
            if e.owned is None:
                continue
            if e.live is None:
                doomed.forget.append(e.address)
            elif not e.live.published:
                doomed.deletes.append(Delete(e.address, e.owned, e.live, reason="destroy"))
        doomed.deletes += [d for d in review.changes.deletes if d.duplicate_of]
        return doomed

    def import_(self, *, force: bool, match_time: bool) -> Imported:
        """Rebuild the state cache from Postiz: our marker, an older cliper-sched's marker,
        else channel + instant + content (and with --match-time, the single post at the slot).
        The user running it is the proof a pull request cannot forge."""
        with self.locked() as prepared:
            if self.state_path.exists() and not force and prepared.state.posts:
                raise UserError("a state file already exists for this plan", file=str(self.state_path),
                                hint="`cliper-sched apply` already finds the posts it made by their marker; "
                                "to rebuild the state from scratch anyway, re-run with --force")
            prepared.state = State(path=self.state_path, plan_name=prepared.plan.name, plan_id=prepared.plan_id,
                                   api_url=self.client.api_url, signer=self.signer)
            review = self.review(prepared, by_content=True, by_time=match_time, legacy=True)
            found = {"marker": 0, "content": 0, "time": 0, "legacy": 0}
            posts: dict[str, Owned] = {}
            by_time = []
            for entry in review.entries:
                if entry.owned is not None and entry.live is not None:
                    posts[entry.address] = entry.owned
                    found[entry.adopted or "marker"] += 1
                    if entry.adopted == "time":
                        by_time.append(entry)
            review.state.replace_posts(posts)
            review.state.replace_journal([])
            self.write_plan_id(prepared)
            review.state.save()
        missing = [e.address for e in review.entries if e.desired is not None and e.owned is None]
        return Imported(self.state_path, found, by_time, missing)

    def pull(self, *, dry_run: bool) -> Pulled:
        """Write dashboard edits into the plan file, then record them as applied."""
        from planner.errors import write_failed
        from planner.reconcile import pull as pull_mod

        with self.locked() as prepared:
            review = self.review(prepared)
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
            # The plan now says what Postiz holds: record it as applied, so diff shows no changes
            # (the next apply brings the markers' fingerprints up to date, uncounted).
            st = review.state
            for d in drifts:
                if d.live is None:
                    st.forget(d.address)
                else:
                    st.own(d.address, Owned.from_live(d.live, live_records[d.address], caption_digest=None,
                                                      provider=d.owned.provider, fingerprint=d.owned.fingerprint))
            for address, owned in review.changes.state_refresh.items():
                if address not in st.posts:
                    st.own(address, owned)
            st.save()
            return Pulled(pulled)

    def status(self) -> PlanStatus:
        """What became of each post (reconcile/status.py): reads only, uncounted, no lock;
        no preflight either, so a CI job without the clips can still report."""
        review = self.review(self.prepare())
        from planner.reconcile.status import PlanStatus, classify  # only `status` needs it

        fates = classify(review.entries, review.channels, now=self.now())
        return PlanStatus(review.plan.name, str(self.plan_path), fates, list(review.notes), review.tz)

    # -- the shared sequence ---------------------------------------------------------

    def prepare(self, *, preflight: bool = False) -> Prepared:
        """Plan, state cache and channels: reads only."""
        plan = load_plan(self.plan_path, workspace=self.workspace)
        if preflight:  # diff and apply: refuse before anything is read or changed
            problems = validate.preflight(plan)
            if problems:
                raise UserError(problems=problems)
        notes: list[str] = []
        plan_id = plan.id
        if plan_id is None:
            plan_id = planid.new()  # written into the plan by the first apply that changes Postiz
            notes.append(f"the plan has no `id` yet: apply writes one into {self.plan_path.name} before it changes "
                         "anything in Postiz (commit it); until then nothing in Postiz can be tied to this plan")
        st = state.load(self.state_path, plan.name, plan_id, self.signer)
        st.api_url = self.client.api_url
        notes += st.notes
        channels = self._channels(plan, plan_id, st, notes)
        if preflight:  # a channel swapped under the plan's name: the plan was checked for another provider
            mismatched = validate.provider_mismatches(plan, {ref: c.provider for ref, c in channels.items()})
            if mismatched:
                raise UserError(problems=mismatched)
        return Prepared(plan, plan_id, st, channels, notes)

    def write_plan_id(self, prepared: Prepared) -> None:
        """Postiz's markers must name this plan for good: a plan without an `id` gets the
        one this run used, written into the file before anything carries it."""
        if prepared.plan.id is not None:
            return
        try:
            added = planid.add_to_file(self.plan_path, prepared.plan_id)
        except OSError as exc:
            raise UserError(f"cannot write the plan's new id into the plan file: {exc.strerror or exc}",
                            file=str(self.plan_path), hint=f"add the line `id: {prepared.plan_id}` under "
                            "`version: 1` yourself, commit it, and run this again; nothing was changed") from None
        if not added:
            raise UserError("this plan has no `id`, and no top-level `version:` line to add it under",
                            file=str(self.plan_path), path="id", hint=f"add the line `id: {prepared.plan_id}` "
                            "near the top, commit it, and run this again; nothing was changed")
        prepared.plan.id = prepared.plan_id
        self.plan_id_added = prepared.plan_id

    def _channels(self, plan: Plan, plan_id: str, st: State, notes: list[str]) -> dict[str, Channel]:
        """Channel refs by name or id; a ref whose channel was renamed in Postiz is followed
        by the id its posts carry (signed state entries, else our markers in Postiz)."""
        listed = self.listing.channels()
        known = {a.rsplit("@", 1)[1]: o.channel_id for a, o in st.posts.items()}
        missing = refresh.unresolved(plan, listed)
        if missing and not all(ref in known for ref in missing):
            times = [normalize.instant(t.at) for t in plan.targets()]
            span = refresh.window(times)
            if span:
                for lv in self.listing.posts(*span)[0]:
                    mark = Marker.parse(lv.marker)
                    if mark is not None and mark.plan_id == plan_id:
                        known.setdefault(mark.address.rsplit("@", 1)[1], lv.channel_id)
        channels, renamed = refresh.resolve_channels(plan, listed, known_ids=known)
        for ref, channel in renamed.items():
            notes.append(f"channel {ref!r} is now called {channel.name!r} in Postiz (followed by its id "
                         f"{channel.id}): rename it in the plan, or use the id")
        return channels

    @contextmanager
    def locked(self, *, preflight: bool = False) -> Iterator[Prepared]:
        """Prepare, then hold the plan's lock; if it had to wait for another run
        (--lock-timeout), read the plan, the state and Postiz again: that run changed them."""
        prepared = self.prepare(preflight=preflight)
        with self.lock(prepared) as lock:
            if lock.waited:
                self.listing.forget()
                prepared = self.prepare(preflight=preflight)
            yield prepared

    def lock(self, prepared: Prepared) -> Lock:
        """One lock per plan on this server (its channels' ids, not the URL's spelling),
        shared by every checkout on the machine."""
        ids = sorted({c.id for c in prepared.channels.values()})
        return Lock(self.state_path, prepared.plan_id + "|" + ",".join(ids), timeout=self.lock_timeout)

    def span(self, prepared: Prepared) -> tuple[datetime, datetime] | None:
        """The window of Postiz this plan's review reads: its posts, what its state
        recorded, and the crash journal's pending requests."""
        st = prepared.state
        times = [normalize.instant(t.at) for t in prepared.plan.targets()] + [o.applied.at for o in st.posts.values()]
        return refresh.window(times + journal.pending_times(st.journal))

    def review(self, prepared: Prepared, *, preflight: bool = False, overwrite_drift: bool = False,
                by_content: bool = False, by_time: bool = False, legacy: bool = False,
                settle: Callable[[float], None] | None = None) -> Review:
        """Everything up to the ChangeSet. `settle(seconds)` waits for a recent unanswered
        request to land (apply); without it (diff), such posts are left out for now."""
        client = self.client
        plan, st, channels = prepared.plan, prepared.state, prepared.channels
        notes = list(prepared.notes)
        wanted = desired.build(plan, channels, prepared.plan_id)
        span = self.span(prepared)
        lives, listed = self._fetch(st, span)
        settled, wait = self._settle_journal(st, lives)
        notes += settled
        if wait > 0 and settle is not None:
            settle(wait)
            self.listing.forget()  # what landed meanwhile must be read, not remembered
            lives, listed = self._fetch(st, span)
            more, _ = self._settle_journal(st, lives, late=True)
            notes += more
        pending = journal.pending_addresses(st.journal)
        wanted_now = [d for d in wanted if d.address not in pending]
        # Without settings in the listing (v2.23.0) a lost or unsigned state can only be
        # rebuilt by channel + instant + content; where markers are listed they suffice.
        entries, dropped = adopt.match(prepared.plan_id, wanted_now, st, lives,
                                       by_content=by_content or listed is False, by_time=by_time,
                                       legacy_name=plan.name if legacy else None)
        now = self.now()
        changes = diff.compute(entries, now=now, overwrite_drift=overwrite_drift, plan_id=prepared.plan_id)
        if self.wanted is not None:
            changes = changes.only(self.wanted)
        if preflight:
            _check_sent(plan, channels, changes)
        changes.notes += [Note("(state)", "ownership", n) for n in dropped]
        skew = client.clock_skew()
        if skew is not None and abs(skew) > SKEW_REPORTED:
            changes.notes.append(Note("(server)", "clock", _skew_text(skew)))
        if listed is False:
            notes.append("this Postiz lists no post settings (as v2.23.0 does), so ownership markers cannot be read: "
                         "ownership rests on the signed state file and exact channel + time + caption matches, and "
                         "a post that cannot be tied to this plan is never created twice nor overwritten "
                         "(README: The state file)")
        if pending:
            notes.append(f"{len(pending)} post(s) of a recent unanswered request are still settling in Postiz; "
                         "they are left out until the next run")
        notes += media_url_notes(plan, channels, st)
        log.info("%s: %d to add, %d to change, %d to destroy, %d drift", plan.name,
                 len(changes.creates), len(changes.updates), len(changes.deletes), len(changes.drifts))
        return Review(plan, st, channels, wanted, lives, listed, entries, changes, notes)

    def _fetch(self, st: State, span) -> tuple[list[LivePost], bool | None]:
        if not span:
            return [], None
        lives, listed = self.listing.posts(*span)
        return _find_moved_far(self.listing, st, span, lives, listed)

    def _settle_journal(self, st: State, lives: list[LivePost], *, late: bool = False) -> tuple[list[str], float]:
        """Adopt what a crashed or unanswered request did; keep what may still land.
        `late`: after the settle wait, whatever is still missing never happened."""
        if not st.journal:
            return [], 0.0
        matcher = adopt.Matcher(st.plan_id, lives, {o.post_id for o in st.posts.values()})

        def find(entry: IntentEntry) -> LivePost | None:
            content = entry.record.content if entry.record else entry.content
            live, _how = matcher.find(entry.address, entry.channel_id, entry.at, content, by_content=True)
            return live

        settle = journal.settle_seconds()
        wall = datetime.now(UTC)  # elapsed time since a request was sent: never the schedule's clock
        now = wall + timedelta(seconds=settle) if late else wall
        found = journal.resolve(st.journal, set(st.posts), find, now=now, settle=settle,
                                live_by_id={lv.id: lv for lv in lives}, last_save=st.saved_at)
        for landed in found.landed:
            e, live = landed.entry, landed.live
            applied = e.record or Record(at=live.at, content=live.content)
            if e.record is not None and live.content != e.record.content and not e.post_id:
                applied = e.record.replace(content=live.content)
            st.own(e.address, Owned.from_live(live, applied, caption_digest=e.caption_digest,
                                              provider=e.provider or None,
                                              fingerprint=ownership.fingerprint(e.record) if e.record else None))
        st.replace_journal(found.kept)
        for note in found.notes:
            log.info("journal: %s", note)
        return found.notes, found.wait


def media_url_notes(plan: Plan, channels: dict[str, Channel], st: State) -> list[str]:
    """Channels whose network fetches media by URL, against the URLs this plan's uploads
    got (its state; none before its first upload: apply says it after uploading)."""
    urls = [m["path"] for m in st.media.values() if isinstance(m.get("path"), str)]
    if not urls:
        return []
    paths: dict[str, set[str]] = {}
    for t in plan.targets():
        if t.post.media is not None and t.channel_ref in channels:
            paths.setdefault(t.channel_ref, set()).add(t.post.media.path)
    uses = [u for ref, ps in paths.items() for u in mediaurl.uses_of_paths(ref, channels[ref].provider, ps)]
    return mediaurl.plan_notes(urls, uses)


def _skew_text(skew: timedelta) -> str:
    seconds = skew.total_seconds()
    way = "ahead of" if seconds > 0 else "behind"
    size = abs(seconds)
    amount = f"{size / 86400:.1f} days" if size >= 86400 else f"{size / 3600:.1f} h" if size >= 3600 else f"{size:.0f} s"
    return (f"the server's clock is {amount} {way} this machine's (its Date header): posts are judged "
            "past or future by the server's clock, which is the one Postiz publishes by")


def _check_sent(plan: Plan, channels: dict[str, Channel], changes: ChangeSet) -> None:
    """Validate's checks on what apply would send, with the providers Postiz reported (a
    plan made with --channels names none): refused here, not one by one by Postiz mid-run.
    Past times are left to safety.check (--allow-past); posts not sent are not judged."""
    sent = {c.address for c in changes.creates} | {u.address for u in changes.updates}
    problems = validate.check_targets(plan, {ref: c.provider for ref, c in channels.items()},
                                      channel_ids={ref: c.id for ref, c in channels.items()}, only=sent)
    if problems:
        raise UserError(problems=problems)


# A post moved far away in the dashboard must not look deleted (and be re-created
# by --overwrite-drift): when an owned post is missing, look once over a wide window.
FAR_WINDOW = timedelta(days=400)


def _find_moved_far(listing: refresh.Listing, st: State, span, lives, listed):
    seen = {lv.id for lv in lives}
    if all(o.post_id in seen for o in st.posts.values()):
        return lives, listed
    wide, wide_listed = listing.posts(span[0] - FAR_WINDOW, span[1] + FAR_WINDOW)
    return wide, wide_listed if wide_listed is not None else listed
