"""One-line JSON logs with the request id; the rule is ids, never personal data."""

import json
import logging
import re
import sqlite3
import time
import uuid

import psycopg
from flask import g, has_request_context, request
from sqlalchemy.exc import OperationalError, StatementError

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Attributes every LogRecord has; anything else passed in `extra=` is printed as a field.
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if has_request_context() and getattr(g, "request_id", None):
            line["request_id"] = g.request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:  # redacted when the record was made; again for a record made otherwise
            line["exc"] = self.formatException(redact_exc_info(record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class RedactedError(Exception):
    """Stands in, in a log record, for each exception of a chain that holds a database error. A database error is
    reduced to its classes and SQLSTATE: the driver's message repeats the statement's values (PostgreSQL's
    `DETAIL: Key (x)=(value)`, `Failing row contains (…)`, `CONTEXT: JSON data, line 1: …` echo a request body),
    and `hide_parameters` hides only SQLAlchemy's own copy of them. An OperationalError (the server or the
    connection: refused, shut down, database missing) keeps its first line, which names the server, never data.
    Every stand-in keeps its traceback."""


# A database error: SQLAlchemy's wrapper (its text embeds the driver's) or a driver's own exception.
_DATABASE_ERRORS = (StatementError, psycopg.Error, sqlite3.Error)
_CONNECTION_ERRORS = (OperationalError, psycopg.OperationalError, sqlite3.OperationalError)


def redact_exc_info(exc_info):
    """`exc_info` as it is, or stand-ins for its whole chain when a database error is part of it (the exception
    itself is left alone: only what the log record holds changes)."""
    value = exc_info[1] if isinstance(exc_info, tuple) else None
    if value is None or not any(isinstance(exc, _DATABASE_ERRORS) for exc in _chain(value)):
        return exc_info
    stand_in = _stand_in(value, {})
    return RedactedError, stand_in, exc_info[2]


def _chain(exc):
    """`exc` and every exception it was raised from or while handling."""
    seen, pending = set(), [exc]
    while pending:
        exc = pending.pop()
        if exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            yield exc
            pending += [exc.__cause__, exc.__context__]


def _stand_in(exc, made):
    if exc is None:
        return None
    if id(exc) not in made:
        stand_in = made[id(exc)] = RedactedError(_describe(exc)).with_traceback(exc.__traceback__)
        stand_in.__cause__ = _stand_in(exc.__cause__, made)
        stand_in.__context__ = _stand_in(exc.__context__, made)
        stand_in.__suppress_context__ = exc.__suppress_context__
    return made[id(exc)]


def _describe(exc):
    """A database error's classes and SQLSTATE (SQLite: its error name); any other exception's class and text."""
    if not isinstance(exc, _DATABASE_ERRORS):
        return f"{_class_name(exc)}: {exc}"
    driver = getattr(exc, "orig", None)  # the driver's exception inside SQLAlchemy's
    origin = exc if driver is None else driver
    state = getattr(origin, "sqlstate", None) or getattr(origin, "sqlite_errorname", None)
    facts = ([] if driver is None else [f"from {_class_name(driver)}"]) + ([f"SQLSTATE {state}"] if state else [])
    name = f"{_class_name(exc)} ({', '.join(facts) or 'no SQLSTATE'})"
    if isinstance(exc, _CONNECTION_ERRORS):
        primary = getattr(getattr(origin, "diag", None), "message_primary", None) or str(origin).split("\n")[0]
        text = f"{name}: {primary}"
    else:
        text = f"{name}; the database's message is left out of the log"
    # the statement is the portal's SQL with placeholders: which query failed, without its values
    statement = getattr(exc, "statement", None)
    return f"{text}\n[SQL: {statement}]\n[SQL parameters hidden]" if statement else text


def _class_name(exc):
    kind = type(exc)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def redact_database_errors():
    """Every log record made from now on, by any logger and for any handler (pytest's too), holds database errors
    redacted (a record factory: a filter would apply to one logger or one handler only)."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacts_database_errors", False):
        return

    def make_redacted_record(*args, **kwargs):
        record = make_record(*args, **kwargs)
        if record.exc_info:
            record.exc_info = redact_exc_info(record.exc_info)
        return record

    make_redacted_record.redacts_database_errors = True
    logging.setLogRecordFactory(make_redacted_record)


def configure_logging(app):
    redact_database_errors()
    formatter = JsonFormatter()
    formatter.converter = time.gmtime
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(app.config["PORTAL_LOG_LEVEL"])
    # The dev server's access log repeats the URL with its query string; ours is enough.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    app.before_request(_start_request)
    app.after_request(_finish_request)


def _start_request():
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response):
    request_id = getattr(g, "request_id", None)
    if request_id:
        response.headers["X-Request-ID"] = request_id
        duration_ms = round((time.perf_counter() - g.request_started) * 1000, 1)
        # The path only, never the query string: searches carry names.
        logging.getLogger("portal.request").info(
            "request",
            extra={"method": request.method, "path": request.path, "status": response.status_code,
                   "duration_ms": duration_ms, "endpoint": request.endpoint},
        )
    return response
