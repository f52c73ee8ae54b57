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

import yaml

from bot import yamltext
from bot.knowledge.answer import Answer, no_source_reply, render, sources_reply
from bot.knowledge.content import ASPECTS_FILE, Knowledge, KnowledgeInvalid, load, parse_texts, read_texts
from bot.knowledge.retrieve import Match, Retriever, asks_for_source

__all__ = ["Answer", "Knowledge", "KnowledgeBase", "KnowledgeInvalid", "Match", "asks_for_source", "knowledge_base", "load",
           "parse_texts", "topic_files", "topic_of", "with_published", "with_published_base"]


class KnowledgeBase:
    """The knowledge in force and its retriever; built lazily, once per folder."""

    def __init__(self, directory: Path, cache_dir: Path | None = None, texts: dict[str, str] | None = None) -> None:
        """The files of `directory`, or `texts` (file name -> YAML) when given: the files with
        published versions in place (`with_published`)."""
        self.directory = Path(directory)
        self.kb = parse_texts(texts) if texts is not None else load(self.directory)
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
    """The knowledge base of a content folder's files (`<content_dir>/knowledge`), built on first use.
    (Topics admins published are the front desk's own: `FrontDesk.knowledge`.)"""
    key = str(Path(content_dir) / "knowledge")
    with _lock:
        if key not in _bases:
            _bases[key] = KnowledgeBase(Path(key))
        return _bases[key]


def topic_of(text: str) -> str | None:
    """The `topic:` a topic file declares (None when it is not a mapping with one)."""
    try:
        doc = yamltext.safe_load(text)
    except yaml.YAMLError:
        return None
    value = doc.get("topic") if isinstance(doc, dict) else None
    return value if isinstance(value, str) else None


def topic_files(directory: Path) -> dict[str, tuple[str, str]]:
    """Topic name -> (file name, YAML) of the files in `directory` (the defaults)."""
    out: dict[str, tuple[str, str]] = {}
    for name, text in read_texts(Path(directory)).items():
        topic = topic_of(text)
        if topic is not None and Path(name).name != ASPECTS_FILE:
            out[topic] = (name, text)
    return out


def with_published(directory: Path, published: dict[str, str]) -> dict[str, str]:
    """File name -> YAML: the files of `directory`, each topic's file replaced by its published
    version (topic name -> YAML); a published topic without a file gets `<topic>.yml`."""
    texts = read_texts(Path(directory))
    files = topic_files(Path(directory))
    for topic, body in sorted(published.items()):
        name = files[topic][0] if topic in files else str(Path(directory) / f"{topic}.yml")
        texts[name] = body
    return texts


def with_published_base(content_dir: Path, published: dict[str, str]) -> KnowledgeBase:
    """The knowledge base of the files with `published` topics (topic -> YAML) in place. Blocking
    (it may train the models, seconds): call it off the event loop. Raises `KnowledgeInvalid`."""
    folder = Path(content_dir) / "knowledge"
    return KnowledgeBase(folder, texts=with_published(folder, published))
