"""The one place that knows how htmx marks its requests."""

from flask import make_response, redirect, request


def is_htmx():
    """True for an htmx request that wants a fragment; false for boosted and history-restore requests."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def htmx_redirect(location):
    """After a successful POST: HX-Redirect for htmx, 303 See Other without JavaScript."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)
