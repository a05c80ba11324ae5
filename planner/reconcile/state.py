"""The state file beside a plan: a cache of what Postiz holds, and the crash journal.

`plans/ep12.yaml` -> `plans/ep12.state.json`. It speeds a run up (what was last
applied, in full; which upload holds which file) and carries the journal of
counted requests in flight, but it decides nothing on its own: every entry is
signed (ownership.Signer, a key derived from the API key), entries that do not
verify are ignored with a note, and a post is deleted or overwritten only when
Postiz's own listing agrees (reconcile/adopt.py). It holds no secret, is written
atomically (planner.fsutil), sorted and indented.

The lock that keeps two applies of one plan apart is keyed by the plan's id, in
a folder shared by every checkout on the machine (never beside the plan: on
Unix a lock file cannot be removed safely after use, and one left in `plans/`
would litter the user's git working tree).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from planner.errors import UserError, write_failed
from planner.fsutil import (
    STATE_MAX_BYTES,
    atomic_write_text,
    check_writable,
    read_capped,
    remove_stale_temps,
)
from planner.postiz.models import LivePost
from planner.reconcile import budgetcache, crashpoints, normalize
from planner.reconcile.journal import Intent
from planner.reconcile.ownership import Signer
from planner.reconcile.records import Record
from planner.schema import schema_errors

VERSION = 2

log = logging.getLogger(__name__)


def state_path_for(plan_path: str | os.PathLike) -> Path:
    plan_path = Path(plan_path)
    stem = plan_path.name
    for suffix in (".yaml", ".yml"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return plan_path.with_name(f"{stem}.state.json")


@dataclass(frozen=True)
class Owned:
    """One post the plan owns: where it lives in Postiz and what we last applied.
    Frozen: an entry is replaced, never changed in place, so the text the state file
    rendered for it stays true while it is there (State.dumps)."""

    post_id: str
    channel_id: str
    provider: str
    applied: Record
    group: str | None = None
    caption_digest: str | None = None  # digest of the caption we sent (before sanitising)
    state: str = "QUEUE"  # last seen Postiz state
    release_url: str | None = None
    fingerprint: str | None = None  # the marker's fingerprint when we last applied (ownership.py)
    # When this state file recorded `applied` (wall clock; `cliper-sched state list`).
    # None for entries written before it existed, and for `import`ed ones.
    applied_at: datetime | None = None

    def signed_body(self, address: str) -> dict:
        """What the signature covers: everything but what the listing refreshes."""
        body = {"address": address, "post_id": self.post_id, "channel_id": self.channel_id,
                "provider": self.provider, "applied": self.applied.as_dict(),
                "caption_digest": self.caption_digest, "fingerprint": self.fingerprint}
        if self.applied_at is not None:  # absent from older entries: their signatures still verify
            body["applied_at"] = normalize.iso_z(self.applied_at)
        return body

    def as_dict(self) -> dict:
        data = {
            "post_id": self.post_id,
            "group": self.group,
            "channel_id": self.channel_id,
            "provider": self.provider,
            "applied": self.applied.as_dict(),
            "caption_digest": self.caption_digest,
            "state": self.state,
            "fingerprint": self.fingerprint,
        }
        if self.release_url:
            data["release_url"] = self.release_url
        if self.applied_at is not None:
            data["applied_at"] = normalize.iso_z(self.applied_at)
        return data

    @classmethod
    def from_live(cls, live: LivePost, applied: Record, *, caption_digest: str | None,
                  provider: str | None = None, fingerprint: str | None = None) -> Owned:
        """Ownership of `live`, with `applied` as what we last applied to it."""
        return cls(post_id=live.id, group=live.group, channel_id=live.channel_id,
                   provider=provider or live.provider, applied=applied, caption_digest=caption_digest,
                   state=live.state, release_url=live.release_url, fingerprint=fingerprint)

    @classmethod
    def from_dict(cls, data: dict) -> Owned:
        return cls(
            post_id=data["post_id"],
            group=data.get("group"),
            channel_id=data["channel_id"],
            provider=data.get("provider", ""),
            applied=Record.from_dict(data["applied"]),
            caption_digest=data.get("caption_digest"),
            state=data.get("state", "QUEUE"),
            release_url=data.get("release_url"),
            fingerprint=data.get("fingerprint"),
            applied_at=normalize.instant(data["applied_at"]) if data.get("applied_at") else None,
        )


@dataclass
class State:
    """The state of one plan. Only the orchestrator and the executor change it,
    through the methods below; every other step returns values."""

    path: Path
    plan_name: str
    plan_id: str = ""
    api_url: str | None = None  # informative: the server is recognised by what it holds
    posts: dict[str, Owned] = field(default_factory=dict)  # address -> Owned
    media: dict[str, dict] = field(default_factory=dict)  # sha256 -> {id, path}
    # Counted requests sent but not yet confirmed (crash safety), planner/reconcile/journal.py.
    journal: list[Intent] = field(default_factory=list)
    signer: Signer | None = None  # None: nothing is written (read-only use)
    # When the file was last written while requests were journaled: a crash happened after
    # it, so a request not found in Postiz may have been in flight since then (journal.py).
    saved_at: datetime | None = None
    notes: list[str] = field(default_factory=list)  # entries ignored on load, and why
    # (kind, key) -> (entry, plan id, its signed text in the file); see dumps().
    _texts: dict[tuple[str, object], tuple[object, str, str]] = field(default_factory=dict, init=False,
                                                                      repr=False, compare=False)

    # -- changes -------------------------------------------------------------------

    def own(self, address: str, owned: Owned) -> None:
        """Record `owned`; stamped with the time when what was applied is new (a refresh of
        the same record, e.g. the post got published, keeps the earlier time)."""
        if owned.applied_at is None:
            before = self.posts.get(address)
            same = (before is not None and before.post_id == owned.post_id and before.applied == owned.applied
                    and before.fingerprint == owned.fingerprint)
            # Whole milliseconds: what the file holds, so a reloaded entry compares equal.
            now = normalize.instant(normalize.iso_z(datetime.now(UTC)))
            owned = replace(owned, applied_at=before.applied_at if same and before else now)
        self.posts[address] = owned

    def forget(self, address: str) -> None:
        self.posts.pop(address, None)

    def rename(self, old: str, new: str, owned: Owned) -> None:
        """`state mv`: the same post under a new address (its times kept, re-signed on save)."""
        self.posts.pop(old, None)
        self.posts[new] = owned

    def record_media(self, sha256: str, media_id: str, path: str) -> None:
        self.media[sha256] = {"id": media_id, "path": path}

    def add_intents(self, intents: list[Intent]) -> None:
        self.journal.extend(intents)

    def drop_intent(self, intent: Intent) -> None:
        for i, item in enumerate(self.journal):
            if item is intent:
                del self.journal[i]
                return

    def replace_intent(self, old: Intent, new: Intent) -> None:
        for i, item in enumerate(self.journal):
            if item is old:
                self.journal[i] = new
                return
        self.journal.append(new)

    def replace_journal(self, intents: list[Intent]) -> None:
        self.journal = list(intents)

    def replace_posts(self, posts: dict[str, Owned]) -> None:
        self.posts = dict(posts)

    # -- file ----------------------------------------------------------------------

    def _signer(self) -> Signer:
        if self.signer is None:
            raise RuntimeError("a state without a signer is never written")
        return self.signer

    def _post(self, address: str, owned: Owned) -> dict:
        return {**owned.as_dict(), "mac": self._signer().sign("post", self.plan_id, owned.signed_body(address))}

    def _media(self, sha: str, entry: dict) -> dict:
        return {**entry, "mac": self._signer().sign("media", self.plan_id, {"sha256": sha, **entry})}

    def _intent(self, intent: Intent) -> dict:
        return {**intent.as_dict(), "mac": self._signer().sign("intent", self.plan_id, intent.as_dict())}

    def _scalars(self) -> dict:
        extra = {"saved_at": normalize.iso_z(self.saved_at)} if self.journal and self.saved_at else {}
        return {**extra, "version": VERSION, "plan": self.plan_name, "plan_id": self.plan_id,
                "api_url": self.api_url}

    def as_dict(self) -> dict:
        return {
            **self._scalars(),
            "posts": {a: self._post(a, o) for a, o in self.posts.items()},
            "media": {sha: self._media(sha, m) for sha, m in self.media.items()},
            "journal": [self._intent(i) for i in self.journal],
        }

    def dumps(self) -> str:
        """`json.dumps(self.as_dict(), sort_keys=True, indent=2, ensure_ascii=False)`, to the
        byte (tests/reconcile/test_logic.py holds the two equal), built so that an entry is
        signed and rendered once, not at every save: an apply saves after every request,
        and redoing every entry each time made a 180-post apply spend most of its CPU here."""
        self._signer()  # a state without a signer is never written, even an empty one
        before, self._texts = self._texts, {}  # what is gone from the state is dropped
        parts = {key: _json(value) for key, value in self._scalars().items()}
        parts["posts"] = _laid_out("{", [self._line(before, "post", a, o, partial(self._post, a, o))
                                         for a, o in sorted(self.posts.items())], "}")
        parts["media"] = _laid_out("{", [self._line(before, "media", sha, dict(m), partial(self._media, sha, m))
                                         for sha, m in sorted(self.media.items())], "}")
        parts["journal"] = _laid_out("[", [self._line(before, "intent", None, i, partial(self._intent, i))
                                           for i in self.journal], "]")
        return "{\n" + ",\n".join(f"  {_json(key)}: {parts[key]}" for key in sorted(parts)) + "\n}\n"

    def _line(self, before: dict, kind: str, key: str | None, entry: object, build: Callable[[], dict]) -> str:
        """One entry of posts, media (`key`: its key) or the journal (`key` None) as the
        file lays it out: the text of the last save (`before`) while the entry and the
        plan id are the same, else rendered and signed again. Posts and intents are frozen
        and compared by identity (equality would take a setting's 1 for True); a media
        entry is a dict of strings, compared by value."""
        slot = (kind, key if key is not None else id(entry))
        cached = before.get(slot)
        same = cached is not None and (cached[0] == entry if kind == "media" else cached[0] is entry)
        if cached is None or not same or cached[1] != self.plan_id:
            text = json.dumps(build(), sort_keys=True, indent=2, ensure_ascii=False).replace("\n", "\n    ")
            cached = (entry, self.plan_id, f"    {_json(key)}: {text}" if key is not None else f"    {text}")
        self._texts[slot] = cached
        return cached[2]

    def save(self) -> None:
        if self.journal:
            self.saved_at = datetime.now(UTC)  # wall-clock: a request's age, never the schedule
        text = self.dumps()
        try:
            if read_capped(self.path, STATE_MAX_BYTES, "the state file") == text.encode("utf-8"):
                return  # unchanged: a no-op apply leaves the file alone
        except (OSError, UserError):
            pass  # missing, or not a file to compare with: written below
        crashpoints.reached("before-state-write")
        try:
            atomic_write_text(self.path, text)
        except OSError as exc:
            # Like a crash before the write: the journal written before each request
            # lets the next run settle whatever this one did in Postiz.
            raise write_failed(str(self.path), "the state file", exc,
                               "it still holds its last complete version, and the next run reads "
                               "Postiz back first, so nothing is sent twice") from None
        crashpoints.reached("after-state-write")

    def check_writable(self) -> None:
        """Refuse before anything changes in Postiz when this file could not record it."""
        try:
            check_writable(self.path)
        except OSError as exc:
            raise write_failed(str(self.path), "the state file", exc, "nothing was changed in Postiz") from None


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _laid_out(opening: str, lines: list[str], closing: str) -> str:
    """A JSON object or array one level down from its member lines (each already
    indented two levels), as json.dumps(indent=2) lays it out. JSON strings hold no raw
    newline, so every newline in a rendered entry is the layout's."""
    return f"{opening}\n" + ",\n".join(lines) + f"\n  {closing}" if lines else opening + closing


def load(path: Path, plan_name: str, plan_id: str, signer: Signer) -> State:
    """Read the state cache of plan `plan_id`; a missing file is an empty state.

    Entries whose signature does not verify with this API key (a state file edited by
    hand or in a pull request, one from before signatures, or one made with another
    key) are left out with a note: they prove nothing."""
    path = Path(path)
    st = State(path=path, plan_name=plan_name, plan_id=plan_id, signer=signer)
    if not path.exists():
        return st
    try:
        # A regular file under the cap, or refused unread: a link to /dev/zero or a FIFO
        # from a pull request must not exhaust memory or hang the run.
        data = json.loads(read_capped(path, STATE_MAX_BYTES, "the state file").decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        # RecursionError: thousands of nested [ or {, deeper than Python's JSON parser goes.
        why = "it is nested too deeply to be a state file" if isinstance(exc, RecursionError) else exc
        raise UserError(
            f"cannot read the state file: {why}",
            file=str(path),
            hint="restore it from git, or delete it: it is only a cache, rebuilt from Postiz "
            "(`cliper-sched import PLAN` on a server that lists no settings)",
        ) from None
    errors = schema_errors(data, "state.schema.json")
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.path) or None
        raise UserError(
            f"the state file is not valid: {err.message}",
            file=str(path),
            path=where,
            hint="restore it from git, or delete it: it is only a cache, rebuilt from Postiz "
            "(`cliper-sched import PLAN` on a server that lists no settings)",
        )
    st.api_url = data.get("api_url")
    if data.get("version") != VERSION:
        st.notes.append(f"{path.name}: written by an older cliper-sched, without signatures: ignored "
                        "(ownership now comes from Postiz; on a server that lists no settings, "
                        "run `cliper-sched import PLAN --force` once)")
        return st
    if data.get("plan_id") != plan_id:
        st.notes.append(f"{path.name}: belongs to plan id {data.get('plan_id')!r}, not {plan_id!r}: ignored")
        return st
    if data.get("saved_at"):
        st.saved_at = normalize.instant(data["saved_at"])
    bad = 0
    for address, raw in data.get("posts", {}).items():
        owned = Owned.from_dict(raw)
        if signer.verify("post", plan_id, owned.signed_body(address), raw.get("mac")):
            st.posts[address] = owned
        else:
            bad += 1
    for sha, raw in data.get("media", {}).items():
        entry = {"id": raw.get("id"), "path": raw.get("path")}
        if signer.verify("media", plan_id, {"sha256": sha, **entry}, raw.get("mac")):
            st.media[sha] = entry
        else:
            bad += 1
    for raw in data.get("journal", []):
        intent = Intent.from_dict(raw)
        if signer.verify("intent", plan_id, intent.as_dict(), raw.get("mac")):
            st.journal.append(intent)
        else:
            bad += 1
    if bad:
        st.notes.append(f"{path.name}: {bad} entr{'y' if bad == 1 else 'ies'} not signed with this API key: "
                        "ignored (a state file edited by hand, or written with another key)")
    return st


def lock_path_for(plan_id: str) -> Path:
    """One lock per plan id, in the machine's temp folder rather than a cache folder:
    two checkouts of one plan (or two runs with different XDG_CACHE_HOME) share it."""
    key = hashlib.sha256(plan_id.encode("utf-8")).hexdigest()[:24]
    name = f"plan-{key}.lock"
    user = getattr(os, "getuid", lambda: 0)()
    for folder in (Path(tempfile.gettempdir()) / f"cliper-sched-{user}", budgetcache.cache_dir() / "locks"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue  # e.g. a read-only home: fall back to the temp folder
        if os.access(folder, os.W_OK):
            return folder / name
    raise UserError("cannot create a lock file for this plan",
                    hint="make the temp folder ($TMPDIR) or $XDG_CACHE_HOME writable, or set CLIPER_SCHED_CACHE_DIR")


class Lock:
    """Exclusive lock on one plan (by id). A second holder fails at once, or with
    `timeout` seconds (`--lock-timeout`) waits that long for the first to finish."""

    def __init__(self, state_path: Path, plan_id: str, *, timeout: float = 0.0):
        self.state_path = Path(state_path)
        self.path = lock_path_for(plan_id)
        self.timeout = max(0.0, timeout)
        # Imported here: filelock costs ~10 ms to import, and only commands that write lock.
        import filelock

        self._filelock = filelock
        self._lock = filelock.FileLock(str(self.path), timeout=0)
        self.waited = False  # another run held it first: what was read before may be stale

    def __enter__(self) -> Lock:
        try:
            self._lock.acquire(timeout=0)
        except self._filelock.Timeout:
            self._wait()
        # A run killed mid-write (kill -9, power loss) can leave the temp file of an
        # atomic write beside the plan; under the lock nobody else is writing it.
        remove_stale_temps(self.state_path)
        return self

    def _wait(self) -> None:
        self.waited = True
        where = f"the lock {self.path} is released as soon as that process ends"
        if self.timeout <= 0:
            raise UserError("another cliper-sched run is applying this plan right now",
                            file=str(self.state_path),
                            hint=f"wait for it to finish ({where}), or pass --lock-timeout 5m to wait for it")
        log.warning("another cliper-sched run is applying this plan: waiting up to %s for it to finish",
                    _seconds_text(self.timeout))
        started = time.monotonic()
        try:
            self._lock.acquire(timeout=self.timeout, poll_interval=0.1)
        except self._filelock.Timeout:
            waited = _seconds_text(time.monotonic() - started)
            raise UserError(f"another cliper-sched run is still applying this plan after waiting {waited} "
                            "(--lock-timeout)", file=str(self.state_path),
                            hint=f"{where}; give it longer with --lock-timeout, or find that run") from None
        log.info("lock acquired after %s", _seconds_text(time.monotonic() - started))

    def __exit__(self, *exc) -> None:
        self._lock.release()


def _seconds_text(seconds: float) -> str:
    """`45s`, `5m`, `1h30m`: how --lock-timeout is written."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n]
    return "".join(parts) or "0s"
