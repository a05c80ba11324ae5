"""`plan --update`: merge what CLIPER makes now into a reviewed plan, three ways.

The three sides of each post: its base (what `plan` wrote, recorded as digests
under `generated:`, planner.generated), the plan as it is now (the user's hand
edits, `pull`'s dashboard edits) and CLIPER's output now. Per field:

- caption, video (media path + sha256): CLIPER's change is taken unless the user
  edited the field too; then the user's is kept and it is a conflict (reported
  with both versions). The same change on both sides is no conflict.
- overrides rendered by templates (`caption_template`, `settings_templates`): when
  nobody edited them by hand, they are rendered again from the merged caption, so
  they follow a hand-edited caption; edited by hand, they are kept (and said).
- `at` and `channels` of a post already in the plan never change; new clips
  take the next free slots of the cadence after the last post.
- a clip CLIPER no longer has: its post is removed, unless the user edited it.
  A post the user deleted stays deleted; a post the user added stays.
- a post whose time has passed (offline, the best sign that it was published)
  is never changed nor removed.

A plan without a base (made before bases existed) merges two ways: every
difference from CLIPER counts as the user's edit and is kept. Either way the
new base is recorded, so the next update is a three-way merge.
Nothing here reads files or prints: the command does (planner.commands.plan_update).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from planner import generated as g
from planner.planfile import Plan, PlanPost

# (key, clip id, caption) -> the templated overrides of that post, per channel.
Render = Callable[[str, int | None, str], dict]
# (the plan's posts after removals, how many) -> that many new post times, in order.
Place = Callable[[list[PlanPost], int], list[datetime]]


@dataclass
class Note:
    """One thing the update did or refused, for the report."""

    key: str
    kind: str  # "added" | "updated" | "removed" | "conflict" | "kept"
    message: str
    path: str | None = None  # inside the post, e.g. "caption", for the file:line
    yours: str | None = None  # a conflict: both versions
    cliper: str | None = None


@dataclass
class Merge:
    edits: dict[str, dict] = field(default_factory=dict)  # key -> {"caption"|"media"|"overrides": new}
    removed: list[str] = field(default_factory=list)
    added: list[dict] = field(default_factory=list)  # plan document posts, `at` set
    base: dict[str, g.Entry] = field(default_factory=dict)  # the new `generated:`
    notes: list[Note] = field(default_factory=list)


def merge(plan: Plan, fresh: list[dict], *, render: Render, place: Place, now: datetime) -> Merge:
    """The merge of `fresh` (CLIPER's posts now, as `plan` would write them, in the
    rules' order) into `plan`."""
    out = Merge()
    new_by_key = {p["key"]: p for p in fresh}
    three_way = bool(plan.generated)
    past = _past_keys(plan, now)
    for post in plan.posts:
        base = plan.generated.get(post.key)
        new = new_by_key.get(post.key)
        if new is None:
            _dropped(out, post, base, past, three_way)
        elif post.key in past:
            if base is None or _cliper_changed(base, new):
                out.notes.append(Note(post.key, "kept", "its time has passed (published, presumably): "
                                      "CLIPER's changes to it are not applied"))
            out.base[post.key] = _advanced(base, new, post)
        else:
            _merge_post(out, post, base, new, render, three_way)
    kept = [p for p in plan.posts if p.key not in out.removed]
    present = {p.key for p in plan.posts}
    fresh_keys = [p["key"] for p in fresh if p["key"] not in present]
    deleted_by_hand = [k for k in fresh_keys if k in plan.generated]
    for key in deleted_by_hand:
        if _cliper_changed(plan.generated[key], new_by_key[key]):
            out.notes.append(Note(key, "kept", "you deleted this post and CLIPER changed its clip since: "
                                  "it stays deleted"))
        out.base[key] = _advanced(plan.generated[key], new_by_key[key], None)  # stays "deleted by hand"
    additions = [new_by_key[k] for k in fresh_keys if k not in plan.generated]
    for clip, at in zip(additions, place(kept, len(additions)) if additions else [], strict=True):
        added = {**clip, "at": at.isoformat()}
        out.added.append(added)
        out.base[clip["key"]] = g.entry_for(added, at)
        why = "" if three_way else " (the plan has no base to tell whether you deleted it)"
        out.notes.append(Note(clip["key"], "added", f"new clip {clip.get('clip')}: added at {added['at']}{why}"))
    # In the order they were (a small `git diff`), new ones after.
    order = list(plan.generated) + [p.key for p in kept] + [p["key"] for p in out.added]
    out.base = {k: out.base[k] for k in dict.fromkeys(order) if k in out.base}
    return out


def _past_keys(plan: Plan, now: datetime) -> set[str]:
    return {t.post.key for t in plan.targets() if t.at <= now}


def _cliper_changed(base, new: dict) -> bool:
    media = new.get("media") or {}
    return (base.get("caption") != g.caption_digest(new["caption"])
            or base.get("media") != g.media_digest(media.get("path"), media.get("sha256")))


def _current(post: PlanPost) -> dict:
    """The post's digests as it is now."""
    media = post.media
    return {"caption": g.caption_digest(post.caption),
            "media": g.media_digest(media.path if media else None, media.sha256 if media else None),
            "slot": g.slot_digest(post.at, post.channels),
            "overrides": g.overrides_digest(post.overrides)}


def _advanced(base, new: dict, post: PlanPost | None) -> g.Entry:
    """The base after this update: CLIPER's caption and video as seen now; the slot as planned."""
    media = new.get("media") or {}
    entry = g.Entry(caption=g.caption_digest(new["caption"]),
                    media=g.media_digest(media.get("path"), media.get("sha256")),
                    slot=base["slot"] if base else g.slot_digest(post.at, post.channels) if post else "")
    for name in ("overrides", "from"):
        if base and name in base:
            entry[name] = base[name]
    return entry


def _dropped(out: Merge, post: PlanPost, base, past: set[str], three_way: bool) -> None:
    """A post CLIPER has no clip for (any more)."""
    if base is None:
        if not three_way and post.clip is not None:
            out.notes.append(Note(post.key, "kept", f"CLIPER has no clip {post.clip}; kept (the plan has no "
                                  "base to tell whether you edited it)"))
        return  # added by hand, or already reported
    if post.key in past:
        out.notes.append(Note(post.key, "kept", f"CLIPER has no clip {post.clip} any more, but its time has "
                              "passed (published, presumably): kept"))
        return  # its base goes: said once
    current = _current(post)
    empty = g.overrides_digest({})
    edited = [name for name in ("caption", "media", "slot", "overrides")
              if current[name] != base.get(name, empty if name == "overrides" else None)]
    # `plan` never writes a status nor a per-channel time: either one is a hand edit the
    # digests do not cover.
    if post.status is not None or any(ov.status is not None for ov in post.overrides.values()):
        edited.append("status")
    if any(ov.at is not None for ov in post.overrides.values()):
        edited.append("overrides.at")
    if edited:
        out.notes.append(Note(post.key, "kept", f"CLIPER has no clip {post.clip} any more, but you edited "
                              f"this post ({', '.join(edited)}): kept; delete it by hand if it should go"))
        return
    out.removed.append(post.key)
    out.notes.append(Note(post.key, "removed", f"CLIPER has no clip {post.clip} any more: removed"))


def _merge_post(out: Merge, post: PlanPost, base, new: dict, render: Render, three_way: bool) -> None:
    current = _current(post)
    new_media = new.get("media") or {}
    theirs = {"caption": g.caption_digest(new["caption"]),
              "media": g.media_digest(new_media.get("path"), new_media.get("sha256"))}
    edits: dict = {}
    caption = post.caption
    for name in ("caption", "media"):
        mine, cliper = current[name], theirs[name]
        if mine == cliper:
            continue  # nothing to do, or both made the same change
        was = base.get(name) if base else None
        if base is not None and mine == was:  # only CLIPER changed it
            edits[name] = new["caption"] if name == "caption" else dict(new_media)
            out.notes.append(Note(post.key, "updated", f"{_what(name)} updated (CLIPER changed it)", path=name))
            if name == "caption":
                caption = new["caption"]
        elif base is not None and cliper == was:
            continue  # only the user changed it: theirs stands, nothing to say
        else:
            yours, cliper_text = (post.caption, new["caption"]) if name == "caption" else (
                _media_text(post), _media_text_of(new_media))
            why = ("you edited it and CLIPER changed it too" if base is not None else
                   "it differs from CLIPER's and the plan has no base to tell who changed it")
            out.notes.append(Note(post.key, "conflict" if base is not None else "kept", f"{_what(name)}: {why}: yours is kept",
                                  path=name, yours=yours, cliper=cliper_text))
    entry = _advanced(base, new, post)
    _follow_templates(out, post, base, entry, caption, render, edits)
    if edits:
        out.edits[post.key] = edits
    out.base[post.key] = entry


def _follow_templates(out: Merge, post: PlanPost, base, entry: g.Entry, caption: str, render: Render,
                      edits: dict) -> None:
    """Overrides that templates rendered follow the merged caption, unless edited by hand."""
    wanted = {ref: ov for ref, ov in render(post.key, post.clip, caption).items() if ref in post.channels}
    have = g.templated(post.overrides)
    if base is not None:
        edited = g.overrides_digest(post.overrides) != base.get("overrides", g.overrides_digest({}))
    else:  # no base: hand-edited unless they are what the templates make of the caption as it is
        edited = have != g.templated({ref: ov for ref, ov in render(post.key, post.clip, post.caption).items()
                                      if ref in post.channels})
    if edited:
        if wanted != have and base is not None and g.rendered_from(base) != g.caption_digest(caption):
            out.notes.append(Note(post.key, "kept", "its overrides were edited by hand: kept, not rendered "
                                  "again from the new caption", path="overrides"))
        return
    entry.pop("overrides", None)
    entry.pop("from", None)
    if wanted:
        entry["overrides"] = g.overrides_digest(wanted)
        if g.caption_digest(caption) != entry["caption"]:
            entry["from"] = g.caption_digest(caption)
    if g.templated(wanted) != have:
        edits["overrides"] = g.templated(wanted)
        out.notes.append(Note(post.key, "updated", "overrides rendered again from the caption", path="overrides"))


def _what(name: str) -> str:
    return "caption" if name == "caption" else "video (media)"


def _media_text(post: PlanPost) -> str:
    return f"{post.media.path} sha256 {post.media.sha256}" if post.media else "(no media)"


def _media_text_of(media: dict) -> str:
    return f"{media.get('path')} sha256 {media.get('sha256')}"
