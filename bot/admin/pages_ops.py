"""Centers, consultants, availability, closures, bookings and handoffs."""

from __future__ import annotations

from starlette.responses import Response

from bot.admin.authz import BOOKING_STAFF
from bot.admin.web import Ctx, page


@page("/bookings", allow=BOOKING_STAFF)
async def bookings(ctx: Ctx) -> Response:
    return ctx.render("pending.html", title=ctx.t("Bookings"))
