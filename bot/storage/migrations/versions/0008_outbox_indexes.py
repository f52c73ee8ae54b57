"""outbox: partial indexes over the waiting rows for the worker's claim

Revision ID: 0008_outbox_indexes
Revises: 0007_admin
Create Date: 2026-11-28 13:05:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_outbox_indexes'
down_revision: str | Sequence[str] | None = '0007_admin'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')
        batch_op.create_index('ix_outbox_due', ['next_attempt_at'], unique=False,
                              postgresql_where=WAITING, sqlite_where=WAITING)
        batch_op.create_index('ix_outbox_waiting', ['channel', 'recipient', 'id'], unique=False,
                              postgresql_where=WAITING, sqlite_where=WAITING)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_waiting')
        batch_op.drop_index('ix_outbox_due')
        batch_op.create_index('ix_outbox_due', ['status', 'next_attempt_at'], unique=False)
