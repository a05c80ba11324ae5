"""Saved change sets: what was reviewed is what gets applied (Terraform's saved plan).

`diff PLAN… --out changes.json` writes the change set with a digest of each plan
file, of the live posts it was computed from (per address) and of the changes
themselves. `apply changes.json` recomputes the run from the same plans and
options and refuses, before anything is shown or changed, if a plan file, a live
post or the resulting changes differ from what was saved, naming what moved.
The file holds no secret: no API key, no server URL (which may carry credentials).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planner import __version__
from planner.errors import Problem, UserError
from planner.fsutil import read_capped, sha256_file
from planner.reconcile.adopt import Entry
from planner.reconcile.changes import ChangeSet, Create, Update

KIND = "cliper-sched/changes"
VERSION = 1
MAX_BYTES = 64 << 20


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def live_digests(entries: list[Entry]) -> dict[str, str]:
    """address -> digest of the live post(s) the change set depends on: the post the
    plan owns there (id, time, content, settings, state, group, channel) and any
    unproven post sitting at its slot; `absent` when there is none."""
    out: dict[str, str] = {}
    for e in entries:
        seen = [lv for lv in (e.live, e.unproven) if lv is not None] + list(e.duplicates)
        if not seen:
            out[e.address] = "absent"
            continue
        out[e.address] = _digest([{"id": lv.id, "at": lv.at, "content": lv.content, "settings": lv.settings,
                                   "state": lv.state, "group": lv.group, "channel": lv.channel_id}
                                  for lv in seen])
    return out


def changes_digest(changes: ChangeSet) -> str:
    """The changes as their data shows them, and the channel each is sent to (by id: a
    channel reconnected under the same name, or another server, is not what was reviewed)."""
    sent = [c for c in changes.changes if isinstance(c, Create | Update)]
    return _digest({"changes": [c.data() for c in changes.changes], "drift": [d.data() for d in changes.drifts],
                    "markers": sorted(r.address for r in changes.remarks),
                    "channels": sorted((c.address, c.desired.channel.id) for c in sent)})


@dataclass
class SavedPlan:
    file: str
    sha256: str
    live: dict[str, str]
    changes: str


@dataclass
class SavedSet:
    path: Path
    plans: list[SavedPlan]
    targets: list[str]
    overwrite_drift: bool
    workspace: str | None


def build(run: Any, *, targets: list[str], overwrite_drift: bool, workspace: str | None,
          changes_data: list[dict]) -> dict:
    """The file's content for a RunReview whose every plan was reviewed.
    `changes_data`: each plan's changes as `--format json` shows them, for a reader."""
    plans = []
    for p, data in zip(run.plans, changes_data, strict=True):
        r = p.review
        plans.append({"file": str(p.path), "sha256": sha256_file(p.path), "plan_id": r.state.plan_id,
                      "live": live_digests(r.entries), "changes_digest": changes_digest(r.changes),
                      "summary": r.changes.counts(), "changes": data})
    return {"kind": KIND, "version": VERSION, "created_by": f"cliper-sched {__version__}",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "options": {"targets": targets, "overwrite_drift": overwrite_drift, "workspace": workspace},
            "counted_requests": run.counted, "plans": plans}


def looks_saved(path: str) -> bool:
    """True for a file written by `diff --out` (JSON with our `kind`), not a plan."""
    p = Path(path)
    if not p.is_file():
        return False
    try:
        with p.open("rb") as fh:
            head = fh.read(200).lstrip()
    except OSError:
        return False
    return head.startswith(b"{") and KIND.encode() in head


def load(path: str) -> SavedSet:
    raw = read_capped(path, MAX_BYTES, "saved change set")
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise UserError(f"not a readable change set: {exc}", file=path,
                        hint="write one with `cliper-sched diff PLAN… --out FILE`") from None
    problems = []
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        problems.append(Problem(f"not a change set written by `diff --out` (kind is not {KIND!r})", file=path))
    elif doc.get("version") != VERSION:
        problems.append(Problem(f"change set format version {doc.get('version')!r}; this cliper-sched reads "
                                f"version {VERSION}", file=path, path="version",
                                hint="run `diff --out` again with this version of cliper-sched"))
    if problems:
        raise UserError(problems=problems)
    try:
        opts = doc["options"]
        plans = [SavedPlan(str(p["file"]), str(p["sha256"]), {str(k): str(v) for k, v in p["live"].items()},
                           str(p["changes_digest"])) for p in doc["plans"]]
        targets = [str(t) for t in opts.get("targets") or []]
        workspace = opts.get("workspace")
        saved = SavedSet(Path(path), plans, targets, bool(opts.get("overwrite_drift")),
                         str(workspace) if workspace is not None else None)
    except (KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"this change set is incomplete or damaged ({exc})", file=path,
                        hint="write it again with `cliper-sched diff PLAN… --out FILE`") from None
    if not saved.plans:
        raise UserError("this change set names no plan", file=path)
    return saved


def verify(saved: SavedSet, run: Any) -> None:
    """Refuse (exit 1) unless the plans, the live posts and the changes are as saved."""
    problems: list[Problem] = []
    again = f"run `cliper-sched diff {' '.join(p.file for p in saved.plans)} --out {saved.path}` again, " \
            "review it, and apply the new file"
    for sp, p in zip(saved.plans, run.plans, strict=True):
        if p.error is not None or p.review is None:
            problems.append(Problem(f"{sp.file}: cannot be reviewed now ({p.error})", file=str(saved.path)))
            continue
        if sha256_file(p.path) != sp.sha256:
            problems.append(Problem("the plan file changed since the change set was saved", file=sp.file,
                                    hint=again))
            continue
        now = live_digests(p.review.entries)
        moved = sorted(a for a in set(now) | set(sp.live) if now.get(a, "absent") != sp.live.get(a, "absent"))
        if moved:
            shown = ", ".join(moved[:10]) + (f" and {len(moved) - 10} more" if len(moved) > 10 else "")
            problems.append(Problem(f"{len(moved)} post(s) changed in Postiz since the change set was saved: {shown}",
                                    file=sp.file, hint=again))
            continue
        if changes_digest(p.review.changes) != sp.changes:
            problems.append(Problem("the changes are no longer the reviewed ones (a post may have been "
                                    "published or become past since)", file=sp.file, hint=again))
    if problems:
        problems.insert(0, Problem("refusing to apply: the saved change set is out of date; nothing was changed",
                                   file=str(saved.path)))
        raise UserError(problems=problems)
