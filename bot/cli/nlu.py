"""`frontdesk nlu ...`: train, parse, evaluate, export to Rasa, list unanswered messages."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

app = typer.Typer(help="Understanding text: train, parse, evaluate, export to Rasa, unanswered messages.",
                  no_args_is_help=True)


def _settings() -> Any:
    from bot.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        typer.echo(f"frontdesk: {exc}", err=True)
        raise typer.Exit(2) from None


def _now(settings: Any) -> Any:
    from bot.clock import Clock

    return Clock(settings.now).now()


def _nlu(settings: Any) -> Any:
    from bot.nlu.factory import build_nlu

    return build_nlu(settings, settings.content_dir)


def _progress(items: Any, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(items, desc=desc, file=sys.stderr, disable=not sys.stderr.isatty() and len(items) < 50)


def _dump(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False))


@app.command()
def train(data: Annotated[Optional[Path], typer.Option(help="Rasa YAML file or folder (default: nlu/)")] = None) -> None:
    """Train the embedded classifier now (it is also trained at start when the data changed)."""
    from bot.nlu.data import load_training_data
    from bot.nlu.embedded import EmbeddedNLU
    from bot.nlu.factory import content_paths

    settings = _settings()
    paths = content_paths(settings.content_dir)
    folder = data or paths["nlu"]
    start = time.perf_counter()
    nlu = EmbeddedNLU(folder, faq_dir=paths["faq"], regions_csv=paths["regions"], cache_dir=_settings().nlu_cache_dir)
    counts = load_training_data(folder).counts()
    _dump({"data": str(folder), "hash": nlu.model.data_hash, "examples": sum(counts.values()),
           "intents": len(counts), "seconds": round(time.perf_counter() - start, 3),
           "fewest_examples": sorted(counts.items(), key=lambda kv: kv[1])[:3]})


_NOT_UTF8 = re.compile("[\udc80-\udcff]")
"""What `surrogateescape` (`text_stdin`) makes of bytes that are not UTF-8."""


async def _parse_line(nlu: Any, line: str, n: int, kwargs: dict[str, Any]) -> dict[str, Any]:
    """One `{"text": ...}` line → its parse, or `{"error": ...}`: the loop goes on either way
    (as `frontdesk chat --jsonl`). NUL and lone surrogates are taken out of the text, as
    every entry point does (`clean_text`)."""
    from bot.edge import BodyRefused, clean_text, parse_json

    if _NOT_UTF8.search(line):
        return {"error": f"line {n}: the line is not valid UTF-8"}
    try:
        row = parse_json(line)
    except BodyRefused as exc:
        return {"error": f"line {n}: {exc}"}
    msg = row.get("text") if isinstance(row, dict) else None
    if not isinstance(msg, str):
        return {"error": f'line {n}: expected {{"text": "..."}}'}
    try:
        return dict(await nlu.parse(clean_text(msg), **kwargs))
    except Exception:
        logging.getLogger(__name__).exception("line %d could not be parsed", n)
        return {"error": f"line {n}: this line could not be parsed; the next ones are read as usual"}


@app.command()
def parse(
    text: Annotated[Optional[str], typer.Argument(help="The message to parse")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='Read {"text": ...} lines from stdin, print one parse per line')] = False,
    lang: Annotated[Optional[str], typer.Option(help="id or en (default: detected)")] = None,
    tz: Annotated[Optional[str], typer.Option(help="Zone for dates, e.g. Asia/Makassar")] = None,
) -> None:
    """Print the parse of one message as JSON (Rasa /model/parse shape)."""
    settings = _settings()
    nlu = _nlu(settings)
    now = _now(settings)
    kwargs: dict[str, Any] = {"now": now, "lang": lang}
    if tz:
        kwargs["tz"] = tz

    async def run() -> None:
        if jsonl:
            from bot.channels.cli import text_stdin

            for n, line in enumerate(text_stdin(), 1):
                if line.strip():
                    _dump(await _parse_line(nlu, line, n, kwargs))
                    sys.stdout.flush()
        else:
            if text is None:
                typer.echo('give a text, e.g. frontdesk nlu parse "NIB gmn caranya", or --jsonl', err=True)
                raise typer.Exit(2)
            _dump(await nlu.parse(text, **kwargs))

    asyncio.run(run())


@app.command()
def evaluate(
    train_path: Annotated[Optional[Path], typer.Option("--train", help="Rasa YAML file or folder to train on (default: nlu/)")] = None,
    test_path: Annotated[Optional[Path], typer.Option("--test", help="YAML or JSONL ({text, intent}) test set")] = None,
    cross_validation: Annotated[int, typer.Option("--cross-validation", help="K folds over the training data instead of a test set")] = 0,
    report: Annotated[Optional[Path], typer.Option("--report", help="Folder for confusion_matrix.png and errors.json")] = None,
) -> None:
    """Accuracy, macro-F1, per-intent precision/recall/F1, most confused pairs, parse latency."""
    from datetime import UTC, datetime

    from bot.nlu.data import load_test_examples, load_training_data
    from bot.nlu.entities import EntityExtractor
    from bot.nlu.evaluate import cross_validate, latency, train_and_test, write_report
    from bot.nlu.factory import content_paths

    settings = _settings()
    train_path = train_path or content_paths(settings.content_dir)["nlu"]
    data = load_training_data(train_path)
    if cross_validation:
        if cross_validation < 2:
            typer.echo("--cross-validation needs K >= 2", err=True)
            raise typer.Exit(2)
        result = cross_validate(data, cross_validation, progress=_progress)
        texts = [e.text for e in data.examples]
        gold = [e.intent for e in data.examples]
        pred = [e.intent for e in data.examples]
        for err in result["errors"]:
            pred[texts.index(err["text"])] = err["predicted"]
        from bot.nlu.classifier import INTENT_PARAMS, IntentClassifier

        clf = IntentClassifier(INTENT_PARAMS).fit(texts, gold)
    else:
        if test_path is None:
            typer.echo("give --test PATH, or --cross-validation K", err=True)
            raise typer.Exit(2)
        test = load_test_examples(test_path)
        result, clf, train_s = train_and_test(data, test)
        result["train_seconds"] = round(train_s, 3)
        texts = [e.text for e in test]
        gold = [e.intent for e in test]
        pred = list(gold)
        for err in result["errors"]:
            pred[texts.index(err["text"])] = err["predicted"]
    entities = EntityExtractor.build(data, content_paths(settings.content_dir)["regions"], set(clf.vocabulary))
    now = datetime.now(UTC)

    def one(t: str) -> None:
        clf.rank(t)
        entities.extract(t, now)

    result["latency"] = latency(one, texts[:500])
    if report is not None:
        result["report_files"] = [str(p) for p in write_report(result, gold, pred, report)]
    result.pop("labels", None)
    result["errors"] = result["errors"][:50] if report is None else f"{len(result['errors'])} in {report}/errors.json"
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


@app.command("export-rasa")
def export_rasa_cmd(directory: Annotated[Path, typer.Argument(help="Folder for the Rasa project")]) -> None:
    """Write a Rasa 3.x project (config.yml, domain.yml, data/nlu.yml) from our data."""
    from bot.nlu.data import load_training_data
    from bot.nlu.export import export_rasa
    from bot.nlu.factory import content_paths
    from bot.nlu.faq import FaqStore

    settings = _settings()
    paths = content_paths(settings.content_dir)
    files = export_rasa(load_training_data(paths["nlu"]), FaqStore(paths["faq"]), directory, _settings().nlu_threshold)
    for f in files:
        typer.echo(str(f))


@app.command()
def unanswered(
    limit: Annotated[int, typer.Option(help="How many, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Messages the bot was not sure about, for adding examples or FAQ answers."""
    from sqlalchemy import select

    from bot.storage.db import Database
    from bot.storage.models import UnansweredMessage

    settings = _settings()

    async def run() -> list[UnansweredMessage]:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                rows = await session.execute(
                    select(UnansweredMessage).order_by(UnansweredMessage.at.desc(), UnansweredMessage.id.desc()).limit(limit)
                )
                return list(rows.scalars())
        finally:
            await db.dispose()

    for row in asyncio.run(run()):
        if as_json:
            _dump({"id": row.id, "at": row.at.isoformat(), "channel": row.channel, "language": row.language,
                   "text": row.text, "guess": row.intent, "confidence": row.confidence})
        else:
            guess = f"{row.intent} {row.confidence:.2f}" if row.intent and row.confidence is not None else "-"
            typer.echo(f"{row.at:%Y-%m-%d %H:%M}  {row.channel:<8} {guess:<28} {row.text[:100]}")
