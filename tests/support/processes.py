"""Find, kill and reap the test run's child processes (Linux /proc; a no-op elsewhere)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Orphans of our children become our children instead of init's."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state letter) of a process, or None if it is gone."""
    # Plain open(): read for every child at every check, where pathlib cost twice as much.
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    fields = raw[raw.rindex(b")") + 2:].split(None, 2)  # the command name may hold spaces
    return int(fields[1]), fields[0].decode()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def _table() -> dict[int, tuple[int, str]]:
    table = {}
    if Path("/proc").is_dir():
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and (stat := _stat(int(entry.name))):
                table[int(entry.name)] = stat
    return table


# /proc/PID/task/TID/children (Linux ≥ 3.5 with CONFIG_PROC_CHILDREN) lists a thread's
# children: walking them reads a few files per test where a scan of the whole process
# table read every process's, three times a test (~5 ms of a worker's CPU a test).
# The kernel documents the list as exact only for a stopped tree: while a sibling is
# reaped during the read, it may skip a child. `children` therefore walks twice and
# keeps every process either walk saw.
_CHILDREN_FILES = os.path.exists(f"/proc/self/task/{os.getpid()}/children")


def _direct_children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids  # gone
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                kids += map(int, fh.read().split())
        except OSError:
            pass  # the thread ended meanwhile
    return kids


def _descendants() -> dict[int, str]:
    """Descendants of this process and their state letters, zombies included."""
    found: dict[int, str] = {}
    if not _CHILDREN_FILES:
        table, frontier = _table(), {os.getpid()}
        while frontier:
            frontier = {pid for pid, (ppid, _) in table.items() if ppid in frontier} - found.keys()
            found.update((pid, table[pid][1]) for pid in frontier)
        return found
    frontier = [os.getpid()]
    while frontier:
        for kid in _direct_children(frontier.pop()):
            if kid not in found and (stat := _stat(kid)):
                found[kid] = stat[1]
                frontier.append(kid)
    return found


def children() -> set[int]:
    """Live descendants of this process (threads are not processes; zombies are dead)."""
    seen = _descendants()
    if _CHILDREN_FILES:
        again = _descendants()
        for pid in seen.keys() - again.keys():  # seen once: still ours, or gone since?
            stat = _stat(pid)
            if stat and (stat[0] == os.getpid() or stat[0] in seen or stat[0] in again):
                again[pid] = stat[1]
        seen = again
    return {pid for pid, state in seen.items() if state != "Z"}


def _reap_zombies() -> None:
    """Collect our own children that have ended (a grandchild's zombie is its parent's)."""
    me = os.getpid()
    if _CHILDREN_FILES:
        mine = _direct_children(me)
    else:
        mine = [pid for pid, (ppid, _) in _table().items() if ppid == me]
    for pid in mine:
        if (stat := _stat(pid)) and stat[0] == me and stat[1] == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)


def reap_leftovers(exclude: set[int], grace: float = 2.0) -> list[str]:
    """Kill every child not in `exclude`; return their command lines.

    A child that is exiting on its own (a sandbox after Ctrl-C) gets `grace`
    seconds first, so only real leftovers are reported.
    """
    deadline = time.monotonic() + grace
    while (left := children() - exclude) and time.monotonic() < deadline:
        _reap_zombies()
        time.sleep(0.05)
    described = [f"  pid {pid}: {_cmdline(pid)}" for pid in sorted(left)]
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    time.sleep(0.05 if left else 0)
    _reap_zombies()
    return described
