"""The one place that knows how htmx marks its requests."""

from urllib.parse import urlsplit

from flask import flash, make_response, redirect, request, url_for
from flask_babel import gettext as _

from portal.redirects import local_path


def is_htmx():
    """True for an htmx request that wants a fragment; false for boosted and history-restore requests."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def from_script():
    """Any request made by htmx (boosted too) or by the portal's own scripts, which mark theirs the same way: a
    redirect would be followed inside the page, so it must be told where to go with HX-Redirect instead."""
    return request.headers.get("HX-Request") == "true"


def htmx_redirect(location):
    """After a successful POST: HX-Redirect for htmx, 303 See Other without JavaScript."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)


def current_page():
    """The page the browser shows (htmx's HX-Current-URL), as a path of this site; else the requested path."""
    parts = urlsplit(request.headers.get("HX-Current-URL", ""))
    page = parts.path + (f"?{parts.query}" if parts.query else "")
    fallback = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return local_path(page, fallback)


def _go(location, status):
    # HX-Redirect is read by htmx whatever the status, before any swap: nothing lands inside the form.
    response = make_response("", status)
    response.headers["HX-Redirect"] = location
    return response


def session_ended():
    """A script's request met an ended session: the whole page goes to the login page, then back to this page.
    The registration form's script says (X-Portal-Draft) when it has kept what was typed in the browser tab."""
    if request.headers.get("X-Portal-Draft") == "kept":
        flash(_("Your session ended. Your draft was saved: log in again to go back to it."), "warn")
    else:
        flash(_("Your session ended. Log in again to go back to where you were."), "warn")
    return _go(url_for("auth.login", next=current_page()), 401)


def page_out_of_date():
    """A stale CSRF token on a live session (logged out and in again in another tab): reload the page for a fresh
    token; the registration form's script puts back what was typed."""
    flash(_("This page was out of date, so it was reloaded. Check the form and send it again."), "warn")
    return _go(current_page(), 409)
