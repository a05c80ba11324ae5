"""Offline checks of plan files: everything that can be known without Postiz.

Errors fail `cliper-sched validate` (exit 1); warnings are shown but pass.
Each problem points at the file, the YAML line and the path inside it.
diff and apply run the per-post checks (`check_targets`) again on what they would
send, with the providers Postiz reports for the plan's channels.
"""

from __future__ import annotations

import difflib
import os
import shlex
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from planner import generated, trust
from planner.errors import Problem
from planner.fsutil import sha256_file
from planner.planfile import Plan, Target, read_plan
from planner.providers import (
    PROVIDERS,
    caption_length_over,
    effective_settings,
    max_length,
    media_problem,
    missing_settings,
)
from planner.templates import unrendered_placeholders


def caption_warnings(caption: str, provider: str | None) -> list[str]:
    """Problems of one caption on one provider (None = provider unknown), in words."""
    return [message for message, _hint in caption_problems(caption, provider)]


def caption_problems(caption: str, provider: str | None) -> list[tuple[str, str | None]]:
    """(message, hint) for each problem of one caption on one provider (None = unknown)."""
    out: list[tuple[str, str | None]] = []
    left = unrendered_placeholders(caption)
    if left:
        out.append((f"the caption holds template placeholder(s) {', '.join(left)}: Postiz would post them as "
                    "they are", "write the final text, or put the template in a rules file "
                    "(caption_template) and run `cliper-sched plan` again"))
    if "<" in caption or ">" in caption:
        out.append(("the caption contains '<' or '>': Postiz treats it as HTML and would strip or "
                    "escape part of it (write ‹ › or words instead)", None))
    limit = max_length(provider) if provider else None
    if provider and limit is not None:
        n = caption_length_over(provider, caption, limit)
        if n is not None:
            how = "weighted as X counts it" if provider == "x" else "as Postiz counts it"
            out.append((f"the caption is {n} characters ({how}); {provider} allows {limit}",
                        "shorten it, or give that channel a shorter caption in the post's overrides"))
    return out


def validate_plan(path: str | os.PathLike, *, workspace=None, now: datetime) -> list[Problem]:
    return validated(path, workspace=workspace, now=now)[1]


def validated(path: str | os.PathLike, *, workspace=None, now: datetime) -> tuple[Plan | None, list[Problem]]:
    """The plan at `path` (None if it does not load) and its problems: `validate` on one file."""
    plan, problems = read_plan(path, workspace=workspace)
    if plan is None:
        return None, problems
    return plan, problems + check_plan(plan, now=now)


def preflight(plan: Plan) -> list[Problem]:
    """What must hold before apply changes anything: posts to apply and every media
    file present, of a type Postiz takes, and exactly the file the plan's reviewers saw.
    A changed file is only a warning for `validate`; apply refuses it."""
    file = str(plan.path)
    problems: list[Problem] = []

    def add(path: str, message: str, hint: str | None = None, severity: str = "error") -> None:
        problems.append(Problem(message, file=file, path=path, line=plan.line_of(path), hint=hint))

    if not plan.posts:
        add("posts", "the plan has no posts: applied, it would delete every post it made before",
            hint="to remove them all on purpose use `cliper-sched destroy`")
    _check_media(plan, add)
    return problems


def check_plan(plan: Plan, *, now: datetime) -> list[Problem]:
    file = str(plan.path)
    problems: list[Problem] = []

    def add(path: str, message: str, hint: str | None = None, severity: str = "error") -> None:
        problems.append(Problem(message, file=file, path=path, line=plan.line_of(path), hint=hint, severity=severity))

    for ref, cfg in plan.channels.items():
        if cfg.provider and cfg.provider not in PROVIDERS:
            close = difflib.get_close_matches(cfg.provider, list(PROVIDERS), n=1)
            add(f"channels.{ref}.provider", f"unknown provider '{cfg.provider}'"
                + (f" (did you mean '{close[0]}'?)" if close else "") + ": lengths and settings are not checked",
                hint="known: " + ", ".join(sorted(PROVIDERS)), severity="warning")

    if not plan.posts:
        add("posts", "the plan has no posts: applied, it would delete every post it made before",
            hint="to remove them all on purpose use `cliper-sched destroy`")
    _check_media(plan, add)
    problems += check_targets(plan, {ref: cfg.provider for ref, cfg in plan.channels.items()}, now=now)
    problems += stale_overrides(plan)
    problems.sort(key=lambda p: (p.line or 0, p.path or ""))
    return problems


def stale_overrides(plan: Plan) -> list[Problem]:
    """Overrides templates rendered from a caption that was edited since (planner.generated):
    they still say what the earlier caption said, on their channels only."""
    problems = []
    for post in plan.posts:
        base = plan.generated.get(post.key) or {}
        if "overrides" not in base or generated.overrides_digest(post.overrides) != base["overrides"]:
            continue  # no templated overrides, or edited by hand: the user's word
        if generated.caption_digest(post.caption) == generated.rendered_from(base):
            continue
        where = f"posts[{post.index}].overrides"
        refs = ", ".join(generated.templated(post.overrides))
        problems.append(Problem(
            f"the caption was edited after these overrides ({refs}) were rendered from it by the rules' "
            "templates (caption_template, settings_templates): they still follow the earlier caption",
            file=str(plan.path), path=where, line=plan.line_of(where), severity="warning",
            hint=f"`cliper-sched plan --update {plan.path}` renders them from the new caption; or edit them by hand"))
    return problems


def provider_mismatches(plan: Plan, reported: Mapping[str, str | None]) -> list[Problem]:
    """Each `channels.<ref>.provider` that is not the provider Postiz reports for that channel
    (ref -> identifier): the name now points at another account (a channel swapped or renamed),
    and the plan was reviewed, lengths and settings checked, for the provider it records."""
    problems = []
    for ref, cfg in plan.channels.items():
        live = reported.get(ref)
        if cfg.provider and live and cfg.provider != live:
            where = f"channels.{ref}.provider"
            problems.append(Problem(
                f"the plan records {ref} as provider {cfg.provider}, but Postiz says {ref} is provider {live}",
                file=str(plan.path), path=where, line=plan.line_of(where),
                hint=f"if {ref} was replaced on purpose, set `provider: {live}` and run `cliper-sched validate` "
                     "(lengths and settings differ per provider); else point the plan at the right channel "
                     "(`cliper-sched channels` lists them)"))
    return problems


def check_targets(plan: Plan, providers: Mapping[str, str | None], *, now: datetime | None = None,
                  channel_ids: Mapping[str, str] | None = None,
                  only: Collection[str] | None = None) -> list[Problem]:
    """The per-post checks: past times, two posts in one minute on a channel, and per
    provider captions, media and settings. Used offline by `validate` (providers from the
    plan) and by diff and apply (providers Postiz reported for the resolved channels).

    `providers`: channel ref -> provider identifier; a ref missing or unknown skips the
    provider checks. `now`: None skips past times (apply's safety check owns them, with
    --allow-past). `channel_ids`: ref -> channel, so two refs naming one channel share its
    minutes. `only`: the addresses to report on (what apply would send); None = all.
    """
    file = str(plan.path)
    problems: list[Problem] = []

    def add(path: str, message: str, hint: str | None = None) -> None:
        problems.append(Problem(message, file=file, path=path, line=plan.line_of(path), hint=hint))

    seen_minute: dict[tuple[str, datetime], tuple[str, str]] = {}
    # The same problem on several channels of one post is one line naming them all.
    per_channel: dict[tuple[str, str, str | None], list[str]] = {}

    def on(ref: str, path: str, message: str, hint: str | None = None) -> None:
        per_channel.setdefault((path, message, hint), []).append(ref)
    # A setting missing for a whole channel is one problem, not one per post.
    missing: dict[tuple[str, str, str], list[str]] = {}
    for target in plan.targets():
        post, ref = target.post, target.channel_ref
        checked = only is None or target.address in only
        base = f"posts[{post.index}]"
        ov = post.overrides.get(ref)
        at_path = f"{base}.overrides.{ref}.at" if ov and ov.at else f"{base}.at"
        caption_path = f"{base}.overrides.{ref}.caption" if ov and ov.caption is not None else f"{base}.caption"
        minute = target.at.replace(second=0, microsecond=0)
        slot = ((channel_ids or {}).get(ref, ref), minute)
        if slot in seen_minute:
            first_key, first_address = seen_minute[slot]
            # Posts left alone still hold their minute: a new post there collides with them.
            if checked or (only is not None and first_address in only):
                on(ref, at_path, f"{first_key} is already at {minute.isoformat()}: two posts in the same minute",
                   hint="move one of them, or give the channel an offset")
        else:
            seen_minute[slot] = (post.key, target.address)
        if not checked:
            continue
        if now is not None and target.at <= now and plan.status_of(post, ref) != "draft":  # drafts never publish
            on(ref, at_path, f"{target.at.isoformat()} is in the past: Postiz would publish it immediately",
               hint="move it to a future time, or remove the post if it was already published")
        provider = providers.get(ref)
        provider = provider if provider in PROVIDERS else None
        for msg, hint in caption_problems(target.caption, provider):
            on(ref, caption_path, msg, hint)
        for name, value in target.settings.items():
            left = unrendered_placeholders(value) if isinstance(value, str) else []
            if left:
                on(ref, f"{base}.overrides.{ref}.settings.{name}" if ov and ov.settings else f"channels.{ref}.settings",
                   f"setting {name} holds template placeholder(s) {', '.join(left)}: Postiz would post them as they are",
                   hint="write the final text, or use settings_templates in a rules file and run plan again")
        if provider is None:
            continue
        if PROVIDERS[provider].needs_media and post.media is None:
            add(base, f"{provider} needs a video or image, and this post has no media (on {ref})",
                hint=f"add media to the post, or take {ref} out of its channels")
        settings = effective_settings(provider, target.caption, target.settings)  # channel < override already
        cfg = plan.channels.get(ref)
        for msg in missing_settings(provider, settings):
            where = f"{base}.overrides.{ref}.settings" if ov and ov.settings else (
                f"channels.{ref}.settings" if cfg and cfg.settings else f"channels.{ref}")
            missing.setdefault((where, msg, ref), []).append(post.key)
    for (path, message, hint), refs in per_channel.items():
        add(path, f"{message} (on {', '.join(refs)})", hint=hint)
    for (where, msg, ref), keys in missing.items():
        posts = f"post {keys[0]}" if len(keys) == 1 else f"{len(keys)} posts: {keys[0]} ... {keys[-1]}"
        add(where, f"{msg} ({posts} on {ref})",
            hint=f"set it under channels.{ref}.settings for every post, or in a post's overrides")
    problems.sort(key=lambda p: (p.line or 0, p.path or ""))
    return problems


def _workspace_refused(plan: Plan, add) -> bool:
    """Whether the workspace the plan names lies outside what a plan may reach
    (planner.trust): said once, at `source.workspace`; the media are then not looked at."""
    if plan.workspace_named_by == "user" or not any(p.media for p in plan.posts):
        return False
    declared = plan.source.get("workspace")
    out = trust.outside(plan.path, plan.base, declared)
    if out is None:
        return False
    where = shlex.quote(str(out.real))
    add("source.workspace" if declared else "posts", out.message(),
        hint=f"a plan may only name a workspace inside {out.boundary.short()}: a plan "
             f"from a pull request could otherwise upload any of your files. If {out.real} really is your "
             f"CLIPER workspace, say so outside the plan: --workspace {where} (or CLIPER_WORKSPACE) for "
             f"one run, or `cliper-sched trust {where}` once")
    return True


def _check_media(plan: Plan, add) -> None:
    if _workspace_refused(plan, add):
        return
    hashed: dict[str, str] = {}
    for post in plan.posts:
        if post.media is None:
            continue
        where = f"posts[{post.index}].media.path"
        path = plan.media_file(post)
        leads_to = trust.media_outside(plan.base, post.media.path)
        if leads_to is not None:  # before anything is read: a link to a private file
            add(where, f"{post.media.path} leads outside the workspace (to {leads_to})",
                hint="media must be a file inside the workspace; a link may point only inside it. "
                     "Copy the clip into the workspace and run `cliper-sched plan` again")
            continue
        if not path.is_file():
            add(where, f"media file not found: {path}",
                hint="the workspace is looked up with --workspace / CLIPER_WORKSPACE, then source.workspace "
                     "relative to the plan's folder, then relative to the current folder")
            continue
        refused = media_problem(path, path.stat().st_size)
        if refused:
            add(where, refused[0], hint=refused[1])
            continue
        key = str(path)
        digest = hashed.get(key) or hashed.setdefault(key, sha256_file(path))
        if digest != post.media.sha256:
            add(f"posts[{post.index}].media.sha256",
                f"{post.media.path} changed since the plan was made: apply refuses to publish a "
                "video nobody reviewed",
                hint="if the new file is intended, put its sha256 in the plan (or re-run plan) and "
                     "apply will upload it", severity="warning")


# --- across plans -----------------------------------------------------------------------


class _Slot(NamedTuple):
    """One post on one channel, as the cross-plan checks see it."""

    at: datetime  # UTC
    plan: Plan
    target: Target
    path: str  # where its time is written: posts[i].at or posts[i].overrides.<ref>.at

    @property
    def place(self) -> str:
        line = self.plan.line_of(self.path)
        return f"{self.plan.path}:{line}" if line else str(self.plan.path)

    def named(self) -> str:
        return f"{self.target.address} ({self.place})"


def check_across(plans: list[Plan]) -> list[Problem]:
    """What only shows with several plans side by side (`validate plans/*.yaml`): two posts
    of different plans on one channel in the same minute, a day over a plan's
    `cadence.max_per_day` counting every plan's posts on that channel (one plan alone
    too), and, as a warning, posts of two plans closer than either's `cadence.min_gap`.

    Channels meet by ref: a channel written as its name in one plan and as its
    integration id in another is not recognised as one channel offline."""
    by_channel: dict[str, list[_Slot]] = {}
    for plan in plans:
        for target in plan.targets():
            ov = target.post.overrides.get(target.channel_ref)
            path = (f"posts[{target.post.index}].overrides.{target.channel_ref}.at" if ov and ov.at
                    else f"posts[{target.post.index}].at")
            by_channel.setdefault(target.channel_ref, []).append(
                _Slot(target.at.astimezone(UTC), plan, target, path))
    order = {id(plan): i for i, plan in enumerate(plans)}
    problems: list[Problem] = []
    for ref, slots in by_channel.items():
        slots.sort(key=lambda s: s.at)
        problems += _same_minute_across(ref, slots) + _over_daily_caps(ref, slots, order) \
            + _too_close_across(ref, slots)
    return problems


def _problem(slot: _Slot, message: str, hint: str, severity: str = "error") -> Problem:
    return Problem(message, file=str(slot.plan.path), path=slot.path, line=slot.plan.line_of(slot.path),
                   hint=hint, severity=severity)


def _same_minute_across(ref: str, slots: list[_Slot]) -> list[Problem]:
    problems = []
    first_at: dict[datetime, dict[int, _Slot]] = {}  # minute -> plan -> its first post there
    for slot in slots:
        minute = _minute(slot.at)
        there = first_at.setdefault(minute, {})
        others = [s for p, s in there.items() if p != id(slot.plan)]
        if others:
            problems.append(_problem(
                slot, f"{others[0].named()} of another plan is at the same minute on {ref} "
                f"({minute.astimezone(slot.plan.timezone).isoformat()})",
                hint="move one of them; `cliper-sched plan -o` keeps a new plan clear of the plans in its folder"))
        there.setdefault(id(slot.plan), slot)
    return problems


def _over_daily_caps(ref: str, slots: list[_Slot], order: dict[int, int]) -> list[Problem]:
    """A day on `ref` over the cap of a plan posting that day, said once per set of posts:
    at the post of the plan given last (the one most likely just made or edited)."""
    over: dict[tuple, tuple[int, list[_Slot], list[Plan]]] = {}
    capped = {id(s.plan): s.plan for s in slots if s.plan.cadence.max_per_day}  # plans are not hashable
    for plan in capped.values():
        cap, tz = plan.cadence.max_per_day or 0, plan.timezone
        days: dict[object, list[_Slot]] = {}
        for slot in slots:
            days.setdefault(slot.at.astimezone(tz).date(), []).append(slot)
        for that_day in days.values():
            if len(that_day) <= cap or not any(s.plan is plan for s in that_day):
                continue
            key = tuple((id(s.plan), s.target.address) for s in that_day)
            known = over.get(key)
            if known is None or cap < known[0]:  # the strictest cap it breaks, and whose it is
                over[key] = (cap, that_day, [plan])
            elif cap == known[0]:
                known[2].append(plan)
    problems = []
    for cap, that_day, plans in over.values():
        tz = plans[0].timezone
        day = that_day[0].at.astimezone(tz).date()
        at = max(that_day, key=lambda s: (order[id(s.plan)], s.at))
        whose = " and ".join(str(p.path) for p in plans)
        problems.append(_problem(
            at, f"{len(that_day)} posts on {ref} on {day} ({tz.key}), over the cadence.max_per_day of "
            f"{cap} in {whose}: {', '.join(s.named() for s in that_day)}",
            hint="move posts to other days, or raise cadence.max_per_day in the plan that allows fewer"))
    return problems


def _too_close_across(ref: str, slots: list[_Slot]) -> list[Problem]:
    from planner import occupancy  # only runs of several plans get here

    problems = []
    reach = max((occupancy.plan_limits(s.plan).reach for s in slots), default=timedelta(0))
    for i, slot in enumerate(slots):
        mine = occupancy.plan_limits(slot.plan)
        for earlier in reversed(slots[:i]):
            if slot.at - earlier.at > reach:
                break
            theirs = occupancy.plan_limits(earlier.plan)
            if earlier.plan is slot.plan or _minute(earlier.at) == _minute(slot.at):
                continue  # one plan's own spacing is its business; the same minute is an error above
            if mine.too_close(earlier.at, slot.at) or theirs.too_close(earlier.at, slot.at):
                problems.append(_problem(
                    slot, f"{earlier.named()} of another plan is closer than cadence.min_gap on {ref}",
                    hint="move one of them, or lower cadence.min_gap", severity="warning"))
                break
    return problems


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)
