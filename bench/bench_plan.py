"""Benchmark: plan and validate a 10,000-clip CLIPER workspace.

    python bench/bench_plan.py [--clips 10000] [--keep DIR]

Builds the workspace in a temp folder (tiny MP4s, CLIPER's clips_copys.json),
then runs the installed `cliper-sched plan` and `cliper-sched validate` (the
console script on PATH, as users run it) and prints each process's wall time,
time per 1,000 clips and peak memory (max RSS). Target: well under a second
per 1,000 clips.

Measured 2026-11-26 on the 2-core dev machine while other test suites ran
(load 2-4), per 1,000 clips: plan 0.18-0.31 s, validate 0.15-0.27 s, peak RSS
126 / 152 MiB (before the schema check was compiled and the cycle collector
paused during YAML work: plan 0.49 s, validate 0.55 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
NOW = "2026-11-26T00:00:00+00:00"


def measure(label: str, argv: list[str], clips: int) -> None:
    """Run the installed `cliper-sched ARGV` as users do; wall time and that process's peak RSS."""
    command = shutil.which("cliper-sched")
    if not command:
        raise SystemExit("cliper-sched is not on PATH: run `python3 -m pip install .` first")
    started = time.perf_counter()
    proc = subprocess.Popen([command, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "NO_COLOR": "1"})
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code != 0:
        print(err.decode(errors="replace")[-2000:], file=sys.stderr)
        raise SystemExit(f"{label} failed with exit code {code}")
    per_k = seconds / clips * 1000
    print(f"{label:<9} {seconds:7.2f} s (whole process)  {per_k:6.3f} s per 1,000 clips  "
          f"peak RSS {usage.ru_maxrss / 1024:7.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="build the workspace here and keep it")
    args = parser.parse_args()

    from support.workspaces import make_workspace

    with tempfile.TemporaryDirectory(prefix="cliper-bench-") as tmp:
        root = args.keep or Path(tmp)
        started = time.perf_counter()
        make_workspace(root / "ws", clips=args.clips, video_id="Bench Ep 01 - Diez mil clips_AbCdEfGhIjK")
        print(f"workspace {time.perf_counter() - started:7.2f} s to build {args.clips:,} clips in {root / 'ws'}")
        plan = root / "plans" / "bench.yaml"
        measure("plan", ["plan", str(root / "ws"), "--start", "2027-01-01 09:00", "--interval", "10m",
                         "--channels", "tiktok-main,youtube-shorts,x-main", "--timezone", "Europe/Madrid",
                         "--order", "viral_potential", "-o", str(plan), "--now", NOW], args.clips)
        print(f"plan file {plan.stat().st_size / 1024 / 1024:7.2f} MiB")
        measure("validate", ["validate", str(plan), "--now", NOW], args.clips)


if __name__ == "__main__":
    main()
