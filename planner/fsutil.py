"""Never half-write a file: write a temp file beside the target, fsync, rename.

A writer holds an exclusive lock (flock) on its temp file until the rename, so the
cleanup of temp files left by interrupted runs never removes one a live process
is still writing (two users' runs on one plan folder do not share a state lock).
"""

from __future__ import annotations

import glob
import hashlib
import os
import tempfile
from pathlib import Path
from types import ModuleType

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
