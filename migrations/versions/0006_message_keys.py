"""Message keys: beside each message a job stores in English, its key and parameters, so pages show it in the
reader's language (portal/messages.py). The English columns stay as they are: peers and logs read them.

Revision ID: 0006_message_keys
Revises: 0005_merge_capabilities
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_message_keys"
down_revision = "0005_merge_capabilities"
branch_labels = None
depends_on = None

# table -> the text columns that get a `<name>_key` and a `<name>_params`
MESSAGE_COLUMNS = {
    "packet_events": ("detail",),
    "packets": ("error",),  # beside error_message
    "enrollment_items": ("error", "note"),
    "registrations": ("error", "note"),
}
# The one stored note pages already showed translated (by its words): it keeps being translated, by its key now.
RETRY_NOTE = "openIMIS is unreachable or busy; the registration is kept and will be sent again automatically."


def upgrade():
    # Plain ALTER TABLE, not batch mode: SQLite (3.35+) adds and drops columns in place, where a batch rebuild
    # of `packets` would drop the table and, foreign keys being on, cascade-delete its timeline.
    for table, names in MESSAGE_COLUMNS.items():
        for name in names:
            op.add_column(table, sa.Column(f"{name}_key", sa.String(length=64), nullable=True))
            op.add_column(table, sa.Column(f"{name}_params", sa.JSON(), nullable=True))
    registrations = sa.table("registrations", sa.column("note", sa.String), sa.column("note_key", sa.String),
                             sa.column("note_params", sa.JSON))
    op.execute(registrations.update().where(registrations.c.note == RETRY_NOTE)
               .values(note_key="registration.openimis_busy", note_params={}))


def downgrade():
    for table, names in MESSAGE_COLUMNS.items():
        for name in names:
            op.drop_column(table, f"{name}_params")
            op.drop_column(table, f"{name}_key")
