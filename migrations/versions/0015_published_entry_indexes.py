"""indexes of the public dishonesty list

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 04:00:00

The public dishonesty list (GET /public/dishonesty, and the public search) asks of every
original deduction whether a VOID names it and whether its operator repaired its matter. With
no index on the entry's kind, PostgreSQL read the whole ledger (every object's START entry)
for the VOIDs and the REPAIRs of each request, and sorted every deduction in force to show
the newest fifty. Three partial indexes, each small: the published originals by effective
date, the VOIDs by the entry they cancel, the REPAIRs by matter and operator.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

PUBLISHED = "kind = 'DEDUCTION' AND target_id IS NULL AND matter_id IS NOT NULL"
INDEXES = (
    ("ix_ledger_entry_published", ["effective_on", "id"], PUBLISHED),
    ("ix_ledger_entry_void", ["target_id"], "kind = 'VOID'"),
    ("ix_ledger_entry_repair", ["matter_id", "operator_id"], "kind = 'REPAIR'"),
)


def upgrade():
    # Not in batch mode: rebuilding the table on SQLite would drop its append-only triggers.
    for name, columns, where in INDEXES:
        op.create_index(
            name,
            "ledger_entry",
            columns,
            unique=False,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )


def downgrade():
    for name, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name="ledger_entry")
