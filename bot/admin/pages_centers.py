"""Centers: list, create, edit, deactivate, CSV import (all-or-nothing) and export.

Validation is the centers module's own (`read_centers_csv`): a form is checked as a
one-row CSV, so the page and the import accept exactly the same values."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select
from starlette.responses import Response

from bot.admin import audit
from bot.domain.zones import DEFAULT_ZONE
from bot.admin.authz import ADMINS, CENTER_STAFF, NotFound, check_center, scope_to_center
from bot.admin.web import Ctx, page, path_id, redirect
from bot.domain.centers import COLUMNS
from bot.services import centers as svc
from bot.services.gazetteer import Gazetteer
from bot.storage.models import Center

MAX_UPLOAD = 2 * 1024 * 1024
EDITABLE = tuple(c for c in COLUMNS if c != "code")


def _form_row(ctx: Ctx, code: str | None = None) -> dict[str, str]:
    row = {c: ctx.field(c) for c in COLUMNS}
    if code is not None:
        row["code"] = code
    return row


def _validate(row: dict[str, str]) -> tuple[svc.Center | None, list[str]]:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    records, errors = svc.read_centers_csv(out.getvalue(), Gazetteer.default())
    return (records[0] if records and not errors else None), [e.message for e in errors]


def _changed(now: datetime) -> None:
    svc._DIRECTORIES.clear()  # this process's "nearest center" snapshot; others see updated_at move


async def _center(ctx: Ctx, center_id: str) -> Center:
    async with ctx.app.db.sessions() as session:
        row = await session.get(Center, path_id(center_id))
    if row is None:
        raise NotFound()
    check_center(ctx.me, row.code)
    return row


@page("/centers", allow=CENTER_STAFF)
async def centers_list(ctx: Ctx) -> Response:
    stmt = scope_to_center(ctx.me, select(Center).order_by(Center.active.desc(), Center.province, Center.code), Center.code)
    q = ctx.query("q").lower()
    async with ctx.app.db.sessions() as session:
        rows = [c for c in (await session.execute(stmt)).scalars() if not q or q in f"{c.code} {c.name} {c.province} {c.regency}".lower()]
    return ctx.render("centers_list.html", rows=rows, q=q, message=ctx.query("done"), import_errors=[], imported=None)


@page("/centers/export.csv", allow=CENTER_STAFF)
async def centers_export(ctx: Ctx) -> Response:
    stmt = scope_to_center(ctx.me, select(Center).order_by(Center.province, Center.code), Center.code)
    async with ctx.app.db.sessions() as session:
        records = [svc.Center.from_model(c) for c in (await session.execute(stmt)).scalars()]
    return Response(svc.write_centers_csv(records), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="centers.csv"'})


@page("/centers/import", allow=ADMINS, methods=("POST",))
async def centers_import(ctx: Ctx) -> Response:
    assert ctx.form is not None
    upload = ctx.form.get("file")
    data = await upload.read(MAX_UPLOAD + 1) if upload is not None and not isinstance(upload, str) else b""
    errors: list[str] = []
    result = None
    if not data:
        errors = [ctx.t("Choose a CSV file to import.")]
    elif len(data) > MAX_UPLOAD:
        errors = [ctx.t("The file is larger than 2 MB.")]
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            errors = [ctx.t("The file is not UTF-8 text. Save it as CSV UTF-8 and try again.")]
        else:
            try:
                async with ctx.app.db.transaction() as session:
                    result = await svc.import_centers(session, text, now=ctx.now)
                    audit.record(session, ctx.me, "center.import", "center", None, ctx.now, inserted=result.inserted, updated=result.updated)
            except svc.CentersInvalid as exc:
                errors = [str(e) for e in exc.errors]
            else:
                _changed(ctx.now)
    async with ctx.app.db.sessions() as session:
        rows = list((await session.execute(select(Center).order_by(Center.active.desc(), Center.province, Center.code))).scalars())
    return ctx.render("centers_list.html", status_code=422 if errors else 200, rows=rows, q="", message="",
                      import_errors=errors, imported=result)


@page("/centers/new", allow=ADMINS)
async def center_new(ctx: Ctx) -> Response:
    row = {c: "" for c in COLUMNS} | {"timezone": DEFAULT_ZONE, "level": "regency", "coord_precision": "building"}
    return ctx.render("center_edit.html", row=row, center=None, errors=[], columns=COLUMNS)


@page("/centers/new", allow=ADMINS, methods=("POST",))
async def center_create(ctx: Ctx) -> Response:
    row = _form_row(ctx)
    record, errors = _validate(row)
    async with ctx.app.db.transaction() as session:
        if record is not None and (await session.execute(select(Center.id).where(Center.code == record.code))).first():
            errors, record = [ctx.t("A center with this code exists already.")], None
        if record is None:
            return ctx.render("center_edit.html", status_code=422, row=row, center=None, errors=errors, columns=COLUMNS)
        center = Center(**record.model_values(), active=True, updated_at=ctx.now)
        session.add(center)
        await session.flush()
        audit.record(session, ctx.me, "center.create", "center", center.id, ctx.now, center_code=center.code)
    _changed(ctx.now)
    return redirect(f"/centers/{center.id}?done=saved")


@page("/centers/{id}", allow=CENTER_STAFF)
async def center_edit(ctx: Ctx) -> Response:
    center = await _center(ctx, ctx.request.path_params["id"])
    row = svc.Center.from_model(center).as_row()
    return ctx.render("center_edit.html", row=row, center=center, errors=[], columns=COLUMNS, message=ctx.query("done"))


@page("/centers/{id}", allow=CENTER_STAFF, methods=("POST",))
async def center_save(ctx: Ctx) -> Response:
    center = await _center(ctx, ctx.request.path_params["id"])
    row = _form_row(ctx, code=center.code)
    record, errors = _validate(row)
    if record is None:
        return ctx.render("center_edit.html", status_code=422, row=row, center=center, errors=errors, columns=COLUMNS)
    async with ctx.app.db.transaction() as session:
        live = await session.get(Center, center.id)
        assert live is not None
        values = record.model_values()
        changed = {k: v for k, v in values.items() if getattr(live, k) != v}
        for k, v in changed.items():
            setattr(live, k, v)
        live.updated_at = ctx.now
        audit.record(session, ctx.me, "center.update", "center", live.id, ctx.now, center_code=live.code, fields=sorted(changed))
    _changed(ctx.now)
    return redirect(f"/centers/{center.id}?done=saved")


@page("/centers/{id}/active", allow=ADMINS, methods=("POST",))
async def center_active(ctx: Ctx) -> Response:
    center = await _center(ctx, ctx.request.path_params["id"])
    active = ctx.field("active") == "1"
    async with ctx.app.db.transaction() as session:
        live = await session.get(Center, center.id)
        assert live is not None
        live.active = active
        live.updated_at = ctx.now
        audit.record(session, ctx.me, "center.activate" if active else "center.deactivate", "center", live.id, ctx.now, center_code=live.code)
    _changed(ctx.now)
    return redirect(f"/centers/{center.id}?done={'activated' if active else 'deactivated'}")
