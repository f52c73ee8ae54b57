"""The `datetime` entity: date and time phrases of a free sentence, on the bot's clock.

The grammar is `bot.domain.when` (shared with the booking flow's answers); this module
only turns its mentions into Rasa-shaped entities: an ISO-8601 value with the zone's
offset, a `grain`, and offsets into the user's text.

What a free sentence needs beyond the grammar (see docs/nlu.md):
- an impossible phrase ("31 februari", "besok jam 25") gives no entity: a wrong date is
  worse than a question back;
- a part of day alone ("pagi", "selamat malam") is a greeting more often than a time;
- a date with a part of day takes its hour ("lusa pagi" = 09:00);
- a time alone is the next such time ("jam 10" said at 11:00 means tomorrow).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.when import SENTENCE, Mention, read_mentions
from bot.domain.zones import DEFAULT_ZONE

DEFAULT_TZ = DEFAULT_ZONE


def extract_datetimes(text: str, now: datetime, tz: str = DEFAULT_TZ) -> list[dict[str, Any]]:
    """`datetime` entities: value is ISO-8601 with the zone's offset, plus `grain`.

    `now` is the bot's clock (aware); `tz` is the zone the user lives in (WIB, WITA, WIT)."""
    if not text or now.tzinfo is None:
        return []
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    entities: list[dict[str, Any]] = []
    for m in read_mentions(text[:2000], local_now.date(), SENTENCE):
        if m.problem or not (m.dated or m.clock):
            continue
        at, grain = _time_and_grain(m)
        if m.dated:
            assert m.day is not None  # no problem, so the day exists
            value = datetime.combine(m.day, at, tzinfo=zone)
        else:
            value = datetime.combine(local_now.date(), at, tzinfo=zone)
            if value <= local_now:
                value += timedelta(days=1)  # "jam 10" said at 11:00 means tomorrow
        entities.append(_entity(text, m.start, m.end, value, grain))
    return entities


def _time_and_grain(m: Mention) -> tuple[time, str]:
    if m.time is not None:
        return m.time, "minute" if m.time.minute else "hour"
    if m.period_hour is not None:
        return time(m.period_hour), "hour"
    return time(0, 0), "week" if m.week else "day"


def _entity(text: str, start: int, end: int, value: datetime, grain: str) -> dict[str, Any]:
    return {
        "entity": "datetime",
        "value": value.isoformat(),
        "start": start,
        "end": end,
        "text": text[start:end],
        "grain": grain,
        "extractor": "DatetimeExtractor",
    }
