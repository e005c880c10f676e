"""Join the three capability branches (registration, enrollment, packets) into one head.

Revision ID: 0005_merge_capabilities
Revises: 0002_registration, 0003_enrollment, 0004_packets
"""

revision = "0005_merge_capabilities"
down_revision = ("0002_registration", "0003_enrollment", "0004_packets")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
