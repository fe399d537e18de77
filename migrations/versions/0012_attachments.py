"""evidence files of cases

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:00:00

Attachments (证据材料) of applications and supplements: name, kind judged by content, size and
SHA-256; the bytes are kept in the file store (ATTACHMENTS_STORE), not in the database.

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["credit_case.id"], name="fk_attachment_case_id_credit_case"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["case_task.id"], name="fk_attachment_task_id_case_task"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attachment"),
        sa.UniqueConstraint("storage_key", name="uq_attachment_storage_key"),
    )
    op.create_index("ix_attachment_case_id", "attachment", ["case_id"], unique=False)
    op.create_index("uq_attachment_case_sha256", "attachment", ["case_id", "sha256"], unique=True)


def downgrade():
    op.drop_index("uq_attachment_case_sha256", table_name="attachment")
    op.drop_index("ix_attachment_case_id", table_name="attachment")
    op.drop_table("attachment")
