"""Staff accounts: login/logout, roles, server-side sessions, the admin's user pages."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import cli, models, views  # noqa: E402,F401
