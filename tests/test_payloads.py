"""Every button payload the bot can produce fits every channel: built through the codec
(`bot/payloads.py`), refused past 256 characters when built, and stored as a
reference by the outbox when a platform's own limit is shorter."""

from __future__ import annotations

import ast
import csv
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.app import FrontDesk
from bot.domain.booking import new_reference
from bot.domain.slots import SERVICE_AREAS
from bot.engine.events import Button, Reply
from bot.payloads import (
    MAX_PAYLOAD, NO, YES, Answer, ByIntent, Goto, Language, PayloadInvalid, PayloadTooLong, RunAction, StartFlow,
    parse_payload,
)
from bot.outbox import Message, post, resolve_payload
from bot.storage.models.outbox import OutboxMessage
from tests.conftest import ROOT

TELEGRAM_CALLBACK_DATA = 64  # bytes
WHATSAPP_BUTTON_ID = 256  # characters
WHATSAPP_ROW_ID = 200  # characters


def _longest(values: list[str]) -> str:
    return max(values, key=lambda v: (len(v.encode()), v))


def _column(path: Path, name: str) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return [row[name] for row in csv.DictReader(line for line in f if not line.startswith("#"))]


def every_payload() -> list[str]:
    """What the dialogue builds, with the longest values the data holds, and what the
    content (flows, FAQ) holds."""
    center = _longest(_column(ROOT / "data" / "centers.csv", "code"))
    place = _longest(_column(ROOT / "data" / "regions.csv", "code"))
    area = _longest(list(SERVICE_AREAS))
    ref = new_reference()
    faq_intents = [f"faq/{p.stem}" for p in (ROOT / "flows" / "faq").glob("*.yml") if not p.stem.startswith("_")]
    built = [
        StartFlow("book_consultation", {"center": center, "area": area}),
        StartFlow("book_consultation", {"center": center}),
        StartFlow("book_consultation"), StartFlow("main_menu"), StartFlow("my_bookings"),
        StartFlow("my_bookings", {"op": "reschedule", "ref": ref}), StartFlow("my_bookings", {"op": "cancel", "ref": ref}),
        RunAction("centers.details", {"center": center}), RunAction("centers.directions", {"center": center}),
        RunAction("booking.accept", {"ref": ref}), RunAction("booking.decline", {"ref": ref}),
        RunAction("handoff.take", {"id": str(2**63 - 1)}), RunAction("handoff.rate", {"id": str(2**63 - 1), "r": "5"}),
        RunAction("faq.answer", {"intent": _longest(faq_intents)}),
        Answer("center", center), Answer("area", area), Answer("place", place), Answer("day", "2026-11-24"),
        Answer("time", "2026-11-24T01:30:00+00:00"), YES, NO, Language("id"), Language("en"),
    ]
    from bot.knowledge import load
    from bot.knowledge.answer import next_steps

    topics = load(ROOT / "knowledge").topics.values()
    knowledge_follow_ups = [f.payload for t in topics for lang in ("id", "en") for f in next_steps(t, lang)]
    payloads = [p.pack() for p in built] + knowledge_follow_ups
    flows = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in (ROOT / "flows").glob("*.yml")]
    faqs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in (ROOT / "flows" / "faq").glob("*.yml")]
    longest_flow = _longest([f["flow"] for f in flows])
    for doc in flows + faqs:
        for value in _strings(doc):
            try:
                parse_payload(value)
            except PayloadInvalid:
                continue
            payloads.append(value)
    for value in list(payloads):
        parsed = parse_payload(value)
        if isinstance(parsed, ByIntent):  # resolved to the flow the intent triggers (bot/dialogue/faq.py)
            payloads.append(StartFlow(longest_flow, parsed.params).pack())
    for flow in flows:  # menu options become `goto:<flow>.<step>`
        steps = [s.get("id", "") for s in flow.get("steps", []) if isinstance(s, dict)]
        payloads.append(Goto(f"{longest_flow}.{_longest(steps + [''])}").pack())
    return sorted(set(payloads))


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def test_the_payload_list_holds_the_long_ones() -> None:
    payloads = every_payload()
    assert "flow:book_consultation?center=plut-manggarai-barat&area=institutional" in payloads
    assert any(len(p.encode()) > TELEGRAM_CALLBACK_DATA for p in payloads), "the list would not test the storing"
    assert all(len(p) <= MAX_PAYLOAD for p in payloads)


async def test_every_payload_fits_every_channel_and_comes_back_whole(app: FrontDesk) -> None:
    payloads = every_payload()
    replies = [Reply(text="x", buttons=[Button("b", p)]) for p in payloads]  # reply buttons
    replies.append(Reply(text="x", options=[Button(f"row {i}", p) for i, p in enumerate(payloads)]))  # list rows
    async with app.db.transaction() as s:
        for channel in ("telegram", "whatsapp"):
            await post(s, [Message(channel, "u1", r.to_dict(), key=f"{channel}:{i}") for i, r in enumerate(replies)],
                       now=app.clock.now())
    async with app.db.transaction() as s:
        rows = list((await s.execute(select(OutboxMessage))).scalars())
        seen: dict[str, set[str]] = {"telegram": set(), "whatsapp": set()}
        for row in rows:
            for field in ("buttons", "options"):
                for b in row.payload.get(field) or []:
                    data = b["payload"]
                    if row.channel == "telegram":
                        assert len(data.encode()) <= TELEGRAM_CALLBACK_DATA, data
                    elif field == "buttons" and len(row.payload["buttons"]) <= 3:
                        assert len(data) <= WHATSAPP_BUTTON_ID, data
                    else:
                        assert len(data) <= WHATSAPP_ROW_ID, data
                    seen[row.channel].add(await resolve_payload(s, data) or "")
    assert seen["telegram"] == set(payloads) and seen["whatsapp"] == set(payloads)


def test_a_payload_past_the_limit_is_refused_when_built() -> None:
    with pytest.raises(PayloadTooLong):
        StartFlow("book_consultation", {"note": "x" * MAX_PAYLOAD}).pack()
    with pytest.raises(PayloadTooLong):
        Answer("center", "x" * MAX_PAYLOAD).pack()


def test_payloads_read_back_as_they_were_built() -> None:
    for payload in (StartFlow("book_consultation", {"center": "plut-maros", "area": "it"}), Goto("talk_to_consultant.question",
                    {"service_area": "hr"}), RunAction("faq.answer", {"intent": "faq/cost"}), Language("en"),
                    ByIntent("find_center"), Answer("day", "2026-11-24"), YES):
        assert parse_payload(payload.pack()) == payload
    assert RunAction("handoff.request", {"area": "marketing", "q": "Cara jualan online"}).pack() == \
        "act:handoff.request?area=marketing&q=Cara+jualan+online"
    for bad in ("", "hello", "flow:", "lang:fr", "x" * (MAX_PAYLOAD + 1)):
        with pytest.raises(PayloadInvalid):
            parse_payload(bad)


_HAND_BUILT = re.compile(r"^(flow|goto|act|lang|intent|day|time|center|area|place):")


def test_no_payload_is_put_together_by_hand() -> None:
    """Every payload in the code goes through the codec: no string literal of bot/ (but the
    codec's own) starts like one."""
    found = []
    for path in (ROOT / "bot").rglob("*.py"):
        if path.name == "payloads.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                text = str(node.values[0].value)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if _HAND_BUILT.match(text) and not re.search(r"\s|`", text):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text[:60]}")
    assert found == []
