"""missions published on API Engagement

Revision ID: 0004_diffusion
Revises: 0003_privacy
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_diffusion"
down_revision = "0003_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "diffusions",
        sa.Column("client_id", sa.String(length=160), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=True),
        sa.Column("pending", sa.JSON(), nullable=True),
        sa.Column("sent", sa.JSON(), nullable=True),
        sa.Column("moderation", sa.String(length=20), nullable=True),
        sa.Column("moderation_comment", sa.Text(), nullable=True),
        sa.Column("moderated_by", sa.String(length=60), nullable=True),
        sa.Column("refusal_told", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_index("ix_diffusions_mission_id", "diffusions", ["mission_id"])
    op.create_index("ix_diffusions_withdrawn_at", "diffusions", ["withdrawn_at"])


def downgrade() -> None:
    op.drop_index("ix_diffusions_withdrawn_at", table_name="diffusions")
    op.drop_index("ix_diffusions_mission_id", table_name="diffusions")
    op.drop_table("diffusions")
