"""Run `cliper-sched` many times fast, each run a real process that can be SIGKILLed.

Importing planner takes ~0.6 s; a systematic kill matrix runs the CLI hundreds
of times. This helper process imports planner once, then forks one child per
job (one JSON line on stdin: argv, env, stdout/stderr file paths), waits for it
and answers one JSON line: `{"rc": N}` or `{"signal": 9}`. It starts no thread,
so forking is safe. Test-only knobs, read by the child before it runs the CLI:

- FORKRUN_KILL_MID_STATE_WRITE=N: on the N-th write of a `*.state.json`, write
  half of it to the temporary file atomic_write uses, then SIGKILL: a crash in
  the middle of writing the state file;
- FORKRUN_MEMORY_MB=N: let the run's address space grow by at most N MB (and
  its CPU time to 30 s), so an input that explodes in memory fails that run
  instead of the machine;
- FORKRUN_TIMEOUT=N: end the run with SIGALRM after N seconds, so an input that
  makes it wait for ever (a FIFO) fails that run instead of blocking the tests;
- FORKRUN_KILL_AT=KIND:N: SIGKILL at the N-th time a crash point of that kind
  is reached (planner/reconcile/crashpoints.py);
- FORKRUN_COUNT_POINTS=FILE: count every crash point reached and write the
  counts to FILE as JSON when the run ends (how many boundaries an apply has).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile

_COUNTS: dict[str, int] = {}


def _install_knobs() -> None:
    if os.environ.get("FORKRUN_TIMEOUT"):
        signal.alarm(int(os.environ["FORKRUN_TIMEOUT"]))
    if os.environ.get("FORKRUN_MEMORY_MB"):
        import resource

        with open("/proc/self/status") as fh:  # the mapped size already (libraries, arenas)
            mapped_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmSize:"))
        cap = mapped_kb * 1024 + int(os.environ["FORKRUN_MEMORY_MB"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        resource.setrlimit(resource.RLIMIT_CPU, (30, 31))
    from planner import fsutil

    kill_at = os.environ.get("FORKRUN_KILL_AT", "")
    target, _, nth = kill_at.partition(":")
    if kill_at or os.environ.get("FORKRUN_COUNT_POINTS"):
        from planner.reconcile import crashpoints

        def listener(name: str) -> None:
            _COUNTS[name] = _COUNTS.get(name, 0) + 1
            if name == target and _COUNTS[name] == int(nth or 1):
                os.kill(os.getpid(), signal.SIGKILL)

        crashpoints.install(listener)
    if os.environ.get("FORKRUN_KILL_MID_STATE_WRITE"):
        nth = int(os.environ["FORKRUN_KILL_MID_STATE_WRITE"])
        real = fsutil.atomic_write_bytes
        seen = [0]

        def half_then_die(path, data):
            if str(path).endswith(".state.json"):
                seen[0] += 1
                if seen[0] == nth:
                    target = os.fspath(path)
                    fd, _tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                                                dir=os.path.dirname(target) or ".")
                    os.write(fd, data[: len(data) // 2])
                    os.fsync(fd)
                    os.kill(os.getpid(), signal.SIGKILL)
            return real(path, data)

        fsutil.atomic_write_bytes = half_then_die


def _child(job: dict) -> None:
    out = os.open(job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.environ.clear()
    os.environ.update(job["env"])
    tempfile.tempdir = None  # the run's TMPDIR, not one the server may have looked up
    if job.get("cwd"):
        os.chdir(job["cwd"])
    code = 1
    try:
        _install_knobs()
        from planner.cli import main

        main(job["argv"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # an unhandled exception: print it as Python would, so tests see it
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            if os.environ.get("FORKRUN_COUNT_POINTS"):
                with open(os.environ["FORKRUN_COUNT_POINTS"], "w") as fh:
                    fh.write(json.dumps(_COUNTS))
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve() -> None:
    # Everything a CLI run imports, once, before any fork: the commands, and the modules
    # the tool imports only where it first needs them (file lock, deepdiff, multipart
    # uploads, file types). Then what every run would otherwise redo after the fork:
    # twitter-text's regexes (a long X caption) and the compiled JSON schemas (~50 ms).
    import deepdiff  # noqa: F401
    import filelock  # noqa: F401
    import filetype  # noqa: F401
    import requests_toolbelt  # noqa: F401

    import planner.cli  # noqa: F401
    import planner.commands.apply  # noqa: F401
    import planner.commands.destroy  # noqa: F401
    import planner.commands.diff  # noqa: F401
    import planner.commands.import_  # noqa: F401
    import planner.reconcile.executor  # noqa: F401
    from planner import providers, schema

    providers.caption_length("x", "warm up")
    for name in ("plan.schema.json", "state.schema.json", "rules.schema.json", "changes.schema.json"):
        schema.compiled_check(name)

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(job)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            answer = {"signal": os.WTERMSIG(status)}
        else:
            answer = {"rc": os.WEXITSTATUS(status)}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    serve()
