"""The one place that decides who may do what: role × center.

Every admin route names the roles it admits (checked before the handler runs), and
every query that returns center data goes through `scope_to_center` / `check_center`,
so a center admin cannot reach another center's rows by editing a URL or posting a
hand-made form: the row is simply not found for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, false

ADMIN = "admin"
CENTER_ADMIN = "center_admin"
CONSULTANT = "consultant"

# Who may open which part of /admin. Route tables name one of these.
PUBLIC: frozenset[str] | None = None
EVERYONE = frozenset({ADMIN, CENTER_ADMIN, CONSULTANT})
ADMINS = frozenset({ADMIN})
"""Whole-network changes: creating, importing and deactivating centers."""
CONTENT = frozenset({ADMIN})
"""FAQ, flows and unanswered questions are national content: admins only."""
CENTER_STAFF = frozenset({ADMIN, CENTER_ADMIN})
"""Centers, consultants, availability, closures, dashboard: admins, and center admins for their center."""
BOOKING_STAFF = frozenset({ADMIN, CENTER_ADMIN, CONSULTANT})
"""Bookings and handoffs: consultants see their own."""
CONSULTANTS = frozenset({CONSULTANT})
"""Answering in the inbox (accept, decline, take, answer): a booking or a chat is a consultant's own."""

S = TypeVar("S", bound=Select)  # any Select, whatever its columns


class Forbidden(Exception):
    """The signed-in person may not do this (HTTP 403)."""


class NotFound(Exception):
    """No such row, or not one this person may see (HTTP 404, so ids do not leak)."""


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: str
    center_code: str | None
    consultant_id: int | None
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def allowed(self, roles: frozenset[str] | None) -> bool:
        return roles is None or self.role in roles


def scope_to_center(principal: Principal, stmt: S, center_column: Any) -> S:
    """Limit a query to the rows this person's center owns (admins: every center)."""
    if principal.is_admin:
        return stmt
    if principal.center_code is None:
        return stmt.where(false())
    return stmt.where(center_column == principal.center_code)


def scope_to_consultant(principal: Principal, stmt: S, center_column: Any, consultant_column: Any) -> S:
    """Bookings and handoffs: a consultant sees only their own, a center admin their center's."""
    stmt = scope_to_center(principal, stmt, center_column)
    if principal.role == CONSULTANT:
        if principal.consultant_id is None:
            return stmt.where(false())
        stmt = stmt.where(consultant_column == principal.consultant_id)
    return stmt


def can_use_center(principal: Principal, center_code: str | None) -> bool:
    if principal.is_admin:
        return True
    return center_code is not None and center_code == principal.center_code


def check_center(principal: Principal, center_code: str | None) -> None:
    """Raise `NotFound` for a row of another center (its existence is not revealed)."""
    if not can_use_center(principal, center_code):
        raise NotFound()


def center_for_new_row(principal: Principal, requested: str | None) -> str:
    """The center a new row goes to: a center admin's own, whatever the form says."""
    if principal.is_admin:
        if requested is None:
            raise ValueError("choose a center")
        return requested
    if principal.center_code is None:
        raise Forbidden()
    if requested is not None and requested != principal.center_code:
        raise Forbidden()
    return principal.center_code


def chosen_center_filter(principal: Principal, requested: str | None) -> str | None:
    """The center a list or dashboard filter shows: admins choose, others get their own."""
    if principal.is_admin:
        return requested
    return principal.center_code
