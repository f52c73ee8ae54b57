"""With NLU_BACKEND=rasa the knowledge base answers the same way: both the FAQ route (Rasa's
retrieval intent `faq/...`) and the unsure route (nlu_fallback) reach it; the export still
builds a Rasa project from the same NLU data."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.app import FrontDesk
from bot.config import load_settings
from bot.engine.events import Event
from bot.nlu.rasa_http import RasaHTTPNLU
from tests.nlu.test_http_rasa_export import _FakeRasa

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rasa_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_rasa_backend_reaches_the_knowledge_base(sqlite_url: str, rasa_url: str) -> None:
    fd = FrontDesk(load_settings(DATABASE_URL=sqlite_url, FRONTDESK_DEMO_SEED=False, NLU_BACKEND="rasa", RASA_URL=rasa_url))
    assert isinstance(fd.nlu, RasaHTTPNLU)

    async def say(text: str, user: str) -> str:
        replies = await fd.engine.handle(Event(channel="cli", user_id=user, text=text))
        return "\n".join(r.text or "" for r in replies)

    async def scenario() -> tuple[str, str]:
        try:
            # the fake Rasa answers faq/halal_certification for "halal": the FAQ route
            halal = await say("sertifikat halal buat umkm gratis ga?", "u1")
            # anything else is nlu_fallback: the unsure route; a service-area topic of the new content
            area = await say("konsultan sdm plut bantu apa aja?", "u2")
        finally:
            await fd.nlu.aclose()
            await fd.db.dispose()
        return halal, area

    halal, area = asyncio.run(scenario())
    assert "Rp0" in halal and "Langkah berikutnya" in halal
    assert "Konsultan SDM" in area and "BPJS" in area and "Langkah berikutnya" in area


def test_export_rasa_still_builds_a_project(tmp_path: Path) -> None:
    from bot.cli.nlu import app

    result = CliRunner().invoke(app, ["export-rasa", str(tmp_path / "rasa")])
    assert result.exit_code == 0, result.output
    nlu = yaml.safe_load((tmp_path / "rasa" / "data" / "nlu.yml").read_text(encoding="utf-8"))
    intents = {item["intent"] for item in nlu["nlu"] if "intent" in item}
    assert "faq/halal_certification" in intents and "book_consultation" in intents
