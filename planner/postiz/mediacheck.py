"""doctor's `media` row: can the networks fetch the media URLs this Postiz gives uploads?

Doctor changes nothing by default, so it learns the URL from uploads earlier applies
recorded in the plans' state files (`doctor plans/`); `doctor --upload-probe` uploads
one 1x1 PNG (uncounted; it stays in Postiz's media library: the public API cannot
delete media) to learn it on a server nothing was uploaded to yet. Rules in
`mediaurl.py`; docs/postiz-api.md §6.5.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from planner.postiz import config as config_mod
from planner.postiz import mediaurl
from planner.postiz.diagnose import INFO, OK, WARN, Check, MediaInput
from planner.postiz.errors import PostizError
from planner.postiz.models import Channel

# The smallest PNG Postiz's sniffer takes: 1x1, one grey pixel.
PROBE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a49444154789c636800000082008177cd72b60000000049454e44ae426082")


def media_check(client, cfg: config_mod.PostizConfig, media: MediaInput) -> Check:
    try:
        channels = client.list_channels()
    except PostizError as exc:
        return Check("media", WARN, f"cannot list the channels: {exc.message}", exc.hint)
    uses = _uses(channels, media)
    by_network = mediaurl.fetched_by_network(uses)
    urls = [url for url, api in media.urls if api is None or api.rstrip("/") == cfg.api_url.rstrip("/")]
    details: list[str] = []
    if not urls and media.probe:
        try:
            urls = [_probe(client)]
        except PostizError as exc:
            return Check("media", WARN, f"the probe upload failed: {exc.message}", exc.hint)
        details.append("uploaded a 1x1 PNG to learn the URL (not counted); it stays in Postiz's media library")
    names = ", ".join(sorted({f"{u.channel} ({u.provider})" for u in by_network}))
    if not urls:
        if not by_network:
            return Check("media", OK, "no channel here fetches media by URL: Postiz uploads the bytes itself")
        verb = "fetches" if len({u.channel for u in by_network}) == 1 else "fetch"
        return Check("media", INFO, f"{names} {verb} media by URL; the URL Postiz gives uploads is not known yet: "
                     "`cliper-sched doctor PLAN…` reads the ones earlier applies recorded, `doctor "
                     "--upload-probe` uploads one tiny image to see it (apply also says it after uploading)")
    status, message, hint = OK, "", None
    for url in mediaurl.one_per_origin(urls):
        found = mediaurl.warnings(url, by_network)
        if found:
            status, hint = WARN, mediaurl.FIX
            message = message or found[0]
            details += found[1:]
        elif not message:
            message = (f"{names} can fetch {url} (public https)" if by_network
                       else f"uploads get {url}; no channel here fetches media by URL")
        if mediaurl.read_by_postiz(uses) and mediaurl.unreachable(url):
            details.append(mediaurl.POSTIZ_READS)
        status = _ranges(url, cfg, uses, details, status)
    return Check("media", status, message, hint, details=tuple(dict.fromkeys(details)))


def _uses(channels: list[Channel], media: MediaInput) -> list[mediaurl.Use]:
    enabled = [c for c in channels if not c.disabled]
    if media.uses is None:  # no plan given: cliper-sched posts CLIPER's clips, videos
        return [mediaurl.Use(c.name, c.provider, True) for c in enabled]
    out = []
    for ref, video in media.uses:
        found = [c for c in channels if c.id == ref] or [c for c in channels if c.name == ref]
        if found:
            out.append(mediaurl.Use(ref, found[0].provider, video))
    return out


def _ranges(url: str, cfg: config_mod.PostizConfig, uses: list[mediaurl.Use], details: list[str],
            status: str) -> str:
    """Videos are read in byte ranges (Postiz itself, and the networks): the media host must answer 206."""
    if not any(u.video for u in uses):
        return status
    ok, text = mediaurl.range_support(url, verify=cfg.ca_bundle or True)
    details.append(f"range requests: {text}")
    if ok is False:
        details.append("videos are read in byte ranges: serve /uploads/ from a server that answers Range "
                       "with 206 (Postiz's nginx does; some proxies and CDNs strip it)")
        return WARN
    return status


def _probe(client) -> str:
    with tempfile.TemporaryDirectory(prefix="cliper-sched-probe-") as folder:
        path = Path(folder) / "cliper-sched-probe.png"
        path.write_bytes(PROBE_PNG)
        return client.upload(path).path
