"""Admin accounts: who may sign in to /admin, with which role and for which center.

Admins only. Creating an account, changing its role or center scope, disabling it and
setting a new password are audited; disabling it or setting a new password also ends its
sessions. An admin cannot disable or demote themselves, so the network never loses its
last way in by a slip.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from starlette.responses import Response

from bot.admin import audit, auth, ops_models
from bot.admin.authz import ADMIN, ADMINS, CONSULTANT, NotFound
from bot.admin.web import Ctx, page, redirect
from bot.storage.models import AdminSession, AdminUser, Center, Consultant
from bot.storage.models.admin import ROLES

MIN_PASSWORD = 10


def _id(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise NotFound()
    return int(value)


async def _choices(ctx: Ctx) -> dict[str, Any]:
    async with ctx.app.db.sessions() as session:
        centers = await ops_models.center_choices(session, ctx.me)
        consultants = list((await session.execute(select(Consultant).order_by(Consultant.center_code, Consultant.name))).scalars())
    return {"centers": centers, "consultants": consultants, "roles": ROLES}


def _form(ctx: Ctx) -> dict[str, Any]:
    consultant = ctx.field("consultant_id")
    return {"username": ctx.field("username")[:65], "display_name": ctx.field("display_name")[:128] or None,
            "role": ctx.field("role"), "center_code": ctx.field("center_code") or None,
            "consultant_id": int(consultant) if consultant.isdigit() and len(consultant) <= 12 else None,
            "active": ctx.field("active") == "1"}


async def _scope_errors(ctx: Ctx, session: Any, v: dict[str, Any]) -> list[str]:
    """Role and center scope that fit together, with a center and consultant that exist."""
    errors = []
    if v["role"] not in ROLES:
        errors.append(ctx.t("Choose a role."))
    if v["role"] == ADMIN:
        v["center_code"], v["consultant_id"] = None, None  # an admin sees every center
    elif v["center_code"] is None or (await session.execute(select(Center.id).where(Center.code == v["center_code"]))).first() is None:
        errors.append(ctx.t("Choose a center."))
    if v["role"] == CONSULTANT:
        row = await session.get(Consultant, v["consultant_id"]) if v["consultant_id"] is not None else None
        if row is None or row.center_code != v["center_code"]:
            errors.append(ctx.t("Choose the consultant of this center the account belongs to."))
    elif v["role"] in ROLES:
        v["consultant_id"] = None
    return errors


@page("/accounts", allow=ADMINS)
async def accounts(ctx: Ctx) -> Response:
    async with ctx.app.db.sessions() as session:
        rows = list((await session.execute(select(AdminUser).order_by(AdminUser.active.desc(), AdminUser.username))).scalars())
        zones = await ops_models.center_zones(session)
    names = {c.id: c.name for c in (await _choices(ctx))["consultants"]}
    return ctx.render("accounts.html", rows=rows, zones=zones, names=names, message=ctx.query("done"), errors=[],
                      v={"role": CONSULTANT, "active": True}, **await _choices(ctx))


@page("/accounts/new", allow=ADMINS, methods=("POST",))
async def account_create(ctx: Ctx) -> Response:
    v = _form(ctx)
    password = ctx.field("password")
    choices = await _choices(ctx)  # before the transaction: SQLite allows one writer
    async with ctx.app.db.transaction() as session:
        errors = await _scope_errors(ctx, session, v)
        if len(password) < MIN_PASSWORD or len(password) > 256:
            errors.append(ctx.t("The password needs 10 to 256 characters."))
        if not errors:
            try:
                user = await auth.create_user(session, username=v["username"], password=password, role=v["role"], now=ctx.now,
                                              center_code=v["center_code"], consultant_id=v["consultant_id"],
                                              display_name=v["display_name"])
            except auth.InvalidAccount as exc:
                errors.append(ctx.t("The user name is taken or not valid (1 to 64 characters).") if "user name" in str(exc) else str(exc))
            else:
                audit.record(session, ctx.me, "admin_user.create", "admin_user", user.id, ctx.now, center_code=user.center_code,
                             new_user=user.username, role=user.role, consultant_id=user.consultant_id)
    if errors:
        async with ctx.app.db.sessions() as session:
            rows = list((await session.execute(select(AdminUser).order_by(AdminUser.active.desc(), AdminUser.username))).scalars())
            zones = await ops_models.center_zones(session)
        return ctx.render("accounts.html", status_code=422, rows=rows, zones=zones, names={c.id: c.name for c in choices["consultants"]},
                          message="", errors=errors, v=v, **choices)
    return redirect("/accounts?done=saved")


async def _user(ctx: Ctx, session: Any) -> AdminUser:
    row = await session.get(AdminUser, _id(ctx.request.path_params["id"]))
    if row is None:
        raise NotFound()
    return row


@page("/accounts/{id}", allow=ADMINS)
async def account_edit(ctx: Ctx) -> Response:
    async with ctx.app.db.sessions() as session:
        user = await _user(ctx, session)
    v = {"role": user.role, "center_code": user.center_code, "consultant_id": user.consultant_id,
         "display_name": user.display_name, "active": user.active}
    return ctx.render("account_edit.html", user=user, v=v, errors=[], message=ctx.query("done"), **await _choices(ctx))


@page("/accounts/{id}", allow=ADMINS, methods=("POST",))
async def account_save(ctx: Ctx) -> Response:
    v = _form(ctx)
    choices = await _choices(ctx)
    async with ctx.app.db.transaction() as session:
        user = await _user(ctx, session)
        errors = await _scope_errors(ctx, session, v)
        if user.id == ctx.me.user_id and (v["role"] != ADMIN or not v["active"]):
            errors.append(ctx.t("You cannot disable your own account or take away your own admin role."))
        if errors:
            return ctx.render("account_edit.html", status_code=422, user=user, v=v, errors=errors, message="", **choices)
        before: dict[str, Any] = {"role": user.role, "center_code": user.center_code, "consultant_id": user.consultant_id, "active": user.active}
        user.role, user.center_code, user.consultant_id = v["role"], v["center_code"], v["consultant_id"]
        user.display_name, user.active = v["display_name"], v["active"]
        if before["active"] and not user.active:
            await session.execute(delete(AdminSession).where(AdminSession.user_id == user.id))  # signed out everywhere
        after = {"role": user.role, "center_code": user.center_code, "consultant_id": user.consultant_id, "active": user.active}
        changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        action = "admin_user.disable" if before["active"] and not user.active else "admin_user.update"
        audit.record(session, ctx.me, action, "admin_user", user.id, ctx.now, center_code=user.center_code or str(before["center_code"] or "") or None,
                     user=user.username, changed=changed or None)
    return redirect(f"/accounts/{user.id}?done=saved")


@page("/accounts/{id}/password", allow=ADMINS, methods=("POST",))
async def account_password(ctx: Ctx) -> Response:
    password = ctx.field("password")
    choices = await _choices(ctx)
    async with ctx.app.db.transaction() as session:
        user = await _user(ctx, session)
        if len(password) < MIN_PASSWORD or len(password) > 256:
            v = {"role": user.role, "center_code": user.center_code, "consultant_id": user.consultant_id,
                 "display_name": user.display_name, "active": user.active}
            return ctx.render("account_edit.html", status_code=422, user=user, v=v, message="",
                              errors=[ctx.t("The password needs 10 to 256 characters.")], **choices)
        user.password_hash = auth.hash_password(password)
        await session.execute(delete(AdminSession).where(AdminSession.user_id == user.id))  # the old password's sessions end
        audit.record(session, ctx.me, "admin_user.password_reset", "admin_user", user.id, ctx.now, center_code=user.center_code,
                     user=user.username)
    if user.id == ctx.me.user_id:
        return redirect("/login")
    return redirect(f"/accounts/{user.id}?done=password_set")
