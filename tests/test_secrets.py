"""The API key never leaks; TLS stays verified; YAML stays data; committed files stay clean.

Every command runs with a recognisable key (from POSTIZ_API_KEY and from
--api-key-file), on its happy path and its error paths (wrong key, a 500, no
server, a post Postiz refuses, plain http to another host). Everything written
is searched for the key: stdout, stderr, --json output, log records, exception
texts, and every file under the project folder (plans, state, cache).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import traceback
from pathlib import Path
from urllib.parse import quote

import pytest
from reliability.figures import record
from reliability.harness import Box, ForkRunner, base_env

from support.cli import argv as cliper_sched
from support.cli import run as run_cli

KEY = "csk_LEAKCANARY_7f3e9a2b1c0d"
WRONG_KEY = "csk_LEAKCANARY_wrong_55aa"
CANARY = "LEAKCANARY"  # any part of either key, even cut short, gives it away
CHANNELS = "tiktok-main,youtube-shorts,x-main"


def _leaks(text: str) -> list[str]:
    found = []
    for secret in (KEY, WRONG_KEY, CANARY, quote(KEY, safe="")):
        if secret in text:
            found.append(secret)
    return found


class World:
    def __init__(self, root: Path, runner: ForkRunner, box: Box):
        self.root, self.runner, self.box = root, runner, box
        self.repo = root / "repo"  # everything a command may write, searched at the end
        self.key_file = root / "secret" / "postiz.key"  # holds the key by design: not searched
        self.key_file.parent.mkdir(parents=True)
        self.key_file.write_text(KEY + "\n")
        self.key_file.chmod(0o600)  # as the README says; a readable one is tested on its own
        self.plan = self.repo / "plans" / "ep12.yaml"
        self.runs = 0
        self.leaks: list[str] = []

    def env(self, *, key: str | None = KEY, url: str | None = None) -> dict:
        env = {**base_env(self.repo), "POSTIZ_API_URL": url or self.box.api_url}
        if key is not None:
            env["POSTIZ_API_KEY"] = key
        return env

    def run(self, *argv: str, expect: int | tuple = 0, **env_kw):
        run = self.runner.run(list(argv), self.env(**env_kw))
        self.runs += 1
        text = run.stdout + run.stderr
        self.leaks += [f"{' '.join(argv)}: {s}" for s in _leaks(text)]
        assert "Traceback" not in text, text
        wanted = expect if isinstance(expect, tuple) else (expect,)
        assert run.rc in wanted, f"{argv}: exit {run.rc}\n{text}"
        return run

    def scan_files(self) -> list[str]:
        hits = []
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                path = Path(dirpath) / name
                if {self.root / "sandbox", self.key_file.parent} & set(path.parents):
                    continue  # the key files, and the server's database, hold it by design
                data = path.read_bytes()
                for secret in (KEY, WRONG_KEY, CANARY):
                    if secret.encode() in data:
                        hits.append(f"{path}: {secret}")
        return hits


@pytest.fixture
def world(tmp_path):
    from planner.sandbox.server import SandboxServer
    from support.workspaces import make_workspace

    server = SandboxServer(tmp_path / "sandbox" / "sandbox.db", api_key=KEY, limit=1000).start()
    runner = ForkRunner(tmp_path / "runs")
    w = World(tmp_path, runner, Box(server.base_url, server.api_key, server))
    make_workspace(w.repo / "ws", clips=4)
    yield w
    runner.close()
    server.stop()
    record("secret_checks", w.runs)


def _plan(w: World, *, refused_on_x: bool = False) -> None:
    w.run("plan", str(w.repo / "ws"), "--start", "2031-01-05 09:00", "--interval", "2h", "--channels", CHANNELS,
          "--timezone", "America/Mexico_City", "--name", "ep12", "-o", str(w.plan))
    if refused_on_x:
        # A community URL Postiz refuses and no plan check knows (a too-long caption
        # would be refused by apply itself, before anything is sent).
        text = w.plan.read_text("utf-8")
        w.plan.write_text(text.replace("  channels: [tiktok-main, youtube-shorts, x-main]\n",
                                       "  channels: [tiktok-main, youtube-shorts, x-main]\n"
                                       "  overrides:\n    x-main: {settings: {community: "
                                       "\"https://example.com/c\"}}\n", 1),
                          "utf-8")


def _finish(w: World) -> None:
    files = w.scan_files()
    record("secrets_leaked", len(w.leaks) + len(files))
    assert w.leaks == [] and files == [], (w.leaks, files)


def test_every_command_on_its_happy_path_via_env_and_key_file(world):
    w = world
    by_file = {"key": None}  # POSTIZ_API_KEY unset: the key only in the file
    _plan(w)
    w.run("validate", str(w.plan))
    w.run("validate", str(w.plan), "--json")
    w.run("channels")
    w.run("channels", "--json")
    w.run("channels", "--api-key-file", str(w.key_file), **by_file)
    w.run("doctor")
    w.run("doctor", "--json", "--api-key-file", str(w.key_file), **by_file)
    w.run("diff", str(w.plan), "--json")
    w.run("apply", str(w.plan), "--auto-approve", "--rate-limit", "1000/h")
    w.run("diff", str(w.plan), "--api-key-file", str(w.key_file), **by_file)
    w.run("apply", str(w.plan), "--auto-approve", "--json", "--api-key-file", str(w.key_file), **by_file)
    row = w.box.rows()[0]
    w.box.control("POST", f"posts/{row['id']}/dashboard-edit", {"content": "editado en el panel"})
    w.run("pull", str(w.plan), "--dry-run")
    w.run("pull", str(w.plan), "--api-key-file", str(w.key_file), **by_file)
    (w.plan.with_name("ep12.state.json")).unlink()
    w.run("import", str(w.plan), "--api-key-file", str(w.key_file), **by_file)
    w.run("import", str(w.plan), "--force")
    w.run("destroy", str(w.plan), "--auto-approve", "--api-key-file", str(w.key_file), **by_file)
    w.run("apply", str(w.plan), "--auto-approve", "--rate-limit", "1000/h")
    w.run("destroy", str(w.plan), "--auto-approve")
    assert w.box.rows() == []  # the commands really ran against Postiz
    _finish(w)


def test_every_postiz_command_with_a_wrong_key(world):
    w = world
    _plan(w)
    for argv in (("channels",), ("channels", "--json"), ("doctor",), ("doctor", "--json"), ("diff", str(w.plan)),
                 ("apply", str(w.plan), "--auto-approve"), ("destroy", str(w.plan), "--auto-approve"),
                 ("import", str(w.plan)), ("pull", str(w.plan))):
        run = w.run(*argv, expect=1, key=WRONG_KEY)
        assert "401" in run.stdout + run.stderr or "refused the API key" in run.stdout + run.stderr
    # The same wrong key in a file, and sent with a `Bearer ` prefix.
    wrong_file = w.root / "secret" / "wrong.key"
    wrong_file.write_text(WRONG_KEY)
    w.run("channels", "--api-key-file", str(wrong_file), expect=1, key=None)
    w.run("channels", expect=1, key="Bearer " + KEY)
    w.run("apply", str(w.plan), "--auto-approve", "--json", expect=1, key="Bearer " + KEY)
    _finish(w)


@pytest.mark.slow  # the client retries safe requests with backoff: ~20 s of waiting in all
def test_every_postiz_command_on_a_server_error_and_no_server(world):
    w = world
    _plan(w)
    w.box.fault(method="*", path="/public/v1/*", action="error", count=10_000)
    commands = (("channels",), ("channels", "--json"), ("doctor",), ("doctor", "--json"), ("diff", str(w.plan)),
                ("diff", str(w.plan), "--json"), ("apply", str(w.plan), "--auto-approve"),
                ("destroy", str(w.plan), "--auto-approve"), ("import", str(w.plan)), ("pull", str(w.plan)))
    for argv in commands:
        w.run(*argv, expect=1)
    w.box.control("DELETE", "faults")
    closed = "http://127.0.0.1:9/api"  # discard port: nothing listens, connection refused at once
    for argv in commands[2:]:  # (channels retries a refused connection for 3 s: its doctor is enough)
        w.run(*argv, expect=1, url=closed)
    _finish(w)


def test_a_post_postiz_refuses_and_a_bad_plan(world):
    w = world
    _plan(w, refused_on_x=True)
    run = w.run("apply", str(w.plan), "--auto-approve", "--rate-limit", "1000/h", expect=4)
    assert "refused" in run.stdout
    w.run("apply", str(w.plan), "--auto-approve", "--json", "--rate-limit", "1000/h", expect=4)
    w.plan.write_text("version: 1\nname: [\n", "utf-8")
    for argv in (("validate", str(w.plan)), ("diff", str(w.plan)), ("apply", str(w.plan), "--auto-approve")):
        w.run(*argv, expect=1)
    _finish(w)


def test_plain_http_to_another_host_warns_that_the_key_travels_in_clear(world):
    w = world
    _plan(w)
    run = w.run("channels", expect=1, url="http://example.invalid/api")
    assert "clear text" in run.stderr
    # No warning where the key does not leave the machine or travels encrypted.
    assert "clear text" not in w.run("channels", url=w.box.api_url.replace("127.0.0.1", "localhost")).stderr
    assert "clear text" not in w.run("channels", expect=1, url="https://example.invalid/api").stderr
    _finish(w)


def test_the_sandbox_command_does_not_print_a_key_it_was_given(tmp_path):
    proc = subprocess.Popen([*cliper_sched(), "sandbox", "--port", "0", "--db",
                             str(tmp_path / "s.db"), "--api-key", KEY, "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    text = "".join(lines) + out + err
    assert "POSTIZ_API_URL=http://127.0.0.1:" in text
    record("secret_checks")
    record("secrets_leaked", len(_leaks(text)))
    assert _leaks(text) == []


# -- in-process: exceptions, reprs, logs ------------------------------------------------


def _all_texts(exc: BaseException) -> str:
    return " ".join([str(exc), repr(exc), "".join(traceback.format_exception(exc)),
                     getattr(exc, "render", lambda: "")()])


def test_client_exceptions_and_reprs_never_hold_the_key(world):
    from planner.postiz import config
    from planner.postiz.client import PostizClient
    from planner.postiz.errors import PostizError

    texts = []
    good = PostizClient(world.box.api_url, KEY, retries=0)
    texts += [repr(good), repr(config.resolve(env={"POSTIZ_API_URL": world.box.api_url, "POSTIZ_API_KEY": KEY}))]
    failures = 0
    for client, prep in (
        (PostizClient(world.box.api_url, WRONG_KEY, retries=0), None),  # 401
        (PostizClient("http://127.0.0.1:9/api", KEY, retries=0), None),  # refused
        (good, lambda: world.box.fault(method="GET", path="/public/v1/integrations", action="error")),  # 500
        (good, lambda: world.box.fault(method="GET", path="/public/v1/integrations", action="drop")),  # dropped
        (PostizClient(world.box.api_url, "Bearer " + KEY, retries=0), None),  # 401, hint about Bearer
    ):
        if prep:
            prep()
        try:
            client.list_channels()
        except PostizError as exc:
            failures += 1
            texts.append(_all_texts(exc))
    assert failures == 5
    leaked = [t for t in texts if _leaks(t)]
    record("secret_checks", len(texts))
    record("secrets_leaked", len(leaked))
    assert leaked == []


def test_debug_logs_never_hold_the_key(world):
    """`-vv` output is what users paste into bug reports: every request is in it, never the key.

    The installed CLI in a subprocess, as users run it: an apply with the right key
    (counted POSTs, uploads, reads), then the wrong key and the key sent with `Bearer `.
    """
    w = world
    _plan(w)
    texts = []

    def vv(*argv: str, expect: int = 0, **env_kw):
        result = run_cli("-vv", *argv, env={**w.env(**env_kw), "CLIPER_SCHED_LOG": ""}, timeout=120)
        text = result.output + result.error
        w.runs += 1
        texts.append(text)
        assert "Traceback" not in text, text
        assert result.exit_code == expect, text
        assert "cliper-sched: " not in result.output  # the trace is on stderr only
        return result

    def line(method: str, path: str, status: int, rest: str = "") -> re.Pattern:
        return re.compile(rf"^cliper-sched: {method} {re.escape(path)} {status} \d+ ms{rest}$", re.M)

    applied = vv("apply", str(w.plan), "--auto-approve", "--rate-limit", "1000/h").error
    assert line("GET", "/api/public/v1/integrations", 200).search(applied), applied
    assert line("POST", "/api/public/v1/upload", 201).search(applied), applied
    assert line("POST", "/api/public/v1/posts", 201, r" \(counted; \d+/\d+ left\)").search(applied), applied
    assert "X-RateLimit-Remaining" in applied and "budget: " in applied  # -vv's detail
    for key in (WRONG_KEY, "Bearer " + KEY):
        refused = vv("channels", expect=1, key=key).error
        assert line("GET", "/api/public/v1/integrations", 401).search(refused), refused
    leaked = [text for text in texts if _leaks(text)]
    record("secrets_leaked", len(leaked))  # the runs count as checks through `world`
    assert leaked == [], leaked


# -- trust: TLS, YAML, what gets committed ---------------------------------------------------


class TlsSandbox:
    """The sandbox served over https with a certificate from a throwaway private CA.

    `seen` holds the Authorization header of every request that reached the
    server's HTTP layer: a refused handshake leaves it empty.
    """

    def __init__(self, tmp_path: Path):
        from planner.sandbox.server import SandboxServer
        from support.tls import make_private_ca

        self.pki = make_private_ca(tmp_path / "pki")
        self.server = SandboxServer(tmp_path / "sandbox" / "tls.db", api_key=KEY,
                                    ssl_context=self.pki.server_context())
        self.seen: list[str | None] = []
        dispatch = self.server.app.dispatch

        def spy(request):
            self.seen.append(request.headers.get("Authorization"))
            return dispatch(request)

        self.server.app.dispatch = spy
        self.server.start()

    def env(self, **extra: str) -> dict:
        # This machine may already point REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE at some
        # bundle: empty them, so each case trusts exactly what it says.
        return {"POSTIZ_API_URL": self.server.api_url, "POSTIZ_API_KEY": KEY, "NO_COLOR": "1",
                "REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": "", "NO_PROXY": "127.0.0.1,localhost",
                **extra}


@pytest.fixture
def tls_sandbox(tmp_path):
    box = TlsSandbox(tmp_path)
    yield box
    box.server.stop()


def _channels(box: TlsSandbox, *args: str, **env: str):
    result = run_cli("channels", *args, env=box.env(**env), timeout=60)
    text = result.output + result.error
    assert "Traceback" not in text and _leaks(text) == [], text
    return result, text


def test_tls_to_a_private_ca_fails_closed_until_that_ca_is_trusted(tls_sandbox):
    box = tls_sandbox
    assert box.server.api_url.startswith("https://127.0.0.1:")

    # (a) Nothing says to trust the private CA: the handshake is refused, so the
    # key is never sent, and the user is told why and what to do (not to disable checks).
    result, text = _channels(box)
    assert result.exit_code == 1, text
    assert "TLS verification failed" in text and "--ca-bundle" in text, text
    assert "tiktok-main" not in result.output  # no channel list from an unverified server
    assert box.seen == []

    # (b) --ca-bundle trusts that CA: the same server now answers.
    result, text = _channels(box, "--ca-bundle", str(box.pki.ca_pem))
    assert result.exit_code == 0, text
    assert "tiktok-main" in result.output
    assert box.seen == [KEY]

    # (c) So does the standard REQUESTS_CA_BUNDLE variable.
    result, text = _channels(box, REQUESTS_CA_BUNDLE=str(box.pki.ca_pem))
    assert result.exit_code == 0, text
    assert "tiktok-main" in result.output
    assert box.seen == [KEY, KEY]

    # Users find the option where they look for it.
    help_run = run_cli("apply", "--help")
    assert help_run.exit_code == 0, help_run.error
    assert "--ca-bundle" in help_run.output and "REQUESTS_CA_BUNDLE" in help_run.output


def test_ca_bundle_flag_wins_over_a_requests_ca_bundle_pointing_elsewhere(tls_sandbox):
    # Common on managed machines: REQUESTS_CA_BUNDLE names the system bundle. The flag,
    # like every flag (config.resolve), must still win, as the TLS error's hint promises.
    import certifi

    box = tls_sandbox
    result, text = _channels(box, "--ca-bundle", str(box.pki.ca_pem), REQUESTS_CA_BUNDLE=certifi.where())
    assert result.exit_code == 0, text
    assert box.seen == [KEY]


def test_yaml_object_tags_are_refused_and_never_run(world):
    w = world
    _plan(w)
    text = w.plan.read_text("utf-8")
    w.plan.write_text(text.replace("name: ep12", "name: !!python/object/new:os.system [\"touch pwned\"]"), "utf-8")
    w.run("validate", str(w.plan), expect=1)
    w.plan.write_text(text.replace("name: ep12", "name: !!python/name:os.system"), "utf-8")
    run = w.run("apply", str(w.plan), "--auto-approve", expect=1)
    assert "unsupported YAML tag" in run.stderr
    assert not list(w.root.rglob("pwned")) and not (Path.cwd() / "pwned").exists()


def test_state_and_plan_hold_no_key_and_no_machine_path(world):
    w = world
    _plan(w)
    w.run("apply", str(w.plan), "--auto-approve", "--rate-limit", "1000/h")
    state_text = w.plan.with_name("ep12.state.json").read_text("utf-8")
    state = json.loads(state_text)
    assert _leaks(state_text) == []
    assert str(w.root) not in state_text and str(Path.home()) not in state_text
    # The document itself (not the header comment, see the next test) is machine-neutral.
    body = "\n".join(line for line in w.plan.read_text("utf-8").splitlines() if not line.startswith("#"))
    assert str(w.root) not in body and _leaks(body) == []
    assert set(state) >= {"posts", "media", "journal"}


def test_a_plan_made_with_an_absolute_workspace_path_holds_no_machine_path(world):
    """`cliper-sched plan ~/cliper ...`: the committed plan must not say where home is."""
    w = world
    w.run("plan", str(w.repo / "ws"), "--start", "2031-01-05 09:00", "--interval", "2h", "--channels", CHANNELS,
          "--timezone", "UTC", "-o", str(w.plan))
    lines = [line for line in w.plan.read_text("utf-8").splitlines() if str(w.root) in line]
    assert lines == []


# -- a server that hands the key back in pieces ------------------------------------------------


def _forms_of_the_key() -> list[str]:
    """The key and what a server could turn it into: its base64 (from each of the three
    alignments, so the base64 of any fragment is a run of one of them) and URL-encoding."""
    import base64

    forms = [KEY, quote(KEY, safe="")]
    for start in range(3):
        raw = KEY[start:].encode()
        forms += [base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("=")]
    return forms


def _fragments(text: str, size: int = 8) -> list[str]:
    """Every run of `size` characters of the key (or of its encoded forms) found in `text`,
    whatever its case."""
    lower = text.lower()
    found = set()
    for form in _forms_of_the_key():
        for i in range(len(form) - size + 1):
            if form[i:i + size].lower() in lower:
                found.add(form[i:i + size])
    return sorted(found)


def _reflections(auth: str) -> list[str]:
    """The key as a hostile or careless server may echo it: shouted, cut, split, encoded."""
    import base64

    key = auth.split()[-1] if auth else KEY
    half = len(key) // 2
    return [
        key.upper(),
        key.lower(),
        key.swapcase(),
        key[:12],
        key[-9:],
        f"{key[:half]} ... {key[half:]}",
        f"{key[:9]}\n{key[9:18]}\t{key[18:]}",
        base64.b64encode(key.encode()).decode(),
        base64.b64encode(key[4:].encode()).decode(),
        base64.urlsafe_b64encode(key[1:20].encode()).decode().rstrip("="),
        quote(key, safe=""),
        "Authorization: " + key.replace("_", "%5F"),
    ]


REFLECTING = [
    # (method, path, status, body from the reflections)
    ("GET", "/api/public/v1/integrations", 400,
     lambda r: {"message": r, "error": "Bad Request", "statusCode": 400}),  # family B, every one
    ("GET", "/api/public/v1/integrations", 401, lambda r: {"msg": " / ".join(r)}),
    ("GET", "/api/public/v1/integrations", 500, lambda r: {"statusCode": 500, "message": " ".join(r)}),
    ("GET", "/api/public/v1/integrations", 404, lambda r: {"message": "Cannot GET " + "/".join(r),
                                                          "error": "Not Found", "statusCode": 404}),
    ("GET", "/api/public/v1/integrations", 418, lambda r: {"error": "; ".join(r)}),
    ("POST", "/api/public/v1/posts", 400,
     lambda r: {"statusCode": 400, "provider": "x", "name": r[3], "message": " | ".join(r)}),  # family D
]


def test_a_server_that_reflects_the_key_in_pieces_never_gets_any_of_it_printed(world):
    from support.hostile import HostileProxy, answer

    w = world
    _plan(w)
    texts = []
    with HostileProxy(w.box.base_url) as proxy:
        for method, path, status, body in REFLECTING:
            proxy.clear()
            proxy.on(method, path, answer(status, lambda auth, body=body: json.dumps(body(_reflections(auth))).encode()))
            if method == "GET":
                argvs = [("channels",), ("channels", "--json"), ("-vv", "diff", str(w.plan)),
                         ("doctor", "--json")]
            else:
                argvs = [("-vv", "apply", str(w.plan), "--auto-approve", "--rate-limit", "1000/h"),
                         ("apply", str(w.plan), "--auto-approve", "--json", "--rate-limit", "1000/h")]
            for argv in argvs:
                run = w.run(*argv, expect=(1, 4), url=proxy.api_url)
                texts.append(run.stdout + run.stderr)
        # The answers really held the key (the proxy was in the way).
        assert proxy.count("GET", "/api/public/v1/integrations") >= 5 * 4
    leaked = [(t[:2000], _fragments(t)) for t in texts if _fragments(t)]
    record("secrets_leaked", len(leaked))
    assert leaked == [], leaked
    assert w.leaks == []


# -- the key file --------------------------------------------------------------------------------


def test_a_key_file_others_can_read_is_warned_about_and_refused_when_strict(world):
    w = world
    _plan(w)
    readable = w.root / "secret" / "shared.key"
    readable.write_text(KEY + "\n")
    readable.chmod(0o644)
    by_file = {"key": None}
    warned = w.run("channels", "--api-key-file", str(readable), **by_file)
    assert warned.stderr.count("readable by other users") == 1, warned.stderr  # once
    assert str(readable) in warned.stderr and f"chmod 600 {readable}" in warned.stderr, warned.stderr
    assert "tiktok-main" in warned.stdout  # a warning: the command still ran
    # POSTIZ_API_KEY_FILE is the same file by another road.
    env_run = w.runner.run(["channels"], {**w.env(key=None), "POSTIZ_API_KEY_FILE": str(readable)})
    w.runs += 1
    assert env_run.rc == 0 and "readable by other users" in env_run.stderr, env_run.text
    # Strict: refused before anything is sent.
    refused = w.runner.run(["diff", str(w.plan), "--api-key-file", str(readable)],
                           {**w.env(key=None), "CLIPER_SCHED_STRICT_KEY_FILE": "1"})
    w.runs += 1
    assert refused.rc == 1, refused.text
    assert "Traceback" not in refused.text
    assert str(readable) in refused.stderr and "chmod 600" in refused.stderr, refused.stderr
    # A file only its owner can read: no warning, strict or not.
    for strict in ("", "1"):
        quiet = w.runner.run(["channels", "--api-key-file", str(w.key_file)],
                             {**w.env(key=None), "CLIPER_SCHED_STRICT_KEY_FILE": strict})
        w.runs += 1
        assert quiet.rc == 0 and "readable by other users" not in quiet.stderr, quiet.text
    _finish(w)
