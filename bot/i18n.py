"""UI strings from gettext catalogs (maintained with Babel) and locale-aware formatting.

Message ids are English. Catalogs live in `locales/{id,en}/LC_MESSAGES/frontdesk.po`;
`compile_catalogs` builds the `.mo` files at install or start, never by hand.
"""

from __future__ import annotations

import gettext
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as _babel_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from pydantic import BaseModel, ConfigDict, Field

from bot.domain.zones import zone_abbreviation

DOMAIN = "frontdesk"
LANGUAGES = ("id", "en")



def compile_catalogs(locales_dir: Path) -> list[Path]:
    """Compile every `.po` whose `.mo` is missing or older. Returns the files written."""
    written = []
    for po in sorted(Path(locales_dir).glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f)
        with mo.open("wb") as f:
            write_mo(f, catalog)
        written.append(mo)
    return written


class I18n:
    """Translations for both languages, loaded once."""

    def __init__(self, locales_dir: Path) -> None:
        compile_catalogs(locales_dir)
        self._t = {
            lang: gettext.translation(DOMAIN, localedir=str(locales_dir), languages=[lang], fallback=True)
            for lang in LANGUAGES
        }

    def gettext(self, lang: str, message: str, **kwargs: Any) -> str:
        text = self._t.get(lang, self._t["id"]).gettext(message)
        return text.format(**kwargs) if kwargs else text

    def ngettext(self, lang: str, singular: str, plural: str, n: int, **kwargs: Any) -> str:
        text = self._t.get(lang, self._t["id"]).ngettext(singular, plural, n)
        return text.format(n=n, **kwargs)


def _(message: str) -> str:
    """Marks a string for `pybabel extract` where it is translated later."""
    return message


def format_date(dt: datetime, lang: str, tz: str) -> str:
    """`Senin, 24 November 2026` / `Monday, 24 November 2026` in the zone `tz`."""
    return _babel_datetime(dt, "EEEE, d MMMM y", tzinfo=ZoneInfo(tz), locale=lang)


def format_time(dt: datetime, lang: str, tz: str) -> str:
    """`10.00 WIB` (Indonesian) / `10:00 WIB` (English)."""
    pattern = "HH.mm" if lang == "id" else "HH:mm"
    return f"{_babel_datetime(dt, pattern, tzinfo=ZoneInfo(tz), locale=lang)} {zone_abbreviation(tz)}"


def format_datetime(dt: datetime, lang: str, tz: str) -> str:
    """`Senin, 24 November 2026 pukul 10.00 WIB` / `Monday, 24 November 2026 at 10:00 WIB`."""
    joiner = "pukul" if lang == "id" else "at"
    return f"{format_date(dt, lang, tz)} {joiner} {format_time(dt, lang, tz)}"


def format_number(value: float, lang: str, digits: int = 1) -> str:
    """`12,5` (Indonesian) / `12.5` (English)."""
    fmt = "#,##0." + "#" * digits if digits else "#,##0"
    return format_decimal(value, format=fmt, locale=lang)


class Text(BaseModel):
    """A sentence in both languages, as content files write it. `{name}` placeholders take
    collected values."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def pick(self, lang: str) -> str:
        return self.en if lang == "en" else self.id
