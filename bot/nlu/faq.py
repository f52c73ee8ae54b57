"""FAQ answers: bilingual content in `flows/faq/*.yml`, validated, reloadable at run time.

One file per frequent question:

    intent: faq/cost
    title: {id: "Biaya layanan", en: "What it costs"}
    answer:
      id: |
        ...
      en: |
        ...
    follow_up:                       # buttons under the answer
      - title: {id: "Pesan konsultasi", en: "Book a consultation"}
        payload: "intent:book_consultation?service_area=financing"

`_fallback.yml` holds what the bot says when it is unsure, and the button titles of
the topics it may offer then. A payload `intent:<name>?k=v` becomes the payload of the
flow that intent triggers (`flow:<flow>?k=v`) when the buttons are made, so content
does not need to know flow names; `flow:`/`act:`/`goto:` payloads pass through.

`FaqStore.reload()` reads the files again; `reload(texts)` takes replacement content
(from the admin pages or the database). Invalid content raises `FaqInvalid` naming
file and field, and the store keeps serving what it had.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot import yamltext
from bot.i18n import Text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FollowUp(_Strict):
    title: Text
    payload: str = Field(min_length=1, max_length=256)


class FaqEntry(_Strict):
    intent: str = Field(pattern=r"^faq/[a-z_][a-z0-9_]*$")
    title: Text
    answer: Text
    follow_up: list[FollowUp] = Field(default_factory=list, max_length=3)

    def text(self, lang: str) -> str:
        return self.answer.pick(lang).strip()


class FallbackContent(_Strict):
    text: Text
    no_words: Text
    out_of_scope: Text
    human: FollowUp
    topics: dict[str, Text] = Field(default_factory=dict)
    """Button titles of intents the bot may offer when unsure (FAQ intents use their `title`)."""


class FaqInvalid(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


FALLBACK_FILE = "_fallback.yml"


def parse_faq_texts(texts: dict[str, str]) -> tuple[dict[str, FaqEntry], FallbackContent | None]:
    entries: dict[str, FaqEntry] = {}
    fallback: FallbackContent | None = None
    errors: list[str] = []
    for name, text in sorted(texts.items()):
        try:
            doc = yamltext.safe_load(text)
        except yaml.YAMLError as exc:
            errors.append(f"{name}: not valid YAML: {exc}")
            continue
        try:
            if Path(name).name == FALLBACK_FILE:
                fallback = FallbackContent.model_validate(doc)
                continue
            entry = FaqEntry.model_validate(doc)
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "file"
                errors.append(f"{name}: {where}: {err['msg']}")
            continue
        if entry.intent in entries:
            errors.append(f"{name}: {entry.intent} is answered twice")
        entries[entry.intent] = entry
    if errors:
        raise FaqInvalid(errors)
    return entries, fallback


class FaqStore:
    """The answers in force. Reads are lock-free; a reload swaps the whole content at once."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._entries: dict[str, FaqEntry] = {}
        self._fallback: FallbackContent | None = None
        self._lock = threading.Lock()
        if self.directory is not None:
            self.reload()

    def read_texts(self) -> dict[str, str]:
        if self.directory is None or not self.directory.is_dir():
            return {}
        return {str(p): p.read_text(encoding="utf-8") for p in sorted(self.directory.glob("*.yml"))}

    def reload(self, texts: dict[str, str] | None = None) -> None:
        """Re-read the files, or take `texts` (file name -> YAML) as the new content."""
        entries, fallback = parse_faq_texts(self.read_texts() if texts is None else texts)
        with self._lock:
            self._entries, self._fallback = entries, fallback or self._fallback

    def get(self, intent: str) -> FaqEntry | None:
        return self._entries.get(intent)

    @property
    def intents(self) -> list[str]:
        return sorted(self._entries)

    @property
    def fallback(self) -> FallbackContent | None:
        return self._fallback

    def topic_title(self, intent: str, lang: str) -> str | None:
        entry = self._entries.get(intent)
        if entry is not None:
            return entry.title.pick(lang)
        if self._fallback is not None and intent in self._fallback.topics:
            return self._fallback.topics[intent].pick(lang)
        return None

    def as_dict(self) -> dict[str, Any]:
        return {k: v.model_dump() for k, v in self._entries.items()}
