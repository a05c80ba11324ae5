"""docker-compose.yml: a real Postiz that starts on the first try.

No Docker engine is needed: the file is checked against the Compose
Specification schema (CI only, ../shared) and, without ../shared, for what a
schema cannot see: the services Postiz needs, secrets coming from .env only,
persistent volumes, the ports and URLs the README gives, the files the stack
mounts, and a .env.example that documents every variable.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
README = REPO / "README.md"

POSTIZ_IMAGE = "ghcr.io/gitroomhq/postiz-app"
REQUIRED_SECRETS = ("JWT_SECRET", "POSTIZ_DB_PASSWORD", "TEMPORAL_DB_PASSWORD")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PWD|TOKEN|(^|_)KEY($|_)")
# Where each database image keeps its data (must be a named volume).
DATA_DIRS = {
    "postgres": "/var/lib/postgresql/data",
    "redis": "/data",
    "elasticsearch": "/usr/share/elasticsearch/data",
}


# --- Compose variable interpolation (the subset the spec defines) -----------

REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def interpolate(text: str, env: dict[str, str]) -> str:
    """Resolve `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`,
    `${VAR?err}`, `$VAR` and `$$` as `docker compose` does."""

    def one(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        value = env.get(name)
        unset_or_empty = value is None or (op is not None and op.startswith(":") and value == "")
        if op in ("-", ":-") and unset_or_empty:
            return interpolate(arg, env)
        if op in ("?", ":?") and unset_or_empty:
            raise MissingVariable(name, arg)
        return value or ""

    return REFERENCE.sub(one, text)


def resolve(node, env: dict[str, str]):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [resolve(item, env) for item in node]
    if isinstance(node, dict):
        return {key: resolve(value, env) for key, value in node.items()}
    return node


# --- Reading the files --------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def filled_env() -> dict[str, str]:
    """.env.example as a user fills it: the required secrets get values."""
    env = read_env_file(ENV_EXAMPLE)
    for name in REQUIRED_SECRETS:
        env[name] = "0123456789abcdef" * 4
    return env


@pytest.fixture(scope="module")
def raw() -> dict:
    assert COMPOSE.is_file(), "docker-compose.yml is missing at the repo root"
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose(raw) -> dict:
    return resolve(raw, filled_env())


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def image_kind(service: dict) -> str:
    """`postgres`, `redis`, `elasticsearch`... from the image name."""
    return service["image"].rsplit("/", 1)[-1].split(":", 1)[0]


def service_for_host(compose: dict, url: str) -> str:
    host = urlsplit(url if "://" in url else f"tcp://{url}").hostname
    assert host in compose["services"], f"{url} points at {host!r}, which is not a service"
    return host


def mounts(service: dict) -> list[tuple[str | None, str]]:
    """(source, target) of every mount; source None for an anonymous volume."""
    result = []
    for item in service.get("volumes", []):
        if isinstance(item, dict):
            result.append((item.get("source"), item["target"]))
            continue
        parts = item.split(":")
        result.append((None, parts[0]) if len(parts) == 1 else (parts[0], parts[1]))
    return result


def is_named(source: str | None) -> bool:
    return bool(source) and not source.startswith((".", "/", "~"))


# --- Schema ---------------------------------------------------------------------


def test_file_is_a_valid_compose_file(shared_dir, raw, compose):
    schema = json.loads((shared_dir / "compose" / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    for label, document in (("as written", raw), ("after interpolation", compose)):
        errors = [
            f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
            for error in validator.iter_errors(document)
        ]
        assert not errors, (
            f"docker-compose.yml {label} breaks the Compose Specification:\n" + "\n".join(errors)
        )


# --- What Postiz needs to run and publish ---------------------------------------


def test_postiz_image_is_pinned_to_a_release(compose):
    image = compose["services"]["postiz"]["image"]
    name, _, tag = image.partition(":")
    assert name == POSTIZ_IMAGE
    assert re.fullmatch(r"v\d+\.\d+\.\d+", tag), (
        f"postiz image {image!r} is not pinned to a release tag"
    )
    assert tag == "v2.23.0", "the README documents v2.23.0: upgrade both together"


def test_no_image_floats(compose):
    for name, service in compose["services"].items():
        image = service["image"]
        tag = image.rpartition(":")[2] if ":" in image.rsplit("/", 1)[-1] else ""
        assert tag and tag != "latest", f"service {name}: image {image!r} has no fixed tag"


def test_postiz_has_its_database_cache_and_temporal_stack(compose):
    services = compose["services"]
    env = environment(services["postiz"])

    db = service_for_host(compose, env["DATABASE_URL"])
    redis = service_for_host(compose, env["REDIS_URL"])
    temporal = service_for_host(compose, env["TEMPORAL_ADDRESS"])
    assert image_kind(services[db]) == "postgres"
    assert image_kind(services[redis]) == "redis"
    assert services[temporal]["image"].startswith("temporalio/auto-setup:")

    temporal_env = environment(services[temporal])
    temporal_db = service_for_host(compose, temporal_env["POSTGRES_SEEDS"])
    search = service_for_host(compose, temporal_env["ES_SEEDS"])
    assert image_kind(services[temporal_db]) == "postgres"
    assert image_kind(services[search]) == "elasticsearch"
    assert temporal_env["ENABLE_ES"] == "true"

    # Postiz waits for all three; Temporal for its database and search.
    for dependant, needs in (("postiz", (db, redis, temporal)), (temporal, (temporal_db, search))):
        depends_on = services[dependant].get("depends_on")
        assert isinstance(depends_on, dict), f"{dependant}: depends_on needs conditions"
        for need in needs:
            condition = depends_on.get(need, {}).get("condition")
            assert condition == "service_healthy", f"{dependant} must wait for {need} to be healthy"


def test_every_service_in_the_default_stack_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        if service.get("profiles"):
            continue  # opt-in tools, nothing waits for them
        check = service.get("healthcheck") or {}
        test = check.get("test")
        assert test and not check.get("disable"), f"service {name} has no healthcheck"
        if isinstance(test, list):
            assert test[0] in ("CMD", "CMD-SHELL"), (
                f"service {name}: healthcheck {test[0]!r} runs nothing"
            )


def test_services_share_a_network_with_what_they_reach(compose):
    services = compose["services"]

    def networks(name):
        return set(services[name].get("networks") or ["default"])

    for name, service in services.items():
        for need in service.get("depends_on") or {}:
            assert networks(name) & networks(need), f"{name} cannot reach {need}: no common network"


# --- Secrets ------------------------------------------------------------------------


def test_no_secret_has_a_literal_value(raw):
    only_reference = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*|:?-)?\}")
    for name, service in raw["services"].items():
        for key, value in environment(service).items():
            where = f"services.{name}.environment.{key}"
            if SECRET_NAME.search(key):
                assert only_reference.fullmatch(value), (
                    f"{where} = {value!r}: secrets must be a bare ${{VAR}} from .env, with no default"
                )
            parts = urlsplit(value)
            if parts.scheme and parts.password is not None:
                assert only_reference.fullmatch(parts.password), (
                    f"{where} has a literal password in its URL"
                )


@pytest.mark.parametrize("secret", REQUIRED_SECRETS)
def test_compose_refuses_to_start_without_a_required_secret(raw, secret):
    for missing in ({}, {secret: ""}):
        env = {**filled_env(), **missing}
        if not missing:
            del env[secret]
        with pytest.raises(MissingVariable) as refused:
            resolve(raw, env)
        assert refused.value.name == secret
        assert ".env" in refused.value.message, "the error should say where to set it"


def test_env_example_holds_no_working_secret():
    env = read_env_file(ENV_EXAMPLE)
    filled = {name: value for name, value in env.items() if SECRET_NAME.search(name) and value}
    assert not filled, f".env.example must leave secrets empty, found values for {sorted(filled)}"


def test_dot_env_is_git_ignored():
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in [line.strip() for line in ignored]


def test_every_variable_used_is_documented_in_env_example():
    used = {
        m["braced"] or m["bare"]
        for m in REFERENCE.finditer(COMPOSE.read_text())
        if not m["escaped"]
    }
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    defined = {}
    for number, line in enumerate(lines):
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match:
            defined[match[1]] = number
    missing = sorted(used - defined.keys())
    assert not missing, f".env.example does not document {missing}"
    for name in used:
        # A comment explains each variable, in the block just above it.
        block = lines[: defined[name]]
        while block and re.match(r"[A-Z][A-Z0-9_]*=", block[-1]):
            block.pop()
        assert block and block[-1].startswith("#"), (
            f".env.example: {name} has no explanation above it"
        )


def test_api_limit_is_explicit_and_defaults_to_30(raw, compose):
    assert "API_LIMIT" in environment(raw["services"]["postiz"])
    without_override = {k: v for k, v in filled_env().items() if k != "API_LIMIT"}
    default = environment(resolve(raw, without_override)["services"]["postiz"])["API_LIMIT"]
    assert default == "30"
    assert read_env_file(ENV_EXAMPLE)["API_LIMIT"] == "30"
    assert environment(compose["services"]["postiz"])["API_LIMIT"].isdigit()


# --- Volumes --------------------------------------------------------------------------


def test_every_named_volume_is_declared_and_none_is_anonymous(compose):
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, service in compose["services"].items():
        for source, target in mounts(service):
            assert source is not None, (
                f"service {name}: anonymous volume at {target} is lost on `down`"
            )
            if is_named(source):
                assert source in declared, f"service {name}: volume {source!r} is not declared"
                used.add(source)
    assert not declared - used, f"declared but unused volumes: {sorted(declared - used)}"


def test_every_database_and_the_uploads_persist(compose):
    for name, service in compose["services"].items():
        kind = image_kind(service)
        wanted = DATA_DIRS.get(kind)
        if name == "postiz":
            wanted = "/uploads"
        if wanted is None:
            continue
        named = [target.rstrip("/") for source, target in mounts(service) if is_named(source)]
        assert wanted in named, f"service {name}: {wanted} must be on a named volume"


def test_temporal_dynamic_config_ships_with_the_repo(compose):
    temporal = compose["services"]["temporal"]
    inside = "/etc/temporal/" + environment(temporal)["DYNAMIC_CONFIG_FILE_PATH"]
    for source, target in mounts(temporal):
        if source and source.startswith(".") and inside.startswith(target.rstrip("/") + "/"):
            local = REPO / source / inside[len(target.rstrip("/")) + 1 :]
            break
    else:
        pytest.fail(f"{inside} is not bind-mounted from the repo")
    assert local.is_file(), f"{local.relative_to(REPO)} is missing: Temporal will not start"
    settings = yaml.safe_load(local.read_text(encoding="utf-8"))
    assert isinstance(settings, dict) and settings
    for key, entries in settings.items():
        assert isinstance(entries, list) and all("value" in entry for entry in entries), key


# --- Ports and URLs the README gives -------------------------------------------------------


def published(service: dict) -> dict[int, int]:
    """host port -> container port."""
    result = {}
    for item in service.get("ports", []):
        if isinstance(item, dict):
            result[int(item["published"])] = int(item["target"])
            continue
        parts = str(item).split(":")
        result[int(parts[-2])] = int(parts[-1].split("/")[0])
    return result


def test_public_api_is_at_localhost_5000_api(compose):
    postiz = compose["services"]["postiz"]
    assert published(postiz) == {5000: 5000}, "host 5000 must reach nginx on 5000 inside the image"
    env = environment(postiz)
    assert env["MAIN_URL"] == env["FRONTEND_URL"] == "http://localhost:5000"
    assert env["NEXT_PUBLIC_BACKEND_URL"] == "http://localhost:5000/api"


def test_readme_ports_are_the_ports_in_the_file(compose):
    # Convention: `localhost` URLs in the README are this compose stack; the
    # built-in sandbox is always written as 127.0.0.1.
    readme = README.read_text(encoding="utf-8")
    assert "POSTIZ_API_URL=http://localhost:5000/api" in readme
    host_ports = {port for service in compose["services"].values() for port in published(service)}
    mentioned = {int(port) for port in re.findall(r"localhost:(\d+)", readme)}
    assert 5000 in mentioned
    assert mentioned <= host_ports, (
        f"README mentions ports compose does not publish: {sorted(mentioned - host_ports)}"
    )
