"""A person's data rights (UU PDP) through the real engine, on SQLite and PostgreSQL: "what do
you store about me?" lists this user's own data; "delete my data" erases every personal field
after a clear yes (checked by reading every table), keeps bookings as anonymous counts,
cancels upcoming ones and tells their consultant without the name; any other answer erases
nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import uuid

import pytest
from sqlalchemy import func, select, text, update

from bot.app import FrontDesk
from bot.engine.events import Event, Reply
from bot.outbox import Message, post
from bot.services import booking as booking_svc
from bot.services import personal_data
from bot.storage.models import (
    AuditEntry,
    Base,
    Booking,
    ConsultationRequest,
    Consultant,
    Conversation,
    HandoffMessage,
    HandoffRequest,
    InboundRate,
    MessageLog,
    OutboxMessage,
    UnansweredMessage,
    User,
)
from tests.booking.conftest import make_frontdesk

NAME, BUSINESS, KIND, PHONE = "Sulastri Wibowo", "Batik Lestari Wibowo", "batik tulis halus", "081377712345"
PHONE_CORE = "81377712345"  # in every form the phone is stored or written (+62…, 0…)
QUESTION = "Sulastri mau tanya modal usaha batik untuk pasar ekspor"
RELAYED = "nomor rekening saya 7781 2299 di bank desa"
ACCOUNT = "41907736"


@pytest.fixture
async def fd(db_url: str) -> AsyncIterator[FrontDesk]:
    app = await make_frontdesk(db_url)
    try:
        yield app
    finally:
        await app.close()


def _text(replies: list[Reply]) -> str:
    return "\n".join(r.text or "" for r in replies)


def _payload(replies: list[Reply], title_part: str | int) -> str:
    items = [b for r in replies for b in [*r.buttons, *r.options]]
    if isinstance(title_part, int):
        return items[title_part].payload
    for b in items:
        if title_part.lower() in b.title.lower():
            return b.payload
    raise AssertionError(f"no button {title_part!r} in {[b.title for b in items]}")


class Person:
    def __init__(self, app: FrontDesk, account: str, channel: str = "telegram") -> None:
        self.app, self.account, self.channel = app, account, channel
        self.n = 0
        self.last: list[Reply] = []

    async def say(self, text: str | None = None, *, press: str | int | None = None, name: str | None = None) -> list[Reply]:
        self.n += 1
        button = _payload(self.last, press) if press is not None else None
        self.last = await self.app.engine.handle(Event(channel=self.channel, user_id=self.account, message_id=uuid.uuid4().hex,
                                                       text=text, button=button, display_name=name))
        return self.last

    async def book(self, name: str, business: str, kind: str, phone: str, *, lang: str = "id") -> str:
        await self.say("mau booking konsultasi pemasaran di plut sleman" if lang == "id"
                       else "I would like to book a marketing consultation at PLUT Sleman", name=name)
        await self.say(press=0)  # the first day
        await self.say(press=0)  # the first time
        await self.say(name)
        await self.say(business)
        await self.say(kind)
        await self.say(phone)
        await self.say("ya setuju" if lang == "id" else "yes I agree")
        done = await self.say("ya" if lang == "id" else "yes")
        ref = next(w.strip(".,") for w in _text(done).split() if w.startswith("PLUT-") and len(w.strip(".,")) == 9)
        return ref

    async def user(self) -> User:
        async with self.app.db.transaction() as s:
            return (await s.execute(select(User).where(User.channel == self.channel, User.external_id == self.account))).scalar_one()


async def _everything(app: FrontDesk) -> dict[str, list[str]]:
    """Every row of every table, as text, per table."""
    out: dict[str, list[str]] = {}
    async with app.db.transaction() as s:
        for table in Base.metadata.sorted_tables:
            rows = (await s.execute(select(table))).all()
            out[table.name] = [" | ".join(str(v) for v in row) for row in rows]
    return out


async def _setup_person(app: FrontDesk) -> tuple[Person, str, str]:
    """A Telegram user with a past and an upcoming booking, a consultation request, a handoff
    with relayed messages, unanswered questions and messages to them in the outbox."""
    async with app.db.transaction() as s:  # one consultant of the field has a linked account
        await s.execute(update(Consultant).where(Consultant.center_code == "plut-sleman")
                        .values(channel="telegram", external_id="consultant-tg-1"))
    p = Person(app, ACCOUNT)
    upcoming = await p.book(NAME, BUSINESS, KIND, PHONE)
    user = await p.user()
    now = app.clock.now()
    async with app.db.transaction() as s:
        # a booking already held last month (attended): kept as a count, never cancelled
        past = Booking(ref="PLUT-P4ST", user_id=user.id, consultant_id=(await s.scalars(select(Consultant.id))).first(),
                       center_code="plut-sleman", service_area="financing", starts_at=now - timedelta(days=30),
                       ends_at=now - timedelta(days=30) + timedelta(hours=1), status="attended", name=NAME,
                       business_name=BUSINESS, business_kind=KIND, phone="+62" + PHONE_CORE, language="id", consent_at=now,
                       note=f"{NAME} datang tepat waktu", created_at=now - timedelta(days=31), updated_at=now)
        s.add(past)
        req = ConsultationRequest(user_id=user.id, center_code="plut-maros", service_area="financing", question=QUESTION,
                                  phone="+62" + PHONE_CORE, channel="telegram", language="id", created_at=now)
        hand = HandoffRequest(user_id=user.id, center_code="plut-sleman", service_area="marketing", question=QUESTION,
                              status="closed", created_at=now - timedelta(days=2))
        s.add_all([req, hand])
        await s.flush()
        s.add_all([HandoffMessage(request_id=hand.id, direction="to_consultant", kind="text", text=RELAYED, at=now),
                   HandoffMessage(request_id=hand.id, direction="to_user", kind="text", text=f"Baik Bu {NAME}", at=now),
                   UnansweredMessage(user_id=user.id, channel="telegram", text=f"saya {NAME} dari desa", at=now),
                   # the flood limiter's row for the account (the limit is off on the tests' frozen clock)
                   InboundRate(channel="telegram", external_id=ACCOUNT, full_at_ms=0, seen_ms=0, passed=1, dropped=0)])
        await post(s, [
            Message("inbox", "consultant:1", Reply(text=f"Permintaan konsultasi: {QUESTION}\nHP: +62{PHONE_CORE}").to_dict(),
                    key=f"consult:{req.id}:1:0"),
            Message("telegram", "consultant-tg-9", Reply(text=f"{NAME}: {RELAYED}").to_dict(), key=f"handoff:{hand.id}:telegram:77"),
            Message("telegram", ACCOUNT, Reply(text=f"Terima kasih Bu {NAME}").to_dict(), key="reply:1"),
        ], now=now)
        await s.execute(update(OutboxMessage).where(OutboxMessage.idempotency_key == "reply:1").values(status="sent"))
    return p, upcoming, "PLUT-P4ST"


async def test_show_my_data_lists_this_users_data_and_no_one_elses(fd: FrontDesk) -> None:
    someone = Person(fd, "other-77")
    other_ref = await someone.book("Joko Prasetyo", "Kopi Merapi", "kopi bubuk", "085299988877")
    p = Person(fd, ACCOUNT)
    ref = await p.book(NAME, BUSINESS, KIND, PHONE)

    replies = await p.say("min data sy yg kalian simpen apa aja ya")
    shown = _text(replies)
    assert "Ini data Bapak/Ibu yang disimpan bot ini" in shown
    for expected in (NAME, BUSINESS, ref, "PLUT-KUMKM Kabupaten Sleman", "Pemasaran", "Telegram", "Bahasa Indonesia",
                     "menunggu konfirmasi", "disimpan 365 hari", "+628******2345"):
        assert expected in shown, (expected, shown)
    assert PHONE not in shown  # masked
    for foreign in (other_ref, "Joko", "Kopi Merapi", "88877"):
        assert foreign not in shown
    me = await p.user()
    async with fd.db.transaction() as s:
        logged = (await s.execute(select(func.count(MessageLog.id)).where(MessageLog.user_id == me.id))).scalar_one()
    assert f"Catatan pesan: {logged - 2} pesan" in shown  # every row logged before this turn (its message and answer)
    assert _payload(replies, "Hapus data saya") == "flow:erase_my_data"


async def test_erasure_after_yes_erases_every_personal_field_and_keeps_the_counts(fd: FrontDesk) -> None:
    p, upcoming, past = await _setup_person(fd)
    async with fd.db.transaction() as s:
        before = {st: n for st, n in (await s.execute(
            select(Booking.status, func.count()).group_by(Booking.status))).all()}
        booked = (await s.execute(select(Booking).where(Booking.ref == upcoming))).scalar_one()
        slot, consultant_id, center, area = booked.starts_at, booked.consultant_id, booked.center_code, booked.service_area
        assert not [sl for sl in await booking_svc.free_slots(s, center_code=center, area=area, now=fd.clock.now())
                    if sl.starts_at == slot and sl.consultant_id == consultant_id]
    everything = await _everything(fd)
    assert any(NAME in row for row in everything["bookings"]) and any(RELAYED in row for row in everything["outbox"])

    ask = await p.say("tolong hapus semua data sy min")
    assert "Hapus data Bapak/Ibu?" in _text(ask)
    assert [b.title for r in ask for b in r.buttons] == ["Ya, hapus data saya", "Batal"]
    done = await p.say(press="Ya, hapus data saya")
    said = _text(done)
    assert "Data Bapak/Ibu sudah dihapus" in said and upcoming in said and past not in said.split("dibatalkan:")[-1]
    assert "booking 2, permintaan konsultasi 1, percakapan dengan konsultan 1" in said

    # No table holds the name, the business, the phone, the question or the relayed words any more.
    everything = await _everything(fd)
    for table, rows in everything.items():
        for row in rows:
            for secret in (NAME, "Sulastri", BUSINESS, KIND, PHONE_CORE, RELAYED, QUESTION, "desa"):
                assert secret not in row, (table, secret, row)
    # The account id is left only on the account that starts over (to deliver this answer).
    holding = {t: [r for r in rows if ACCOUNT in r] for t, rows in everything.items()}
    assert {t: len(r) for t, r in holding.items() if r} == {"users": 1}

    async with fd.db.transaction() as s:
        user = (await s.execute(select(User).where(User.external_id == ACCOUNT))).scalar_one()
        assert (user.display_name, user.phone, user.language, user.consent_at, user.language_locked) == (None, None, None, None, False)
        conv = (await s.execute(select(Conversation).where(Conversation.user_id == user.id))).scalar_one()
        assert conv.flow is None and "_lang_told" not in conv.values
        # bookings stay as anonymous rows: same number, same center/field/day; the upcoming one cancelled
        rows = {b.ref: b for b in (await s.execute(select(Booking))).scalars()}
        assert rows[upcoming].status == "cancelled" and rows[past].status == "attended"
        assert (rows[upcoming].starts_at, rows[upcoming].center_code, rows[upcoming].service_area) == (slot, center, area)
        assert rows[upcoming].user_id == rows[past].user_id != user.id
        anonymous = await s.get(User, rows[upcoming].user_id)
        assert anonymous is not None and anonymous.external_id.startswith("erased:") and anonymous.display_name is None
        after = {st: n for st, n in (await s.execute(select(Booking.status, func.count()).group_by(Booking.status))).all()}
        assert sum(after.values()) == sum(before.values())
        assert after.get("cancelled", 0) == before.get("cancelled", 0) + 1
        assert (await s.execute(select(func.count(ConsultationRequest.id)))).scalar_one() == 1
        assert (await s.execute(select(func.count(HandoffMessage.id)).where(HandoffMessage.text.is_not(None)))).scalar_one() == 0
        assert (await s.execute(select(func.count(UnansweredMessage.id)))).scalar_one() == 0
        assert (await s.execute(select(func.count(MessageLog.id)).where(MessageLog.user_id == anonymous.id))).scalar_one() > 10
        assert (await s.execute(select(func.count(MessageLog.id)).where(
            MessageLog.user_id == anonymous.id, MessageLog.text.is_not(None)))).scalar_one() == 0
        # the slot is free again
        assert [sl for sl in await booking_svc.free_slots(s, center_code=center, area=area, now=fd.clock.now())
                if sl.starts_at == slot and sl.consultant_id == consultant_id]
        # the consultant is told, by the normal notice path, without the name
        notice = (await s.execute(select(OutboxMessage).where(OutboxMessage.ref == upcoming,
                                                              OutboxMessage.kind == "booking.erased"))).scalar_one()
        assert (notice.channel, notice.recipient, notice.status) == ("telegram", "consultant-tg-1", "pending")
        assert notice.payload["text"].startswith(f"Booking {upcoming} pada ")
        assert "dibatalkan karena pemiliknya meminta datanya dihapus" in notice.payload["text"]
        # the earlier notice about the new booking keeps its place, without the person
        new = (await s.execute(select(OutboxMessage).where(OutboxMessage.ref == upcoming,
                                                           OutboxMessage.kind == "booking.new"))).scalar_one()
        assert upcoming in new.payload["text"] and "***" in new.payload["text"]
        # no reminder will go out, and nothing to the person is left in the outbox
        assert (await s.execute(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind.startswith("reminder")))).scalar_one() == 0
        audit = (await s.execute(select(AuditEntry).where(AuditEntry.action == "personal_data.erase"))).scalar_one()
        assert audit.username == "user" and audit.detail["bookings_cancelled"] == [upcoming]
        assert audit.detail["bookings_kept"] == 2

    # The next message from the same account is a new user's: no name, the language read afresh.
    again = await p.say("good morning, I would like to book a consultation please")
    assert "Which PLUT center would you like to visit?" in _text(again)  # the center talked about is forgotten too
    fresh = await p.user()
    assert fresh.display_name is None and fresh.language == "en"
    await p.say("menu")
    mine = _text(await p.say("show my data"))
    assert "Name: none" in mine and "Bookings: none" in mine and upcoming not in mine


@pytest.mark.parametrize("answer", ["batal", "ga jadi", "gak jadi deh", "never mind", "tidak", "Batal (button)"])
async def test_anything_but_a_clear_yes_erases_nothing(fd: FrontDesk, answer: str) -> None:
    p = Person(fd, ACCOUNT)
    ref = await p.book(NAME, BUSINESS, KIND, PHONE)
    before = await _everything(fd)
    await p.say("hapus data saya")
    reply = await p.say(press="Batal") if answer.endswith("(button)") else await p.say(answer)
    assert "tidak ada data yang dihapus" in _text(reply)
    after = await _everything(fd)
    async with fd.db.transaction() as s:
        booking = (await s.execute(select(Booking).where(Booking.ref == ref))).scalar_one()
        assert (booking.name, booking.status) == (NAME, "pending")
        assert (await s.execute(select(func.count(AuditEntry.id)))).scalar_one() == 0
    assert after["users"] == before["users"] and after["bookings"] == before["bookings"]
    assert after["outbox"] == before["outbox"]


async def test_an_unclear_answer_is_asked_again_and_the_second_erases_nothing(fd: FrontDesk) -> None:
    p = Person(fd, ACCOUNT)
    ref = await p.book(NAME, BUSINESS, KIND, PHONE)
    await p.say("hapus data saya")
    again = _text(await p.say("hmm sebentar"))
    assert "Mohon jawab dengan tombol" in again and "Hapus data Bapak/Ibu?" in again
    gave_up = _text(await p.say("apa itu nib?"))
    assert "tidak ada data yang dihapus" in gave_up
    async with fd.db.transaction() as s:
        assert (await s.execute(select(Booking.name).where(Booking.ref == ref))).scalar_one() == NAME
    await p.say("ya")  # a late yes, after the question was given up
    async with fd.db.transaction() as s:
        assert (await s.execute(select(Booking.name).where(Booking.ref == ref))).scalar_one() == NAME


async def test_erasure_of_a_user_with_nothing_stored_in_english(fd: FrontDesk) -> None:
    looker = Person(fd, "web-visitor-1", channel="web")
    shown = _text(await looker.say("hi, what do you know about me?"))
    assert "This is what the bot stores about you" in shown
    assert "Name: none" in shown and "Bookings: none" in shown and "each kept for 365 days" in shown
    assert _payload(looker.last, "Delete my data") == "flow:erase_my_data"

    p = Person(fd, "web-visitor-2", channel="web")
    ask = await p.say("please delete my data")
    assert [b.title for r in ask for b in r.buttons] == ["Yes, delete my data", "No, cancel"]
    done = _text(await p.say("yes"))
    assert "Your data has been deleted" in done and "Cancelled upcoming bookings" not in done
    assert "bookings 0, consultation requests 0, chats with consultants 0, messages 2" in done  # the question and its answer
    async with fd.db.transaction() as s:
        users = (await s.execute(select(User.external_id).order_by(User.id))).scalars().all()
        assert users[:2] == ["web-visitor-1", "web-visitor-2"] and len(users) == 3 and users[2].startswith("erased:")
        audit = (await s.execute(select(AuditEntry))).scalar_one()
        assert audit.detail["bookings_kept"] == 0 and audit.detail["messages"] == 2


async def test_erasing_an_account_that_holds_nothing_adds_no_anonymous_account(fd: FrontDesk) -> None:
    now = fd.clock.now()
    async with fd.db.transaction() as s:
        user = User(channel="whatsapp", external_id="6281300011122", display_name="Rina", phone="+6281300011122",
                    language="id", language_locked=True, created_at=now)
        s.add(user)
        await s.flush()
        done = await personal_data.erase_personal_data(s, user_id=user.id, now=now, by="user")
        assert not done.anything and done.cancelled == []
    async with fd.db.transaction() as s:
        rows = (await s.execute(select(User))).scalars().all()
        assert [(u.display_name, u.phone, u.language, u.language_locked) for u in rows] == [(None, None, None, False)]
        assert (await s.execute(select(func.count(AuditEntry.id)))).scalar_one() == 1


async def test_a_failure_during_erasure_changes_nothing(fd: FrontDesk) -> None:
    p = Person(fd, ACCOUNT)
    ref = await p.book(NAME, BUSINESS, KIND, PHONE)
    before = await _everything(fd)
    await p.say("hapus data saya")
    mid = await _everything(fd)
    installed = booking_svc.current_notifier()

    async def broken(session: Any, news: Any, now: Any) -> None:
        raise RuntimeError("the outbox is unavailable")

    booking_svc.set_notifier(broken)
    try:
        with pytest.raises(RuntimeError):
            await p.say("ya")
    finally:
        assert installed is not None
        booking_svc.set_notifier(installed)
    after = await _everything(fd)
    assert after == mid
    assert [r for r in after["bookings"] if ref in r and NAME in r]
    assert before["bookings"] == after["bookings"]


async def test_the_show_and_erase_use_cases_on_plain_arguments(fd: FrontDesk) -> None:
    p = Person(fd, ACCOUNT)
    ref = await p.book(NAME, BUSINESS, KIND, PHONE)
    user = await p.user()
    async with fd.db.transaction() as s:
        data = await personal_data.stored_data(s, user_id=user.id)
        assert [b.ref for b in data.bookings] == [ref] and data.names == [NAME] and data.businesses == [BUSINESS, KIND]
        done = await personal_data.erase_personal_data(s, user_id=user.id, now=fd.clock.now(), by="admin-ani", admin_id=None)
        assert [e.ref for e in done.cancelled] == [ref] and done.cancelled[0].reason == "erasure"
        assert done.bookings_kept == 1
        await s.execute(text("SELECT 1"))
    async with fd.db.transaction() as s:
        assert (await s.execute(select(AuditEntry.username))).scalar_one() == "admin-ani"
        with pytest.raises(personal_data.UnknownUser):
            await personal_data.erase_personal_data(s, user_id=987654, now=fd.clock.now(), by="user")
