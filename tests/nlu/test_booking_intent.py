""""booking …" with a field, a day or a center starts a booking; checking needs an existing one."""

from __future__ import annotations

import pytest

from bot.nlu.booking_intent import prefer_new_booking

AREA = [{"entity": "service_area", "value": "marketing"}]
DAY = [{"entity": "datetime", "value": "2026-11-27T09:00:00+07:00"}]


@pytest.mark.parametrize(("text", "entities"), [
    ("ya udh booking pemasaran aja, hari jumat pagi", AREA + DAY),
    ("booking hari jumat", DAY),
    ("booking di plut sleman", [{"entity": "city", "value": "Kabupaten Sleman"}]),
    ("booking dong", []),
])
def test_booking_with_what_a_new_one_needs_starts_one(text: str, entities: list) -> None:  # type: ignore[type-arg]
    ranking = prefer_new_booking(text, [("check_booking", 0.30), ("reschedule_booking", 0.2), ("book_consultation", 0.1)], entities)
    assert ranking[0] == ("book_consultation", 0.9)


@pytest.mark.parametrize(("text", "entities"), [
    ("cek booking saya hari jumat", DAY),
    ("booking PLUT-7K3M", [{"entity": "booking_ref", "value": "PLUT-7K3M"}]),
    ("batalkan booking jumat", DAY),
    ("pindah booking ke jumat", DAY),
    ("my booking on friday", DAY),
    ("what have I got booked with you on friday?", DAY),
    ("jumat pagi", DAY),  # no booking word: left to the classifier
])
def test_words_about_an_existing_booking_keep_the_classifier(text: str, entities: list) -> None:  # type: ignore[type-arg]
    ranking = [("check_booking", 0.30), ("book_consultation", 0.1)]
    assert prefer_new_booking(text, ranking, entities) == ranking


def test_a_consultation_with_a_field_is_made_sure_only_when_the_classifier_leaned_to_booking() -> None:
    text = "I need a consultation on digital marketing"
    assert prefer_new_booking(text, [("book_consultation", 0.41), ("faq/marketing", 0.2)], AREA)[0] == ("book_consultation", 0.9)
    faq = [("faq/cost", 0.97), ("book_consultation", 0.01)]
    assert prefer_new_booking("konsultasi pemasaran gratis", faq, AREA) == faq
    assert prefer_new_booking("konsultasi pemasaran bayar ga?", [("book_consultation", 0.4)], AREA) == [("book_consultation", 0.4)]
