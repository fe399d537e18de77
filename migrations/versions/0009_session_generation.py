"""session generation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:00:00

A number per user that every signed-in session carries; sign-out, a password change or
reset and deactivation raise it, so every earlier session of that user ends.

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
