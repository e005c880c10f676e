"""`/healthz` is liveness: the process answers, whatever the database does, even for a request that carries a staff
session cookie (a load balancer or a browser tab may send one). `/readyz` answers 503 with a JSON reason when the
database cannot be used, never 500.

The app points at a database that cannot be used (a closed port, a database that does not exist on the test
PostgreSQL server); no test database is involved, so these run once, not once per backend."""

import pytest

from portal import create_app
from tests.conftest import BASE_CONFIG, POSTGRES_SERVER

UNUSABLE = {
    "closed-port": "postgresql+psycopg://nobody@127.0.0.1:1/none",
    "missing-database": POSTGRES_SERVER.replace("postgresql://", "postgresql+psycopg://")
    + "/portal_test_no_such_database",
}


@pytest.fixture(params=list(UNUSABLE), ids=list(UNUSABLE))
def client_with_a_session_cookie(request):
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": UNUSABLE[request.param]})
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = "a-staff-session-id"  # load_user would look it up in the database
    return client


def test_healthz_answers_without_the_database(client_with_a_session_cookie):
    response = client_with_a_session_cookie.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_says_why_it_is_not_ready_without_the_database(client_with_a_session_cookie):
    response = client_with_a_session_cookie.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["database"] == "OperationalError"
    assert body["reason"] == "the database cannot be reached"


@pytest.mark.parametrize("path", ["/", "/packets/", "/registration/", "/login"])
def test_a_page_says_the_portal_is_unavailable_without_the_database(client_with_a_session_cookie, path):
    """Not "Something went wrong" (500): the database is down, which is temporary (503, Retry-After)."""
    response = client_with_a_session_cookie.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "database" in response.get_data(as_text=True)


def test_a_machine_route_says_so_in_json(client_with_a_session_cookie):
    response = client_with_a_session_cookie.post("/api/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "openspp", "client_secret": "x"})
    assert response.status_code == 503 and response.get_json()["status"] == 503
