"""Credentials for no known packet: a MOSIP CREDENTIAL_ISSUED delivery that names no packet the portal knows
is kept (status `unmatched`) with the identifiers it was looked up by (`match_keys`), retried later and listed
for supervisors; the index serves that list and the retries (channel, status, newest first).

Revision ID: 0007_unmatched_credentials
Revises: 0006_message_keys
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_unmatched_credentials"
down_revision = "0006_message_keys"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE (see 0006): SQLite adds the column in place, no batch rebuild of the table.
    op.add_column("packet_inbound_events", sa.Column("match_keys", sa.JSON(), nullable=True))
    op.create_index("ix_packet_inbound_events_channel_status", "packet_inbound_events",
                    ["channel", "status", "received_at"], unique=False)


def downgrade():
    op.drop_index("ix_packet_inbound_events_channel_status", table_name="packet_inbound_events")
    op.drop_column("packet_inbound_events", "match_keys")
