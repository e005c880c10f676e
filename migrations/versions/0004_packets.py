"""Packets: OpenCRVS → MOSIP packets, their timeline, stored inbound events, subscriptions.

Revision ID: 0004_packets
Revises: 0001_foundation
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_packets"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "packets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=True),
        sa.Column("retry_from", sa.String(length=32), nullable=True),
        sa.Column("tracking_id", sa.String(length=64), nullable=True),
        sa.Column("registration_number", sa.String(length=64), nullable=True),
        sa.Column("mosip_aid", sa.String(length=64), nullable=True),
        sa.Column("rid", sa.String(length=64), nullable=True),
        sa.Column("process", sa.String(length=40), nullable=False),
        sa.Column("mosip_source", sa.String(length=40), nullable=False),
        sa.Column("workflow_instance_id", sa.String(length=64), nullable=True),
        sa.Column("mosip_status", sa.String(length=32), nullable=True),
        sa.Column("uin_token", sa.String(length=128), nullable=True),
        sa.Column("opencrvs_event_id", sa.String(length=128), nullable=True),
        sa.Column("action_id", sa.String(length=128), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("error_notified", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(), nullable=False),
        sa.Column("uin_issued_at", sa.DateTime(), nullable=True),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packets")),
        sa.UniqueConstraint("event_key", name=op.f("uq_packets_event_key")),
        sa.UniqueConstraint("rid", name=op.f("uq_packets_rid")),
    )
    with op.batch_alter_table("packets") as batch_op:
        batch_op.create_index(batch_op.f("ix_packets_tracking_id"), ["tracking_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_packets_registration_number"), ["registration_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_packets_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_packets_uin_issued_at"), ["uin_issued_at"], unique=False)
        batch_op.create_index("ix_packets_kind_state_changed", ["kind", "state", "state_changed_at"], unique=False)
        batch_op.create_index("ix_packets_state_changed", ["state", "state_changed_at"], unique=False)

    op.create_table(
        "packet_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("packet_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["packet_id"], ["packets.id"], name=op.f("fk_packet_events_packet_id_packets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packet_events")),
    )
    with op.batch_alter_table("packet_events") as batch_op:
        batch_op.create_index(batch_op.f("ix_packet_events_packet_id"), ["packet_id"], unique=False)

    op.create_table(
        "packet_inbound_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("packet_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["packet_id"], ["packets.id"],
                                name=op.f("fk_packet_inbound_events_packet_id_packets"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packet_inbound_events")),
        sa.UniqueConstraint("channel", "key", name=op.f("uq_packet_inbound_events_channel")),
    )
    with op.batch_alter_table("packet_inbound_events") as batch_op:
        batch_op.create_index(batch_op.f("ix_packet_inbound_events_packet_id"), ["packet_id"], unique=False)

    op.create_table(
        "packet_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=120), nullable=False),
        sa.Column("callback", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("lease_seconds", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packet_subscriptions")),
        sa.UniqueConstraint("peer", "topic", "callback", name=op.f("uq_packet_subscriptions_peer")),
    )


def downgrade():
    op.drop_table("packet_subscriptions")
    op.drop_table("packet_inbound_events")
    op.drop_table("packet_events")
    op.drop_table("packets")
