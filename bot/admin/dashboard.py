"""How the front desk is doing: the queries behind the dashboard and its charts.

Charts are drawn on the server with matplotlib as inline SVG: no JavaScript, no CDN,
readable on a phone. Booking and handoff figures count each row's day at its own
center (WIB, WITA or WIT); message charts, which belong to no center, count days in the
chosen center's zone, else in WIB, where most centers are.
"""

from __future__ import annotations

from collections.abc import Sequence

import io
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from bot.admin import ops_models
from bot.admin.authz import CENTER_STAFF, Principal, chosen_center_filter
from bot.admin.web import Ctx, page
from bot.domain.zones import WIB
from bot.storage.models import MessageLog

DAY_ZONE = ZoneInfo(WIB)
"""Days of the message charts when no center is chosen."""
EXCLUDED_CHANNELS = ("preview",)
FALLBACK_INTENTS = ("nlu_fallback", "out_of_scope")


@dataclass
class Filters:
    center_code: str | None
    start: date
    end: date
    zones: dict[str, str] = field(default_factory=dict)
    """Each center's zone: booking and handoff rows count their own center's days."""

    @property
    def tz(self) -> str:
        """The zone of the message charts' days: the chosen center's, else WIB."""
        return self.zones.get(self.center_code or "", WIB)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, ZoneInfo(self.tz))

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, ZoneInfo(self.tz))


@dataclass
class Stats:
    conversations_per_day: list[tuple[str, int]] = field(default_factory=list)
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    by_language: list[tuple[str, int]] = field(default_factory=list)
    top_intents: list[tuple[str, int]] = field(default_factory=list)
    inbound_texts: int = 0
    fallbacks: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fallback_rate(self) -> float | None:
        return self.fallbacks / self.inbound_texts if self.inbound_texts else None


def _local_day(session: AsyncSession, column: Any, tz: str) -> Any:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return func.to_char(func.timezone(tz, column), "YYYY-MM-DD")
    offset = ZoneInfo(tz).utcoffset(datetime(2000, 1, 1))  # Indonesia keeps no summer time
    hours = int(offset.total_seconds() // 3600) if offset is not None else 7
    return func.date(column, literal_column(f"'{hours:+d} hours'"))


async def message_stats(session: AsyncSession, f: Filters, threshold: float) -> Stats:
    base = and_(MessageLog.at >= f.since, MessageLog.at < f.until, MessageLog.channel.not_in(EXCLUDED_CHANNELS))
    inbound = and_(base, MessageLog.direction == "in")
    stats = Stats()
    day = _local_day(session, MessageLog.at, f.tz)
    rows = await session.execute(
        select(day.label("day"), func.count(func.distinct(MessageLog.user_id))).where(inbound).group_by(day).order_by(day)
    )
    stats.conversations_per_day = [(str(d), int(n)) for d, n in rows]
    rows = await session.execute(select(MessageLog.channel, func.count()).where(base).group_by(MessageLog.channel).order_by(func.count().desc()))
    stats.by_channel = [(c or "?", int(n)) for c, n in rows]
    rows = await session.execute(select(MessageLog.language, func.count()).where(base).group_by(MessageLog.language).order_by(func.count().desc()))
    stats.by_language = [(c or "?", int(n)) for c, n in rows]
    rows = await session.execute(
        select(MessageLog.intent, func.count()).where(inbound, MessageLog.intent.is_not(None), MessageLog.intent.not_in(FALLBACK_INTENTS),
                                                     MessageLog.confidence >= threshold)
        .group_by(MessageLog.intent).order_by(func.count().desc()).limit(10)
    )
    stats.top_intents = [(i, int(n)) for i, n in rows]
    texts = and_(inbound, MessageLog.kind == "text")
    stats.inbound_texts = int(await session.scalar(select(func.count()).where(texts)) or 0)
    stats.fallbacks = int(await session.scalar(select(func.count()).where(
        texts, or_(MessageLog.intent.is_(None), MessageLog.intent.in_(FALLBACK_INTENTS), MessageLog.confidence < threshold))) or 0)
    return stats


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# --- charts --------------------------------------------------------------------------------


def bar_chart(data: Sequence[tuple[str, float]], title: str, *, horizontal: bool = False, color: str = "#0b6e4f") -> str:
    """An inline SVG bar chart (empty data gives a short note instead)."""
    if not data:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    labels = [str(k) for k, _ in data]
    values = [float(v) for _, v in data]
    height = max(2.4, 0.32 * len(data) + 1) if horizontal else 2.8
    fig = Figure(figsize=(6, height), dpi=96)
    ax = fig.subplots()
    if horizontal:
        ax.barh(labels[::-1], values[::-1], color=color)
    else:
        ax.bar(labels, values, color=color)
        if len(labels) > 8:
            ax.tick_params(axis="x", labelrotation=60, labelsize=7)
    (ax.xaxis if horizontal else ax.yaxis).set_major_locator(MaxNLocator(integer=True))  # counts are whole numbers
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    svg = out.getvalue()
    return svg[svg.index("<svg"):].replace("<svg ", '<svg role="img" class="chart" preserveAspectRatio="xMinYMin meet" ', 1)


def _parse_date(value: str, default: date) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return default


def filters_from(ctx: Ctx, zones: dict[str, str] | None = None) -> Filters:
    zones = zones or {}
    center = chosen_center_filter(ctx.me, ctx.query("center") or None)
    today = ctx.now.astimezone(ZoneInfo(zones.get(center or "", WIB))).date()
    start = _parse_date(ctx.query("from"), today - timedelta(days=29))
    end = _parse_date(ctx.query("to"), today)
    if end < start:
        start, end = end, start
    return Filters(center, start, end, zones)


@page("/dashboard", allow=CENTER_STAFF)
async def dashboard(ctx: Ctx) -> Response:
    threshold = float(getattr(ctx.app.nlu, "threshold", 0.5))
    async with ctx.app.db.sessions() as session:
        f = filters_from(ctx, await ops_models.center_zones(session))
        stats = await message_stats(session, f, threshold)
        ops = await ops_models.dashboard_stats(session, ctx.me, f)
        centers = await ops_models.center_choices(session, ctx.me)
    t = ctx.t
    charts = {
        "conversations": (t("Conversations per day"), bar_chart(stats.conversations_per_day, t("Conversations per day"))),
        "channels": (t("Messages by channel"), bar_chart(stats.by_channel, t("Messages by channel"), horizontal=True)),
        "languages": (t("Messages by language"), bar_chart(stats.by_language, t("Messages by language"), horizontal=True, color="#3a7ca5")),
        "intents": (t("Top intents"), bar_chart(stats.top_intents, t("Top intents"), horizontal=True, color="#8a5a44")),
    }
    for key, (title, data) in ops.charts.items():
        charts[key] = (t(title), bar_chart(data, t(title), horizontal=True, color="#6a4c93"))
    return ctx.render("dashboard.html", f=f, stats=stats, ops=ops, charts=charts, centers=centers)


def _principal_center(principal: Principal) -> str | None:
    return None if principal.is_admin else principal.center_code
