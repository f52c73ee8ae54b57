"""The knowledge files: one YAML file per topic in `knowledge/`, validated with pydantic.

    topic: kur
    service_area: financing          # whose consultant is the next step
    title: {id: "KUR", en: "KUR loans"}
    names: [kur, kredit usaha rakyat, ...]   # how people name the topic (training)
    entries:
      - aspect: figures
        id: |
          ...
        en: |
          ...
        examples: ["bunga kur berapa persen"]   # optional extra training questions
        sources:
          - title: "..."
            url: https://...
            checked: 2026-11-30

`_aspects.yml` holds the aspect phrasings (`{t}` stands for a topic name) and the
phrases that belong to no topic. `_questions.yml` holds labelled owner questions, which both
models learn from:

    questions:
      - {q: "sy jualan bakso, kur 30jt hrs ada jaminan ga", lang: id, topic: kur, aspect: requirements}
      - {q: "resep bakso sapi enak", lang: id, topic: null, aspect: null}   # not the knowledge base's

Every problem is reported as `file:line: message`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot import yamltext
from bot.domain.areas import SERVICE_AREAS
from bot.nlu.normalise import normalise

ASPECTS: tuple[str, ...] = ("overview", "cost", "requirements", "steps", "duration", "where", "eligibility", "figures")
"""What owners ask about a topic: what it is, what it costs, what to prepare, how, how long
(or how long it is valid), where, who qualifies, and the numbers (rates, ceilings, fees)."""

ASPECTS_FILE = "_aspects.yml"
QUESTIONS_FILE = "_questions.yml"
LANGS = ("id", "en", "mix")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?:/[^\s]*)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bilingual(_Strict):
    id: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def pick(self, lang: str) -> str:
        return (self.en if lang == "en" else self.id).strip()


class Source(_Strict):
    title: str = Field(min_length=3)
    url: str | None = None
    ref: str | None = None
    """A document of this project (for the bot's own data), when there is no public page."""
    checked: date

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not _URL.match(v.strip()):
            raise ValueError(f"not a well-formed http(s) link: {v!r}")
        return v.strip() if v else v

    @model_validator(mode="after")
    def _where(self) -> Source:
        if not self.url and not self.ref:
            raise ValueError("a source needs a url (or a ref to a document of this project)")
        return self


class Entry(_Strict):
    aspect: str
    id: str = Field(min_length=1)
    en: str = Field(min_length=1)
    examples: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)

    @field_validator("aspect")
    @classmethod
    def _aspect(cls, v: str) -> str:
        if v not in ASPECTS:
            raise ValueError(f"unknown aspect {v!r}; one of {', '.join(ASPECTS)}")
        return v

    @field_validator("id", "en")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("empty answer")
        return v

    def text(self, lang: str) -> str:
        return (self.en if lang == "en" else self.id).strip()


class TopicFile(_Strict):
    topic: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    service_area: str
    title: Bilingual
    names: list[str] = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    """Words of the topic's domain that point at it when no name is given: things, documents and
    situations owners mention ("stiker", "komposisi" for labels; "buyer luar negeri", "packing list"
    for export). Weaker than a name (retrieve.KEYWORD_BONUS)."""
    entries: list[Entry] = Field(min_length=1)

    @field_validator("service_area")
    @classmethod
    def _area(cls, v: str) -> str:
        if v not in SERVICE_AREAS:
            raise ValueError(f"unknown service area {v!r}; one of {', '.join(SERVICE_AREAS)}")
        return v


class AspectsFile(_Strict):
    aspects: dict[str, list[str]]
    cues: dict[str, list[str]] = Field(default_factory=dict)
    """Words that point at an aspect whatever the sentence around them ("biaya", "syarat", "how long")."""
    no_topic: list[str] = Field(default_factory=list)
    elsewhere: list[str] = Field(default_factory=list)
    """Phrases of questions another part of the bot answers (a center's opening hours: the FAQ and
    the find-a-center flow): a message holding one is not the knowledge base's, whatever topic it names."""

    @field_validator("aspects")
    @classmethod
    def _known(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(v) - set(ASPECTS))
        if unknown:
            raise ValueError(f"unknown aspects {unknown}; use {', '.join(ASPECTS)}")
        return v

    @field_validator("cues")
    @classmethod
    def _known_cues(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(v) - set(ASPECTS))
        if unknown:
            raise ValueError(f"unknown aspects {unknown}; use {', '.join(ASPECTS)}")
        return v


class Question(_Strict):
    """An owner question and the entry it should be shown: (topic, aspect), or (null, null) for a
    question that is not the knowledge base's."""
    q: str = Field(min_length=2)
    lang: str
    topic: str | None
    aspect: str | None

    @field_validator("lang")
    @classmethod
    def _lang(cls, v: str) -> str:
        if v not in LANGS:
            raise ValueError(f"unknown language {v!r}; one of {', '.join(LANGS)}")
        return v

    @model_validator(mode="after")
    def _both(self) -> Question:
        if (self.topic is None) != (self.aspect is None):
            raise ValueError("topic and aspect are both given, or both null (a question that is not the knowledge base's)")
        if self.aspect is not None and self.aspect not in ASPECTS:
            raise ValueError(f"unknown aspect {self.aspect!r}; one of {', '.join(ASPECTS)}")
        return self


class QuestionsFile(_Strict):
    questions: list[Question] = Field(default_factory=list)


class KnowledgeInvalid(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Topic:
    name: str
    service_area: str
    title: Bilingual
    names: list[str]
    entries: dict[str, Entry]
    file: str
    keywords: list[str] = field(default_factory=list)


@dataclass
class Knowledge:
    topics: dict[str, Topic] = field(default_factory=dict)
    aspect_phrases: dict[str, list[str]] = field(default_factory=dict)
    aspect_cues: dict[str, list[str]] = field(default_factory=dict)
    no_topic: list[str] = field(default_factory=list)
    elsewhere: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    """Labelled owner questions (`_questions.yml`): training data for both models."""

    def get(self, topic: str, aspect: str) -> Entry | None:
        t = self.topics.get(topic)
        return t.entries.get(aspect) if t else None

    @property
    def entry_count(self) -> int:
        return sum(len(t.entries) for t in self.topics.values())

    def pairs(self) -> list[tuple[str, str]]:
        return [(t.name, a) for t in self.topics.values() for a in t.entries]


# --- YAML with line numbers -------------------------------------------------------------

class _LineLoader(yamltext.SafeLoader):
    """Records the line of every mapping under the key `__line__`."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = loader.construct_mapping(node, deep=True)  # type: ignore[assignment]  # YAML keys here are strings
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _line_of(doc: Any, loc: tuple[Any, ...]) -> int:
    """The line of the deepest mapping along a pydantic error location."""
    line = doc.get("__line__", 1) if isinstance(doc, dict) else 1
    node = doc
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            break
        if isinstance(node, dict):
            line = node.get("__line__", line)
    return line


def parse_texts(texts: dict[str, str]) -> Knowledge:
    """Validate every file (file name -> YAML text); raise `KnowledgeInvalid` listing all problems."""
    kb = Knowledge()
    errors: list[str] = []
    seen_topics: dict[str, str] = {}
    questions: list[tuple[str, Any, QuestionsFile]] = []
    for name, text in sorted(texts.items()):
        try:
            doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            errors.append(f"{name}:{(mark.line + 1) if mark else 1}: not valid YAML: {getattr(exc, 'problem', exc)}")
            continue
        if not isinstance(doc, dict):
            errors.append(f"{name}:1: expected a mapping at the top of the file")
            continue
        base = Path(name).name
        model: type[BaseModel] = AspectsFile if base == ASPECTS_FILE else QuestionsFile if base == QUESTIONS_FILE else TopicFile
        try:
            parsed = model.model_validate(_strip_lines(doc))
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "file"
                msg = err["msg"].removeprefix("Value error, ")
                errors.append(f"{name}:{_line_of(doc, tuple(err['loc']))}: {where}: {msg}")
            continue
        if isinstance(parsed, AspectsFile):
            kb.aspect_phrases = parsed.aspects
            kb.aspect_cues = parsed.cues
            kb.no_topic = parsed.no_topic
            kb.elsewhere = parsed.elsewhere
            continue
        if isinstance(parsed, QuestionsFile):
            questions.append((name, doc, parsed))  # checked against the topics once all are read
            continue
        assert isinstance(parsed, TopicFile)
        if parsed.topic in seen_topics:
            errors.append(f"{name}:{doc.get('__line__', 1)}: topic {parsed.topic!r} is already in {seen_topics[parsed.topic]}")
            continue
        seen_topics[parsed.topic] = name
        entries: dict[str, Entry] = {}
        for i, entry in enumerate(parsed.entries):
            line = doc["entries"][i].get("__line__", 1)
            if entry.aspect in entries:
                errors.append(f"{name}:{line}: ({parsed.topic}, {entry.aspect}) is answered twice")
                continue
            entries[entry.aspect] = entry
        if "overview" not in entries:
            errors.append(f"{name}:{doc.get('__line__', 1)}: topic {parsed.topic!r} has no overview entry")
        kb.topics[parsed.topic] = Topic(parsed.topic, parsed.service_area, parsed.title, parsed.names, entries, name, parsed.keywords)
    for name, doc, parsed in questions:
        errors.extend(_check_questions(name, doc, parsed, kb))
        kb.questions.extend(parsed.questions)
    if texts and not kb.aspect_phrases and not any(Path(n).name == ASPECTS_FILE for n in texts):
        errors.append(f"{ASPECTS_FILE}:1: missing: the aspect phrasings are needed to understand questions")
    if errors:
        raise KnowledgeInvalid(errors)
    return kb


def _check_questions(name: str, doc: Any, parsed: QuestionsFile, kb: Knowledge) -> list[str]:
    """Each question's topic exists and answers its aspect (the label is the entry shown), and no
    question is there twice (compared as the bot reads them: normalised)."""
    errors: list[str] = []
    seen: dict[str, int] = {}
    items = doc.get("questions") or []
    for i, question in enumerate(parsed.questions):
        line = items[i].get("__line__", 1) if i < len(items) and isinstance(items[i], dict) else 1
        where = f"{name}:{line}: {question.q!r}"
        if question.topic is not None:
            topic = kb.topics.get(question.topic)
            if topic is None:
                errors.append(f"{where}: unknown topic {question.topic!r}")
            elif question.aspect not in topic.entries:
                errors.append(f"{where}: {question.topic} has no {question.aspect} entry (label the entry the owner "
                              f"should be shown: its overview when the topic does not answer that aspect)")
        key = normalise(question.q)
        if key in seen:
            errors.append(f"{where}: the same question as line {seen[key]}")
        else:
            seen[key] = line
    return errors


def read_texts(directory: Path) -> dict[str, str]:
    if not directory.is_dir():
        return {}
    return {str(p): p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.yml"))}


def load(directory: Path) -> Knowledge:
    return parse_texts(read_texts(directory))


# --- writing topic files --------------------------------------------------------------------

def _quoted(value: str) -> str:
    """A double-quoted YAML scalar (JSON's string syntax is YAML's)."""
    import json

    return json.dumps(value, ensure_ascii=False)


_PLAIN_LINK = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s#'\"]*[^\s#'\":]$")
"""A link YAML reads back as the same plain string (no spaces, quotes, comment marks or a
trailing colon)."""


def _block(text: str, indent: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return "|\n" + "\n".join(f"{indent}{line}" if line else "" for line in lines) + "\n"


def entry_yaml(entry: dict[str, Any]) -> str:
    """One item of a topic's `entries:` list, written the way the files in `knowledge/` are
    (answers as literal blocks, sources one per item). `entry` has aspect, id, en, sources and
    optionally examples; a source has title, url or ref, checked."""
    out = [f"  - aspect: {entry['aspect']}\n"]
    if entry.get("examples"):
        out.append(f"    examples: [{', '.join(_quoted(str(e)) for e in entry['examples'])}]\n")
    out.append(f"    id: {_block(str(entry['id']), '      ')}")
    out.append(f"    en: {_block(str(entry['en']), '      ')}")
    out.append("    sources:\n")
    for source in entry.get("sources") or []:
        out.append(f"      - title: {_quoted(str(source.get('title', '')))}\n")
        for key in ("url", "ref"):
            if source.get(key):
                value = str(source[key])
                out.append(f"        {key}: {value if _PLAIN_LINK.match(value) else _quoted(value)}\n")
        out.append(f"        checked: {source.get('checked', '')}\n")
    text = "".join(out)
    expected = {k: v for k, v in entry.items() if k in ("aspect", "id", "en", "examples", "sources") and (k != "examples" or v)}
    if _entry_back(text) != _normal(expected):  # a text the block style cannot carry: let PyYAML write it
        dumped = yaml.safe_dump([expected], allow_unicode=True, sort_keys=False, width=10_000)
        text = "".join(f"  {line}\n" for line in dumped.splitlines())
    return text


def _normal(entry: dict[str, Any]) -> Any:
    """An entry as PyYAML reads it back (strings stripped, dates as dates)."""
    out = dict(entry)
    out["id"], out["en"] = str(entry["id"]).strip(), str(entry["en"]).strip()
    out["sources"] = [{k: _as_read(v) if k == "checked" else v for k, v in s.items() if v not in (None, "")}
                      for s in entry.get("sources") or []]
    return out


def _as_read(value: Any) -> Any:
    """A `checked:` value as YAML reads it: a date when it is one, else the text."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return value


def _entry_back(text: str) -> Any:
    try:
        items = yamltext.safe_load("entries:\n" + text)["entries"]
    except (yaml.YAMLError, ValueError, TypeError, KeyError):
        return None
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        return None
    item = dict(items[0])
    for key in ("id", "en"):
        item[key] = str(item.get(key, "")).strip()
    return item


def topic_yaml(topic: str, service_area: str, title: dict[str, str], names: list[str], entries: list[dict[str, Any]]) -> str:
    """A whole topic file in the style of `knowledge/*.yml`."""
    head = (f"topic: {topic}\nservice_area: {service_area}\n"
            f"title: {{id: {_quoted(title['id'])}, en: {_quoted(title['en'])}}}\n"
            f"names: [{', '.join(_quoted(n) for n in names)}]\nentries:\n")
    return head + "".join(entry_yaml(e) for e in entries)


def add_entry(text: str, entry: dict[str, Any]) -> str:
    """A topic's YAML with one more entry at the end of its `entries:` list. The text is kept as
    it is when `entries:` is its last key (the files' layout); otherwise the topic is rewritten."""
    addition = entry_yaml(entry)
    body = text if text.endswith("\n") else text + "\n"
    try:
        before = yamltext.safe_load(body)
        after = yamltext.safe_load(body + addition)
    except yaml.YAMLError:
        after = before = None
    if (isinstance(before, dict) and isinstance(after, dict) and isinstance(before.get("entries"), list)
            and after.get("entries") == [*before["entries"], yamltext.safe_load("entries:\n" + addition)["entries"][0]]):
        return body + addition
    if not isinstance(before, dict):
        raise ValueError("the topic's YAML does not read as a mapping; fix it in the editor first")
    entries = list(before.get("entries") or [])
    entries.append(yamltext.safe_load("entries:\n" + addition)["entries"][0])
    before["entries"] = entries
    return yaml.safe_dump(before, allow_unicode=True, sort_keys=False, width=10_000)
