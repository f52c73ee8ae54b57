"""`frontdesk telegram set-webhook` against the fake Bot API; settings that stop the program."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.channels.settings import load_channel_settings
from bot.config import ConfigError
from tests.channels import fakes
from tests.channels.conftest import TG_SECRET, TG_TOKEN, channel_env

ROOT = Path(__file__).resolve().parents[2]


def test_set_webhook_registers_url_secret_and_commands_of_both_languages(fake_tg: fakes.FakeBotAPI,
                                                                         fake_wa: fakes.FakeGraphAPI) -> None:
    env = {**os.environ, **channel_env(fake_tg, fake_wa), "PYTHONPATH": str(ROOT), "DATABASE_URL": "sqlite:///unused.db"}
    proc = subprocess.run([sys.executable, "-m", "bot", "telegram", "set-webhook"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    hook = fake_tg.of("setWebhook")[0].params
    assert hook["url"] == "https://frontdesk.example.id/telegram/webhook" and hook["secret_token"] == TG_SECRET
    langs = sorted(c.params.get("language_code", "") for c in fake_tg.of("setMyCommands"))
    assert langs == ["", "en", "id"]
    en = next(c for c in fake_tg.of("setMyCommands") if c.params.get("language_code") == "en")
    assert {"start", "menu", "help", "lang", "end"} <= {c["command"] for c in en.params["commands"]}


@pytest.mark.parametrize(("env", "name"), [
    ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
    ({"TELEGRAM_BOT_TOKEN": TG_TOKEN, "TELEGRAM_WEBHOOK_SECRET": "has space"}, "TELEGRAM_WEBHOOK_SECRET"),
    ({"TELEGRAM_API_BASE": "ftp://x"}, "TELEGRAM_API_BASE"),
    ({"WHATSAPP_TOKEN": "x"}, "WHATSAPP_PHONE_ID"),
    ({"WHATSAPP_API_BASE": "nope"}, "WHATSAPP_API_BASE"),
])
def test_bad_settings_name_the_variable(env: dict[str, str], name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "WHATSAPP_")):
            monkeypatch.delenv(key)
    with pytest.raises(ConfigError, match=name):
        load_channel_settings(_env_file=None, **env)


def test_unconfigured_channels_add_no_routes() -> None:
    cs = load_channel_settings(_env_file=None)
    assert not cs.telegram_configured and not cs.whatsapp_configured


async def test_without_a_webhook_secret_the_webhook_refuses_everything(pg_url: str, fake_tg: fakes.FakeBotAPI,
                                                                        fake_wa: fakes.FakeGraphAPI) -> None:
    from bot.storage.models import InboundMessage
    from tests.channels.conftest import _running

    async with _running(pg_url, fake_tg, fake_wa, seed=False, TELEGRAM_WEBHOOK_SECRET="") as h:
        for secret in ("", None, "anything"):
            assert (await h.telegram(fakes.tg_message(1, text="halo"), secret=secret)).status_code == 401
        assert await h.rows(InboundMessage) == []
