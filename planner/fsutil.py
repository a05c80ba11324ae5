"""Files in and out, safely.

Out: never half-write a file: write a temp file beside the target, fsync, rename.
A writer holds an exclusive lock (flock) on its temp file until the rename, so the
cleanup of temp files left by interrupted runs never removes one a live process
is still writing (two users' runs on one plan folder do not share a state lock).

In: `read_capped` reads a file that may come from a pull request (plan, rules,
state, CLIPER captions) only when it is a regular file under its size cap (the
caps below, documented in the README): a link to /dev/zero or /dev/urandom would
be read until memory runs out, a FIFO would block for ever, so neither is read.
"""

from __future__ import annotations

import glob
import hashlib
import os
import stat
import tempfile
from pathlib import Path
from types import ModuleType

from planner.errors import UserError

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows: a file open for writing cannot be deleted there anyway
    fcntl = None


def _temp_prefix(target: Path) -> str:
    return f".{target.name}."


def _new_temp(target: Path) -> tuple[int, str]:
    return tempfile.mkstemp(prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent)


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Delete temp files that interrupted atomic writes of `path` left behind: only
    those no live process holds locked."""
    target = Path(path)
    removed = []
    for leftover in target.parent.glob(glob.escape(_temp_prefix(target)) + "*.tmp"):
        if _remove_if_abandoned(leftover):
            removed.append(leftover)
    return removed


def _remove_if_abandoned(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False  # gone already, or not ours to touch
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # its writer is alive (or this file system has no locks: leave it)
        # Still the file we locked, not renamed into place meanwhile.
        if not os.path.samestat(os.stat(path), os.fstat(fd)):
            return False
        os.unlink(path)
        return True
    except OSError:
        return False  # renamed away, or a folder we cannot change: nothing to clean
    finally:
        os.close(fd)


def _locked_temp(target: Path) -> tuple[int, str]:
    """A new temp file beside `target`, locked by this process."""
    while True:
        fd, tmp = _new_temp(target)
        if fcntl is None:
            return fd, tmp
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits only while a cleanup looks at it
        except OSError:
            return fd, tmp  # a file system without locks: cleanups leave its temp files alone
        try:
            if os.path.samestat(os.stat(tmp), os.fstat(fd)):
                return fd, tmp
        except FileNotFoundError:
            pass
        os.close(fd)  # a cleanup removed it before the lock was ours: take another


def check_writable(path: str | os.PathLike) -> None:
    """Raise the OSError an atomic write of `path` would meet first (a read-only or
    missing folder, no permission), without touching `path`."""
    fd, tmp = _new_temp(Path(path))
    os.close(fd)
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass  # a cleanup took it first: the folder is writable all the same


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _locked_temp(target)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            if fcntl is not None:
                os.replace(tmp, target)  # still locked: no cleanup can take the temp first
        if fcntl is None:
            os.replace(tmp, target)  # Windows renames only closed files
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    # Make the rename itself durable where the platform allows it.
    try:
        dfd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


# --- reading files that came from elsewhere ---------------------------------------

MiB = 1 << 20
# Caps, far above real files: a 10,000-post plan is about 5 MiB, its state about 12 MiB.
PLAN_MAX_BYTES = 16 * MiB  # a plan file (validate, diff, apply, pull, ...)
RULES_MAX_BYTES = 1 * MiB  # a rules file (plan --rules)
CAPTIONS_MAX_BYTES = 16 * MiB  # CLIPER's copys/clips_copys.json
STATE_MAX_BYTES = 64 * MiB  # a plan's state file
TRUSTED_MAX_BYTES = 1 * MiB  # the list of trusted workspaces (planner.trust)

_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))


def _size_text(size: int) -> str:
    return f"{size // MiB} MiB" if size % MiB == 0 else f"{size} bytes"


def file_kind(mode: int) -> str:
    """What a file that is not regular is, in words ("a FIFO", "a character device")."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def _not_regular(mode: int, file: str, what: str) -> UserError:
    return UserError(f"{what} is {file_kind(mode)}, not a regular file: not read", file=file,
                     hint=f"point at the {what.removeprefix('the ')} itself; a link to a device, a pipe "
                          "or a socket is never read (it could never end, or never start)")


def _too_big(cap: int, file: str, what: str) -> UserError:
    return UserError(f"{what} is larger than {_size_text(cap)}, the limit for {what.replace('the ', 'a ', 1)}: "
                     "not read", file=file, hint="is this the right file? Real ones are far smaller")


def read_capped(path: str | os.PathLike, cap: int, what: str, *, file: str | None = None) -> bytes:
    """The bytes of `path` (`what`: "the plan file", ...), refused unread unless it is a
    regular file (after following links) of at most `cap` bytes.

    Raises FileNotFoundError, IsADirectoryError or another OSError as `open` would, and
    UserError (naming `file`, default `path`, what it is and the cap) for anything else:
    checked with os.stat before opening, again on the open file (opened without
    blocking, so a FIFO swapped in meanwhile cannot hang it), and while reading (at
    most cap + 1 bytes are read, so a file growing meanwhile is caught too).
    """
    file = str(path) if file is None else file
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(st.st_mode, file, what)
    if st.st_size > cap:
        raise _too_big(cap, file, what)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(st.st_mode, file, what)
        chunks: list[bytes] = []
        left = cap + 1
        while left > 0:
            block = os.read(fd, min(left, 1 << 20))
            if not block:
                break
            chunks.append(block)
            left -= len(block)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > cap:
        raise _too_big(cap, file, what)
    return data
