"""Run `cliper-sched` the way users do: the installed console script, found on PATH.

`python -m planner`, an editable install and in-process click runners all hid a
packaging defect that crashed every installed command. The test session
therefore installs the current source with `pip install` into a private venv
(see `install_console_script`) and puts its `bin/` first on PATH; every test
that runs the tool starts a fresh `cliper-sched` process from there.
"""

from __future__ import annotations

import compileall
import os
import shutil
import signal
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

COMMAND = "cliper-sched"


def install_console_script(repo: Path, into: Path) -> Path:
    """`pip install .` of the working tree into a venv under `into`; returns its bin/.

    The dependencies the test run already installed are reused, so only this
    project is built (a few seconds): the venv gets links to the installed
    distributions the project depends on, directly or not (`_dependency_files`),
    and nothing else, as a user's fresh install would have. Whatever else the test
    machine has (numpy, pydantic, ...) stays out: deepdiff, for one, imports them
    when it finds them, which made every command slower than a user's and unlike it.
    If a dependency's files cannot be told, the venv sees all the system
    site-packages instead. A fully isolated install from the wheel is checked
    separately (tests/test_packaging.py).
    """
    src = into / "src"
    # A copy, so the build never writes build/ or *.egg-info into the checkout.
    shutil.copytree(repo / "planner", src / "planner", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(repo / name, src / name)
    env_dir = into / "venv"
    links = _dependency_files(repo / "pyproject.toml")
    venv.EnvBuilder(system_site_packages=links is None, with_pip=False, symlinks=True).create(env_dir)
    if links is not None:
        site = next(env_dir.glob("lib/python*/site-packages"))
        for path in links:
            if not (site / path.name).exists():  # a name two installs share: linked once
                (site / path.name).symlink_to(path, target_is_directory=path.is_dir())
        # A linked single-file module (typing_extensions.py) caches its bytecode here, in
        # the venv: compile it now, or every process compiles it again when the
        # environment says not to write bytecode (PYTHONDONTWRITEBYTECODE).
        compileall.compile_dir(site, maxlevels=0, quiet=1)
    bindir = env_dir / "bin"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(bindir / "python"), "install",
                    "--quiet", "--no-deps", "--disable-pip-version-check", str(src)],
                   check=True, capture_output=True, text=True, timeout=600)
    # The venv's own copy must win over anything the outer environment has
    # (an editable install of the checkout would hide packaging defects again).
    where = subprocess.run([str(bindir / "python"), "-c", "import planner; print(planner.__file__)"],
                           check=True, capture_output=True, text=True, timeout=60,
                           cwd=into).stdout.strip()  # not the checkout: `-c` imports from the cwd
    assert Path(where).is_relative_to(env_dir), f"cliper-sched would import planner from {where}"
    return bindir


# What `python3 -m venv` installs on Python 3.11 (later versions: pip only), when the
# test run has it; twitter-text-parser imports pkg_resources (setuptools) undeclared.
_VENV_DEFAULTS = ("pip", "setuptools")


def _dependency_files(pyproject: Path) -> list[Path] | None:
    """The top-level files and folders (packages, modules, .dist-info) in the test run's
    site-packages of every distribution the project needs, or None if one can't be told."""
    import tomllib
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    wanted = [Requirement(r) for r in tomllib.loads(pyproject.read_text("utf-8"))["project"]["dependencies"]]
    for name in _VENV_DEFAULTS:
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        wanted.append(Requirement(name))
    seen: set[str] = set()
    found: set[Path] = set()
    while wanted:
        req = wanted.pop()
        name = canonicalize_name(req.name)
        if name in seen or (req.marker is not None and not req.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return None
        files = dist.files
        if not files:
            return None
        root = Path(str(dist.locate_file(""))).resolve()
        for file in files:
            if file.parts and file.parts[0] not in ("..", "__pycache__"):
                found.add(root / file.parts[0])
        wanted += [Requirement(r) for r in dist.requires or ()]
    return sorted(p for p in found if p.exists())


def let_children_see_ctrl_c() -> None:
    """Let every child see Ctrl-C even when pytest runs as a background job.

    A shell starts background jobs with SIGINT ignored, children inherit that,
    and Python then never raises KeyboardInterrupt: tests that press Ctrl-C
    (SIGINT) on a child would hang or fail depending on how pytest was started.
    A handled signal (unlike an ignored one) is reset to the default by exec, so
    handling it in the test process gives every child the default. Done once per
    process rather than in a `preexec_fn`: a preexec_fn makes each spawn fork the
    whole test process (~8 ms from a big worker) instead of vfork (<1 ms).
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def argv(*args) -> list[str]:
    path = shutil.which(COMMAND)
    assert path, f"{COMMAND} is not on PATH: the test session installs it (tests/conftest.py)"
    return [path, *map(str, args)]


@dataclass
class Result:
    exit_code: int
    output: str
    error: str

    @property
    def code(self) -> int:
        return self.exit_code

    @property
    def out(self) -> str:
        return self.output

    @property
    def err(self) -> str:
        return self.error


def run(*args, input: str | None = None, env: dict | None = None, cwd=None,
        timeout: float = 120) -> Result:
    """`cliper-sched ARGS` in a fresh process; stdin is not a terminal."""
    proc = completed(*args, input=input, env=env, cwd=cwd, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def completed(*args, env: dict | None = None, cwd=None, timeout: float = 120,
              input: str | None = None) -> subprocess.CompletedProcess:
    """Like `run`, as a CompletedProcess (returncode, stdout, stderr)."""
    return subprocess.run(argv(*args), input=input if input is not None else "",
                          capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env={**os.environ, **(env or {})})


def popen(*args, env: dict | None = None, **kwargs) -> subprocess.Popen:
    """`cliper-sched ARGS` in the background (the caller waits or kills it)."""
    return subprocess.Popen(argv(*args), env={**os.environ, **(env or {})},
                            **kwargs)


def run_on_terminal(*args, input: str = "", timeout: float = 120) -> Result:
    """`cliper-sched ARGS` whose standard input is a terminal (a pty) that types `input`.

    stdout and stderr stay pipes, so the output is read exactly as printed.
    """
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(argv(*args), stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=dict(os.environ))
        os.close(slave)
        slave = -1
        os.write(master, input.encode())
        out, err = proc.communicate(timeout=timeout)
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    return Result(proc.returncode, out, err)


class Terminal:
    """`cliper-sched ARGS` on a terminal (a pty as stdin) that the test types into step by
    step: wait for a prompt, change something on disk, then answer.

        term = Terminal("apply", plan, env=env)
        term.wait_for("Enter a value")
        ...                      # whatever must happen while the question waits
        term.type("yes\n")
        result = term.finish()
    """

    def __init__(self, *args, env: dict | None = None):
        import pty

        self._master, slave = pty.openpty()
        try:
            self.proc = subprocess.Popen(argv(*args), stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         env={**os.environ, **(env or {})})
        finally:
            os.close(slave)
        self.shown = b""

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """What stdout printed up to `text` (fails if the process ends or `timeout` passes first)."""
        import select
        import time

        fd = self.proc.stdout.fileno()
        ends = time.monotonic() + timeout
        while text.encode() not in self.shown:
            left = ends - time.monotonic()
            if left <= 0:
                self.proc.kill()
                raise AssertionError(f"no {text!r} within {timeout} s; printed: {self.shown.decode(errors='replace')}")
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise AssertionError(f"ended before printing {text!r}: {self.shown.decode(errors='replace')}")
                self.shown += chunk
        return self.shown.decode(errors="replace")

    def type(self, text: str) -> None:
        os.write(self._master, text.encode())

    def finish(self, timeout: float = 120) -> Result:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        finally:
            os.close(self._master)
        return Result(self.proc.returncode, (self.shown + out).decode(errors="replace"), err.decode(errors="replace"))


def run_crashing(point: str, *args, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The installed `cliper-sched ARGS`, SIGKILLed the N-th time it reaches crash point KIND:N."""
    python = Path(argv()[0]).with_name("python")
    return subprocess.run([str(python), str(Path(__file__).with_name("crash_run.py")), point, *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},)
