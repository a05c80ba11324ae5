"""Configuration: env vars and flags as the official Postiz CLI reads them (no network)."""

from __future__ import annotations

import pytest

from planner.errors import UserError
from planner.postiz.config import resolve

KEY = "k3y-" + "a" * 60


def test_env_vars_give_url_and_key():
    cfg = resolve(env={"POSTIZ_API_URL": "http://localhost:5000/api/", "POSTIZ_API_KEY": KEY})
    assert cfg.api_url == "http://localhost:5000/api"
    assert cfg.public_url == "http://localhost:5000/api/public/v1"
    assert cfg.api_key == KEY


def test_flags_win_over_env(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(f"  {KEY}-file\n\n")
    cfg = resolve("https://api.postiz.com", key_file,
                  env={"POSTIZ_API_URL": "http://localhost:5000/api", "POSTIZ_API_KEY": KEY})
    assert cfg.api_url == "https://api.postiz.com"
    assert cfg.api_key == f"{KEY}-file"
    assert str(key_file) in cfg.key_source


def test_full_public_url_is_accepted_as_base():
    cfg = resolve(env={"POSTIZ_API_URL": "http://localhost:5000/api/public/v1",
                       "POSTIZ_API_KEY": KEY})
    assert cfg.public_url == "http://localhost:5000/api/public/v1"


def test_missing_url_names_the_env_var_and_flag():
    with pytest.raises(UserError) as info:
        resolve(env={"POSTIZ_API_KEY": KEY})
    text = info.value.render()
    assert "POSTIZ_API_URL" in text and "--api-url" in text


def test_missing_key_names_the_env_var_and_flag():
    with pytest.raises(UserError) as info:
        resolve(env={"POSTIZ_API_URL": "http://localhost:5000/api"})
    text = info.value.render()
    assert "POSTIZ_API_KEY" in text and "--api-key-file" in text


@pytest.mark.parametrize("content, words", [(None, "not found"), ("\n \n", "empty"),
                                            ("a\nb\n", "2 non-empty lines")])
def test_bad_key_file_is_named(tmp_path, content, words):
    path = tmp_path / "postiz.key"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UserError) as info:
        resolve(env={"POSTIZ_API_URL": "http://localhost:5000/api"}, api_key_file=path)
    assert str(path) in info.value.render() and words in info.value.render()


@pytest.mark.parametrize("url", ["localhost:5000/api", "ftp://host/api", "http://",
                                 "http://user:pw@host/api"])
def test_bad_url_is_a_user_error(url):
    with pytest.raises(UserError) as info:
        resolve(env={"POSTIZ_API_URL": url, "POSTIZ_API_KEY": KEY})
    assert "POSTIZ_API_URL" in info.value.render()


@pytest.mark.parametrize("url, warns", [
    ("http://localhost:5000/api", False), ("http://127.0.0.1:5000/api", False),
    ("http://[::1]:5000/api", False), ("https://postiz.example.org/api", False),
    ("http://192.168.1.20:5000/api", True), ("http://postiz.lan/api", True),
])
def test_cleartext_warning_only_for_plain_http_to_another_machine(url, warns):
    cfg = resolve(env={"POSTIZ_API_URL": url, "POSTIZ_API_KEY": KEY})
    warning = cfg.cleartext_warning()
    assert bool(warning) is warns
    if warning:
        assert "clear" in warning and KEY not in warning


def test_missing_ca_bundle_is_named(tmp_path):
    with pytest.raises(UserError) as info:
        resolve(ca_bundle=tmp_path / "ca.pem",
                env={"POSTIZ_API_URL": "https://p.example.org", "POSTIZ_API_KEY": KEY})
    assert "ca.pem" in info.value.render()


def test_key_is_not_in_config_repr():
    cfg = resolve(env={"POSTIZ_API_URL": "http://localhost:5000/api", "POSTIZ_API_KEY": KEY})
    assert KEY not in repr(cfg)


@pytest.mark.parametrize("key", ["abc\tdef", "abc\u00e9"])
def test_key_with_characters_a_header_cannot_carry_is_refused(key):
    with pytest.raises(UserError) as info:
        resolve(env={"POSTIZ_API_URL": "http://localhost:5000/api", "POSTIZ_API_KEY": key})
    assert "POSTIZ_API_KEY" in info.value.render() and key not in info.value.render()


# -- the key file's permissions ----------------------------------------------------------------


def _key_file(tmp_path, mode: int, name: str = "key"):
    path = tmp_path / name
    path.write_text(KEY + "\n")
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode, who", [(0o644, "its group and everyone"), (0o640, "its group"),
                                       (0o604, "everyone")])
def test_a_key_file_others_can_read_is_warned_about_once(tmp_path, caplog, mode, who):
    path = _key_file(tmp_path, mode, f"key{mode:o}")
    env = {"POSTIZ_API_URL": "http://localhost:5000/api"}
    with caplog.at_level("WARNING", logger="planner.postiz.config"):
        assert resolve(api_key_file=path, env=env).api_key == KEY
        resolve(api_key_file=path, env=env)  # read again in the same run: not said again
    [record] = caplog.records
    assert f"{path}: API key file is readable by other users ({who}; mode 0{mode:o})" in record.getMessage()
    assert f"chmod 600 {path}" in record.getMessage()


def test_a_key_file_others_can_read_is_refused_when_strict(tmp_path):
    path = _key_file(tmp_path, 0o644)
    with pytest.raises(UserError) as info:
        resolve(api_key_file=path, env={"POSTIZ_API_URL": "http://localhost:5000/api",
                                        "CLIPER_SCHED_STRICT_KEY_FILE": "1"})
    assert str(path) in info.value.render() and "chmod 600" in info.value.render()


@pytest.mark.parametrize("strict", ["", "0", "1"])
def test_a_key_file_only_its_owner_reads_is_fine_strict_or_not(tmp_path, caplog, strict):
    path = _key_file(tmp_path, 0o600)
    with caplog.at_level("WARNING"):
        resolve(api_key_file=path, env={"POSTIZ_API_URL": "http://localhost:5000/api",
                                        "CLIPER_SCHED_STRICT_KEY_FILE": strict})
    assert caplog.records == []


def test_a_key_from_a_pipe_is_not_warned_about(caplog):
    import os

    read, write = os.pipe()
    os.write(write, (KEY + "\n").encode())
    os.close(write)
    try:
        with caplog.at_level("WARNING"):
            cfg = resolve(api_key_file=f"/dev/fd/{read}",
                          env={"POSTIZ_API_URL": "http://localhost:5000/api",
                               "CLIPER_SCHED_STRICT_KEY_FILE": "1"})
    finally:
        os.close(read)
    assert cfg.api_key == KEY and caplog.records == []


# -- the answer-size cap -----------------------------------------------------------------------


def test_the_answer_cap_can_be_raised_for_a_huge_schedule():
    from planner.postiz.client import MAX_ANSWER_BYTES, PostizClient

    env = {"POSTIZ_API_URL": "http://localhost:5000/api", "POSTIZ_API_KEY": KEY}
    assert PostizClient.from_config(resolve(env=env)).max_answer_bytes == MAX_ANSWER_BYTES == 32 * 2**20
    cfg = resolve(env={**env, "CLIPER_SCHED_MAX_ANSWER_MB": "128"})
    assert PostizClient.from_config(cfg).max_answer_bytes == 128 * 2**20
    for bad in ("0", "-5", "lots", "0.5"):
        with pytest.raises(UserError, match="CLIPER_SCHED_MAX_ANSWER_MB"):
            resolve(env={**env, "CLIPER_SCHED_MAX_ANSWER_MB": bad})
