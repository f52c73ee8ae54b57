"""The audit log: every change made through /admin, written in the change's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.authz import Principal
from bot.storage.models import AuditEntry


def record(
    session: AsyncSession,
    principal: Principal | None,
    action: str,
    target_type: str,
    target_id: object | None,
    now: datetime,
    *,
    center_code: str | None = None,
    username: str | None = None,
    **detail: Any,
) -> None:
    session.add(
        AuditEntry(
            at=now,
            user_id=principal.user_id if principal else None,
            username=principal.username if principal else (username or "-"),
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id)[:128],
            center_code=center_code,
            detail={k: v for k, v in detail.items() if v is not None},
        )
    )
