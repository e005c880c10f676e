"""With the rate limits in Redis (issue 12), a Redis that does not answer must not take the login page down: the
process counts in its own memory meanwhile (and logs it), so logins keep working and keep being limited."""

import pytest

from portal.config import ratelimit_storage_options
from portal.extensions import limiter
from tests.conftest import PASSWORD
from tests.peers import free_port


@pytest.fixture
def app_without_redis(make_app, app):
    """Built after `app` (which make_user uses): the last app built sets whether the one process-wide limiter is
    on. Afterwards the limiter forgets that its storage was found dead, which later apps would otherwise inherit."""
    storage = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    yield make_app({"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage,
                    "RATELIMIT_STORAGE_OPTIONS": ratelimit_storage_options(storage, "portal-test")})
    limiter._storage_dead = False


def test_logins_work_and_stay_limited_while_redis_is_down(app_without_redis, make_user, caplog):
    make_user("ana", ["officer"])
    client = app_without_redis.test_client()
    attacker = {"REMOTE_ADDR": "198.51.100.66"}
    statuses = [client.post("/login", data={"username": "ana", "password": f"guess-{n}"},
                            environ_base=attacker).status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    officer = client.post("/login", data={"username": "ana", "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert officer.status_code == 303
    assert "Rate limit storage unreachable" in caplog.text
