"""scoring table validity

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:00:00.000000

R-VALIDITY (Art. 36): each scoring-table version may end (applies_until). The Spec
(粤市监规字〔2021〕5号) was valid until 2026-06-04, so the shipped default version, when a
database holds it as published before format version 2, is given the fields of the shipped
file: the regulation it implements, its last day, and the items related to spot checks
(Art. 19). The change is written to the audit log.

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

DEFAULT = "GD-2021-default"
UNTIL = "2026-06-04"
REGULATION = {"title": "广东省市场监督管理局产品质量信用分类监管规范", "number": "粤市监规字〔2021〕5号"}
SPOT_CHECK_ITEMS = {"A11.1", "A12.2", "A12.4"}

versions = sa.table(
    "scoring_table_version",
    sa.column("version", sa.String),
    sa.column("is_default", sa.Boolean),
    sa.column("applies_until", sa.Date),
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
    with op.batch_alter_table('scoring_table_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applies_until', sa.Date(), nullable=True))

    bind = op.get_bind()
    row = bind.execute(
        sa.select(versions.c.content).where(
            versions.c.version == DEFAULT, versions.c.is_default.is_(True)
        )
    ).first()
    if row is None or "applies_until" in row.content:
        return
    content = dict(row.content)
    content["regulation"] = REGULATION
    content["applies_until"] = UNTIL
    content["items"] = [
        {**item, "spot_check": item["code"] in SPOT_CHECK_ITEMS} for item in content["items"]
    ]
    bind.execute(
        versions.update()
        .where(versions.c.version == DEFAULT)
        .values(content=content, applies_until=datetime.fromisoformat(UNTIL).date())
    )
    bind.execute(
        audit.insert().values(
            at=datetime.now(UTC),
            actor="migration 0007",
            action="table.validity",
            object_type="scoring_table",
            object_ref=DEFAULT,
            detail={
                "applies_until": UNTIL,
                "regulation": REGULATION["number"],
                "spot_check": sorted(SPOT_CHECK_ITEMS),
            },
        )
    )


def downgrade():
    # The code before format version 2 refuses the new fields: take them out of every version.
    bind = op.get_bind()
    for version, content in bind.execute(sa.select(versions.c.version, versions.c.content)).all():
        old = {k: v for k, v in content.items() if k not in ("regulation", "applies_until")}
        old["items"] = [
            {k: v for k, v in item.items() if k != "spot_check"} for item in content["items"]
        ]
        if old != content:
            bind.execute(
                versions.update().where(versions.c.version == version).values(content=old)
            )
    with op.batch_alter_table('scoring_table_version', schema=None) as batch_op:
        batch_op.drop_column('applies_until')
