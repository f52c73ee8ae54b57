"""Who is signed in: argon2 passwords, server-side sessions, login throttling, CSRF tokens.

The session cookie holds a random token; the database keeps only its SHA-256, so a
leaked table cannot be replayed, and signing out (or deactivating a user) ends the
session everywhere at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import AdminSession, AdminUser, LoginAttempt
from bot.storage.models.admin import ROLES

if TYPE_CHECKING:
    from bot.storage.db import Database

SESSION_COOKIE = "frontdesk_admin"
LOGIN_CSRF_COOKIE = "frontdesk_admin_login"
SESSION_TTL = timedelta(hours=12)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
"""After this many wrong passwords for one user name in the window, sign-in is refused."""
MAX_FAILURES_PER_IP = 20
"""Guessing across many user names from one address is throttled too."""

_hasher = PasswordHasher()
HASHING_THREADS = 1
"""argon2 runs in this many threads at most, off the event loop: sign-ins queue for it,
webhooks and pages do not wait behind them (argon2-cffi releases the GIL while hashing)."""
HASHING_NICE = 10
"""The hashing threads run at this lower CPU priority (Linux: per thread, inherited by
argon2's lane threads), so on a busy machine the event loop's thread goes first."""


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICE)
    except (AttributeError, OSError):  # not Linux, or not allowed: full priority then
        pass


_HASHING = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="argon2", initializer=_lower_priority)
_LOCK_USER, _LOCK_IP = 15_001, 15_002
"""PostgreSQL advisory lock classes: sign-ins for one user name, and from one address."""
# Verifying against this keeps the time of an unknown user name like a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class LoginRefused(Exception):
    """Sign-in failed. `throttled` says whether to tell the person to wait."""

    def __init__(self, throttled: bool) -> None:
        super().__init__("too many attempts" if throttled else "wrong user name or password")
        self.throttled = throttled


class InvalidAccount(ValueError):
    """A user cannot be created as asked; the message says what to change."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password_async(stored_hash: str, password: str) -> bool:
    """`verify_password` in the hashing threads."""
    return await asyncio.get_running_loop().run_in_executor(_HASHING, verify_password, stored_hash, password)


async def hash_password_async(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, hash_password, password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    role: str,
    now: datetime,
    center_code: str | None = None,
    consultant_id: int | None = None,
    display_name: str | None = None,
    language: str = "id",
) -> AdminUser:
    username = username.strip().lower()
    if not username or len(username) > 64:
        raise InvalidAccount("the user name must be 1 to 64 characters")
    if role not in ROLES:
        raise InvalidAccount(f"role must be one of {', '.join(ROLES)}")
    if role in ("center_admin", "consultant") and center_code is None:
        raise InvalidAccount(f"a {role} needs --center (the center they work for)")
    if role == "admin" and center_code is not None:
        raise InvalidAccount("an admin sees every center; leave --center out")
    if len(password) < 10:
        raise InvalidAccount("the password needs at least 10 characters")
    exists = (await session.execute(select(AdminUser.id).where(AdminUser.username == username))).first()
    if exists:
        raise InvalidAccount(f"the user name {username!r} is taken")
    user = AdminUser(
        username=username, password_hash=await hash_password_async(password), role=role, center_code=center_code,
        consultant_id=consultant_id, display_name=display_name, language=language if language in ("id", "en") else "id",
        active=True, created_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def is_throttled(session: AsyncSession, username: str, ip: str, now: datetime) -> bool:
    since = now - THROTTLE_WINDOW
    by_user = await session.scalar(
        select(func.count()).where(LoginAttempt.username == username, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    )
    if (by_user or 0) >= MAX_FAILURES_PER_USER:
        return True
    by_ip = await session.scalar(
        select(func.count()).where(LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    )
    return (by_ip or 0) >= MAX_FAILURES_PER_IP


async def _serialize(session: AsyncSession, username: str, ip: str) -> None:
    """Make the throttle's count-then-record atomic across requests and processes.

    SQLite runs every transaction as `BEGIN IMMEDIATE` (one writer at a time) already. On
    PostgreSQL two sign-ins for one user name (or from one address) take the same
    transaction-level advisory lock, so the second counts the first's attempt. The user
    name's lock is always taken before the address's, so two sign-ins cannot deadlock."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for cls, key in ((_LOCK_USER, username), (_LOCK_IP, ip)):
        await session.execute(text("SELECT pg_advisory_xact_lock(:cls, hashtext(:key))"), {"cls": cls, "key": key})


OnSuccess = Callable[[AsyncSession, AdminUser], Awaitable[None] | None]


async def login(db: Database, username: str, password: str, ip: str, now: datetime, *,
                on_success: OnSuccess | None = None) -> tuple[AdminUser, str]:
    """Check the password and open a session. Returns the user and the cookie token.
    Raises `LoginRefused`; a throttled name is refused even with the right password.

    The attempt is counted and recorded (as failed) in one short transaction before the
    password is checked, so concurrent sign-ins cannot all slip under the limit; the
    check runs in the hashing threads, outside any transaction; a right password then
    marks the attempt successful and opens the session (`on_success` writes with it)."""
    username = (username or "").strip().lower()[:64]
    ip = (ip or "?")[:64]
    async with db.transaction() as session:
        await _serialize(session, username, ip)
        throttled = await is_throttled(session, username, ip, now)
        attempt = LoginAttempt(username=username, ip=ip, success=False, at=now)
        session.add(attempt)
        await session.flush()
        attempt_id = attempt.id
        stored = None if throttled else await session.scalar(
            select(AdminUser.password_hash).where(AdminUser.username == username, AdminUser.active.is_(True)))
    if throttled:
        raise LoginRefused(throttled=True)
    ok = await verify_password_async(stored or _DUMMY_HASH, password or "")
    if stored is None or not ok:
        raise LoginRefused(throttled=False)
    new_hash = await hash_password_async(password) if _hasher.check_needs_rehash(stored) else None
    async with db.transaction() as session:
        user = (await session.execute(select(AdminUser).where(AdminUser.username == username))).scalar_one_or_none()
        if user is None or not user.active or user.password_hash != stored:
            raise LoginRefused(throttled=False)  # changed while the password was checked
        await session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True))
        if new_hash is not None:
            user.password_hash = new_hash
        user.last_login_at = now
        token = secrets.token_urlsafe(32)
        session.add(
            AdminSession(token_hash=token_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(24),
                         created_at=now, expires_at=now + SESSION_TTL)
        )
        await session.execute(delete(AdminSession).where(AdminSession.user_id == user.id, AdminSession.expires_at < now))
        if on_success is not None:
            result = on_success(session, user)
            if result is not None:
                await result
    return user, token


async def session_user(session: AsyncSession, token: str | None, now: datetime) -> tuple[AdminUser, AdminSession] | None:
    if not token:
        return None
    row = (
        await session.execute(
            select(AdminSession, AdminUser)
            .join(AdminUser, AdminUser.id == AdminSession.user_id)
            .where(AdminSession.token_hash == token_hash(token))
        )
    ).first()
    if row is None:
        return None
    sess, user = row
    if sess.expires_at <= now or not user.active:
        return None
    return user, sess


async def logout(session: AsyncSession, token: str | None) -> None:
    if token:
        await session.execute(delete(AdminSession).where(AdminSession.token_hash == token_hash(token)))


async def logout_everywhere(session: AsyncSession, user_id: int) -> int:
    """End every session of the user (all browsers and devices). Returns how many."""
    result = await session.execute(delete(AdminSession).where(AdminSession.user_id == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class LoginForm:
    """The anonymous CSRF token of the sign-in form (double-submit cookie)."""

    token: str

    @classmethod
    def new(cls) -> LoginForm:
        return cls(secrets.token_urlsafe(24))
