"""Benchmark: what one `cliper-sched` command costs, start to finish, on a small plan.

    python bench/bench_startup.py [--runs 15]

Most commands a user or a CI job types touch a small plan, so their cost is the
process itself: starting Python, loading the commands' modules, reading the plan,
a few requests. Runs the installed console script on PATH (as users do) against
`cliper-sched sandbox` on 127.0.0.1 and prints, per command, the CPU time
(user + system, of that process alone) and the wall time: minimum and median of
`--runs` runs. A 12-post plan (6 clips on 2 channels, captions only):
`--version`, `apply --help`, `validate`, `diff` with everything to create, then
after one apply a no-change `diff` and a no-change `apply`.

CPU is the steadier figure on a shared machine; both vary with the machine's load.
Figures only; nothing is asserted.

Measured 2026-11-30 on the 2-core dev machine, CPU minimum of 7 runs, before and
after that day's work (one deadline thread, the environment read once per run, the
collector paused while modules load, no fastjsonschema at run time): apply --help
187 -> 155 ms, validate 111 -> 99 ms, diff 191 -> 167 ms, no-change apply 210 -> 178 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.sandbox import SandboxProcess  # noqa: E402  (`cliper-sched sandbox`, started and awaited)

KEY = "bench-startup-key"
CHANNELS = ["x-main", "linkedin-page"]  # two of `cliper-sched sandbox`'s default channels, text allowed


def write_plan(path: Path) -> None:
    posts = [{"key": f"clip-{i:02d}", "caption": f"Clip {i}: bases de datos sin miedo #shorts",
              "at": f"2031-03-0{1 + i // 3}T{9 + 2 * (i % 3):02d}:00:00-06:00", "channels": CHANNELS}
             for i in range(1, 7)]
    doc = {"version": 1, "id": "pbenchstartup001", "name": "startup", "timezone": "America/Mexico_City",
           "posts": posts}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")


def run_once(argv: list[str], env: dict) -> tuple[float, float, int]:
    """(CPU seconds of that process, wall seconds, exit code)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, wall, proc.returncode


def measure(label: str, argv: list[str], env: dict, runs: int, ok: tuple[int, ...] = (0,)) -> None:
    cpu, wall = [], []
    for _ in range(runs):
        c, w, code = run_once(argv, env)
        if code not in ok:
            raise SystemExit(f"{label}: exit code {code} (expected {ok}); run it by hand to see why")
        cpu.append(c)
        wall.append(w)
    print(f"{label:<22} {min(cpu) * 1000:7.0f} {statistics.median(cpu) * 1000:7.0f}"
          f" {min(wall) * 1000:8.0f} {statistics.median(wall) * 1000:8.0f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = parser.parse_args()
    command = shutil.which("cliper-sched")
    if not command:
        raise SystemExit("cliper-sched is not on PATH: run `python3 -m pip install .` first")
    with tempfile.TemporaryDirectory(prefix="cliper-bench-startup-") as tmp:
        root = Path(tmp)
        plan = root / "plans" / "startup.yaml"
        write_plan(plan)
        with SandboxProcess(root / "sandbox.db", api_key=KEY, limit=100000) as box:
            env = {**os.environ, "NO_COLOR": "1", "CLIPER_SCHED_CACHE_DIR": str(root / "cache"),
                   "POSTIZ_API_URL": box.api_url, "POSTIZ_API_KEY": KEY}
            print(f"cliper-sched: {command}\n{args.runs} runs each; milliseconds\n")
            print(f"{'command':<22} {'CPU min':>7} {'CPU med':>7} {'wall min':>8} {'wall med':>8}")
            measure("--version", [command, "--version"], env, args.runs)
            measure("apply --help", [command, "apply", "--help"], env, args.runs)
            measure("validate", [command, "validate", str(plan)], env, args.runs)
            # --detailed-exitcode: 2 means changes pending, which is the point here.
            measure("diff (12 to create)", [command, "diff", str(plan), "--detailed-exitcode"], env, args.runs,
                    ok=(2,))
            if run_once([command, "apply", str(plan), "--auto-approve"], env)[2] != 0:
                raise SystemExit("the apply between the two halves failed; run it by hand to see why")
            measure("diff (no change)", [command, "diff", str(plan), "--detailed-exitcode"], env, args.runs)
            measure("apply (no change)", [command, "apply", str(plan), "--auto-approve"], env, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
