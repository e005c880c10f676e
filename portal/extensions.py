"""Flask extensions, created here and bound to the app in create_app."""

import hashlib
import hmac

from authlib.integrations.flask_client import OAuth
from flask import current_app, request
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
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
# gzip, brotli or zstd, as the browser accepts; adds Vary: Accept-Encoding (issue 13: 2G links).
compress = Compress()


def limit_key(value):
    """A rate-limit key for `value` (an address, a username): a keyed hash, so that neither Redis nor the line
    Flask-Limiter logs when a limit is reached holds the value itself."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else secret.encode()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:32]


def client_address_key():
    """The client's address (behind PORTAL_PROXY_HOPS proxies, the one ProxyFix read from X-Forwarded-For)."""
    return "address:" + limit_key(request.remote_addr or "")


# Every limit is evaluated, not only the first reached, so the login page can say how long the longest one lasts.
limiter = Limiter(key_func=client_address_key, default_limits=[], headers_enabled=True, fail_on_first_breach=False)


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
