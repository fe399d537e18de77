"""concealment findings and per-object intent

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 09:00:00

Findings by staff that an enterprise concealed products, suppliers or distributors in its
information filing (隐瞒, Art. 14(3)); while one is not cleared, repairs and rewards are
refused. A matter keeps which of its objects acted intentionally when they were marked one by
one (R-INTENT, Art. 13). The shipped tables state which items A12.1 may go with
(Art. 12(1), rules §12); a database holding them as published before gets that field, and the
change is written to the audit log.

"""

from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SHIPPED = ("GD-2021-default", "GD-2026-demo-successor")
A12_1_WITH = {
    "producer": ["A11.2", "A11.3", "A11.4", "A11.5", "A11.6", "A11.7", "A11.8", "A11.9"],
    "seller": ["A11.2", "A11.3", "A11.5", "A11.6", "A11.7"],
}

versions = sa.table(
    "scoring_table_version",
    sa.column("version", sa.String),
    sa.column("content", sa.JSON),
)
audit = sa.table(
    "audit_event",
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_ref", sa.String),
    sa.column("detail", sa.JSON),
)


def upgrade():
    op.create_table(
        "concealment_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_by", sa.String(length=100), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operator.id"],
            name=op.f("fk_concealment_finding_operator_id_operator"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concealment_finding")),
    )
    with op.batch_alter_table("concealment_finding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_concealment_finding_operator_id"), ["operator_id"], unique=False
        )
    with op.batch_alter_table("matter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intentional_objects", sa.JSON(), nullable=True))

    bind = op.get_bind()
    for version in SHIPPED:
        row = bind.execute(
            sa.select(versions.c.content).where(versions.c.version == version)
        ).first()
        if row is None:
            continue
        content = dict(row.content)
        items = []
        changed = False
        for item in content["items"]:
            if item["code"] == "A12.1" and "with" not in item:
                item = {**item, "with": A12_1_WITH}
                changed = True
            items.append(item)
        if not changed:
            continue
        content["items"] = items
        bind.execute(versions.update().where(versions.c.version == version).values(content=content))
        bind.execute(
            audit.insert().values(
                at=datetime.now(UTC),
                actor="migration 0010",
                action="table.with",
                object_type="scoring_table",
                object_ref=version,
                detail={"A12.1": {"with": A12_1_WITH}, "why": "Art. 12(1)"},
            )
        )


def downgrade():
    with op.batch_alter_table("matter", schema=None) as batch_op:
        batch_op.drop_column("intentional_objects")
    with op.batch_alter_table("concealment_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concealment_finding_operator_id"))
    op.drop_table("concealment_finding")
