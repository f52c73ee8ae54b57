"""The composition root: settings, clock, database, content, NLU and engine in one object."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from bot.admin.content import install
from bot.clock import Clock
from bot.config import Settings
from bot.channels.registry import register_channels
from bot.dialogue import dialogue_hooks, install_notifier, register_actions
from bot.engine.actions import action_names
from bot.engine.engine import Engine
from bot.engine.flows import FlowRegistry, load_flows
from bot.i18n import I18n
from bot.seed import seed_defaults
from bot.storage.db import Database

if TYPE_CHECKING:
    from bot.admin.content import ContentStore, FaqEntry
    from bot.knowledge import KnowledgeBase
    from bot.nlu.base import NLUBackend
    from bot.outbox.notify import Notifier

log = logging.getLogger(__name__)


class SchemaOutdated(Exception):
    """The database is behind the code's migrations; run `frontdesk db upgrade`."""


class FrontDesk:
    """One running front desk. Channels, CLI and HTTP routes all hold this object; it builds
    its collaborators and declares every one of them here (nothing is added from outside:
    `__slots__` refuses an attribute that is not declared)."""

    __slots__ = ("settings", "clock", "db", "content_dir", "i18n", "flows", "nlu", "engine", "telegram_polling",
                 "whatsapp_inbound", "outbox_wake", "outbox_notifier", "admin_content", "admin_faq", "knowledge")

    settings: Settings
    clock: Clock
    db: Database
    content_dir: Path
    i18n: I18n
    flows: FlowRegistry
    nlu: NLUBackend
    engine: Engine
    telegram_polling: bool
    """`frontdesk run --telegram-polling`: fetch updates instead of receiving the webhook."""
    whatsapp_inbound: Any
    """pywa's client that reads (and checks) WhatsApp webhooks, made by the WhatsApp routes."""
    outbox_wake: asyncio.Event | None
    """Set by this process's running outbox worker: committed messages wake it."""
    outbox_notifier: Notifier | None
    """Wakes `frontdesk worker` processes (PostgreSQL NOTIFY) when this process has no worker."""
    admin_content: ContentStore | None
    """Published flows and FAQ, checked before each event (`bot.admin.content.install`)."""
    admin_faq: dict[str, FaqEntry] | None
    """The FAQ entries in force, when admins published some."""
    knowledge: KnowledgeBase | None
    """The knowledge base in force when admins published topics (None: the files in `knowledge/`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = Clock(settings.now)
        self.db = Database(settings.database_url, pool_size=settings.db_pool_size)
        self.content_dir = Path(settings.content_dir)
        self.i18n = I18n(self.content_dir / "locales")
        register_actions()
        install_notifier(self.i18n)
        register_channels()
        self.flows = load_flows(self.content_dir / "flows", action_names())
        self.nlu = _build_nlu(settings, self.content_dir)
        self.engine = Engine(self, hooks=dialogue_hooks())
        self.telegram_polling = False
        self.whatsapp_inbound = None
        self.outbox_wake = None
        self.outbox_notifier = None
        self.admin_content = None
        self.admin_faq = None
        self.knowledge = None

    @property
    def nlu_threshold(self) -> float:
        return float(self.nlu.threshold)

    async def start(self, *, migrate: bool | None = None, seed: bool | None = None) -> None:
        """Prepare the database. The embedded SQLite default migrates itself; PostgreSQL
        expects `frontdesk db upgrade` (one deployment step, not a race between processes)."""
        if migrate is None:
            migrate = self.db.is_sqlite
        if migrate:
            await self.db.upgrade()
        else:
            await self._check_schema()
        if seed if seed is not None else self.settings.demo_seed:
            await seed_defaults(self)
        # Flows and FAQ answers the admins published win over the files, in every process.
        install(self)

    async def _check_schema(self) -> None:
        from alembic.script import ScriptDirectory

        from bot.storage.db import alembic_config

        head = ScriptDirectory.from_config(alembic_config(self.settings.database_url)).get_current_head()
        async with self.db.engine.connect() as conn:
            try:
                current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            except Exception:  # no table yet
                current = None
        if current != head:
            raise SchemaOutdated(
                f"the database is at migration {current or 'none'}, the code needs {head}: run `frontdesk db upgrade`"
            )

    async def close(self) -> None:
        await self.db.dispose()


def _build_nlu(settings: Settings, content_dir: Path) -> NLUBackend:
    from bot.nlu.factory import build_nlu

    return build_nlu(settings, content_dir)
