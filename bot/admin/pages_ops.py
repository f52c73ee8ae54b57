"""Consultants (with weekly availability), closures, bookings and the handoff queue.

Every list and every row goes through `authz`: a center admin reaches only their
center's rows, a consultant only their own bookings and handoffs; another center's id
in a URL or a hand-made form is "not found"."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, select
from starlette.responses import Response

from bot.admin import audit, ops_models
from bot.admin.authz import (
    ADMINS, BOOKING_STAFF, CENTER_STAFF, CONSULTANT, Forbidden, NotFound, Principal, center_for_new_row, check_center,
    chosen_center_filter, scope_to_center, scope_to_consultant,
)
from bot.admin.web import Ctx, csv_cell, page, parse_day, parse_id, path_id, query_day, redirect
from bot.domain.booking import ACTIVE_STATUSES, BookingStatus, InvalidTransition
from bot.domain.booking import Booking as BookingEntity
from bot.domain.areas import SERVICE_AREAS
from bot.domain.slots import format_availability, parse_availability
from bot.domain.zones import DEFAULT_ZONE
from bot.services import booking as booking_svc
from bot.services import personal_data
from bot.storage.models import Booking, Center, Closure, Consultant, User, WeeklyAvailability

ATTENDED, NO_SHOW = BookingStatus.ATTENDED.value, BookingStatus.NO_SHOW.value
ATTENDANCE = (ATTENDED, NO_SHOW)
STATUSES = (*ACTIVE_STATUSES, "cancelled", "declined", *ATTENDANCE)
CONSULTANT_COLUMNS = ("center_code", "name", "areas", "availability", "active")
BOOKING_COLUMNS = ("ref", "center_code", "service_area", "starts_at_local", "status", "consultant", "name", "business_name",
                   "business_kind", "phone", "language", "created_at")
MAX_UPLOAD = 2 * 1024 * 1024


def _int(value: str) -> int:
    return path_id(value)


async def _center_names(ctx: Ctx) -> list[tuple[str, str]]:
    async with ctx.app.db.sessions() as session:
        return await ops_models.center_choices(session, ctx.me)


async def _zones(session: Any) -> dict[str, str]:
    return await ops_models.center_zones(session)


def _local(dt: datetime | None, tz: str) -> str:
    return dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") if dt else ""


# --- consultants ---------------------------------------------------------------------------


async def _windows_text(session: Any, consultant_ids: list[int]) -> dict[int, str]:
    from bot.domain.slots import Window

    rows = (await session.execute(select(WeeklyAvailability).where(WeeklyAvailability.consultant_id.in_(consultant_ids)))).scalars()
    by: dict[int, list[Any]] = {}
    for r in rows:
        by.setdefault(r.consultant_id, []).append(Window(r.weekday, time.fromisoformat(r.start_time), time.fromisoformat(r.end_time)))
    return {cid: format_availability(ws) for cid, ws in by.items()}


async def _consultant(ctx: Ctx, consultant_id: str) -> Consultant:
    async with ctx.app.db.sessions() as session:
        row = await session.get(Consultant, _int(consultant_id))
    if row is None:
        raise NotFound()
    check_center(ctx.me, row.center_code)
    return row


@page("/consultants", allow=CENTER_STAFF)
async def consultants_list(ctx: Ctx) -> Response:
    center = chosen_center_filter(ctx.me, ctx.query("center") or None)
    stmt = scope_to_center(ctx.me, select(Consultant).order_by(Consultant.center_code, Consultant.name), Consultant.center_code)
    if center:
        stmt = stmt.where(Consultant.center_code == center)
    async with ctx.app.db.sessions() as session:
        rows = list((await session.execute(stmt)).scalars())
        hours = await _windows_text(session, [r.id for r in rows])
    return ctx.render("consultants_list.html", rows=rows, hours=hours, centers=await _center_names(ctx), center=center,
                      message=ctx.query("done"), import_errors=[], imported=None)


def _consultant_form(ctx: Ctx) -> tuple[dict[str, Any], list[str]]:
    assert ctx.form is not None
    errors: list[str] = []
    name = ctx.field("name")[:128]
    areas = [a for a in ctx.form.getlist("areas") if isinstance(a, str)]
    if not name:
        errors.append(ctx.t("The name is empty."))
    bad = [a for a in areas if a not in SERVICE_AREAS]
    if bad or not areas:
        errors.append(ctx.t("Choose at least one service area."))
    windows: tuple[Any, ...] = ()
    try:
        windows = parse_availability(ctx.field("availability"))
    except ValueError as exc:
        errors.append(f"{ctx.t('Availability')}: {exc}")
    return {"name": name, "areas": areas, "windows": windows, "availability": ctx.field("availability"),
            "center_code": ctx.field("center_code") or None, "active": ctx.field("active") == "1"}, errors


@page("/consultants/new", allow=CENTER_STAFF)
async def consultant_new(ctx: Ctx) -> Response:
    values: dict[str, Any] = {"name": "", "areas": [], "availability": "Mon-Fri 08:00-12:00, 13:00-15:00", "center_code": ctx.me.center_code, "active": True}
    return ctx.render("consultant_edit.html", c=None, v=values, errors=[], areas=SERVICE_AREAS, centers=await _center_names(ctx))


@page("/consultants/new", allow=CENTER_STAFF, methods=("POST",))
async def consultant_create(ctx: Ctx) -> Response:
    values, errors = _consultant_form(ctx)
    centers = await _center_names(ctx)  # before the transaction: SQLite allows one writer
    try:
        center = center_for_new_row(ctx.me, values["center_code"])
    except ValueError:
        errors.append(ctx.t("Choose a center."))
        center = ""
    async with ctx.app.db.transaction() as session:
        if center and (await session.execute(select(Center.id).where(Center.code == center))).first() is None:
            errors.append(ctx.t("Choose a center."))
        if center and not errors and (await session.execute(
                select(Consultant.id).where(Consultant.center_code == center, Consultant.name == values["name"]))).first():
            errors.append(ctx.t("This center has a consultant with this name already."))
        if errors:
            return ctx.render("consultant_edit.html", status_code=422, c=None, v=values, errors=errors, areas=SERVICE_AREAS,
                              centers=centers)
        row = await booking_svc.add_consultant(session, center_code=center, name=values["name"], areas=values["areas"],
                                               windows=values["windows"], now=ctx.now)
        audit.record(session, ctx.me, "consultant.create", "consultant", row.id, ctx.now, center_code=center, name=row.name)
    return redirect(f"/consultants/{row.id}?done=saved")


@page("/consultants/export.csv", allow=CENTER_STAFF)
async def consultants_export(ctx: Ctx) -> Response:
    stmt = scope_to_center(ctx.me, select(Consultant).order_by(Consultant.center_code, Consultant.name), Consultant.center_code)
    async with ctx.app.db.sessions() as session:
        rows = list((await session.execute(stmt)).scalars())
        hours = await _windows_text(session, [r.id for r in rows])
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CONSULTANT_COLUMNS)
    for r in rows:
        w.writerow([r.center_code, r.name, " ".join(r.areas or []), hours.get(r.id, ""), "yes" if r.active else "no"])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="consultants.csv"'})


def read_consultants(text: str, principal: Principal, known_centers: set[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Validate a consultants CSV: every problem with its line (header = line 1)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    missing = [c for c in ("center_code", "name", "areas", "availability") if c not in (reader.fieldnames or [])]
    if missing:
        return [], [f"line 1: missing column(s): {', '.join(missing)}"]
    rows, errors, seen = [], [], set()
    for n, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        problems = []
        code = row.get("center_code", "")
        if code not in known_centers:
            problems.append(f"center_code {code!r} is not a center")
        elif not principal.is_admin and code != principal.center_code:
            problems.append(f"center_code {code!r} is not your center")
        if not row.get("name"):
            problems.append("name is empty")
        areas = row.get("areas", "").replace("|", " ").split()
        bad = [a for a in areas if a not in SERVICE_AREAS]
        if bad or not areas:
            problems.append(f"areas {row.get('areas')!r}: use {', '.join(SERVICE_AREAS)}")
        try:
            windows = parse_availability(row.get("availability", ""))
        except ValueError as exc:
            problems.append(f"availability: {exc}")
            windows = ()
        active = row.get("active", "yes").lower() not in ("no", "false", "0", "tidak")
        if (code, row.get("name")) in seen:
            problems.append("this consultant is listed twice")
        seen.add((code, row.get("name")))
        errors += [f"line {n}: {p}" for p in problems]
        rows.append({"center_code": code, "name": row.get("name", "")[:128], "areas": areas, "windows": windows, "active": active})
    return rows, errors


@page("/consultants/import", allow=CENTER_STAFF, methods=("POST",))
async def consultants_import(ctx: Ctx) -> Response:
    assert ctx.form is not None
    upload = ctx.form.get("file")
    data = await upload.read(MAX_UPLOAD + 1) if upload is not None and not isinstance(upload, str) else b""
    errors: list[str] = []
    imported = None
    try:
        text = data.decode("utf-8") if data and len(data) <= MAX_UPLOAD else ""
    except UnicodeDecodeError:
        text = ""
    if not text:
        errors = [ctx.t("Choose a CSV file (UTF-8, at most 2 MB) to import.")]
    else:
        async with ctx.app.db.transaction() as session:
            known = {c for c, in await session.execute(select(Center.code))}
            rows, errors = read_consultants(text, ctx.me, known)
            if not errors:  # all rows or none
                existing = {(c.center_code, c.name): c for c in (await session.execute(select(Consultant))).scalars()}
                added = changed = 0
                for r in rows:
                    row = existing.get((r["center_code"], r["name"]))
                    if row is None:
                        row = await booking_svc.add_consultant(session, center_code=r["center_code"], name=r["name"], areas=r["areas"],
                                                               windows=r["windows"], now=ctx.now)
                        added += 1
                    else:
                        row.areas = r["areas"]
                        await booking_svc.set_availability(session, row.id, r["windows"])
                        changed += 1
                    row.active = r["active"]
                audit.record(session, ctx.me, "consultant.import", "consultant", None, ctx.now, center_code=ctx.me.center_code,
                             added=added, changed=changed)
                imported = {"inserted": added, "updated": changed}
    stmt = scope_to_center(ctx.me, select(Consultant).order_by(Consultant.center_code, Consultant.name), Consultant.center_code)
    async with ctx.app.db.sessions() as session:
        listed = list((await session.execute(stmt)).scalars())
        hours = await _windows_text(session, [r.id for r in listed])
    return ctx.render("consultants_list.html", status_code=422 if errors else 200, rows=listed, hours=hours,
                      centers=await _center_names(ctx), center=None, message="", import_errors=errors, imported=imported)


@page("/consultants/{id}", allow=CENTER_STAFF)
async def consultant_edit(ctx: Ctx) -> Response:
    c = await _consultant(ctx, ctx.request.path_params["id"])
    async with ctx.app.db.sessions() as session:
        hours = (await _windows_text(session, [c.id])).get(c.id, "")
        closures = list((await session.execute(select(Closure).where(Closure.consultant_id == c.id).order_by(Closure.first_day))).scalars())
    values = {"name": c.name, "areas": list(c.areas or []), "availability": hours, "center_code": c.center_code, "active": c.active}
    return ctx.render("consultant_edit.html", c=c, v=values, errors=[], areas=SERVICE_AREAS, centers=[], closures=closures,
                      message=ctx.query("done"))


@page("/consultants/{id}", allow=CENTER_STAFF, methods=("POST",))
async def consultant_save(ctx: Ctx) -> Response:
    c = await _consultant(ctx, ctx.request.path_params["id"])
    values, errors = _consultant_form(ctx)
    values["center_code"] = c.center_code  # moving a consultant to another center is not an edit
    if errors:
        return ctx.render("consultant_edit.html", status_code=422, c=c, v=values, errors=errors, areas=SERVICE_AREAS, centers=[], closures=[])
    async with ctx.app.db.transaction() as session:
        row = await session.get(Consultant, c.id)
        assert row is not None
        row.name, row.areas, row.active = values["name"], values["areas"], values["active"]
        await booking_svc.set_availability(session, row.id, values["windows"])
        audit.record(session, ctx.me, "consultant.update" if values["active"] or not c.active else "consultant.deactivate",
                     "consultant", row.id, ctx.now, center_code=row.center_code, active=values["active"])
    return redirect(f"/consultants/{c.id}?done=saved")


# --- closures ------------------------------------------------------------------------------


@page("/closures", allow=CENTER_STAFF)
async def closures_list(ctx: Ctx) -> Response:
    stmt = scope_to_center(ctx.me, select(Closure).order_by(Closure.first_day.desc()), Closure.center_code)
    async with ctx.app.db.sessions() as session:
        rows = list((await session.execute(stmt.limit(500))).scalars())
        consultants = list((await session.execute(
            scope_to_center(ctx.me, select(Consultant).order_by(Consultant.name), Consultant.center_code))).scalars())
    names = {c.id: c.name for c in consultants}
    return ctx.render("closures.html", rows=rows, names=names, consultants=consultants, centers=await _center_names(ctx),
                      errors=[], message=ctx.query("done"))


@page("/closures/new", allow=CENTER_STAFF, methods=("POST",))
async def closure_create(ctx: Ctx) -> Response:
    errors = []
    try:
        first, last = parse_day(ctx.field("first_day")), parse_day(ctx.field("last_day") or ctx.field("first_day"))
    except ValueError:
        first = last = None  # type: ignore[assignment]
        errors.append(ctx.t("Give the first and last day."))
    consultant_id = parse_id(ctx.field("consultant_id"))
    if ctx.field("consultant_id") and consultant_id is None:
        raise NotFound()
    async with ctx.app.db.transaction() as session:
        if consultant_id is not None:
            consultant = await session.get(Consultant, consultant_id)
            if consultant is None:
                raise NotFound()
            check_center(ctx.me, consultant.center_code)
            center = consultant.center_code
        else:
            try:
                center = center_for_new_row(ctx.me, ctx.field("center_code") or None)
            except ValueError:
                center = ""
                errors.append(ctx.t("Choose a center."))
        if not errors:
            assert first is not None and last is not None
            try:
                row = await booking_svc.add_closure(session, center_code=center, first_day=first, last_day=last,
                                                    consultant_id=consultant_id, reason=ctx.field("reason")[:200] or None)
            except ValueError:
                errors.append(ctx.t("The closure ends before it starts."))
            else:
                audit.record(session, ctx.me, "closure.create", "closure", row.id, ctx.now, center_code=center,
                             first_day=first.isoformat(), last_day=last.isoformat(), consultant_id=consultant_id)
    if errors:
        async with ctx.app.db.sessions() as session:
            rows = list((await session.execute(scope_to_center(ctx.me, select(Closure).order_by(Closure.first_day.desc()), Closure.center_code))).scalars())
            consultants = list((await session.execute(scope_to_center(ctx.me, select(Consultant), Consultant.center_code))).scalars())
        return ctx.render("closures.html", status_code=422, rows=rows, names={c.id: c.name for c in consultants},
                          consultants=consultants, centers=await _center_names(ctx), errors=errors, message="")
    return redirect("/closures?done=saved")


@page("/closures/{id}/delete", allow=CENTER_STAFF, methods=("POST",))
async def closure_delete(ctx: Ctx) -> Response:
    async with ctx.app.db.transaction() as session:
        row = await session.get(Closure, _int(ctx.request.path_params["id"]))
        if row is None:
            raise NotFound()
        check_center(ctx.me, row.center_code)
        await session.execute(delete(Closure).where(Closure.id == row.id))
        audit.record(session, ctx.me, "closure.delete", "closure", row.id, ctx.now, center_code=row.center_code,
                     first_day=row.first_day.isoformat(), last_day=row.last_day.isoformat())
    return redirect("/closures?done=deleted")


# --- bookings ------------------------------------------------------------------------------


def _booking_filters(ctx: Ctx) -> dict[str, Any]:
    def day(name: str) -> date | None:
        return query_day(ctx.query(name))

    return {"center": chosen_center_filter(ctx.me, ctx.query("center") or None), "area": ctx.query("area"),
            "status": ctx.query("status"), "from": day("from"), "to": day("to")}


def _bookings_query(principal: Principal, f: dict[str, Any], zones: dict[str, str] | None = None) -> Select[Any]:
    stmt = scope_to_consultant(principal, select(Booking).order_by(Booking.starts_at.desc(), Booking.id.desc()),
                               Booking.center_code, Booking.consultant_id)
    if f["center"]:
        stmt = stmt.where(Booking.center_code == f["center"])
    if f["area"] in SERVICE_AREAS:
        stmt = stmt.where(Booking.service_area == f["area"])
    if f["status"] in STATUSES:
        stmt = stmt.where(Booking.status == f["status"])
    # dates are days at each booking's own center (WIB, WITA or WIT)
    if f["from"] or f["to"]:
        stmt = stmt.where(ops_models.within_local_days(Booking.starts_at, Booking.center_code, f["from"], f["to"], zones or {}))
    return stmt


@page("/bookings", allow=BOOKING_STAFF)
async def bookings(ctx: Ctx) -> Response:
    f = _booking_filters(ctx)
    async with ctx.app.db.sessions() as session:
        zones = await _zones(session)
        rows = list((await session.execute(_bookings_query(ctx.me, f, zones).limit(500))).scalars())
        names = {i: n for i, n in await session.execute(select(Consultant.id, Consultant.name))}
    return ctx.render("bookings.html", rows=rows, zones=zones, names=names, f=f, areas=SERVICE_AREAS, statuses=STATUSES,
                      centers=await _center_names(ctx), local=_local, default_zone=DEFAULT_ZONE)


@page("/bookings/export.csv", allow=BOOKING_STAFF)
async def bookings_export(ctx: Ctx) -> Response:
    f = _booking_filters(ctx)
    async with ctx.app.db.sessions() as session:
        zones = await _zones(session)
        rows = list((await session.execute(_bookings_query(ctx.me, f, zones))).scalars())
        names = {i: n for i, n in await session.execute(select(Consultant.id, Consultant.name))}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")  # RFC 4180: a CR or LF inside a cell is quoted
    w.writerow(BOOKING_COLUMNS)
    for b in rows:
        tz = zones.get(b.center_code, DEFAULT_ZONE)
        w.writerow([csv_cell(v) for v in (
            b.ref, b.center_code, b.service_area, _local(b.starts_at, tz), b.status, names.get(b.consultant_id, ""), b.name,
            b.business_name or "", b.business_kind or "", b.phone or "", b.language, b.created_at.astimezone(UTC).isoformat())])
    async with ctx.app.db.transaction() as session:  # personal data left the system: say who took it
        audit.record(session, ctx.me, "booking.export", "booking", None, ctx.now, center_code=f["center"] or ctx.me.center_code, rows=len(rows))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="bookings.csv"'})


async def _booking(ctx: Ctx, booking_id: str) -> Booking:
    stmt = _bookings_query(ctx.me, {"center": None, "area": "", "status": "", "from": None, "to": None})
    async with ctx.app.db.sessions() as session:
        row = (await session.execute(stmt.where(Booking.id == _int(booking_id)))).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row


@page("/bookings/{id}", allow=BOOKING_STAFF)
async def booking_detail(ctx: Ctx) -> Response:
    b = await _booking(ctx, ctx.request.path_params["id"])
    async with ctx.app.db.sessions() as session:
        tz = (await _zones(session)).get(b.center_code, DEFAULT_ZONE)
        consultant = await session.get(Consultant, b.consultant_id)
        owner = await session.get(User, b.user_id)
    erased = owner is None or owner.external_id.startswith(personal_data.ERASED_PREFIX)
    return ctx.render("booking_detail.html", b=b, tz=tz, local=_local, consultant=consultant, message=ctx.query("done"),
                      can_mark=b.starts_at <= ctx.now and b.status in (*ACTIVE_STATUSES, *ATTENDANCE),
                      can_erase=ctx.me.allowed(ADMINS) and not erased)


@page("/bookings/{id}/attendance", allow=BOOKING_STAFF, methods=("POST",))
async def booking_attendance(ctx: Ctx) -> Response:
    """Mark a consultation that has begun as attended or no-show (a correction is allowed)."""
    b = await _booking(ctx, ctx.request.path_params["id"])
    value = ctx.field("attendance")
    if value not in ATTENDANCE:
        raise NotFound()
    if b.starts_at > ctx.now or b.status not in (*ACTIVE_STATUSES, *ATTENDANCE):
        raise Forbidden()
    async with ctx.app.db.transaction() as session:
        row = await session.get(Booking, b.id)
        assert row is not None
        before = row.status
        try:
            BookingEntity(row).record_attendance(value, now=ctx.now)
        except InvalidTransition:
            raise Forbidden() from None
        audit.record(session, ctx.me, f"booking.{value}", "booking", row.ref, ctx.now, center_code=row.center_code, before=before)
    return redirect(f"/bookings/{b.id}?done=saved")


@page("/bookings/{id}/erase-owner", allow=ADMINS, methods=("POST",))
async def booking_erase_owner(ctx: Ctx) -> Response:
    """Erase the booking owner's personal data when they ask a center for it (UU PDP): the
    use case the chat's "hapus data saya" runs, audited under the admin's name."""
    b = await _booking(ctx, ctx.request.path_params["id"])
    if ctx.field("confirm") != "1":
        return Response(ctx.t("Tick the box to confirm that the owner asked for their data to be erased."), status_code=400)
    async with ctx.app.db.transaction() as session:
        owner = await session.get(User, b.user_id)
        if owner is None or owner.external_id.startswith(personal_data.ERASED_PREFIX):
            return redirect(f"/bookings/{b.id}?done=owner_erased")  # erased already: nothing left to do
        await personal_data.erase_personal_data(session, user_id=owner.id, now=ctx.now, by=ctx.me.username,
                                                admin_id=ctx.me.user_id)
    return redirect(f"/bookings/{b.id}?done=owner_erased")


# --- handoffs ------------------------------------------------------------------------------


@page("/handoffs", allow=BOOKING_STAFF)
async def handoffs(ctx: Ctx) -> Response:
    Handoff = ops_models.model("HandoffRequest")
    if Handoff is None:
        return ctx.render("pending.html", title=ctx.t("Handoffs"))
    stmt = scope_to_center(ctx.me, select(Handoff).order_by(Handoff.created_at.desc()), Handoff.center_code)
    if ctx.me.role == CONSULTANT:
        # their own requests, and the open ones of their center nobody has taken yet
        stmt = stmt.where((Handoff.consultant_id == ctx.me.consultant_id) | ((Handoff.status == "open") & Handoff.consultant_id.is_(None)))
    status = ctx.query("status")
    if status:
        stmt = stmt.where(Handoff.status == status)
    async with ctx.app.db.sessions() as session:
        rows = list((await session.execute(stmt.limit(500))).scalars())
        names = {i: n for i, n in await session.execute(select(Consultant.id, Consultant.name))}
        zones = await _zones(session)
    waits = {r.id: ((r.taken_at or (ctx.now if r.status == "open" else r.closed_at or ctx.now)) - r.created_at) for r in rows}
    return ctx.render("handoffs.html", rows=rows, waits=waits, names=names, zones=zones, status=status, fmt_wait=_fmt_wait)


def _fmt_wait(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    return f"{minutes // 60} j {minutes % 60} m" if minutes >= 60 else f"{minutes} m"
