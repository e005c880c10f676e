"""One-line JSON logs with the request id; the rule is ids, never personal data."""

import json
import logging
import re
import time
import uuid

from flask import g, has_request_context, request

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
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(app):
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
