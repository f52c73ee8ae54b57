"""`INSERT … ON CONFLICT DO NOTHING` for both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession) -> Callable[..., Any]:
    """The `insert` construct of the session's database, which has `on_conflict_do_nothing`."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def insert_ignore(session: AsyncSession, model: type, values: dict[str, Any], conflict: tuple[str, ...]) -> bool:
    """Insert a row unless one with the same `conflict` columns exists. True if inserted."""
    stmt = dialect_insert(session)(model).values(**values).on_conflict_do_nothing(index_elements=list(conflict))
    result = await session.execute(stmt)
    return bool(result.rowcount)
