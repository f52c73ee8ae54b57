"""`POST /model/parse` in Rasa's shape, the Rasa backend against a real tiny server, the export."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.clock import Clock
from bot.nlu.data import load_training_data
from bot.nlu.embedded import EmbeddedNLU
from bot.nlu.export import export_rasa
from bot.nlu.faq import FaqStore
from bot.nlu.http import routes
from bot.nlu.rasa_http import RasaHTTPNLU
from tests.nlu.conftest import NOW, ROOT


def test_model_parse_endpoint(nlu: EmbeddedNLU) -> None:
    frontdesk = SimpleNamespace(nlu=nlu, clock=Clock(NOW))
    client = TestClient(Starlette(routes=routes(frontdesk)))
    resp = client.post("/model/parse", json={"text": "besok jam 10 konsultasi modal", "message_id": "abc"})
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"text", "intent", "intent_ranking", "entities", "language", "message_id"}
    assert body["intent"]["name"] == "book_consultation"
    assert {"entity": "datetime", "value": "2026-11-26T10:00:00+07:00", "start": 0, "end": 12}.items() <= body["entities"][0].items()
    wita = client.post("/model/parse", json={"text": "besok jam 10", "tz": "Asia/Makassar"}).json()
    assert wita["entities"][0]["value"].endswith("+08:00")
    assert client.post("/model/parse", json={"txt": "x"}).status_code == 400
    assert client.post("/model/parse", content=b"not json").status_code == 400
    assert client.post("/model/parse", json={"text": "x", "tz": "Mars/Base"}).status_code == 400
    assert client.post("/model/parse", json={"text": ""}).json()["intent"]["name"] == "nlu_fallback"


class _FakeRasa(BaseHTTPRequestHandler):
    """Answers like Rasa 3.x with a ResponseSelector for the `faq` retrieval intent."""

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = body["text"]
        if "halal" in text:
            out = {"text": text, "intent": {"name": "faq", "confidence": 0.93},
                   "intent_ranking": [{"name": "faq", "confidence": 0.93}, {"name": "help", "confidence": 0.04}],
                   "entities": [],
                   "response_selector": {"all_retrieval_intents": ["faq"], "faq": {"response": {
                       "responses": [{"text": "..."}], "confidence": 0.9,
                       "intent_response_key": "faq/halal_certification", "utter_action": "utter_faq/halal_certification"},
                       "ranking": []}}}
        else:
            out = {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.5},
                   "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "greet", "confidence": 0.3}],
                   "entities": [{"entity": "city", "value": "WRONG", "start": 0, "end": 1, "extractor": "DIETClassifier"}]}
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


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


async def test_rasa_backend_maps_retrieval_intents_and_uses_our_entities(rasa_url: str) -> None:
    nlu = RasaHTTPNLU(rasa_url, ROOT / "nlu", faq_dir=ROOT / "flows" / "faq")
    try:
        parse = await nlu.parse("sertifikat halal di jogja besok jam 10", now=NOW, lang="id")
        assert parse["intent"] == {"name": "faq/halal_certification", "confidence": 0.93}
        assert parse["intent_ranking"][0]["name"] == "faq/halal_certification"
        assert {e["entity"]: e["value"] for e in parse["entities"]} == {
            "city": "Yogyakarta", "datetime": "2026-11-26T10:00:00+07:00", "service_area": "production"}
        other = await nlu.parse("Jogja", now=NOW)
        assert other["intent"]["name"] == "nlu_fallback"
        assert [e["value"] for e in other["entities"]] == ["Yogyakarta"]
    finally:
        await nlu.aclose()


async def test_rasa_backend_down_is_a_fallback_not_an_error() -> None:
    nlu = RasaHTTPNLU("http://127.0.0.1:9", ROOT / "nlu", timeout=0.5)
    try:
        parse = await nlu.parse("besok jam 10", now=NOW)
        assert parse["intent"]["name"] == "nlu_fallback" and parse["intent"]["confidence"] == 0.0
        assert parse["entities"][0]["entity"] == "datetime"
    finally:
        await nlu.aclose()


def test_factory_picks_the_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from bot.config import ConfigError, load_settings
    from bot.nlu.factory import build_nlu

    monkeypatch.setenv("NLU_CACHE_DIR", str(tmp_path))
    assert isinstance(build_nlu(None, ROOT), EmbeddedNLU)
    rasa = build_nlu(load_settings(NLU_BACKEND="rasa", RASA_URL="http://localhost:5005", NLU_THRESHOLD=0.6), ROOT)
    assert isinstance(rasa, RasaHTTPNLU) and rasa.threshold == 0.6
    with pytest.raises(ConfigError, match="RASA_URL"):
        load_settings(NLU_BACKEND="rasa")


def test_export_rasa_project(tmp_path: Path) -> None:
    data = load_training_data(ROOT / "nlu")
    files = export_rasa(data, FaqStore(ROOT / "flows" / "faq"), tmp_path / "rasa")
    assert {f.relative_to(tmp_path / "rasa").as_posix() for f in files} == {
        "config.yml", "domain.yml", "data/nlu.yml", "data/rules.yml"}
    config = yaml.safe_load((tmp_path / "rasa" / "config.yml").read_text())
    names = [c["name"] for c in config["pipeline"]]
    assert "DIETClassifier" in names and "ResponseSelector" in names and "FallbackClassifier" in names
    domain = yaml.safe_load((tmp_path / "rasa" / "domain.yml").read_text())
    assert "faq" in domain["intents"] and "book_consultation" in domain["intents"]
    assert set(domain["entities"]) == {"city", "service_area", "datetime", "booking_ref"}
    assert len(domain["responses"]["utter_faq/cost"]) == 2
    again = load_training_data(tmp_path / "rasa" / "data" / "nlu.yml")
    assert again.counts() == data.counts()
    assert sum(1 for e in again.examples if e.entities) == sum(1 for e in data.examples if e.entities)
