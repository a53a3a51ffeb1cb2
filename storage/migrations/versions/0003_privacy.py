"""privacy: linking confirmed by both sides, replies owed to a person found by sender

Revision ID: 0003_privacy
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_privacy"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_address", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("claimant", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("owner_confirmed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "claimant_confirmed", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.create_index(batch_op.f("ix_link_codes_claimant"), ["claimant"], unique=False)
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_processed_events_sender"), ["sender"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("processed_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_events_sender"))
        batch_op.drop_column("sender")
    with op.batch_alter_table("link_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_codes_claimant"))
        batch_op.drop_column("claimant_confirmed")
        batch_op.drop_column("owner_confirmed")
        batch_op.drop_column("claimant")
        batch_op.drop_column("owner_address")
