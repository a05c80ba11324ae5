"""diff, apply and destroy over one or many plans, as one run (octoDNS `Manager.sync`
over every zone): one refresh per server, one approval, one shared rate-limit budget.

    prepare every plan ─► lock them (sorted) ─► one listing of Postiz ─► review each
    (reconcile/manager.py: adopt ─► ChangeSet) ─► show ─► safety per plan ─► approve
    ─► one Executor for all: deletes, settings, then counted requests earliest first,
    posts of different plans at one instant in one request ─► each plan's state file

A plan that fails (bad file, lock held, refused by the safety checks) is reported
and left out; the others go on. With a single plan its error is raised as before.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from planner import clock
from planner.errors import CliperError, UserError
from planner.reconcile import refresh, safety
from planner.reconcile.changes import ChangeSet
from planner.reconcile.cost import counted_needed, eta_seconds
from planner.reconcile.executor import Executor, Part, Reporter, Result
from planner.reconcile.manager import Manager, Prepared, Review

log = logging.getLogger(__name__)


@dataclass
class PlanRun:
    """One plan of a run: its review, or why it has none; what applying it did."""

    path: Path
    manager: Manager
    prepared: Prepared | None = None
    review: Review | None = None
    error: CliperError | None = None
    result: Result | None = None

    @property
    def label(self) -> str:
        return str(self.path)


@dataclass
class RunReview:
    """What a run found, plan by plan, and what its changes cost together."""

    plans: list[PlanRun]
    counted: int = 0  # counted requests for every plan's changes, shared instants once
    counted_apart: int = 0  # what the plans would need applied one by one
    eta: float = 0.0
    settings_listed: bool | None = None
    notes: list[str] = field(default_factory=list)  # about the run, not one plan

    @property
    def reviews(self) -> list[Review]:
        return [p.review for p in self.plans if p.review is not None]

    @property
    def failed(self) -> list[PlanRun]:
        return [p for p in self.plans if p.error is not None]

    @property
    def has_changes(self) -> bool:
        return any(r.changes.has_changes for r in self.reviews)

    @property
    def has_drift(self) -> bool:
        return any(d.how != "published" for r in self.reviews for d in r.changes.drifts)

    @property
    def single(self) -> bool:
        return len(self.plans) == 1


def target_matcher(patterns: Iterable[str]) -> Callable[[str], bool] | None:
    """--target ADDRESS (repeatable): `clip-03@youtube-shorts`, globs (`clip-03@*`,
    `*@youtube-shorts`), or a bare key (`clip-03` = `clip-03@*`). None: no filter."""
    globs = [p if "@" in p else f"{p}@*" for p in patterns]
    if not globs:
        return None
    return lambda address: any(fnmatch.fnmatchcase(address, g) for g in globs)


class Runner:
    def __init__(self, client: Any, plan_paths: list[Path], *, workspace: str | None = None,
                 now: Callable[[], datetime] = clock.now, lock_timeout: float = 0.0,
                 targets: Iterable[str] = ()):
        self.client = client
        self.listing = refresh.Listing(client)
        self.targets = list(targets)
        wanted = target_matcher(self.targets)
        self.plans = [PlanRun(Path(p), Manager(client, p, workspace=workspace, now=now, lock_timeout=lock_timeout,
                                               listing=self.listing, wanted=wanted)) for p in plan_paths]

    # -- commands ------------------------------------------------------------------

    def diff(self, *, overwrite_drift: bool = False) -> RunReview:
        """Read only, so no lock: a diff during an apply shows the moment's truth."""
        self.prepare(preflight=True)
        return self.review(preflight=True, overwrite_drift=overwrite_drift)

    def apply(self, *, show: Callable[[RunReview], None], approve: Callable[[RunReview], None],
              reporter: Reporter, wait: bool, settle: Callable[[float], None],
              save_budget: Callable[[], None], overwrite_drift: bool = False, allow_past: bool = False,
              allow_mass_delete: bool = False,
              verify: Callable[[RunReview], None] | None = None) -> tuple[RunReview, Result]:
        """`verify` (a saved change set) refuses before anything is shown or changed."""
        self.prepare(preflight=True)
        with ExitStack() as locks:
            self._lock(locks, preflight=True)
            run = self.review(preflight=True, overwrite_drift=overwrite_drift, settle=settle)
            if verify is not None:
                verify(run)

            def check() -> None:
                for p in self._reviewed():
                    assert p.review is not None
                    self._guard(p, safety.check, p.review.changes, plan_file=str(p.path),
                                allow_mass_delete=allow_mass_delete, allow_past=allow_past, now=p.manager.now())

            if run.single:
                show(run)  # then the check: a refusal is read right under its changes
                check()
            else:
                check()  # first: what is shown and approved is what will run, refused plans apart
                self._cost(run)
                if verify is not None and run.failed:
                    raise UserError("refusing to apply the saved change set in part: "
                                    + "; ".join(f"{p.label}: {p.error}" for p in run.failed),
                                    hint="fix what is refused, run `diff --out` again and review the new file")
                show(run)
            return run, self._execute(run, approve=approve, reporter=reporter, wait=wait,
                                      save_budget=save_budget)

    def destroy(self, *, show: Callable[[RunReview], None], approve: Callable[[RunReview], None],
                reporter: Reporter) -> tuple[RunReview, Result]:
        """Delete every unpublished post the plans own; published ones stay (history)."""
        self.prepare()
        with ExitStack() as locks:
            self._lock(locks)
            run = self.review()
            for p in self._reviewed():
                assert p.review is not None
                p.review.changes = p.manager.destroy_changes(p.review)
            self._cost(run)
            show(run)
            return run, self._execute(run, approve=approve, reporter=reporter, wait=False,
                                      save_budget=lambda: None)

    # -- steps -----------------------------------------------------------------------

    def _guard(self, plan: PlanRun, step: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """Run one plan's step: (True, its value), or (False, None) when it failed, the
        failure recorded as that plan's, unless it is the only plan (then it is raised)."""
        try:
            return True, step(*args, **kwargs)
        except CliperError as exc:
            if len(self.plans) == 1:
                raise
            log.info("%s: %s", plan.label, exc)
            plan.error = exc
            plan.prepared = plan.review = None
            return False, None

    def _reviewed(self) -> list[PlanRun]:
        return [p for p in self.plans if p.error is None and p.review is not None]

    def prepare(self, *, preflight: bool = False) -> None:
        for p in self.plans:
            p.prepared = self._guard(p, p.manager.prepare, preflight=preflight)[1]
        ids: dict[str, PlanRun] = {}
        for p in self.plans:
            if p.prepared is None:
                continue
            other = ids.setdefault(p.prepared.plan_id, p)
            if other is not p:  # one id = one plan in Postiz's markers: they would claim each other's posts
                self._guard(p, _same_id, p, other)

    def _lock(self, locks: ExitStack, *, preflight: bool = False) -> None:
        """Every plan's lock, in one order for every run (no two runs wait on each other).
        A plan whose lock had to wait (--lock-timeout) is read again: the run that held
        it changed its state file and Postiz meanwhile."""
        ready = [(p.manager.lock(p.prepared), p) for p in self.plans if p.prepared is not None]
        for lock, p in sorted(ready, key=lambda lp: str(lp[0].path)):
            if self._guard(p, locks.enter_context, lock)[0] and lock.waited:
                self.listing.forget()
                p.prepared = self._guard(p, p.manager.prepare, preflight=preflight)[1]

    def review(self, *, preflight: bool = False, overwrite_drift: bool = False,
                settle: Callable[[float], None] | None = None) -> RunReview:
        live = [(p, p.prepared) for p in self.plans if p.prepared is not None]
        self.listing.prefetch([s for p, prepared in live if (s := p.manager.span(prepared)) is not None])
        for p, prepared in live:
            p.review = self._guard(p, p.manager.review, prepared, preflight=preflight,
                                   overwrite_drift=overwrite_drift, settle=settle)[1]
        run = RunReview(self.plans)
        self._check_targets(run)
        self._cost(run)
        return run

    def _check_targets(self, run: RunReview) -> None:
        """A --target that names no post of any plan is a typo, not an empty change set."""
        if not self.targets or not run.reviews:
            return
        addresses = {e.address for r in run.reviews for e in r.entries}
        for pattern in self.targets:
            matcher = target_matcher([pattern])
            assert matcher is not None
            if not any(matcher(a) for a in addresses):
                shown = ", ".join(sorted(addresses)[:5]) + (" …" if len(addresses) > 5 else "")
                raise UserError(f"--target {pattern!r} matches no post of the plan(s) given",
                                hint=f"addresses look like KEY@CHANNEL (e.g. {shown}); globs such as "
                                "'clip-03@*' or '*@youtube-shorts' are allowed")

    def _cost(self, run: RunReview) -> None:
        reviews = run.reviews
        listed = [r.settings_listed for r in reviews]
        run.settings_listed = False if False in listed else True if True in listed else None
        # Unknown (None) still tries PUT settings; only a listing without settings is v2.23.0.
        put = run.settings_listed is not False
        run.counted = counted_needed(ChangeSet.union([r.changes for r in reviews]), put_settings=put)
        for r in reviews:
            r.counted = counted_needed(r.changes, put_settings=put)
            r.eta = eta_seconds(r.counted, self.client.budget)
            log.info("%s: %d counted request(s)", r.plan.name, r.counted)
        run.counted_apart = sum(r.counted for r in reviews)
        run.eta = eta_seconds(run.counted, self.client.budget)

    def _execute(self, run: RunReview, *, approve: Callable[[RunReview], None], reporter: Reporter,
                 wait: bool, save_budget: Callable[[], None]) -> Result:
        go = self._reviewed()
        if any(p.review.changes.has_changes for p in go if p.review is not None):
            approve(run)  # refuses by raising (or exiting), as the command decides
        parts = []
        for p in go:
            review = p.review
            assert review is not None
            if review.changes.has_changes or review.changes.remarks:
                if not self._guard(p, p.manager.write_plan_id, p.prepared)[0]:
                    continue
                if p.manager.plan_id_added:
                    reporter.step(f"{p.path}: added `id: {p.manager.plan_id_added}` (the plan's identity in "
                                  "Postiz): commit it with the plan")
            parts.append(Part(review.changes, review.state))
        executor = Executor(self.client, parts, wait=wait, reporter=reporter,
                            settings_listed=run.settings_listed, save_budget=save_budget)
        result = executor.run()
        by_state = {id(part.state): part.result for part in parts}
        for p in go:
            if p.review is not None and p.error is None:
                p.result = by_state.get(id(p.review.state))
        return result


def _same_id(plan: PlanRun, other: PlanRun) -> None:
    assert plan.prepared is not None
    raise UserError(f"this plan has the same `id` ({plan.prepared.plan_id}) as {other.path}: Postiz could not "
                    "tell their posts apart", file=str(plan.path), path="id",
                    hint="a copied plan needs an id of its own: delete its `id:` line (apply writes a new one) "
                    "or give it another")
