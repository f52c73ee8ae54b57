"""FAQ answers in both languages through the engine, reload at run time, and the fallback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import FrontDesk
from bot.engine.events import Event
from bot.nlu.embedded import EmbeddedNLU
from bot.nlu.faq import FaqInvalid, FaqStore
from bot.storage.models import UnansweredMessage
from tests.nlu.conftest import FAQ_INTENTS, ROOT

FAQ_DIR = ROOT / "flows" / "faq"


def test_every_faq_intent_has_an_answer_in_both_languages() -> None:
    store = FaqStore(FAQ_DIR)
    assert store.intents == sorted(FAQ_INTENTS)
    for intent in FAQ_INTENTS:
        entry = store.get(intent)
        assert entry is not None
        assert entry.text("id") != entry.text("en")
        assert "Bapak/Ibu" in entry.text("id")
        assert entry.follow_up, f"{intent} has no follow-up button"
    assert store.fallback is not None and "find_center" in store.fallback.topics


def test_answers_say_where_centers_differ_and_that_consulting_is_free() -> None:
    store = FaqStore(FAQ_DIR)
    assert "gratis" in store.get("faq/cost").text("id") and "free" in store.get("faq/cost").text("en")  # type: ignore[union-attr]
    assert "berbeda" in store.get("faq/opening_hours").text("id")  # type: ignore[union-attr]
    assert "differ" in store.get("faq/opening_hours").text("en")  # type: ignore[union-attr]


def test_invalid_content_is_refused_and_the_old_answers_stay(tmp_path: Path) -> None:
    folder = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, folder)
    store = FaqStore(folder)
    (folder / "cost.yml").write_text("intent: faq/cost\ntitle: {id: Biaya}\n", encoding="utf-8")
    with pytest.raises(FaqInvalid, match="cost.yml"):
        store.reload()
    assert "gratis" in store.get("faq/cost").text("id")  # type: ignore[union-attr]


async def test_reload_picks_up_edited_answers_and_examples(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "nlu", tmp_path / "nlu")
    shutil.copytree(FAQ_DIR, tmp_path / "faq")
    nlu = EmbeddedNLU(tmp_path / "nlu", faq_dir=tmp_path / "faq", cache_dir=tmp_path / "cache")
    cost = tmp_path / "faq" / "cost.yml"
    cost.write_text(cost.read_text(encoding="utf-8").replace("Konsultasi dan pendampingan di PLUT gratis",
                                                             "KONSULTASI GRATIS"), encoding="utf-8")
    core = tmp_path / "nlu" / "core.yml"
    core.write_text(core.read_text(encoding="utf-8").replace("    - yo min\n", "    - yo min\n    - zzqx plut\n"),
                    encoding="utf-8")
    old_hash = nlu.model.data_hash
    await nlu.reload()
    assert "KONSULTASI GRATIS" in nlu.faq.get("faq/cost").text("id")  # type: ignore[union-attr]
    assert nlu.model.data_hash != old_hash
    # content handed over by the admin pages instead of files
    texts = {name: text.replace("KONSULTASI GRATIS", "Gratis, dari basis data") for name, text in nlu.faq.read_texts().items()}
    await nlu.reload(faq_texts=texts)
    assert "dari basis data" in nlu.faq.get("faq/cost").text("id")  # type: ignore[union-attr]


async def _say(app: FrontDesk, text: str, n: int, user: str = "u1") -> list[dict]:
    replies = await app.engine.handle(Event(channel="test", user_id=user, message_id=f"m{n}", text=text))
    return [r.to_dict() for r in replies]


async def test_faq_answer_in_indonesian_and_english(app: FrontDesk) -> None:
    replies = await _say(app, "min mau nanya dong, NIB buat usaha keripik gmn caranya", 1, "ina")
    assert any("OSS" in r.get("text", "") and "NIB" in r.get("text", "") for r in replies), replies
    answer = next(r for r in replies if "OSS" in r.get("text", ""))
    # "how" about the NIB is the knowledge base's steps entry (docs/knowledge.md), with its next step
    assert "oss.go.id" in answer["text"] and "KBLI" in answer["text"] and "gratis" in answer["text"]
    payloads = [b["payload"] for b in answer.get("buttons", [])]
    assert payloads and payloads[0].startswith("flow:book_consultation") and "service_area=institutional" in payloads[0]

    replies = await _say(app, "Hello, how do I get halal certification for my food products?", 2, "eng")
    answer = next(r for r in replies if "BPJPH" in r.get("text", ""))
    assert "ptsp.halal.go.id" in answer["text"] and "Next step" in answer["text"]


async def test_unsure_message_offers_topics_and_is_recorded(app: FrontDesk) -> None:
    replies = await _say(app, "gimana ya kak soal yang kemarin itu", 1)
    offer = replies[-1]
    assert "belum yakin" in offer["text"]
    buttons = offer["buttons"]
    assert 3 <= len(buttons) <= 4
    assert buttons[-1]["title"] == "Bicara dengan konsultan"
    async with app.db.transaction() as session:
        rows = (await session.execute(select(UnansweredMessage))).scalars().all()
    assert [r.text for r in rows] == ["gimana ya kak soal yang kemarin itu"]
    assert rows[0].confidence is not None and rows[0].confidence < app.nlu_threshold

    # the FAQ button answers directly
    faq_buttons = [b for b in buttons if b["payload"].startswith("act:faq.answer")]
    if faq_buttons:
        replies = [r.to_dict() for r in await app.engine.handle(
            Event(channel="test", user_id="u1", message_id="m2", button=faq_buttons[0]["payload"]))]
        assert replies and replies[0]["text"]


async def test_emoji_gets_the_no_words_reply_and_is_not_recorded(app: FrontDesk) -> None:
    replies = await _say(app, "🙏🙏", 1)
    assert "kata-kata" in replies[-1]["text"] or "words" in replies[-1]["text"]
    async with app.db.transaction() as session:
        assert (await session.execute(select(UnansweredMessage))).scalars().all() == []
