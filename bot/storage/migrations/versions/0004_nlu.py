"""nlu: messages the bot could not answer with confidence

Revision ID: 0004_nlu
Revises: 0003_centers
Create Date: 2026-11-23 14:35:33.125292
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.models.base
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))
from sqlalchemy.dialects import postgresql

revision: str = '0004_nlu'
down_revision: str | Sequence[str] | None = '0003_centers'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('nlu_unanswered',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('intent', sa.String(length=64), nullable=True),
    sa.Column('confidence', sa.Double(), nullable=True),
    sa.Column('ranking', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('at', bot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', bot.storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_nlu_unanswered_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nlu_unanswered'))
    )
    op.create_index('ix_nlu_unanswered_at', 'nlu_unanswered', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_nlu_unanswered_at', table_name='nlu_unanswered')
    op.drop_table('nlu_unanswered')
