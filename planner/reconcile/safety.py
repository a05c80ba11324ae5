"""Safety checks on a plan object, before anything is sent (octoDNS `raise_if_unsafe`)."""

from __future__ import annotations

from datetime import datetime

from planner.errors import Problem, UserError
from planner.reconcile.changes import ChangeSet, Create, Update

# octoDNS-style: refuse to delete more than this share of what the plan owns...
MASS_DELETE_SHARE = 0.30
# ...unless the numbers are too small for a share to mean anything.
MASS_DELETE_MIN = 5


def check(plan: ChangeSet, *, plan_file: str | None, now: datetime, allow_mass_delete: bool = False,
          allow_past: bool = False) -> None:
    problems: list[Problem] = []
    # Extra copies of one post (two applies raced) are not posts the plan loses.
    deletes = sum(1 for d in plan.deletes if not d.duplicate_of)
    if (not allow_mass_delete and deletes >= MASS_DELETE_MIN and plan.owned_count
            and deletes / plan.owned_count > MASS_DELETE_SHARE):
        problems.append(Problem(
            f"this would delete {deletes} of the {plan.owned_count} posts the plan owns "
            f"({deletes / plan.owned_count:.0%}, more than {MASS_DELETE_SHARE:.0%})",
            file=plan_file,
            hint="check that the plan file is the one you meant; if the deletions are intended, "
            "re-run with --allow-mass-delete"))
    # Any edit through POST /posts re-queues the post: at a past time, it publishes at once.
    # A draft never publishes, whatever its time (docs/postiz-api.md §9.5, §16): a post the
    # plan creates as a draft, or keeps one, is sent as one. A queued post made a draft is
    # not exempt: past its time, Postiz may be publishing it right now.
    sent: list[Create | Update] = [*plan.creates, *plan.updates]
    past = [change for change in sent
            if change.desired.record.at <= now and not _stays_unpublished(change)]
    if past and not allow_past:
        for change in past:
            d = change.desired
            when = d.record.at.isoformat()
            if d.record.status == "draft":  # a queued post the plan makes a draft
                text = f"{change.address}: its time ({when}) has passed and Postiz may be publishing it right now"
                hint = "re-run with --allow-past to make it a draft anyway"
            else:
                text = f"{change.address}: time {when} is in the past; Postiz would publish it at once"
                hint = "move it to a future time, or re-run with --allow-past to publish it now"
            problems.append(Problem(text, file=plan_file, line=d.line,
                                    path=f"posts[{d.index}].at" if d.index is not None else None, hint=hint))
    if problems:
        raise UserError(problems=problems)


def _stays_unpublished(change: Create | Update) -> bool:
    """Whether sending this change can publish nothing, whatever the time: a settings-only
    PUT, a new draft, or an edit of a post that is a draft and stays one."""
    if change.desired.record.status != "draft":
        return isinstance(change, Update) and change.settings_only
    return isinstance(change, Create) or change.live.state == "DRAFT"
