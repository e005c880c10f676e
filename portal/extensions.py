"""Flask extensions, created here and bound to the app in create_app."""

from authlib.integrations.flask_client import OAuth
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.exc import IntegrityError

# Stable constraint names, so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
oauth = OAuth()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def login_account_key():
    """Rate-limit key for login attempts per account (the username, case-folded)."""
    return "account:" + (request.form.get("username") or "").strip().casefold()[:150]


def commit_or_retry_once(work):
    """`work()`, then commit. When a concurrent twin made the commit break a unique constraint (IntegrityError),
    roll back and run `work()` once more: it then sees the twin's rows and does what is left (or nothing). A second
    conflict is raised."""
    try:
        result = work()
        db.session.commit()
        return result
    except IntegrityError:
        db.session.rollback()
    result = work()
    db.session.commit()
    return result
