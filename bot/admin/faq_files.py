"""FAQ content between the admin's entries and the files the NLU reads.

Defaults: answers from `flows/faq/*.yml` (one entry per file, `_fallback.yml` aside),
examples from `nlu/*.yml`. In force: the FAQ store gets one file text per entry, and the
NLU's training texts are the files with the examples of changed FAQ intents replaced, so
an edit of an answer alone leaves the training data byte for byte (no retraining)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot import yamltext

if TYPE_CHECKING:
    from bot.admin.content import FaqEntry

FALLBACK_FILE = "_fallback.yml"
ADMIN_TRAINING_FILE = "_admin_faq.yml"


def _nlu_texts(content_dir: Path) -> dict[str, str]:
    folder = content_dir / "nlu"
    if not folder.is_dir():
        return {}
    return {str(p): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.suffix in (".yml", ".yaml")}


def _examples(block: Any) -> list[str]:
    if isinstance(block, list):
        return [str(x) for x in block]
    return [line.strip()[2:].strip() for line in str(block or "").splitlines() if line.strip().startswith("- ")]


def file_examples(content_dir: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for text in _nlu_texts(content_dir).values():
        doc = yamltext.safe_load(text) or {}
        for block in doc.get("nlu") or [] if isinstance(doc, dict) else []:
            intent = str((block or {}).get("intent") or "")
            if intent.startswith("faq/"):
                out.setdefault(intent, []).extend(_examples(block.get("examples")))
    return out


def read_entries(content_dir: Path) -> dict[str, FaqEntry]:
    from bot.admin.content import FaqEntry

    examples = file_examples(content_dir)
    entries: dict[str, FaqEntry] = {}
    for path in sorted((content_dir / "flows" / "faq").glob("*.yml")):
        if path.name == FALLBACK_FILE:
            continue
        data = yamltext.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict) or not str(data.get("intent") or "").startswith("faq/"):
            continue
        entry = FaqEntry.from_dict(data)
        entry.examples = examples.get(entry.intent, [])
        entries[entry.intent] = entry
    return entries


def texts_for(content_dir: Path, entries: dict[str, FaqEntry], extra: dict[str, list[str]] | None = None,
              archived: set[str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(FAQ store texts, NLU training texts) for the entries in force, with `extra`
    examples for other intents (added from the unanswered questions)."""
    faq_dir = content_dir / "flows" / "faq"
    faq_texts = {str(faq_dir / f"{e.intent[4:]}.yml"): e.store_yaml() for e in entries.values()}
    fallback = faq_dir / FALLBACK_FILE
    if fallback.exists():
        faq_texts[str(fallback)] = fallback.read_text(encoding="utf-8")

    defaults = file_examples(content_dir)
    changed = {i: e.examples for i, e in entries.items() if e.examples != defaults.get(i, [])}
    changed |= {i: [] for i in archived or ()}  # an archived entry's questions are no longer learned
    training = _nlu_texts(content_dir)
    placed: set[str] = set()
    for name, text in list(training.items()):
        doc = yamltext.safe_load(text) or {}
        blocks = doc.get("nlu") if isinstance(doc, dict) else None
        if not blocks or not any(str((b or {}).get("intent")) in changed for b in blocks):
            continue
        for b in blocks:
            intent = str((b or {}).get("intent") or "")
            if intent in changed:
                b["examples"] = list(changed[intent]) if intent not in placed else []
                placed.add(intent)
        training[name] = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=200)
    new = [{"intent": i, "examples": list(x)} for i, x in sorted(changed.items()) if i not in placed and x]
    new += [{"intent": i, "examples": list(x)} for i, x in sorted((extra or {}).items()) if x and not i.startswith("faq/")]
    if new:
        training[str(content_dir / "nlu" / ADMIN_TRAINING_FILE)] = yaml.safe_dump(
            {"version": "3.1", "nlu": new}, allow_unicode=True, sort_keys=False, width=200)
    return faq_texts, training
