"""skills with a level, refused skills, time offered

Revision ID: 0005_skills
Revises: 0004_diffusion
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_skills"
down_revision = "0004_diffusion"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy: on SQLite, copying "volunteers" would drop the old
    # table and, with foreign keys on, cascade-delete every volunteer's skills. Rows already
    # there keep meaning what they meant: skills as stated, nothing refused.
    op.add_column(
        "volunteer_skills",
        sa.Column("level", sa.String(length=20), nullable=False, server_default="stated"),
    )
    op.add_column(
        "volunteers",
        sa.Column("refused_skills", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column("volunteers", sa.Column("hours_per_month", sa.Float(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL), for the same reason as above.
    op.execute("ALTER TABLE volunteers DROP COLUMN hours_per_month")
    op.execute("ALTER TABLE volunteers DROP COLUMN refused_skills")
    op.execute("ALTER TABLE volunteer_skills DROP COLUMN level")
