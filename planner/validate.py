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
from datetime import datetime

from planner import trust
from planner.errors import Problem
from planner.fsutil import sha256_file
from planner.planfile import Plan, read_plan
from planner.providers import (
    PROVIDERS,
    caption_length,
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
        n = caption_length(provider, caption)
        if n > limit:
            how = "weighted as X counts it" if provider == "x" else "as Postiz counts it"
            out.append((f"the caption is {n} characters ({how}); {provider} allows {limit}",
                        "shorten it, or give that channel a shorter caption in the post's overrides"))
    return out


def validate_plan(path: str | os.PathLike, *, workspace=None, now: datetime) -> list[Problem]:
    plan, problems = read_plan(path, workspace=workspace)
    if plan is None:
        return problems
    return problems + check_plan(plan, now=now)


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
    problems.sort(key=lambda p: (p.line or 0, p.path or ""))
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
        if now is not None and target.at <= now:
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
