"""What staff read when openSPP refuses or answers in a shape the client does not read: `StaffText` (English in logs
and stored text, the reader's language on a page), the search messages, and `dci_error`, a registry's own error
code and message in whatever shape a DCI registry sends it; `PEER`, the code in every error.
"""

from collections.abc import Mapping

from flask import current_app, has_request_context
from flask_babel import gettext

from portal.clients.errors import PermanentPeerError
from portal.messages import N_

from .individuals import text

PEER = "openspp"

# What staff read (translated on a page, see StaffText); a registry's code and words are parameters.
SEARCH_ERROR = N_("openSPP answered the search with error %(code)s: %(message)s")
SEARCH_ERROR_HTTP = N_("openSPP answered the search with error %(code)s (HTTP %(status)s): %(message)s")
SEARCH_REFUSED = N_("openSPP refused the search (HTTP %(status)s): %(message)s")
SEARCH_REFUSED_BARE = N_("openSPP refused the search (HTTP %(status)s)")
SEARCH_FAILED = N_("openSPP answered the search with an error: %(message)s")
SEARCH_REJECTED = N_("openSPP rejected the search: %(code)s %(message)s")
SEARCH_SHAPE = N_("openSPP's search answer is in a shape the portal does not read: expected %(expected)s, "
                  "found %(found)s")


class StaffText:
    """A client message staff read: English where it is logged or stored (outside a request), in the reader's
    language on a page (inside a request, Flask-Babel). A peer's own words are parameters, inserted as they are."""

    def __init__(self, template, **params):
        self.template, self.params = template, params

    def __str__(self):
        if has_request_context() and "babel" in current_app.extensions:
            return gettext(self.template, **self.params)
        return self.template % self.params

    def __repr__(self):
        return f"StaffText({self.template % self.params!r})"


def dci_error(data):
    """(code or None, message) when `data` is an error answer in a shape DCI registries use, else None.

    - SPDCI acknowledgement (`components/responses/Response`: `message.ack_status` ACK|NACK|ERR, `error{code,
      message}`): OpenSPP 2 `spp_dci_server` answers every error so, with the HTTP status of the error
      (`middleware/signature.py` DCIHTTPException, `models/fastapi_endpoint_dci.py` DCIErrorResponseMiddleware:
      code `err.<status>` for a plain FastAPI error), and with HTTP 200 from its callback routes
      (`routers/callbacks.py` AckResponse);
    - `HttpErrorResponse` `{"errors": [{code, message}]}` (SPDCI 401/403/500);
    - openSPP 17 `spp_dci_api_server` `{"error": {code, message}}`, and OAuth's `{"error", "error_description"}`;
    - openIMIS `api_dci` `{"header": {"status": "error", "message"}, "errors"}` (`views/person_viewset.py`
      sync_search);
    - FastAPI's `{"detail": ...}`."""
    if not isinstance(data, Mapping):
        return None
    message = data.get("message")
    if isinstance(message, Mapping) and message.get("ack_status") in ("ERR", "NACK"):
        error = message.get("error") if isinstance(message.get("error"), Mapping) else {}
        return error_code(error.get("code")), text(error.get("message")) or f"ack_status {message['ack_status']}"
    errors = data.get("errors")
    if isinstance(errors, list) and errors and all(isinstance(e, Mapping) for e in errors):
        return error_code(errors[0].get("code")), "; ".join(filter(None, (text(e.get("message")) for e in errors)))
    error = data.get("error")
    if isinstance(error, Mapping):
        return error_code(error.get("code")), text(error.get("message")) or ""
    if isinstance(error, str):
        return None, text(data.get("error_description")) or error
    header = data.get("header")
    if isinstance(header, Mapping) and header.get("status") == "error":
        return None, text(header.get("message")) or "error"
    if "detail" in data and "header" not in data:
        detail = data["detail"]
        return None, detail if isinstance(detail, str) else str(detail)[:300]
    return None


def error_code(value):
    """A registry's error code as text; None when it sent none."""
    return None if value is None or value == "" else str(value)


def what_came(value, path):
    """What came instead of what the client reads: the keys of an object (never its values: they may be a
    person's), or the JSON type of anything else."""
    if isinstance(value, Mapping):
        keys = sorted(str(k)[:40] for k in value)
        shown = ", ".join(keys[:12]) + (", …" if len(keys) > 12 else "")
        return f"{path} {{{shown}}}"
    kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")
    return f"{path} as {kind}"


def shape_error(expected, found):
    """The error for an answer the client cannot read: what it expected and what came instead."""
    return PermanentPeerError(StaffText(SEARCH_SHAPE, expected=expected, found=found), peer=PEER,
                              code="shape.unknown")
