"""MOSIP WebSub requests awaiting the hub's answer: when the portal asked to subscribe / unsubscribe. The hub's
intent verification (an unauthenticated GET) changes the subscription only when it answers one of these requests
(portal/packets/api.py `websub_verify`); before, any GET could rewrite the subscription's status and expiry.

Revision ID: 0008_subscription_requests
Revises: 0007_unmatched_credentials
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_subscription_requests"
down_revision = "0007_unmatched_credentials"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE (see 0006): SQLite adds the columns in place. Rows already there wait for no answer.
    op.add_column("packet_subscriptions", sa.Column("subscribe_requested_at", sa.DateTime(), nullable=True))
    op.add_column("packet_subscriptions", sa.Column("unsubscribe_requested_at", sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column("packet_subscriptions", "unsubscribe_requested_at")
    op.drop_column("packet_subscriptions", "subscribe_requested_at")
