"""Text no field can hold is refused before any view runs: a NUL byte in a query parameter, a form field or the
Authorization header is a 400 naming where it was.

PostgreSQL cannot store NUL in text ("A string literal cannot contain NUL (0x00) characters") and none of the
peers' formats allows one, so a NUL can only be a mistake or an attack; refusing it here keeps every view and
every query from having to. JSON bodies are checked by `portal.jsonbody.read_json`.
"""

import logging

from flask import abort, jsonify, request

log = logging.getLogger(__name__)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_nul_bytes():
    where = _where_a_nul_is()
    if where is None:
        return None
    reason = f"NUL byte in {where}"
    log.info("request refused", extra={"reason": reason, "path": request.path})
    if request.path.startswith("/api/"):
        return jsonify(error="invalid_request", error_description=reason), 400
    abort(400)


def _where_a_nul_is():
    # Forms only when the body is a form: a machine route that reads its raw body (HMAC) must find it unread.
    sources = [("query parameter", request.args)]
    if request.mimetype in FORM_TYPES:
        sources.append(("form field", request.form))
    for kind, values in sources:
        for name, value in values.items(multi=True):
            if "\x00" in name or "\x00" in value:
                return f"{kind} {name.replace(chr(0), '?')[:40]!r}"
    auth = request.authorization
    if auth is not None and any("\x00" in (part or "") for part in (auth.username, auth.password, auth.token)):
        return "the Authorization header"
    return None
