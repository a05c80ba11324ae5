"""Options shared by diff, apply, destroy, import, pull and state: workspace, rate limit, lock wait."""

from __future__ import annotations

import re

import click
from click.core import ParameterSource

from planner.commands.views import duration
from planner.postiz.budget import RateBudget
from planner.reconcile import budgetcache


def workspace_option(fn):
    return click.option("--workspace", type=click.Path(file_okay=False),
                        help="CLIPER workspace holding the media (default: the plan's source.workspace).")(fn)


_LOCK_PART = re.compile(r"(\d+(?:\.\d+)?)([smh])")
_LOCK_UNITS = {"s": 1, "m": 60, "h": 3600}


def parse_lock_timeout(text: str | None) -> float:
    """`30s`, `5m`, `1h`, `1h30m` (or plain seconds) -> seconds; empty is 0 (fail at once)."""
    raw = (text or "").strip().lower()
    if not raw:
        return 0.0
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return float(raw)
    if not re.fullmatch(r"(?:\d+(?:\.\d+)?[smh])+", raw):
        raise click.BadParameter(f"{text!r}: give how long to wait for another run, e.g. 30s, 5m or 1h "
                                 "(0, the default, fails at once)", param_hint="--lock-timeout")
    return sum(float(n) * _LOCK_UNITS[unit] for n, unit in _LOCK_PART.findall(raw))


def lock_timeout_option(fn):
    """`--lock-timeout 5m`: wait for another run holding the plan's lock; the command gets
    `lock_timeout` in seconds (Manager(..., lock_timeout=...))."""
    return click.option(
        "--lock-timeout", "lock_timeout", default="0", metavar="DURATION", envvar="CLIPER_SCHED_LOCK_TIMEOUT",
        callback=lambda ctx, param, value: parse_lock_timeout(value),
        help="If another cliper-sched run holds this plan's lock, wait up to this long for it "
        "(30s, 5m, 1h) instead of failing at once [default: 0; env CLIPER_SCHED_LOCK_TIMEOUT].")(fn)


def parse_rate(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(h|hr|hour|1h)\s*", text or "")
    if not m or int(m.group(1)) < 1:
        raise click.BadParameter(f"{text!r}: give create requests per hour, e.g. 30/h "
                                 "(the API_LIMIT of your Postiz; the shipped compose sets 30)",
                                 param_hint="--rate-limit")
    return int(m.group(1))


def rate_option(fn):
    return click.option("--rate-limit", "rate_limit", default="30/h", show_default=True, metavar="N/h",
                        help="Postiz API_LIMIT: counted (create/edit) requests allowed per hour.")(fn)


def setup_budget(client, rate: str) -> None:
    """Give the client a budget at the configured limit, primed with what earlier runs spent."""
    assumed = parse_rate(rate)
    budget = client.budget = RateBudget(assumed)
    budgetcache.restore(budget, client.api_url)
    if not budget.known and budget.limit != assumed:
        # The cache only holds an earlier run's assumption: this run's --rate-limit wins,
        # minus what was spent in the current window.
        spent = budget.limit - budget.remaining if budget.reset_at is not None else 0
        budget.limit, budget.remaining = assumed, max(0, assumed - spent)


def rate_info(client) -> dict:
    """The hourly limit the budget works with and where it comes from:
    `postiz` (X-RateLimit-Limit seen), `flag` (--rate-limit given) or `assumed` (the default)."""
    budget = client.budget
    if budget.known:
        source = "postiz"
    elif click.get_current_context().get_parameter_source("rate_limit") == ParameterSource.DEFAULT:
        source = "assumed"
    else:
        source = "flag"
    return {"per_hour": budget.limit, "source": source}


def eta_text(seconds: float, client) -> str:
    """`within the current budget at 30/h (...)`: the limit says where it comes from, so a
    user whose Postiz has another API_LIMIT sees that the figure is only assumed."""
    info = rate_info(client)
    limit = f"{info['per_hour']}/h, " + {
        "postiz": "as Postiz reported",
        "assumed": "assumed: set --rate-limit to your Postiz API_LIMIT",
        "flag": "from --rate-limit",
    }[info["source"]]
    if seconds <= 0:
        return f"within the current budget at {limit}"
    return f"about {duration(seconds)} of rate-limit waiting at {limit}"


def save_budget(client) -> None:
    budgetcache.save(client.budget, client.api_url)


def target_option(fn):
    """`--target ADDRESS` (repeatable, globs): diff, apply and destroy touch only those posts."""
    return click.option("--target", "targets", multiple=True, metavar="ADDRESS",
                        help="Only these posts: KEY@CHANNEL, a glob ('clip-03@*', '*@youtube-shorts') or a "
                        "bare key; repeatable. Like Terraform's -target.")(fn)
