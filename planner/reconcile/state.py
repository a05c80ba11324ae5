"""The state file beside a plan: which Postiz posts the plan owns.

`plans/ep12.yaml` -> `plans/ep12.state.json`. It holds no secret, is written
atomically (planner.fsutil) after every successful change, is sorted and
indented so teams can commit and review it, and is guarded by a lock so two
applies of one plan cannot interleave. The lock file lives in the cache folder
(keyed by the state file's real path), not beside the plan: on Unix a lock file
cannot be removed safely after use, and one left in `plans/` would litter the
user's git working tree.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import filelock

from planner.errors import UserError, write_failed
from planner.fsutil import (
    STATE_MAX_BYTES,
    atomic_write_text,
    check_writable,
    read_capped,
    remove_stale_temps,
)
from planner.postiz.models import LivePost
from planner.reconcile import budgetcache, crashpoints
from planner.reconcile.journal import Intent
from planner.reconcile.records import Record
from planner.schema import schema_errors

VERSION = 1


def state_path_for(plan_path: str | os.PathLike) -> Path:
    plan_path = Path(plan_path)
    stem = plan_path.name
    for suffix in (".yaml", ".yml"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return plan_path.with_name(f"{stem}.state.json")


@dataclass
class Owned:
    """One post the plan owns: where it lives in Postiz and what we last applied."""

    post_id: str
    channel_id: str
    provider: str
    applied: Record
    group: str | None = None
    caption_digest: str | None = None  # digest of the caption we sent (before sanitising)
    state: str = "QUEUE"  # last seen Postiz state
    release_url: str | None = None

    def as_dict(self) -> dict:
        data = {
            "post_id": self.post_id,
            "group": self.group,
            "channel_id": self.channel_id,
            "provider": self.provider,
            "applied": self.applied.as_dict(),
            "caption_digest": self.caption_digest,
            "state": self.state,
        }
        if self.release_url:
            data["release_url"] = self.release_url
        return data

    @classmethod
    def from_live(cls, live: LivePost, applied: Record, *, caption_digest: str | None,
                  provider: str | None = None) -> Owned:
        """Ownership of `live`, with `applied` as what we last applied to it."""
        return cls(post_id=live.id, group=live.group, channel_id=live.channel_id,
                   provider=provider or live.provider, applied=applied, caption_digest=caption_digest,
                   state=live.state, release_url=live.release_url)

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
        )


@dataclass
class State:
    """The state of one plan. Only the orchestrator and the executor change it,
    through the methods below; every other step returns values."""

    path: Path
    plan_name: str
    api_url: str | None = None
    posts: dict[str, Owned] = field(default_factory=dict)  # address -> Owned
    media: dict[str, dict] = field(default_factory=dict)  # sha256 -> {id, path}
    # Counted requests sent but not yet confirmed (crash safety), planner/reconcile/journal.py.
    journal: list[Intent] = field(default_factory=list)

    # -- changes -------------------------------------------------------------------

    def own(self, address: str, owned: Owned) -> None:
        self.posts[address] = owned

    def forget(self, address: str) -> None:
        self.posts.pop(address, None)

    def record_media(self, sha256: str, media_id: str, path: str) -> None:
        self.media[sha256] = {"id": media_id, "path": path}

    def add_intents(self, intents: list[Intent]) -> None:
        self.journal.extend(intents)

    def drop_intent(self, intent: Intent) -> None:
        for i, item in enumerate(self.journal):
            if item is intent:
                del self.journal[i]
                return

    def replace_journal(self, intents: list[Intent]) -> None:
        self.journal = list(intents)

    def replace_posts(self, posts: dict[str, Owned]) -> None:
        self.posts = dict(posts)

    # -- file ----------------------------------------------------------------------

    def as_dict(self) -> dict:
        return {
            "version": VERSION,
            "plan": self.plan_name,
            "api_url": self.api_url,
            "posts": {a: o.as_dict() for a, o in self.posts.items()},
            "media": self.media,
            "journal": [intent.as_dict() for intent in self.journal],
        }

    def dumps(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    def save(self) -> None:
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


def load(path: Path, plan_name: str, *, api_url: str | None = None) -> State:
    """Read the state of plan `plan_name`; a missing file is an empty state."""
    path = Path(path)
    if not path.exists():
        return State(path=path, plan_name=plan_name, api_url=api_url)
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
            hint="restore it from git, or delete it and run `cliper-sched import PLAN` to rebuild it",
        ) from None
    errors = schema_errors(data, "state.schema.json")
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.path) or None
        raise UserError(
            f"the state file is not valid: {err.message}",
            file=str(path),
            path=where,
            hint="restore it from git, or delete it and run `cliper-sched import PLAN` to rebuild it",
        )
    if data["plan"] != plan_name:
        raise UserError(
            f"this state file belongs to plan {data['plan']!r}, not {plan_name!r}",
            file=str(path),
            path="plan",
            hint="a state file sits beside its own plan; rename the plan's `name:` back, "
            "or move this state file away and run `cliper-sched import PLAN`",
        )
    if api_url and data.get("api_url") and data["api_url"].rstrip("/") != api_url.rstrip("/"):
        raise UserError(
            f"this state file records posts on {data['api_url']}, but POSTIZ_API_URL is {api_url}",
            file=str(path),
            path="api_url",
            hint="point --api-url at the server the plan was applied to, or move the state "
            "file away and run `cliper-sched import PLAN` against the new server",
        )
    return State(
        path=path,
        plan_name=plan_name,
        api_url=data.get("api_url") or api_url,
        posts={a: Owned.from_dict(o) for a, o in data.get("posts", {}).items()},
        media=dict(data.get("media", {})),
        journal=[Intent.from_dict(intent) for intent in data.get("journal", [])],
    )


def lock_path_for(state_path: Path) -> Path:
    """One lock file per state file, outside the plan's folder (see the module doc)."""
    key = hashlib.sha256(str(Path(state_path).resolve()).encode("utf-8")).hexdigest()[:24]
    name = f"{Path(state_path).name}-{key}.lock"
    user = getattr(os, "getuid", lambda: 0)()
    for folder in (budgetcache.cache_dir() / "locks", Path(tempfile.gettempdir()) / f"cliper-sched-{user}"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue  # e.g. a read-only home: fall back to the temp folder
        if os.access(folder, os.W_OK):
            return folder / name
    raise UserError("cannot create a lock file for this plan's state", file=str(state_path),
                    hint="make $XDG_CACHE_HOME (or ~/.cache) writable, or set CLIPER_SCHED_CACHE_DIR")


class Lock:
    """Exclusive lock on one plan's state; a second holder fails fast."""

    def __init__(self, state_path: Path):
        self.state_path = Path(state_path)
        self.path = lock_path_for(self.state_path)
        self._lock = filelock.FileLock(str(self.path), timeout=0)

    def __enter__(self) -> Lock:
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise UserError(
                "another cliper-sched run is using this plan's state right now",
                file=str(self.state_path),
                hint=f"wait for it to finish (the lock {self.path} is released as soon as that process ends)",
            ) from None
        # A run killed mid-write (kill -9, power loss) can leave the temp file of an
        # atomic write beside the plan; under the lock nobody else is writing it.
        remove_stale_temps(self.state_path)
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()
