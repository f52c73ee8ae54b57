"""Flows and FAQ entries edited at run time: drafts, validation with line numbers,
publish (in force at once, and in other processes), roll back, try before publishing,
unanswered questions, audit."""

from __future__ import annotations

import asyncio
import html
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.admin import content
from bot.config import ROOT
from bot.engine.events import Event
from bot.storage.models import AuditEntry, ContentVersion
from .conftest import login, make_frontdesk

MAIN_MENU = (ROOT / "flows" / "main_menu.yml").read_text(encoding="utf-8")
HELLO = "Halo, selamat datang"
NEW_HELLO = "Selamat pagi dari versi baru"


def bot_says(client: TestClient, **body) -> str:
    client.get("/")  # the try-it page sets its cookie
    res = client.post("/api/try", json={"command": "start", **body} if not body else body)
    assert res.status_code == 200, res.text
    return "\n".join(r.get("text") or "" for r in res.json()["replies"])


def publish_flow(client: TestClient, csrf: str, text: str, name: str = "main_menu"):
    return client.post(f"/admin/flows/{name}", data={"csrf": csrf, "yaml": text, "action": "publish"})


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_published_flow_answers_at_once_and_rolls_back(client: TestClient, frontdesk, backend: str) -> None:
    csrf = login(client, "admin")
    assert HELLO in bot_says(client)
    res = publish_flow(client, csrf, MAIN_MENU.replace(HELLO, NEW_HELLO))
    assert res.status_code == 303 and res.headers["location"].endswith("done=published")
    started = time.monotonic()
    assert NEW_HELLO in bot_says(client)
    assert time.monotonic() - started < 1.0

    res = client.post("/admin/flows/main_menu/rollback", data={"csrf": csrf})
    assert res.status_code == 303
    assert HELLO in bot_says(client) and NEW_HELLO not in bot_says(client)

    async def trail():
        async with frontdesk.db.sessions() as session:
            actions = [a for a, in await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))]
            versions = list((await session.execute(select(ContentVersion).order_by(ContentVersion.number))).scalars())
        return actions, versions

    actions, versions = client.portal.call(trail)
    assert actions[-3:] == ["flow.save_draft", "flow.publish", "flow.rollback"]
    assert [(v.number, v.status, v.author_name) for v in versions] == [(1, "retired", "ana")]


def test_a_flow_with_an_error_is_refused_with_its_line(client: TestClient) -> None:
    csrf = login(client, "admin")
    broken = MAIN_MENU.replace("goto: find_center", "goto: no_such_flow")
    line = broken.splitlines().index(next(l for l in broken.splitlines() if "no_such_flow" in l)) + 1
    res = publish_flow(client, csrf, broken)
    assert res.status_code == 422
    assert f'data-line="{line}"' in res.text and "no_such_flow" in res.text
    assert HELLO in bot_says(client)  # nothing published
    # a saved draft with errors cannot be published by its version id either
    draft_id = int(__import__("re").search(r'name="version" value="(\d+)"', client.get("/admin/flows/main_menu").text).group(1))
    res = client.post("/admin/flows/main_menu/publish", data={"csrf": csrf, "version": str(draft_id)})
    assert res.status_code == 422 and "no_such_flow" in res.text
    # a YAML syntax error names its line too
    res = publish_flow(client, csrf, "flow: main_menu\nsteps:\n  - say: {id: [unclosed\n")
    assert res.status_code == 422 and 'data-line="3"' in res.text


def test_try_a_draft_before_publishing(client: TestClient) -> None:
    csrf = login(client, "admin")
    draft = MAIN_MENU.replace(HELLO, NEW_HELLO)
    res = client.post("/admin/flows/main_menu/try", json={"yaml": draft, "restart": True}, headers={"x-csrf-token": csrf})
    assert res.status_code == 200 and NEW_HELLO in res.json()["replies"][0]["text"]
    assert NEW_HELLO not in bot_says(client)  # users still get the published flow
    res = client.post("/admin/flows/main_menu/try", json={"yaml": draft.replace("goto: find_center", "goto: nowhere"), "text": "hi"},
                      headers={"x-csrf-token": csrf})
    assert res.status_code == 422 and "nowhere" in res.json()["errors"][0]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_other_processes_pick_up_a_publish_within_a_second(client: TestClient, database_url: str, backend: str) -> None:
    other = make_frontdesk(database_url)
    store = content.install(other)

    async def say(text_event: Event) -> str:
        replies = await other.engine.handle(text_event)
        return "\n".join(r.text or "" for r in replies)

    async def scenario() -> tuple[str, str]:
        before = await say(Event(channel="cli", user_id="u1", command="start"))
        csrf = login(client, "admin")
        await asyncio.to_thread(publish_flow, client, csrf, MAIN_MENU.replace(HELLO, NEW_HELLO))
        await asyncio.sleep(content.CHECK_INTERVAL + 0.05)
        after = await say(Event(channel="cli", user_id="u1", command="start"))
        await other.db.dispose()
        return before, after

    before, after = asyncio.run(scenario())
    assert HELLO in before and NEW_HELLO in after
    assert store.loaded_version == 1


def test_new_flow_and_faq_entry_start_as_drafts(client: TestClient) -> None:
    csrf = login(client, "admin")
    assert client.post("/admin/flows/new", data={"csrf": csrf, "name": "promo"}).headers["location"] == "/admin/flows/promo"
    page = client.get("/admin/flows/promo").text
    assert "flow: promo" in page
    res = client.post("/admin/faq/new", data={"csrf": csrf, "topic": "export_training", "examples": "pelatihan ekspor\nexport training",
                                              "answer_id": "Senin-Jumat 08.00-16.00", "answer_en": "Mon-Fri 08:00-16:00"})
    assert res.status_code == 303 and res.headers["location"] == "/admin/faq/export_training"
    assert "Senin-Jumat" in client.get("/admin/faq/export_training").text
    assert "faq/export_training" in client.get("/admin/faq").text
    res = client.post("/admin/faq/new", data={"csrf": csrf, "topic": "cost"})  # exists in the files
    assert res.status_code == 422
    res = client.post("/admin/faq/new", data={"csrf": csrf, "topic": "Bad Name!"})
    assert res.status_code == 422


def test_faq_publish_needs_both_answers_and_rolls_back(client: TestClient, frontdesk) -> None:
    csrf = login(client, "admin")
    client.post("/admin/faq/new", data={"csrf": csrf, "topic": "fees", "examples": "berapa biayanya\nhow much", "answer_id": "Gratis", "answer_en": ""})
    res = client.post("/admin/faq/fees", data={"csrf": csrf, "examples": "berapa biayanya\nhow much", "answer_id": "Gratis", "answer_en": "", "action": "publish"})
    assert res.status_code == 422 and "Jawaban bahasa Inggris masih kosong" in res.text
    res = client.post("/admin/faq/fees", data={"csrf": csrf, "examples": "berapa biayanya\nhow much", "answer_id": "Gratis",
                                               "answer_en": "Free", "action": "publish"})
    assert res.status_code == 303
    assert frontdesk.admin_faq["faq/fees"].answer_en == "Free"  # handed to the FAQ store in force
    client.post("/admin/faq/fees", data={"csrf": csrf, "examples": "berapa biayanya\nhow much", "answer_id": "Gratis!",
                                         "answer_en": "Free!", "action": "publish"})
    assert frontdesk.admin_faq["faq/fees"].answer_en == "Free!"
    client.post("/admin/faq/fees/rollback", data={"csrf": csrf})
    assert frontdesk.admin_faq["faq/fees"].answer_en == "Free"


def test_unanswered_questions_are_grouped_and_become_examples(client: TestClient) -> None:
    csrf = login(client, "admin")
    client.get("/")
    asked = ("apakah ada pelatihan ekspor", "ada pelatihan ekspor tidak", "pelatihan ekspor kapan", "jual beli saham", "beli saham di mana")
    _unanswered(client, asked)
    page = client.get("/admin/unanswered").text
    assert "3×" in page and "2×" in page
    client.post("/admin/faq/new", data={"csrf": csrf, "topic": "export_training", "examples": "pelatihan ekspor\nexport training"})
    res = client.post("/admin/unanswered/add", data={"csrf": csrf, "target": "faq/export_training",
                                                     "example": ["apakah ada pelatihan ekspor", "ada pelatihan ekspor tidak"]})
    assert res.status_code == 303
    editor = client.get("/admin/faq/export_training").text
    assert "apakah ada pelatihan ekspor" in editor
    page = client.get("/admin/unanswered").text
    assert "ada pelatihan ekspor tidak" not in page and "jual beli saham" in page
    new = client.get("/admin/faq/new?example=jual+beli+saham").text
    assert "jual beli saham" in new
    # examples of an intent (not an FAQ) are published at once and the NLU learns them
    res = client.post("/admin/unanswered/add", data={"csrf": csrf, "target": "out_of_scope_x", "example": ["jual beli saham"]})
    assert res.status_code == 404
    intents = [i for i in client.app.state.frontdesk.nlu.model.intents if not i.startswith("faq/")]
    target = "talk_to_human" if "talk_to_human" in intents else intents[0]
    res = client.post("/admin/unanswered/add", data={"csrf": csrf, "target": target, "example": ["jual beli saham", "beli saham di mana"]})
    assert res.status_code == 303
    assert "<li>jual beli saham</li>" not in client.get("/admin/unanswered").text  # resolved: no longer a group
    assert "jual beli saham" in client.app.state.frontdesk.nlu.training_texts()[str(ROOT / "nlu" / "_admin_faq.yml")]
    assert "jual beli saham" in client.get("/admin/unanswered").text  # listed under the intent's added examples
    assert client.post(f"/admin/unanswered/intents/{target}/rollback", data={"csrf": csrf}).status_code == 303
    assert str(ROOT / "nlu" / "_admin_faq.yml") not in client.app.state.frontdesk.nlu.training_texts()


def _unanswered(client: TestClient, texts) -> None:
    """Record questions the bot could not answer, as the NLU's fallback does."""
    from bot.storage.models import UnansweredMessage

    async def add():
        async with client.app.state.frontdesk.db.transaction() as session:
            for text in texts:
                session.add(UnansweredMessage(channel="web", text=text, language="id", intent="nlu_fallback", confidence=0.1,
                                              ranking=[], at=client.app.state.frontdesk.clock.now()))

    client.portal.call(add)


def test_faq_test_shows_intent_and_confidence(client: TestClient) -> None:
    login(client, "admin")
    body = client.get("/admin/faq/test?q=apakah konsultasinya bayar").json()
    assert body["intent"] == "faq/cost" and body["confidence"] > 0.5 and body["answered"]
    assert "gratis" in body["answer"]
    page = client.get("/admin/faq?test=apakah+konsultasinya+bayar").text
    assert 'id="test-intent">faq/cost' in page
    found = client.get("/admin/faq?q=sertifikat+halal").text  # every word, over names, answers and examples
    assert 'href="/admin/faq/halal_certification"' in found and 'href="/admin/faq/cost"' not in found


def test_dashboard_counts_questions_and_fallbacks(client: TestClient) -> None:
    client.get("/")
    for text in ("berapa biayanya?", "zxqv blorf wibble"):
        client.post("/api/try", json={"text": text})
    login(client, "admin")
    page = client.get("/admin/dashboard").text
    assert re.search(r"<b>2</b><span>Pertanyaan diketik", page)
    assert 'id="fallback-rate">50%' in page
    assert "<svg" in page and "Percakapan per hari" in page


COST_QUESTION = "berapa biayanya?"


def selected_options(page: str) -> dict[str, str]:
    """The chosen option of each <select> of a page, as the browser would send it."""
    out = {}
    for name, body in re.findall(r'<select name="([a-z0-9_]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', body)
        out[name] = html.unescape(chosen.group(1)) if chosen else ""
    return out


def _ask(client: TestClient, text: str) -> str:
    client.get("/")
    res = client.post("/api/try", json={"text": text})
    return "\n".join(r.get("text") or "" for r in res.json()["replies"])


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_edit_an_faq_answer_publish_and_roll_back(client: TestClient, backend: str) -> None:
    csrf = login(client, "admin")
    old = _ask(client, COST_QUESTION)
    assert "gratis" in old
    page = client.get("/admin/faq/cost").text
    form = {k: v for k, v in re.findall(r'<input name="([a-z0-9_]+)" value="([^"]*)"', page)} | selected_options(page)
    examples = re.search(r'<textarea name="examples"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    new_answer = "Konsultasi di PLUT tetap gratis (jawaban baru dari admin)."
    res = client.post("/admin/faq/cost", data=form | {"csrf": csrf, "examples": html.unescape(examples), "answer_id": new_answer,
                                                      "answer_en": "Still free (new answer).", "fu0_id": "Pesan sekarang juga",
                                                      "action": "publish"})
    assert res.status_code == 303, res.text
    started = time.monotonic()
    client.get("/")
    replies = client.post("/api/try", json={"text": COST_QUESTION}).json()["replies"]
    assert time.monotonic() - started < 1.0
    assert new_answer in replies[0]["text"]
    assert "Pesan sekarang juga" in [b["title"] for b in replies[0]["buttons"]]  # the follow-up button as edited
    assert client.post("/admin/faq/cost/rollback", data={"csrf": csrf}).status_code == 303
    rolled_back = _ask(client, COST_QUESTION)  # asked once: the same question twice in a row gets "which part?"
    assert new_answer not in rolled_back and "gratis" in rolled_back


@pytest.mark.parametrize("backend", ["sqlite"])
def test_nothing_published_means_nothing_is_reloaded(database_url: str, backend: str) -> None:
    """On a database where no admin ever published, the files already in force are the
    content: the first check does not rebuild the flows or the FAQ."""
    fd = make_frontdesk(database_url)

    async def scenario() -> None:
        await fd.start(migrate=False)
        try:
            flows = fd.flows
            assert await fd.engine.handle(Event(channel="cli", user_id="u1", command="start"))
            assert fd.flows is flows
            assert content.store_for(fd).loaded_version == 0
        finally:
            await fd.close()

    asyncio.run(scenario())
