"""Contract tests: replay the exchanges recorded from a real Postiz (../shared) against
a fresh sandbox and compare status, rate-limit headers and body shape.

Ids, groups and upload names the sandbox generates differ from the recording; they
are mapped as they appear (a recorded postId -> ours) so later requests that reuse
them (edit, delete) address the same post. Everything else must be equal: error
messages, contents, states, settings strings, dates.
"""

from __future__ import annotations

import json
import re

import pytest
import requests

from support.sandbox import TEST_KEY, Controls, running_sandbox

PROBE_CHANNELS = [("linkedin", "probe1 linkedin", "probe1-linkedin"),
                  ("x", "probe1 x", "probe1-x"),
                  ("youtube", "probe1 youtube", "probe1-youtube")]
GENERATED = {"id", "postId", "group", "name", "path"}
# The probe marked a post PUBLISHED by hand (releaseURL set, releaseId left null);
# the sandbox's simulated publish sets both, so only "string or null" is compared.
RELEASE = {"releaseURL", "releaseId"}
TINY_MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x08free"


def _load(shared_dir, name):
    return json.loads((shared_dir / "postiz" / "transcripts" / name).read_text())


@pytest.fixture
def probe_sandbox(tmp_path):
    with running_sandbox(tmp_path, channels=[]) as sb:
        controls = Controls(sb.base_url)
        for provider, name, channel_id in PROBE_CHANNELS:
            controls.add_channel(provider, name, id=channel_id, profile=channel_id,
                                 picture=f"https://example.com/{provider}.png")
        controls.set_clock("2026-11-26T05:00:00Z")  # the recording's day, before 06:40 UTC
        yield sb, controls


def _shape_diff(recorded, ours, where="body", key=None) -> list[str]:
    if key in RELEASE and {type(recorded), type(ours)} <= {str, type(None)}:
        return []
    if type(recorded) is not type(ours):
        return [f"{where}: type {type(recorded).__name__} != {type(ours).__name__} ({recorded!r} vs {ours!r})"]
    if isinstance(recorded, dict):
        if set(recorded) != set(ours):
            return [f"{where}: keys {sorted(recorded)} != {sorted(ours)}"]
        return [d for k in recorded for d in _shape_diff(recorded[k], ours[k], f"{where}.{k}", k)]
    if isinstance(recorded, list):
        if len(recorded) != len(ours):
            return [f"{where}: {len(recorded)} items != {len(ours)}"]
        return [d for i, (a, b) in enumerate(zip(recorded, ours, strict=True)) for d in _shape_diff(a, b, f"{where}[{i}]", key)]
    if key in GENERATED:
        return []
    return [] if recorded == ours else [f"{where}: {recorded!r} != {ours!r}"]


class IdMap:
    """Recorded generated values -> the sandbox's, learnt from responses."""

    def __init__(self):
        self.map: dict[str, str] = {}

    def learn(self, recorded, ours, key=None):
        if isinstance(recorded, dict) and isinstance(ours, dict):
            for k in recorded:
                if k in ours:
                    self.learn(recorded[k], ours[k], k)
        elif isinstance(recorded, list) and isinstance(ours, list):
            for a, b in zip(recorded, ours, strict=False):
                self.learn(a, b, key)
        elif key in GENERATED and isinstance(recorded, str) and isinstance(ours, str):
            self.map.setdefault(recorded, ours)

    def apply(self, text: str) -> str:
        for old, new in sorted(self.map.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(old, new)
        return text


def _replay(exchange, sb, ids: IdMap, session):
    url = sb.api_url + "/public/v1" + ids.apply(exchange["path"])
    headers = {}
    if exchange["name"] == "auth_wrong":
        headers["Authorization"] = "wrong-key"
    elif exchange["name"] == "auth_bearer":
        headers["Authorization"] = f"Bearer {TEST_KEY}"
    elif exchange["name"] != "auth_none":
        headers["Authorization"] = TEST_KEY
    if exchange["name"] == "upload_mp4":
        return session.post(url, files={"file": ("clip.mp4", TINY_MP4)}, headers=headers)
    if exchange["name"] == "upload_text":
        return session.post(url, files={"file": ("notes.txt", b"just some text\n")}, headers=headers)
    if exchange["name"] == "upload_none":
        return session.post(url, json={}, headers=headers)
    body = exchange["request"]
    data = ids.apply(json.dumps(body)) if body is not None else None
    if data is not None:
        headers["Content-Type"] = "application/json"
    return session.request(exchange["method"], url, data=data, headers=headers)


def _recorded_ids_of_published(exchanges):
    # The probe marked this post PUBLISHED in the database between two listings.
    before = next(e for e in exchanges if e["name"] == "list_before_publish")["body"]["posts"]
    after = next(e for e in exchanges if e["name"] == "list_after_publish")["body"]["posts"]
    states = {p["id"]: p["state"] for p in before}
    return [p["id"] for p in after if p["state"] == "PUBLISHED" and states.get(p["id"]) != "PUBLISHED"]


def test_main_transcript_replays_with_same_status_headers_and_bodies(shared_dir, probe_sandbox):
    sb, controls = probe_sandbox
    transcript = _load(shared_dir, "real-postiz-74b01ad.json")
    exchanges = transcript["exchanges"]
    published_by_probe = _recorded_ids_of_published(exchanges)
    ids = IdMap()
    session = requests.Session()
    problems = []
    for exchange in exchanges:
        if exchange["name"] == "list_after_publish":
            for recorded_id in published_by_probe:
                controls.publish_post(ids.apply(recorded_id))
        response = _replay(exchange, sb, ids, session)
        name = exchange["name"]
        if response.status_code != exchange["status"]:
            problems.append(f"{name}: status {response.status_code} != {exchange['status']}: {response.text[:300]}")
            continue
        ours = response.json()
        ids.learn(exchange["body"], ours)
        for header, value in exchange["headers"].items():
            got = response.headers.get(header)
            if header == "X-RateLimit-Reset":
                ok = got is not None and abs(int(got) - int(value)) <= 5
            else:
                ok = got == value
            if not ok:
                problems.append(f"{name}: header {header} {got!r} != {value!r}")
        if "X-RateLimit-Limit" not in exchange["headers"] and "X-RateLimit-Limit" in response.headers:
            problems.append(f"{name}: unexpected X-RateLimit headers")
        recorded_body = json.loads(ids.apply(json.dumps(exchange["body"])))
        if name == "upload_mp4":  # the recording's FRONTEND_URL differs from ours
            assert re.fullmatch(rf"{sb.base_url}/uploads/2026/11/26/[0-9a-f]{{32}}\.mp4", ours["path"])
        problems += [f"{name}: {d}" for d in _shape_diff(recorded_body, ours)]
    assert problems == []


def test_ratelimit_transcript_30_then_429_with_retry_after(shared_dir, tmp_path):
    transcript = _load(shared_dir, "real-postiz-ratelimit.json")
    with running_sandbox(tmp_path, channels=[("linkedin", "rl2 linkedin", "rl2-linkedin")]) as sb:
        session = requests.Session()
        session.headers["Authorization"] = TEST_KEY
        for n, recorded in enumerate(transcript["requests"], start=1):
            body = {"type": "schedule", "date": "2028-09-01T10:00:00.000Z", "shortLink": False, "tags": [],
                    "posts": [{"integration": {"id": "rl2-linkedin"},
                               "value": [{"content": f"rate probe {n}", "image": []}], "settings": {}}]}
            response = session.post(sb.api_url + "/public/v1/posts", json=body)
            assert response.status_code == recorded["status"], n
            for header, value in recorded["headers"].items():
                got = response.headers.get(header)
                if header == "X-RateLimit-Reset":
                    assert abs(int(got) - int(value)) <= 5, n
                else:
                    assert got == value, (n, header)
            if response.status_code == 429:
                assert "X-RateLimit-Remaining" not in response.headers
            assert _shape_diff(recorded["body"], response.json()) == [], n
        # While blocked, reads still answer and carry no rate-limit headers.
        listing = session.get(sb.api_url + "/public/v1/posts",
                              params={"startDate": "2028-09-01", "endDate": "2028-09-02"})
        assert listing.status_code == 200
        assert "X-RateLimit-Limit" not in listing.headers
