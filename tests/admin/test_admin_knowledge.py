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


# --- a new topic and a new entry from the forms ----------------------------------------------

SNI_OVERVIEW_ID = ("SNI (Standar Nasional Indonesia) adalah standar mutu produk yang ditetapkan BSN. BSN punya program insentif "
                   "sertifikasi SNI untuk usaha mikro dan kecil terpilih: pendampingan, biaya uji, dan sertifikasinya dibiayai BSN.")
SNI_OVERVIEW_EN = ("SNI (the Indonesian National Standard) is the product-quality standard set by BSN. BSN runs an SNI certification "
                   "incentive for selected micro and small businesses: its mentoring, testing and certification are paid by BSN.")
SNI_SOURCE = "https://menara62.com/sebanyak-50-umkm-lolos-seleksi-tahap-pertama-program-insentif-sertifikasi-sni-produk"
SNI_QUESTION = "min sertifikat sni itu apa sih"


def new_topic(client: TestClient, csrf: str, action: str = "publish", **changes: str):
    form = {
        "csrf": csrf, "action": action, "topic": "sni", "service_area": "production",
        "title_id": "SNI (Standar Nasional Indonesia)", "title_en": "SNI (Indonesian National Standard)",
        "names": "sni, sertifikat sni, standar nasional indonesia, sni certification, indonesian national standard",
        "answer_id": SNI_OVERVIEW_ID, "answer_en": SNI_OVERVIEW_EN,
        "examples": "sni tuh apaan\nwhat is an sni mark",
        "source_title": "Menara62: 50 UMKM lolos seleksi program insentif sertifikasi SNI produk (BSN)",
        "source_url": SNI_SOURCE, "source_checked": "2026-11-30",
    }
    form.update(changes)
    return client.post("/admin/knowledge/new", data=form)


def box_match(client: TestClient, question: str) -> str:
    """What the test box on /admin/knowledge says answers a question (topic/aspect)."""
    import re

    page = client.get("/admin/knowledge", params={"test": question}).text
    found = re.search(r'id="test-match">([^<]*)<', page)
    assert found is not None, page
    return found.group(1)


def _versions(client: TestClient, name: str) -> list[tuple[int, str]]:
    async def rows():
        async with client.app.state.frontdesk.db.sessions() as session:
            return [(v.number, v.status) for v in await content.history(session, content.KNOWLEDGE, name)]

    return client.portal.call(rows)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_create_a_topic_publish_it_the_bot_answers_then_roll_back(client: TestClient, frontdesk, backend: str) -> None:
    csrf = login(client, "admin")
    form = client.get("/admin/knowledge/new")
    assert form.status_code == 200 and 'id="topic-form"' in form.text
    assert 'href="/admin/knowledge/new"' in client.get("/admin/knowledge").text
    assert "sni/" not in box_match(client, SNI_QUESTION)  # (the chat is asked once: two unsure replies open a handoff)

    res = new_topic(client, csrf)
    assert res.status_code == 303 and res.headers["location"] == "/admin/knowledge/sni?done=published", res.text
    answer = ask(client, SNI_QUESTION)
    assert "BSN punya program insentif" in answer and "Langkah berikutnya: konsultan produksi" in answer
    listed = client.get("/admin/knowledge")
    assert 'href="/admin/knowledge/sni"' in listed.text
    tested = client.get("/admin/knowledge/sni", params={"test": "what is the indonesian national standard"})
    assert 'id="test-match">sni/overview<' in tested.text

    res = client.post("/admin/knowledge/sni/rollback", data={"csrf": csrf})
    assert res.status_code == 303 and res.headers["location"].endswith("done=rolled_back")
    assert "BSN punya program insentif" not in ask(client, SNI_QUESTION)
    assert _versions(client, "sni") == [(1, "retired")]

    async def trail():
        async with frontdesk.db.sessions() as session:
            return [(a, t) for a, t in await session.execute(select(AuditEntry.action, AuditEntry.target_id).order_by(AuditEntry.id))]

    assert client.portal.call(trail)[-3:] == [("knowledge.save_draft", "sni"), ("knowledge.publish", "sni"), ("knowledge.rollback", "sni")]


def test_a_new_topic_saved_as_a_draft_is_listed_but_not_in_force(client: TestClient) -> None:
    csrf = login(client, "admin")
    res = new_topic(client, csrf, action="save")
    assert res.status_code == 303 and res.headers["location"] == "/admin/knowledge/sni?done=saved"
    assert "sni/" not in box_match(client, SNI_QUESTION)
    editor = client.get("/admin/knowledge/sni")
    assert editor.status_code == 200 and "topic: sni" in editor.text and "v1" in editor.text
    assert 'href="/admin/knowledge/sni"' in client.get("/admin/knowledge").text
    res = client.post("/admin/knowledge/sni/publish", data={"csrf": csrf, "version": str(_version_id(client, "sni"))})
    assert res.status_code == 303
    assert "BSN punya program insentif" in ask(client, SNI_QUESTION)


def _version_id(client: TestClient, name: str) -> int:
    async def newest():
        async with client.app.state.frontdesk.db.sessions() as session:
            return (await content.history(session, content.KNOWLEDGE, name))[0].id

    return client.portal.call(newest)


@pytest.mark.parametrize(("changes", "words"), [
    ({"source_url": "htps//menara62.com/sni"}, "well-formed"),
    ({"answer_en": ""}, "entries.0.en"),
    ({"topic": "kur"}, "topik dengan nama ini sudah ada"),  # the admin pages speak Indonesian by default
    ({"topic": "new"}, "huruf kecil"),
    ({"topic": "SNI-2"}, "huruf kecil"),
    ({"service_area": "legal"}, "pilih bidang layanan"),
    ({"names": " , "}, "minimal satu sebutan"),
    ({"source_checked": "2026-13-40"}, "checked"),
])
def test_an_invalid_new_topic_is_refused_and_nothing_is_stored(client: TestClient, changes: dict, words: str) -> None:
    csrf = login(client, "admin")
    res = new_topic(client, csrf, **changes)
    assert res.status_code == 422, res.text
    assert 'id="errors"' in res.text and words in res.text
    assert SNI_OVERVIEW_ID[:40] in res.text  # what was typed is kept
    assert _versions(client, "sni") == [] and _versions(client, changes.get("topic", "sni").lower()) == []
    assert "BSN punya program insentif" not in ask(client, SNI_QUESTION)


@pytest.mark.parametrize("who", ["center_admin", "consultant"])
def test_only_admins_create_topics(client: TestClient, who: str) -> None:
    csrf = login(client, who)
    assert client.get("/admin/knowledge/new").status_code == 403
    assert new_topic(client, csrf).status_code == 403
    assert client.post("/admin/knowledge/pirt/entry", data={"csrf": csrf, "aspect": "cost"}).status_code == 403
    assert _versions(client, "sni") == []


def test_creating_a_topic_without_the_csrf_token_changes_nothing(client: TestClient) -> None:
    login(client, "admin")
    assert new_topic(client, "").status_code == 403
    assert _versions(client, "sni") == []


WAGES_STEPS = "Langkah uji penyuntingan: upah di usaha mikro dan kecil disepakati pemilik dan pekerja, lalu dicatat."
WAGES_SOURCE = "https://news.ddtc.co.id/berita/nasional/28040/usaha-mikro-kecil-boleh-bayar-upah-lebih-rendah-dari-ump"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_add_an_aspect_to_a_topic_publish_it_then_roll_back(client: TestClient, backend: str) -> None:
    question = "cara ngitung upah karyawan umkm gmn"
    csrf = login(client, "admin")
    editor = client.get("/admin/knowledge/wages")
    assert 'id="entry-form"' in editor.text and '<option value="steps"' in editor.text
    assert '<option value="overview"' not in editor.text  # answered aspects are not offered
    assert "wages/steps" not in box_match(client, question)

    res = client.post("/admin/knowledge/wages/entry", data={
        "csrf": csrf, "action": "publish", "aspect": "steps", "answer_id": WAGES_STEPS,
        "answer_en": "Editing test steps: wages in micro and small businesses are agreed by owner and worker, then recorded.",
        "examples": "cara ngitung gaji karyawan", "source_title": "DDTC: usaha mikro kecil boleh bayar upah lebih rendah dari UMP",
        "source_url": WAGES_SOURCE, "source_checked": "2026-11-30"})
    assert res.status_code == 303 and res.headers["location"].endswith("done=published"), res.text
    assert "Langkah uji penyuntingan" in ask(client, question)
    body = client.get("/admin/knowledge/wages").text
    assert "  - aspect: steps" in body and "topic: wages" in body
    text = (ROOT / "knowledge" / "wages.yml").read_text(encoding="utf-8")
    published = _published(client)["wages"]
    assert published.startswith(text)  # the file's own text is kept, the entry added at the end

    assert client.post("/admin/knowledge/wages/rollback", data={"csrf": csrf}).status_code == 303
    assert "Langkah uji penyuntingan" not in ask(client, question)


def _published(client: TestClient) -> dict[str, str]:
    async def bodies():
        async with client.app.state.frontdesk.db.sessions() as session:
            return await content.published_bodies(session, content.KNOWLEDGE)

    return client.portal.call(bodies)


def test_an_invalid_new_entry_is_refused_and_nothing_is_stored(client: TestClient) -> None:
    csrf = login(client, "admin")
    base = {"csrf": csrf, "action": "publish", "answer_id": WAGES_STEPS, "answer_en": "Steps.", "source_title": "Test source title",
            "source_url": WAGES_SOURCE, "source_checked": "2026-11-30"}
    for changes, words in (({"aspect": "overview"}, "answered twice"), ({"aspect": "price"}, "pilih aspek"),
                           ({"aspect": "steps", "source_url": "not a link"}, "well-formed"), ({"aspect": "steps", "answer_en": ""}, ".en: String should")):
        res = client.post("/admin/knowledge/wages/entry", data={**base, **changes})
        assert res.status_code == 422, (changes, res.text)
        assert words in res.text and WAGES_STEPS[:30] in res.text, changes
    assert _versions(client, "wages") == []
    assert client.post("/admin/knowledge/no_such/entry", data={**base, "aspect": "steps"}).status_code == 404


# --- writing published topics back to the files ----------------------------------------------

def test_export_writes_the_published_topics_back_and_they_load_the_same(client: TestClient, database_url: str, tmp_path) -> None:
    import shutil

    from bot.knowledge import parse_texts, with_published
    from bot.knowledge.content import load
    from tests.conftest import Cli

    csrf = login(client, "admin")
    assert save(client, csrf, KUR.replace(OLD, NEW)).status_code == 303
    assert new_topic(client, csrf).status_code == 303
    published = _published(client)
    assert set(published) == {"kur", "sni"}
    cli = Cli(database_url)

    # a whole knowledge folder elsewhere
    out = tmp_path / "exported"
    done = cli.run("knowledge", "export", "--to", str(out))
    assert "wrote" in done.stdout
    check = cli.run("knowledge", "check", "--dir", str(out))
    files = ROOT / "knowledge"
    in_force = parse_texts(with_published(files, published))
    assert check.stdout.strip() == f"ok: {len(in_force.topics)} topics, {in_force.entry_count} entries"
    exported = load(out)
    assert exported.pairs() == in_force.pairs() and "sni" in exported.topics
    for topic in in_force.topics.values():
        mine = exported.topics[topic.name]
        assert (mine.service_area, mine.title, mine.names) == (topic.service_area, topic.title, topic.names)
        assert mine.entries == topic.entries
    assert (out / "kur.yml").read_text(encoding="utf-8") == published["kur"]
    assert (out / "sni.yml").read_text(encoding="utf-8") == published["sni"]
    assert (out / "halal.yml").read_text(encoding="utf-8") == (files / "halal.yml").read_text(encoding="utf-8")
    assert (out / "_aspects.yml").exists()

    # in place, over a copy of the files: only the published topics change
    folder = tmp_path / "knowledge"
    shutil.copytree(files, folder)
    cli.run("knowledge", "export", "--dir", str(folder))
    assert (folder / "kur.yml").read_text(encoding="utf-8") == published["kur"] and NEW in published["kur"]
    assert (folder / "sni.yml").read_text(encoding="utf-8") == published["sni"]
    unchanged = [p.name for p in files.glob("*.yml") if p.name != "kur.yml"]
    assert all((folder / n).read_text(encoding="utf-8") == (files / n).read_text(encoding="utf-8") for n in unchanged)
    assert sorted(p.name for p in folder.glob("*.yml")) == sorted([*(p.name for p in files.glob("*.yml")), "sni.yml"])
    cli.run("knowledge", "check", "--dir", str(folder))


def test_export_with_nothing_published_writes_nothing(database_url: str, tmp_path) -> None:
    import shutil

    from tests.conftest import Cli

    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.yml")}
    done = Cli(database_url).run("knowledge", "export", "--dir", str(folder))
    assert "wrote 0 file(s)" in done.stdout
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*.yml")} == before
