"""The conversation runner itself: it must catch what a user would notice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.testing.conversations import (
    ConversationInvalid, ConversationRunner, ConversationSpec, SuiteResult, TurnResult, TurnSpec, check_turn,
    load_conversation, write_report,
)
from tests.conftest import Cli


@pytest.fixture(scope="module")
def runner() -> Iterator[ConversationRunner]:
    with ConversationRunner() as r:
        yield r


def spec(**raw: object) -> ConversationSpec:
    return ConversationSpec.model_validate({"title": "t", "lang": "id", "heldout": False, "name": "t", **raw})


def test_a_passing_conversation_passes(runner: ConversationRunner) -> None:
    result = runner.run(spec(turns=[
        {"command": "start", "contains": "selamat datang", "buttons": ["Cari PLUT terdekat"], "on_topic": False},
        {"press": "Cari PLUT terdekat", "flow": "find_center"},
    ]))
    assert result.passed, result.explain()
    assert result.turns[1].flows == ["find_center"]


def test_each_kind_of_miss_fails_the_turn(runner: ConversationRunner) -> None:
    result = runner.run(spec(turns=[
        {"user": "mau booking konsultasi", "intent": "find_center", "flow": "complain",
         "contains": ["tidak ada kata ini"], "not_contains": ["konsultasi"], "buttons": ["Tombol lain"]},
        {"press": "tidak ada tombol ini"},
        {"user": "halo"},
    ]))
    first, press, after = result.turns
    assert not result.passed
    assert len(first.failures) == 5, first.failures
    assert not press.ran and "no button" in press.failures[0]
    assert not after.ran


def test_fallback_on_topic_fails_and_off_topic_does_not(runner: ConversationRunner) -> None:
    result = runner.run(spec(turns=[
        {"user": "qwzx plorp vrrrt"},
        {"user": "zzqx blorf"},
    ]))
    assert result.turns[0].fell_back and "fell back" in result.turns[0].failures[-1]
    off = runner.run(spec(turns=[{"user": "qwzx plorp vrrrt", "on_topic": False}]))
    assert off.turns[0].fell_back and off.passed, off.explain()


def test_wrong_language_is_counted(runner: ConversationRunner) -> None:
    result = runner.run(spec(lang="en", turns=[{"user": "mau cari plut terdekat dong min"}]))
    assert result.turns[0].wrong_language and not result.passed


def test_a_reply_repeated_word_for_word_is_counted() -> None:
    turn = TurnSpec(user="x")
    before = TurnResult(spec=turn, replies=[{"text": "Jam buka PLUT Sleman: Senin–Jumat 08.00–16.00."}], lang="id")
    again = TurnResult(spec=turn, replies=[{"text": "Jam buka PLUT Sleman: Senin–Jumat 08.00–16.00."}], lang="id")
    check_turn(again, before, "id")
    assert again.repeated and any("repeats" in f for f in again.failures)
    fresh = TurnResult(spec=turn, replies=[{"text": "Hari Sabtu PLUT Sleman tutup, Bapak/Ibu."}], lang="id")
    check_turn(fresh, before, "id")
    assert not fresh.repeated


def test_the_whole_reply_is_compared_not_each_message() -> None:
    """A note and the pending question after the question alone is a new reply; the same note
    and question twice in a row is a repeat."""
    turn = TurnSpec(user="x")
    question = {"text": "Nomor HP berapa yang bisa dihubungi konsultan?"}
    note = {"text": "Sepertinya itu bukan nomor HP. Mohon ketik seperti 0812 3456 7890."}
    asked = TurnResult(spec=turn, replies=[question], lang="id")
    reasked = TurnResult(spec=turn, replies=[note, question], lang="id")
    check_turn(reasked, asked, "id")
    assert not reasked.repeated and not reasked.failures
    again = TurnResult(spec=turn, replies=[dict(note), dict(question)], lang="id")
    check_turn(again, reasked, "id")
    assert again.repeated


def test_a_bad_file_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("title: x\nlang: id\nheldout: false\nturns:\n  - user: a\n    press: b\n")
    with pytest.raises(ConversationInvalid, match="bad.yml.*exactly one of"):
        load_conversation(bad)
    bad.write_text("title: x\nlang: id\nturns:\n  - user: a\n")
    with pytest.raises(ConversationInvalid, match="heldout"):
        load_conversation(bad)


def test_report_and_figures(runner: ConversationRunner, tmp_path: Path) -> None:
    ok = runner.run(spec(name="ok", heldout=True, turns=[{"command": "start", "on_topic": False}]))
    bad = runner.run(spec(name="bad", turns=[{"user": "sy di bantul", "contains": "tidak ada kata ini"}]))
    pending = runner.run(spec(name="later", status="pending", turns=[{"user": "halo", "on_topic": False}]))
    suite = SuiteResult([ok, bad, pending])
    assert suite.figures("heldout").turns_passed == 1 and suite.figures("tuned").turns_passed == 0
    assert [r.spec.name for r in suite.failed] == ["bad"] and [r.spec.name for r in suite.pending_passing] == ["later"]
    text = write_report(suite, tmp_path).read_text()
    assert "held-out" in text and "## bad" in text and "tidak ada kata ini" in text and "sy di bantul" in text


def test_command_prints_the_figures_per_half(tmp_path: Path, sqlite_url: str) -> None:
    folder = tmp_path / "convs"
    folder.mkdir()
    (folder / "a.yml").write_text("title: a\nlang: id\nheldout: false\nturns:\n  - command: start\n    on_topic: false\n")
    (folder / "b.yml").write_text("title: b\nlang: id\nheldout: true\nturns:\n  - user: halo\n    on_topic: false\n    contains: [tidak ada]\n")
    proc = Cli(sqlite_url).run("test", "conversations", "--folder", str(folder), "--report", str(tmp_path / "r"), check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "tuned        conversations 1/1" in proc.stdout
    assert "held-out     conversations 0/1" in proc.stdout
    assert (tmp_path / "r" / "conversations.md").exists()
