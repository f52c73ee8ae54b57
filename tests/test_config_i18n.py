"""Settings validation and locale formatting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import ConfigError, load_settings
from bot.i18n import format_datetime, format_number
from tests.conftest import Cli


@pytest.mark.parametrize(
    ("var", "value"),
    [("DATABASE_URL", "mysql://root@localhost/x"), ("FRONTDESK_NOW", "2026-11-23T09:00:00"), ("FRONTDESK_NOW", "tomorrow"), ("FRONTDESK_DEFAULT_LANGUAGE", "fr")],
)
def test_bad_setting_names_the_variable(var: str, value: str) -> None:
    with pytest.raises(ConfigError, match=var):
        load_settings(**{var: value})


def test_bad_setting_stops_the_command(sqlite_url: str) -> None:
    proc = Cli(sqlite_url, {"FRONTDESK_NOW": "next tuesday"}).run("chat", "--jsonl", input="", check=False)
    assert proc.returncode == 2
    assert "FRONTDESK_NOW" in proc.stderr and "Traceback" not in proc.stderr


def test_defaults() -> None:
    s = load_settings()
    assert s.database_url.startswith("sqlite+aiosqlite:///") and s.default_language == "id"


def test_dates_in_the_users_locale_and_the_centers_zone() -> None:
    at = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    assert format_datetime(at, "id", "Asia/Jakarta") == "Selasa, 24 November 2026 pukul 10.00 WIB"
    assert format_datetime(at, "en", "Asia/Makassar") == "Tuesday, 24 November 2026 at 11:00 WITA"
    assert format_datetime(at, "id", "Asia/Jayapura") == "Selasa, 24 November 2026 pukul 12.00 WIT"
    assert format_number(12.5, "id") == "12,5" and format_number(1234.5, "en") == "1,234.5"
