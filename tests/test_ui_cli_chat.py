"""`citeqa chat`: binds to loopback by default, warns when exposed without a login, checks --auth."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ui.app import parse_auth
from ui.cli import app
from ui.cli_chat import exposure_warning, is_loopback


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                                ("127.0.0.2", True), ("0.0.0.0", False), ("192.168.1.5", False),
                                                ("example.org", False)])
def test_only_loopback_addresses_count_as_local(host: str, loopback: bool):
    assert is_loopback(host) is loopback


def test_serving_on_the_network_without_a_login_warns_and_with_one_does_not():
    assert "without a login" in exposure_warning("0.0.0.0", has_auth=False)
    assert exposure_warning("0.0.0.0", has_auth=True) == ""
    assert exposure_warning("127.0.0.1", has_auth=False) == ""


def test_auth_is_user_colon_password_and_a_password_may_hold_colons():
    assert parse_auth("alice:s3:cr3t") == ("alice", "s3:cr3t")
    assert parse_auth(None) is None
    for bad in ("alice", ":pw", "alice:"):
        with pytest.raises(ValueError, match="user:password"):
            parse_auth(bad)


def test_chat_refuses_a_malformed_auth_before_starting_anything(tmp_path):
    result = CliRunner().invoke(app, ["--index-dir", str(tmp_path / "idx"), "chat", "--auth", "nopassword"])
    assert result.exit_code == 2
    assert "user:password" in result.output
    assert not (tmp_path / "idx").exists()


def test_chat_with_no_chroma_server_at_the_url_says_so_in_one_line_and_exits(tmp_path):
    from tests.fixtures.app_server import free_port

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = CliRunner().invoke(app, ["--index-dir", str(tmp_path / "idx"), "--embed-model", "none",
                                      "--chroma-url", url, "chat"], env={"HF_HUB_OFFLINE": "1"})
    assert result.exit_code == 1, result.output
    assert url in result.output and "chroma run" in result.output and "Traceback" not in result.output
