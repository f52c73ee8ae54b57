"""PLUT centers: location, contact facts (NULL when unknown) and their sources.

Revision ID: 0003_centers
Revises: 0002_outbox
Create Date: 2026-11-23 14:32:50.142118
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import bot.storage.models.base

revision: str = '0003_centers'
down_revision: str | Sequence[str] | None = '0002_outbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('centers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('province', sa.String(length=100), nullable=False),
    sa.Column('regency_code', sa.String(length=8), nullable=True),
    sa.Column('regency', sa.String(length=100), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=False),
    sa.Column('longitude', sa.Double(), nullable=False),
    sa.Column('coord_precision', sa.String(length=16), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('whatsapp', sa.String(length=32), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('opening_hours', sa.String(length=200), nullable=True),
    sa.Column('timezone', sa.String(length=32), nullable=False),
    sa.Column('service_areas', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('services', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', bot.storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("coord_precision IN ('building', 'regency_seat')", name=op.f('ck_centers_coord_precision')),
    sa.CheckConstraint("level IN ('province', 'regency')", name=op.f('ck_centers_level')),
    sa.CheckConstraint('latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180', name=op.f('ck_centers_point')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_centers')),
    sa.UniqueConstraint('code', name=op.f('uq_centers_code'))
    )
    with op.batch_alter_table('centers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_centers_regency_code'), ['regency_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('centers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_centers_regency_code'))

    op.drop_table('centers')
