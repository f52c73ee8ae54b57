"""FAQ entries, flows and unanswered questions: edit as drafts, test, publish, roll back."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select, update
from starlette.responses import JSONResponse, Response

from bot.admin import audit, content
from bot.admin.authz import CONTENT, NotFound
from bot.admin.content import FAQ, FLOW, ContentInvalid, FaqEntry
from bot.admin.web import Ctx, page, redirect
from bot.engine.events import Event
from bot.engine.flows import FlowsInvalid
from bot.domain.areas import SERVICE_AREAS, area_name
from bot.payloads import ByIntent, RunAction, StartFlow
from bot.storage.models import UnansweredMessage

PREVIEW_CHANNEL = "preview"
UNANSWERED_DAYS = 30
FALLBACK_INTENTS = ("nlu_fallback", "out_of_scope")


# --- FAQ -----------------------------------------------------------------------------------


async def _faq_entries(ctx: Ctx) -> tuple[dict[str, FaqEntry], dict[str, Any], dict[str, Any]]:
    """Entries in force (files + published), the published rows, and pending drafts."""
    entries = content.file_faq_entries(ctx.app.content_dir)
    async with ctx.app.db.sessions() as session:
        pub = await content.published(session, FAQ)
        drafts = {}
        for name in set(entries) | set(pub):
            draft = await content.latest_draft(session, FAQ, name)
            if draft is not None:
                drafts[name] = draft
        # drafts of entries that exist only as drafts (new ones)
        from bot.storage.models import ContentVersion

        rows = (await session.execute(select(ContentVersion.name).where(ContentVersion.kind == FAQ).distinct())).scalars()
        for name in rows:
            if name not in entries and name not in pub:
                draft = await content.latest_draft(session, FAQ, name)
                if draft is not None:
                    drafts[name] = draft
    for name, row in pub.items():
        if content.is_archived(row.body):
            entries.pop(name, None)  # listed apart, as archived
        else:
            entries[name] = FaqEntry.from_yaml(row.body)
    return entries, pub, drafts


def _matches(entry: FaqEntry, q: str) -> bool:
    q = q.lower()
    hay = " ".join([entry.intent, entry.title_id, entry.title_en, entry.answer_id, entry.answer_en, *entry.examples]).lower()
    return all(word in hay for word in q.split())


async def _test_question(ctx: Ctx, question: str) -> dict[str, Any] | None:
    if not question:
        return None
    parse = await ctx.app.nlu.parse(question[:500], now=ctx.now, lang=None)
    intent = (parse.get("intent") or {}).get("name")
    confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
    threshold = float(getattr(ctx.app.nlu, "threshold", 0.5))
    flow = ctx.app.flows.by_intent(intent) if intent else None
    if flow is None and intent and "/" in intent:
        flow = ctx.app.flows.by_intent(intent.split("/", 1)[0])
    answer = None
    store = getattr(ctx.app.nlu, "faq", None)
    if intent and intent.startswith("faq/") and store is not None and store.get(intent) is not None:
        answer = store.get(intent).text(ctx.lang)
    return {
        "answer": answer,
        "question": question, "intent": intent, "confidence": confidence, "threshold": threshold,
        "answered": bool(intent) and confidence >= threshold and intent not in FALLBACK_INTENTS,
        "flow": flow.flow if flow else None,
        "ranking": [(r.get("name"), float(r.get("confidence") or 0)) for r in (parse.get("intent_ranking") or [])[:5]],
        "response": parse.get("response") or parse.get("faq"),
    }


@page("/faq", allow=CONTENT)
async def faq_list(ctx: Ctx) -> Response:
    entries, pub, drafts = await _faq_entries(ctx)
    q = ctx.query("q")
    shown = sorted((e for e in entries.values() if not q or _matches(e, q)), key=lambda e: e.intent)
    archived = sorted(n for n, row in pub.items() if content.is_archived(row.body))
    new_only = sorted(n for n in drafts if n not in entries and n not in archived)
    return ctx.render("faq_list.html", entries=shown, pub=pub, drafts=drafts, new_only=new_only, q=q, archived=archived,
                      test=await _test_question(ctx, ctx.query("test")))


@page("/faq/test", allow=CONTENT)
async def faq_test(ctx: Ctx) -> Response:
    result = await _test_question(ctx, ctx.query("q"))
    return JSONResponse(result or {})


# --- follow-up buttons: chosen by name ---------------------------------------------------------

FLOW_TARGETS = (
    # (intent, title in Indonesian, title in English): what a follow-up button can start
    ("find_center", "Cari PLUT terdekat", "Find a center"),
    ("book_consultation", "Booking konsultasi", "Book a consultation"),
    ("talk_to_human", "Bicara dgn konsultan", "Talk to a consultant"),
    ("check_booking", "Booking saya", "My bookings"),
    ("complain", "Sampaikan keluhan", "Make a complaint"),
    ("greet", "Menu utama", "Main menu"),
)


async def follow_up_targets(ctx: Ctx) -> list[tuple[str, list[dict[str, str]]]]:
    """What a follow-up button can do, by name: the flows, a booking in each service area,
    and every FAQ topic. Each with the payload it stands for and titles for both languages."""
    en = ctx.lang == "en"
    flows = [{"payload": ByIntent(intent).pack(), "id": title_id, "en": title_en, "label": title_en if en else title_id}
             for intent, title_id, title_en in FLOW_TARGETS]
    booking = [{"payload": ByIntent("book_consultation", {"service_area": code}).pack(),
                "id": f"Booking {area_name(code, 'id')}", "en": f"Book: {area_name(code, 'en')}",
                "label": area_name(code, ctx.lang)} for code in SERVICE_AREAS]
    entries, _, _ = await _faq_entries(ctx)
    topics = sorted(({"payload": RunAction("faq.answer", {"intent": name}).pack(), "id": e.title_id or name[4:],
                      "en": e.title_en or name[4:], "label": (e.title_en if en else e.title_id) or name[4:]}
                     for name, e in entries.items()), key=lambda o: o["label"].lower())
    return [(ctx.t("What the bot can do"), flows), (ctx.t("Book a consultation in"), booking), (ctx.t("FAQ topics"), topics)]


async def _target_errors(ctx: Ctx, entry: FaqEntry) -> list[content.FlowError]:
    """A follow-up's target is one from the list, or one an entry already had (older content)."""
    offered = {o["payload"] for _, options in await follow_up_targets(ctx) for o in options}
    entries, _, _ = await _faq_entries(ctx)
    offered |= {f.payload for e in entries.values() for f in e.follow_up}
    if any(f.payload and f.payload not in offered for f in entry.follow_up):
        return [content.FlowError(entry.intent, 0, "choose each follow-up button's target from the list")]
    return []


@page("/faq/new", allow=CONTENT)
async def faq_new_form(ctx: Ctx) -> Response:
    examples = ctx.request.query_params.getlist("example")
    entry = FaqEntry(intent="faq/", examples=examples, answer_id="", answer_en="")
    return ctx.render("faq_edit.html", entry=entry, topic="", is_new=True, errors=[], versions=[], current=None, draft=None, test=None,
                      targets=await follow_up_targets(ctx))


@page("/faq/new", allow=CONTENT, methods=("POST",))
async def faq_create(ctx: Ctx) -> Response:
    topic = ctx.field("topic").lower().removeprefix("faq/")
    entry = _entry_from_form(ctx, f"faq/{topic}")
    entries, _, drafts = await _faq_entries(ctx)
    errors = []
    if not re.fullmatch(r"[a-z0-9_]{1,60}", topic):
        errors.append(content.FlowError(entry.intent, 1, ctx.t("The name is lower case letters, digits and _.")))
    elif entry.intent in entries or entry.intent in drafts:
        errors.append(content.FlowError(entry.intent, 1, ctx.t("An entry with this name exists already.")))
    errors += await _target_errors(ctx, entry)
    if errors:
        return ctx.render("faq_edit.html", status_code=422, entry=entry, topic=topic, is_new=True, errors=errors,
                          targets=await follow_up_targets(ctx),
                          versions=[], current=None, draft=None, test=None)
    async with ctx.app.db.transaction() as session:
        await content.save_draft(session, ctx.me, FAQ, entry.intent, entry.to_yaml(), ctx.now, note=ctx.t("New entry"))
    return redirect(f"/faq/{topic}")


def _entry_from_form(ctx: Ctx, intent: str) -> FaqEntry:
    examples = [line.strip() for line in ctx.field("examples").splitlines() if line.strip()]
    follow_up = [
        content.FollowUp(ctx.field(f"fu{i}_id"), ctx.field(f"fu{i}_en"), ctx.field(f"fu{i}_payload"))
        for i in range(content.MAX_FOLLOW_UPS)
        if ctx.field(f"fu{i}_id") or ctx.field(f"fu{i}_en") or ctx.field(f"fu{i}_payload")
    ]
    return FaqEntry(
        intent=intent, examples=list(dict.fromkeys(examples)), answer_id=ctx.field("answer_id").replace("\r\n", "\n"),
        answer_en=ctx.field("answer_en").replace("\r\n", "\n"), title_id=ctx.field("title_id"), title_en=ctx.field("title_en"),
        follow_up=follow_up,
    )


async def _faq_editor(ctx: Ctx, topic: str, *, entry: FaqEntry | None = None, errors: list[Any] | None = None,
                      status: int = 200, message: str = "") -> Response:
    name = f"faq/{topic}"
    defaults = content.file_faq_entries(ctx.app.content_dir)
    async with ctx.app.db.sessions() as session:
        versions = await content.history(session, FAQ, name)
        current = (await content.published(session, FAQ)).get(name)
    if not versions and name not in defaults:
        raise NotFound()
    draft = versions[0] if versions and versions[0].status == "draft" else None
    archived = current is not None and content.is_archived(current.body)
    if entry is None:
        earlier = next((v for v in versions if not content.is_archived(v.body)), None)
        if draft is not None:
            entry = FaqEntry.from_yaml(draft.body)
        elif current is not None and not archived:
            entry = FaqEntry.from_yaml(current.body)
        elif earlier is not None:
            entry = FaqEntry.from_yaml(earlier.body)
        else:
            entry = defaults[name]
    if errors is None and draft is not None:
        errors = entry.errors()
    return ctx.render("faq_edit.html", status_code=status, entry=entry, topic=topic, is_new=False, errors=errors or [],
                      versions=versions, current=current, draft=draft, message=message, archived=archived,
                      test=await _test_question(ctx, ctx.query("test")), targets=await follow_up_targets(ctx))


@page("/faq/{topic}", allow=CONTENT)
async def faq_edit(ctx: Ctx) -> Response:
    return await _faq_editor(ctx, ctx.request.path_params["topic"], message=ctx.query("done"))


@page("/faq/{topic}", allow=CONTENT, methods=("POST",))
async def faq_save(ctx: Ctx) -> Response:
    """Save the form as a draft; with `publish`, publish it at once if it is valid."""
    topic = ctx.request.path_params["topic"]
    name = f"faq/{topic}"
    defaults = content.file_faq_entries(ctx.app.content_dir)
    entry = _entry_from_form(ctx, name)
    target_errors = await _target_errors(ctx, entry)
    if target_errors:  # a hand-made target is not saved, not even as a draft
        return await _faq_editor(ctx, topic, entry=entry, errors=target_errors, status=422)
    async with ctx.app.db.transaction() as session:
        if name not in defaults and not await content.history(session, FAQ, name):
            raise NotFound()
        row = await content.save_draft(session, ctx.me, FAQ, name, entry.to_yaml(), ctx.now, note=ctx.field("note"))
    errors = entry.errors()
    if ctx.field("action") == "publish":
        if errors:
            return await _faq_editor(ctx, topic, entry=entry, errors=errors, status=422)
        return await _publish(ctx, FAQ, name, row.id, f"/faq/{topic}")
    return redirect(f"/faq/{topic}?done=saved")


async def _publish(ctx: Ctx, kind: str, name: str, version_id: int, back: str) -> Response:
    try:
        async with ctx.app.db.transaction() as session:
            await content.publish(ctx.app, session, ctx.me, kind, name, version_id, ctx.now)
    except LookupError:
        raise NotFound() from None
    except ContentInvalid as exc:
        if kind == FAQ:
            return await _faq_editor(ctx, name.removeprefix("faq/"), errors=exc.errors, status=422)
        return await _flow_editor(ctx, name, errors=exc.errors, status=422)
    await content.store_for(ctx.app).reload()
    return redirect(f"{back}?done=published")


async def _rollback(ctx: Ctx, kind: str, name: str, back: str) -> Response:
    try:
        async with ctx.app.db.transaction() as session:
            await content.rollback(ctx.app, session, ctx.me, kind, name, ctx.now)
    except LookupError:
        raise NotFound() from None
    except ContentInvalid as exc:
        if kind == FAQ:
            return await _faq_editor(ctx, name.removeprefix("faq/"), errors=exc.errors, status=422)
        return await _flow_editor(ctx, name, errors=exc.errors, status=422)
    await content.store_for(ctx.app).reload()
    return redirect(f"{back}?done=rolled_back")


def _version_id(ctx: Ctx) -> int:
    try:
        return int(ctx.field("version"))
    except ValueError:
        raise NotFound() from None


@page("/faq/{topic}/publish", allow=CONTENT, methods=("POST",))
async def faq_publish(ctx: Ctx) -> Response:
    topic = ctx.request.path_params["topic"]
    return await _publish(ctx, FAQ, f"faq/{topic}", _version_id(ctx), f"/faq/{topic}")


@page("/faq/{topic}/rollback", allow=CONTENT, methods=("POST",))
async def faq_rollback(ctx: Ctx) -> Response:
    topic = ctx.request.path_params["topic"]
    return await _rollback(ctx, FAQ, f"faq/{topic}", f"/faq/{topic}")


# --- flows ---------------------------------------------------------------------------------


NEW_FLOW = """flow: {name}
description: ""
triggers:
  commands: [{name}]
steps:
  - say:
      id: "Halo!"
      en: "Hello!"
  - goto: main_menu.menu
"""


@page("/flows", allow=CONTENT)
async def flow_list(ctx: Ctx) -> Response:
    files = content.flow_files(ctx.app.content_dir)
    async with ctx.app.db.sessions() as session:
        pub = await content.published(session, FLOW)
        from bot.storage.models import ContentVersion

        names = set(files) | set(pub) | set((await session.execute(
            select(ContentVersion.name).where(ContentVersion.kind == FLOW).distinct())).scalars())
        drafts = {n: d for n in names if (d := await content.latest_draft(session, FLOW, n)) is not None}
    rows = []
    for name in sorted(names):
        flow = ctx.app.flows.get(name)
        rows.append({"name": name, "description": flow.description if flow else "", "published": pub.get(name),
                     "draft": drafts.get(name), "file": name in files, "live": flow is not None,
                     "archived": name in pub and content.is_archived(pub[name].body)})
    rows.sort(key=lambda r: bool(r["archived"]))
    return ctx.render("flows_list.html", rows=rows)


@page("/flows/new", allow=CONTENT, methods=("POST",))
async def flow_create(ctx: Ctx) -> Response:
    name = ctx.field("name").lower()
    if not content.FLOW_NAME.match(name) or len(name) > 64:
        return redirect("/flows?error=name")
    async with ctx.app.db.transaction() as session:
        if name in content.flow_files(ctx.app.content_dir) or await content.history(session, FLOW, name):
            return redirect(f"/flows/{name}")
        await content.save_draft(session, ctx.me, FLOW, name, NEW_FLOW.format(name=name), ctx.now, note=ctx.t("New flow"))
    return redirect(f"/flows/{name}")


async def _flow_editor(ctx: Ctx, name: str, *, text: str | None = None, errors: list[Any] | None = None,
                       status: int = 200, message: str = "") -> Response:
    files = content.flow_files(ctx.app.content_dir)
    async with ctx.app.db.sessions() as session:
        versions = await content.history(session, FLOW, name)
        current = (await content.published(session, FLOW)).get(name)
        published = await content.published_bodies(session, FLOW)
    if not versions and name not in files:
        raise NotFound()
    draft = versions[0] if versions and versions[0].status == "draft" else None
    if text is None:
        earlier = next((v.body for v in versions if not content.is_archived(v.body)), None)
        live = current.body if current and not content.is_archived(current.body) else None
        text = draft.body if draft else live or earlier or files[name][1]
    if errors is None and draft is not None:
        errors = content.check_flow(ctx.app.content_dir, published, name, text)
    return ctx.render("flow_edit.html", status_code=status, name=name, text=text, errors=errors or [], versions=versions,
                      current=current, draft=draft, in_file=name in files, message=message,
                      archived=current is not None and content.is_archived(current.body))


@page("/flows/{name}", allow=CONTENT)
async def flow_edit(ctx: Ctx) -> Response:
    return await _flow_editor(ctx, ctx.request.path_params["name"], message=ctx.query("done"))


@page("/flows/{name}", allow=CONTENT, methods=("POST",))
async def flow_save(ctx: Ctx) -> Response:
    name = ctx.request.path_params["name"]
    text = ctx.field("yaml").replace("\r\n", "\n")
    async with ctx.app.db.transaction() as session:
        if name not in content.flow_files(ctx.app.content_dir) and not await content.history(session, FLOW, name):
            raise NotFound()
        row = await content.save_draft(session, ctx.me, FLOW, name, text, ctx.now, note=ctx.field("note"))
        errors = content.check_flow(ctx.app.content_dir, await content.published_bodies(session, FLOW), name, text)
    if errors:
        return await _flow_editor(ctx, name, text=text, errors=errors, status=422)
    if ctx.field("action") == "publish":
        return await _publish(ctx, FLOW, name, row.id, f"/flows/{name}")
    return redirect(f"/flows/{name}?done=saved")


@page("/flows/{name}/publish", allow=CONTENT, methods=("POST",))
async def flow_publish(ctx: Ctx) -> Response:
    name = ctx.request.path_params["name"]
    return await _publish(ctx, FLOW, name, _version_id(ctx), f"/flows/{name}")


@page("/flows/{name}/rollback", allow=CONTENT, methods=("POST",))
async def flow_rollback(ctx: Ctx) -> Response:
    name = ctx.request.path_params["name"]
    return await _rollback(ctx, FLOW, name, f"/flows/{name}")


@page("/flows/{name}/try", allow=CONTENT, methods=("POST",))
async def flow_try(ctx: Ctx) -> Response:
    """Run the editor's text (not yet published) for this admin only: JSON
    `{yaml, text | button | restart}` -> `{replies}` or `{errors}`."""
    name = ctx.request.path_params["name"]
    body = ctx.json if isinstance(ctx.json, dict) else {}
    text = str(body.get("yaml") or "")
    async with ctx.app.db.sessions() as session:
        published = await content.published_bodies(session, FLOW)
    try:
        registry = content.build_flows(ctx.app.content_dir, published, {name: text})
    except FlowsInvalid as exc:
        return JSONResponse({"errors": [str(e) for e in exc.errors]}, status_code=422)
    twin = content.preview_app(ctx.app, registry)
    user = f"admin-{ctx.me.user_id}"
    if body.get("restart"):
        event = Event(channel=PREVIEW_CHANNEL, user_id=user, button=StartFlow(name).pack())
    elif body.get("button"):
        event = Event(channel=PREVIEW_CHANNEL, user_id=user, button=str(body["button"])[:256])
    else:
        event = Event(channel=PREVIEW_CHANNEL, user_id=user, text=str(body.get("text") or "")[:4000])
    replies = await twin.engine.handle(event)
    return JSONResponse({"replies": [r.to_dict() for r in replies]})


# --- unanswered questions --------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def group_similar(texts: list[str], threshold: float = 72.0) -> list[list[str]]:
    """Greedy grouping by token-set similarity: good enough for a few thousand short questions."""
    groups: list[tuple[str, list[str]]] = []
    for text in sorted(texts, key=lambda t: (-texts.count(t), t)):
        key = _norm(text)
        if not key:
            continue
        for head, members in groups:
            if fuzz.token_set_ratio(head, key) >= threshold:
                members.append(text)
                break
        else:
            groups.append((key, [text]))
    return sorted((m for _, m in groups), key=lambda m: (-len(m), m[0]))


async def unanswered_texts(ctx: Ctx) -> list[str]:
    """Open questions the bot could not answer (the NLU's `nlu_unanswered`), newest first,
    leaving out those already given as examples somewhere."""
    since = ctx.now - timedelta(days=UNANSWERED_DAYS)
    stmt = (
        select(UnansweredMessage.text)
        .where(UnansweredMessage.resolved_at.is_(None), UnansweredMessage.at >= since, UnansweredMessage.channel != PREVIEW_CHANNEL)
        .order_by(UnansweredMessage.at.desc()).limit(2000)
    )
    async with ctx.app.db.sessions() as session:
        texts = [t for t in (await session.execute(stmt)).scalars() if t and not t.startswith("/")]
    entries, _, drafts = await _faq_entries(ctx)
    known = {_norm(x) for e in entries.values() for x in e.examples}
    known |= {_norm(x) for d in drafts.values() for x in FaqEntry.from_yaml(d.body).examples}
    return [t for t in texts if _norm(t) not in known]


def _intent_targets(ctx: Ctx) -> list[str]:
    """Intents (not FAQ) the NLU knows, that examples may be added to."""
    model = getattr(ctx.app.nlu, "model", None)
    intents = list(getattr(model, "intents", ()) or ())
    return sorted(i for i in intents if not i.startswith("faq/") and i not in FALLBACK_INTENTS)


@page("/unanswered", allow=CONTENT)
async def unanswered(ctx: Ctx) -> Response:
    groups = group_similar(await unanswered_texts(ctx))
    entries, _, drafts = await _faq_entries(ctx)
    async with ctx.app.db.sessions() as session:
        added = await content.published(session, content.INTENT)
    return ctx.render("unanswered.html", groups=[(Counter(g).most_common(1)[0][0], sorted(set(g)), len(g)) for g in groups],
                      targets=sorted(set(entries) | set(drafts)), intents=_intent_targets(ctx), message=ctx.query("done"),
                      added={name: content.intent_examples(row.body) for name, row in sorted(added.items())}, versions=added)


@page("/unanswered/intents/{name}/rollback", allow=CONTENT, methods=("POST",))
async def intent_examples_rollback(ctx: Ctx) -> Response:
    """Undo the last examples added to an intent (the previous set, or none)."""
    return await _rollback(ctx, content.INTENT, ctx.request.path_params["name"], "/unanswered")


async def _resolve(session: Any, texts: list[str], now: Any) -> None:
    await session.execute(
        update(UnansweredMessage).where(UnansweredMessage.text.in_(texts), UnansweredMessage.resolved_at.is_(None)).values(resolved_at=now)
    )


@page("/unanswered/add", allow=CONTENT, methods=("POST",))
async def unanswered_add(ctx: Ctx) -> Response:
    """Add a group's questions as examples: of an FAQ entry (a draft of it, to check and
    publish), or of an intent (published at once, with a version to roll back)."""
    assert ctx.form is not None
    examples = [str(x).strip()[:300] for x in ctx.form.getlist("example") if str(x).strip()][:200]
    target = ctx.field("target")
    if target.startswith("faq/"):
        entries, pub, drafts = await _faq_entries(ctx)
        if target not in entries and target not in drafts:
            raise NotFound()
        base = FaqEntry.from_yaml(drafts[target].body) if target in drafts else entries[target]
        base.examples = list(dict.fromkeys(base.examples + examples))
        async with ctx.app.db.transaction() as session:
            await content.save_draft(session, ctx.me, FAQ, target, base.to_yaml(), ctx.now, note=ctx.t("Examples from unanswered questions"))
            await _resolve(session, examples, ctx.now)
            audit.record(session, ctx.me, "unanswered.add_examples", FAQ, target, ctx.now, count=len(examples))
        return redirect(f"/faq/{target.removeprefix('faq/')}?done=examples_added")
    if target not in _intent_targets(ctx):
        raise NotFound()
    async with ctx.app.db.transaction() as session:
        current = (await content.published(session, content.INTENT)).get(target)
        known = content.intent_examples(current.body) if current else []
        body = content.intent_body(target, list(dict.fromkeys(known + examples)))
        row = await content.save_draft(session, ctx.me, content.INTENT, target, body, ctx.now, note=ctx.t("Examples from unanswered questions"))
        await content.publish(ctx.app, session, ctx.me, content.INTENT, target, row.id, ctx.now)
        await _resolve(session, examples, ctx.now)
        audit.record(session, ctx.me, "unanswered.add_examples", content.INTENT, target, ctx.now, count=len(examples))
    await content.store_for(ctx.app).reload()
    return redirect("/unanswered?done=examples_added")


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- archiving ---------------------------------------------------------------------------------


async def _archive(ctx: Ctx, kind: str, name: str, back: str, exists: bool) -> Response:
    if not exists:
        raise NotFound()
    try:
        async with ctx.app.db.transaction() as session:
            await content.archive(ctx.app, session, ctx.me, kind, name, ctx.now)
    except ContentInvalid as exc:
        if kind == FAQ:
            return await _faq_editor(ctx, name.removeprefix("faq/"), errors=exc.errors, status=422)
        return await _flow_editor(ctx, name, errors=exc.errors, status=422)
    await content.store_for(ctx.app).reload()
    return redirect(f"{back}?done=archived")


@page("/faq/{topic}/archive", allow=CONTENT, methods=("POST",))
async def faq_archive(ctx: Ctx) -> Response:
    """Take the entry out of the answers (restored by rolling back the archiving)."""
    topic = ctx.request.path_params["topic"]
    entries, _, _ = await _faq_entries(ctx)
    return await _archive(ctx, FAQ, f"faq/{topic}", f"/faq/{topic}", f"faq/{topic}" in entries)


@page("/flows/{name}/archive", allow=CONTENT, methods=("POST",))
async def flow_archive(ctx: Ctx) -> Response:
    """Take the flow out of the registry, if no other flow leads to it."""
    name = ctx.request.path_params["name"]
    return await _archive(ctx, FLOW, name, f"/flows/{name}", ctx.app.flows.get(name) is not None)
