"""Flows and FAQ entries edited at run time: drafts, publish, roll back, and reload everywhere.

The files in `flows/` (and the FAQ files) are the defaults; a published version in the
database wins over its file. Publishing validates the whole content with the change in
place (a flow with errors is refused), marks the version published, and bumps the one
`content_state.version` counter in the same transaction. Every process compares that
counter with the one it loaded, at most once a second (`ContentStore.ensure_fresh`, run
before each event), and rebuilds its flow registry and FAQ when it moved; the process
that published reloads at once.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import yamltext
from bot.admin import audit
from bot.admin.authz import Principal
from bot.engine.actions import action_names
from bot.engine.flows import FlowError, FlowRegistry, FlowsInvalid, build_registry
from bot.knowledge import KnowledgeInvalid, parse_texts, topic_files, with_published, with_published_base
from bot.knowledge import topic_of as knowledge_topic_of
from bot.storage.models import ContentState, ContentVersion

if TYPE_CHECKING:
    from bot.app import FrontDesk

log = logging.getLogger(__name__)

FLOW = "flow"
FAQ = "faq"
INTENT = "intent"
"""Extra example questions for an intent (from the unanswered questions), on top of nlu/*.yml."""
KNOWLEDGE = "knowledge"
"""A knowledge topic: the YAML of one `knowledge/<topic>.yml` (all its entries, both languages, sources)."""
KINDS = (FLOW, FAQ, INTENT, KNOWLEDGE)
CHECK_INTERVAL = 1.0
"""Seconds between two looks at the content counter in one process."""

ARCHIVED = "archived: true\n"
"""The body of a version that archives a flow or an FAQ entry: published like any version
(validated, audited, rolled back to restore it), it takes the name out of the content in force."""
KEPT_FLOWS = frozenset({"main_menu"})
"""Flows the engine starts by name: never archived."""

FLOW_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def is_archived(body: str | None) -> bool:
    return (body or "").strip() == ARCHIVED.strip()
FAQ_NAME = re.compile(r"^faq/[a-z0-9_]+$")
TOPIC_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


class ContentInvalid(Exception):
    """The content cannot be published; `errors` are FlowError-like (file, line, message)."""

    def __init__(self, errors: list[FlowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


# --- defaults from files -------------------------------------------------------------------


def flow_files(content_dir: Path) -> dict[str, tuple[str, str]]:
    """Flow name -> (file, text) for every `flows/*.yml` (the name is the file's stem)."""
    out = {}
    for path in sorted((Path(content_dir) / "flows").glob("*.yml")):
        out[path.stem] = (f"flows/{path.name}", path.read_text(encoding="utf-8"))
    return out


def flow_texts(content_dir: Path, published: dict[str, str], replace: dict[str, str] | None = None) -> dict[str, str]:
    """File name -> YAML for `build_registry`: files, overridden by published versions,
    overridden by `replace` (a draft being checked or tried)."""
    texts = {name: text for name, (_, text) in flow_files(content_dir).items()}
    texts.update(published)
    texts.update(replace or {})
    return {f"flows/{name}.yml": text for name, text in sorted(texts.items()) if not is_archived(text)}


def build_flows(content_dir: Path, published: dict[str, str], replace: dict[str, str] | None = None) -> FlowRegistry:
    return build_registry(flow_texts(content_dir, published, replace), action_names())


def check_flow(content_dir: Path, published: dict[str, str], name: str, text: str) -> list[FlowError]:
    """Errors of all flows with `text` in place of flow `name`; the draft's own first."""
    errors: list[FlowError] = []
    if not FLOW_NAME.match(name):
        return [FlowError(f"flows/{name}.yml", 1, "a flow name is lower case letters, digits and _")]
    try:
        build_flows(content_dir, published, {name: text})
    except FlowsInvalid as exc:
        errors = list(exc.errors)
    else:
        declared = (yamltext.safe_load(text) or {}).get("flow")
        if declared != name:
            errors.append(FlowError(f"flows/{name}.yml", 1, f"flow: must be `{name}` (the name of this flow), not `{declared}`"))
    mine = f"flows/{name}.yml"
    return sorted(errors, key=lambda e: (e.file != mine, e.file, e.line))


# --- knowledge topics ---------------------------------------------------------------------

_KNOWLEDGE_ERROR = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?P<message>.*)$", re.S)


def knowledge_dir(content_dir: Path) -> Path:
    return Path(content_dir) / "knowledge"


def knowledge_files(content_dir: Path) -> dict[str, tuple[str, str]]:
    """Topic -> (file, YAML) of the knowledge defaults in `knowledge/`."""
    return topic_files(knowledge_dir(content_dir))


def check_knowledge(content_dir: Path, published: dict[str, str], name: str, text: str) -> list[FlowError]:
    """Errors of the whole knowledge base with `text` in place of topic `name` (as
    `frontdesk knowledge check` reports them); the draft's own first."""
    mine = f"knowledge/{name}.yml"
    if not TOPIC_NAME.match(name):
        return [FlowError(mine, 1, "a topic name is lower case letters, digits and _")]
    folder = knowledge_dir(content_dir)
    errors: list[FlowError] = []
    try:
        parse_texts(with_published(folder, {**published, name: text}))
    except KnowledgeInvalid as exc:
        for raw in exc.errors:
            m = _KNOWLEDGE_ERROR.match(raw)
            file, line, message = (m["file"], int(m["line"]), m["message"]) if m else (mine, 1, raw)
            errors.append(FlowError(f"knowledge/{Path(file).name}", line, message))
    declared = knowledge_topic_of(text)
    if declared is not None and declared != name:
        errors.append(FlowError(mine, 1, f"topic: must be `{name}` (the topic of this page), not `{declared}`"))
    files = knowledge_files(content_dir)
    own = f"knowledge/{Path(files[name][0]).name}" if name in files else mine
    return sorted(errors, key=lambda e: (e.file != own, e.file, e.line))


async def apply_knowledge(app: FrontDesk, published: dict[str, str]) -> None:
    """Put the knowledge files with the published topics in place in force in this front desk
    (none published: the files). Retraining, when the questions it learns from changed, takes
    seconds in a child process: a worker thread waits for it, not the event loop."""
    if not published:
        app.knowledge = None
        return
    app.knowledge = await asyncio.to_thread(with_published_base, Path(app.settings.content_dir), published)


# --- FAQ entries ---------------------------------------------------------------------------


MAX_FOLLOW_UPS = 3


@dataclass
class FollowUp:
    title_id: str
    title_en: str
    payload: str


@dataclass
class FaqEntry:
    """One frequent question as the admin edits it: the FAQ store's entry (intent, title,
    answer, follow-up buttons) plus its example questions (the NLU's training data)."""

    intent: str
    examples: list[str]
    answer_id: str
    answer_en: str
    title_id: str = ""
    title_en: str = ""
    follow_up: list[FollowUp] = field(default_factory=list)

    def store_dict(self) -> dict[str, Any]:
        """The shape of a `flows/faq/*.yml` file (what the FAQ store reads)."""
        return {
            "intent": self.intent,
            "title": {"id": self.title_id or self.intent, "en": self.title_en or self.intent},
            "answer": {"id": self.answer_id, "en": self.answer_en},
            "follow_up": [{"title": {"id": f.title_id, "en": f.title_en}, "payload": f.payload} for f in self.follow_up],
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.store_dict(), "examples": list(self.examples)}

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False, width=120)

    def store_yaml(self) -> str:
        return yaml.safe_dump(self.store_dict(), allow_unicode=True, sort_keys=False, width=120)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaqEntry:
        answer = data.get("answer") or {}
        title = data.get("title") or {}
        follow = []
        for item in data.get("follow_up") or []:
            t = (item or {}).get("title") or {}
            follow.append(FollowUp(str(t.get("id") or ""), str(t.get("en") or ""), str((item or {}).get("payload") or "")))
        return cls(
            intent=str(data.get("intent") or ""),
            examples=[str(x) for x in data.get("examples") or []],
            answer_id=str(answer.get("id") or "").strip(),
            answer_en=str(answer.get("en") or "").strip(),
            title_id=str(title.get("id") or ""),
            title_en=str(title.get("en") or ""),
            follow_up=follow,
        )

    @classmethod
    def from_yaml(cls, text: str) -> FaqEntry:
        data = yamltext.safe_load(text) or {}
        return cls.from_dict(data if isinstance(data, dict) else {})

    def errors(self) -> list[FlowError]:
        file = f"{self.intent or 'faq'}"
        out = []
        if not FAQ_NAME.match(self.intent):
            out.append(FlowError(file, 0, "the name is faq/ followed by lower case letters, digits and _"))
        if len([e for e in self.examples if e.strip()]) < 2:
            out.append(FlowError(file, 0, "give at least two example questions"))
        if not self.answer_id.strip():
            out.append(FlowError(file, 0, "the Indonesian answer is empty"))
        if not self.answer_en.strip():
            out.append(FlowError(file, 0, "the English answer is empty"))
        if len(self.follow_up) > MAX_FOLLOW_UPS:
            out.append(FlowError(file, 0, "at most three follow-up buttons"))
        for f in self.follow_up:
            if not (f.title_id.strip() and f.title_en.strip()):
                out.append(FlowError(file, 0, "a follow-up button needs a title in both languages"))
            if not f.payload.strip():
                out.append(FlowError(file, 0, "a follow-up button needs a target (e.g. intent:book_consultation)"))
        if not out:
            out += store_errors(self)
        return out


def store_errors(entry: FaqEntry) -> list[FlowError]:
    """The FAQ store's own validation of the entry, when the NLU module is installed."""
    try:
        from bot.nlu.faq import FaqInvalid, parse_faq_texts
    except ImportError:
        return []
    try:
        parse_faq_texts({f"flows/faq/{entry.intent[4:]}.yml": entry.store_yaml()})
    except FaqInvalid as exc:
        return [FlowError(entry.intent, 0, msg) for msg in exc.errors]
    return []


def file_faq_entries(content_dir: Path) -> dict[str, FaqEntry]:
    """The FAQ defaults from the content files: answers from `flows/faq/*.yml`, example
    questions from the NLU training data (`nlu/*.yml`, Rasa retrieval intents `faq/<topic>`)."""
    from bot.admin import faq_files

    return faq_files.read_entries(Path(content_dir))


def intent_body(intent: str, examples: list[str]) -> str:
    return yaml.safe_dump({"intent": intent, "examples": examples}, allow_unicode=True, sort_keys=False, width=200)


def intent_examples(body: str) -> list[str]:
    data = yamltext.safe_load(body) or {}
    return [str(x) for x in (data.get("examples") or [])] if isinstance(data, dict) else []


async def apply_faq(app: FrontDesk, entries: dict[str, FaqEntry], extra_examples: dict[str, list[str]] | None = None,
                    archived: set[str] | None = None) -> None:
    """Put the FAQ content in force: answers into the FAQ store, example questions into
    the NLU's training data (it retrains only when the examples changed). Archived entries
    lose their answer and their example questions."""
    from bot.admin import faq_files

    nlu = app.nlu
    if getattr(nlu, "faq", None) is not None and "faq_texts" in inspect.signature(nlu.reload).parameters:
        faq_texts, training_texts = faq_files.texts_for(Path(app.content_dir), entries, extra_examples or {}, archived)
        kwargs: dict[str, Any] = {"faq_texts": faq_texts}
        if "training_texts" in inspect.signature(nlu.reload).parameters:
            kwargs["training_texts"] = training_texts
        await nlu.reload(**kwargs)
    app.admin_faq = entries


# --- versions ------------------------------------------------------------------------------


async def published(session: AsyncSession, kind: str) -> dict[str, ContentVersion]:
    rows = (await session.execute(select(ContentVersion).where(ContentVersion.kind == kind, ContentVersion.status == "published"))).scalars()
    return {row.name: row for row in rows}


async def published_bodies(session: AsyncSession, kind: str) -> dict[str, str]:
    return {name: row.body for name, row in (await published(session, kind)).items()}


async def names_with_versions(session: AsyncSession, kind: str) -> set[str]:
    """Every name of `kind` that has a version (published, draft or retired)."""
    return set((await session.execute(select(ContentVersion.name).where(ContentVersion.kind == kind).distinct())).scalars())


async def history(session: AsyncSession, kind: str, name: str) -> list[ContentVersion]:
    stmt = select(ContentVersion).where(ContentVersion.kind == kind, ContentVersion.name == name).order_by(ContentVersion.number.desc())
    return list((await session.execute(stmt)).scalars())


async def version(session: AsyncSession, kind: str, name: str, version_id: int) -> ContentVersion | None:
    row = await session.get(ContentVersion, version_id)
    return row if row is not None and row.kind == kind and row.name == name else None


async def latest_draft(session: AsyncSession, kind: str, name: str) -> ContentVersion | None:
    """The newest version if it is a draft (an unpublished edit waiting)."""
    rows = await history(session, kind, name)
    return rows[0] if rows and rows[0].status == "draft" else None


async def save_draft(session: AsyncSession, principal: Principal, kind: str, name: str, body: str, now: datetime, note: str | None = None) -> ContentVersion:
    """Save an edit as a new draft version (a draft may have errors; it cannot be published)."""
    number = (await session.scalar(
        select(ContentVersion.number).where(ContentVersion.kind == kind, ContentVersion.name == name)
        .order_by(ContentVersion.number.desc()).limit(1)
    )) or 0
    row = ContentVersion(kind=kind, name=name, number=number + 1, body=body, status="draft", note=(note or None) and note[:256],
                         author_id=principal.user_id, author_name=principal.username, created_at=now)
    session.add(row)
    await session.flush()
    audit.record(session, principal, f"{kind}.save_draft", kind, name, now, version=row.number)
    return row


async def validate(app: FrontDesk, session: AsyncSession, kind: str, name: str, body: str) -> list[FlowError]:
    if is_archived(body):
        return await _archive_errors(app, session, kind, name)
    if kind == FLOW:
        return check_flow(app.content_dir, await published_bodies(session, FLOW), name, body)
    if kind == INTENT:
        return [] if intent_examples(body) else [FlowError(name, 0, "give at least two example questions")]
    if kind == KNOWLEDGE:
        return check_knowledge(app.content_dir, await published_bodies(session, KNOWLEDGE), name, body)
    try:
        entry = FaqEntry.from_yaml(body)
    except yaml.YAMLError as exc:
        return [FlowError(name, 1, f"not valid YAML: {exc}")]
    errors = entry.errors()
    if entry.intent != name:
        errors.append(FlowError(name, 1, f"the entry is named {entry.intent!r}, expected {name!r}"))
    return errors


async def _archive_errors(app: FrontDesk, session: AsyncSession, kind: str, name: str) -> list[FlowError]:
    """Archiving a flow must leave every other flow valid (none may lead to it)."""
    if kind == INTENT:
        return [FlowError(name, 0, "example sets are rolled back, not archived")]
    if kind != FLOW:
        return []
    if name in KEPT_FLOWS:
        return [FlowError(f"flows/{name}.yml", 0, "the main menu cannot be archived")]
    try:
        build_flows(app.content_dir, await published_bodies(session, FLOW), {name: ARCHIVED})
    except FlowsInvalid as exc:
        return list(exc.errors)
    return []


async def archive(app: FrontDesk, session: AsyncSession, principal: Principal, kind: str, name: str, now: datetime) -> ContentVersion:
    """Take a flow or an FAQ entry out of the content in force, as a new published version
    (its history stays; rolling back the archiving restores it). `ContentInvalid` when
    other flows still lead to the flow."""
    row = await save_draft(session, principal, kind, name, ARCHIVED, now, note="archived")
    return await publish(app, session, principal, kind, name, row.id, now, action="archive")


async def publish(app: FrontDesk, session: AsyncSession, principal: Principal, kind: str, name: str, version_id: int, now: datetime, *, action: str = "publish") -> ContentVersion:
    """Publish one version (after validating everything with it in place)."""
    row = await version(session, kind, name, version_id)
    if row is None:
        raise LookupError(f"no version {version_id} of {kind} {name}")
    errors = await validate(app, session, kind, name, row.body)
    if errors:
        raise ContentInvalid(errors)
    await session.execute(
        update(ContentVersion).where(ContentVersion.kind == kind, ContentVersion.name == name, ContentVersion.status == "published")
        .values(status="retired")
    )
    row.status = "published"
    row.published_at = now
    await bump(session, now)
    audit.record(session, principal, f"{kind}.{action}", kind, name, now, version=row.number)
    return row


async def rollback(app: FrontDesk, session: AsyncSession, principal: Principal, kind: str, name: str, now: datetime) -> ContentVersion | None:
    """Undo the newest publish: publish the previously published version, or, when there
    is none, go back to the file default. Returns the version now in force (None = file)."""
    current = (await published(session, kind)).get(name)
    if current is None:
        raise LookupError(f"{kind} {name} has no published version to roll back")
    earlier = (await session.execute(
        select(ContentVersion).where(
            ContentVersion.kind == kind, ContentVersion.name == name, ContentVersion.number < current.number,
            ContentVersion.published_at.is_not(None),
        ).order_by(ContentVersion.number.desc()).limit(1)
    )).scalar_one_or_none()
    if earlier is not None:
        return await publish(app, session, principal, kind, name, earlier.id, now, action="rollback")
    current.status = "retired"
    await bump(session, now)
    audit.record(session, principal, f"{kind}.rollback", kind, name, now, version=0, to="file")
    return None


async def bump(session: AsyncSession, now: datetime) -> None:
    result = await session.execute(update(ContentState).where(ContentState.id == 1).values(version=ContentState.version + 1, updated_at=now))
    if not getattr(result, "rowcount", 0):  # a CursorResult; `execute` is typed as returning Result
        session.add(ContentState(id=1, version=1, updated_at=now))


async def read_version(session: AsyncSession) -> int:
    return int(await session.scalar(select(ContentState.version).where(ContentState.id == 1)) or 0)


# --- the content in force in this process -------------------------------------------------


class ContentStore:
    """What this process has loaded, and the cheap check that keeps it current."""

    def __init__(self, app: FrontDesk) -> None:
        self.app = app
        self.loaded_version: int | None = None
        self.knowledge_in_force: dict[str, str] | None = None
        """The published knowledge topics this process put in force (None: the files, untouched)."""
        self._checked_at = float("-inf")
        self._lock = asyncio.Lock()

    async def ensure_fresh(self) -> None:
        """Reload if another process published since the last look (at most one look a second)."""
        if time.monotonic() - self._checked_at < CHECK_INTERVAL:
            return
        async with self._lock:
            if time.monotonic() - self._checked_at < CHECK_INTERVAL:
                return
            self._checked_at = time.monotonic()
            async with self.app.db.sessions() as session:
                current = await read_version(session)
            if current == 0 and self.loaded_version is None:
                self.loaded_version = 0  # nothing was ever published: the files in force are it
            elif current != self.loaded_version:
                await self.reload()

    async def reload(self) -> None:
        """Load published flows and FAQ over the file defaults and put them in force."""
        async with self.app.db.sessions() as session:
            current = await read_version(session)
            flows = await published_bodies(session, FLOW)
            faqs = await published_bodies(session, FAQ)
            intents = await published_bodies(session, INTENT)
            knowledge = await published_bodies(session, KNOWLEDGE)
        try:
            self.app.flows = build_flows(self.app.content_dir, flows)
        except FlowsInvalid as exc:  # e.g. a deploy removed an action a published flow calls
            log.error("published flows do not validate; keeping the flows in force:\n%s", exc)
        entries = file_faq_entries(self.app.content_dir)
        archived = {name for name, body in faqs.items() if is_archived(body)}
        for name, body in faqs.items():
            if name in archived:
                entries.pop(name, None)
                continue
            try:
                entries[name] = FaqEntry.from_yaml(body)
            except yaml.YAMLError:
                log.error("published FAQ %s is not valid YAML; keeping the default", name)
        try:
            await apply_faq(self.app, entries, {name: intent_examples(body) for name, body in intents.items()}, archived)
        except Exception:  # invalid content leaves the FAQ store serving what it had
            log.exception("the FAQ content could not be put in force")
        if knowledge != (self.knowledge_in_force or {}):
            try:
                await apply_knowledge(self.app, knowledge)
            except KnowledgeInvalid as exc:  # e.g. a deploy changed the files under a published topic
                log.error("published knowledge does not validate; keeping the knowledge in force:\n%s", exc)
            else:
                self.knowledge_in_force = knowledge
        self.loaded_version = current
        self._checked_at = time.monotonic()


def store_for(app: FrontDesk) -> ContentStore:
    store = app.admin_content
    if store is None:
        store = app.admin_content = ContentStore(app)
    return store


def install(app: FrontDesk) -> ContentStore:
    """Check for published content before each event this process handles."""
    store = store_for(app)
    app.engine.before_event(store.ensure_fresh)
    return store


def preview_app(app: FrontDesk, flows: FlowRegistry) -> FrontDesk:
    """A front desk that runs `flows` (a draft) on the same database, NLU and texts,
    for trying a flow before publishing it."""
    from bot.engine.engine import Engine

    twin = copy.copy(app)
    twin.flows = flows
    twin.engine = Engine(twin, hooks=app.engine.hooks, flood_limited=False)  # an admin trying a draft is no flood
    return twin
