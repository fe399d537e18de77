"""the matter's ref on each ledger entry

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 02:00:00

A classification run reads every entry of the province with the ref of its matter (R-ORDER
orders same-day entries by it, R-ONCE and R-180 group by it). Joining the matter table for it
cost a scan of every matter per range of operators, most of the run's database time; the ref
is copied onto the entry when it is appended instead. Both are immutable, so the copy cannot
go stale. Existing entries are filled from their matters, the append-only trigger lifted for
that one statement.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FILL = (
    "UPDATE ledger_entry SET matter_ref = "
    "(SELECT ref FROM matter WHERE matter.id = ledger_entry.matter_id) "
    "WHERE matter_id IS NOT NULL"
)
NO_UPDATE = (
    "CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry "
    "BEGIN SELECT RAISE(ABORT, 'ledger_entry is append-only: UPDATE refused'); END"
)


def upgrade():
    op.add_column("ledger_entry", sa.Column("matter_ref", sa.String(length=100), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_append_only")
        op.execute(FILL)
        op.execute("ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_append_only")
    else:
        op.execute("DROP TRIGGER ledger_entry_no_update")
        op.execute(FILL)
        op.execute(NO_UPDATE)


def downgrade():
    # Not in batch mode: rebuilding the table on SQLite would drop its append-only triggers.
    op.execute("ALTER TABLE ledger_entry DROP COLUMN matter_ref")
