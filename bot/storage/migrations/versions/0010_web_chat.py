"""outbox: an index for the web chat's reads of one browser's messages

Revision ID: 0010_web_chat
Revises: 0009_consultation_requests
Create Date: 2026-11-30 13:05:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0010_web_chat'
down_revision: str | Sequence[str] | None = '0009_consultation_requests'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_recipient', ['recipient', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_recipient')
