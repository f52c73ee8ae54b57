"""What goes into the engine (`Event`) and what comes out (`Reply`).

Channels translate their wire format into an `Event` and the engine's `Reply`
list back; nothing else of a channel reaches flows, language or booking rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.edge import clean_text, valid_coordinates


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Contact:
    phone: str
    name: str | None = None

    def __post_init__(self) -> None:
        if type(self.phone) is str:
            object.__setattr__(self, "phone", clean_text(self.phone))
        if type(self.name) is str:
            object.__setattr__(self, "name", clean_text(self.name))


@dataclass(frozen=True, slots=True)
class Event:
    """One inbound message of one user on one channel.

    Exactly one of `text`, `location`, `button`, `contact`, `command` is set.
    `message_id` is the platform's id; a repeated id is processed once.
    """

    channel: str
    user_id: str
    message_id: str | None = None
    text: str | None = None
    location: Location | None = None
    button: str | None = None
    contact: Contact | None = None
    command: str | None = None
    command_args: str = ""
    display_name: str | None = None
    received_at: datetime | None = None

    def __post_init__(self) -> None:
        # Every channel builds its events here: NUL and unpaired surrogates go (`bot.edge`).
        for name in _EVENT_TEXTS:
            value = getattr(self, name)
            if type(value) is str:
                cleaned = clean_text(value)
                if cleaned is not value:
                    object.__setattr__(self, name, cleaned)

    @property
    def valid_location(self) -> bool:
        """False for a shared point that is not on Earth (latitude 91, NaN, infinity)."""
        loc = self.location
        return loc is None or valid_coordinates(loc.latitude, loc.longitude)

    @property
    def kind(self) -> str:
        for name in ("text", "location", "button", "contact", "command"):
            if getattr(self, name) is not None:
                return name
        return "empty"


@dataclass(frozen=True, slots=True)
class Media:
    """A photo, document or other non-text message. `ref` is the platform's file or media id."""

    channel: str
    user_id: str
    message_id: str
    kind: str  # photo | document | unsupported
    ref: str | None
    caption: str = ""
    display_name: str | None = None
    filename: str | None = None
    mime_type: str | None = None

    def __post_init__(self) -> None:
        for name in _MEDIA_TEXTS:
            value = getattr(self, name)
            if type(value) is str:
                object.__setattr__(self, name, clean_text(value))


_EVENT_TEXTS = ("user_id", "message_id", "text", "button", "command", "command_args", "display_name")
_MEDIA_TEXTS = ("user_id", "message_id", "ref", "caption", "display_name", "filename", "mime_type")


@dataclass(frozen=True, slots=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class Venue:
    latitude: float
    longitude: float
    title: str
    address: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    mime_type: str
    content: bytes
    caption: str = ""


@dataclass(slots=True)
class Reply:
    """One outbound message. `text` with optional `buttons` (quick choices) or
    `options` (a longer list), or one of the other kinds."""

    text: str | None = None
    buttons: list[Button] = field(default_factory=list)
    options: list[Button] = field(default_factory=list)
    options_title: str | None = None
    request_location: bool = False
    request_contact: bool = False
    venue: Venue | None = None
    document: Document | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by `frontdesk chat --jsonl`, the try-it page and the outbox."""
        out: dict[str, Any] = {}
        if self.text is not None:
            out["text"] = self.text
        if self.buttons:
            out["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.options:
            out["options"] = [{"title": b.title, "payload": b.payload} for b in self.options]
            if self.options_title:
                out["options_title"] = self.options_title
        if self.request_location:
            out["request_location"] = True
        if self.request_contact:
            out["request_contact"] = True
        if self.venue is not None:
            v = self.venue
            out["venue"] = {
                "latitude": v.latitude,
                "longitude": v.longitude,
                "title": v.title,
                "address": v.address,
                "url": v.url,
            }
        if self.document is not None:
            import base64

            d = self.document
            out["document"] = {
                "filename": d.filename,
                "mime_type": d.mime_type,
                "caption": d.caption,
                "content_base64": base64.b64encode(d.content).decode("ascii"),
            }
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        import base64

        venue = data.get("venue")
        doc = data.get("document")
        return cls(
            text=data.get("text"),
            buttons=[Button(b["title"], b["payload"]) for b in data.get("buttons", [])],
            options=[Button(b["title"], b["payload"]) for b in data.get("options", [])],
            options_title=data.get("options_title"),
            request_location=bool(data.get("request_location")),
            request_contact=bool(data.get("request_contact")),
            venue=Venue(**venue) if venue else None,
            document=Document(
                filename=doc["filename"],
                mime_type=doc["mime_type"],
                caption=doc.get("caption", ""),
                content=base64.b64decode(doc["content_base64"]),
            )
            if doc
            else None,
        )
