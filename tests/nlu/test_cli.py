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


def test_parse_jsonl_answers_a_bad_line_with_an_error_line_and_reads_on(sqlite_url: str, tmp_path: Path) -> None:
    """Like `frontdesk chat --jsonl`: bytes that are not UTF-8, invalid or deeply nested JSON
    and a line without a text each get one error line, and the lines after them are parsed;
    NUL and lone surrogates are taken out of a text, which is then parsed as usual."""
    import subprocess
    import sys

    cli = Cli(sqlite_url, {"NLU_CACHE_DIR": str(tmp_path)})
    lines = [
        b'{"text": "caf\xff\xfe halo"}\n',
        b"not json\n",
        b"[" * 20_000 + b"]" * 20_000 + b"\n",
        b'{"text": ' + b"[" * 3000 + b"]" * 3000 + b"}\n",
        b'{"txt": "halo"}\n',
        b'{"text": 5}\n',
        b'{"text": "halo\\u0000 min"}\n',
        b'{"text": "cara daftar merek \\ud800"}\n',
        b'{"text": "halo"}\n',
    ]
    proc = subprocess.run([sys.executable, "-m", "bot", "nlu", "parse", "--jsonl"], input=b"".join(lines),
                          capture_output=True, env=cli.env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    out = [json.loads(x) for x in proc.stdout.decode("utf-8").splitlines() if x.strip()]
    assert len(out) == len(lines), proc.stdout.decode() + proc.stderr.decode(errors="replace")[-2000:]
    assert "UTF-8" in out[0]["error"]
    assert all("error" in o for o in out[1:6]), out[1:6]
    assert "deeper" in out[2]["error"] and "deeper" in out[3]["error"]
    assert out[6]["text"] == "halo min" and out[6]["intent"]["name"] == "greet"
    assert out[7]["text"] == "cara daftar merek " and out[7]["intent"]["name"] == "faq/trademark"
    assert out[8]["intent"]["name"] == "greet"


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
