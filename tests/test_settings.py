"""Settings: defaults < TOML file < HOTLINE_* environment; a bad value is one line naming the setting."""

import subprocess
import sys
from pathlib import Path

import pytest

from hotline.config import SettingsError, load_settings

REPO = Path(__file__).resolve().parents[1]


def test_defaults_keep_everything_under_var() -> None:
    settings = load_settings()
    assert settings.data_dir == Path("./var")
    assert settings.database.startswith("sqlite:///") and settings.database.endswith("var/hotline.sqlite3")
    assert settings.allow_private == []
    assert settings.egress_proxy is None


def test_file_overrides_defaults_and_environment_overrides_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "hotline.toml"
    config.write_text('smtp_port = 2525\nrdap_url = "http://127.0.0.1:9/"\ndns_nameservers = ["127.0.0.1:5353"]\n')
    settings = load_settings(config)
    assert (settings.smtp_port, settings.rdap_url, settings.dns_nameservers) == (
        2525,
        "http://127.0.0.1:9/",
        ["127.0.0.1:5353"],
    )
    monkeypatch.setenv("HOTLINE_SMTP_PORT", "2626")
    monkeypatch.setenv("HOTLINE_DNS_NAMESERVERS", "127.0.0.1:53,[::1]:5353")
    monkeypatch.setenv("HOTLINE_ALLOW_PRIVATE", "127.0.0.0/8, ::1/128")
    settings = load_settings(config)
    assert settings.smtp_port == 2626
    assert settings.dns_nameservers == ["127.0.0.1:53", "[::1]:5353"]
    assert settings.allow_private == ["127.0.0.0/8", "::1/128"]


def test_config_file_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[hotline]\nsmtp_host = 'mail.example'\n")
    monkeypatch.setenv("HOTLINE_CONFIG", str(config))
    assert load_settings().smtp_host == "mail.example"


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("HOTLINE_ALLOW_PRIVATE", "10.0.0.0/33", "HOTLINE_ALLOW_PRIVATE"),
        ("HOTLINE_DNS_NAMESERVERS", "dns.example:53", "HOTLINE_DNS_NAMESERVERS"),
        ("HOTLINE_DNS_NAMESERVERS", "127.0.0.1:99999", "HOTLINE_DNS_NAMESERVERS"),
        ("HOTLINE_EGRESS_PROXY", "ftp://proxy", "HOTLINE_EGRESS_PROXY"),
        ("HOTLINE_SMTP_PORT", "twenty-five", "HOTLINE_SMTP_PORT"),
    ],
)
def test_bad_setting_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=words) as caught:
        load_settings()
    assert "\n" not in str(caught.value)


def test_cli_reports_a_bad_setting_without_a_traceback(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOTLINE_SMTP_PORT": "abc", "HOTLINE_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(REPO / "cli.py"), "init"], check=False, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "HOTLINE_SMTP_PORT" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
