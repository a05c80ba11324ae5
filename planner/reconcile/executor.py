"""Carry out a plan against Postiz: cheapest routes first, counted requests batched,
every step journaled so a crash, a lost answer or a rate limit never duplicates or
loses a post.

Order: deletes (uncounted) -> status switches and settings-only updates via PUT
(uncounted) -> uploads (once per sha256) -> creates and edits through `POST /posts`,
one counted request per target instant (and per kind and type), earliest first.
Before each counted request the intent is journaled in the state; after the
answer the ids are recorded, groups read back with one GET, and the journal cleared.

Several plans run as one: each is a `Part` (its change set, its state file and
its result); deletes and settings updates go plan by plan, but counted requests
are shared, so posts of different plans at one instant cost one request (each
plan journals its share of it before it is sent).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from planner.postiz.errors import (
    AuthError,
    BudgetExhausted,
    MediaChanged,
    NotFound,
    PostizError,
    RateLimited,
    RouteNotFound,
    ServerError,
    UncertainResponse,
    ValidationError,
)
from planner.postiz.models import MARKER_KEY, LivePost, PostEntry
from planner.reconcile import adopt, crashpoints, normalize, ownership
from planner.reconcile.changes import ChangeSet, Create, Delete, Remark, Update
from planner.reconcile.cost import Batch, batches, eta_seconds
from planner.reconcile.desired import DesiredPost
from planner.reconcile.journal import Intent, IntentEntry
from planner.reconcile.records import DRAFT, Record
from planner.reconcile.refresh import fetch_posts
from planner.reconcile.state import Owned, State

READBACK_PAD = timedelta(minutes=1)
# States up to this many posts are written after every change; bigger ones at most
# every FLUSH_SECONDS, so a 10,000-post apply is not spent rewriting a big file.
SMALL_STATE = 500
FLUSH_SECONDS = 2.0


@dataclass
class Failure:
    address: str
    channel: str
    provider: str
    message: str

    def data(self) -> dict:
        return {"address": self.address, "channel": self.channel, "provider": self.provider,
                "message": self.message}


@dataclass
class Result:
    added: int = 0
    changed: int = 0
    destroyed: int = 0
    failures: list[Failure] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)  # addresses to settle on the next run
    stopped_until: datetime | None = None  # budget spent with --no-wait
    remaining: list[str] = field(default_factory=list)  # addresses not done because of the stop
    interrupted: bool = False  # the stop was a Ctrl-C during the wait, not --no-wait
    counted_used: int = 0
    notes: list[str] = field(default_factory=list)
    markers_restored: int = 0
    deleted_meanwhile: list[str] = field(default_factory=list)  # deleted in Postiz during this run

    def data(self) -> dict:
        return {
            "added": self.added, "changed": self.changed, "destroyed": self.destroyed,
            "failures": [f.data() for f in self.failures],
            "uncertain": self.uncertain,
            "stopped_until": self.stopped_until.isoformat() if self.stopped_until else None,
            "remaining": self.remaining,
            "interrupted": self.interrupted,
            "counted_requests": self.counted_used,
            "markers_restored": self.markers_restored,
            "deleted_meanwhile": self.deleted_meanwhile,
            "notes": self.notes,
        }


class Reporter:
    """What the executor tells the user as it goes; the command decides how it looks."""

    def step(self, message: str) -> None:  # pragma: no cover - overridden
        pass

    def progress(self, done: int, total: int, eta_seconds: float | None) -> None:
        pass

    def waiting(self, until: datetime) -> None:
        """The budget is spent until `until`; `tick` follows every second, `resumed` at the end."""

    def tick(self, seconds_left: float) -> None:
        pass

    def resumed(self) -> None:
        pass


@dataclass
class Part:
    """One plan's share of a run: what to change, the state file it writes, what happened."""

    changes: ChangeSet
    state: State
    result: Result = field(default_factory=Result)

    @property
    def plan_id(self) -> str:
        return self.state.plan_id


# A counted request's share of one plan: the items it sends and the intent journaled for them.
Shares = dict[str, tuple[list, Intent]]


class Executor:
    def __init__(self, client: Any, parts: list[Part], *, wait: bool, reporter: Reporter,
                 settings_listed: bool | None, save_budget: Callable[[], None] = lambda: None,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.parts = {p.plan_id: p for p in parts}
        if len(self.parts) != len(parts):
            raise ValueError("two parts of one run carry the same plan id")
        self.wait = wait
        self.reporter = reporter
        self.put_settings = settings_listed is not False  # v2.23.0 lists no settings and has no PUT
        self.put_status = True  # no Postiz lacks PUT /posts/:id/status; learnt once if one does
        self.save_budget = save_budget
        self.sleep = sleep
        self.result = Result()  # the whole run; each part's own in part.result
        self._uploaded: dict[str, tuple[str, str]] = {}  # sha256 -> (media id, path), this run
        self._last_save = 0.0
        self._started = time.monotonic()

    # -- entry point -----------------------------------------------------------

    def run(self) -> Result:
        parts = list(self.parts.values())
        for part in parts:
            if part.changes.has_changes:
                part.state.check_writable()  # a read-only plan folder: refuse now, not after the first change
        for part in parts:
            self._settle_state(part)
        counted, uncounted = batches(ChangeSet.union([p.changes for p in parts]), put_settings=self.put_settings)
        total = sum(len(p.changes.deletes) for p in parts) + len(uncounted) + len(counted)
        done = 0
        for part in parts:
            for change in part.changes.deletes:
                self._delete(part, change)
                done += 1
                self._progress(done, total, len(counted))
        fallback: list[Update] = []
        for upd in uncounted:
            if not self._put_uncounted(upd):
                fallback.append(upd)
            done += 1
            self._progress(done, total, len(counted))
        for part in parts:
            for remark in part.changes.remarks:
                if not self.put_settings:
                    break
                self._restore_marker(part, remark)
        if fallback:  # this server lacks a PUT route: edit through POST /posts (its `type` sets the status)
            more, _ = batches(ChangeSet(updates=fallback), put_settings=False, put_status=False)
            counted.extend(more)
            total += len(more)
        self._upload_media(counted)
        # Journal every counted request before the first is sent: one durable write
        # per state instead of one per request. A crash leaves intents that the next
        # run settles by reading back (a request never sent is simply not found).
        shares = [self._shares(b, [i for i in b.items if self._entry(i) is not None]) for b in counted]
        for share in shares:
            for plan_id, (_items, intent) in share.items():
                self.parts[plan_id].state.add_intents([intent])
        self._save(force=True)
        for i, (batch, share) in enumerate(zip(counted, shares, strict=True)):
            if self.result.stopped_until is not None:
                for b, unsent in zip(counted[i:], shares[i:], strict=True):
                    for item in b.items:
                        self._remaining(item)
                    for plan_id, (_items, intent) in unsent.items():
                        self.parts[plan_id].state.drop_intent(intent)
                break
            self._send(batch, share)
            done += 1
            self._progress(done, total, len(counted) - i - 1)
        self._save(force=True)
        self.save_budget()
        return self.result

    def _save(self, force: bool = False) -> None:
        """Write the states after a change; for big states at most every FLUSH_SECONDS
        (whatever is not yet written stays covered by the journal written up front)."""
        now = time.monotonic()
        small = sum(len(p.state.posts) for p in self.parts.values()) <= SMALL_STATE
        if force or small or now - self._last_save >= FLUSH_SECONDS:
            for part in self.parts.values():
                part.state.save()
            self._last_save = now

    # -- who is who --------------------------------------------------------------

    def _part(self, item: Create | Update) -> Part:
        return self.parts[item.desired.plan_id]

    def _results(self, part: Part) -> tuple[Result, Result]:
        return self.result, part.result

    def _named(self, part: Part, address: str) -> list[tuple[Result, str]]:
        """(the run's result, the address as the run names it: with its plan when several
        plans run) and (the plan's own result, the bare address)."""
        return [(self.result, self._label(part, address)), (part.result, address)]

    def _remaining(self, item: Create | Update) -> None:
        for r, name in self._named(self._part(item), item.address):
            r.remaining.append(name)

    # -- steps -----------------------------------------------------------------

    def _settle_state(self, part: Part) -> None:
        """Record what the refresh learnt (adoptions, settled journal, new groups) first."""
        for address, owned in part.changes.state_refresh.items():
            part.state.own(address, owned)
        for address in part.changes.forget:
            part.state.forget(address)
        part.state.save()

    def _progress(self, done: int, total: int, counted_left: int) -> None:
        """ETA = the pace so far for the steps left, plus the rate-limit waits they imply."""
        elapsed = time.monotonic() - self._started
        pace = elapsed / done if done else 0.0
        waits = eta_seconds(counted_left, self.client.budget) if counted_left else 0.0
        self.reporter.progress(done, total, pace * (total - done) + waits)

    def _request(self, fn: Callable[[], Any]) -> Any:
        crashpoints.reached("before-request")
        out = fn()
        crashpoints.reached("after-request")
        return out

    def _delete(self, part: Part, change: Delete) -> None:
        group = change.live.group
        try:
            self._request(lambda: self.client.delete_group(group))
        except AuthError:
            raise
        except PostizError as exc:
            self._fail(part, change.address, change.owned.provider, change.live.channel_name, exc)
            return
        part.state.forget(change.address)
        self._save()
        for r in self._results(part):
            r.destroyed += 1
        self.reporter.step(f"- {self._label(part, change.address)}: deleted (post {change.live.id})")

    def _label(self, part: Part, address: str) -> str:
        """`address`, with the plan's name in front when several plans run together."""
        return f"{part.state.plan_name}: {address}" if len(self.parts) > 1 else address

    def _put_uncounted(self, upd: Update) -> bool:
        """An update the uncounted routes can do: the status first (`PUT /posts/:id/status`,
        docs/postiz-api.md §10.3), then settings keys with the marker (`PUT /posts/:id/settings`,
        §10.4; on a status switch alone, the marker alone: its fingerprint covers the status).
        True when handled (done or failed); False when this server needs a counted edit instead."""
        part = self._part(upd)
        owned = part.state.posts.get(upd.address) or upd.owned
        keys = bool(upd.settings_fields)
        if (keys and not self.put_settings) or (upd.status is not None and not self.put_status):
            return False  # this run already learnt that the server lacks that route
        applied, fingerprint, state = owned.applied, owned.fingerprint, upd.live.state
        if upd.status is not None:
            status = upd.desired.record.status
            try:
                state = self._request(lambda: self.client.set_status(upd.live.id, status))
            except RouteNotFound:  # not seen on any Postiz (v2.23.0 has it): edit instead
                self.put_status = False
                self.reporter.step("  (this Postiz has no status route; switching through POST /posts, counted)")
                return False
            except NotFound:
                self._deleted_meanwhile(part, upd.address, upd.live.id)
                return True
            except AuthError:
                raise
            except PostizError as exc:
                self._fail(part, upd.address, upd.desired.channel.provider, upd.desired.channel.name, exc)
                return True
            applied = applied.replace(status=status)
            # Recorded at once: the status is switched whatever becomes of the settings.
            self._own_put(part, upd, owned, applied, fingerprint, state)
        recorded = (applied, fingerprint) if upd.status is not None else None
        if keys or self.put_settings:
            wanted = applied.replace(settings=upd.desired.record.settings)
            mark = ownership.marker_for(part.plan_id, upd.address, wanted)
            settings = {**(upd.desired.record.settings if keys else {}), MARKER_KEY: mark.text()}
            try:
                self._request(lambda: self.client.update_settings(upd.live.id, settings))
            except RouteNotFound:
                self.put_settings = False  # Postiz v2.23.0: no PUT /posts/:id/settings
                if keys:
                    self.reporter.step("  (this Postiz has no settings-only update route; editing through POST /posts)")
                    return False
                # A status switch alone is done: this server lists no settings, hence no marker.
            except NotFound:
                if upd.status is None:
                    self._deleted_meanwhile(part, upd.address, upd.live.id)
                    return True
            except AuthError:
                raise
            except PostizError as exc:
                if keys:
                    self._fail(part, upd.address, upd.desired.channel.provider, upd.desired.channel.name, exc)
                    return True
                # The switch is done; the marker catches up on the next run (diff's remarks).
                self.reporter.step(f"  ! {self._label(part, upd.address)}: ownership marker not brought up "
                                   f"to date ({exc.message}); the next apply does it")
            else:
                applied, fingerprint = wanted, mark.fingerprint
        if (applied, fingerprint) != recorded:  # not twice for a switch whose marker PUT changed nothing
            self._own_put(part, upd, owned, applied, fingerprint, state)
        for r in self._results(part):
            r.changed += 1
        self.reporter.step(f"~ {self._label(part, upd.address)}: {self._put_words(upd)} "
                           f"(post {upd.live.id}, not counted)")
        return True

    @staticmethod
    def _put_words(upd: Update) -> str:
        words = []
        if upd.status is not None:
            words.append("now a draft" if upd.desired.record.status == DRAFT else "scheduled, was a draft")
        if upd.settings_fields:
            words.append("settings updated")
        return ", ".join(words)

    def _own_put(self, part: Part, upd: Update, owned: Owned, applied: Record, fingerprint: str | None,
                 state: str) -> None:
        """Record what the PUT routes did: `fingerprint` is the one the post's marker holds."""
        part.state.own(upd.address, replace(Owned.from_live(
            upd.live, applied, caption_digest=owned.caption_digest, provider=upd.desired.channel.provider,
            fingerprint=fingerprint), state=state))
        self._save()

    def _deleted_meanwhile(self, part: Part, address: str, post_id: str) -> None:
        """Deleted in Postiz between the refresh and this request: say so, change nothing
        (the next run reports it as deleted in Postiz, kept unless --overwrite-drift)."""
        for r, name in self._named(part, address):
            r.deleted_meanwhile.append(name)
        self.reporter.step(f"! {self._label(part, address)}: deleted in Postiz while this apply ran "
                           f"(post {post_id}); not updated")

    def _restore_marker(self, part: Part, remark: Remark) -> None:
        """PUT merges keys, so only the marker is sent: the dashboard's edits stay."""
        try:
            self._request(lambda: self.client.update_settings(remark.live.id, {MARKER_KEY: remark.marker}))
        except RouteNotFound:
            self.put_settings = False
            return
        except NotFound:
            return  # deleted meanwhile: the next run sees it
        except AuthError:
            raise
        except PostizError as exc:
            # Not a change the user asked for: a warning, not a failed post.
            note = (f"{self._label(part, remark.address)}: could not put the ownership marker back "
                    f"({exc.message}); will retry next run")
            for r in self._results(part):
                r.notes.append(note)
            self.reporter.step(f"  ! {note}")
            return
        for r in self._results(part):
            r.markers_restored += 1
        owned = part.state.posts.get(remark.address)
        mark = ownership.Marker.parse(remark.marker)
        if owned is not None and mark is not None:
            part.state.own(remark.address, replace(owned, fingerprint=mark.fingerprint))
        what = "put back" if remark.missing else "brought up to date"
        self.reporter.step(f"  {self._label(part, remark.address)}: ownership marker {what} "
                           f"(post {remark.live.id}; not counted)")

    def _upload_media(self, counted: list[Batch]) -> None:
        """Upload each reviewed file once. The client hashes the bytes as it sends them and
        refuses a file that is no longer the reviewed one (`MediaChanged`): nothing is
        recorded for it, and every post using it fails, without a second try. A file two
        plans share is uploaded once and recorded in both states."""
        changed: dict[str, MediaChanged] = {}
        for batch in counted:
            for item in batch.items:
                state = self._part(item).state
                for sha, path in item.desired.media_files:
                    if sha in state.media:
                        continue
                    if sha in changed:
                        self._refuse_unreviewed(item, changed[sha])
                        continue
                    if sha in self._uploaded:
                        state.record_media(sha, *self._uploaded[sha])
                        continue
                    try:
                        media = self._request(partial(self.client.upload, path, sha256=sha))
                    except AuthError:
                        raise
                    except MediaChanged as exc:
                        changed[sha] = exc
                        self._refuse_unreviewed(item, exc)
                        continue
                    except PostizError as exc:
                        self._fail(self._part(item), item.address, item.desired.channel.provider,
                                   item.desired.channel.name, exc)
                        continue
                    self._uploaded[sha] = (media.id, media.path)
                    state.record_media(sha, media.id, media.path)
                    self._save()
                    self.reporter.step(f"  uploaded {path.name} (sha256 {sha[:12]}…, not counted)")

    def _refuse_unreviewed(self, item: Create | Update, exc: MediaChanged) -> None:
        """Not Postiz's refusal but ours: the post is not sent (its media is not the reviewed file)."""
        d = item.desired
        part = self._part(item)
        for r, name in self._named(part, item.address):
            r.failures.append(Failure(name, d.channel.name, d.channel.provider, exc.message))
        self.reporter.step(f"✗ {self._label(part, item.address)}: not sent: {exc.message}")

    def _wire_settings(self, d: DesiredPost) -> dict:
        settings = dict(d.record.settings)
        settings[MARKER_KEY] = ownership.marker_for(d.plan_id, d.address, d.record).text()
        return settings

    def _entry(self, item: Create | Update) -> PostEntry | None:
        d = item.desired
        state = self._part(item).state
        media = []
        for sha, _path in d.media_files:
            if sha not in state.media:
                return None  # its upload failed: already reported
            media.append(state.media[sha])
        entry = PostEntry(integration_id=d.channel.id, content=d.caption, media=media,
                          settings=self._wire_settings(d))
        if isinstance(item, Update):
            entry.post_id, entry.group = item.live.id, item.live.group
        return entry

    def _intent(self, batch: Batch, items: list) -> Intent:
        return Intent(date=normalize.iso_z(batch.at), sent_at=normalize.iso_z(datetime.now(UTC)), entries=tuple(
            IntentEntry(address=i.address, channel_id=i.desired.channel.id, provider=i.desired.channel.provider,
                        post_id=i.live.id if isinstance(i, Update) else None,
                        at=normalize.iso_z(i.desired.record.at), caption_digest=i.desired.caption_digest,
                        content=i.desired.record.content, record=i.desired.record)
            for i in items))

    def _shares(self, batch: Batch, items: list) -> Shares:
        """Each plan's items of one counted request, with the intent its state journals."""
        by_plan: dict[str, list] = {}
        for item in items:
            by_plan.setdefault(item.desired.plan_id, []).append(item)
        return {plan_id: (mine, self._intent(batch, mine)) for plan_id, mine in by_plan.items()}

    def _journal(self, old: Shares, new: Shares) -> None:
        """Replace each plan's intent in place (the journal's order is the send order)."""
        for plan_id, (_items, intent) in old.items():
            state = self.parts[plan_id].state
            if plan_id in new:
                state.replace_intent(intent, new[plan_id][1])
            else:
                state.drop_intent(intent)

    def _drop(self, shares: Shares) -> None:
        for plan_id, (_items, intent) in shares.items():
            self.parts[plan_id].state.drop_intent(intent)

    def _counted(self, items: list) -> None:
        self.result.counted_used += 1
        for plan_id in {i.desired.plan_id for i in items}:
            self.parts[plan_id].result.counted_used += 1  # the requests this plan took part in

    def _send(self, batch: Batch, shares: Shares) -> None:
        items = [i for i in batch.items if self._entry(i) is not None]
        while items:
            if not self._wait_for_budget(items):
                self._drop(shares)
                return
            # Every item has one: `items` holds only posts whose media is uploaded (an
            # upload is never forgotten), so `posts.N` in an answer still indexes `items`.
            entries = [e for e in map(self._entry, items) if e is not None]
            send = self.client.edit_posts if batch.edit else self.client.create_posts
            try:
                answer = self._request(partial(send, batch.at, entries, type=batch.type))
            except (BudgetExhausted, RateLimited):
                self.save_budget()  # a 429 is refused before anything is written
                continue  # _wait_for_budget decides: wait or stop
            except ValidationError as exc:
                self._counted(items)
                self.save_budget()
                # Validation refuses the whole request before writing: drop the refused
                # entries and send the rest again.
                refused = self._refused(items, exc)
                for item in refused:
                    self._fail(self._part(item), item.address, item.desired.channel.provider,
                               item.desired.channel.name, exc)
                items = [i for i in items if i not in refused]
                fresh = self._shares(batch, items)
                self._journal(shares, fresh)
                shares = fresh
                continue
            except (UncertainResponse, ServerError) as exc:
                self._counted(items)
                self.save_budget()
                self.reporter.step(f"  ! no clear answer for {len(items)} post(s) at {normalize.iso_z(batch.at)} "
                                   f"({exc.message}); reading Postiz back")
                # A 500 is an answer: whatever happened is done. A lost answer may still land.
                self._settle_uncertain(batch, shares, answered=isinstance(exc, ServerError))
                self._save(force=True)
                return
            self._counted(items)
            self.save_budget()
            self._record(batch, items, answer)
            self._drop(shares)
            self._save()
            return
        self._drop(shares)

    def _wait_for_budget(self, items: list) -> bool:
        budget = self.client.budget
        while budget.available() <= 0:
            until = budget.next_allowed() or datetime.now(UTC)
            if not self.wait:
                self.result.stopped_until = until
                for item in items:
                    self._remaining(item)
                return False
            try:
                self.reporter.waiting(until)
                while (left := (until - datetime.now(UTC)).total_seconds()) > 0:
                    self.reporter.tick(left)
                    self.sleep(min(1.0, left))
                self.reporter.resumed()
            except KeyboardInterrupt:
                # Ctrl-C while waiting is a clean stop, like --no-wait: nothing is in flight.
                self.result.stopped_until = until
                self.result.interrupted = True
                for item in items:
                    self._remaining(item)
                return False
        return True

    def _refused(self, items: list, exc: ValidationError) -> list:
        """Which entries Postiz refused: by `posts.N.` path, else by channel name/provider."""
        picked: set[int] = set()
        for message in exc.messages:
            for m in re.finditer(r"\bposts\.(\d+)\.", message):
                picked.add(int(m.group(1)))
        if picked:
            return [items[i] for i in sorted(picked) if i < len(items)]
        if exc.channel or exc.provider:
            named = [i for i in items if i.desired.channel.name == exc.channel
                     and (not exc.provider or i.desired.channel.provider == exc.provider)]
            if named:
                return named
        return list(items)

    def _readback(self, at: datetime) -> tuple[list[LivePost], bool | None]:
        return fetch_posts(self.client, at - READBACK_PAD, at + READBACK_PAD)

    def _record(self, batch: Batch, items: list, answer: list[tuple[str, str]]) -> None:
        read: list[LivePost] | None
        try:
            read, _ = self._readback(batch.at)
        except PostizError:
            read = None  # unknown: the next refresh fills in groups and states
        by_id = {lv.id: lv for lv in read or []}
        for item, (post_id, _integration) in zip(items, answer, strict=False):
            live = by_id.get(post_id)
            if isinstance(item, Update) and read is not None and live is None:
                # Postiz answers 201 for an edit of a post deleted meanwhile, and the row
                # stays deleted (docs/postiz-api.md §9.3): not an update.
                self._deleted_meanwhile(self._part(item), item.address, post_id)
                continue
            self._own(item, post_id, live)

    def _own(self, item: Create | Update, post_id: str, live: LivePost | None) -> None:
        d = item.desired
        part = self._part(item)
        applied: Record = d.record
        if live is not None:
            applied = d.record.replace(content=live.content)
        previous = part.state.posts.get(item.address)
        fp = ownership.fingerprint(d.record)  # the marker sent with it
        if live is not None:
            owned = Owned.from_live(live, applied, caption_digest=d.caption_digest, provider=d.channel.provider,
                                    fingerprint=fp)
        else:  # not read back (a failed GET): the next refresh fills group and state in
            owned = Owned(post_id=post_id, group=previous.group if previous else None, channel_id=d.channel.id,
                          provider=d.channel.provider, applied=applied, caption_digest=d.caption_digest,
                          fingerprint=fp)
        part.state.own(item.address, owned)
        label = self._label(part, item.address)
        if isinstance(item, Create):
            for r in self._results(part):
                r.added += 1
            self.reporter.step(f"+ {label}: created (post {post_id})")
        else:
            for r in self._results(part):
                r.changed += 1
            self.reporter.step(f"~ {label}: updated (post {post_id})")

    def _settle_uncertain(self, batch: Batch, shares: Shares, *, answered: bool) -> None:
        """Read back and adopt what the lost request did; leave the rest journaled for the next run."""
        try:
            lives = self._readback(batch.at)[0]
        except PostizError:
            lives = None
        for plan_id, (items, intent) in shares.items():
            part = self.parts[plan_id]
            if lives is None:
                for item in items:
                    self._uncertain(part, item.address)
                continue  # the journal stays: the next run reads back before anything else
            still: list[IntentEntry] = []
            claimed = {o.post_id for p in self.parts.values() for o in p.state.posts.values()}
            matcher = adopt.Matcher(plan_id, lives, claimed)
            by_id = {lv.id: lv for lv in lives}
            for item, entry in zip(items, intent.entries, strict=True):
                if isinstance(item, Update):
                    live = by_id.get(item.live.id)
                    if (live is not None and live.at == item.desired.record.at
                            and live.content == item.desired.record.content):
                        self._own(item, item.live.id, live)
                    else:
                        self._uncertain(part, item.address)  # next run's diff decides
                    continue
                live, _how = matcher.find(item.address, item.desired.channel.id, item.desired.record.at,
                                          item.desired.record.content, by_content=True)
                if live is not None:
                    self._own(item, live.id, live)
                    claimed.add(live.id)
                else:
                    # Not there yet: it may still appear (a slow server). Never re-send blindly
                    # within this run; the next run reads back again first.
                    still.append(entry)
                    self._uncertain(part, item.address)
            if still:
                part.state.replace_intent(intent, intent.keeping(still, unanswered=not answered))
            else:
                part.state.drop_intent(intent)

    def _uncertain(self, part: Part, address: str) -> None:
        for r, name in self._named(part, address):
            r.uncertain.append(name)

    def _fail(self, part: Part, address: str, provider: str, channel: str, exc: Exception) -> None:
        message = exc.message if isinstance(exc, PostizError) else str(exc)
        for r, name in self._named(part, address):
            r.failures.append(Failure(name, channel, provider, message))
        self.reporter.step(f"✗ {self._label(part, address)}: refused by Postiz ({provider} {channel!r}): {message}")
