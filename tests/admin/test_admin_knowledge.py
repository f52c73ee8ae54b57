"""Knowledge topics edited on /admin: draft, validation with file and line, publish (in force at
once, and in other processes), roll back, the test box, roles, CSRF, escaping, audit."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.admin import content
from bot.config import ROOT
from bot.engine.events import Event
from bot.storage.models import AuditEntry, ContentVersion
from .conftest import login, make_frontdesk

KUR = (ROOT / "knowledge" / "kur.yml").read_text(encoding="utf-8")
OLD = "bunga 3% efektif per tahun"
NEW = "bunga 3% efektif per tahun (angka uji penyuntingan admin)"
QUESTION = "bunga kur super mikro berapa persen?"


def ask(client: TestClient, text: str) -> str:
    client.get("/")  # the try-it page sets its cookie
    res = client.post("/api/try", json={"text": text})
    assert res.status_code == 200, res.text
    return "\n".join(r.get("text") or "" for r in res.json()["replies"])


def save(client: TestClient, csrf: str, text: str, action: str = "publish", topic: str = "kur"):
    return client.post(f"/admin/knowledge/{topic}", data={"csrf": csrf, "yaml": text, "action": action})


def test_the_list_shows_every_topic_with_its_aspects(client: TestClient) -> None:
    login(client, "admin")
    page = client.get("/admin/knowledge")
    assert page.status_code == 200
    assert 'href="/admin/knowledge/kur"' in page.text and "figures" in page.text
    assert 'href="/admin/knowledge"' in page.text  # in the navigation


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_edit_an_entry_publish_it_answers_at_once_then_roll_back(client: TestClient, frontdesk, backend: str) -> None:
    csrf = login(client, "admin")
    assert OLD in ask(client, QUESTION) and NEW not in ask(client, QUESTION)
    assert save(client, csrf, KUR.replace(OLD, NEW), action="save").status_code == 303
    assert NEW not in ask(client, QUESTION)  # a draft is not in force
    editor = client.get("/admin/knowledge/kur")
    assert "angka uji penyuntingan admin" in editor.text

    res = save(client, csrf, KUR.replace(OLD, NEW))
    assert res.status_code == 303 and res.headers["location"].endswith("done=published"), res.text
    assert NEW in ask(client, QUESTION)
    tested = client.get("/admin/knowledge/kur", params={"test": QUESTION})
    assert 'id="test-match">kur/figures<' in tested.text and "angka uji penyuntingan admin" in tested.text

    res = client.post("/admin/knowledge/kur/rollback", data={"csrf": csrf})
    assert res.status_code == 303 and res.headers["location"].endswith("done=rolled_back")
    answer = ask(client, QUESTION)
    assert OLD in answer and NEW not in answer

    async def trail():
        async with frontdesk.db.sessions() as session:
            actions = [a for a, in await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))]
            kinds = {k for k, in await session.execute(select(ContentVersion.kind))}
        return actions, kinds

    actions, kinds = client.portal.call(trail)
    assert actions[-4:] == ["knowledge.save_draft", "knowledge.save_draft", "knowledge.publish", "knowledge.rollback"]
    assert kinds == {"knowledge"}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_other_processes_pick_up_a_published_topic(client: TestClient, database_url: str, backend: str) -> None:
    other = make_frontdesk(database_url)
    store = content.install(other)

    async def say(text: str) -> str:
        replies = await other.engine.handle(Event(channel="cli", user_id="u1", text=text))
        return "\n".join(r.text or "" for r in replies)

    async def scenario() -> tuple[str, str]:
        before = await say(QUESTION)
        csrf = login(client, "admin")
        res = await asyncio.to_thread(save, client, csrf, KUR.replace(OLD, NEW))
        assert res.status_code == 303, res.text
        await asyncio.sleep(content.CHECK_INTERVAL + 0.05)
        after = await say(QUESTION)
        await other.db.dispose()
        return before, after

    before, after = asyncio.run(scenario())
    assert OLD in before and NEW not in before
    assert NEW in after
    assert store.knowledge_in_force is not None and "kur" in store.knowledge_in_force


@pytest.mark.parametrize(("broken", "line", "words"), [
    (KUR.replace("        url: https://www.cnbcindonesia.com", "        url: htps//www.cnbcindonesia.com", 1), None, "well-formed"),
    (KUR.replace("  - aspect: figures", "  - aspect: interest", 1), None, "unknown aspect"),
    (KUR.replace("topic: kur", "topic: kredit", 1), 1, "topic: must be `kur`"),
])
def test_an_invalid_topic_is_refused_with_its_line_and_nothing_changes(client: TestClient, broken: str, line: int | None, words: str) -> None:
    csrf = login(client, "admin")
    res = save(client, csrf, broken)
    assert res.status_code == 422
    assert 'id="errors"' in res.text and words in res.text.replace("&#96;", "`")
    if line is not None:
        assert f'data-line="{line}"' in res.text
    assert OLD in ask(client, QUESTION)

    async def published():
        async with client.app.state.frontdesk.db.sessions() as session:
            return await content.published_bodies(session, content.KNOWLEDGE)

    assert client.portal.call(published) == {}


def test_the_line_of_an_error_is_the_line_in_the_editor(client: TestClient) -> None:
    csrf = login(client, "admin")
    lines = KUR.splitlines()
    idx = next(i for i, l in enumerate(lines) if l.strip() == "- aspect: requirements")
    lines[idx] = lines[idx].replace("requirements", "documents")
    res = save(client, csrf, "\n".join(lines) + "\n")
    assert res.status_code == 422
    assert f'data-line="{idx + 1}"' in res.text and "knowledge/kur.yml" in res.text


def test_markup_in_a_draft_is_shown_as_text(client: TestClient) -> None:
    csrf = login(client, "admin")
    assert save(client, csrf, KUR.replace(OLD, OLD + " <script>alert(1)</script>"), action="save").status_code == 303
    page = client.get("/admin/knowledge/kur")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


@pytest.mark.parametrize("who", ["center_admin", "consultant"])
def test_only_admins_edit_knowledge(client: TestClient, who: str) -> None:
    csrf = login(client, who)
    assert client.get("/admin/knowledge").status_code == 403
    assert client.get("/admin/knowledge/kur").status_code == 403
    assert save(client, csrf, KUR.replace(OLD, NEW)).status_code == 403
    assert OLD in ask(client, QUESTION) and NEW not in ask(client, QUESTION)


def test_a_post_without_the_csrf_token_changes_nothing(client: TestClient) -> None:
    login(client, "admin")
    res = client.post("/admin/knowledge/kur", data={"yaml": KUR.replace(OLD, NEW), "action": "publish"})
    assert res.status_code == 403
    assert NEW not in ask(client, QUESTION)


def test_unknown_topics_are_not_found(client: TestClient) -> None:
    csrf = login(client, "admin")
    assert client.get("/admin/knowledge/no_such_topic").status_code == 404
    assert client.get("/admin/knowledge/Bad-Name").status_code == 404
    assert save(client, csrf, KUR.replace("topic: kur", "topic: no_such_topic"), topic="no_such_topic").status_code == 404
    assert client.post("/admin/knowledge/kur/publish", data={"csrf": csrf, "version": "x"}).status_code == 404
    assert client.post("/admin/knowledge/kur/rollback", data={"csrf": csrf}).status_code == 404
