"""`frontdesk centers import/export/list` as an admin runs them, and `chat --jsonl` with a location."""

from __future__ import annotations

from pathlib import Path

from bot.config import ROOT


def test_import_reports_bad_lines_and_changes_nothing_then_imports(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = (ROOT / "data" / "centers.csv").read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(good + "plut-bad,PLUT Bad,regency,Bali,,,,-8.1,115.1,regency_seat,,,,Mon 9-17,Asia/Makassar,,,,\n", encoding="utf-8")
    proc = cli.run("centers", "import", str(bad), check=False)
    assert proc.returncode == 1
    assert f"bad.csv:{len(good.splitlines()) + 1}: opening_hours" in proc.stderr
    assert "nothing was imported" in proc.stderr
    assert cli.run("centers", "list").stdout.strip().endswith("0 centers")

    src = tmp_path / "centers.csv"
    src.write_text(good, encoding="utf-8")
    assert "28 added" in cli.run("centers", "import", str(src)).stdout
    listing = cli.run("centers", "list").stdout
    assert "plut-maros" in listing and "WITA" in listing and "plut-biak-numfor" in listing
    exported = cli.run("centers", "export").stdout
    assert exported.splitlines()[0] == good.splitlines()[0]
    assert len(exported.splitlines()) == len(good.splitlines())

    out = cli.chat({"user": "geo", "location": {"latitude": -3.972, "longitude": 122.515}})
    texts = [r.get("text", "") for r in out[0]["replies"]]
    assert any(t.startswith("1. PLUT-KUMKM Kota Kendari") for t in texts)
    assert any("venue" in r for r in out[0]["replies"])
