"""A run over several plans, rendered: a section per plan (views.render), a summary
line per plan, totals, and the exit code the run ends with. With one plan the
output is exactly the single-plan view, so nothing changes for the common case."""

from __future__ import annotations

from typing import Any

import click

from planner.commands import views
from planner.errors import (
    EXIT_BUDGET,
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
)
from planner.reconcile.executor import Result
from planner.reconcile.runner import PlanRun, RunReview
from planner.term import paint, safe

# The worst wins when plans end differently: an error outranks a refused post,
# which outranks a stop on the rate limit, which outranks "changes pending".
SEVERITY = [EXIT_OK, EXIT_CHANGES, EXIT_BUDGET, EXIT_PARTIAL, EXIT_ERROR, EXIT_INTERRUPTED]


def worst(codes: list[int]) -> int:
    return max(codes, key=SEVERITY.index, default=EXIT_OK)


def error_text(plan: PlanRun) -> str:
    return plan.error.render() if plan.error is not None else ""


def plan_line(plan: PlanRun, *, destroy: bool = False) -> str:
    """`plans/ep12.yaml: 3 to add, 1 to change, 0 to destroy; 1 dashboard edit kept`."""
    if plan.error is not None or plan.review is None:
        return f"{safe(plan.label)}: error (above); nothing done for this plan"
    changes = plan.review.changes
    c = changes.counts()
    text = (f"{safe(plan.label)}: {c['destroy']} to destroy" if destroy
            else f"{safe(plan.label)}: {c['add']} to add, {c['change']} to change, {c['destroy']} to destroy")
    drift = sum(1 for d in changes.drifts if d.how != "published")
    if drift:
        text += f"; {drift} dashboard edit{'s' if drift != 1 else ''} (drift)"
    blocked = sum(1 for n in changes.notes if n.kind == "unproven")
    if blocked:
        text += f"; {blocked} not created (unproven post at the slot)"
    return text


def render_text(run: RunReview, *, eta: str, full: bool = False, destroy: bool = False) -> str:
    if run.single and run.reviews:
        r = run.reviews[0]
        return views.render(r.changes, tz=r.tz, counted=None if destroy else r.counted,
                            eta=None if destroy else eta, full=full)
    blocks: list[str] = []
    for p in run.plans:
        blocks.append(paint(f"── {safe(p.label)} ──", bold=True))
        if p.review is not None:
            for note in p.review.notes:
                blocks.append(safe(note))
            blocks.append(views.render(p.review.changes, tz=p.review.tz, full=full))
        else:
            blocks.append(paint("Error: ", "red", True) + error_text(p))
        blocks.append("")
    blocks.append(paint(f"Summary ({len(run.plans)} plans):", bold=True))
    blocks.extend(f"  {plan_line(p, destroy=destroy)}" for p in run.plans)
    if not destroy:
        total = {"add": 0, "change": 0, "destroy": 0}
        for r in run.reviews:
            for k, v in r.changes.counts().items():
                total[k] += v
        blocks.append(paint(f"Plan: {total['add']} to add, {total['change']} to change, {total['destroy']} to "
                            f"destroy across {len(run.reviews)} plan(s).", bold=True))
        if run.counted:
            shared = (f"; {run.counted_apart} if applied one plan at a time" if run.counted_apart != run.counted
                      else "")
            blocks.append(f"Counted Postiz requests needed: {run.counted} (one per distinct instant{shared}) "
                          f"({eta}).")
    if run.failed:
        blocks.append(paint(f"{len(run.failed)} plan(s) could not be reviewed (errors above).", "red", True))
    return "\n".join(blocks)


def data(run: RunReview, *, rate_limit: dict | None) -> dict:
    """--format json. One plan: today's shape (views.data). Several: a list of those,
    each with its file (and `error` when it failed), and the totals of the run."""
    if run.single and run.reviews:
        r = run.reviews[0]
        return views.data(r.changes, counted=r.counted, eta_seconds=r.eta, rate_limit=rate_limit,
                          settings_listed=r.settings_listed)
    plans: list[dict[str, Any]] = []
    total = {"add": 0, "change": 0, "destroy": 0, "drift": 0}
    for p in run.plans:
        if p.review is None:
            plans.append({"file": p.label, "error": error_text(p)})
            continue
        one = views.data(p.review.changes, counted=p.review.counted, eta_seconds=p.review.eta,
                         rate_limit=rate_limit, settings_listed=p.review.settings_listed)
        plans.append({"file": p.label, "error": None, **one})
        for k in total:
            total[k] += one["summary"][k]
    return {"format_version": 1, "plans": plans,
            "summary": {**total, "plans": len(run.plans), "failed": len(run.failed),
                        "counted_requests": run.counted, "counted_requests_apart": run.counted_apart,
                        "eta_seconds": run.eta, "has_changes": run.has_changes, "has_drift": run.has_drift},
            "rate_limit": rate_limit, "server": {"settings_listed": run.settings_listed}}


def review_exit(run: RunReview, *, detailed: bool) -> int:
    """diff: 1 if a plan failed; with --detailed-exitcode 2 for changes or drift."""
    if run.failed:
        return EXIT_ERROR
    if detailed and (run.has_changes or run.has_drift):
        return EXIT_CHANGES
    return EXIT_OK


def detailed_reason(run: RunReview) -> str | None:
    """Why --detailed-exitcode says 2, for the summary a CI log shows."""
    why = [w for w, yes in (("changes", run.has_changes), ("drift (dashboard edits)", run.has_drift)) if yes]
    return " and ".join(why) or None


def applied_lines(run: RunReview, result: Result) -> None:
    """After an apply of several plans: a line per plan, and the counted requests used
    next to the minimum these changes need (one per distinct instant)."""
    if not run.single:
        click.echo("")
        for p in run.plans:
            if p.result is None:
                click.echo(f"  {safe(p.label)}: " + ("error, nothing done" if p.error else "no changes"))
                continue
            r = p.result
            extra = f", {len(r.failures)} refused" if r.failures else ""
            extra += f", {len(r.remaining)} remaining" if r.remaining else ""
            click.echo(f"  {safe(p.label)}: {r.added} added, {r.changed} changed, {r.destroyed} destroyed{extra}")
    if result.counted_used or run.counted:
        click.echo(f"Counted Postiz requests: {result.counted_used} sent; the minimum for these changes is "
                   f"{run.counted} (one per distinct instant).")
