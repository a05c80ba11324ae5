"""The README tells the truth.

- its test command is the line `.ci/run` runs;
- every `cliper-sched <command>` it shows exists, and every `--flag` it mentions
  is in that command's `--help` (flags belong to the command on the same line,
  else to the command of the section they appear in);
- its exit-code table is `planner/errors.py`;
- the files and links it names exist;
- `sh examples/quickstart.sh` runs end to end against a sandbox in a temp dir;
- the example outputs it shows (plan command, validate, diff, drift, the plan
  file) are what the commands really print, replayed against the sandbox with
  the dates moved to next year so the examples never go stale.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
import requests
import yaml

from planner import errors
from planner.cli import COMMANDS
from planner.postiz.diagnose import CHECK_NAMES
from planner.sandbox.app import CONTROL
from support.cli import argv as cliper_sched
from support.reconcile_helpers import MP4
from support.sandbox import running_sandbox
from support.workspaces import make_workspace

REPO = Path(__file__).resolve().parent.parent
README_PATH = REPO / "README.md"
README = README_PATH.read_text(encoding="utf-8")
VIDEO = "Tech Tertulia Ep 12 - Bases de datos sin miedo_h7KqZ2mWx9E"
# The README's examples are dated 2026; replays use next year so they stay in the future.
README_YEAR = "2026"
FUTURE_YEAR = str(date.today().year + 1)

# --- Reading the README -------------------------------------------------------------------


def sections() -> dict[str, str]:
    """Heading text -> body, for `##` and `###` headings (fenced code does not split)."""
    result, heading, body, fenced = {}, "", [], False
    for line in README.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and re.match(r"#{2,3} ", line):
            result[heading] = "\n".join(body)
            heading, body = line.lstrip("#").strip(), []
        else:
            body.append(line)
    result[heading] = "\n".join(body)
    return result


def section(prefix: str) -> str:
    matches = [body for heading, body in sections().items() if heading.startswith(prefix)]
    assert len(matches) == 1, f"README: expected one section starting with {prefix!r}"
    return matches[0]


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block."""
    return [(m[1], m[2]) for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.M | re.S)]


def block_after(text: str, marker: str) -> str:
    """The first fenced block after `marker`."""
    return fenced_blocks(text[text.index(marker):])[0][1]


def without_output_blocks(text: str) -> str:
    """The text without fenced blocks that have no language (example outputs)."""
    return re.sub(r"^```(\w*)\n.*?^```", lambda m: m[0] if m[1] else "", text, flags=re.M | re.S)


def joined_lines(text: str) -> list[str]:
    """Lines with shell continuations (`\\` at the end) joined."""
    return text.replace("\\\n", " ").splitlines()


# --- What the commands accept ---------------------------------------------------------------

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
COMMAND_USE = re.compile(r"cliper-sched\s+([a-z][a-z_-]*)")
# Where a command's arguments end on a line: shell operators, a code span, a comment.
END_OF_ARGS = re.compile(r"`|&&|;|\s#|\||>|\(|\)")
SECTION_COMMANDS = {
    "plan": "plan", "validate": "validate", "diff": "diff", "apply": "apply",
    "destroy": "destroy", "import": "import", "pull": "pull", "channels": "channels",
    "doctor": "doctor", "sandbox": "sandbox",
}
# Flags of other programs the README shows, with the program.
FOREIGN_FLAGS = {"--profile": "docker compose"}


@cache
def help_text(command: str) -> str:
    result = subprocess.run([*cliper_sched(), command, "--help"], capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "200"}, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def flags_of(command: str) -> set[str]:
    return set(FLAG.findall(help_text(command)))


def command_spans(line: str) -> list[tuple[str, str, int, int]]:
    """(command, its arguments, start, end) of every `cliper-sched <command> ...` on a line."""
    spans = []
    for match in COMMAND_USE.finditer(line):
        stop = END_OF_ARGS.search(line, match.end())
        end = stop.start() if stop else len(line)
        spans.append((match[1], line[match.end():end], match.start(), end))
    return spans


def command_uses(line: str) -> list[tuple[str, str]]:
    return [(command, args) for command, args, _, _ in command_spans(line)]


def outside_command_uses(line: str) -> str:
    """The line without its `cliper-sched <command> ...` parts."""
    for _, _, start, end in reversed(command_spans(line)):
        line = line[:start] + " " + line[end:]
    return line


def test_every_command_shown_in_code_exists():
    code = [body for language, body in fenced_blocks(README) if language in ("sh", "")]
    code += re.findall(r"`([^`\n]+)`", README)
    unknown = set()
    for text in code:
        for line in joined_lines(text):
            if line.startswith("cliper-sched will perform"):  # diff output, not a command
                continue
            unknown |= {cmd for cmd, _ in command_uses(line) if cmd not in COMMANDS}
    assert not unknown, f"README shows commands that do not exist: {sorted(unknown)}"


def test_flags_on_a_command_line_are_in_that_commands_help():
    wrong = []
    for number, line in enumerate(joined_lines(README), 1):
        for command, args in command_uses(line):
            if command not in COMMANDS:
                continue
            for flag in FLAG.findall(args):
                if flag not in flags_of(command):
                    wrong.append(f"README: `cliper-sched {command} ... {flag}` (near line {number})")
    assert not wrong, "flags the command does not have:\n" + "\n".join(wrong)


def test_flags_in_a_command_section_are_in_that_commands_help():
    wrong = []
    for heading, body in sections().items():
        command = SECTION_COMMANDS.get(re.split(r"[:\s]", heading)[0])
        if not command:
            continue
        # Example outputs quote other commands' flags in cliper-sched's own words
        # (the replay tests below check those outputs); prose and commands are checked here.
        body = without_output_blocks(body)
        for line in joined_lines(body):
            # Flags in a `cliper-sched other ...` part are checked against `other` above.
            for flag in FLAG.findall(outside_command_uses(line)):
                if flag not in flags_of(command) and flag not in FOREIGN_FLAGS:
                    wrong.append(f"section '{heading}': {flag} is not in `cliper-sched {command} --help`")
    assert not wrong, "\n".join(wrong)


def test_every_flag_in_the_readme_belongs_to_some_command():
    known = set().union(*(flags_of(command) for command in COMMANDS)) | set(FOREIGN_FLAGS)
    unknown = set()
    for line in README.splitlines():
        # A benchmark's flags belong to its script.
        scripts = re.findall(r"bench/\w+\.py", line)
        for flag in set(FLAG.findall(line)) - known:
            if not any(flag in (REPO / script).read_text(encoding="utf-8") for script in scripts):
                unknown.add(flag)
    assert not unknown, f"README mentions flags no command has: {sorted(unknown)}"


def test_connection_settings_are_on_every_command_that_talks_to_postiz():
    body = section("Connecting to Postiz")
    first_paragraph = body.strip().split("\n\n")[0]
    commands = re.findall(r"`([a-z]+)`", first_paragraph)
    assert {"diff", "apply", "channels", "doctor"} <= set(commands)
    table = [line for line in body.splitlines() if line.startswith("| ") and "`--" in line]
    assert table, "the settings table is missing"
    missing = []
    for row in table:
        for flag in FLAG.findall(row):
            missing += [f"{command} {flag}" for command in commands if flag not in flags_of(command)]
        for variable in re.findall(r"`([A-Z][A-Z0-9_]+)`", row):
            missing += [f"{command} {variable}" for command in commands
                        if variable not in help_text(command)]
    assert not missing, f"README's connection settings missing from --help: {missing}"


# --- Test command, exit codes, paths ------------------------------------------------------


def test_readme_test_command_is_what_ci_runs():
    quick_start = section("Quick start")
    marker = "CI runs exactly this line"
    assert marker in quick_start
    shown = block_after(quick_start, marker).strip()
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()
                if "pytest" in line and not line.lstrip().startswith("#")]
    assert ci_lines == [shown], f".ci/run runs {ci_lines}, the README says {shown!r}"


def test_exit_code_table_matches_errors_py():
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", section("Exit codes"), re.M)
    table = {int(code): meaning for code, meaning in rows}
    defined = {name: value for name, value in vars(errors).items() if name.startswith("EXIT_")}
    assert sorted(table) == sorted(defined.values()), (
        f"README exit codes {sorted(table)} != planner/errors.py {sorted(defined.values())}"
    )
    # Each row says what the constant means.
    words = {"EXIT_OK": "success", "EXIT_ERROR": "error", "EXIT_CHANGES": "--detailed-exitcode",
             "EXIT_BUDGET": "rate-limit", "EXIT_PARTIAL": "refused", "EXIT_INTERRUPTED": "Ctrl-C"}
    assert set(words) == set(defined), "a new exit code needs a README row and a word here"
    for name, word in words.items():
        assert word in table[defined[name]], f"README exit code {defined[name]} ({name}) should mention {word!r}"


def test_files_and_links_the_readme_names_exist():
    named = set(re.findall(r"\]\(((?!https?:|#)[^)]+)\)", README))
    named |= set(re.findall(r"`((?:planner|schemas|examples|bench|docs|tests|dynamicconfig)/[^`\s*<>]+)`", README))
    named |= {name for name in ("docker-compose.yml", ".env.example") if f"`{name}`" in README}
    missing = sorted(path for path in named if not (REPO / path).exists())
    assert not missing, f"README names files that do not exist: {missing}"


def test_required_topics_are_documented():
    for text in ("state.json", "never holds a secret", "--ca-bundle", "REQUESTS_CA_BUNDLE",
                 "POSTIZ_API_KEY_FILE", "/_sandbox/", "bench/bench_plan.py", "bench/bench_client.py",
                 "bench/bench_apply.py", "docs/reliability.md"):
        assert text in README, f"README should document {text}"


def test_sandbox_controls_the_readme_lists_are_routes():
    rows = [line for line in section("sandbox").splitlines() if "/_sandbox/" in line and line.startswith("| ")]
    assert rows
    adapter = CONTROL.bind("sandbox")
    for row in rows:
        cell = row.split("|")[1]
        for methods, path in re.findall(r"`([A-Z/]+) (/_sandbox/[^`]+)`", cell):
            for method in methods.split("/"):
                concrete = path.replace("<id>", "x1")
                assert adapter.test(concrete, method), f"README: {method} {path} is not a sandbox route"
        for path in re.findall(r"`(/_sandbox/[^`\s]+)`", cell):  # a path named alone is a POST
            assert adapter.test(path.replace("<id>", "x1"), "POST"), f"README: {path} is not a sandbox route"


# --- Running what the README shows ----------------------------------------------------------


def cli_env(tmp_path: Path, sandbox=None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTIZ_", "CLIPER_"))}
    env.update(NO_COLOR="1", CLIPER_SCHED_CACHE_DIR=str(tmp_path / "cache"), PYTHONIOENCODING="utf-8")
    if sandbox is not None:
        env.update(POSTIZ_API_URL=sandbox.api_url, POSTIZ_API_KEY=sandbox.api_key)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([*cliper_sched(), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


POST_ID = re.compile(r"\bc[a-z0-9]{24}\b")


def readme_plan_args(workspace: Path) -> list[str]:
    """The README's example `plan` command, on `workspace`, dated next year."""
    command = block_after(section("plan: from CLIPER output"), "With flags").replace(README_YEAR, FUTURE_YEAR)
    args = shlex.split(command.replace("\\\n", " "))
    assert args[:3] == ["cliper-sched", "plan", "~/cliper"], args
    return [str(workspace), *args[3:]]


def readme_captions() -> dict[int, str]:
    """Clip 1's caption from the README's plan file; clip 3's as far as its drift example shows it."""
    plan = yaml.safe_load(block_after(section("The plan file"), "```yaml"))
    drift = block_after(section("diff"), "a caption was changed in the dashboard")
    clip3 = re.search(r'content: "([^"]+)…"', drift)[1]
    return {1: plan["posts"][0]["caption"], 3: clip3 + "o cazas con el log del ORM #ORM"}


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    """The README's ep12 story against a sandbox: plan, apply; then the edits it shows."""
    home = tmp_path_factory.mktemp("home")
    make_workspace(home / "cliper", video_id=VIDEO, clips=12, captions=readme_captions())
    (home / "plans").mkdir()
    with running_sandbox(home) as sandbox:
        env = cli_env(home, sandbox)
        planned = run(["plan", *readme_plan_args(home / "cliper")], home, env)
        assert planned.returncode == 0, planned.stderr
        plan = home / "plans" / "ep12.yaml"
        original = plan.read_text(encoding="utf-8")
        doctor_before_apply = run(["doctor"], home, env)
        applied = run(["apply", "plans/ep12.yaml", "--auto-approve"], home, env)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        home.joinpath("doctor.out").write_text(doctor_before_apply.stdout, encoding="utf-8")
        assert doctor_before_apply.returncode == 0, doctor_before_apply.stdout + doctor_before_apply.stderr
        yield home, env, sandbox, original


def test_plan_command_shown_writes_the_plan_shown(replay):
    home, env, _, original = replay
    shown = block_after(section("The plan file"), "```yaml").replace(README_YEAR, FUTURE_YEAR)
    # The README's copy is the real output plus marked hand edits and explanations on the right.
    hand_made = re.compile(r"\s+# (?!.*cliper-sched|first post|made by|Review).*$")
    # The id hashes the whole plan, dates included (the README's year is moved to the future here).
    plan_id = re.compile(r"^id: p[0-9a-f]{15}$")
    real_lines = {plan_id.sub("id: <16 hex>", line) for line in lines(original)}
    assert "id: <16 hex>" in real_lines
    shown_lines = [plan_id.sub("id: <16 hex>", hand_made.sub("", line)) for line in lines(shown)]
    in_hand_edits = False
    for line in shown_lines:
        if line.startswith(("channels:", "  overrides:")):
            in_hand_edits = True  # the two blocks marked "added by hand"
        elif in_hand_edits and not line.startswith("    ") and not line.startswith("  youtube"):
            in_hand_edits = False
        if in_hand_edits or not line or line.startswith("# …") or "sha256:" in line:
            continue  # hand edits; sha256 of the real clip differs from the test workspace's
        assert line in real_lines, f"README plan file shows {line!r}, which `plan` does not write"


def test_rules_file_example_plans_and_validates(replay):
    home, env, _, _ = replay
    rules = block_after(section("plan: from CLIPER output"), "says what flags cannot")
    (home / "rules.yaml").write_text(rules, encoding="utf-8")
    planned = run(["plan", "cliper", "--video", VIDEO, "--rules", "rules.yaml", "--name", "ep12",
                   "-o", "plans/rules.yaml"], home, env)
    assert planned.returncode == 0, planned.stderr
    checked = run(["validate", "plans/rules.yaml"], home, env)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_validate_example_is_real(replay, tmp_path):
    home, env, _, original = replay
    body = section("validate")
    shown = block_after(body, "after moving").replace("2025", str(int(FUTURE_YEAR) - 2))
    past = str(int(FUTURE_YEAR) - 2)
    clip3_at = re.findall(r'at: "([^"]+)"', original)[2]
    edited = original.replace(f'at: "{clip3_at}"', f'at: "{past}-12-01T17:00:00-06:00"', 1)
    (home / "plans" / "past.yaml").write_text(edited, encoding="utf-8")
    result = run(["validate", "plans/past.yaml"], home, env)
    assert result.returncode == 1
    assert lines(result.stderr + result.stdout) == lines(shown.replace("plans/ep12.yaml", "plans/past.yaml"))


def test_diff_example_is_real(replay):
    home, env, _, original = replay
    plan = home / "plans" / "ep12.yaml"
    # "after moving clip 2 to 10:00 the next morning and deleting clip 12 from the plan"
    # (not 09:00: clip 7 is there, and two posts on one channel in one minute are refused)
    clip2_at = re.findall(r'at: "([^"]+)"', original)[1]
    moved = datetime.fromisoformat(clip2_at) + timedelta(days=1)
    moved = moved.replace(hour=10, minute=0).isoformat()
    edited = original.replace(f'at: "{clip2_at}"', f'at: "{moved}"', 1)
    edited = edited[: edited.index("\n- key: clip-12")].rstrip("\n") + "\n"
    plan.write_text(edited, encoding="utf-8")
    try:
        result = run(["diff", "plans/ep12.yaml"], home, env)
    finally:
        plan.write_text(original, encoding="utf-8")
    assert result.returncode == 0, result.stderr
    shown = block_after(section("diff"), "deleting clip 12 from the plan").replace(README_YEAR, FUTURE_YEAR)
    assert lines(POST_ID.sub("ID", result.stdout)) == lines(POST_ID.sub("ID", shown))


def test_drift_example_and_the_sandbox_control_it_uses_are_real(replay):
    home, env, sandbox, original = replay
    state = yaml.safe_load((home / "plans" / "ep12.state.json").read_text(encoding="utf-8"))
    post_id = state["posts"]["clip-03@tiktok-main"]["post_id"]
    shown = block_after(section("diff"), "a caption was changed in the dashboard")
    new_content = re.search(r'→ "([^"]+)"', shown)[1]
    # The README's curl example, as a tester runs it.
    curl = block_after(section("sandbox"), "to try drift")
    assert "/_sandbox/posts/" in curl and "/dashboard-edit" in curl and '"content"' in curl
    edit = requests.post(f"{sandbox.base_url}/_sandbox/posts/{post_id}/dashboard-edit",
                         json={"content": new_content}, timeout=10)
    assert edit.status_code == 200
    result = run(["diff", "plans/ep12.yaml"], home, env)
    assert result.returncode == 0, result.stderr
    assert lines(POST_ID.sub("ID", result.stdout)) == lines(POST_ID.sub("ID", shown))


def test_doctor_example_output_is_real(replay):
    home = replay[0]

    def normal(text: str) -> list[str]:
        text = re.sub(r"127\.0\.0\.1:\d+", "HOST", text)
        text = re.sub(r"\(\d+ ms\)", "(N ms)", text)
        return lines(re.sub(r"\d\d:\d\d:\d\d UTC", "HH:MM:SS UTC", text))

    shown = block_after(section("doctor"), "| `clock` |")
    assert normal((home / "doctor.out").read_text(encoding="utf-8")) == normal(shown)


def test_doctor_checks_table_is_doctors_order(replay):
    home, env, _, _ = replay
    result = run(["doctor", "--json"], home, env)
    assert result.returncode == 0, result.stdout + result.stderr
    names = [check["name"] for check in json.loads(result.stdout)["checks"]]
    table = re.findall(r"^\| `([a-z-]+)` \|", section("doctor"), re.M)
    # Every check doctor can give (`transport` only shows for clear-text http to
    # another machine), in doctor's order; the run above gives them in that order.
    assert table == list(CHECK_NAMES), f"README doctor table {table} != doctor's checks {CHECK_NAMES}"
    assert names == [name for name in CHECK_NAMES if name in names]


@pytest.mark.slow
def test_quickstart_runs_end_to_end(tmp_path):
    quick_start = section("Quick start")
    assert "sh examples/quickstart.sh" in quick_start
    work = tmp_path / "qs"
    env = {**cli_env(tmp_path), "QUICKSTART_DIR": str(work), "PYTHON": sys.executable}
    result = subprocess.run(["sh", "examples/quickstart.sh"], cwd=REPO, env=env, capture_output=True,
                            text=True, encoding="utf-8", timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    steps = [step for step in result.stdout.split("==> ") if step.strip()]
    first_apply = next(step for step in steps if "first run" in step.splitlines()[0])
    second_apply = next(step for step in steps if "second run" in step.splitlines()[0])
    final_diff = steps[-1].split("\nDone:")[0]
    assert re.search(r"Apply complete! [1-9]\d* added, 0 changed, 0 destroyed\.", first_apply)
    assert lines(second_apply)[-1] == "No changes. Postiz matches the plan."
    assert final_diff.splitlines()[0].startswith("cliper-sched diff")
    assert lines(final_diff)[-1] == "No changes. Postiz matches the plan."
    # Everything stayed in QUICKSTART_DIR, the key was never printed, the sandbox is gone.
    assert (work / "plans" / "example.state.json").is_file()
    key = (work / "api-key").read_text()
    assert key not in result.stdout + result.stderr
    port = int(re.search(r"on port (\d+)", result.stdout)[1])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "quickstart left the sandbox running"


def test_plan_through_a_shell_redirect_is_relative_to_the_plan_folder(tmp_path):
    """The README says `>` works like -o for source.workspace; check it does."""
    make_workspace(tmp_path / "cliper", video_id=VIDEO, clips=2)
    (tmp_path / "schedules" / "plans").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = cli_env(tmp_path)
    with open(tmp_path / "schedules" / "plans" / "ep.yaml", "w") as out:
        planned = subprocess.run([*cliper_sched(), "plan", str(tmp_path / "cliper"), "--start", "2031-01-05 10:00",
                                  "--interval", "4h", "--channels", "x-main"], stdout=out, stderr=subprocess.PIPE,
                                 text=True, cwd=elsewhere, env=env, timeout=120)
    assert planned.returncode == 0, planned.stderr
    doc = yaml.safe_load((tmp_path / "schedules" / "plans" / "ep.yaml").read_text("utf-8"))
    assert doc["source"]["workspace"] == "../../cliper"
    assert "with `>` too, when the shell redirects into a file" in section("plan: from CLIPER output")


def test_what_the_sandbox_writes_is_ignored_by_git(tmp_path):
    """The README's sandbox writes a db, its WAL files and uploads beside it: none belongs in git."""
    from support.sandbox import SandboxProcess

    data = tmp_path / "sandbox-files"
    data.mkdir()
    with SandboxProcess(data / "sandbox.db") as sb:
        upload = requests.post(sb.api_url + "/public/v1/upload", headers={"Authorization": sb.api_key},
                               files={"file": ("a.mp4", MP4, "video/mp4")}, timeout=30)
        assert upload.status_code == 201, upload.text
        written = [p.relative_to(data).as_posix() for p in data.rglob("*")
                   if p.is_file() and p != sb.log]  # the log is this test helper's
    assert any(name.endswith("-wal") for name in written) or any("-uploads/" in n for n in written)
    for name in written:
        ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "--no-index", "-q", name])
        assert ignored.returncode == 0, f"{name} (written by the sandbox) is not in .gitignore"
