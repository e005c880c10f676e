"""A database error does not bring the request's personal data into the logs.

PostgreSQL explains a refused value with the data around it (`CONTEXT: JSON data, line 1: …"jane.doe@example.org",
"x": Infinity…`), which SQLAlchemy puts in the exception's text whatever `hide_parameters` says. A DCI push
carrying `1e400` did exactly that (Python read it as infinity and wrote back `Infinity`, which PostgreSQL's JSON
column refused after the email address); the JSON reader now refuses such a number with a 400, so here a route
added for the test stores that same text, and the portal's own error handler logs the refusal. PostgreSQL only:
SQLite stores that text as it is."""

import io
import json
import logging

import pytest

from sqlalchemy import text

from portal.extensions import db
from portal.logs import JsonFormatter
from tests.conftest import BACKENDS
from tests.integration.enrollment_support import api_client, bearer

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.parametrize("database_url", [b for b in BACKENDS if b == "postgresql"], indirect=True)]

EMAIL, PHONE, BIRTH_DATE, NATIONAL_ID = "jane.doe@example.org", "+977 9800000042", "1990-01-02", "NP-1990010242"
BODY = ('{"name": "DOE, JANE", "given_name": "Jane", "family_name": "Doe", "gender": "Female", '
        f'"birthdate": "{BIRTH_DATE}", "ids": [{{"id_type": "National ID", "value": "{NATIONAL_ID}"}}], '
        f'"phone_numbers": [{{"phone_no": "{PHONE}"}}], "email": "{EMAIL}", "x": 1e400}}')


@pytest.fixture
def api(make_app):
    """The app (built before the test runs, so pytest's caplog handler stays on the root logger) and a token."""
    app = make_app()
    http = app.test_client()
    return http, bearer(http, *api_client(app))


@pytest.fixture
def json_lines():
    """Every record at INFO or above, as the portal's formatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


def test_a_number_too_large_is_a_400_and_logs_no_personal_data(api, json_lines, caplog):
    http, token = api
    caplog.set_level(logging.INFO)
    response = http.post("/api/dci/enrollment", data=BODY, headers={**token, "Content-Type": "application/json"})
    assert response.status_code == 400 and "number too large" in response.get_data(as_text=True)
    leaked = [value for value in (EMAIL, PHONE, BIRTH_DATE, NATIONAL_ID)
              if value in json_lines.getvalue() or value in caplog.text]
    assert leaked == []


@pytest.fixture
def storing_app(make_app):
    """The app with a route that stores what the DCI push stored before the JSON reader refused 1e400 (built
    before `json_lines`, like `api`)."""
    app = make_app()

    def store_as_json():
        db.session.execute(text("INSERT INTO dci_messages (api_client_id, sender_id, message_id, kind, body_hash, "
                                "body) VALUES (1, 's', 'm', 'individual', 'h', CAST(:body AS json))"),
                           {"body": BODY.replace("1e400", "Infinity")})

    app.add_url_rule("/test-store", "test_store", store_as_json, methods=["POST"])
    return app


def test_a_refused_json_value_is_logged_without_the_data_around_it(storing_app, json_lines, caplog):
    caplog.set_level(logging.INFO)
    assert storing_app.test_client().post("/test-store").status_code == 500
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    [error] = [line for line in lines if "exc" in line]  # the database refused the value, and that was logged
    leaked = [value for value in (EMAIL, PHONE, BIRTH_DATE, NATIONAL_ID)
              if value in json_lines.getvalue() or value in caplog.text]
    assert leaked == []
    assert "sqlalchemy.exc.DataError" in error["exc"] and "22P02" in error["exc"]  # what is kept
