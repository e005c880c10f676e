"""Issue 12: five wrong passwords used to lock an account for everyone, the right password included, so anyone
could lock out any officer. Failed logins are now counted per (account, address), per address, and (slower) per
account overall (OWASP ASVS V2.2.1: soft lockouts, at most 100 failed attempts an hour on one account)."""

import re

import pytest

from tests.conftest import PASSWORD

ATTACKER, OFFICER = "198.51.100.66", "203.0.113.7"


def post_login(client, username, password, address, **kwargs):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, **kwargs)


def flashes(response):
    return re.findall(r'class="flash flash-error">([^<]*)<', response.get_data(as_text=True))


@pytest.fixture
def limited_app(make_app, app):
    """Built after `app` (which make_user uses): the limiter is one object for the whole process, and the last app
    built sets whether it is on."""
    return make_app({"RATELIMIT_ENABLED": True})


def test_the_right_password_from_another_address_works_while_an_attacker_hammers_from_one(limited_app, make_user):
    make_user("ana", ["officer"])
    attacker, officer = limited_app.test_client(), limited_app.test_client()
    statuses = [post_login(attacker, "ana", f"guess-{n}", ATTACKER).status_code for n in range(5)]
    assert statuses == [401] * 5
    # the attacker's address is stopped for this account, even if the sixth guess is right
    assert post_login(attacker, "ana", PASSWORD, ATTACKER).status_code == 429
    # the officer, from her own address, logs in
    assert post_login(officer, "ana", PASSWORD, OFFICER).status_code == 303
    assert b"Hello, ana" in officer.get("/").data


def test_the_attacker_stays_stopped_for_that_account_only(limited_app, make_user):
    make_user("ana", ["officer"])
    make_user("bea", ["officer"])
    attacker = limited_app.test_client()
    for n in range(5):
        post_login(attacker, "ana", f"guess-{n}", ATTACKER)
    assert post_login(attacker, "ana", "guess-5", ATTACKER).status_code == 429
    # the same address may still try another account (the per-address limit, 20 a minute, is not reached)
    assert post_login(attacker, "bea", "guess", ATTACKER).status_code == 401


def test_many_addresses_against_one_account_meet_the_slower_account_limit(make_app, make_user):
    app = make_app({"RATELIMIT_ENABLED": True, "PORTAL_LOGIN_LIMIT_ACCOUNT": "6 per hour"})
    make_user("ana", ["officer"])
    client = app.test_client()
    statuses = [post_login(client, "ana", "guess", f"198.51.100.{n}").status_code for n in range(7)]
    assert statuses == [401] * 6 + [429]


def test_attempts_refused_by_a_limit_do_not_use_up_the_accounts_overall_limit(make_app, make_user):
    app = make_app({"RATELIMIT_ENABLED": True, "PORTAL_LOGIN_LIMIT_ACCOUNT": "8 per hour"})
    make_user("ana", ["officer"])
    client = app.test_client()
    statuses = [post_login(client, "ana", f"guess-{n}", ATTACKER).status_code for n in range(20)]
    assert statuses == [401] * 5 + [429] * 15
    assert post_login(client, "ana", PASSWORD, OFFICER).status_code == 303


def test_a_successful_login_does_not_count_as_an_attempt(limited_app, make_user):
    make_user("ana", ["officer"])
    client = limited_app.test_client()
    for _ in range(7):
        assert post_login(client, "ana", PASSWORD, OFFICER).status_code == 303
        client.post("/logout")
    assert post_login(client, "ana", "wrong", OFFICER).status_code == 401


def test_the_refusal_says_how_long_to_wait_in_plain_english(limited_app, make_user):
    make_user("ana", ["officer"])
    client = limited_app.test_client()
    for n in range(5):
        post_login(client, "ana", f"guess-{n}", ATTACKER)
    response = post_login(client, "ana", "guess-5", ATTACKER)
    assert response.status_code == 429
    assert flashes(response) == ["Too many attempts to log in. Wait 1 minute, then try again. "
                                 "If these attempts were not yours, tell your administrator."]
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert b'name="username"' in response.data  # the login form stays, to try again later


def test_the_refusal_speaks_french(limited_app, make_user):
    make_user("ana", ["officer"])
    client = limited_app.test_client()
    for n in range(5):
        post_login(client, "ana", f"guess-{n}", ATTACKER, headers={"Accept-Language": "fr"})
    response = post_login(client, "ana", "guess-5", ATTACKER, headers={"Accept-Language": "fr"})
    assert response.status_code == 429
    assert flashes(response) == ["Trop de tentatives de connexion. Attendez 1 minute, puis réessayez. "
                                 "Si ces tentatives ne venaient pas de vous, prévenez votre administrateur."]


def test_the_throttle_does_not_tell_whether_an_account_exists(limited_app, make_user):
    make_user("ana", ["officer"])
    client = limited_app.test_client()
    seen = {}
    for username, address in (("ana", "198.51.100.1"), ("ghost", "198.51.100.2")):
        responses = [post_login(client, username, f"guess-{n}", address) for n in range(6)]
        seen[username] = ([r.status_code for r in responses], [flashes(r) for r in responses])
    assert seen["ana"] == seen["ghost"]
    assert seen["ana"][0] == [401] * 5 + [429]


def test_a_form_that_never_reached_a_password_check_costs_nothing(limited_app, make_user):
    make_user("ana", ["officer"])
    client = limited_app.test_client()
    for _ in range(6):
        assert post_login(client, "ana", "", ATTACKER).status_code == 400
    assert post_login(client, "ana", PASSWORD, ATTACKER).status_code == 303


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(make_app, make_user):
    """PORTAL_PROXY_HOPS=1: the last X-Forwarded-For entry (the one our proxy appended) is the address; what the
    attacker writes before it cannot make each guess come from a new address."""
    app = make_app({"RATELIMIT_ENABLED": True, "PORTAL_PROXY_HOPS": 1})
    make_user("ana", ["officer"])
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    def through_proxy(password, forwarded_for):
        return client.post("/login", data={"username": "ana", "password": password}, environ_base=proxy,
                           headers={"X-Forwarded-For": forwarded_for})

    statuses = [through_proxy("guess", f"192.0.2.{n}, {ATTACKER}").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    assert through_proxy(PASSWORD, OFFICER).status_code == 303


def test_without_a_proxy_a_forged_forwarded_for_is_ignored(limited_app, make_user):
    make_user("ana", ["officer"])
    client = limited_app.test_client()
    statuses = [client.post("/login", data={"username": "ana", "password": "guess"},
                            environ_base={"REMOTE_ADDR": ATTACKER},
                            headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]


def test_neither_the_username_nor_the_address_reaches_the_limiters_log_line(limited_app, make_user, caplog):
    """Flask-Limiter logs the key of a limit it enforces; the keys hold a keyed hash of the username and address."""
    make_user("kowalska", ["officer"])
    client = limited_app.test_client()
    caplog.set_level("INFO")
    for n in range(7):
        post_login(client, "kowalska", f"guess-{n}", ATTACKER)
    assert "exceeded" in caplog.text  # the limiter's own line was written
    assert "kowalska" not in caplog.text and ATTACKER not in caplog.text
