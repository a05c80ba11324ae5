"""Carry out a plan against Postiz: cheapest routes first, counted requests batched,
every step journaled so a crash, a lost answer or a rate limit never duplicates or
loses a post.

Order: deletes (uncounted) -> settings-only updates via PUT (uncounted) ->
uploads (once per sha256) -> creates and edits through `POST /posts`, one counted
request per target instant (and per kind), earliest first. Before each counted
request the intent is journaled in the state; after the answer the ids are
recorded, groups read back with one GET, and the journal cleared.
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
from planner.reconcile.records import Record
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


class Executor:
    def __init__(self, client: Any, state: State, *, wait: bool, reporter: Reporter,
                 settings_listed: bool | None, save_budget: Callable[[], None] = lambda: None,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.state = state
        self.plan_id = state.plan_id
        self.wait = wait
        self.reporter = reporter
        self.put_settings = settings_listed is not False  # v2.23.0 lists no settings and has no PUT
        self.save_budget = save_budget
        self.sleep = sleep
        self.result = Result()
        self._last_save = 0.0
        self._started = time.monotonic()

    # -- entry point -----------------------------------------------------------

    def run(self, plan: ChangeSet) -> Result:
        if plan.has_changes:
            self.state.check_writable()  # a read-only plan folder: refuse now, not after the first change
        self._settle_state(plan)
        counted, settings_only = batches(plan, put_settings=self.put_settings)
        total = len(plan.deletes) + len(settings_only) + len(counted)
        done = 0
        for change in plan.deletes:
            self._delete(change)
            done += 1
            self._progress(done, total, len(counted))
        fallback: list[Update] = []
        for upd in settings_only:
            if not self._put_settings(upd):
                fallback.append(upd)
            done += 1
            self._progress(done, total, len(counted))
        for remark in plan.remarks:
            if not self.put_settings:
                break
            self._restore_marker(remark)
        if fallback:  # this server has no PUT /posts/:id/settings: edit through POST /posts
            more, _ = batches(ChangeSet(updates=fallback), put_settings=False)
            counted.extend(more)
            total += len(more)
        self._upload_media(counted)
        # Journal every counted request before the first is sent: one durable write
        # instead of one per request. A crash leaves intents that the next run
        # settles by reading back (a request never sent is simply not found).
        intents = [self._intent(b, [i for i in b.items if self._entry(i) is not None]) for b in counted]
        self.state.add_intents(intents)
        self._save(force=True)
        for i, (batch, intent) in enumerate(zip(counted, intents, strict=True)):
            if self.result.stopped_until is not None:
                for b, unsent in zip(counted[i:], intents[i:], strict=True):
                    self.result.remaining.extend(item.address for item in b.items)
                    self.state.drop_intent(unsent)
                break
            self._send(batch, intent)
            done += 1
            self._progress(done, total, len(counted) - i - 1)
        self._save(force=True)
        self.save_budget()
        return self.result

    def _save(self, force: bool = False) -> None:
        """Write the state after a change; for big states at most every FLUSH_SECONDS
        (whatever is not yet written stays covered by the journal written up front)."""
        now = time.monotonic()
        if force or len(self.state.posts) <= SMALL_STATE or now - self._last_save >= FLUSH_SECONDS:
            self.state.save()
            self._last_save = now

    # -- steps -----------------------------------------------------------------

    def _settle_state(self, plan: ChangeSet) -> None:
        """Record what the refresh learnt (adoptions, settled journal, new groups) first."""
        for address, owned in plan.state_refresh.items():
            self.state.own(address, owned)
        for address in plan.forget:
            self.state.forget(address)
        self.state.save()

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

    def _delete(self, change: Delete) -> None:
        group = change.live.group
        try:
            self._request(lambda: self.client.delete_group(group))
        except AuthError:
            raise
        except PostizError as exc:
            self._fail(change.address, change.owned.provider, change.live.channel_name, exc)
            return
        self.state.forget(change.address)
        self._save()
        self.result.destroyed += 1
        self.reporter.step(f"- {change.address}: deleted (post {change.live.id})")

    def _put_settings(self, upd: Update) -> bool:
        """True when handled (done or failed); False when this server needs an edit instead."""
        owned = self.state.posts.get(upd.address) or upd.owned
        applied = owned.applied.replace(settings=upd.desired.record.settings)
        mark = ownership.marker_for(self.plan_id, upd.address, applied)
        settings = {**upd.desired.record.settings, MARKER_KEY: mark.text()}
        try:
            self._request(lambda: self.client.update_settings(upd.live.id, settings))
        except RouteNotFound:
            self.put_settings = False  # Postiz v2.23.0: no PUT /posts/:id/settings
            self.reporter.step("  (this Postiz has no settings-only update route; editing through POST /posts)")
            return False
        except NotFound:
            self._deleted_meanwhile(upd.address, upd.live.id)
            return True
        except AuthError:
            raise
        except PostizError as exc:
            self._fail(upd.address, upd.desired.channel.provider, upd.desired.channel.name, exc)
            return True
        self.state.own(upd.address, Owned.from_live(
            upd.live, applied, caption_digest=owned.caption_digest, provider=upd.desired.channel.provider,
            fingerprint=mark.fingerprint))
        self._save()
        self.result.changed += 1
        self.reporter.step(f"~ {upd.address}: settings updated (post {upd.live.id}, not counted)")
        return True

    def _deleted_meanwhile(self, address: str, post_id: str) -> None:
        """Deleted in Postiz between the refresh and this request: say so, change nothing
        (the next run reports it as deleted in Postiz, kept unless --overwrite-drift)."""
        self.result.deleted_meanwhile.append(address)
        self.reporter.step(f"! {address}: deleted in Postiz while this apply ran (post {post_id}); not updated")

    def _restore_marker(self, remark: Remark) -> None:
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
            note = f"{remark.address}: could not put the ownership marker back ({exc.message}); will retry next run"
            self.result.notes.append(note)
            self.reporter.step(f"  ! {note}")
            return
        self.result.markers_restored += 1
        owned = self.state.posts.get(remark.address)
        mark = ownership.Marker.parse(remark.marker)
        if owned is not None and mark is not None:
            self.state.own(remark.address, replace(owned, fingerprint=mark.fingerprint))
        what = "put back" if remark.missing else "brought up to date"
        self.reporter.step(f"  {remark.address}: ownership marker {what} (post {remark.live.id}; not counted)")

    def _upload_media(self, counted: list[Batch]) -> None:
        """Upload each reviewed file once. The client hashes the bytes as it sends them and
        refuses a file that is no longer the reviewed one (`MediaChanged`): nothing is
        recorded for it, and every post using it fails, without a second try."""
        changed: dict[str, MediaChanged] = {}
        for batch in counted:
            for item in batch.items:
                for sha, path in item.desired.media_files:
                    if sha in self.state.media:
                        continue
                    if sha in changed:
                        self._refuse_unreviewed(item, changed[sha])
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
                        self._fail(item.address, item.desired.channel.provider, item.desired.channel.name, exc)
                        continue
                    self.state.record_media(sha, media.id, media.path)
                    self._save()
                    self.reporter.step(f"  uploaded {path.name} (sha256 {sha[:12]}…, not counted)")

    def _refuse_unreviewed(self, item: Create | Update, exc: MediaChanged) -> None:
        """Not Postiz's refusal but ours: the post is not sent (its media is not the reviewed file)."""
        d = item.desired
        self.result.failures.append(Failure(item.address, d.channel.name, d.channel.provider, exc.message))
        self.reporter.step(f"✗ {item.address}: not sent: {exc.message}")

    def _wire_settings(self, d: DesiredPost) -> dict:
        settings = dict(d.record.settings)
        settings[MARKER_KEY] = ownership.marker_for(self.plan_id, d.address, d.record).text()
        return settings

    def _entry(self, item: Create | Update) -> PostEntry | None:
        d = item.desired
        media = []
        for sha, _path in d.media_files:
            if sha not in self.state.media:
                return None  # its upload failed: already reported
            media.append(self.state.media[sha])
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

    def _send(self, batch: Batch, intent: Intent) -> None:
        items = [i for i in batch.items if self._entry(i) is not None]
        while items:
            if not self._wait_for_budget(items):
                self.state.drop_intent(intent)
                return
            # Every item has one: `items` holds only posts whose media is uploaded (an
            # upload is never forgotten), so `posts.N` in an answer still indexes `items`.
            entries = [e for e in map(self._entry, items) if e is not None]
            send = self.client.edit_posts if batch.edit else self.client.create_posts
            try:
                answer = self._request(partial(send, batch.at, entries, type="schedule"))
            except (BudgetExhausted, RateLimited):
                self.save_budget()  # a 429 is refused before anything is written
                continue  # _wait_for_budget decides: wait or stop
            except ValidationError as exc:
                self.result.counted_used += 1
                self.save_budget()
                # Validation refuses the whole request before writing: drop the refused
                # entries and send the rest again.
                refused = self._refused(items, exc)
                for item in refused:
                    self._fail(item.address, item.desired.channel.provider, item.desired.channel.name, exc)
                items = [i for i in items if i not in refused]
                fresh = self._intent(batch, items)
                self.state.replace_intent(intent, fresh)  # in place: the journal's order is the send order
                intent = fresh
                continue
            except (UncertainResponse, ServerError) as exc:
                self.result.counted_used += 1
                self.save_budget()
                self.reporter.step(f"  ! no clear answer for {len(items)} post(s) at {normalize.iso_z(batch.at)} "
                                   f"({exc.message}); reading Postiz back")
                # A 500 is an answer: whatever happened is done. A lost answer may still land.
                self._settle_uncertain(batch, items, intent, answered=isinstance(exc, ServerError))
                self._save(force=True)
                return
            self.result.counted_used += 1
            self.save_budget()
            self._record(batch, items, answer)
            self.state.drop_intent(intent)
            self._save()
            return
        self.state.drop_intent(intent)

    def _wait_for_budget(self, items: list) -> bool:
        budget = self.client.budget
        while budget.available() <= 0:
            until = budget.next_allowed() or datetime.now(UTC)
            if not self.wait:
                self.result.stopped_until = until
                self.result.remaining.extend(i.address for i in items)
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
                self.result.remaining.extend(i.address for i in items)
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
                self._deleted_meanwhile(item.address, post_id)
                continue
            self._own(item, post_id, live)

    def _own(self, item: Create | Update, post_id: str, live: LivePost | None) -> None:
        d = item.desired
        applied: Record = d.record
        if live is not None:
            applied = d.record.replace(content=live.content)
        previous = self.state.posts.get(item.address)
        fp = ownership.fingerprint(d.record)  # the marker sent with it
        if live is not None:
            owned = Owned.from_live(live, applied, caption_digest=d.caption_digest, provider=d.channel.provider,
                                    fingerprint=fp)
        else:  # not read back (a failed GET): the next refresh fills group and state in
            owned = Owned(post_id=post_id, group=previous.group if previous else None, channel_id=d.channel.id,
                          provider=d.channel.provider, applied=applied, caption_digest=d.caption_digest,
                          fingerprint=fp)
        self.state.own(item.address, owned)
        if isinstance(item, Create):
            self.result.added += 1
            self.reporter.step(f"+ {item.address}: created (post {post_id})")
        else:
            self.result.changed += 1
            self.reporter.step(f"~ {item.address}: updated (post {post_id})")

    def _settle_uncertain(self, batch: Batch, items: list, intent: Intent, *, answered: bool) -> None:
        """Read back and adopt what the lost request did; leave the rest journaled for the next run."""
        try:
            lives, _ = self._readback(batch.at)
        except PostizError:
            lives = None
        if lives is None:
            self.result.uncertain.extend(i.address for i in items)
            return  # the journal stays: the next run reads back before anything else
        still: list[IntentEntry] = []
        claimed = {o.post_id for o in self.state.posts.values()}
        matcher = adopt.Matcher(self.plan_id, lives, claimed)
        by_id = {lv.id: lv for lv in lives}
        for item, entry in zip(items, intent.entries, strict=True):
            if isinstance(item, Update):
                live = by_id.get(item.live.id)
                if live is not None and live.at == item.desired.record.at and live.content == item.desired.record.content:
                    self._own(item, item.live.id, live)
                else:
                    self.result.uncertain.append(item.address)  # next run's diff decides
                continue
            live, _how = matcher.find(item.address, item.desired.channel.id, item.desired.record.at,
                                      item.desired.record.content, by_content=True)
            if live is not None:
                self._own(item, live.id, live)
            else:
                # Not there yet: it may still appear (a slow server). Never re-send blindly
                # within this run; the next run reads back again first.
                still.append(entry)
                self.result.uncertain.append(item.address)
        if still:
            self.state.replace_intent(intent, intent.keeping(still, unanswered=not answered))
        else:
            self.state.drop_intent(intent)

    def _fail(self, address: str, provider: str, channel: str, exc: Exception) -> None:
        message = exc.message if isinstance(exc, PostizError) else str(exc)
        self.result.failures.append(Failure(address, channel, provider, message))
        self.reporter.step(f"✗ {address}: refused by Postiz ({provider} {channel!r}): {message}")
