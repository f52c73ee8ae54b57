"""`frontdesk nlu ...` as a user runs it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from bot.storage.db import Database
from bot.storage.models import UnansweredMessage
from tests.conftest import Cli
from tests.nlu.conftest import ROOT


def test_parse_one_and_jsonl(sqlite_url: str, tmp_path: Path) -> None:
    cli = Cli(sqlite_url, {"NLU_CACHE_DIR": str(tmp_path)})
    one = json.loads(cli.run("nlu", "parse", "besok jam 10 mau konsul pemasaran").stdout)
    assert one["intent"]["name"] == "book_consultation"
    # FRONTDESK_NOW is Monday 23 November 2026 09:00 WIB in the shared fixtures
    assert one["entities"][0]["value"] == "2026-11-24T10:00:00+07:00"
    lines = cli.run("nlu", "parse", "--jsonl", input='{"text": "halo"}\n{"text": "cara daftar merek"}\nnot json\n').stdout
    parsed = [json.loads(x) for x in lines.splitlines()]
    assert [p.get("intent", {}).get("name") for p in parsed[:2]] == ["greet", "faq/trademark"]
    assert "error" in parsed[2]


def test_evaluate_with_report_and_cross_validation(sqlite_url: str, tmp_path: Path) -> None:
    cli = Cli(sqlite_url, {"NLU_CACHE_DIR": str(tmp_path)})
    test_file = tmp_path / "test.jsonl"
    test_file.write_text('{"text": "cara bikin nib", "intent": "faq/business_permit"}\n'
                         '{"text": "plut jogja dimana", "intent": "find_center"}\n', encoding="utf-8")
    out = json.loads(cli.run("nlu", "evaluate", "--train", str(ROOT / "nlu"), "--test", str(test_file),
                             "--report", str(tmp_path / "report")).stdout)
    assert out["accuracy"] == 1.0 and out["macro_f1"] == 1.0
    assert set(out["per_intent"]["find_center"]) == {"precision", "recall", "f1", "support"}
    assert out["latency"]["p99_ms"] > 0
    assert (tmp_path / "report" / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "report" / "errors.json").read_text()) == []

    cv = json.loads(cli.run("nlu", "evaluate", "--cross-validation", "3").stdout)
    assert cv["folds"] == 3 and len(cv["fold_accuracy"]) == 3
    assert 0.5 < cv["accuracy"] <= 1 and cv["most_confused"]


def test_export_and_unanswered(sqlite_url: str, tmp_path: Path) -> None:
    cli = Cli(sqlite_url, {"NLU_CACHE_DIR": str(tmp_path)})
    files = cli.run("nlu", "export-rasa", str(tmp_path / "rasa")).stdout.split()
    assert {Path(f).name for f in files} == {"config.yml", "domain.yml", "nlu.yml", "rules.yml"}

    async def add() -> None:
        db = Database(sqlite_url)
        async with db.transaction() as session:
            session.add(UnansweredMessage(channel="telegram", text="soal yang kemarin gmn", language="id",
                                          intent="help", confidence=0.31, ranking=[], at=datetime.now(UTC)))
        await db.dispose()

    asyncio.run(add())
    rows = [json.loads(x) for x in cli.run("nlu", "unanswered", "--json").stdout.splitlines()]
    assert [(r["text"], r["guess"]) for r in rows] == [("soal yang kemarin gmn", "help")]
    assert "soal yang kemarin gmn" in cli.run("nlu", "unanswered").stdout
