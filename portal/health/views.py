"""Liveness (`/healthz`) and readiness (`/readyz`) for load balancers."""

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from portal.auth.decorators import public
from portal.auth.sessions import without_user
from portal.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
@without_user
def healthz():
    """The process answers (liveness): no database, not even for a request with a session cookie."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public
@without_user
def readyz():
    """The database answers and its schema is at the migrations' head(s). Peers do not count. A session cookie is
    not looked up: a database outage is this view's 503, not a 500 from loading the user."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:  # noqa: BLE001 - any database failure means not ready
        return jsonify(status="unavailable", database=type(exc).__name__,
                       reason="the database cannot be reached"), 503
    expected = set(migration_heads())
    if current != expected:
        return jsonify(status="unavailable", database="ok", migrations="behind",
                       reason="the database schema is not at the migrations' head"), 503
    return jsonify(status="ok", database="ok", migrations="head")


def migration_heads():
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_heads()
