"""reward proofs, notices after corrections, O-class monitoring

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 12:00:00

R-REWARD-OPERATOR (Art. 17(2), 17(3)): the information filing takes the reports an operator
reward rests on — a recall report (召回报告) and a self-inspection filing (自查情况) — each with
the day of the event (the recall, or the non-conformity notice) and the day it was filed.

R-RIGHTS (Art. 23–25): a correction issues a new notice of the same matter, so an operator
may hold several notices of one matter (the latest starts the objection window): the unique
index on (operator, matter) becomes a plain one.

Art. 27(5): O-class objects are put under strengthened quality-safety monitoring, a measure
of its own kind (quality_monitoring).

(Revises the latest revision of this branch; re-chained after 0010 when merged.)
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OLD_FILING = "kind IN ('product', 'supplier', 'distributor')"
NEW_FILING = "kind IN ('product', 'supplier', 'distributor', 'recall', 'self_inspection')"
MEASURE_KINDS = (
    "'yellow_notice', 'orange_warning', 'red_warning', 'archive_guidance', 'rectification', "
    "'interview_training', 'interview'"
)
OLD_MEASURE = f"kind IN ({MEASURE_KINDS})"
NEW_MEASURE = f"kind IN ({MEASURE_KINDS}, 'quality_monitoring')"


def _check(table: str, old: str, new: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f'ck_{table}_kind'), type_='check')
        batch_op.create_check_constraint('kind', new)


def upgrade():
    with op.batch_alter_table('filing_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('filed_on', sa.Date(), nullable=True))
        # 'self_inspection' is longer than the 12 characters the first kinds needed.
        batch_op.alter_column(
            'kind', existing_type=sa.String(length=12), type_=sa.String(length=20)
        )
    _check('filing_item', OLD_FILING, NEW_FILING)
    _check('measure', OLD_MEASURE, NEW_MEASURE)
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('uq_notice_operator_matter')
        batch_op.create_index('ix_notice_operator_matter', ['operator_id', 'matter_id'], unique=False)


def downgrade():
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_operator_matter')
        batch_op.create_index('uq_notice_operator_matter', ['operator_id', 'matter_id'], unique=True)
    op.execute("DELETE FROM measure WHERE kind = 'quality_monitoring'")
    _check('measure', NEW_MEASURE, OLD_MEASURE)
    op.execute("DELETE FROM filing_item WHERE kind IN ('recall', 'self_inspection')")
    _check('filing_item', NEW_FILING, OLD_FILING)
    with op.batch_alter_table('filing_item', schema=None) as batch_op:
        batch_op.alter_column(
            'kind', existing_type=sa.String(length=20), type_=sa.String(length=12)
        )
        batch_op.drop_column('filed_on')
        batch_op.drop_column('event_on')
