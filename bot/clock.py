"""The bot's clock. `FRONTDESK_NOW` freezes it for tests and demos."""

from __future__ import annotations

from datetime import UTC, datetime


class Clock:
    """Tells the current time as an aware UTC datetime."""

    def __init__(self, frozen: datetime | None = None) -> None:
        self._frozen = frozen.astimezone(UTC) if frozen is not None else None

    @property
    def frozen(self) -> bool:
        return self._frozen is not None

    def now(self) -> datetime:
        return self._frozen if self._frozen is not None else datetime.now(UTC)
