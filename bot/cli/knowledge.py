"""`frontdesk knowledge check|evaluate|coverage`."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer
import yaml

from bot.knowledge.content import ASPECTS, KnowledgeInvalid, parse_texts, read_texts

app = typer.Typer(help="The knowledge base (knowledge/*.yml): answers by topic and aspect, with sources.",
                  no_args_is_help=True)

DirOption = Annotated[Path | None, typer.Option("--dir", help="folder of the knowledge files (default: <content>/knowledge)")]


def _folder(directory: Path | None) -> Path:
    if directory is not None:
        return directory
    base = os.environ.get("FRONTDESK_CONTENT_DIR") or str(Path(__file__).resolve().parents[2])
    return Path(base) / "knowledge"


@app.command()
def check(directory: DirOption = None) -> None:
    """Validate the files: both languages, sources with a date, well-formed links, no duplicate (topic, aspect)."""
    folder = _folder(directory)
    texts = read_texts(folder)
    if not texts:
        typer.echo(f"{folder}: no knowledge files (*.yml)", err=True)
        raise typer.Exit(1)
    try:
        kb = parse_texts(texts)
    except KnowledgeInvalid as exc:
        for line in exc.errors:
            typer.echo(line, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"ok: {len(kb.topics)} topics, {kb.entry_count} entries")


@app.command()
def coverage(directory: DirOption = None) -> None:
    """The topic × aspect table (markdown)."""
    kb = parse_texts(read_texts(_folder(directory)))
    typer.echo("| topic | " + " | ".join(ASPECTS) + " |")
    typer.echo("|---|" + "---|" * len(ASPECTS))
    for name in sorted(kb.topics):
        t = kb.topics[name]
        typer.echo(f"| {name} | " + " | ".join("✓" if a in t.entries else "" for a in ASPECTS) + " |")
    typer.echo(f"\n{len(kb.topics)} topics, {kb.entry_count} entries")


@app.command()
def evaluate(
    test: Annotated[Path, typer.Option(help="held-out questions: a list of {q, lang, topic, aspect}")] = Path("tests/knowledge/heldout.yml"),
    directory: DirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable report")] = False,
    show_misses: Annotated[bool, typer.Option("--misses", help="list the questions that went wrong")] = False,
) -> None:
    """Held-out accuracy of (topic, aspect), per language."""
    from bot.knowledge.retrieve import Retriever

    kb = parse_texts(read_texts(_folder(directory)))
    items = yaml.safe_load(test.read_text(encoding="utf-8")) or []
    retriever = Retriever(kb)
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses = []
    for it in items:
        m = retriever.match(it["q"])
        # the entry the user is shown: an aspect the topic has no entry for is answered by its overview
        got = (m.topic.name if m.topic else None, m.entry.aspect if m.entry else None)
        want = (it.get("topic"), it.get("aspect"))
        ok = got == want
        for key in (it.get("lang", "?"), "all"):
            per[key][0] += ok
            per[key][1] += 1
        if not ok:
            misses.append({"q": it["q"], "want": list(want), "got": list(got),
                           "topic_conf": round(m.topic_confidence, 3), "aspect_conf": round(m.aspect_confidence, 3)})
    report = {k: {"correct": c, "total": n, "accuracy": round(c / n, 4) if n else 0.0} for k, (c, n) in sorted(per.items())}
    if as_json:
        typer.echo(json.dumps({"accuracy": report, "misses": misses}, ensure_ascii=False, indent=2))
        return
    for k, r in report.items():
        typer.echo(f"{k:>4}: {r['correct']}/{r['total']} = {r['accuracy'] * 100:.1f} %")
    if show_misses:
        for miss in misses:
            typer.echo(f"  {miss['q']!r}: want {miss['want']} got {miss['got']} ({miss['topic_conf']}, {miss['aspect_conf']})")
