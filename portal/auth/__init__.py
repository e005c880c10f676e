"""Who may use the portal: staff accounts (login/logout, roles, server-side sessions, the admin's user pages) and the
machine partners of the API (OAuth2 client credentials: `apiclients.py`, `POST /api/oauth/token` in `token.py`)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
api_bp = Blueprint("auth_api", __name__, url_prefix="/api")  # machine routes: no session, no CSRF

from portal.auth import cli, models, token, views  # noqa: E402,F401
