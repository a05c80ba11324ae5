"""What the fault matrix needs: a sandbox, a 60-clip plan, fast real CLI processes,
and one check of "Postiz holds exactly the plan's posts".

The check reads Postiz through the sandbox's raw rows (`GET /_sandbox/posts`),
never through our own client, and the plan through the plan file, so a bug in
the reconciler cannot hide itself.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import yaml
from reliability.figures import record

from planner.planfile import load_plan
from planner.postiz.models import MARKER_KEY
from planner.reconcile.normalize import content, instant
from planner.sandbox.controls import Controls
from support.cli import argv as cliper_sched

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
STATE_SCHEMA = json.loads((REPO / "planner" / "schemas" / "state.schema.json").read_text("utf-8"))
STATE_VALIDATOR = jsonschema.Draft202012Validator(STATE_SCHEMA)  # built once: checked after every kill
CHANNELS = ("tiktok-main", "youtube-shorts", "x-main")
NOW = "2026-11-26T00:00:00Z"
UNLIMITED = "100000/h"


@dataclass
class Run:
    rc: int | None
    signal: int | None
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        return self.signal == 9

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


class ForkRunner:
    """Talks to tests/reliability/forkserver.py: one real, killable process per CLI run."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        # The installed package's interpreter (beside the `cliper-sched` on PATH),
        # so the forked runs execute what `pip install .` put there.
        python = Path(cliper_sched()[0]).with_name("python")
        self.proc = subprocess.Popen([str(python), str(HERE / "forkserver.py")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=str(REPO))
        assert json.loads(self.proc.stdout.readline()) == {"ready": True}
        self.count = 0

    def run(self, argv: list[str], env: dict[str, str]) -> Run:
        self.count += 1
        out, err = self.workdir / f"run{self.count}.out", self.workdir / f"run{self.count}.err"
        self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "stdout": str(out),
                                          "stderr": str(err)}) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        run = Run(answer.get("rc"), answer.get("signal"), out.read_text("utf-8"), err.read_text("utf-8"))
        out.unlink()
        err.unlink()
        return run

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


class Box:
    """A started sandbox (in-thread SandboxServer or a subprocess) and its test controls."""

    def __init__(self, base_url: str, api_key: str, server=None):
        self.base_url, self.api_key, self.server = base_url, api_key, server
        self.controls = Controls(base_url)

    @property
    def api_url(self) -> str:
        return self.base_url + "/api"

    def control(self, method: str, path: str, body: dict | None = None):
        return self.controls.call(method, path, body)

    def rows(self) -> list[dict]:
        """Live (not deleted) posts, raw from the sandbox's database."""
        return self.controls.live_rows()

    def fault(self, **spec) -> None:
        self.controls.add_fault(**spec)

    def clear_faults(self) -> list[dict]:
        """Remove every fault; the faults as they were (with their `seen`/`fired` counts)."""
        fired = self.controls.faults()
        self.controls.clear_faults()
        return fired

    def channel_ids(self) -> dict[str, str]:
        return {c["name"]: c["id"] for c in self.controls.channels()}

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@dataclass
class Project:
    """A CLIPER workspace, a plan made from it by `cliper-sched plan`, and how to run the CLI."""

    root: Path
    box: Box
    runner: ForkRunner
    plan: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def state_path(self) -> Path:
        return self.plan.with_name(self.plan.name.replace(".yaml", ".state.json"))

    def cli(self, *args: str, **knobs: str) -> Run:
        env = {**self.env, "POSTIZ_API_URL": self.box.api_url, "POSTIZ_API_KEY": self.box.api_key,
               **{k: str(v) for k, v in knobs.items()}}
        return self.runner.run(list(args), env)

    def apply(self, *extra: str, **knobs: str) -> Run:
        rate = [] if any(a.startswith("--rate-limit") for a in extra) else ["--rate-limit", UNLIMITED]
        return self.cli("apply", str(self.plan), "--auto-approve", *rate, *extra, **knobs)

    def document(self) -> dict:
        return yaml.safe_load(self.plan.read_text("utf-8"))

    def save(self, doc: dict) -> None:
        self.plan.write_text("# edited by a test\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
                             "utf-8")


def base_env(root: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH",
                                                           "VIRTUAL_ENV", "CLIPER_SCHED_RETRY_BACKOFF")}
    # Its own temp folder, and so its own plan locks (state.lock_path_for): the projects
    # copied from one template share a plan id and, applied, the server's channel ids,
    # and tests on other workers must not find each other's apply holding the lock.
    tmp = root / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return {**keep, "NO_COLOR": "1", "CLIPER_SCHED_CACHE_DIR": str(root / "cache"),
            "CLIPER_SCHED_NOW": NOW, "TMPDIR": str(tmp)}


def make_plan(root: Path, runner: ForkRunner, *, clips: int = 60, channels=CHANNELS) -> Path:
    """`cliper-sched plan` over a fresh CLIPER workspace, as a user runs it: every 2 h from 2031-01-05."""
    from support.workspaces import make_workspace

    make_workspace(root / "ws", clips=clips)
    plan = root / "plans" / "ep12.yaml"
    run = runner.run(["plan", str(root / "ws"), "--start", "2031-01-05 09:00", "--interval", "2h",
                      "--channels", ",".join(channels), "--timezone", "America/Mexico_City",
                      "--name", "ep12", "-o", str(plan)], base_env(root))
    assert run.rc == 0, run.text
    return plan


# -- the invariants -------------------------------------------------------------------


@dataclass
class Verdict:
    duplicates: list = field(default_factory=list)  # (what, count) for every key seen twice
    lost: list[str] = field(default_factory=list)  # addresses with no live post
    extra: list[str] = field(default_factory=list)  # live posts the plan does not describe
    state_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.lost or self.extra or self.state_problems)


def wanted(plan_path: Path, ids: dict[str, str]) -> dict[str, tuple[str, str, str]]:
    """address -> (channel id, UTC instant, stored content) the plan asks for."""
    plan = load_plan(plan_path)
    out = {}
    for t in plan.targets():
        out[t.address] = (ids[t.channel_ref], instant(t.at).isoformat(), content(t.caption))
    return out


def _marker(row: dict) -> str | None:
    try:
        return (json.loads(row.get("settings") or "{}") or {}).get(MARKER_KEY)
    except ValueError:
        return None


def duplicates(box: Box, unowned: set[str] = frozenset(), rows: list[dict] | None = None, *,
               count: bool = True) -> list:
    """Two live posts for one marker, or for one channel + instant + content.

    Every check is counted for docs/reliability.md before any test asserts on it,
    so a duplicate that fails a test still shows in the figures."""
    rows = [r for r in (box.rows() if rows is None else rows) if r["id"] not in unowned]
    by_content = Counter((r["channel_id"], instant(r["publishDate"]).isoformat(), r["content"]) for r in rows)
    by_marker = Counter(m for r in rows if (m := _marker(r)))
    found = [(k, n) for k, n in by_content.items() if n > 1] + [(k, n) for k, n in by_marker.items() if n > 1]
    if count:
        record("duplicate_checks")
        record("duplicates_found", len(found))
    return found


def state_problems(state_path: Path) -> list[str]:
    if not state_path.exists():
        return []
    try:
        data = json.loads(state_path.read_text("utf-8"))
    except ValueError as exc:
        return [f"state file is not JSON: {exc}"]
    return [f"{list(e.path)}: {e.message}" for e in STATE_VALIDATOR.iter_errors(data)]


def verdict(project: Project, *, unowned: set[str] = frozenset(), count: bool = True) -> Verdict:
    """Postiz holds exactly the plan's posts, each once, and the state says so."""
    box = project.box
    want = wanted(project.plan, box.channel_ids())
    rows = [r for r in box.rows() if r["id"] not in unowned]
    v = Verdict(duplicates=duplicates(box, unowned, rows, count=count),
                state_problems=state_problems(project.state_path))
    have = Counter((r["channel_id"], instant(r["publishDate"]).isoformat(), r["content"]) for r in rows)
    v.lost = sorted(a for a, key in want.items() if have[key] == 0)
    wanted_keys = set(want.values())
    v.extra = sorted(r["id"] for r in rows if (r["channel_id"], instant(r["publishDate"]).isoformat(),
                                               r["content"]) not in wanted_keys)
    if project.state_path.exists() and not v.state_problems:
        state = json.loads(project.state_path.read_text("utf-8"))
        if state["journal"]:
            v.state_problems.append(f"journal not empty: {state['journal']}")
        owned = {a: o["post_id"] for a, o in state["posts"].items()}
        live_ids = {r["id"] for r in rows}
        if set(owned) != set(want):
            v.state_problems.append(f"state owns {sorted(set(owned) ^ set(want))[:5]}... unlike the plan")
        gone = sorted(a for a, pid in owned.items() if pid not in live_ids)
        if gone:
            v.state_problems.append(f"state names posts that are not live: {gone[:5]}")
    elif not project.state_path.exists():
        v.state_problems.append("no state file")
    return v


def assert_converged(project: Project, *, unowned: set[str] = frozenset()) -> Verdict:
    """The plain re-run's end point: exact posts, valid state, and `diff` shows nothing."""
    v = verdict(project, unowned=unowned)
    record("convergence_checks")
    record("posts_lost", len(v.lost))
    record("stray_posts", len(v.extra))
    record("invalid_states", 1 if v.state_problems else 0)
    assert v.ok, v
    diff = project.cli("diff", str(project.plan), "--detailed-exitcode")
    assert diff.rc == 0, diff.text
    assert "No changes. Postiz matches the plan." in diff.stdout
    return v
