"""Migration 0004_packets matches the packets models exactly (SQLite and PostgreSQL)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db

TABLES = {"packets", "packet_events", "packet_inbound_events", "packet_subscriptions"}


def _table_of(diff):
    item = diff[1] if isinstance(diff, tuple) else diff[0][1]
    table = getattr(item, "table", None)
    return getattr(item, "name", None) if table is None else table.name


def test_packets_models_and_migration_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, db.metadata) if _table_of(d) in TABLES]
        assert diff == []
