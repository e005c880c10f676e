"""Issue 12: with three gunicorn processes counting in their own memory, 5 wrong passwords a minute became 15,
20 logins per address 44 and 30 API token requests 89. Two real portal processes (gunicorn, one worker each, built
from the same settings) sharing Redis count together: requests spread over both meet the limit of one."""

import re
import shutil

import httpx
import pytest

from portal import create_app
from portal.extensions import db
from tests.conftest import BASE_CONFIG, PASSWORD
from tests.integration.enrollment_support import api_client
from tests.integration.gunicorn_support import REDIS_URL, clean_env, gunicorn, redis_prefix, wait_until_up

ADDRESS_LIMIT, TOKEN_LIMIT = 6, 3


@pytest.fixture(scope="module")
def portal(tmp_path_factory, sqlite_template):
    """Two gunicorn processes on one database and one Redis; yields (their URLs, API client id and secret, the
    Redis connection and this test's key prefix). The limits are the defaults, but the per-address and API token
    ones, made small."""
    folder = tmp_path_factory.mktemp("two-processes")
    shutil.copy(sqlite_template, folder / "portal.sqlite3")
    url = f"sqlite:///{folder / 'portal.sqlite3'}"
    setup = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with setup.app_context():
        from portal.auth.accounts import create_user

        create_user("ana", ["officer"], PASSWORD, actor="test")
        db.session.commit()
        db.engine.dispose()
    client_id, secret = api_client(setup)
    with redis_prefix() as (connection, prefix):
        # PORTAL_PROXY_HOPS=1: the test plays the reverse proxy, so each request says which address it came from
        env = clean_env(PORTAL_DEMO=1, DATABASE_URL=url, PORTAL_INSTANCE_PATH=folder, PORTAL_LOG_LEVEL="WARNING",
                        PORTAL_RATELIMIT_STORAGE=REDIS_URL, PORTAL_RATELIMIT_KEY_PREFIX=prefix, PORTAL_PROXY_HOPS=1,
                        PORTAL_LOGIN_LIMIT_ADDRESS=f"{ADDRESS_LIMIT} per minute",
                        PORTAL_API_TOKEN_LIMIT=f"{TOKEN_LIMIT} per minute")
        with gunicorn(env) as (first, first_url), gunicorn(env) as (second, second_url):
            wait_until_up(first, first_url)
            wait_until_up(second, second_url)
            yield (first_url, second_url), (client_id, secret), connection, prefix


class Visitor:
    """A browser at one address (the proxy's X-Forwarded-For) that may reach either process."""

    def __init__(self, urls, address):
        self.urls = urls
        self.http = httpx.Client(headers={"X-Forwarded-For": address}, timeout=10)

    def login(self, n, username, password):
        """Log in through process `n % 2`, with the CSRF token of its own login page."""
        url = self.urls[n % 2]
        page = self.http.get(url + "/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return self.http.post(url + "/login", data={"username": username, "password": password, "csrf_token": token})


def test_five_wrong_passwords_spread_over_two_processes_then_the_sixth_is_refused(portal):
    urls, _, connection, prefix = portal
    attacker, officer = Visitor(urls, "198.51.100.66"), Visitor(urls, "203.0.113.7")
    assert [attacker.login(n, "ana", f"guess-{n}").status_code for n in range(5)] == [401] * 5
    assert attacker.login(5, "ana", "guess-5").status_code == 429
    assert attacker.login(6, "ana", PASSWORD).status_code == 429
    # the officer, from her own address, logs in through either process
    assert officer.login(0, "ana", PASSWORD).status_code == 303
    assert officer.login(1, "ana", PASSWORD).status_code == 303
    # the counts live under this test's own prefix
    assert list(connection.scan_iter(match=f"{prefix}*"))


def test_the_per_address_limit_holds_across_processes(portal):
    urls, *_ = portal
    visitor = Visitor(urls, "198.51.100.77")
    statuses = [visitor.login(n, f"user-{n}", "guess").status_code for n in range(ADDRESS_LIMIT + 1)]
    assert statuses == [401] * ADDRESS_LIMIT + [429]


def test_the_api_token_limit_holds_across_processes(portal):
    urls, (client_id, secret), *_ = portal
    http = httpx.Client(headers={"X-Forwarded-For": "198.51.100.88"}, timeout=10)
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    statuses = [http.post(urls[n % 2] + "/api/oauth/token", data=form).status_code for n in range(TOKEN_LIMIT + 1)]
    assert statuses == [200] * TOKEN_LIMIT + [429]
