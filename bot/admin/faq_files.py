"""Reading the FAQ defaults from the content files (until the NLU's FAQ store offers it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from bot.admin.content import FaqEntry


def read_entries(content_dir: Path) -> dict[str, FaqEntry]:
    from bot.admin.content import FaqEntry

    entries: dict[str, FaqEntry] = {}
    nlu_file = content_dir / "nlu" / "faq.yml"
    if nlu_file.exists():
        data = yaml.safe_load(nlu_file.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            intent = str(block.get("intent") or "")
            if not intent.startswith("faq/"):
                continue
            examples = [line.strip()[2:].strip() for line in str(block.get("examples") or "").splitlines() if line.strip().startswith("- ")]
            entries[intent] = FaqEntry(intent=intent, examples=examples, answer_id="", answer_en="")
    for path in sorted((content_dir / "flows" / "faq").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        items = data.get("faq") if isinstance(data, dict) and "faq" in data else data
        if isinstance(items, dict):
            items = [items]
        for item in items or []:
            if not isinstance(item, dict):
                continue
            entry = FaqEntry.from_dict(item)
            if not entry.intent:
                continue
            base = entries.get(entry.intent)
            if base is not None and not entry.examples:
                entry.examples = base.examples
            entries[entry.intent] = entry
    return entries
