"""Configuration from the environment: demo defaults, refusals outside demo mode, bad values."""

import re

import pytest

from portal import create_app
from portal.config import PACKAGE_DIR, ConfigError, load_config

STRONG_SECRET = "s" * 40


def test_outside_demo_mode_a_missing_secret_refuses_to_start(monkeypatch):
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://portal.example.org")
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY"):
        create_app()


def test_outside_demo_mode_a_missing_public_url_refuses_to_start(monkeypatch):
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    monkeypatch.delenv("PORTAL_PUBLIC_URL", raising=False)
    monkeypatch.setenv("PORTAL_SECRET_KEY", STRONG_SECRET)
    with pytest.raises(ConfigError, match="PORTAL_PUBLIC_URL"):
        create_app()


def test_a_short_secret_refuses_to_start(monkeypatch):
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    monkeypatch.setenv("PORTAL_SECRET_KEY", "short")
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://portal.example.org")
    with pytest.raises(ConfigError, match="32 characters"):
        create_app()


PEERS = {"PORTAL_ESIGNET_ISSUER": "https://esignet.example.org", "PORTAL_OPENIMIS_URL": "https://imis.example.org",
         "PORTAL_OPENSPP_URL": "https://spp.example.org", "PORTAL_MOSIP_URL": "https://mosip.example.org",
         "PORTAL_MOSIP_WEBSUB_URL": "https://mosip.example.org/hub", "PORTAL_OPENCRVS_URL": "https://crvs.example.org"}


@pytest.mark.parametrize("missing", sorted(PEERS))
def test_outside_demo_mode_a_missing_peer_address_refuses_to_start_with_its_name(monkeypatch, missing):
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    for name, value in PEERS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PORTAL_SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://portal.example.org")
    monkeypatch.setenv(missing, "imis.example.org")  # no scheme: not an address the clients can use
    with pytest.raises(ConfigError, match=f"^{missing} must be set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError, match=f"^{missing} must be set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_outside_demo_mode_the_portal_starts_with_every_peer_address(monkeypatch, tmp_path):
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    for name, value in PEERS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PORTAL_SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://portal.example.org")
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["PORTAL_MOSIP_URL"] == PEERS["PORTAL_MOSIP_URL"]


def test_demo_mode_points_every_peer_at_the_sandbox():
    config = load_config({"PORTAL_DEMO": "1"})
    assert config["PORTAL_OPENIMIS_URL"] == "http://127.0.0.1:8102"
    assert config["PORTAL_ESIGNET_ISSUER"].startswith("http://127.0.0.1:8101")
    assert config["SESSION_COOKIE_SECURE"] is False  # plain http on loopback only


def test_production_config_has_no_sandbox_defaults_and_secure_cookies():
    config = load_config({"PORTAL_SECRET_KEY": STRONG_SECRET, "PORTAL_PUBLIC_URL": "https://portal.example.org"})
    assert config["PORTAL_OPENIMIS_URL"] is None
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("PORTAL_DEMO", "maybe", "PORTAL_DEMO"), ("PORTAL_JOB_LEASE_SECONDS", "ten", "whole number"),
     ("PORTAL_SESSION_IDLE_MINUTES", "0", "at least 1")],
    ids=["bool", "int", "minimum"],
)
def test_a_malformed_value_names_the_variable(name, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config({"PORTAL_DEMO": "1", name: value})


INT_SETTINGS = sorted(set(re.findall(r'env_int\(env, "(PORTAL_[A-Z_]+)"', (PACKAGE_DIR / "config.py").read_text())))


@pytest.mark.parametrize("name", INT_SETTINGS)
def test_no_whole_number_setting_can_overflow(name):
    """A value no column, timedelta or sleep can hold stops start-up with its name (99999999999999999999 seconds
    overflowed timedelta in the renewal of the WebSub subscription; an id column holds 2**31 - 1)."""
    with pytest.raises(ConfigError, match=f"^{name} must be at most"):
        load_config({"PORTAL_DEMO": "1", name: "99999999999999999999"})


def test_the_websub_lease_is_at_most_a_year():
    with pytest.raises(ConfigError, match="at most 31622400"):
        load_config({"PORTAL_DEMO": "1", "PORTAL_MOSIP_WEBSUB_LEASE_SECONDS": str(400 * 86400)})
    assert load_config({"PORTAL_DEMO": "1", "PORTAL_MOSIP_WEBSUB_LEASE_SECONDS": "31622400"})[
        "PORTAL_MOSIP_WEBSUB_LEASE_SECONDS"] == 31622400


def test_database_url_selects_postgresql():
    config = load_config({"PORTAL_DEMO": "1", "DATABASE_URL": "postgresql+psycopg://u@db/portal"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/portal"
