"""Credentials off the command line and off the screen (issue 18, S1.4 and S1.5): the pure parts."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from envwizard.core.redact import mask_in_place, neutralise, redact_text, split_argv_credentials
from envwizard.run.credentials import hide

UV = "/opt/bin/uv"


def test_a_password_with_a_raw_at_is_masked_up_to_the_host() -> None:
    assert redact_text("https://user:p@ss@host.test/simple") == "https://user:****@host.test/simple"
    assert (
        redact_text("-i https://user:p@SSWORDTAIL@host/x y@z") == "-i https://user:****@host/x y@z"
    )
    assert redact_text("https://tok#en@h/x") == "https://****@h/x"
    assert mask_in_place("https://user:p@ss@host/x") == "https://user:••••@host/x"
    assert mask_in_place("https://tok@host/x") == "https://•••@host/x"
    assert mask_in_place("no url") == "no url"


def test_control_characters_are_shown_not_acted_on() -> None:
    assert neutralise("RTX\x1b]0;owned\x07 4090\x1b[2J") == "RTX\\x1b]0;owned\\x07 4090\\x1b[2J"
    assert neutralise("tab\tand\nnewline stay") == "tab\tand\nnewline stay"
    assert neutralise("\u202eevil") == "\\u202eevil"


def test_argv_loses_every_http_userinfo_but_a_vcs_one() -> None:
    argv, moved = split_argv_credentials(
        ["x", "https://u:p@h/s", "pkg @ https://t@h2/p.whl", "git+https://t@gh/x", "file://a@b/c"]
    )
    assert argv == [
        "x",
        "https://h/s",
        "pkg @ https://h2/p.whl",
        "git+https://t@gh/x",
        "file://a@b/c",
    ]
    assert moved == [("https://h/s", "https://u:p@h/s"), ("https://h2/p.whl", "https://t@h2/p.whl")]


def test_uv_gets_its_index_options_as_variables_in_order() -> None:
    h = hide(
        [UV, "pip", "install", "torch", "--index-url", "https://a:T1@h/whl",
         "--extra-index-url", "file:///opt/pypi/simple", "--extra-index-url", "https://b:T2@h/x",
         "--find-links", "/opt/wheels", "--find-links=https://c:T3@l/links/", "--no-config"],
        {"HOME": "/nonexistent"},
    )  # fmt: skip
    assert h.argv == [UV, "pip", "install", "torch", "--no-config"]
    assert h.env is not None and h.folder is None and "NETRC" not in h.env
    assert h.env["UV_INDEX_URL"] == "https://a:T1@h/whl"
    assert h.env["UV_EXTRA_INDEX_URL"] == "file:///opt/pypi/simple https://b:T2@h/x"
    assert h.env["UV_FIND_LINKS"] == "/opt/wheels,https://c:T3@l/links/"


def test_an_argv_without_secrets_is_left_alone() -> None:
    argv = [UV, "pip", "install", "--index-url", "https://h/simple"]
    h = hide(argv, None)
    assert h.argv == argv and h.env is None


def test_pip_gets_its_index_as_a_variable_and_the_rest_through_a_private_netrc(
    tmp_path: Path,
) -> None:
    (tmp_path / ".netrc").write_text("machine other.test login me password mine\n")
    h = hide(
        ["/e/bin/python", "-m", "pip", "install", "x", "--index-url", "https://a:T1@h/simple",
         "--find-links", "https://tok@l.test/links/", "y @ https://u:p%20w@d.test/y.whl"],
        {"HOME": str(tmp_path)},
    )  # fmt: skip
    try:
        assert h.argv == ["/e/bin/python", "-m", "pip", "install", "x", "--find-links",
                          "https://l.test/links/", "y @ https://d.test/y.whl"]  # fmt: skip
        assert h.env is not None and h.env["PIP_INDEX_URL"] == "https://a:T1@h/simple"
        netrc = Path(h.env["NETRC"])
        assert stat.S_IMODE(netrc.stat().st_mode) == 0o600
        assert stat.S_IMODE(netrc.parent.stat().st_mode) == 0o700
        lines = netrc.read_text().splitlines()
        assert lines[0] == "machine other.test login me password mine"  # the person's own first
        assert 'machine l.test login tok password ""' in lines
        assert 'machine d.test login u password "p w"' in lines
    finally:
        h.close()
    assert not netrc.parent.exists()


def test_one_host_with_two_sets_of_credentials_is_a_clear_error() -> None:
    with pytest.raises(OSError, match=r"two URLs on h\.test carry different credentials"):
        hide(["/e/bin/python", "-m", "pip", "install", "--find-links", "https://a:1@h.test/x",
              "--find-links", "https://b:2@h.test/y"], {"HOME": "/nonexistent"})  # fmt: skip
