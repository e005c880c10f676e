"""Outcomes sent back to OpenCRVS, marked before and after the call (issue 12): a worker killed after OpenCRVS
took the UIN token, but before the packet was saved, sent it again. The next attempt now reads `started` /
`sent` here and decides (portal/packets/handlers/outcome.py). The unique key (packet, outcome, round) is also the
index the notify step reads it by.

Revision ID: 0009_packet_notifications
Revises: 0008_subscription_requests
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_packet_notifications"
down_revision = "0008_subscription_requests"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "packet_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("packet_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("possibly_duplicated", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["packet_id"], ["packets.id"],
                                name=op.f("fk_packet_notifications_packet_id_packets"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packet_notifications")),
        sa.UniqueConstraint("packet_id", "outcome", "round", name=op.f("uq_packet_notifications_packet_id")),
    )


def downgrade():
    op.drop_table("packet_notifications")
