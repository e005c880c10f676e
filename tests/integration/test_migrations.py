"""Every table comes from a migration, and the migrations match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from portal.extensions import db


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
        assert diff == []


def test_the_migrated_database_has_every_model_table(app):
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {table.name for table in db.metadata.sorted_tables} <= tables


def test_the_claim_query_has_its_partial_index(app):
    with app.app_context():
        indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("jobs")}
        assert "ix_jobs_runnable" in indexes


def test_the_database_refuses_to_change_an_audit_event(app):
    from portal import audit

    with app.app_context():
        event = audit.record("thing.done", "thing", 1, actor="test")
        db.session.commit()
        for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
            try:
                db.session.execute(text(statement))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - either backend's error type
                db.session.rollback()
                assert "append-only" in str(exc)
            else:
                raise AssertionError(f"{statement} was allowed")
        assert db.session.get(audit.AuditEvent, event.id).action == "thing.done"
