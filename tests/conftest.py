"""Fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL, apps, clients, personas.

Every test that uses `app` runs twice, once per backend (`PORTAL_TEST_BACKENDS=sqlite` narrows it for a
quick local run; CI runs both and fails, never skips, when PostgreSQL cannot be reached).
"""

import os
import shutil
import uuid

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from portal import create_app
from portal.config import PROJECT_ROOT
from portal.extensions import db

BACKENDS = [b for b in os.environ.get("PORTAL_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
POSTGRES_SERVER = os.environ.get("PORTAL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
PASSWORD = "correct-horse-battery"

BASE_CONFIG = {
    "TESTING": True,
    "PORTAL_DEMO": True,
    "SECRET_KEY": "test-secret-key-" + "x" * 32,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "PORTAL_JOB_BACKOFF_BASE": 0,
}


def migrate_database(url):
    """Build the schema the way production does: by running every migration."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"), revision="heads")
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    migrate_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A database of our own on the local PostgreSQL, created and dropped by the test session."""
    name = f"portal_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {POSTGRES_SERVER} cannot be used: {exc}", pytrace=False)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{POSTGRES_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    migrate_database(url)
    yield url
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _truncate_all(url):
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "portal.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        yield url
        _truncate_all(url)


@pytest.fixture
def make_app(database_url):
    """Build an app on this test's database; `overrides` win over the test defaults."""
    apps = []

    def make(overrides=None):
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **(overrides or {})})
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a staff user and return its id-bearing User (detached after commit)."""
    from portal.auth.accounts import create_user

    def make(username, roles, password=PASSWORD, active=True):
        with app.app_context():
            user = create_user(username, roles, password, actor="test")
            user.active = active
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def login_as(make_user):
    """Log `client` in as a new user holding `roles`; returns that user."""

    def login(client, *roles, username=None):
        user = make_user(username or "-".join(roles) or "nobody", roles)
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 303, response.data[:500]
        return user

    return login
