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


# --- one settings object; secrets never shown ---------------------------------------------------

DB_PASSWORD = "pg-Hunter2-secret"
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_a_bad_database_url_is_named_without_its_password() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(DATABASE_URL=f"mysql://frontdesk:{DB_PASSWORD}@db.example/x")
    message = str(caught.value)
    assert "DATABASE_URL" in message and "frontdesk:***@db.example/x" in message
    assert DB_PASSWORD not in message


def test_a_bad_token_or_secret_is_named_without_its_value() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(TELEGRAM_BOT_TOKEN="not-a-token-but-a-secret-value")
    assert "TELEGRAM_BOT_TOKEN" in str(caught.value) and "not-a-token-but-a-secret-value" not in str(caught.value)


def test_channel_settings_are_checked_with_the_rest_at_start() -> None:
    """One settings object: a channel setting that cannot work stops the start like any other."""
    with pytest.raises(ConfigError, match="WHATSAPP_PHONE_ID"):
        load_settings(WHATSAPP_TOKEN="x" * 20)
    s = load_settings(TELEGRAM_BOT_TOKEN=TOKEN, NLU_THRESHOLD="0.4")
    assert s.telegram_configured and s.telegram_bot_token == TOKEN and s.nlu_threshold == 0.4


def test_log_lines_and_tracebacks_never_show_a_secret() -> None:
    import io
    import logging

    from bot.config import install_secret_mask

    settings = load_settings(DATABASE_URL=f"postgresql+asyncpg://frontdesk:{DB_PASSWORD}@db.example/plut",
                             TELEGRAM_BOT_TOKEN=TOKEN, WHATSAPP_TOKEN="EAAG-whatsapp-token-value",
                             WHATSAPP_PHONE_ID="1234", WHATSAPP_APP_SECRET="app-secret-value",
                             WHATSAPP_VERIFY_TOKEN="verify-token-value")
    logger = logging.getLogger("tests.secrets")
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger.addHandler(handler)
    try:
        install_secret_mask(settings, logger)
        logger.warning("POST https://api.telegram.org/bot%s/sendMessage failed", TOKEN)
        try:
            raise ConnectionError(f"cannot reach {settings.database_url}; app secret app-secret-value")
        except ConnectionError:
            logger.exception("database down")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert "sendMessage failed" in text and "database down" in text and "ConnectionError" in text
    for secret in (TOKEN, DB_PASSWORD, "app-secret-value"):
        assert secret not in text
    assert settings.mask(f"token {TOKEN} and EAAG-whatsapp-token-value") == "token *** and ***"


def test_the_start_banner_shows_the_database_without_its_password() -> None:
    from bot.config import masked_url

    assert masked_url(f"postgresql+asyncpg://frontdesk:{DB_PASSWORD}@db.example:5432/plut") == \
        "postgresql+asyncpg://frontdesk:***@db.example:5432/plut"
    assert masked_url("sqlite+aiosqlite:///frontdesk.db") == "sqlite+aiosqlite:///frontdesk.db"
