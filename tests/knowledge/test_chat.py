"""Every (topic, aspect) answered in both languages through `frontdesk chat --jsonl` (one process
for all of them), the source answer, the remembered topic, and the unanswered inbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge import KnowledgeBase
from bot.knowledge.content import load
from tests.conftest import Cli

ROOT = Path(__file__).resolve().parents[2]
KB = load(ROOT / "knowledge")
ENTRIES = [(t, a) for t, a in sorted(KB.pairs())]

# one way of asking each aspect per language; {t} is one of the topic's names
ASK: dict[str, dict[str, str]] = {
    "id": {
        "overview": "apa itu {t}?", "cost": "berapa biaya {t}?", "requirements": "apa saja syarat {t}?",
        "steps": "bagaimana cara mengurus {t}?", "duration": "berapa lama {t}?", "where": "{t} diajukan lewat mana ya?",
        "eligibility": "siapa yang bisa mendapat {t}?", "figures": "berapa besaran {t}?",
    },
    "en": {
        "overview": "what is {t}?", "cost": "how much does {t} cost?", "requirements": "what are the requirements for {t}?",
        "steps": "how do I apply for {t}?", "duration": "how long does {t} take?", "where": "where do I apply for {t}?",
        "eligibility": "who is eligible for {t}?", "figures": "what is the {t} limit?",
    },
}


def _questions(kb: KnowledgeBase) -> dict[tuple[str, str, str], str]:
    """For each entry and language, the first of the topic's names that asks for exactly that entry."""
    out = {}
    for topic, aspect in ENTRIES:
        for lang, templates in ASK.items():
            for name in KB.topics[topic].names:
                q = templates[aspect].format(t=name)
                m = kb.match(q)
                if m is not None and m.topic is not None and m.entry is not None and (m.topic.name, m.entry.aspect) == (topic, aspect):
                    out[(topic, aspect, lang)] = q
                    break
    return out


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> dict[tuple[str, str, str], Any]:
    """One `frontdesk chat --jsonl` run: per entry and language, a fresh user sets the language and asks."""
    import shutil

    db = tmp_path_factory.mktemp("kbchat") / "frontdesk.db"
    shutil.copy(sqlite_template, db)
    questions = _questions(KnowledgeBase(ROOT / "knowledge"))
    lines: list[dict[str, Any]] = []
    keys = []
    for i, (key, q) in enumerate(sorted(questions.items())):
        user = f"kb{i}"
        lines += [{"user": user, "command": f"lang {key[2]}"}, {"user": user, "text": q}]
        keys.append(key)
    out = Cli(f"sqlite+aiosqlite:///{db}").chat(*lines)
    got = {key: {"q": questions[key], **out[2 * i + 1]} for i, key in enumerate(keys)}
    return got


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(("topic", "aspect"), ENTRIES, ids=[f"{t}-{a}" for t, a in ENTRIES])
def test_every_entry_is_answered_in_both_languages(answers: dict, topic: str, aspect: str, lang: str) -> None:
    key = (topic, aspect, lang)
    assert key in answers, f"none of the names of {topic!r} asks for {aspect!r} in {lang} (see ASK)"
    out = answers[key]
    entry = KB.topics[topic].entries[aspect]
    text = "\n".join(r.get("text", "") for r in out["replies"])
    assert entry.text(lang)[:60] in text, f"{out['q']!r} ->\n{text}"
    assert ("Langkah berikutnya" if lang == "id" else "Next step") in text
    payloads = [b["payload"] for r in out["replies"] for b in r.get("buttons", [])]
    area = KB.topics[topic].service_area
    assert f"flow:book_consultation?service_area={area}" in payloads
    assert "flow:talk_to_consultant" in payloads


def _texts(out: dict[str, Any]) -> str:
    return "\n".join(r.get("text", "") for r in out["replies"])


def test_the_issue_questions_and_their_sources(sqlite_url: str) -> None:
    cli = Cli(sqlite_url)
    kur, source, merek, label, ekspor, en_kur, en_source = cli.chat(
        {"user": "sari", "text": "min bunga KUR brp persen sih?"},
        {"user": "sari", "text": "sumbernya apa?"},
        {"user": "sari", "text": "biaya daftar merek buat umkm brp ya?"},
        {"user": "sari", "text": "label kemasan makanan wajib ada apa aja?"},
        {"user": "sari", "text": "dokumen ekspor apa aja yg perlu disiapin?"},
        {"user": "john", "text": "What is the KUR interest rate these days?"},
        {"user": "john", "text": "what's the source?"},
    )
    assert "3% efektif per tahun" in _texts(kur) and "Dicek 30 November 2026" in _texts(kur)
    kur_sources = KB.topics["kur"].entries["figures"].sources
    assert all(s.url in _texts(source) for s in kur_sources)
    assert "Sumber untuk" in _texts(source)
    assert "Rp500.000" in _texts(merek) and "Rp1.800.000" in _texts(merek)
    assert "tanggal dan kode produksi" in _texts(label) and "nomor izin edar" in _texts(label)
    assert "packing list" in _texts(ekspor) and "PEB" in _texts(ekspor)
    assert "3% effective interest" in _texts(en_kur)
    assert "Sources for" in _texts(en_source) and kur_sources[0].url in _texts(en_source)


def test_a_follow_up_question_uses_the_remembered_topic(sqlite_url: str) -> None:
    first, follow = Cli(sqlite_url).chat(
        {"user": "dewi", "text": "cara daftar merek di djki gimana?"},
        {"user": "dewi", "text": "biayanya berapa?"},
    )
    assert "merek.dgip.go.id" in _texts(first)
    assert "Rp500.000" in _texts(follow)


def test_source_before_any_answer_says_so(sqlite_url: str) -> None:
    (out,) = Cli(sqlite_url).chat({"user": "eko", "text": "sumbernya apa?"})
    assert "belum ada jawaban" in _texts(out)


def test_an_unrecorded_aspect_is_honest_and_lands_in_the_unanswered_inbox(sqlite_url: str) -> None:
    cli = Cli(sqlite_url)
    (out,) = cli.chat({"user": "fajar", "text": "berapa biaya mengurus pirt?"})
    text = _texts(out)
    assert "belum kami catat" in text and "tidak mau menebak" in text
    assert KB.topics["pirt"].entries["overview"].text("id")[:60] in text
    payloads = [b["payload"] for r in out["replies"] for b in r.get("buttons", [])]
    assert "flow:book_consultation?service_area=production" in payloads
    inbox = [json.loads(x) for x in cli.run("nlu", "unanswered", "--json").stdout.splitlines() if x.strip()]
    assert [(r["text"], r["guess"]) for r in inbox] == [("berapa biaya mengurus pirt?", "pirt/cost")]


def test_a_question_outside_the_knowledge_base_still_falls_back(sqlite_url: str) -> None:
    cli = Cli(sqlite_url)
    (out,) = cli.chat({"user": "gita", "text": "siapa juara piala dunia tahun lalu"})
    assert "Dicek" not in _texts(out)
    inbox = [json.loads(x) for x in cli.run("nlu", "unanswered", "--json").stdout.splitlines() if x.strip()]
    assert [r["text"] for r in inbox] == ["siapa juara piala dunia tahun lalu"]
