"""The knowledge base: checked answers by (topic, aspect), with their public sources.

Content lives in `knowledge/*.yml` (one file per topic; `_aspects.yml` holds how people
ask for each aspect). `KnowledgeBase` loads and validates it, trains the two small
classifiers that find the (topic, aspect) of a message, and answers in the user's
language with the next step. This package depends on `bot.nlu` (normaliser, classifier
training) and nothing of the engine, services, channels, admin, web or cli layers.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bot.knowledge.answer import Answer, no_source_reply, render, sources_reply
from bot.knowledge.content import Knowledge, KnowledgeInvalid, load, parse_texts, read_texts
from bot.knowledge.retrieve import Match, Retriever, asks_for_source

__all__ = ["Answer", "Knowledge", "KnowledgeBase", "KnowledgeInvalid", "Match", "asks_for_source", "load", "parse_texts"]


class KnowledgeBase:
    """The knowledge in force and its retriever; built lazily, once per folder."""

    def __init__(self, directory: Path, cache_dir: Path | None = None) -> None:
        self.directory = Path(directory)
        self.kb = load(self.directory)
        self.retriever = Retriever(self.kb, cache_dir) if self.kb.topics else None

    def match(self, text: str, remembered_topic: str | None = None) -> Match | None:
        if self.retriever is None:
            return None
        return self.retriever.match(text, remembered_topic)

    def answer(self, text: str, lang: str, remembered_topic: str | None = None) -> Answer | None:
        m = self.match(text, remembered_topic)
        return render(m, lang) if m is not None else None

    def sources(self, topic: str | None, aspect: str | None, lang: str) -> Answer:
        t = self.kb.topics.get(topic or "")
        entry = t.entries.get(aspect or "") if t else None
        if t is None or entry is None:
            return no_source_reply(lang)
        return sources_reply(t, entry, lang)


_bases: dict[str, KnowledgeBase] = {}
_lock = threading.Lock()


def knowledge_base(content_dir: Path) -> KnowledgeBase:
    """The knowledge base of a content folder (`<content_dir>/knowledge`), built on first use."""
    key = str(Path(content_dir) / "knowledge")
    with _lock:
        if key not in _bases:
            _bases[key] = KnowledgeBase(Path(key))
        return _bases[key]
