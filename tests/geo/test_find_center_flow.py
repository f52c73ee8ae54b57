"""The find-center and center-details dialogues, through the real engine and database."""

from __future__ import annotations

import itertools

from bot.app import FrontDesk
from bot.engine.events import Event, Location, Reply

_ids = itertools.count()


async def say(app: FrontDesk, user: str, **kw: object) -> list[Reply]:
    return await app.engine.handle(Event(channel="cli", user_id=user, message_id=f"m{next(_ids)}", **kw))  # type: ignore[arg-type]


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text or "" for r in replies)


async def test_shared_location_gets_three_nearest_with_buttons_and_a_venue(frontdesk: FrontDesk) -> None:
    replies = await say(frontdesk, "u1", location=Location(-8.1150, 115.0900))  # Singaraja
    cards = [r for r in replies if r.text and r.text[:2] in ("1.", "2.", "3.")]
    assert len(cards) == 3
    assert cards[0].text.startswith("1. PLUT-KUMKM Kabupaten Buleleng — kurang dari 1 km")
    assert "Alamat: Jl. Melur No. 31, Singaraja" in cards[0].text
    assert "Jam buka: belum tersedia" in cards[0].text
    assert "Kontak belum tersedia" in cards[0].text
    assert "±54,3 km (garis lurus)" in cards[1].text  # Gianyar, Indonesian decimal comma
    # No consultant works at Buleleng here, so no "Book here": a consultation request instead.
    assert [b.payload for b in cards[0].buttons][:2] == [
        "flow:request_consultation?center=plut-buleleng",
        "act:centers.directions?center=plut-buleleng",
    ]
    assert [b.title for b in cards[0].buttons][0] == "Minta konsultasi"
    venues = [r.venue for r in replies if r.venue]
    assert venues and venues[0].title == "PLUT-KUMKM Kabupaten Buleleng"
    assert venues[0].url.startswith("https://www.google.com/maps/dir/")


async def test_typed_place_with_ambiguity_menu(frontdesk: FrontDesk) -> None:
    first = await say(frontdesk, "u2", text="/plut")
    assert first[-1].request_location
    menu = await say(frontdesk, "u2", text="semarang")
    assert {b.payload for b in menu[-1].buttons} == {"place:33.22", "place:33.74"}
    answer = await say(frontdesk, "u2", text="kabupaten")
    assert "PLUT terdekat dari Kabupaten Semarang, Jawa Tengah" in texts(answer)
    assert "1. PLUT-KUMKM Kabupaten Semarang" in texts(answer)


async def test_ambiguity_answered_with_a_button(frontdesk: FrontDesk) -> None:
    await say(frontdesk, "u3", text="/plut malang")
    answer = await say(frontdesk, "u3", button="place:35.73")
    assert "Belum ada PLUT di Kota Malang; yang terdekat PLUT-KUMKM Kabupaten Malang, ±17,9 km" in texts(answer)
    assert "1. PLUT-KUMKM Kabupaten Malang" in texts(answer)


async def test_place_in_the_command_answers_at_once_even_with_a_typo(frontdesk: FrontDesk) -> None:
    answer = await say(frontdesk, "u4", text="/plut Kendary")
    assert "1. PLUT-KUMKM Kota Kendari" in texts(answer)


async def test_unknown_place_invites_a_location(frontdesk: FrontDesk) -> None:
    await say(frontdesk, "u5", text="/plut")
    replies = await say(frontdesk, "u5", text="Atlantis")
    assert '"Atlantis" belum saya temukan' in texts(replies)
    assert any(r.request_location for r in replies)
    answer = await say(frontdesk, "u5", location=Location(-3.97, 122.51))
    assert "1. PLUT-KUMKM Kota Kendari" in texts(answer)


async def test_location_at_sea_is_answered_honestly(frontdesk: FrontDesk) -> None:
    replies = await say(frontdesk, "u6", location=Location(-20.0, 110.0))
    assert "di luar Indonesia atau di laut" in texts(replies)
    assert texts(replies).count("(garis lurus)") == 3


async def test_details_by_place_and_by_button(frontdesk: FrontDesk) -> None:
    replies = await say(frontdesk, "u7", text="/alamat PLUT Maros")
    body = texts(replies)
    assert "PLUT-KUMKM Kabupaten Maros" in body and "Eks Terminal Marusu" in body
    assert "Jam buka: belum tersedia" in body and "Kontak belum tersedia" in body
    replies = await say(frontdesk, "u7", button="act:centers.details?center=plut-kab-semarang")
    assert "Alamat: belum tersedia" in texts(replies)


async def test_hours_are_shown_in_the_centers_own_zone(frontdesk: FrontDesk) -> None:
    from bot.services.centers import import_centers

    from .test_centers import HEADER

    row = "plut-test-biak,PLUT Test Biak,regency,Papua,91.06,Kabupaten Biak Numfor,,-1.18,136.08,building,,,,Mon-Fri 08:00-16:00,Asia/Jayapura,,,test,"
    async with frontdesk.db.transaction() as session:
        await import_centers(session, f"{HEADER}\n{row}\n")
    # The clock says Monday 09:00 WIB, which is Monday 11:00 WIT in Biak.
    replies = await say(frontdesk, "u8", button="act:centers.details?center=plut-test-biak")
    body = texts(replies)
    assert "Sen–Jum: 08.00–16.00 WIT" in body
    assert "Hari ini (Senin): 08.00–16.00 WIT" in body


async def test_english_user(frontdesk: FrontDesk) -> None:
    await say(frontdesk, "u9", text="/lang en")
    replies = await say(frontdesk, "u9", text="/plut Singaraja")
    body = texts(replies)
    assert "PLUT centers nearest to Kabupaten Buleleng, Bali:" in body
    assert "Contact details not yet available" in body


async def _add_consultant(app: FrontDesk, center: str) -> None:
    from bot.storage.models import Consultant

    async with app.db.transaction() as session:
        session.add(Consultant(center_code=center, name="Konsultan Uji", areas=["marketing"], active=True,
                               created_at=app.clock.now()))


async def test_book_here_only_on_centers_that_take_bookings(frontdesk: FrontDesk) -> None:
    await _add_consultant(frontdesk, "plut-buleleng")
    replies = await say(frontdesk, "u10", location=Location(-8.1150, 115.0900))  # Singaraja
    cards = [r for r in replies if r.text and r.text[:2] in ("1.", "2.", "3.")]
    assert cards[0].buttons[0].payload == "flow:book_consultation?center=plut-buleleng"
    assert "belum melayani booking" not in cards[0].text
    assert cards[1].buttons[0].payload.startswith("flow:request_consultation?center=")  # Gianyar: nobody books there
    assert "belum melayani booking lewat chat ini" in cards[1].text


async def test_a_message_that_is_mainly_a_place_gets_the_nearest_centers(frontdesk: FrontDesk) -> None:
    for user, text, head in (("u11", "saya di bantul", "Belum ada PLUT di Kabupaten Bantul; yang terdekat PLUT-KUMKM Kabupaten Sleman"),
                             ("u12", "sy di malang", "Malang"),
                             ("u13", "sy di aceh tngah", "Kabupaten Aceh Tengah")):
        body = texts(await say(frontdesk, user, text=text))
        assert head in body and "1. " in body and "(garis lurus)" in body, (text, body)
    assert "Provinsi Aceh" not in texts(await say(frontdesk, "u14", text="sy di aceh tngah"))


async def test_a_place_without_a_center_is_said_plainly_with_what_can_be_done_from_afar(frontdesk: FrontDesk) -> None:
    replies = await say(frontdesk, "u15", text="sy di merauke")
    body = texts(replies)
    assert body.startswith("Belum ada PLUT di Kabupaten Merauke; yang terdekat PLUT-KUMKM Kabupaten Biak Numfor, ±945 km")
    last = replies[-1]
    assert [b.title for b in last.buttons] == ["Minta konsultasi", "Bicara dengan konsultan"]
    assert last.buttons[0].payload == "flow:request_consultation?center=plut-biak-numfor"
    # a regency that has a center is not told there is none
    assert "Belum ada PLUT" not in texts(await say(frontdesk, "u16", text="sy di sleman"))
