"""Rate-limit settings (issue 12): the login limits' defaults, a malformed limit refused at start with its name,
the key prefix that keeps several portals (or test runs) apart in one Redis, and the rule that several processes
must share their counts outside demo mode."""

import pytest

from portal.config import ConfigError, ensure_shared_rate_limits, load_config


def test_login_limits_default_to_per_account_and_address_then_per_account_overall():
    config = load_config({})
    assert config["PORTAL_LOGIN_LIMIT_ACCOUNT_ADDRESS"] == "5 per minute;30 per hour"
    assert config["PORTAL_LOGIN_LIMIT_ACCOUNT"] == "100 per hour"
    assert config["PORTAL_LOGIN_LIMIT_ADDRESS"] == "20 per minute;200 per hour"
    # "5 in any minute", not "5 in this clock minute then 5 more in the next"
    assert config["RATELIMIT_STRATEGY"] == "moving-window"


@pytest.mark.parametrize("name", ["PORTAL_LOGIN_LIMIT_ACCOUNT_ADDRESS", "PORTAL_LOGIN_LIMIT_ACCOUNT",
                                  "PORTAL_LOGIN_LIMIT_ADDRESS", "PORTAL_API_TOKEN_LIMIT"])
def test_a_malformed_limit_refuses_to_start_with_its_name(name):
    with pytest.raises(ConfigError, match=f"^{name} must be"):
        load_config({name: "five a minute"})


def test_redis_keys_carry_the_portals_prefix():
    config = load_config({"PORTAL_RATELIMIT_STORAGE": "redis://127.0.0.1:6379/3",
                          "PORTAL_RATELIMIT_KEY_PREFIX": "portal-north"})
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    assert config["RATELIMIT_STORAGE_OPTIONS"]["key_prefix"] == "portal-north"
    assert load_config({"PORTAL_RATELIMIT_STORAGE": "redis://r:6379/0"})["RATELIMIT_STORAGE_OPTIONS"][
        "key_prefix"] == "portal"


def production(**env):
    return load_config({"PORTAL_SECRET_KEY": "s" * 40, "PORTAL_PUBLIC_URL": "https://portal.example.org", **env})


def test_several_workers_counting_in_their_own_memory_are_refused_outside_demo_mode():
    with pytest.raises(ConfigError, match="PORTAL_RATELIMIT_STORAGE"):
        ensure_shared_rate_limits(production(), workers=4)


@pytest.mark.parametrize("workers, env", [
    (1, {}),
    (4, {"PORTAL_RATELIMIT_STORAGE": "redis://127.0.0.1:6379/0"}),
    (4, {"PORTAL_DEMO": "1"}),
    (4, {"PORTAL_RATELIMIT_ENABLED": "0"}),
], ids=["one-worker", "redis", "demo", "limits-off"])
def test_one_worker_a_shared_storage_or_the_demo_may_start(workers, env):
    ensure_shared_rate_limits(production(**env), workers=workers)
