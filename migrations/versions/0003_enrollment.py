"""Enrollment: batches and items, one claim per openSPP individual, selections, DCI API clients and messages.

Revision ID: 0003_enrollment
Revises: 0001_foundation
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_enrollment"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_api_clients_client_id")),
        sa.UniqueConstraint("name", name=op.f("uq_api_clients_name")),
    )
    op.create_table(
        "enrollment_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=True),
        sa.Column("correlation_id", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("product_code", sa.String(length=50), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=True),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("officer_code", sa.String(length=50), nullable=False),
        sa.Column("officer_name", sa.String(length=200), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("enroll_date", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_batches")),
        sa.UniqueConstraint("correlation_id", name=op.f("uq_enrollment_batches_correlation_id")),
    )
    with op.batch_alter_table("enrollment_batches") as batch_op:
        batch_op.create_index(batch_op.f("ix_enrollment_batches_created_at"), ["created_at"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("api_client_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["api_client_id"], ["api_clients.id"],
                                name=op.f("fk_api_tokens_api_client_id_api_clients"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_api_client_id"), ["api_client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_tokens_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "dci_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_client_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("transaction_id", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("answer_status", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["api_client_id"], ["api_clients.id"],
                                name=op.f("fk_dci_messages_api_client_id_api_clients"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["batch_id"], ["enrollment_batches.id"],
                                name=op.f("fk_dci_messages_batch_id_enrollment_batches"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dci_messages")),
        sa.UniqueConstraint("sender_id", "message_id", name=op.f("uq_dci_messages_sender_id")),
    )
    with op.batch_alter_table("dci_messages") as batch_op:
        batch_op.create_index(batch_op.f("ix_dci_messages_api_client_id"), ["api_client_id"], unique=False)

    op.create_table(
        "enrollment_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("openspp_id", sa.String(length=200), nullable=False),
        sa.Column("reference_id", sa.String(length=200), nullable=True),
        sa.Column("display_name", sa.String(length=300), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("chf_id", sa.String(length=50), nullable=True),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("family_uuid", sa.String(length=64), nullable=True),
        sa.Column("family_mutation_id", sa.String(length=64), nullable=True),
        sa.Column("policy_mutation_id", sa.String(length=64), nullable=True),
        sa.Column("number_attempts", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["enrollment_batches.id"],
                                name=op.f("fk_enrollment_items_batch_id_enrollment_batches"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_items")),
        sa.UniqueConstraint("batch_id", "openspp_id", name=op.f("uq_enrollment_items_batch_id")),
    )
    with op.batch_alter_table("enrollment_items") as batch_op:
        batch_op.create_index("ix_enrollment_items_batch_status", ["batch_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrollment_items_reference_id"), ["reference_id"], unique=False)

    op.create_table(
        "enrollment_selections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("openspp_id", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=300), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_enrollment_selections_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_selections")),
        sa.UniqueConstraint("user_id", "openspp_id", name=op.f("uq_enrollment_selections_user_id")),
    )
    with op.batch_alter_table("enrollment_selections") as batch_op:
        batch_op.create_index(batch_op.f("ix_enrollment_selections_user_id"), ["user_id"], unique=False)

    # The rule "one enrollment per openSPP individual" lives here, not only in code.
    op.create_table(
        "enrollment_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openspp_id", sa.String(length=200), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["enrollment_items.id"],
                                name=op.f("fk_enrollment_claims_item_id_enrollment_items"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_claims")),
        sa.UniqueConstraint("item_id", name=op.f("uq_enrollment_claims_item_id")),
        sa.UniqueConstraint("openspp_id", name=op.f("uq_enrollment_claims_openspp_id")),
    )


def downgrade():
    op.drop_table("enrollment_claims")
    op.drop_table("enrollment_selections")
    op.drop_table("enrollment_items")
    op.drop_table("dci_messages")
    op.drop_table("api_tokens")
    op.drop_table("enrollment_batches")
    op.drop_table("api_clients")
