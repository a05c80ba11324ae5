"""Options shared by diff, apply, destroy, import and pull: workspace and rate limit."""

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
