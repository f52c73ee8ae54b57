"""Measuring retrieval: held-out accuracy and K-fold cross-validation over the owner questions.

`cross_validate(kb, k)` splits the owner questions of `_questions.yml` into k folds (by a hash of
the normalised question: the same split on every run and machine), trains the two models on the
templates plus the other folds, and reads the held-out fold. This is the development measure for
anything that changes how the models learn (docs/knowledge.md, "Accuracy").
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.knowledge.content import Knowledge
from bot.knowledge.retrieve import Retriever
from bot.nlu.normalise import normalise


def fold_of(question: str, k: int) -> int:
    return zlib.crc32(normalise(question).encode()) % k


def score(retriever: Retriever, items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Per language and overall: (topic, aspect) right (the entry shown; an aspect the topic has no
    entry for is answered by its overview) and the topic alone right; the misses."""
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses = []
    for it in items:
        m = retriever.match(it["q"])
        got = (m.topic.name if m.topic else None, m.entry.aspect if m.entry else None)
        want = (it.get("topic"), it.get("aspect"))
        ok = got == want
        for key in (it.get("lang", "?"), "all"):
            per[key][0] += ok
            per[key][1] += got[0] == want[0]
            per[key][2] += 1
        if not ok:
            misses.append({"q": it["q"], "want": list(want), "got": list(got),
                           "topic_conf": round(m.topic_confidence, 3), "aspect_conf": round(m.aspect_confidence, 3)})
    report = {k: {"correct": c, "topic_correct": t, "total": n, "accuracy": round(c / n, 4) if n else 0.0,
                  "topic_accuracy": round(t / n, 4) if n else 0.0}
              for k, (c, t, n) in sorted(per.items())}
    return {"accuracy": report, "misses": misses}


def cross_validate(kb: Knowledge, k: int, cache_dir: Path | None = None) -> dict[str, Any]:
    """K-fold cross-validation over `kb.questions` (each fold read by models that never learned it)."""
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    folds: list[list[Any]] = [[] for _ in range(k)]
    for q in kb.questions:
        folds[fold_of(q.q, k)].append(q)
    merged: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses: list[dict[str, Any]] = []
    for i, fold in enumerate(folds):
        train = [q for j, other in enumerate(folds) if j != i for q in other]
        retriever = Retriever(replace(kb, questions=train), cache_dir)
        part = score(retriever, [q.model_dump() for q in fold])
        for lang, r in part["accuracy"].items():
            merged[lang][0] += r["correct"]
            merged[lang][1] += r["topic_correct"]
            merged[lang][2] += r["total"]
        misses.extend(part["misses"])
    report = {key: {"correct": c, "topic_correct": t, "total": n, "accuracy": round(c / n, 4) if n else 0.0,
                    "topic_accuracy": round(t / n, 4) if n else 0.0}
              for key, (c, t, n) in sorted(merged.items())}
    return {"folds": k, "accuracy": report, "misses": misses}
