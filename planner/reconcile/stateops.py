"""`cliper-sched state`: look at and drive what a plan owns (Terraform's `state` commands).

A plan owns a post when Postiz's marker or a signed state entry says so (adopt.py),
so each operation works on the same pairing apply would make (Manager.review) and
keeps both proofs in step:

- list / show read only (no lock, like diff);
- rm hands posts back to the dashboard: our marker leaves the post in Postiz
  (uncounted `PUT /posts/:id/settings`, merged, so the rest of the settings stay),
  then the state entry goes. Without that route (Postiz v2.23.0) only the entry can
  be forgotten, and the outcome says so;
- mv renames an address (`<key>@<channel>`) without delete + create: the marker in
  Postiz is rewritten with the new address (same fingerprint), the entry moves and is
  signed again on save.

rm and mv hold the plan's lock and change the state only through State's methods,
saving after each post, so a failure midway leaves every finished one recorded.
Nothing here prints: the command renders what comes back.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from planner.errors import UserError
from planner.postiz.errors import AuthError, NotFound, PostizError, RouteNotFound
from planner.postiz.models import MARKER_KEY, LivePost
from planner.reconcile import normalize, ownership, refresh
from planner.reconcile.adopt import Entry
from planner.reconcile.ownership import Marker
from planner.reconcile.state import Owned

log = logging.getLogger(__name__)

STATUS_WORDS = {"QUEUE": "scheduled", "PUBLISHED": "published", "ERROR": "failed", "DRAFT": "draft"}
# How ownership of an entry is known this run (adopt.Entry.adopted; None: the state file).
PROOF_WORDS = {None: "state file", "marker": "marker in Postiz", "content": "channel + time + caption",
               "time": "channel + time", "legacy": "older marker"}


@dataclass
class Row:
    """One address the plan owns, with its post in Postiz (None: missing there)."""

    address: str
    owned: Owned
    live: LivePost | None
    recorded: bool  # in the state file (else known by its marker / a match only)
    proof: str
    in_plan: bool

    @property
    def status(self) -> str:
        if self.live is None:
            return "missing"
        return STATUS_WORDS.get(self.live.state, self.live.state.lower())

    def data(self) -> dict:
        return {"address": self.address, "post_id": self.owned.post_id, "status": self.status,
                "last_applied": normalize.iso_z(self.owned.applied_at) if self.owned.applied_at else None,
                "in_state_file": self.recorded, "proof": self.proof, "in_plan": self.in_plan}


@dataclass
class Listing:
    plan_name: str
    state_path: Path
    rows: list[Row]
    notes: list[str]
    tz: Any


@dataclass
class Outcome:
    """What became of one address in rm / mv."""

    address: str
    done: bool
    message: str
    new_address: str | None = None
    warnings: list[str] = field(default_factory=list)

    def data(self) -> dict:
        out: dict[str, Any] = {"address": self.address, "done": self.done, "message": self.message}
        if self.new_address:
            out["new_address"] = self.new_address
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


def _rows(entries: list[Entry], state_posts: dict[str, Owned]) -> list[Row]:
    rows = []
    for e in entries:
        if e.owned is None:
            continue
        cached = state_posts.get(e.address)
        recorded = cached is not None and cached.post_id == e.owned.post_id
        rows.append(Row(e.address, cached if cached is not None and recorded else e.owned, e.live, recorded,
                        PROOF_WORDS.get(e.adopted, e.adopted or ""), e.desired is not None))
    return rows


def listing(manager: Any) -> Listing:
    """Every address the plan owns, as apply would pair them: reads only."""
    prepared = manager.prepare()
    review = manager.review(prepared)
    return Listing(review.plan.name, manager.state_path, _rows(review.entries, review.state.posts),
                   list(review.notes), review.tz)


def find(rows: list[Row], address: str, *, state_path: Path) -> Row:
    for row in rows:
        if row.address == address:
            return row
    raise unknown_address(address, [r.address for r in rows], state_path)


def unknown_address(address: str, known: list[str], state_path: Path) -> UserError:
    close = difflib.get_close_matches(address, known, n=3, cutoff=0.5)
    if close:
        hint = "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
    elif known:
        hint = "`cliper-sched state list PLAN` lists the addresses (`<key>@<channel>`) this plan owns"
    else:
        hint = "this plan owns no post in Postiz yet (nothing applied, or the plan has another `id`)"
    return UserError(f"this plan owns no post at address {address!r}", file=str(state_path), hint=hint)


def _unsettled(review: Any, state_path: Path) -> None:
    if review.state.journal:
        raise UserError("an earlier apply left requests whose outcome Postiz has not shown yet",
                        file=str(state_path),
                        hint="run `cliper-sched apply PLAN` (it settles them first), then this command again")


# -- rm ----------------------------------------------------------------------------------


def remove(manager: Any, addresses: list[str]) -> tuple[list[Outcome], list[str]]:
    """Hand posts back to the dashboard. Unknown addresses are refused before anything changes."""
    with manager.locked() as prepared:
        review = manager.review(prepared)
        _unsettled(review, manager.state_path)
        rows = _rows(review.entries, review.state.posts)
        picked = [find(rows, a, state_path=manager.state_path) for a in dict.fromkeys(addresses)]
        st = review.state
        st.check_writable()
        outcomes = []
        for row in picked:
            outcome = _unmark(manager.client, row)
            if outcome.done:
                st.forget(row.address)
                st.save()  # after each post: a later failure leaves this one recorded
            outcomes.append(outcome)
        return outcomes, list(review.notes)


def _unmark(client: Any, row: Row) -> Outcome:
    live, address = row.live, row.address
    if live is None:
        return Outcome(address, True, f"forgotten (post {row.owned.post_id} is no longer in Postiz)")
    warnings = []
    try:
        # Merged into the stored settings: only the marker changes (null: no marker).
        client.update_settings(live.id, {MARKER_KEY: None})
    except RouteNotFound:
        warnings.append("this Postiz has no settings-only update route (as v2.23.0), so the post keeps its "
                        "marker: no listing there shows it, but after upgrading Postiz the marker would "
                        "make it this plan's again; run `cliper-sched state rm` again after the upgrade")
        if row.in_plan:
            warnings.append("it is still in the plan, and this Postiz lists no markers: the next apply finds "
                            "it again by channel + time + caption; remove it from the plan first")
        how = "forgotten from the state file only"
    except NotFound:
        return Outcome(address, True, f"forgotten (post {live.id} was deleted in Postiz meanwhile)")
    except AuthError:
        raise
    except PostizError as exc:
        return Outcome(address, False, f"Postiz refused to remove the ownership marker from post {live.id} "
                       f"({exc.message}): nothing changed, the plan still owns it")
    else:
        how = "handed back to the dashboard: marker removed (not counted), post left in Postiz"
        if row.in_plan:
            warnings.append("it is still in the plan: the next apply will not create it again but report "
                            "its slot as taken (\"Not created\", exit 4); remove it from the plan")
    return Outcome(address, True, f"{how} (post {live.id}, {row.status})", warnings=warnings)


# -- mv ----------------------------------------------------------------------------------


def move(manager: Any, old: str, new: str) -> tuple[Outcome, list[str]]:
    """Rename `old` to `new` in Postiz's marker and in the state, keeping the post."""
    new_key, _, new_ref = new.partition("@")
    if not new_key or not new_ref:
        raise UserError(f"{new!r} is not an address: write `<key>@<channel>`, e.g. clip-07@tiktok-main",
                        hint="`cliper-sched state list PLAN` shows the addresses this plan owns")
    with manager.locked() as prepared:
        review = manager.review(prepared)
        _unsettled(review, manager.state_path)
        rows = _rows(review.entries, review.state.posts)
        row = find(rows, old, state_path=manager.state_path)
        if any(r.address == new for r in rows):
            raise UserError(f"{new!r} already names another post this plan owns", file=str(manager.state_path),
                            hint=f"pick another key, or `cliper-sched state rm PLAN {new}` first")
        _same_channel(manager, prepared.channels, row, new)
        st = review.state
        st.check_writable()
        outcome = _remark(manager.client, prepared.plan_id, row, new)
        if outcome.done:
            st.rename(old, new, replace(row.owned, fingerprint=_fingerprint(row)))
            st.save()
            planned = {e.address for e in review.entries if e.desired is not None}
            if old in planned and new not in planned:
                outcome.warnings.append(f"the plan still names {old}: rename the key in the plan too "
                                        "before the next apply, or it would delete this post and create it again")
        return outcome, list(review.notes)


def _same_channel(manager: Any, plan_channels: dict, row: Row, new: str) -> None:
    """Only the key may change: the channel part must be the post's own channel."""
    old_ref, new_ref = row.address.partition("@")[2], new.partition("@")[2]
    if old_ref == new_ref:
        return
    channel = plan_channels.get(new_ref)
    if channel is None:
        listed = manager.listing.channels()  # read once this run already
        named = {c.id: c for c in listed if c.id == new_ref} or refresh.by_name(listed, new_ref)
        channel = next(iter(named.values())) if len(named) == 1 else None
    if channel is None or channel.id != row.owned.channel_id:
        raise UserError(f"{new!r} names another channel than {row.address!r}: a post cannot move between "
                        "channels", file=str(manager.state_path),
                        hint=f"keep `@{old_ref}` (only the key may change); to move the post, change the "
                        "plan and apply (delete + create)")


def _fingerprint(row: Row) -> str:
    """The marker's fingerprint when it carries one (keeps dashboard edits telling), else the state's."""
    mark = Marker.parse(row.live.marker) if row.live is not None else None
    return (mark.fingerprint if mark is not None else None) or row.owned.fingerprint or \
        ownership.fingerprint(row.owned.applied)


def _remark(client: Any, plan_id: str, row: Row, new: str) -> Outcome:
    live, old = row.live, row.address
    if live is None:
        return Outcome(old, True, f"renamed in the state file (post {row.owned.post_id} is no longer in Postiz)",
                       new_address=new)
    marker = Marker(plan_id, new, _fingerprint(row)).text()
    try:
        client.update_settings(live.id, {MARKER_KEY: marker})  # merged: only the marker changes
    except RouteNotFound:
        return Outcome(old, True, f"renamed in the state file (post {live.id})", new_address=new, warnings=[
            "this Postiz has no settings-only update route (as v2.23.0): its marker keeps the old address "
            "until apply next edits the post; no listing there shows it, but after upgrading Postiz run this "
            "same `cliper-sched state mv` again before the first apply"])
    except NotFound:
        raise UserError(f"post {live.id} ({old}) was deleted in Postiz meanwhile: nothing renamed",
                        hint="`cliper-sched diff PLAN` shows what apply would do now") from None
    except AuthError:
        raise
    except PostizError as exc:
        return Outcome(old, False, f"Postiz refused to rewrite the ownership marker of post {live.id} "
                       f"({exc.message}): nothing renamed", new_address=new)
    return Outcome(old, True, f"renamed (post {live.id}: marker rewritten in Postiz, not counted)",
                   new_address=new)
