"""The database handle: one engine, sessions, and the schema upgrade.

SQLite (embedded default) runs every transaction as `BEGIN IMMEDIATE`, so writers
queue on the database lock instead of failing mid-way; PostgreSQL uses row locks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 20) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(
                url, echo=echo, connect_args={"timeout": 30}
            )
            _sqlite_pragmas(self.engine)
        else:
            self.engine = create_async_engine(
                # Connections over `pool_size` (bursts) are closed on return; a pool as large as
                # the usual concurrency (webhooks plus the outbox worker) avoids reconnecting.
                url, echo=echo, pool_size=pool_size, max_overflow=pool_size
            )
            _drop_closed_connections(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def single_statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection for work that is one statement, atomic on its own (an `UPDATE …
        RETURNING`, an executemany): on PostgreSQL it runs in autocommit, saving the BEGIN
        and COMMIT round trips; SQLite gets its usual `BEGIN IMMEDIATE` transaction."""
        if self.is_sqlite:
            async with self.engine.begin() as conn:
                yield conn
        else:
            async with self.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                yield conn

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (Alembic `upgrade head`)."""
        await asyncio.to_thread(upgrade_schema, self.url)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _drop_closed_connections(engine: AsyncEngine) -> None:
    """A pooled connection the server has closed (PostgreSQL restarted, or an admin ended
    the session) is replaced at checkout instead of failing the request that gets it.

    asyncpg sees the server close the socket while the connection sits in the pool, so the
    check costs nothing; `pool_pre_ping` did the same with three round trips per checkout
    (BEGIN, a ping, ROLLBACK), about 9 % of a busy server's CPU. A connection that died
    silently (a network cut without a reset) is still found by its first statement, which
    fails; SQLAlchemy then drops the whole pool and webhooks retry (`Intake`)."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_conn, _record, _proxy):  # type: ignore[no-untyped-def]
        if dbapi_conn.driver_connection.is_closed():
            raise DisconnectionError("the server closed this connection")


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Take transaction control from the driver so BEGIN IMMEDIATE below is the only BEGIN.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_schema(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)
