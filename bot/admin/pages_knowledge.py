"""Knowledge topics (docs/knowledge.md): edit a topic's entries as a draft, test, publish, roll back.

A topic is edited as the YAML of its file (`knowledge/<topic>.yml`): its title, names, and every
entry with both languages, aspect, example questions and sources. The files are the defaults;
a published version wins over its file in every process (`content.ContentStore.reload`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import yaml
from starlette.responses import Response

from bot import yamltext
from bot.admin import content
from bot.admin.authz import CONTENT, NotFound
from bot.admin.content import KNOWLEDGE, ContentInvalid
from bot.admin.web import Ctx, page, redirect
from bot.knowledge import KnowledgeBase, KnowledgeInvalid, knowledge_base
from bot.knowledge.content import ASPECTS, SERVICE_AREAS, add_entry, topic_yaml

MAX_TEST = 500
RESERVED = frozenset({"new"})
"""Names a topic cannot take: they are pages of the editor (`/admin/knowledge/new`)."""
MAX_FIELD = 4000


async def in_force(ctx: Ctx) -> KnowledgeBase:
    """What the chat answers from: the published topics, else the files."""
    if ctx.app.knowledge is not None:
        return ctx.app.knowledge
    return await asyncio.to_thread(knowledge_base, Path(ctx.app.settings.content_dir))


async def _test(ctx: Ctx, question: str) -> dict[str, Any] | None:
    """What the knowledge base in force does with a question: (topic, aspect), confidence, answer."""
    if not question:
        return None
    try:
        kb = await in_force(ctx)
    except KnowledgeInvalid:
        return {"question": question, "kind": "unknown", "topic": None, "aspect": None, "answer": None,
                "topic_confidence": 0.0, "aspect_confidence": 0.0}
    m = kb.match(question[:MAX_TEST])
    found = kb.answer(question[:MAX_TEST], ctx.lang)
    return {
        "question": question, "kind": m.kind if m else "unknown",
        "topic": m.topic.name if m and m.topic else None,
        "aspect": m.entry.aspect if m and m.entry else None,
        "asked_aspect": m.asked_aspect if m else None,
        "topic_confidence": m.topic_confidence if m else 0.0, "aspect_confidence": m.aspect_confidence if m else 0.0,
        "answer": found.text if found else None,
    }


async def _rows(ctx: Ctx) -> list[dict[str, Any]]:
    files = content.knowledge_files(ctx.app.content_dir)
    async with ctx.app.db.sessions() as session:
        pub = await content.published(session, KNOWLEDGE)
        names = set(files) | set(pub) | await content.names_with_versions(session, KNOWLEDGE)
        drafts = {n: d for n in names if (d := await content.latest_draft(session, KNOWLEDGE, n)) is not None}
    try:
        kb = (await in_force(ctx)).kb
    except KnowledgeInvalid:
        kb = None
    rows = []
    for name in sorted(names):
        topic = kb.topics.get(name) if kb else None
        rows.append({
            "name": name, "title": topic.title.pick(ctx.lang) if topic else name, "area": topic.service_area if topic else "",
            "aspects": [a for a in ASPECTS if topic and a in topic.entries], "published": pub.get(name), "draft": drafts.get(name),
        })
    return rows


@page("/knowledge", allow=CONTENT)
async def knowledge_list(ctx: Ctx) -> Response:
    rows = await _rows(ctx)
    return ctx.render("knowledge_list.html", rows=rows, aspects=ASPECTS, entries=sum(len(r["aspects"]) for r in rows),
                      test=await _test(ctx, ctx.query("test")))


async def _editor(ctx: Ctx, name: str, *, text: str | None = None, errors: list[Any] | None = None,
                  status: int = 200, message: str = "", entry_form: dict[str, Any] | None = None) -> Response:
    files = content.knowledge_files(ctx.app.content_dir)
    async with ctx.app.db.sessions() as session:
        versions = await content.history(session, KNOWLEDGE, name)
        current = (await content.published(session, KNOWLEDGE)).get(name)
        published = await content.published_bodies(session, KNOWLEDGE)
    if name not in files and not versions:
        raise NotFound()
    draft = versions[0] if versions and versions[0].status == "draft" else None
    if text is None:
        text = draft.body if draft else current.body if current else files[name][1] if name in files else versions[0].body
    if errors is None and draft is not None:
        errors = content.check_knowledge(ctx.app.content_dir, published, name, text)
    answered = _answered(text)
    return ctx.render("knowledge_edit.html", status_code=status, name=name, text=text, errors=errors or [], versions=versions,
                      current=current, draft=draft, message=message, aspects=ASPECTS, test=await _test(ctx, ctx.query("test")),
                      missing=[a for a in ASPECTS if a not in answered],
                      entry=entry_form or {"source_checked": ctx.now.date().isoformat()})


def _answered(text: str) -> set[str]:
    """The aspects a topic's YAML answers (none when it does not read)."""
    try:
        doc = yamltext.safe_load(text)
    except yaml.YAMLError:
        return set()
    entries = doc.get("entries") if isinstance(doc, dict) else None
    return {str(e.get("aspect")) for e in entries if isinstance(e, dict)} if isinstance(entries, list) else set()


def _name(ctx: Ctx) -> str:
    name = ctx.request.path_params["topic"]
    if not content.TOPIC_NAME.match(name):
        raise NotFound()
    return str(name)


# --- a new topic, and a new entry of a topic, from a form ---------------------------------


def _lines(text: str) -> list[str]:
    """One item per line (commas also separate names)."""
    return [item.strip() for line in text.replace(",", "\n").splitlines() if (item := line.strip()) and item.strip()]


def _source(ctx: Ctx) -> dict[str, Any]:
    return {"title": ctx.field("source_title")[:MAX_FIELD], "url": ctx.field("source_url")[:MAX_FIELD],
            "checked": ctx.field("source_checked") or ctx.now.date().isoformat()}


def _entry(ctx: Ctx, aspect: str) -> dict[str, Any]:
    return {"aspect": aspect, "id": ctx.field("answer_id")[:MAX_FIELD], "en": ctx.field("answer_en")[:MAX_FIELD],
            "examples": [e[:200] for e in ctx.field("examples").splitlines() if e.strip()][:20], "sources": [_source(ctx)]}


ENTRY_FIELDS = ("aspect", "answer_id", "answer_en", "examples", "source_title", "source_url", "source_checked")


def _entry_values(ctx: Ctx) -> dict[str, str]:
    """What was typed into the new-entry form, to show it again with the errors."""
    return {f: ctx.field(f) for f in ENTRY_FIELDS}


def _new_form(ctx: Ctx, values: dict[str, Any] | None = None, errors: list[Any] | None = None, status: int = 200) -> Response:
    values = values or {"source_checked": ctx.now.date().isoformat()}
    return ctx.render("knowledge_new.html", status_code=status, values=values, errors=errors or [], areas=SERVICE_AREAS)


@page("/knowledge/new", allow=CONTENT)
async def knowledge_new(ctx: Ctx) -> Response:
    return _new_form(ctx)


@page("/knowledge/new", allow=CONTENT, methods=("POST",))
async def knowledge_create(ctx: Ctx) -> Response:
    """A new topic from the form: its overview in both languages with a source, saved as a draft
    (validated with the whole knowledge base) and, with `publish`, published at once."""
    fields = ("topic", "service_area", "title_id", "title_en", "names", "answer_id", "answer_en", "examples",
              "source_title", "source_url", "source_checked")
    values = {f: ctx.field(f) for f in fields}
    name = values["topic"].lower()
    errors: list[Any] = []
    if not content.TOPIC_NAME.match(name) or name in RESERVED:
        errors.append(content.FlowError("", 0, "a topic name is lower case letters, digits and _"))
    if values["service_area"] not in SERVICE_AREAS:
        errors.append(content.FlowError("", 0, "choose the service area whose consultant is the next step"))
    if not (values["title_id"] and values["title_en"]):
        errors.append(content.FlowError("", 0, "give the title in both languages"))
    names = [n[:100] for n in _lines(values["names"])][:50]
    if not names:
        errors.append(content.FlowError("", 0, "give at least one name people use for the topic"))
    if errors:
        return _new_form(ctx, values, errors, status=422)
    text = topic_yaml(name, values["service_area"], {"id": values["title_id"][:200], "en": values["title_en"][:200]},
                      names, [_entry(ctx, "overview")])
    async with ctx.app.db.sessions() as session:
        taken = name in content.knowledge_files(ctx.app.content_dir) or bool(await content.history(session, KNOWLEDGE, name))
        published = await content.published_bodies(session, KNOWLEDGE)
    if taken:
        return _new_form(ctx, values, [content.FlowError("", 0, "a topic with this name already exists")], status=422)
    errors = content.check_knowledge(ctx.app.content_dir, published, name, text)
    if errors:  # nothing is stored: the form keeps what was typed
        return _new_form(ctx, values, errors, status=422)
    async with ctx.app.db.transaction() as session:
        row = await content.save_draft(session, ctx.me, KNOWLEDGE, name, text, ctx.now, note="new topic")
    if ctx.field("action") == "publish":
        return await _publish(ctx, name, row.id)
    return redirect(f"/knowledge/{name}?done=saved")


@page("/knowledge/{topic}/entry", allow=CONTENT, methods=("POST",))
async def knowledge_add_entry(ctx: Ctx) -> Response:
    """One more aspect for a topic from the form under the editor: added to the topic's current
    text (its draft, else the published version, else the file) as a new draft, and published
    at once with `publish`; the whole knowledge base is validated as for the editor."""
    name = _name(ctx)
    aspect = ctx.field("aspect")
    files = content.knowledge_files(ctx.app.content_dir)
    async with ctx.app.db.sessions() as session:
        versions = await content.history(session, KNOWLEDGE, name)
        current = (await content.published(session, KNOWLEDGE)).get(name)
    if name not in files and not versions:
        raise NotFound()
    if versions and versions[0].status == "draft":
        base = versions[0].body
    else:  # the version in force; a topic made on /admin and rolled back has no file: its newest version
        base = current.body if current else files[name][1] if name in files else versions[0].body
    if aspect not in ASPECTS:
        return await _editor(ctx, name, errors=[content.FlowError("", 0, "choose an aspect")], status=422, entry_form=_entry_values(ctx))
    try:
        text = add_entry(base, _entry(ctx, aspect))
    except ValueError as exc:
        return await _editor(ctx, name, errors=[content.FlowError("", 0, str(exc))], status=422, entry_form=_entry_values(ctx))
    async with ctx.app.db.sessions() as session:
        published = await content.published_bodies(session, KNOWLEDGE)
    errors = content.check_knowledge(ctx.app.content_dir, published, name, text)
    if errors:  # nothing is stored: the form keeps what was typed
        return await _editor(ctx, name, errors=errors, status=422, entry_form=_entry_values(ctx))
    async with ctx.app.db.transaction() as session:
        row = await content.save_draft(session, ctx.me, KNOWLEDGE, name, text, ctx.now, note=f"new entry: {aspect}")
    if ctx.field("action") == "publish":
        return await _publish(ctx, name, row.id)
    return redirect(f"/knowledge/{name}?done=saved")


@page("/knowledge/{topic}", allow=CONTENT)
async def knowledge_edit(ctx: Ctx) -> Response:
    return await _editor(ctx, _name(ctx), message=ctx.query("done"))


@page("/knowledge/{topic}", allow=CONTENT, methods=("POST",))
async def knowledge_save(ctx: Ctx) -> Response:
    """Save the editor's text as a draft; with `publish`, publish it at once if the whole knowledge base validates."""
    name = _name(ctx)
    text = ctx.field("yaml").replace("\r\n", "\n")
    if text and not text.endswith("\n"):
        text += "\n"
    async with ctx.app.db.transaction() as session:
        if name not in content.knowledge_files(ctx.app.content_dir) and not await content.history(session, KNOWLEDGE, name):
            raise NotFound()
        row = await content.save_draft(session, ctx.me, KNOWLEDGE, name, text, ctx.now, note=ctx.field("note"))
        errors = content.check_knowledge(ctx.app.content_dir, await content.published_bodies(session, KNOWLEDGE), name, text)
    if errors:
        return await _editor(ctx, name, text=text, errors=errors, status=422)
    if ctx.field("action") == "publish":
        return await _publish(ctx, name, row.id)
    return redirect(f"/knowledge/{name}?done=saved")


async def _publish(ctx: Ctx, name: str, version_id: int) -> Response:
    try:
        async with ctx.app.db.transaction() as session:
            await content.publish(ctx.app, session, ctx.me, KNOWLEDGE, name, version_id, ctx.now)
    except LookupError:
        raise NotFound() from None
    except ContentInvalid as exc:
        return await _editor(ctx, name, errors=exc.errors, status=422)
    await content.store_for(ctx.app).reload()
    return redirect(f"/knowledge/{name}?done=published")


def _version_id(ctx: Ctx) -> int:
    try:
        return int(ctx.field("version"))
    except ValueError:
        raise NotFound() from None


@page("/knowledge/{topic}/publish", allow=CONTENT, methods=("POST",))
async def knowledge_publish(ctx: Ctx) -> Response:
    return await _publish(ctx, _name(ctx), _version_id(ctx))


@page("/knowledge/{topic}/rollback", allow=CONTENT, methods=("POST",))
async def knowledge_rollback(ctx: Ctx) -> Response:
    name = _name(ctx)
    try:
        async with ctx.app.db.transaction() as session:
            await content.rollback(ctx.app, session, ctx.me, KNOWLEDGE, name, ctx.now)
    except LookupError:
        raise NotFound() from None
    except ContentInvalid as exc:
        return await _editor(ctx, name, errors=exc.errors, status=422)
    await content.store_for(ctx.app).reload()
    return redirect(f"/knowledge/{name}?done=rolled_back")
