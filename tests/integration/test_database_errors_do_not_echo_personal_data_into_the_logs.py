"""A database error on a real route does not bring the request's personal data into the logs.

PostgreSQL explains a refused value with the data around it (`CONTEXT: JSON data, line 1: …"jane.doe@example.org",
"x": Infinity…`), which SQLAlchemy puts in the exception's text whatever `hide_parameters` says. Here a DCI push
carries `1e400`, which Python reads as infinity and writes back as `Infinity`: PostgreSQL's JSON column refuses it
after the email address. PostgreSQL only: SQLite stores that text as it is."""

import io
import json
import logging

import pytest

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


def test_a_refused_json_value_is_logged_without_the_data_around_it(api, json_lines, caplog):
    http, token = api
    caplog.set_level(logging.INFO)
    http.post("/api/dci/enrollment", data=BODY, headers={**token, "Content-Type": "application/json"})
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    [error] = [line for line in lines if "exc" in line]  # the database refused the value, and that was logged
    leaked = [value for value in (EMAIL, PHONE, BIRTH_DATE, NATIONAL_ID)
              if value in json_lines.getvalue() or value in caplog.text]
    assert leaked == []
    assert "sqlalchemy.exc.DataError" in error["exc"] and "22P02" in error["exc"]  # what is kept
