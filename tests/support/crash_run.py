"""`python crash_run.py KIND:N ARGS...`: the installed cliper-sched, SIGKILLed at a crash point.

Run with the interpreter of the installed package (support.cli.run_crashing
does): it installs a listener on planner.reconcile.crashpoints that kills
this process the N-th time KIND is reached, then runs the CLI as the console
script would. Production code never decides to crash by itself.
"""

import os
import signal
import sys

from planner.cli import main
from planner.reconcile import crashpoints


def killer(spec: str):
    target, _, nth = spec.partition(":")
    seen = {"n": 0}

    def listener(name: str) -> None:
        if name == target:
            seen["n"] += 1
            if seen["n"] == int(nth or 1):
                os.kill(os.getpid(), signal.SIGKILL)

    return listener


if __name__ == "__main__":
    crashpoints.install(killer(sys.argv[1]))
    main(sys.argv[2:])
