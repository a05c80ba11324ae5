"""Which provider each channel of a new plan is, recorded as `channels.<ref>.provider`
so that `validate` checks caption lengths and required settings offline.

Sources, strongest first: `plan --provider NAME=PROVIDER` (the user's word), the
channels Postiz lists when asked (`plan --providers-from-postiz`: one uncounted
read; `plan` never goes to the network unasked), the rules file's
`channels.<ref>.provider`. diff and apply later refuse a plan whose recorded
provider is not the channel's in Postiz (`validate.provider_mismatches`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from planner.errors import UserError
from planner.providers import PROVIDERS
from planner.rules import Rules

_FLAG = re.compile(r"^\s*(?P<ref>[^=]+?)\s*=\s*(?P<provider>[a-z0-9][a-z0-9._-]*)\s*$")


def parse_flags(values: Iterable[str]) -> dict[str, str]:
    """--provider NAME=PROVIDER (repeatable) as {channel ref: provider identifier}."""
    out: dict[str, str] = {}
    for value in values:
        m = _FLAG.match(value)
        if m is None:
            raise UserError(f"--provider {value!r}: write CHANNEL=PROVIDER, e.g. x-main=x",
                            hint="PROVIDER is Postiz's identifier as `cliper-sched channels` shows it "
                                 "(youtube, tiktok, instagram, x, linkedin-page, ...)")
        ref, provider = m["ref"], m["provider"]
        if out.get(ref, provider) != provider:
            raise UserError(f"--provider gives {ref} two providers ({out[ref]} and {provider})",
                            hint="keep one --provider per channel")
        out[ref] = provider
    return out


def from_postiz(refs: Iterable[str], channels: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """Each ref's provider from Postiz's channels (id, name, provider): by id, else by name
    (exact, else the one whose name differs only in letter case). Refs not found are left out."""
    listed = list(channels)
    out: dict[str, str] = {}
    for ref in refs:
        found = [c for c in listed if c[0] == ref] or [c for c in listed if c[1] == ref] or \
            [c for c in listed if c[1].casefold() == ref.casefold()]
        if len({c[2] for c in found}) == 1:
            out[ref] = found[0][2]
    return out


def apply(rules: Rules, flags: dict[str, str], postiz: dict[str, str] | None,
          warn: Callable[[str], None]) -> Rules:
    """`rules` with each channel's provider from the flags, else Postiz, else as the file says.
    `postiz`: what Postiz listed (None: not asked)."""
    channels = rules.channels
    if not channels:
        return rules  # no channel at all: build_document says so
    unknown = [ref for ref in flags if ref not in channels]
    if unknown:
        raise UserError(f"--provider {unknown[0]}=…: {unknown[0]} is not a channel of this plan",
                        hint=f"its channels: {', '.join(channels)} (--channels or the rules file's `channels:`)")
    if postiz is not None:
        missing = [ref for ref in channels if ref not in postiz]
        if missing:
            warn(f"--providers-from-postiz: Postiz has no channel {', '.join(missing)} (by name or id): "
                 "no provider recorded for it; `cliper-sched channels` lists them")
    updated = {}
    for ref, rule in channels.items():
        live = (postiz or {}).get(ref)
        provider = flags.get(ref) or live or rule.provider
        if ref in flags and live and flags[ref] != live:
            raise UserError(f"--provider {ref}={flags[ref]}, but Postiz says {ref} is provider {live}",
                            hint=f"drop the --provider for {ref}, or point the plan at the right channel")
        if live and rule.provider and rule.provider != live and ref not in flags:
            warn(f"{rules.source or 'the rules file'}: channels.{ref}.provider says {rule.provider}, but in "
                 f"Postiz says {ref} is provider {live}: the plan records {live}")
        if provider and provider not in PROVIDERS and ref in flags:
            close = difflib.get_close_matches(provider, list(PROVIDERS), n=1)
            warn(f"--provider {ref}={provider}: cliper-sched does not know {provider}'s limits"
                 + (f" (did you mean {close[0]}?)" if close else "") + "; lengths and settings are not checked")
        updated[ref] = replace(rule, provider=provider) if provider != rule.provider else rule
    return replace(rules, channels=updated)
