"""The command line as a script sees it: versions, help, exit codes of usage errors."""

from __future__ import annotations

import os
import subprocess

import pytest

from planner import __version__
from planner.cli import COMMANDS
from support.cli import argv as cliper_sched


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cliper_sched(), *args], capture_output=True, text=True, timeout=60)


def test_version_is_printed():
    result = _run("--version")
    assert result.returncode == 0 and __version__ in result.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_useful_help(name):
    result = _run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert f"Usage: cliper-sched {name}" in result.stdout
    # A short description, not just the option list.
    assert len(result.stdout.split("Options:")[0].strip().splitlines()) >= 2


def test_a_mistyped_flag_exits_1_not_2():
    """2 means 'changes pending' for `diff --detailed-exitcode`; a typo must not look like that."""
    result = _run("diff", "--detailed-exitcod", "plans/x.yaml")
    assert result.returncode == 1
    assert "No such option" in result.stderr and "Traceback" not in result.stderr


def test_unknown_command_exits_1():
    result = _run("aply")
    assert result.returncode == 1 and "No such command" in result.stderr


@pytest.mark.parametrize("typo, meant", [("plna", "plan"), ("aplly", "apply"), ("imprt", "import"),
                                         ("dif", "diff")])
def test_a_mistyped_command_gets_the_closest_one(typo, meant):
    result = _run(typo)
    assert result.returncode == 1
    assert f"No such command '{typo}'. Did you mean '{meant}'?" in result.stderr


def test_a_command_far_from_any_gets_no_guess():
    result = _run("frobnicate")
    assert result.returncode == 1 and "Did you mean" not in result.stderr


def test_shell_completion_works_from_the_installed_command():
    """Completion runs the console script with no subcommand: it crashed with the rest."""
    env = {**os.environ, "_CLIPER_SCHED_COMPLETE": "bash_source"}
    source = subprocess.run(cliper_sched(), capture_output=True, text=True, timeout=60, env=env)
    assert source.returncode == 0 and "complete " in source.stdout, source.stderr
    env = {**os.environ, "_CLIPER_SCHED_COMPLETE": "bash_complete", "COMP_WORDS": "cliper-sched pl",
           "COMP_CWORD": "1"}
    words = subprocess.run(cliper_sched(), capture_output=True, text=True, timeout=60, env=env)
    assert words.returncode == 0 and "plain,plan" in words.stdout.splitlines(), words.stdout + words.stderr


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["frobnicate"]])
def test_an_early_exit_leaves_the_cycle_collector_on_for_an_in_process_caller(argv):
    """main() pauses the cycle collector while a command's modules load. --version,
    --help and usage errors end before any loads: a caller that goes on in the same
    process (a fork server, a wrapper script) must find collection as it was."""
    import gc

    from planner import cli

    assert gc.isenabled()
    with pytest.raises(SystemExit):
        cli.main(argv)
    assert gc.isenabled()
