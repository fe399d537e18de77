"""off-cycle classification runs

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 10:00:00

R-HALFYEAR: a run on a date that is not a scheduled run date is asked for explicitly as an
off-cycle run with a reason; the run and the request that queued it keep both. Runs made
before this revision on a date outside CLASSIFICATION_DAYS are marked off-cycle, with a reason
saying that none was asked for then.

"""
import os

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('classification_run', 'classification_request'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('off_cycle', sa.Boolean(), nullable=False, server_default=sa.false())
            )
            batch_op.add_column(sa.Column('reason', sa.String(length=500), nullable=True))
    schedule = os.environ.get('CLASSIFICATION_DAYS', '01-01,07-01')
    days = {tuple(int(x) for x in part.strip().split('-')) for part in schedule.split(',')}
    run = sa.table(
        'classification_run',
        sa.column('id', sa.Integer),
        sa.column('run_on', sa.Date),
        sa.column('off_cycle', sa.Boolean),
        sa.column('reason', sa.String),
    )
    conn = op.get_bind()
    for run_id, run_on in conn.execute(sa.select(run.c.id, run.c.run_on)).all():
        if (run_on.month, run_on.day) not in days:
            conn.execute(
                run.update()
                .where(run.c.id == run_id)
                .values(
                    off_cycle=True,
                    reason='run before off-cycle runs were recorded: no reason was asked for',
                )
            )


def downgrade():
    for table in ('classification_request', 'classification_run'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('reason')
            batch_op.drop_column('off_cycle')
