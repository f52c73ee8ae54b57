"""Human handoff (stub, filled in below)."""
from __future__ import annotations
from typing import Any


async def relay_media(app: Any, media: Any) -> bool:
    return False
