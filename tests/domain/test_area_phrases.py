"""Every service area reads as plain English inside the sentences that name it (issue 13):
"Book a consultation on partnerships and networking", not "Book a Partnerships & networking
consultation" or "a IT & digital consultation"."""

from __future__ import annotations

import re

from bot.domain.areas import SERVICE_AREAS, area_name, area_phrase
from bot.i18n import I18n
from tests.conftest import ROOT


def test_every_area_has_an_english_phrase_for_sentences() -> None:
    for code in SERVICE_AREAS:
        phrase = area_phrase(code, "en")
        assert phrase.lower() == area_name(code, "en").lower().replace("&", "and"), phrase  # the label's own words
        assert "&" not in phrase, phrase
        assert phrase[:1].islower() or phrase.split()[0].isupper(), phrase  # "marketing", "IT and digital"


def test_the_english_sentences_that_name_an_area_put_it_after_the_noun() -> None:
    i18n = I18n(ROOT / "locales")
    for code in SERVICE_AREAS:
        area = area_phrase(code, "en")
        for msgid in ("Book a consultation on {area}", "Consultation on {area}",
                      "A PLUT consultant for {area} can help with this, free of charge. Shall I book you a consultation on "
                      "{area}, or would you rather ask a consultant first?",
                      "Sure, I will connect you with a PLUT consultant for {area}."):
            text = i18n.gettext("en", msgid, area=area)
            assert not re.search(r"\ban? (?!PLUT\b)[A-Z]", text), text  # "a Partnerships …", "a IT …"
            assert area_name(code, "en") not in text or area_name(code, "en") == area, text


def test_the_indonesian_sentences_keep_the_field_after_konsultasi() -> None:
    i18n = I18n(ROOT / "locales")
    assert i18n.gettext("id", "Book a consultation on {area}", area=area_phrase("partnership", "id")) == \
        "Booking konsultasi jaringan kerja sama"
    assert area_phrase("hr", "id") == "SDM"
