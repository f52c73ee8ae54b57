"""`frontdesk knowledge check`: every kind of mistake an editor can make, reported as file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.knowledge import app
from bot.knowledge.content import ASPECTS_FILE

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
topic: demo
service_area: financing
title: {id: "Contoh", en: "Example"}
names: [contoh]
entries:
  - aspect: overview
    id: "Ringkasan."
    en: "Summary."
    sources:
      - title: "Official page"
        url: https://example.go.id/page
        checked: 2026-11-30
  - aspect: cost
    id: "Gratis."
    en: "Free."
    sources:
      - title: "Official page"
        url: https://example.go.id/page
        checked: 2026-11-30
"""
ASPECTS = "aspects:\n  overview: ['{t}']\n  cost: ['biaya {t}']\n"


def run_check(tmp_path: Path, text: str) -> tuple[int, str]:
    (tmp_path / "demo.yml").write_text(text, encoding="utf-8")
    (tmp_path / ASPECTS_FILE).write_text(ASPECTS, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "--dir", str(tmp_path)])
    return result.exit_code, result.output


def test_shipped_content_is_valid() -> None:
    result = CliRunner().invoke(app, ["check", "--dir", str(ROOT / "knowledge")])
    assert result.exit_code == 0, result.output
    assert "topics" in result.output and "entries" in result.output


def test_good_file_passes(tmp_path: Path) -> None:
    code, out = run_check(tmp_path, GOOD)
    assert code == 0, out
    assert "1 topics, 2 entries" in out


@pytest.mark.parametrize(
    ("broken", "line", "message"),
    [
        (GOOD.replace('    en: "Free."\n', ""), 13, "entries.1.en: Field required"),
        (GOOD.replace('    id: "Ringkasan."\n', '    id: "  "\n'), 6, "entries.0.id: empty answer"),
        (GOOD.replace("        checked: 2026-11-30\n  - aspect: cost", "  - aspect: cost"), 10, "entries.0.sources.0.checked: Field required"),
        (GOOD.replace("    sources:\n      - title: \"Official page\"\n        url: https://example.go.id/page\n        checked: 2026-11-30\n  - aspect: cost",
                      "    sources: []\n  - aspect: cost"), 6, "entries.0.sources: List should have at least 1 item"),
        (GOOD.replace("url: https://example.go.id/page\n        checked: 2026-11-30\n  - aspect: cost", "url: htps//example page\n        checked: 2026-11-30\n  - aspect: cost"),
         10, "not a well-formed http(s) link"),
        (GOOD.replace("aspect: cost", "aspect: overview"), 13, "(demo, overview) is answered twice"),
        (GOOD.replace("aspect: cost", "aspect: price"), 13, "unknown aspect 'price'"),
        (GOOD.replace("service_area: financing", "service_area: money"), 1, "unknown service area 'money'"),
        (GOOD.replace("checked: 2026-11-30\n  - aspect: cost", "checked: yesterday\n  - aspect: cost"), 10, "entries.0.sources.0.checked"),
        (GOOD + "  - aspect: steps\n    id: [unclosed\n", 22, "not valid YAML"),
    ],
    ids=["missing-english", "blank-indonesian", "source-without-date", "no-source", "malformed-link",
         "duplicate-topic-aspect", "unknown-aspect", "unknown-service-area", "date-not-a-date", "bad-yaml"],
)
def test_each_mistake_is_reported_with_file_and_line(tmp_path: Path, broken: str, line: int, message: str) -> None:
    code, out = run_check(tmp_path, broken)
    assert code == 1
    expected_prefix = f"{tmp_path / 'demo.yml'}:{line}:"
    lines = [x for x in out.splitlines() if message in x]
    assert lines, out
    assert lines[0].startswith(expected_prefix), out


def test_missing_overview_and_second_file_with_same_topic(tmp_path: Path) -> None:
    (tmp_path / "other.yml").write_text(GOOD.replace("aspect: overview", "aspect: steps"), encoding="utf-8")
    code, out = run_check(tmp_path, GOOD)
    assert code == 1
    assert "topic 'demo' is already in" in out
    code, out = run_check(tmp_path, GOOD.replace("aspect: overview", "aspect: steps"))
    assert "has no overview entry" in out


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "no knowledge files" in result.output


def test_frontdesk_knowledge_is_a_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "demo.yml").write_text(GOOD.replace("aspect: cost", "aspect: overview"), encoding="utf-8")
    (tmp_path / ASPECTS_FILE).write_text(ASPECTS, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "bot", "knowledge", "check", "--dir", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 1
    assert f"{tmp_path / 'demo.yml'}:13: (demo, overview) is answered twice" in proc.stderr


OWNERS_ASK = {"overview", "cost", "requirements", "steps", "where", "eligibility"}
SERVICE_AREA_TOPICS = ["area_financing", "area_hr", "area_institutional", "area_marketing", "area_partnership",
                       "area_production", "digital"]


@pytest.mark.parametrize("topic", SERVICE_AREA_TOPICS)
def test_the_service_area_topics_answer_what_owners_ask(topic: str) -> None:
    """Each consultant's topic (and going digital) answers cost, requirements, steps, where and eligibility,
    and every such answer says what is free and sends the owner on: to the consultant, the booking or a center."""
    from bot.knowledge.content import load

    t = load(ROOT / "knowledge").topics[topic]
    assert OWNERS_ASK <= set(t.entries), sorted(OWNERS_ASK - set(t.entries))
    for aspect in OWNERS_ASK - {"overview"}:
        entry = t.entries[aspect]
        assert all(s.url and s.checked.isoformat() == "2026-11-30" for s in entry.sources)
        assert entry.examples, f"{topic}/{aspect} has no example questions"
        assert "konsultan" in entry.text("id").lower() or "sentra" in entry.text("id").lower(), f"{topic}/{aspect} (id)"
        assert "consultant" in entry.text("en").lower() or "center" in entry.text("en").lower(), f"{topic}/{aspect} (en)"
    assert "gratis" in t.entries["cost"].text("id") and "free" in t.entries["cost"].text("en")


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ('{q: "biaya contoh brp", lang: id, topic: demo, aspect: price}', "unknown aspect 'price'"),
        ('{q: "biaya contoh brp", lang: id, topic: nothere, aspect: cost}', "unknown topic 'nothere'"),
        ('{q: "syarat contoh apa", lang: id, topic: demo, aspect: requirements}', "demo has no requirements entry"),
        ('{q: "biaya contoh brp", lang: jv, topic: demo, aspect: cost}', "unknown language 'jv'"),
        ('{q: "biaya contoh brp", lang: id, topic: demo, aspect: null}', "both given, or both null"),
    ],
)
def test_an_owner_question_with_a_bad_label_is_rejected(tmp_path: Path, question: str, message: str) -> None:
    (tmp_path / "_questions.yml").write_text(f"questions:\n  - {{q: \"contoh itu apa\", lang: id, topic: demo, aspect: overview}}\n  - {question}\n",
                                             encoding="utf-8")
    code, out = run_check(tmp_path, GOOD)
    assert code == 1
    assert "_questions.yml:3:" in out and message in out, out


def test_an_owner_question_asked_twice_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "_questions.yml").write_text(
        "questions:\n  - {q: \"biaya contoh brp\", lang: id, topic: demo, aspect: cost}\n"
        "  - {q: \"Biaya contoh berapa?\", lang: id, topic: demo, aspect: overview}\n", encoding="utf-8")
    code, out = run_check(tmp_path, GOOD)
    assert code == 1 and "_questions.yml:3:" in out and "the same question as line 2" in out, out


def test_good_owner_questions_pass(tmp_path: Path) -> None:
    (tmp_path / "_questions.yml").write_text(
        "questions:\n  - {q: \"biaya contoh brp\", lang: id, topic: demo, aspect: cost}\n"
        "  - {q: \"resep bakso\", lang: id, topic: null, aspect: null}\n", encoding="utf-8")
    code, out = run_check(tmp_path, GOOD)
    assert code == 0, out
