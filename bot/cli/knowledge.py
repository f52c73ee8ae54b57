"""`frontdesk knowledge check|evaluate|coverage`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
import yaml

from bot import yamltext
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
    folds: Annotated[int | None, typer.Option("--cross-validation", min=2, metavar="K",
                                              help="K-fold cross-validation over the owner questions of _questions.yml "
                                                   "instead of --test: train on the rest, read each fold")] = None,
) -> None:
    """Accuracy of (topic, aspect) and of the topic alone, per language: on held-out questions, or by cross-validation."""
    from bot.knowledge.evaluate import cross_validate, score
    from bot.knowledge.retrieve import Retriever, default_cache_dir

    kb = parse_texts(read_texts(_folder(directory)))
    if folds is not None:
        if not kb.questions:
            typer.echo("no owner questions (_questions.yml) to cross-validate on", err=True)
            raise typer.Exit(1)
        result = cross_validate(kb, folds, default_cache_dir())
    else:
        items = yamltext.safe_load(test.read_text(encoding="utf-8")) or []
        result = score(Retriever(kb), items)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    if folds is not None:
        typer.echo(f"{folds}-fold cross-validation over {len(kb.questions)} owner questions")
    for k, r in result["accuracy"].items():
        typer.echo(f"{k:>4}: {r['correct']}/{r['total']} = {r['accuracy'] * 100:.1f} %"
                   f"  (topic {r['topic_correct']}/{r['total']} = {r['topic_accuracy'] * 100:.1f} %)")
    if show_misses:
        for miss in result["misses"]:
            typer.echo(f"  {miss['q']!r}: want {miss['want']} got {miss['got']} ({miss['topic_conf']}, {miss['aspect_conf']})")


@app.command("export")
def export(
    to: Annotated[Path | None, typer.Option("--to", help="write a complete knowledge folder here (default: over the files in <content>/knowledge)")] = None,
    directory: DirOption = None,
) -> None:
    """Write the topics published on /admin back into the knowledge/*.yml files, so they can be committed.

    Each published topic replaces its file (a new topic gets `<topic>.yml`); with `--to`, the whole
    knowledge base (files with the published topics in place, `_aspects.yml` included) is written
    to that folder instead. Nothing is written unless the result passes `knowledge check`."""
    import asyncio

    from bot.config import ConfigError, load_settings
    from bot.knowledge import topic_files, with_published

    folder = _folder(directory)
    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(f"frontdesk: {exc}", err=True)
        raise typer.Exit(2) from None
    published = asyncio.run(_published_topics(settings.database_url))
    texts = with_published(folder, published)
    try:
        kb = parse_texts(texts)
    except KnowledgeInvalid as exc:
        for line in exc.errors:
            typer.echo(line, err=True)
        typer.echo("nothing written: the published topics do not pass the check", err=True)
        raise typer.Exit(1) from None
    files = topic_files(folder)
    if to is None:
        target, chosen = folder, {files[t][0] if t in files else str(folder / f"{t}.yml") for t in published}
    else:
        target, chosen = to, set(texts)
    target.mkdir(parents=True, exist_ok=True)
    for name in sorted(chosen):
        (target / Path(name).name).write_text(texts[name], encoding="utf-8")
    topics = ", ".join(sorted(published)) or "none"
    typer.echo(f"wrote {len(chosen)} file(s) to {target} (published topics: {topics}); {len(kb.topics)} topics, {kb.entry_count} entries")


async def _published_topics(database_url: str) -> dict[str, str]:
    """Topic -> YAML of every knowledge topic published on /admin."""
    from sqlalchemy import select

    from bot.storage.db import Database
    from bot.storage.models import ContentVersion

    db = Database(database_url)
    try:
        async with db.sessions() as session:
            rows = await session.execute(select(ContentVersion.name, ContentVersion.body)
                                         .where(ContentVersion.kind == "knowledge", ContentVersion.status == "published"))
            return {name: body for name, body in rows}
    finally:
        await db.dispose()
