"""notices by e-mail, SMS and post

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 11:00:00

R-CHANNEL (Art. 23): the e-mail, mobile and postal address an operator files; notices by
e-mail, SMS and letter besides the portal and the announcement; each try to reach the
recipient, with what came of it.

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("mobile", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("postal_address", sa.String(length=300), nullable=True))
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notice_channel"), type_="check")
        batch_op.create_check_constraint(
            "channel", "channel IN ('portal', 'email', 'sms', 'letter', 'announcement')"
        )
    op.create_table(
        "notice_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "channel IN ('portal', 'email', 'sms', 'letter')",
            name=op.f("ck_notice_delivery_channel"),
        ),
        sa.CheckConstraint(
            "state IN ('delivered', 'refused', 'queued', 'posted', 'returned')",
            name=op.f("ck_notice_delivery_state"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_delivery_notice_id_notice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_delivery")),
    )
    op.create_index("ix_notice_delivery_notice_id", "notice_delivery", ["notice_id"], unique=False)


def downgrade():
    op.drop_index("ix_notice_delivery_notice_id", table_name="notice_delivery")
    op.drop_table("notice_delivery")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notice_channel"), type_="check")
        batch_op.create_check_constraint("channel", "channel IN ('portal', 'announcement')")
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.drop_column("postal_address")
        batch_op.drop_column("mobile")
        batch_op.drop_column("email")
