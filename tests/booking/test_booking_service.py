"""Use cases on a real database (SQLite here; PostgreSQL in test_postgres.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from bot.domain.booking import BookingNotFound, NotTheConsultant, SlotTaken, SlotUnavailable
from bot.services import booking as svc
from bot.storage.models import Booking, Consultant, OutboxMessage, User

from .conftest import NOW

WITA = ZoneInfo("Asia/Makassar")


def at(day: int, hour: int, minute: int = 0, tz: ZoneInfo = WITA) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=tz)


async def new_user(session, ext: str, channel: str = "cli") -> User:  # type: ignore[no-untyped-def]
    user = User(channel=channel, external_id=ext, created_at=NOW, language="id", language_locked=False)
    session.add(user)
    await session.flush()
    return user


def request(user_id: int, starts_at: datetime, center: str = "plut-maros", area: str = "marketing") -> svc.BookingRequest:
    return svc.BookingRequest(user_id=user_id, center_code=center, area=area, starts_at=starts_at, name="Siti",
                              business_name="Keripik Siti", business_kind="makanan ringan", phone="+6281234567890",
                              consent_at=NOW, language="id")


async def outbox(session, **where) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    q = select(OutboxMessage).order_by(OutboxMessage.id)
    for k, v in where.items():
        q = q.where(getattr(OutboxMessage, k) == v)
    return list((await session.execute(q)).scalars())


async def test_book_notifies_consultant_and_schedules_reminders(frontdesk) -> None:  # type: ignore[no-untyped-def]
    async with frontdesk.db.transaction() as s:
        u = await new_user(s, "u1")
        b = await svc.book(s, request(u.id, at(25, 10)), now=NOW)
        ref = b.ref
    async with frontdesk.db.transaction() as s:
        rows = await outbox(s, ref=ref)
        kinds = {(r.kind, r.channel, r.status) for r in rows}
        assert ("booking.new", "inbox", "pending") in kinds
        reminders = {r.kind: r.next_attempt_at for r in rows if r.kind.startswith("reminder")}
        assert reminders == {"reminder.day_before": at(24, 10), "reminder.2h": at(25, 8)}
        new = next(r for r in rows if r.kind == "booking.new")
        assert [b["payload"] for b in new.payload["buttons"]] == [f"act:booking.accept?ref={ref}", f"act:booking.decline?ref={ref}"]


async def test_booking_and_its_outbox_rows_roll_back_together(frontdesk) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError):
        async with frontdesk.db.transaction() as s:
            u = await new_user(s, "u1")
            await svc.book(s, request(u.id, at(25, 10)), now=NOW)
            raise RuntimeError("the turn failed after booking")
    async with frontdesk.db.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(Booking))).scalar() == 0
        assert (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar() == 0


async def test_second_booking_of_a_slot_is_refused(frontdesk) -> None:  # type: ignore[no-untyped-def]
    async with frontdesk.db.transaction() as s:
        u1, u2 = await new_user(s, "u1"), await new_user(s, "u2")
        await svc.book(s, request(u1.id, at(25, 10)), now=NOW)
        with pytest.raises(SlotTaken):
            await svc.book(s, request(u2.id, at(25, 10)), now=NOW)


async def test_unique_index_holds_even_without_the_python_check(frontdesk) -> None:  # type: ignore[no-untyped-def]
    """Insert the rows directly: the database itself refuses a second active booking."""
    from sqlalchemy.exc import IntegrityError

    async with frontdesk.db.transaction() as s:
        u = await new_user(s, "u1")
        cid = (await s.execute(select(Consultant.id).limit(1))).scalar_one()
        row = dict(user_id=u.id, consultant_id=cid, center_code="plut-maros", service_area="marketing", starts_at=at(25, 10),
                   ends_at=at(25, 11), name="x", language="id", consent_at=NOW, version=1, declined_by=[], created_at=NOW, updated_at=NOW)
        s.add(Booking(ref="PLUT-AAAA", status="cancelled", **row))
        s.add(Booking(ref="PLUT-AAAB", status="pending", **row))
        await s.flush()
        s.add(Booking(ref="PLUT-AAAC", status="confirmed", **row))
        with pytest.raises(IntegrityError):
            await s.flush()


async def test_holds_keep_a_slot_for_one_user(frontdesk) -> None:  # type: ignore[no-untyped-def]
    async with frontdesk.db.transaction() as s:
        u1, u2 = await new_user(s, "u1"), await new_user(s, "u2")
        await svc.hold_slot(s, user_id=u1.id, center_code="plut-maros", area="marketing", starts_at=at(25, 10), now=NOW)
        with pytest.raises(SlotTaken):
            await svc.hold_slot(s, user_id=u2.id, center_code="plut-maros", area="marketing", starts_at=at(25, 10), now=NOW)
        free_for_u2 = await svc.free_slots(s, center_code="plut-maros", area="marketing", now=NOW, user_id=u2.id)
        assert at(25, 10) not in {x.starts_at for x in free_for_u2}
        # After the hold runs out, the slot is free for u2.
        later = NOW + svc.HOLD_FOR + timedelta(seconds=1)
        await svc.hold_slot(s, user_id=u2.id, center_code="plut-maros", area="marketing", starts_at=at(25, 10), now=later)
        with pytest.raises(SlotTaken):
            await svc.book(s, request(u1.id, at(25, 10)), now=later)
        b = await svc.book(s, request(u2.id, at(25, 10)), now=later)
        assert b.status == "pending"


async def test_bad_times_are_refused(frontdesk) -> None:  # type: ignore[no-untyped-def]
    async with frontdesk.db.transaction() as s:
        u = await new_user(s, "u1")
        for bad in (at(20, 10), at(23, 11), at(25, 12), at(25, 10, 30), at(29, 10), NOW + timedelta(days=20)):
            with pytest.raises(SlotUnavailable):
                await svc.book(s, request(u.id, bad), now=NOW)
        assert (await s.execute(select(func.count()).select_from(Booking))).scalar() == 0


async def test_cancel_and_reschedule_leave_no_stale_reminders(frontdesk) -> None:  # type: ignore[no-untyped-def]
    async with frontdesk.db.transaction() as s:
        u = await new_user(s, "u1")
        b = await svc.book(s, request(u.id, at(25, 10)), now=NOW)
        ref = b.ref
        moved = await svc.reschedule_booking(s, user_id=u.id, ref=ref, starts_at=at(26, 13), now=NOW)
        assert moved.starts_at == at(26, 13) and moved.version == 2
    async with frontdesk.db.transaction() as s:
        pending = [r for r in await outbox(s, ref=ref, status="pending") if r.kind.startswith("reminder")]
        assert sorted(r.next_attempt_at for r in pending) == [at(25, 13), at(26, 11)]
        assert {r.kind for r in await outbox(s, ref=ref)} >= {"booking.new", "booking.rescheduled"}
        # The old slot is free again, the new one is not.
        free = {x.starts_at for x in await svc.free_slots(s, center_code="plut-maros", area="marketing", now=NOW)}
        assert at(25, 10) in free and at(26, 13) not in free
        await svc.cancel_booking(s, user_id=u.id, ref=ref, now=NOW)
    async with frontdesk.db.transaction() as s:
        assert [r for r in await outbox(s, ref=ref, status="pending") if r.kind.startswith("reminder")] == []
        assert (await outbox(s, ref=ref, kind="booking.cancelled"))[0].recipient.startswith("consultant:")
        free = {x.starts_at for x in await svc.free_slots(s, center_code="plut-maros", area="marketing", now=NOW)}
        assert at(26, 13) in free


async def test_another_user_cannot_see_or_change_a_booking(frontdesk) -> None:  # type: ignore[no-untyped-def]
    async with frontdesk.db.transaction() as s:
        owner, other = await new_user(s, "owner"), await new_user(s, "other")
        ref = (await svc.book(s, request(owner.id, at(25, 10)), now=NOW)).ref
        with pytest.raises(BookingNotFound):
            await svc.user_booking(s, other.id, ref)
        with pytest.raises(BookingNotFound):
            await svc.cancel_booking(s, user_id=other.id, ref=ref, now=NOW)
        with pytest.raises(BookingNotFound):
            await svc.reschedule_booking(s, user_id=other.id, ref=ref, starts_at=at(26, 9), now=NOW)
        assert await svc.user_bookings(s, other.id, now=NOW) == []
        b = await svc.user_booking(s, owner.id, ref)
        assert (b.status, b.starts_at) == ("pending", at(25, 10))


async def test_accept_and_decline_with_reassignment(frontdesk) -> None:  # type: ignore[no-untyped-def]
    """Medan has two marketing consultants: a decline goes to the other; a second decline ends it."""
    wib = ZoneInfo("Asia/Jakarta")
    async with frontdesk.db.transaction() as s:
        u = await new_user(s, "u1")
        b = await svc.book(s, request(u.id, at(25, 10, tz=wib), center="plut-sumut"), now=NOW)
        first = b.consultant_id
        with pytest.raises(NotTheConsultant):
            await svc.accept_booking(s, consultant_id=first + 100, ref=b.ref, now=NOW)
        out = await svc.decline_booking(s, consultant_id=first, ref=b.ref, now=NOW)
        assert out.reassigned_to not in (None, first) and b.status == "pending"
        second = out.booking.consultant_id
        out2 = await svc.decline_booking(s, consultant_id=second, ref=b.ref, now=NOW)
        assert out2.reassigned_to is None and out2.booking.status == "declined" and out2.alternatives
        ref = b.ref
    async with frontdesk.db.transaction() as s:
        kinds = [(r.kind, r.recipient) for r in await outbox(s, ref=ref)]
        assert ("booking.new", f"consultant:{second}") in kinds
        assert ("booking.declined", "u1") in kinds
        assert [r for r in await outbox(s, ref=ref, status="pending") if r.kind.startswith("reminder")] == []


async def test_use_cases_record_the_entity_events(frontdesk) -> None:  # type: ignore[no-untyped-def]
    """Every change goes through the `Booking` entity; each use case hands the events it
    recorded to the installed notifier once (and nothing when nothing changed)."""
    from bot.domain import booking as rules

    told: list[rules.BookingEvent] = []
    installed = svc.current_notifier()
    assert installed is not None, "the front desk installs the dialogue's notifier"

    async def spy(session, news, now) -> None:  # type: ignore[no-untyped-def]
        told.extend(news.events)
        await installed(session, news, now)

    def heard() -> list[rules.BookingEvent]:
        out = list(told)
        told.clear()
        return out

    svc.set_notifier(spy)
    wib = ZoneInfo("Asia/Jakarta")
    try:
        async with frontdesk.db.transaction() as s:
            u = await new_user(s, "u1")
            b = await svc.book(s, request(u.id, at(25, 10, tz=wib), center="plut-sumut"), now=NOW)
            first = b.consultant_id
            await svc.accept_booking(s, consultant_id=first, ref=b.ref, now=NOW)
            await svc.accept_booking(s, consultant_id=first, ref=b.ref, now=NOW)  # a second tap: no event
            assert [type(e) for e in heard()] == [rules.BookingRequested, rules.BookingAccepted]
            assert svc.collect_events(s) == []
            await svc.reschedule_booking(s, user_id=u.id, ref=b.ref, starts_at=at(26, 10, tz=wib), now=NOW)
            out = await svc.decline_booking(s, consultant_id=b.consultant_id, ref=b.ref, now=NOW)
            second = out.booking.consultant_id
            await svc.decline_booking(s, consultant_id=second, ref=b.ref, now=NOW)
            moved, reassigned, declined = heard()
            assert isinstance(moved, rules.BookingRescheduled) and moved.previous_start == at(25, 10, tz=wib)
            assert reassigned == rules.BookingReassigned(b.ref, 3, declined_by=moved.consultant_id, consultant_id=second)
            assert isinstance(declined, rules.BookingDeclined) and declined.declined_by == second and b.status == "declined"
            b2 = await svc.book(s, request(u.id, at(27, 10, tz=wib), center="plut-sumut"), now=NOW)
            await svc.cancel_booking(s, user_id=u.id, ref=b2.ref, now=NOW)
            assert [type(e) for e in heard()] == [rules.BookingRequested, rules.BookingCancelled]
    finally:
        svc.set_notifier(installed)


async def test_accept_tells_the_user(frontdesk) -> None:  # type: ignore[no-untyped-def]
    async with frontdesk.db.transaction() as s:
        u = await new_user(s, "u1")
        b = await svc.book(s, request(u.id, at(25, 10)), now=NOW)
        await svc.accept_booking(s, consultant_id=b.consultant_id, ref=b.ref, now=NOW)
        await svc.accept_booking(s, consultant_id=b.consultant_id, ref=b.ref, now=NOW)  # second tap: nothing new
        assert b.status == "confirmed"
        assert len(await outbox(s, ref=b.ref, kind="booking.accepted")) == 1


async def test_consultant_linked_channel_gets_the_notification(frontdesk) -> None:  # type: ignore[no-untyped-def]
    async with frontdesk.db.transaction() as s:
        u = await new_user(s, "u1")
        await s.execute(text("UPDATE consultants SET channel='telegram', external_id='555' WHERE center_code='plut-maros'"))
        b = await svc.book(s, request(u.id, at(25, 10)), now=NOW)
        row = (await outbox(s, ref=b.ref, kind="booking.new"))[0]
        assert (row.channel, row.recipient) == ("telegram", "555")


# --- round trips and the schedule cache ---------------------------------------------------------


def count_statements(frontdesk):  # type: ignore[no-untyped-def]
    """A list that grows by one SQL text per statement the engine sends (SQLite's BEGIN left out)."""
    from sqlalchemy import event

    sent: list[str] = []
    event.listen(frontdesk.db.engine.sync_engine, "before_cursor_execute", 
                 lambda _c, _cur, sql, *a: None if sql.startswith("BEGIN") else sent.append(sql))
    return sent


async def test_book_takes_four_statements_with_a_warm_schedule(frontdesk) -> None:  # type: ignore[no-untyped-def]
    async with frontdesk.db.transaction() as s:
        u1, u2 = await new_user(s, "u1"), await new_user(s, "u2")
        await svc.free_slots(s, center_code="plut-maros", area="marketing", now=NOW)  # loads the center's schedule
    sent = count_statements(frontdesk)
    async with frontdesk.db.transaction() as s:
        await svc.book(s, request(u1.id, at(25, 10)), now=NOW)
    assert len(sent) == 4, sent  # user + hold, free consultants, insert, outbox rows
    async with frontdesk.db.transaction() as s:
        await svc.hold_slot(s, user_id=u2.id, center_code="plut-maros", area="marketing", starts_at=at(25, 11), now=NOW)
    sent.clear()
    async with frontdesk.db.transaction() as s:
        await svc.book(s, request(u2.id, at(25, 11)), now=NOW)
    assert len(sent) == 4, sent  # user + hold, insert, release the hold, outbox rows


async def test_schedule_edits_in_this_process_count_at_once(frontdesk) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    async with frontdesk.db.transaction() as s:
        u = await new_user(s, "u1")
        assert at(25, 10) in {x.starts_at for x in await svc.free_slots(s, center_code="plut-maros", area="marketing", now=NOW)}
    async with frontdesk.db.transaction() as s:
        await svc.add_closure(s, center_code="plut-maros", first_day=date(2026, 11, 25), last_day=date(2026, 11, 25))
    async with frontdesk.db.transaction() as s:
        assert at(25, 10) not in {x.starts_at for x in await svc.free_slots(s, center_code="plut-maros", area="marketing", now=NOW)}
        with pytest.raises(SlotUnavailable):
            await svc.book(s, request(u.id, at(25, 10)), now=NOW)
    async with frontdesk.db.transaction() as s:  # hours replaced through the ORM, by bulk delete + insert
        cids = (await s.execute(select(Consultant.id).where(Consultant.center_code == "plut-maros"))).scalars().all()
        for cid in cids:
            await svc.set_availability(s, cid, [])
    async with frontdesk.db.transaction() as s:
        assert await svc.free_slots(s, center_code="plut-maros", area="marketing", now=NOW) == []


async def test_other_processes_edits_count_after_the_ttl_and_deactivation_at_once(frontdesk, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.services import schedule_cache

    async with frontdesk.db.transaction() as s:
        u = await new_user(s, "u1")
        before = await svc.free_slots(s, center_code="plut-maros", area="marketing", now=NOW)
    # Raw SQL stands for another process: this process's cache does not see it...
    async with frontdesk.db.transaction() as s:
        await s.execute(text("UPDATE consultants SET active = false WHERE center_code = 'plut-maros'"))
    async with frontdesk.db.transaction() as s:
        assert await svc.free_slots(s, center_code="plut-maros", area="marketing", now=NOW) == before
        # ...but booking reads the consultant rows fresh, so nobody is booked with an inactive consultant.
        with pytest.raises(SlotTaken):
            await svc.book(s, request(u.id, at(25, 10)), now=NOW)
    monkeypatch.setattr(schedule_cache, "TTL", 0.0)
    async with frontdesk.db.transaction() as s:
        assert await svc.free_slots(s, center_code="plut-maros", area="marketing", now=NOW) == []
        with pytest.raises(SlotUnavailable):
            await svc.book(s, request(u.id, at(25, 10)), now=NOW)


def _calendar(row: OutboxMessage) -> Any:
    import base64

    import icalendar

    cal = icalendar.Calendar.from_ical(base64.b64decode(row.payload["document"]["content_base64"]))
    return cal, next(iter(cal.walk("VEVENT")))


async def test_the_calendar_file_follows_the_consultant(frontdesk) -> None:  # type: ignore[no-untyped-def]
    async with frontdesk.db.transaction() as s:
        u = await new_user(s, "u1")
        b = await svc.book(s, request(u.id, at(25, 10)), now=NOW)
        await svc.accept_booking(s, consultant_id=b.consultant_id, ref=b.ref, now=NOW)
        rows = await outbox(s, ref=b.ref, kind="booking.accepted")
        # The owner's language (Indonesian here), worded by the dialogue's notifier.
        assert len(rows) == 1 and "dikonfirmasi oleh konsultan" in rows[0].payload["document"]["caption"]
        _, event = _calendar(rows[0])
        assert (str(event["STATUS"]), int(event["SEQUENCE"]), str(event["UID"])) == ("CONFIRMED", 1, f"{b.ref}@plut-frontdesk")


async def test_a_declined_booking_cancels_its_calendar_entry(frontdesk) -> None:  # type: ignore[no-untyped-def]
    async with frontdesk.db.transaction() as s:
        u = await new_user(s, "u1")
        b = await svc.book(s, request(u.id, at(25, 10)), now=NOW)
        outcome = await svc.decline_booking(s, consultant_id=b.consultant_id, ref=b.ref, now=NOW)
        while outcome.reassigned_to is not None:
            outcome = await svc.decline_booking(s, consultant_id=outcome.reassigned_to, ref=b.ref, now=NOW)
        rows = await outbox(s, ref=b.ref, kind="booking.calendar")
        assert len(rows) == 1
        cal, event = _calendar(rows[0])
        assert str(cal["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == f"{b.ref}@plut-frontdesk" and int(event["SEQUENCE"]) > 0
