"""Signing in and out, the language switch, the start page, the audit log."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from bot.admin import audit, auth, ops_models
from bot.admin.authz import ADMIN, CENTER_STAFF, CONSULTANT, EVERYONE, PUBLIC, scope_to_center
from bot.admin.web import LANG_COOKIE, PREFIX, Ctx, page, redirect
from bot.storage.models import AuditEntry


def _secure(ctx: Ctx) -> bool:
    return ctx.request.url.scheme == "https"


def _safe_next(target: str) -> str:
    return target if target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target else PREFIX + "/"


@page("/login", allow=PUBLIC)
async def login_form(ctx: Ctx, *, error: str = "", status: int = 200) -> Response:
    form = auth.LoginForm.new()
    response = ctx.render("login.html", status_code=status, login_csrf=form.token, error=error, next=_safe_next(ctx.query("next")))
    response.set_cookie(auth.LOGIN_CSRF_COOKIE, form.token, httponly=True, samesite="strict", secure=_secure(ctx), path=PREFIX)
    return response


@page("/login", allow=PUBLIC, methods=("POST",))
async def login(ctx: Ctx) -> Response:
    username = ctx.field("username")
    ip = ctx.request.client.host if ctx.request.client else "?"
    refused: auth.LoginRefused | None = None
    async with ctx.app.db.transaction() as session:  # a refused attempt is committed too: it counts
        try:
            user, token = await auth.login(session, username, ctx.field("password"), ip, ctx.now)
        except auth.LoginRefused as exc:
            refused = exc
        else:
            audit.record(session, None, "login", "admin_user", user.id, ctx.now, username=user.username, center_code=user.center_code)
    if refused is not None:
        if refused.throttled:
            return await login_form(ctx, error=ctx.t("Too many failed sign-ins. Please wait 15 minutes and try again."), status=429)
        return await login_form(ctx, error=ctx.t("Wrong user name or password."), status=401)
    response = RedirectResponse(_safe_next(ctx.field("next")), status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE, token, httponly=True, samesite="lax", secure=_secure(ctx), path=PREFIX,
        max_age=int(auth.SESSION_TTL.total_seconds()),
    )
    response.delete_cookie(auth.LOGIN_CSRF_COOKIE, path=PREFIX)
    if user.language in ("id", "en") and LANG_COOKIE not in ctx.request.cookies:
        response.set_cookie(LANG_COOKIE, user.language, samesite="lax", path=PREFIX, max_age=365 * 86400)
    return response


@page("/logout", allow=EVERYONE, methods=("POST",))
async def logout(ctx: Ctx) -> Response:
    async with ctx.app.db.transaction() as session:
        await auth.logout(session, ctx.request.cookies.get(auth.SESSION_COOKIE))
        audit.record(session, ctx.me, "logout", "admin_user", ctx.me.user_id, ctx.now, center_code=ctx.me.center_code)
    response = redirect("/login")
    response.delete_cookie(auth.SESSION_COOKIE, path=PREFIX)
    return response


@page("/lang/{code}", allow=PUBLIC)
async def switch_language(ctx: Ctx) -> Response:
    """A display preference only (no data changes), so a plain link is enough."""
    code = ctx.request.path_params["code"]
    response = RedirectResponse(_safe_next(ctx.query("next")), status_code=303)
    if code in ("id", "en"):
        response.set_cookie(LANG_COOKIE, code, samesite="lax", path=PREFIX, max_age=365 * 86400)
    return response


@page("/", allow=EVERYONE)
async def home(ctx: Ctx) -> Response:
    if ctx.me.role == CONSULTANT:
        return redirect("/inbox")
    return redirect("/dashboard")


@page("/audit", allow=CENTER_STAFF)
async def audit_log(ctx: Ctx) -> Response:
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(300)
    stmt = scope_to_center(ctx.me, stmt, AuditEntry.center_code)
    if ctx.query("action"):
        stmt = stmt.where(AuditEntry.action.startswith(ctx.query("action")))
    async with ctx.app.db.sessions() as session:
        rows = list((await session.execute(stmt)).scalars())
        zones = await ops_models.center_zones(session)
    return ctx.render("audit.html", rows=rows, zones=zones, action=ctx.query("action"), is_admin=ctx.me.role == ADMIN)
