"""Run the reliability suite and print (and record in docs/reliability.md) its figures.

    python bench/reliability_figures.py            # the CI set, then rewrite docs/reliability.md
    python bench/reliability_figures.py --full     # also the kill chains CI skips as equivalent
    python bench/reliability_figures.py --no-write # print only

Both crash the kill chains at every boundary (CLIPER_SCHED_FULL_CHAINS=1); a plain
`pytest` crashes each chain at a deterministic subset of them to stay fast
(tests/reliability/test_kill_points.py says which).

The tests count what they do (tests/reliability/figures.py) into a JSON-lines
file; this script runs pytest on the suites, adds the counts up, and reports
them with the test outcomes and the machine they came from. Nothing here is
typed by hand: the figures in the document are the ones this run produced.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUITES = ["tests/reliability", "tests/badinput", "tests/test_secrets.py", "tests/test_properties.py"]
DOC = REPO / "docs" / "reliability.md"


def run_suite(full: bool) -> tuple[dict, dict, float]:
    with tempfile.TemporaryDirectory() as tmp:
        counts_file = Path(tmp) / "figures.jsonl"
        junit = Path(tmp) / "junit.xml"
        env = {**os.environ, "RELIABILITY_FIGURES": str(counts_file), "CLIPER_SCHED_FULL_CHAINS": "1"}
        if full:
            env["RELIABILITY_FULL"] = "1"
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "pytest", *SUITES, "-q", "-p", "no:cacheprovider",
                        f"--junitxml={junit}"], cwd=REPO, env=env, check=False)
        elapsed = time.monotonic() - started
        counts: dict = defaultdict(int)
        kinds: dict = defaultdict(int)
        attacks: dict = defaultdict(lambda: [0, 0])  # kind -> [tried, refused]
        if counts_file.exists():
            for line in counts_file.read_text("utf-8").splitlines():
                entry = json.loads(line)
                counts[entry["name"]] += entry["amount"]
                if entry["name"] == "kill_points" and "kind" in entry:
                    kinds[entry["kind"]] += entry["amount"]
                if entry["name"] in ("attacks_tried", "attacks_refused") and "kind" in entry:
                    attacks[entry["kind"]][entry["name"] == "attacks_refused"] += entry["amount"]
        counts["kill_points_by_chain"] = dict(sorted(kinds.items()))
        counts["attacks_by_kind"] = dict(sorted(attacks.items()))
        return dict(counts), outcomes(junit), elapsed


def outcomes(junit: Path) -> dict:
    result = {"passed": 0, "failed": 0, "skipped": 0, "xfailed": 0, "errors": 0, "known_bugs": [],
              "failures": []}
    if not junit.exists():
        return result
    for case in ET.parse(junit).getroot().iter("testcase"):
        children = {child.tag: child for child in case}
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        if "failure" in children:
            result["failed"] += 1
            result["failures"].append(name)
        elif "error" in children:
            result["errors"] += 1
            result["failures"].append(name)
        elif "skipped" in children:
            kind = children["skipped"].get("type", "")
            if "xfail" in kind:
                result["xfailed"] += 1
                result["known_bugs"].append((name, children["skipped"].get("message", "")))
            else:
                result["skipped"] += 1
        else:
            result["passed"] += 1
    return result


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def figures_table(c: dict, o: dict, elapsed: float, full: bool) -> list[tuple[str, str]]:
    chains = ", ".join(f"{k}: {v}" for k, v in c.get("kill_points_by_chain", {}).items()) or "none"
    attacks = ", ".join(f"{k}: {r}/{t}" for k, (t, r) in c.get("attacks_by_kind", {}).items()) or "none"
    return [
        ("Faults injected (500, delay, lost answer, 429, restart, lock, lost/stale state)", str(c.get("faults_injected", 0))),
        ("Faults survived (a plain re-run converged)", str(c.get("faults_survived", 0))),
        ("SIGKILLs of the apply process", str(c.get("kill_points", 0))),
        ("  per chain (every boundary of a 180-post apply)", chains),
        ("  boundaries of an uninterrupted apply, all crashed at least once", str(c.get("boundaries_covered", 0))),
        ("Apply runs in the kill chains", str(c.get("kill_runs", 0))),
        ("Bad inputs tried", str(c.get("bad_inputs_tried", 0))),
        ("Bad inputs refused cleanly (exit 1, file + place, no traceback, nothing changed)",
         str(c.get("bad_inputs_refused_cleanly", 0))),
        ("Property-based examples (round trip, apply-then-diff)", str(c.get("property_examples", 0))),
        ("Attacks tried (clip swapped after review, dripping and oversized answers, non-JSON 429s)",
         str(c.get("attacks_tried", 0))),
        ("Attacks refused (nothing unreviewed sent, ended at the deadline, memory kept, block kept)",
         str(c.get("attacks_refused", 0))),
        ("  refused/tried per kind", attacks),
        ("Secret checks (runs, exceptions, logs, files searched for the key)", str(c.get("secret_checks", 0))),
        ("Duplicate checks of Postiz (after every fault, kill and re-run)", str(c.get("duplicate_checks", 0))),
        ("Convergence checks (exact posts, valid state, `diff` clean)", str(c.get("convergence_checks", 0))),
        ("**Duplicates found**", f"**{c.get('duplicates_found', 0)}**"),
        ("**Posts lost**", f"**{c.get('posts_lost', 0)}**"),
        ("Stray posts / invalid state files after convergence",
         f"{c.get('stray_posts', 0)} / {c.get('invalid_states', 0)}"),
        ("**Secrets leaked**", f"**{c.get('secrets_leaked', 0)}**"),
        ("Tests", f"{o['passed']} passed, {o['failed']} failed, {o['errors']} errors, "
                  f"{o['xfailed']} known bugs (strict xfail), {o['skipped']} skipped"),
        ("Run", f"{'full' if full else 'CI set'}, {elapsed:.0f} s, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"),
        ("Machine", machine()),
    ]


def render_doc(rows: list[tuple[str, str]], results: dict) -> str:
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    bugs = "\n".join(f"- `{name}`: {reason.removeprefix('reason: ')}" for name, reason in results["known_bugs"])
    failures = "\n".join(f"- `{name}`" for name in results["failures"])
    text = TEMPLATE.replace("{figures}", "| Figure | Value |\n|---|---|\n" + table)
    text = text.replace("{bugs}", bugs or "None.")
    return text.replace("{failures}", f"\n**Failing in this run:**\n\n{failures}\n" if failures else "")


TEMPLATE = """# Reliability: what apply guarantees, and the evidence

cliper-sched sits between a git repository and a creator's public accounts. A
bug here posts a clip twice, deletes a week of schedule, or leaks an API key.
This page says what a user can rely on and how a test suite tries hard to
break it. The figures at the end were written by
`python bench/reliability_figures.py` from its last run: nothing is typed by hand.

## What a user can rely on

- **A crash never duplicates or loses a post.** `kill -9` at any point of an
  apply, a 500, a timeout or an answer lost after Postiz stored the post: a
  plain re-run makes Postiz hold exactly the plan's posts. A create that got no
  answer is settled by reading Postiz back (ownership marker, or channel + time
  + content on Postiz v2.23.0), never by sending it again blindly.
- **The rate limit is never walked into.** Budget spent: `--no-wait` stops with
  exit 3 and says when to re-run; the re-run finishes without repeating anything.
- **Two applies of one plan cannot interleave**: the second stops at once with
  "another cliper-sched run is applying this plan".
- **A lost or stale state file is rebuilt** from the posts in Postiz, with no
  duplicate; a state file of another plan, or a damaged one, stops the run
  before any change and says how to recover.
- **Bad input is refused before anything changes**, with the file, the line,
  the path inside it and a hint; never a Python traceback (the open
  exceptions are listed under "Known bugs" below).
- **What was reviewed is what is posted.** A clip changed on disk after the
  changes were shown (while apply's question waits) is neither uploaded nor
  posted: the bytes are hashed as they are sent.
- **A misbehaving server cannot hold or sink a run.** Each request ends within
  `--timeout` however slowly the answer drips; an answer over 32 MiB is refused
  before it fills the memory; a 429 is a block whatever its body, and no create
  is sent into it, in this run or the next.
- **The API key is never written anywhere**: not in output, errors, logs, the
  state file or the plan, even when a server hands it back shouted, cut into
  pieces or base64-encoded. A key file others can read is warned about
  (refused with `CLIPER_SCHED_STRICT_KEY_FILE=1`). Plain `http://` to another
  machine warns that the key travels in clear. TLS is always verified; a private CA is trusted with
  `--ca-bundle FILE` (or `REQUESTS_CA_BUNDLE`), never by turning verification off.
  YAML is read as data only: `!!python/...` tags are refused, never run.

## What the suite does

All of it runs against the sandbox, a real Postiz-compatible server on
127.0.0.1, and reads Postiz back through the sandbox's raw rows, never through
the client under test. "Converged" means: every (post, channel) of the plan is
live exactly once (by channel + instant + content, and by ownership marker), no
other post exists, the state file is valid against
`planner/schemas/state.schema.json` with an empty journal and the same post ids,
and `cliper-sched diff --detailed-exitcode` exits 0.

- `tests/reliability/test_fault_matrix.py`: a 60-clip, 3-channel plan (180
  posts), on both Postiz versions: a 500 on each kind of request (list, upload,
  create, edit, delete, settings), a request carried out whose answer is
  dropped, a delay past the client timeout (current main), a 429 (foreseen with `--no-wait`, then
  unforeseen), a lost state file (after the apply and mid-run), a state file
  from an older version of the plan, and state files of another plan, truncated
  or binary. A self-test proves the convergence check catches a planted
  duplicate, a deleted post and a broken state file.
- `tests/reliability/test_kill_points.py`: SIGKILL at every request boundary of
  the 180-post apply. Each chain crashes a run at its first point that makes
  progress, re-runs from there, and crashes again, until an apply completes: every
  `after-request`, every state write (killed half-way through writing, leaving a
  partial temporary file) and, on Postiz v2.23.0, every `after-request` again
  (ownership by content only). After every kill: no duplicate, a valid state file.
  (These figures crash every boundary; a plain `pytest` crashes each chain at
  least every 8 boundaries, a deterministic subset, to keep the suite fast.)
  `--full` adds the chains whose crash states are equivalent (`before-request`,
  `before-state-write`, `after-state-write`, v2.23.0 `before-request`). Single
  kills from a fresh start are followed by a re-run, one of them a plain re-run
  with the real settle time; and the installed `cliper-sched` is killed -9 from
  outside while a create is in flight.
- `tests/reliability/test_process_faults.py`: the Postiz server killed -9 while
  a create hangs in it, and restarted on the same database; two applies of one
  plan started at the same moment.
- `tests/reliability/test_hostile.py`: a pull request or a misbehaving server
  against the installed CLI, through a proxy on 127.0.0.1. A clip is swapped while
  apply waits for "yes": nothing of it is uploaded or posted, exit 4 naming the
  file. An answer drips one byte at a time (in the headers, in the body, in the
  answer to a create): the command ends at `--timeout`, and the create is read
  back, not re-sent. An answer of 200 MiB, or declaring 1 GiB, is refused with
  the process under 150 MiB. A 429 as an nginx page, empty, or plain text with
  `Retry-After`: exit 3 with the time, and the re-run sends nothing counted.
- `tests/badinput/`: the corpus (`manifest.yaml`, `corpus/`): plan files, rules
  files and CLIPER workspaces, each with the command, the exit code, the message
  and the place it must name. Each run is checked for no traceback, no file
  changed on disk (sha256 of every file before and after) and no change in
  Postiz (rows and rate-limit hits).
- `tests/test_secrets.py`: every command with a recognisable key from the
  environment and from `--api-key-file`, on happy and error paths (wrong key,
  `Bearer ` prefix, server 500, no server, a post Postiz refuses, a broken plan,
  plain http to another host, a server that echoes the key upper-cased, cut,
  split across its message, URL-encoded or in base64, in every error family);
  stdout, stderr, `--json`, debug logs, exception texts and every file written
  are searched for any part of the key (any 8 characters, any case, its
  base64). A key file others can read warns once, and is refused when strict.
- `tests/test_properties.py` (hypothesis): any valid plan round-trips through
  dump and load (captions of any Unicode text); applying any plan then diffing
  it shows no changes.

Known bugs found by the suite are kept as strict `xfail` tests whose reason says
exactly what is wrong; they turn into failures the day the bug is fixed, so the
test can be un-marked.

## Figures of the last run

{figures}
{failures}
## Known bugs the suite found (strict xfail, open)

{bugs}

The kill chains run the CLI through `tests/reliability/forkserver.py`, which
imports planner once and forks one real process per run, so hundreds of SIGKILLs
fit in about a minute. Timings are shown for information only; no test asserts
a wall-clock limit.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also run the equivalent kill chains")
    parser.add_argument("--no-write", action="store_true", help="print the figures, leave the doc alone")
    args = parser.parse_args()
    counts, results, elapsed = run_suite(args.full)
    rows = figures_table(counts, results, elapsed, args.full)
    width = max(len(name) for name, _ in rows)
    print("\nReliability figures")
    for name, value in rows:
        print(f"  {name.replace('**', ''):<{width}}  {value.replace('**', '')}")
    for name, reason in results["known_bugs"]:
        print(f"  known bug: {name}: {reason}")
    for name in results["failures"]:
        print(f"  FAILED: {name}")
    if not args.no_write:
        from planner.fsutil import atomic_write_text

        atomic_write_text(DOC, render_doc(rows, results))
        print(f"\nWrote {DOC.relative_to(REPO)}")
    return 1 if results["failed"] or results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
