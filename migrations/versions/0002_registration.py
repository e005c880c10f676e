"""Registration: insurees registered by officers (eSignet-verified or by hand) and corrections of MOSIP values.

Revision ID: 0002_registration
Revises: 0001_foundation
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_registration"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("photo", sa.Text(), nullable=True),
        sa.Column("verification", sa.String(length=16), nullable=False),
        sa.Column("verified_values", sa.JSON(), nullable=False),
        sa.Column("esignet_sub", sa.String(length=255), nullable=True),
        sa.Column("esignet_acr", sa.String(length=255), nullable=True),
        sa.Column("esignet_amr", sa.JSON(), nullable=False),
        sa.Column("esignet_auth_time", sa.DateTime(), nullable=True),
        sa.Column("esignet_claims", sa.JSON(), nullable=False),
        sa.Column("verification_notes", sa.JSON(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("has_corrections", sa.Boolean(), nullable=False),
        sa.Column("login_state", sa.String(length=128), nullable=True),
        sa.Column("login_request", sa.JSON(), nullable=True),
        sa.Column("login_started_at", sa.DateTime(), nullable=True),
        sa.Column("client_mutation_id", sa.String(length=64), nullable=True),
        sa.Column("chf_id", sa.String(length=50), nullable=True),
        sa.Column("duplicate_chf_id", sa.String(length=50), nullable=True),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint("client_mutation_id", name=op.f("uq_registrations_client_mutation_id")),
        sa.UniqueConstraint("login_state", name=op.f("uq_registrations_login_state")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registrations_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_registrations_created_by"), ["created_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_registrations_has_corrections"), ["has_corrections"], unique=False)
        batch_op.create_index(batch_op.f("ix_registrations_status"), ["status"], unique=False)

    op.create_table(
        "registration_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("claim", sa.String(length=80), nullable=True),
        sa.Column("mosip_value", sa.Text(), nullable=True),
        sa.Column("entered_value", sa.Text(), nullable=True),
        sa.Column("officer", sa.String(length=150), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["registration_id"], ["registrations.id"],
                                name=op.f("fk_registration_corrections_registration_id_registrations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_corrections")),
    )
    with op.batch_alter_table("registration_corrections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registration_corrections_registration_id"), ["registration_id"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("registration_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_corrections_registration_id"))
    op.drop_table("registration_corrections")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrations_status"))
        batch_op.drop_index(batch_op.f("ix_registrations_has_corrections"))
        batch_op.drop_index(batch_op.f("ix_registrations_created_by"))
        batch_op.drop_index(batch_op.f("ix_registrations_created_at"))
    op.drop_table("registrations")
