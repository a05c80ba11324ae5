"""Can the networks fetch the media URL Postiz hands them? (docs/postiz-api.md §6.5)

Postiz stores each upload at a URL (`FRONTEND_URL/uploads/...`, or the object
storage's) and, at publish time, gives that URL unchanged to the networks that
fetch media themselves (Instagram, Facebook, Threads, TikTok photos, ...:
`providers.MEDIA_READER`). Nothing in Postiz refuses a URL they cannot reach, so
such a post fails only when it is due. These rules look at the URL alone (no DNS
lookup); `range_support` is the one network read, for doctor.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from planner.providers import NETWORK, POSTIZ, is_video_path, media_reader

FIX = ("give Postiz a FRONTEND_URL on a public https host (its /uploads/ reachable from the internet), "
       "or object storage (STORAGE_PROVIDER=cloudflare with a public CLOUDFLARE_BUCKET_URL), and restart it; "
       "files uploaded before keep the URL they got")
# Postiz's own backend reads the URL for these (docs/postiz-api.md §6.5): through its SSRF guard.
POSTIZ_READS = ("Postiz's backend reads this URL itself to upload the bytes, through its SSRF guard: a "
                "loopback or private address works only with DISABLE_SSRF_PROTECTION=true on the Postiz "
                "server, and videos are read in byte ranges (the server must answer 206)")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE_SUFFIXES = (".internal", ".lan", ".home", ".home.arpa", ".intranet", ".corp", ".localdomain")


def unreachable(url: str) -> str | None:
    """Why a network on the internet cannot fetch `url`, in words; None when nothing says so."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    reasons = []
    if not host:
        reasons.append("it names no host")
    elif (why := _private_host(host)) is not None:
        reasons.append(why)
    if parts.scheme != "https":
        reasons.append("it is plain http (the networks fetch media over https)")
    return " and ".join(reasons) or None


def _private_host(host: str) -> str | None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            return f"{host} is the Postiz machine itself (loopback)"
        if host.endswith(".local"):
            return f"{host} is a .local name (only the local network resolves it)"
        if host.endswith(_PRIVATE_SUFFIXES) or "." not in host:
            return f"{host} is a private network name (the internet cannot resolve it)"
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return f"{host} is the Postiz machine itself (loopback)"
    if ip.is_link_local:
        return f"{host} is a link-local address"
    if ip in _CGNAT:
        return f"{host} is a carrier-grade NAT address (100.64.0.0/10)"
    if ip.is_private or ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return f"{host} is a private network address"
    return None


@dataclass(frozen=True)
class Use:
    """A channel that would get media: its name, provider, and whether the media is a video."""

    channel: str
    provider: str | None
    video: bool


def uses_of_paths(channel: str, provider: str | None, media_paths: Iterable[str]) -> list[Use]:
    return [Use(channel, provider, v) for v in sorted({is_video_path(p) for p in media_paths})]


def fetched_by_network(uses: Iterable[Use]) -> list[Use]:
    """The uses whose network fetches the media by URL (one per channel and kind)."""
    return sorted({u for u in uses if media_reader(u.provider, u.video) == NETWORK},
                  key=lambda u: (u.channel, u.video))


def read_by_postiz(uses: Iterable[Use]) -> list[Use]:
    return sorted({u for u in uses if media_reader(u.provider, u.video) == POSTIZ},
                  key=lambda u: (u.channel, u.video))


def warnings(url: str, uses: Iterable[Use]) -> list[str]:
    """One line per channel whose network would be handed `url` and cannot fetch it."""
    why = unreachable(url)
    if why is None:
        return []
    out = []
    for channel, kinds in _by_channel(fetched_by_network(uses)).items():
        provider, what = kinds
        out.append(f"{channel} ({provider}) would get its {what} from {url}: {provider} fetches media by URL, "
                   f"and {why}; Postiz accepts the post and it fails only at publish time")
    return out


def _by_channel(uses: list[Use]) -> dict[str, tuple[str, str]]:
    kinds: dict[str, list[Use]] = {}
    for u in uses:
        kinds.setdefault(u.channel, []).append(u)
    return {ch: (us[0].provider or "?", " and ".join("videos" if u.video else "images" for u in us))
            for ch, us in kinds.items()}


def range_support(url: str, *, timeout: float = 10.0, verify: bool | str = True) -> tuple[bool | None, str]:
    """Whether the server behind `url` answers a byte range with 206, as the providers that read
    videos in chunks need (docs/postiz-api.md §6.5). (None, why) when it could not be asked.
    Sends no API key: this is the media host, not the API."""
    import requests

    try:
        with requests.get(url, headers={"Range": "bytes=0-0", "Accept-Encoding": "identity"}, stream=True,
                          timeout=timeout, verify=verify, allow_redirects=True) as answer:
            status = answer.status_code
    except requests.RequestException as exc:
        return None, f"could not read it from here ({type(exc).__name__})"
    if status == 206:
        return True, "answers byte ranges (206)"
    if status == 200:
        return False, "answers a byte range with the whole file (200, not 206)"
    return None, f"answered {status}"


def one_per_origin(urls: Iterable[str]) -> list[str]:
    """One URL for each scheme + host + port among `urls` (they share the answer), sorted."""
    seen: dict[tuple[str, str], str] = {}
    for url in sorted(urls):
        parts = urlsplit(url)
        seen.setdefault((parts.scheme, parts.netloc.lower()), url)
    return list(seen.values())


def plan_notes(urls: Iterable[str], uses: Iterable[Use]) -> list[str]:
    """diff/apply's warnings for one plan: its recorded upload URLs against its channels."""
    uses = list(uses)
    out: list[str] = []
    for url in one_per_origin(urls):
        for line in warnings(url, uses):
            out.append(f"warning: {line}. Fix: {FIX}")
    return out
