"""Training data in Rasa's NLU YAML format (`version: "3.1"`, `nlu:` entries).

We read and write the same files a Rasa project uses, so data moves both ways:
`intent` examples (with Rasa's inline entity annotations `[Jogja](city)`),
`synonym`, `regex` and `lookup` entries. Test sets may also be JSONL lines of
`{"text": ..., "intent": ...}`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import yamltext

# [text](entity) | [text](entity:value) | [text]{"entity": ..., "value": ...}
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


class DataError(ValueError):
    """Training data that cannot be read; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    entities: tuple[dict[str, Any], ...] = ()


@dataclass
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)
    """alias (lower case) -> canonical value"""
    regexes: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    def counts(self) -> Counter[str]:
        return Counter(e.intent for e in self.examples)

    def merge(self, other: TrainingData) -> TrainingData:
        self.examples += other.examples
        self.synonyms.update(other.synonyms)
        for k, v in other.regexes.items():
            self.regexes.setdefault(k, []).extend(v)
        for k, v in other.lookups.items():
            self.lookups.setdefault(k, []).extend(v)
        return self


def strip_annotations(text: str) -> tuple[str, tuple[dict[str, Any], ...]]:
    """`mau ke [Jogja](city)` -> ("mau ke Jogja", ({entity: city, value: Jogja, start, end},))."""
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    length = 0
    for m in _ANNOTATION.finditer(text):
        before = text[pos : m.start()]
        out.append(before)
        length += len(before)
        surface = m.group("text")
        if m.group("json"):
            try:
                spec = json.loads(m.group("json"))
            except json.JSONDecodeError:
                spec = {}
            name, value = spec.get("entity"), spec.get("value", surface)
        else:
            name, _, value = m.group("short").partition(":")
            value = value or surface
        if name:
            entities.append({"entity": name, "value": value, "start": length, "end": length + len(surface)})
        out.append(surface)
        length += len(surface)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), tuple(entities)


def _items(block: Any, where: str) -> list[str]:
    if isinstance(block, list):
        return [str(x) for x in block]
    if not isinstance(block, str):
        raise DataError(f"{where}: `examples` must be a block of `- ` lines")
    items = []
    for line in block.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith("- "):
            raise DataError(f"{where}: each example line starts with `- ` (got {line!r})")
        items.append(line[2:].strip())
    return items


def parse_yaml(text: str, source: str = "<text>") -> TrainingData:
    try:
        doc = yamltext.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise DataError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise DataError(f"{source}: expected a mapping with `nlu:`")
    data = TrainingData()
    for i, entry in enumerate(doc.get("nlu") or []):
        where = f"{source}: nlu[{i}]"
        if not isinstance(entry, dict):
            raise DataError(f"{where}: expected a mapping")
        if "intent" in entry:
            intent = str(entry["intent"])
            for raw in _items(entry.get("examples", ""), f"{where} ({intent})"):
                plain, ents = strip_annotations(raw)
                data.examples.append(Example(plain, intent, ents))
        elif "synonym" in entry:
            for alias in _items(entry.get("examples", ""), where):
                data.synonyms[alias.lower()] = str(entry["synonym"])
        elif "regex" in entry:
            data.regexes.setdefault(str(entry["regex"]), []).extend(_items(entry.get("examples", ""), where))
        elif "lookup" in entry:
            data.lookups.setdefault(str(entry["lookup"]), []).extend(_items(entry.get("examples", ""), where))
        else:
            raise DataError(f"{where}: expected one of intent, synonym, regex, lookup")
    return data


def yaml_files(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml"))
    return [path]


def load_texts(path: Path) -> dict[str, str]:
    """File name -> text for a data file or folder (the unit that is hashed and parsed)."""
    return {str(p): p.read_text(encoding="utf-8") for p in yaml_files(path)}


def from_texts(texts: dict[str, str]) -> TrainingData:
    data = TrainingData()
    for name, text in sorted(texts.items()):
        data.merge(parse_yaml(text, name))
    return data


def load_training_data(path: Path) -> TrainingData:
    return from_texts(load_texts(path))


def load_test_examples(path: Path) -> list[Example]:
    """A Rasa YAML file or folder, or JSONL lines `{"text", "intent"}`."""
    path = Path(path)
    if path.suffix == ".jsonl":
        out = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                out.append(Example(str(row["text"]), str(row["intent"])))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DataError(f"{path}:{n}: expected {{\"text\": ..., \"intent\": ...}} ({exc})") from None
        return out
    return load_training_data(path).examples


def content_hash(texts: dict[str, str], salt: str = "") -> str:
    h = hashlib.sha256(salt.encode())
    for name in sorted(texts):
        h.update(Path(name).name.encode())
        h.update(b"\0")
        h.update(texts[name].encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def to_yaml(data: TrainingData) -> str:
    """Rasa 3.x `data/nlu.yml` text (entity annotations are not kept)."""
    lines = ['version: "3.1"', "nlu:"]
    by_intent: dict[str, list[str]] = {}
    for e in data.examples:
        by_intent.setdefault(e.intent, []).append(_annotate(e))
    for intent, texts in by_intent.items():
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines += [f"    - {t}" for t in texts]
    for value in sorted(set(data.synonyms.values())):
        lines.append(f"- synonym: {_q(value)}")
        lines.append("  examples: |")
        lines += [f"    - {a}" for a, v in data.synonyms.items() if v == value]
    for name, patterns in data.regexes.items():
        lines.append(f"- regex: {name}")
        lines.append("  examples: |")
        lines += [f"    - {p}" for p in patterns]
    for name, values in data.lookups.items():
        lines.append(f"- lookup: {name}")
        lines.append("  examples: |")
        lines += [f"    - {v}" for v in values]
    return "\n".join(lines) + "\n"


def _annotate(e: Example) -> str:
    text = e.text
    for ent in sorted(e.entities, key=lambda x: -x["start"]):
        surface = text[ent["start"] : ent["end"]]
        tag = ent["entity"] if ent["value"] == surface else f'{ent["entity"]}:{ent["value"]}'
        text = f"{text[: ent['start']]}[{surface}]({tag}){text[ent['end'] :]}"
    return text


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False) if re.search(r"[:#\[\]{}]", value) else value
