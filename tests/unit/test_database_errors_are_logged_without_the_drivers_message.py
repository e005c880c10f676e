"""A database exception in a log record keeps its classes and SQLSTATE, never the driver's message: PostgreSQL's
DETAIL (`Key (x)=(value)`, `Failing row contains (…)`) and CONTEXT (`JSON data, line 1: …`) repeat the values of the
statement, which `hide_parameters=True` does not hide. A connection-level error (OperationalError) keeps its first
line (the server refused, shut down, has no such database), never what follows. Other exceptions are logged as
they are."""

import io
import json
import logging

import psycopg
import pytest
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from portal.logs import JsonFormatter, redact_database_errors

EMAIL, PHONE, NATIONAL_ID = "jane.doe@example.org", "+977 9800000042", "NP-1990010242"
STATEMENT = "INSERT INTO dci_messages (body) VALUES (%(body)s::JSON)"


def data_error():
    """What psycopg and SQLAlchemy raise for a JSON value PostgreSQL cannot read (SQLSTATE 22P02)."""
    orig = psycopg.errors.InvalidTextRepresentation(
        "invalid input syntax for type json\nDETAIL:  Token \"Infinity\" is invalid.\n"
        f"CONTEXT:  JSON data, line 1: ...\"{PHONE}\"}}], \"email\": \"{EMAIL}\", \"x\": Infinity...")
    return DataError(STATEMENT, {"body": "hidden"}, orig, hide_parameters=True)


def integrity_error():
    orig = psycopg.errors.UniqueViolation(
        "duplicate key value violates unique constraint \"uq_enrollment_claims_openspp_id\"\n"
        f"DETAIL:  Key (openspp_id)=(National ID:{NATIONAL_ID}) already exists.")
    return IntegrityError(STATEMENT, {"openspp_id": "hidden"}, orig, hide_parameters=True)


@pytest.fixture
def logged():
    """(caplog, lines written by the portal's JsonFormatter) for the `portal.test` logger."""
    redact_database_errors()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("portal.test")
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)


def raise_and_log(logger, error):
    try:
        raise error from error.orig
    except Exception:
        logger.exception("unhandled error", extra={"path": "/api/dci/enrollment"})


def personal_values_in(text):
    return [value for value in (EMAIL, PHONE, NATIONAL_ID) if value in text]


@pytest.mark.parametrize("make_error, sqlstate", [(data_error, "22P02"), (integrity_error, "23505")],
                         ids=["data-error", "unique-violation"])
def test_a_database_error_is_logged_with_its_class_and_sqlstate_only(logged, caplog, make_error, sqlstate):
    logger, stream = logged
    error = make_error()
    raise_and_log(logger, error)
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    [record] = [r for r in caplog.records if r.name == "portal.test"]
    assert personal_values_in(line["exc"]) == []
    assert personal_values_in(caplog.text) == []
    assert personal_values_in(str(record.exc_info[1])) == []
    # what is kept: the classes, the SQLSTATE and where it was raised
    assert f"sqlalchemy.exc.{type(error).__name__}" in line["exc"] and sqlstate in line["exc"]
    assert type(error.orig).__name__ in line["exc"] and "raise_and_log" in line["exc"]
    assert f"[SQL: {STATEMENT}]" in line["exc"]  # which statement, without its values
    # the exception the code handles is untouched: only the log record holds the stand-in
    assert EMAIL in str(data_error()) and NATIONAL_ID in str(integrity_error())


def test_a_connection_error_keeps_its_first_line_only(logged, caplog):
    logger, stream = logged
    refused = psycopg.OperationalError('connection failed: connection to server at "127.0.0.1", port 9 failed: '
                                       "Connection refused\n\tIs the server running on that host?")
    raise_and_log(logger, OperationalError(None, None, refused, hide_parameters=True))
    cancelled = psycopg.errors.QueryCanceled("canceling statement due to statement timeout\n"
                                             f"CONTEXT:  JSON data, line 1: ...\"{NATIONAL_ID}\"...")
    raise_and_log(logger, OperationalError(STATEMENT, {"body": "hidden"}, cancelled, hide_parameters=True))
    first, second = (json.loads(line)["exc"] for line in stream.getvalue().splitlines())
    assert "Connection refused" in first and "Is the server running" not in first
    assert "canceling statement due to statement timeout" in second and "57014" in second
    assert personal_values_in(second) == [] and personal_values_in(caplog.text) == []


def test_an_exception_raised_while_handling_a_database_error_does_not_bring_its_text_back(logged, caplog):
    logger, stream = logged
    try:
        try:
            raise integrity_error()
        except IntegrityError:
            raise KeyError("retry")  # noqa: B904 - the implicit chain (__context__) is what is logged here
    except KeyError:
        logger.exception("unhandled error")
    text = stream.getvalue()
    assert personal_values_in(text) == [] and personal_values_in(caplog.text) == []
    assert "KeyError: 'retry'" in text and "UniqueViolation" in text and "23505" in text


def test_other_exceptions_are_logged_as_they_are(logged, caplog):
    logger, stream = logged
    try:
        raise ValueError("ids[0].value is required")
    except ValueError as exc:
        error = exc
        logger.exception("bad input")
    [record] = [r for r in caplog.records if r.name == "portal.test"]
    assert record.exc_info[1] is error
    assert "ValueError: ids[0].value is required" in json.loads(stream.getvalue())["exc"]
