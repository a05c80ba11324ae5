"""Where Postiz is and which key to use, as the official Postiz CLI reads them.

`POSTIZ_API_URL` is the backend base (`https://api.postiz.com`, or
`http://localhost:5000/api` behind the Postiz Docker image); the client appends
`/public/v1`. The key comes from `--api-key-file` or `POSTIZ_API_KEY`; there is
deliberately no `--api-key` flag, so the key never sits in shell history or `ps`.
TLS is always verified; a private CA is trusted with `--ca-bundle` or the
standard `REQUESTS_CA_BUNDLE` variable.

A key file other users may read (group or world read permission) is warned about
once per run on stderr; with `CLIPER_SCHED_STRICT_KEY_FILE=1` it is refused
(exit 1) before anything is sent.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from planner.errors import UserError

ENV_URL = "POSTIZ_API_URL"
ENV_KEY = "POSTIZ_API_KEY"
ENV_STRICT_KEY_FILE = "CLIPER_SCHED_STRICT_KEY_FILE"  # 1: refuse a key file others can read
ENV_MAX_ANSWER = "CLIPER_SCHED_MAX_ANSWER_MB"  # the biggest answer read (default: client's 32 MiB)
API_PREFIX = "/public/v1"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class PostizConfig:
    api_url: str  # backend base, without `/public/v1`
    api_key: str = field(repr=False)
    key_source: str = ENV_KEY  # where the key came from, for messages (never the key)
    ca_bundle: str | None = None
    max_answer_bytes: int | None = None  # None: the client's default (32 MiB)

    @property
    def public_url(self) -> str:
        return self.api_url + API_PREFIX

    def cleartext_warning(self) -> str | None:
        """A warning when the key would travel unencrypted to another machine."""
        parts = urlsplit(self.api_url)
        if parts.scheme == "http" and not is_local(parts.hostname or ""):
            return (f"{self.api_url} is plain http:// to another machine: the API key travels "
                    "in clear text; use https:// (a reverse proxy with TLS) if the network is "
                    "not yours")
        return None


def is_local(host: str) -> bool:
    if host.lower() in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_url(raw: str, source: str) -> str:
    """Check and tidy the base URL; `source` names the env var or flag for messages."""
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    example = "e.g. http://localhost:5000/api (Docker) or https://api.postiz.com"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"{source}={raw!r} is not an http(s) URL",
                        hint=f"set {source} to the Postiz backend base, {example}")
    if parts.username or parts.password:
        raise UserError(f"{source} must not contain a user name or password",
                        hint="the API key goes in POSTIZ_API_KEY or --api-key-file")
    if parts.query or parts.fragment:
        raise UserError(f"{source}={raw!r} has a query or fragment",
                        hint=f"give only the base URL, {example}")
    # A common mistake: pasting the full public URL. The client appends it itself.
    if url.endswith(API_PREFIX):
        url = url[: -len(API_PREFIX)]
    return url


log = logging.getLogger(__name__)
_warned: set[str] = set()  # key files already warned about in this process


def check_key_file_mode(path: Path, mode: int, env: Mapping[str, str] | None = None) -> None:
    """Warn (once per file) when others may read the key file; refuse when strict."""
    if not stat.S_ISREG(mode) or not mode & (stat.S_IRGRP | stat.S_IROTH):
        return  # only you can read it, or a pipe (`--api-key-file <(pass show postiz)`)
    who = " and ".join(w for w, bit in (("its group", stat.S_IRGRP), ("everyone", stat.S_IROTH))
                       if mode & bit)
    message = (f"{path}: API key file is readable by other users ({who}; mode "
               f"{stat.S_IMODE(mode):04o})")
    fix = f"chmod 600 {path}"
    env = os.environ if env is None else env
    if env.get(ENV_STRICT_KEY_FILE, "").strip() not in ("", "0"):
        raise UserError(f"{message}: refused ({ENV_STRICT_KEY_FILE} is set)",
                        hint=f"run `{fix}` so only you can read it")
    if str(path) not in _warned:
        _warned.add(str(path))
        log.warning("%s; run `%s` (set %s=1 to refuse such a file)", message, fix,
                    ENV_STRICT_KEY_FILE)


def read_key_file(path: str | os.PathLike, env: Mapping[str, str] | None = None) -> str:
    p = Path(path)
    try:
        with p.open(encoding="utf-8") as fh:
            check_key_file_mode(p, os.fstat(fh.fileno()).st_mode, env)  # the file read, not its name
            text = fh.read()
    except FileNotFoundError:
        raise UserError(f"{p}: API key file not found",
                        hint="create it with the key from Postiz Settings > Public API, "
                        "or set POSTIZ_API_KEY") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{p}: cannot read the API key file ({type(exc).__name__})",
                        hint="check the path and its permissions") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise UserError(f"{p}: API key file is empty",
                        hint="paste the key from Postiz Settings > Public API into it")
    if len(lines) > 1:
        raise UserError(f"{p}: API key file has {len(lines)} non-empty lines, expected one",
                        hint="keep only the key on a single line")
    return lines[0]


def resolve(api_url: str | None = None, api_key_file: str | os.PathLike | None = None,
            ca_bundle: str | os.PathLike | None = None,
            env: Mapping[str, str] | None = None) -> PostizConfig:
    """Flags win over environment variables; a missing value is a UserError saying what to set."""
    env = os.environ if env is None else env
    if api_url:
        url = normalize_url(api_url, "--api-url")
    elif env.get(ENV_URL, "").strip():
        url = normalize_url(env[ENV_URL], ENV_URL)
    else:
        raise UserError("no Postiz URL configured",
                        hint=f"export {ENV_URL}=http://localhost:5000/api (Docker) or "
                        "https://api.postiz.com, or pass --api-url")
    if api_key_file:
        key, source = read_key_file(api_key_file, env), f"--api-key-file {api_key_file}"
    elif env.get(ENV_KEY, "").strip():
        key, source = env[ENV_KEY].strip(), ENV_KEY
    else:
        raise UserError("no Postiz API key configured",
                        hint=f"export {ENV_KEY}=<key from Postiz Settings > Public API>, "
                        "or pass --api-key-file FILE")
    if any(ord(ch) < 0x20 or ord(ch) > 0x7E for ch in key):
        # It goes into an HTTP header as is: a stray newline or non-ASCII byte cannot be sent.
        raise UserError(f"the API key from {source} contains a control or non-ASCII character",
                        hint="copy the key again from Postiz Settings > Public API, on one line")
    bundle = None
    if ca_bundle:
        if not Path(ca_bundle).is_file():
            raise UserError(f"{ca_bundle}: CA bundle file not found",
                            hint="--ca-bundle takes a PEM file with your private CA certificate")
        bundle = str(ca_bundle)
    cap = None
    raw_cap = env.get(ENV_MAX_ANSWER, "").strip()
    if raw_cap:
        try:
            cap = int(float(raw_cap) * 1024 * 1024)
        except ValueError:
            cap = 0
        if cap < 1024 * 1024:
            raise UserError(f"{ENV_MAX_ANSWER}={raw_cap!r} is not a size in MiB (1 or more)",
                            hint=f"e.g. {ENV_MAX_ANSWER}=128 to read answers of up to 128 MiB, "
                                 "or unset it for the default 32")
    return PostizConfig(api_url=url, api_key=key, key_source=source, ca_bundle=bundle,
                        max_answer_bytes=cap)
