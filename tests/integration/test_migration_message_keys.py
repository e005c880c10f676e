"""Migration 0006 (message keys): adds the columns in place, keys the retry note pages already translated, and
goes back down without losing a row."""

import uuid

import psycopg
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.config import PROJECT_ROOT
from portal.extensions import db
from tests.conftest import POSTGRES_SERVER, migrate_database

MIGRATIONS = str(PROJECT_ROOT / "migrations")
RETRY_NOTE = "openIMIS is unreachable or busy; the registration is kept and will be sent again automatically."


@pytest.fixture
def own_app(make_app, database_url):
    """An app on a database of this test's own: it goes down and up, which the worker's shared PostgreSQL
    database must not (a failure half-way would break every later test there)."""
    if database_url.startswith("sqlite"):  # already a copy for this test alone
        yield make_app()
        return
    name = f"portal_test_migration_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{POSTGRES_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    try:
        migrate_database(url)
        app = make_app({"SQLALCHEMY_DATABASE_URI": url})
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_down_and_up_again_keeps_the_rows_and_keys_the_retry_note(own_app):
    app = own_app
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision="0005_merge_capabilities")
        db.session.execute(text(
            "INSERT INTO packets (kind, event_key, topic, source, state, process, mosip_source, attempts, polls, "
            "retries, error_notified, received_at, state_changed_at, updated_at) VALUES ('birth', 'e1', "
            "'BIRTH_REGISTERED', 'webhook', 'received', 'CRVS_NEW', 'OPENCRVS', 0, 0, 0, false, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        db.session.execute(text(
            "INSERT INTO packet_events (packet_id, created_at, step, state, detail, attempt) "
            "SELECT id, CURRENT_TIMESTAMP, 'intake', 'received', 'stored', 1 FROM packets"))
        for note in (RETRY_NOTE, "sent to openIMIS"):
            db.session.execute(text(
                "INSERT INTO registrations (created_by, created_at, updated_at, status, \"values\", verification, "
                "verified_values, esignet_amr, esignet_claims, verification_notes, has_corrections, note) VALUES "
                "('officer', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'queued', '{}', 'none', '{}', '[]', '[]', '[]', "
                "false, :note)"), {"note": note})
        db.session.commit()

        upgrade(directory=MIGRATIONS, revision="heads")
        keyed = db.session.execute(text("SELECT note, note_key FROM registrations ORDER BY id")).all()
        db.session.commit()  # an open read would hold the lock the next ALTER TABLE waits for (PostgreSQL)
        assert [tuple(row) for row in keyed] == [(RETRY_NOTE, "registration.openimis_busy"), ("sent to openIMIS", None)]

        downgrade(directory=MIGRATIONS, revision="0005_merge_capabilities")
        timeline = db.session.execute(text("SELECT count(*) FROM packet_events")).scalar()
        db.session.commit()
        upgrade(directory=MIGRATIONS, revision="heads")
        assert timeline == 1
