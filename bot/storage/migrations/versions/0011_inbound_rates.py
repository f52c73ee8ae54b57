"""inbound rates: the per-account flood limit's state

Revision ID: 0011_inbound_rates
Revises: 0010_web_chat
Create Date: 2026-11-30 15:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_inbound_rates'
down_revision: str | Sequence[str] | None = '0010_web_chat'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbound_rates',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('full_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('seen_ms', sa.BigInteger(), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('dropped', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'external_id', name=op.f('pk_inbound_rates'))
    )


def downgrade() -> None:
    op.drop_table('inbound_rates')
