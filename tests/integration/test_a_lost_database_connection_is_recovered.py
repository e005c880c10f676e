"""When PostgreSQL drops the portal's connections (a restart, a failover, `pg_terminate_backend`), the next request
on each pooled connection still succeeds: the pool checks a connection before handing it out (pool_pre_ping).

PostgreSQL only: SQLite has no server connection to lose. Each check first ends every backend of the portal's
database, so each one meets a dead pooled connection on its first try."""

import json
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from portal.clients.opencrvs.webhook import opencrvs_signature
from portal.extensions import db
from tests.conftest import BACKENDS

SAMPLE = (Path(__file__).parents[2] / "portal_sandbox" / "opencrvs" / "samples"
          / "mosip-opencrvs__sampleDataFromOpencrvs1.json")
SECRET = "test-webhook-secret"

# Runs once, on PostgreSQL (skipped when PORTAL_TEST_BACKENDS leaves PostgreSQL out).
pytestmark = [pytest.mark.postgres_only,
              pytest.mark.parametrize("database_url", [b for b in BACKENDS if b == "postgresql"], indirect=True)]


def terminate_portal_backends(database_url):
    """End every other connection to the portal's database, and wait until PostgreSQL has let them go."""
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ended = admin.execute(f"SELECT count(*) FROM (SELECT pg_terminate_backend(pid) {others}) t").fetchone()[0]
        deadline = time.monotonic() + 10
        while admin.execute(f"SELECT count(*) {others}").fetchone()[0] and time.monotonic() < deadline:
            time.sleep(0.02)
    return ended


def pool_a_live_connection(app):
    """Leave a working connection in the app's pool (a dead one is discarded on its first failure)."""
    for _attempt in range(3):
        try:
            with app.app_context(), db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError:
            continue
    raise AssertionError("no working connection to the test database")


@pytest.fixture
def app(make_app):
    return make_app({"PORTAL_OPENCRVS_WEBHOOK_SECRET": SECRET})


def test_every_kind_of_request_succeeds_on_its_first_try_after_the_connections_were_dropped(
        app, database_url, login_as):
    staff = app.test_client()
    login_as(staff, "supervisor")
    raw = json.dumps(json.loads(SAMPLE.read_text()), separators=(",", ":")).encode()
    checks = {
        # OpenCRVS does not redeliver a refused webhook: a 503 here is a lost registration
        "webhook": lambda: app.test_client().post("/api/opencrvs/events", data=raw, headers={
            "Content-Type": "application/json", "X-Hub-Signature": opencrvs_signature(raw, SECRET)}),
        "staff page": lambda: staff.get("/packets/"),
        "healthz with a session cookie": lambda: staff.get("/healthz"),
        "readyz with a session cookie": lambda: staff.get("/readyz"),
    }
    answers, bodies = {}, {}
    for name, request in checks.items():
        pool_a_live_connection(app)
        assert terminate_portal_backends(database_url) >= 1  # the pooled connection is now dead
        response = request()
        answers[name], bodies[name] = response.status_code, response.get_data(as_text=True)[:300]
    assert answers == {"webhook": 202, "staff page": 200, "healthz with a session cookie": 200,
                       "readyz with a session cookie": 200}, bodies
