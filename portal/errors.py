"""Error pages in the portal's layout, JSON for machine routes; never a stack trace."""

import logging

from flask import g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from portal import htmx
from portal.extensions import db

log = logging.getLogger(__name__)


def _messages():
    return {
        400: (_("Bad request"), _("Something in this request was not right. Go back, check the form and try again.")),
        401: (_("Please log in"), _("You need to log in to see this page.")),
        403: (_("Not allowed"),
              _("Your account does not have access to this page. Ask an administrator if you need it.")),
        404: (_("Not found"), _("There is no page at this address.")),
        405: (_("Not allowed"), _("This page cannot be used this way.")),
        409: (_("Already done"), _("This was changed in the meantime. Reload the page to see where it stands.")),
        413: (_("Too large"), _("What you sent is larger than the portal accepts.")),
        429: (_("Too many attempts"), _("Too many attempts in a short time. Wait a minute, then try again.")),
        503: (_("Unavailable for a moment"),
              _("The portal cannot reach its database just now. Nothing you entered was saved; try again in a "
                "minute.")),
        500: (_("Something went wrong"),
              _("The portal could not finish this. Nothing you entered was lost; try again in a moment.")),
    }


def register_error_pages(app):
    from portal.auth.sessions import load_user

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        log.info("csrf refused", extra={"path": request.path, "reason": error.description})
        if htmx.from_script():
            # htmx shows nothing for a 400: send the whole page where the officer can go on instead. The CSRF
            # check runs before the user is loaded, so load them here to tell an ended session from a stale page.
            load_user()
            return htmx.page_out_of_date() if g.user is not None else htmx.session_ended()
        return _render(400,
                       _("This form has expired or was not sent from the portal. Reload the page and send it again."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        return _render(error.code)

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        # the server or the connection, not the request: temporary, so 503 and when to come back
        db.session.rollback()
        log.error("database unavailable", extra={"path": request.path, "error": type(error.orig).__name__})
        response, status = _render(503)
        return response, status, {"Retry-After": "60"}

    @app.errorhandler(Exception)
    def unexpected_error(error):
        db.session.rollback()
        log.exception("unhandled error", extra={"path": request.path})
        return _render(500)


def _render(status, message=None):
    titles = _messages()
    title, default_message = titles.get(status, titles[500 if status >= 500 else 400])
    message = message or default_message
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=title, message=message, status=status), status
    return render_template("errors/error.html", status=status, title=title, message=message), status
