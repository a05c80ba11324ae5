"""The CI recipes in examples/ci/ are valid CI files and do what a team needs (issue 13).

- each validates against its CI's published schema (tests/data/ci-schemas/, vendored from
  check-jsonschema: see the README there);
- the behaviours that matter are in them: applies serialised per repository, a schedule
  that resumes after exit 3 (pending, not failed), `--detailed-exitcode` on the diff,
  secrets only from the CI secret store and never echoed;
- their shell steps, run with bash against a stand-in `cliper-sched` that exits with the
  codes a test chooses, react to each exit code as documented; the GitLab note and change
  set scripts run against a fake GitLab API, the GitHub comment script against a fake
  octokit (with node);
- every `cliper-sched ...` line they hold uses flags the installed command has.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest
import yaml

from planner.cli import COMMANDS
from support.cli import completed

REPO = Path(__file__).resolve().parent.parent
CI = REPO / "examples" / "ci"
SCHEMAS = Path(__file__).resolve().parent / "data" / "ci-schemas"
RECIPES = {"github": ("github-actions.yml", "github-workflows.json"),
           "gitlab": ("gitlab-ci.yml", "gitlab-ci.json")}
SECRETS = ("POSTIZ_API_KEY", "POSTIZ_API_URL", "CLIPER_SCHED_GITLAB_TOKEN")

# Flags and commands the recipes use that other work in progress is adding (issue 13's
# interface). Only these may be missing from `--help`, and then the check skips saying so;
# any other missing flag is a recipe drifting from the tool, and fails.
PENDING = {
    ("diff", "--format"): "`diff --format markdown` (the PR comment)",
    ("diff", "--out"): "`diff --out FILE` (the saved change set)",
    ("apply", "--lock-timeout"): "`apply --lock-timeout` (wait for another run on one machine)",
    ("status", None): "the `status` command",
    ("status", "--format"): "`status --format markdown`",
}


# --- Reading the recipes --------------------------------------------------------------------


class CiLoader(yaml.SafeLoader):
    """YAML as the CIs read it: YAML 1.2 booleans only (PyYAML's 1.1 rules would turn
    GitHub's `on:` key into True), and GitLab's `!reference [job, key]` as a list."""


CiLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CiLoader.add_implicit_resolver("tag:yaml.org,2002:bool",
                               re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
CiLoader.add_constructor("!reference", lambda loader, node: loader.construct_sequence(node))


def text(ci: str) -> str:
    return (CI / RECIPES[ci][0]).read_text(encoding="utf-8")


def load(ci: str) -> dict:
    return yaml.load(text(ci), Loader=CiLoader)


def schema_errors(ci: str, document: dict) -> list[str]:
    schema = json.loads((SCHEMAS / RECIPES[ci][1]).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)  # the draft the schema declares
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return [f"{error.json_path}: {error.message[:300]}" for error in validator.iter_errors(document)]


def github_step(job: str, name: str) -> dict:
    steps = load("github")["jobs"][job]["steps"]
    matches = [step for step in steps if step.get("name") == name]
    assert len(matches) == 1, f"github-actions.yml: job {job} should have one step named {name!r}"
    return matches[0]


def shell_scripts(ci: str) -> list[str]:
    """Every shell script the recipe runs."""
    doc = load(ci)
    if ci == "github":
        return [step["run"] for job in doc["jobs"].values() for step in job["steps"] if "run" in step]
    scripts = []
    for job in doc.values():
        if isinstance(job, dict):
            for key in ("before_script", "script", "after_script"):
                scripts += job.get(key, [])
    return scripts


# --- Valid for their CI -----------------------------------------------------------------------


@pytest.mark.parametrize("ci", RECIPES)
def test_recipe_validates_against_its_ci_schema(ci):
    errors = schema_errors(ci, load(ci))
    assert not errors, f"examples/ci/{RECIPES[ci][0]} does not validate:\n" + "\n".join(errors)


@pytest.mark.parametrize("ci", RECIPES)
def test_the_schema_check_refuses_a_broken_recipe(ci):
    """The check above can fail: a typo'd key and a wrong type are caught."""
    doc = copy.deepcopy(load(ci))
    if ci == "github":
        doc["jobs"]["apply"]["runs_on"] = doc["jobs"]["apply"].pop("runs-on")
        doc["jobs"]["diff"]["timeout-minutes"] = "a quarter of an hour"
    else:
        doc["cliper-sched-apply"]["allow_failure"] = {"exit_codes": "three"}
        doc["cliper-sched-diff"]["artifacts"]["when"] = "sometimes"
    assert len(schema_errors(ci, doc)) >= 2


@pytest.mark.parametrize("ci", RECIPES)
def test_vendored_schema_is_the_published_one(ci):
    # Unchanged from check-jsonschema's copy: its checksum is the one the README there records.
    digest = hashlib.sha256((SCHEMAS / RECIPES[ci][1]).read_bytes()).hexdigest()
    assert digest in (SCHEMAS / "README.md").read_text(encoding="utf-8")


def test_gitlab_recipe_needs_no_reference_tag():
    # `!reference` needs a loader that knows it; plain YAML keeps the recipe easy to lint.
    assert "!reference" not in text("gitlab")


# --- What the recipes must do ---------------------------------------------------------------


def test_github_applies_one_run_at_a_time_per_repository_never_cancelled():
    apply = load("github")["jobs"]["apply"]
    assert apply["concurrency"] == {"group": "cliper-sched-${{ github.repository }}",
                                    "cancel-in-progress": False}
    assert "concurrency" not in load("github"), "PR diffs need not wait for applies"


def test_github_triggers():
    on = load("github")["on"]
    assert "plans/**" in on["pull_request"]["paths"]
    assert on["push"]["branches"] == ["main"]
    assert on["schedule"][0]["cron"].startswith("*/"), "applies resume on a schedule"
    assert "workflow_dispatch" in on
    jobs = load("github")["jobs"]
    assert jobs["diff"]["if"] == "github.event_name == 'pull_request'"
    assert "github.event_name != 'pull_request'" in jobs["apply"]["if"]


def test_github_permissions_are_minimal():
    doc = load("github")
    assert doc["permissions"] == {}
    assert doc["jobs"]["diff"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert all(level == "read" for level in doc["jobs"]["apply"]["permissions"].values())


def test_gitlab_applies_one_job_at_a_time_and_resumes_on_the_schedule():
    doc = load("gitlab")
    apply, diff = doc["cliper-sched-apply"], doc["cliper-sched-diff"]
    assert apply["resource_group"] == "cliper-sched"
    assert apply["allow_failure"] == {"exit_codes": [3]}, "exit 3 is pending, not failed"
    condition = apply["rules"][0]["if"]
    assert "$CI_DEFAULT_BRANCH" in condition and "schedule" in condition and "push" in condition
    assert diff["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    assert diff["cache"]["policy"] == "pull", "a merge request must not write main's cache"
    assert apply["cache"]["when"] == "always", "the budget spent is remembered after exit 3"


@pytest.mark.parametrize("ci", RECIPES)
def test_the_pull_request_diff_labels_changes_with_the_detailed_exit_code(ci):
    diffs = [line for script in shell_scripts(ci) for line in script.splitlines()
             if re.search(r"cliper-sched diff .*--format markdown", line)]
    assert len(diffs) == 1 and "--detailed-exitcode" in diffs[0]
    assert "schedule-changes" in text(ci)


def test_github_secrets_reach_only_the_steps_that_talk_to_postiz():
    doc = load("github")
    assert "secrets." not in json.dumps({k: v for k, v in doc.items() if k != "jobs"})
    for job_name, job in doc["jobs"].items():
        assert "secrets." not in json.dumps(job.get("env", {})), f"job {job_name}: secrets in job env"
        for step in job["steps"]:
            env = step.get("env", {})
            for name in ("POSTIZ_API_KEY", "POSTIZ_API_URL"):
                if name in env:
                    assert env[name] == "${{ secrets." + name + " }}"
            # Secrets go through env, never pasted into a script or an action's input.
            assert "secrets." not in json.dumps({k: v for k, v in step.items() if k != "env"})
            uses_postiz = re.search(r"cliper-sched (diff|apply|status)", step.get("run", "")) is not None
            assert uses_postiz == ("POSTIZ_API_KEY" in env), f"step {step.get('name', step.get('uses'))}"


def test_gitlab_secrets_come_only_from_ci_cd_variables():
    doc = load("gitlab")
    defined = set(doc.get("variables", {}))
    for job in doc.values():
        if isinstance(job, dict):
            defined |= set(job.get("variables", {}))
    assert not defined & set(SECRETS), "secrets belong in Settings -> CI/CD -> Variables"


@pytest.mark.parametrize("ci", RECIPES)
def test_no_script_prints_a_secret(ci):
    for script in shell_scripts(ci):
        for line in script.splitlines():
            assert not re.search(r"\bset\s+-[a-z]*x|\bprintenv\b|^\s*env\s*$", line), line
            if any(name in line for name in SECRETS):
                assert not re.search(r"\b(echo|printf|print|cat)\b", line), f"may print a secret: {line}"


# --- The scripts, run -----------------------------------------------------------------------

STUB = """#!{python}
import json, os, sys
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
codes = json.loads(os.environ.get("STUB_CODES", "{{}}"))
args = sys.argv[1:]
if "--out" in args:
    open(args[args.index("--out") + 1], "w").write('{{"saved": true}}')
print("stub output of", *args)
sys.exit(codes.get(" ".join(args[:2]), 0))
"""


class Shell:
    """A recipe script run by bash (-eo pipefail, as both CIs do) in a temp folder, with a
    stand-in `cliper-sched` on PATH that logs its arguments and exits as told."""

    def __init__(self, tmp_path: Path):
        self.cwd = tmp_path / "work"
        self.cwd.mkdir()
        bindir = tmp_path / "bin"
        bindir.mkdir()
        stub = bindir / "cliper-sched"
        stub.write_text(STUB.format(python=sys.executable), encoding="utf-8")
        stub.chmod(0o755)
        self.log = tmp_path / "calls.log"
        self.output = tmp_path / "github_output"
        self.summary = tmp_path / "summary.md"
        self.env = {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "STUB_LOG": str(self.log),
                    "GITHUB_OUTPUT": str(self.output), "GITHUB_STEP_SUMMARY": str(self.summary),
                    "HOME": str(tmp_path)}

    def run(self, script: str, codes: dict[str, int] | None = None, **env) -> subprocess.CompletedProcess:
        for path in (self.log, self.output, self.summary):
            path.write_text("", encoding="utf-8")
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                              cwd=self.cwd, capture_output=True, text=True, timeout=60,
                              env={**self.env, "STUB_CODES": json.dumps(codes or {}), **env})

    def calls(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()

    def outputs(self) -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.output.read_text(encoding="utf-8").splitlines())


@pytest.fixture
def shell(tmp_path):
    return Shell(tmp_path)


APPLY_SAVED = "apply changes.json --auto-approve --no-wait --lock-timeout 5m"
APPLY_PLANS = "apply plans/ --auto-approve --no-wait --lock-timeout 5m"


def test_github_pr_diff_with_changes_does_not_fail_and_saves_the_change_set(shell):
    script = github_step("diff", "Diff")["run"]
    result = shell.run(script, {"diff plans/": 2})
    assert result.returncode == 0, result.stderr
    assert shell.outputs()["exitcode"] == "2"
    # One computation: the comment and the saved change set cannot disagree.
    assert shell.calls() == ["diff plans/ --format markdown --detailed-exitcode --out changes.json"]
    assert (shell.cwd / "diff.md").read_text().startswith("stub output of diff")
    assert (shell.cwd / "changes.json").exists()
    # No changes, or an error: the step goes on; the outcome is recorded for the next steps.
    for code in (0, 1):
        assert shell.run(script, {"diff plans/": code}).returncode == 0
        assert shell.outputs()["exitcode"] == str(code)
        assert len(shell.calls()) == 1


def test_github_pr_job_fails_on_invalid_plans_or_a_diff_error_not_on_changes():
    condition = github_step("diff", "Fail on errors")["if"]
    assert condition == "steps.validate.outputs.exitcode != '0' || steps.diff.outputs.exitcode == '1'"


@pytest.mark.parametrize(("codes", "expected_calls", "exit_code"), [
    ({}, [APPLY_SAVED], 0),
    # The saved set is refused (plans or Postiz moved): recomputed from the plans.
    ({"apply changes.json": 1, "apply plans/": 0}, [APPLY_SAVED, APPLY_PLANS], 0),
    ({"apply changes.json": 1, "apply plans/": 1}, [APPLY_SAVED, APPLY_PLANS], 1),
    # Budget spent: pending, the job stays green; refused posts fail it.
    ({"apply changes.json": 3}, [APPLY_SAVED], 0),
    ({"apply changes.json": 4}, [APPLY_SAVED], 4),
])
def test_github_apply_step_with_a_saved_change_set(shell, codes, expected_calls, exit_code):
    (shell.cwd / "changes.json").write_text("{}")
    result = shell.run(github_step("apply", "Apply")["run"], codes)
    assert result.returncode == exit_code, result.stdout + result.stderr
    assert shell.calls() == expected_calls
    last = " ".join(expected_calls[-1].split()[:2])  # e.g. "apply plans/"
    assert shell.outputs()["exitcode"] == str(codes.get(last, 0))
    if codes.get("apply changes.json") == 3:
        assert "::notice::Rate-limit budget spent" in result.stdout


def test_github_apply_step_without_a_saved_change_set_applies_the_plans(shell):
    result = shell.run(github_step("apply", "Apply")["run"], {"apply plans/": 3})
    assert result.returncode == 0, "exit 3 is pending, not a failure"
    assert shell.calls() == [APPLY_PLANS]
    assert shell.outputs()["exitcode"] == "3"


def test_github_status_goes_to_the_job_summary_and_says_pending(shell):
    script = github_step("apply", "Status")["run"]
    result = shell.run(script, {"status plans/": 2}, APPLY_EXIT="3")
    assert result.returncode == 0
    assert shell.calls() == ["status plans/ --format markdown"]
    summary = shell.summary.read_text()
    assert "stub output of status" in summary and "Pending" in summary
    assert "::warning::A post failed to publish" in result.stdout


@pytest.mark.parametrize(("codes", "expected_calls", "exit_code"), [
    ({"apply changes.json": 1, "apply plans/": 3}, [APPLY_SAVED, APPLY_PLANS], 3),
    ({"apply changes.json": 4}, [APPLY_SAVED], 4),
    ({}, [APPLY_SAVED], 0),
])
def test_gitlab_apply_script(shell, codes, expected_calls, exit_code):
    (shell.cwd / "changes.json").write_text("{}")
    result = shell.run(load("gitlab")["cliper-sched-apply"]["script"][0], codes,
                       CI_PIPELINE_SOURCE="schedule")
    assert result.returncode == exit_code, result.stdout + result.stderr
    assert shell.calls() == expected_calls + ["status plans/ --format markdown"]
    assert (shell.cwd / "status.md").read_text().startswith("stub output of status")


class FakeGitLab:
    """The few GitLab API routes the recipe calls, in memory: project 7, merged MR !5."""

    def __init__(self, token: str):
        self.token, self.notes, self.labels, self.requests = token, [], [], []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.answer()

            def do_POST(self):
                self.answer()

            def do_PUT(self):
                self.answer()

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                fake.requests.append((self.command, self.path))
                if self.headers.get("PRIVATE-TOKEN") != fake.token:
                    return self.reply(401, {"message": "401 Unauthorized"})
                self.reply(200, fake.route(self.command, self.path.split("?")[0], self.path, body))

            def reply(self, status, data):
                raw = data if isinstance(data, bytes) else json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/v4"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, method, path, full, body):
        mr = "/api/v4/projects/7/merge_requests/5"
        if (method, path) == ("GET", f"{mr}/notes"):
            return self.notes if "page=1" in full else []
        if (method, path) == ("POST", f"{mr}/notes"):
            self.notes.append({"id": len(self.notes) + 1, "body": body["body"]})
            return self.notes[-1]
        if method == "PUT" and path.startswith(f"{mr}/notes/"):
            note = self.notes[int(path.rsplit("/", 1)[1]) - 1]
            note["body"] = body["body"]
            return note
        if (method, path) == ("PUT", mr):
            self.labels.append(body)
            return {}
        return {
            "/api/v4/projects/7/repository/commits/c0ffee/merge_requests": [
                {"iid": 4, "state": "closed", "sha": "old"}, {"iid": 5, "state": "merged", "sha": "head5"}],
            "/api/v4/projects/7/merge_requests/5/pipelines": [
                {"id": 12, "sha": "head5", "status": "failed"}, {"id": 11, "sha": "head5", "status": "success"}],
            "/api/v4/projects/7/pipelines/11/jobs": [
                {"id": 20, "name": "other"}, {"id": 21, "name": "cliper-sched-diff"}],
            "/api/v4/projects/7/jobs/21/artifacts/changes.json": b'{"reviewed": true}',
        }.get(path, {})

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gitlab():
    fake = FakeGitLab("glpat-test-token")
    yield fake
    fake.close()


def gitlab_env(fake: FakeGitLab, **extra) -> dict[str, str]:
    return {"CI_API_V4_URL": fake.url, "CI_PROJECT_ID": "7", "CI_MERGE_REQUEST_IID": "5",
            "CLIPER_SCHED_GITLAB_TOKEN": fake.token, **extra}


def test_gitlab_mr_note_is_posted_once_then_updated_and_labels_follow(shell, gitlab):
    script = load("gitlab")["cliper-sched-diff"]["script"][0]
    env = gitlab_env(gitlab)
    result = shell.run(script, {"diff plans/": 2}, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert shell.calls() == ["validate plans/", "diff plans/ --format markdown --detailed-exitcode --out changes.json"]
    assert len(gitlab.notes) == 1 and "stub output of diff" in gitlab.notes[0]["body"]
    assert gitlab.labels == [{"add_labels": "schedule-changes"}]
    # The next push: no changes any more. Same note, updated; label removed.
    result = shell.run(script, {"diff plans/": 0}, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(gitlab.notes) == 1 and "Merging applies" not in gitlab.notes[0]["body"]
    assert gitlab.labels[-1] == {"remove_labels": "schedule-changes"}
    # Invalid plans: the note says so and the job fails.
    result = shell.run(script, {"validate plans/": 1}, **env)
    assert result.returncode == 1
    assert len(gitlab.notes) == 1 and "do not validate" in gitlab.notes[0]["body"]
    assert gitlab.token not in result.stdout + result.stderr


def test_gitlab_merge_applies_the_change_set_its_merge_request_saved(shell, gitlab):
    script = load("gitlab")["cliper-sched-apply"]["script"][0]
    result = shell.run(script, {}, **gitlab_env(gitlab, CI_PIPELINE_SOURCE="push", CI_COMMIT_SHA="c0ffee"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (shell.cwd / "changes.json").read_text() == '{"reviewed": true}'
    assert shell.calls()[0] == APPLY_SAVED
    # A commit no merge request made: the plans are applied.
    (shell.cwd / "changes.json").unlink()
    result = shell.run(script, {}, **gitlab_env(gitlab, CI_PIPELINE_SOURCE="push", CI_COMMIT_SHA="beef"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No saved change set" in result.stdout and shell.calls()[0] == APPLY_PLANS


GITHUB_SCRIPT_HARNESS = """
const fs = require('fs');
const store = JSON.parse(fs.readFileSync('comments.json', 'utf8'));
const calls = [];
const record = (name) => async (args) => { calls.push([name, args]); return { data: {} }; };
const github = {
  paginate: async () => store,
  rest: { issues: {
    listComments: 'listComments',
    createComment: record('createComment'), updateComment: record('updateComment'),
    addLabels: record('addLabels'),
    removeLabel: async (args) => { calls.push(['removeLabel', args]); const e = new Error('Label does not exist'); e.status = 404; throw e; },
  } },
};
const context = { repo: { owner: 'o', repo: 'r' }, issue: { number: 9 } };
const core = { warning: (m) => calls.push(['warning', m]) };
const script = fs.readFileSync('script.js', 'utf8');
(async () => {
  await new (Object.getPrototypeOf(async function () {}).constructor)('require', 'github', 'context', 'core', script)(
    require, github, context, core);
  console.log(JSON.stringify(calls));
})().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (the GitHub comment script is JavaScript)")
def test_github_comment_is_sticky_and_labels_follow(tmp_path):
    step = github_step("diff", "Comment and label")
    (tmp_path / "script.js").write_text(step["with"]["script"])
    (tmp_path / "harness.js").write_text(GITHUB_SCRIPT_HARNESS)
    (tmp_path / "validate.txt").write_text("1 plan(s): 0 error(s)")
    (tmp_path / "diff.md").write_text("**Plan:** 2 to add")

    def comment(existing: list[dict], validate: str, diff: str) -> list:
        (tmp_path / "comments.json").write_text(json.dumps(existing))
        result = subprocess.run(["node", "harness.js"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                                env={**os.environ, "VALIDATE_EXIT": validate, "DIFF_EXIT": diff})
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    first = comment([], "0", "2")
    assert [name for name, _ in first] == ["createComment", "addLabels"]
    body = first[0][1]["body"]
    assert body.startswith("<!-- cliper-sched diff -->") and "2 to add" in body
    assert first[1][1]["labels"] == ["schedule-changes"]
    # Another bot's comment is left alone; ours is edited.
    others = [{"id": 1, "user": {"type": "Bot"}, "body": "coverage report"},
              {"id": 2, "user": {"type": "Bot"}, "body": body},
              {"id": 3, "user": {"type": "User"}, "body": "<!-- cliper-sched diff --> quoted by a human"}]
    second = comment(others, "0", "0")
    assert [name for name, _ in second] == ["updateComment", "removeLabel"]
    assert second[0][1]["comment_id"] == 2
    third = comment(others, "1", "")
    assert "do not validate" in third[0][1]["body"]


# --- The commands match the installed tool ------------------------------------------------

COMMAND_USE = re.compile(r"cliper-sched\s+([a-z][a-z_-]*)((?:\s+[^\s|&;<>()]+)*)")


def recipe_commands() -> list[tuple[str, str, str]]:
    """(recipe, subcommand, flag or None) for every `cliper-sched ...` in a recipe's scripts."""
    found = set()
    for ci in RECIPES:
        for script in shell_scripts(ci):
            for line in script.replace("\\\n", " ").splitlines():
                line = line.split(" #", 1)[0]
                for command, args in COMMAND_USE.findall(line):
                    found.add((ci, command, None))
                    for token in shlex.split(re.split(r"\s\d?>", args)[0]):
                        if re.fullmatch(r"--[a-z][a-z0-9-]*(=.*)?", token):  # not `-->` of a marker
                            found.add((ci, command, token.split("=", 1)[0]))
    return sorted(found, key=lambda item: (item[0], item[1], item[2] or ""))


@cache
def help_text(command: str) -> str | None:
    if command not in COMMANDS:
        return None
    result = completed(command, "--help", env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_recipes_use_the_commands_the_issue_asks_for():
    used = {(command, flag) for _, command, flag in recipe_commands()}
    for ci in RECIPES:
        mine = {(command, flag) for recipe, command, flag in recipe_commands() if recipe == ci}
        assert {("validate", None), ("diff", "--detailed-exitcode"), ("diff", "--format"), ("diff", "--out"),
                ("apply", "--auto-approve"), ("apply", "--no-wait"), ("status", "--format")} <= mine, ci
    assert ("apply", "--wait") not in used, "CI has no one to watch a countdown"


@pytest.mark.parametrize(("ci", "command", "flag"), recipe_commands(),
                         ids=lambda value: value if value is not None else "cmd")
def test_recipe_flags_are_in_the_installed_commands_help(ci, command, flag):
    help_ = help_text(command)
    if help_ is None:
        if (command, None) in PENDING:
            pytest.skip(f"not built yet: {PENDING[(command, None)]}")
        pytest.fail(f"examples/ci/{RECIPES[ci][0]} runs `cliper-sched {command}`, which does not exist")
    if flag is None:
        return
    if flag not in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", help_):
        if (command, flag) in PENDING:
            pytest.skip(f"not built yet: {PENDING[(command, flag)]}")
        pytest.fail(f"examples/ci/{RECIPES[ci][0]}: `cliper-sched {command} {flag}` is not in its --help")
