"""consultation requests: owners ask a center that takes no bookings here to contact them

Revision ID: 0009_consultation_requests
Revises: 0008_outbox_indexes
Create Date: 2026-11-30 12:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.models.base

revision: str = '0009_consultation_requests'
down_revision: str | Sequence[str] | None = '0008_outbox_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('consultation_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('center_code', sa.String(length=64), nullable=False),
    sa.Column('service_area', sa.String(length=64), nullable=True),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('notified', sa.Integer(), nullable=False),
    sa.Column('created_at', bot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consultation_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_requests'))
    )
    op.create_index('ix_consultation_requests_center', 'consultation_requests', ['center_code', 'status', 'created_at'], unique=False)
    op.create_index(op.f('ix_consultation_requests_user_id'), 'consultation_requests', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_consultation_requests_user_id'), table_name='consultation_requests')
    op.drop_index('ix_consultation_requests_center', table_name='consultation_requests')
    op.drop_table('consultation_requests')
