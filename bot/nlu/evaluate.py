"""Measuring the classifier: accuracy, macro-F1, per-intent scores, confusions, latency.

Used by `frontdesk nlu evaluate` and the benchmark. Reports are JSON that a person can
read; `--report DIR` adds a confusion-matrix picture and the misclassified examples,
like `rasa test nlu`.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.nlu.classifier import INTENT_PARAMS, IntentClassifier
from bot.nlu.data import Example, TrainingData

Progress = Callable[[Sequence[Any], str], Any]


def _plain(items: Sequence[Any], desc: str) -> Sequence[Any]:
    return items


def score(gold: Sequence[str], pred: Sequence[str], texts: Sequence[str], confidences: Sequence[float]) -> dict[str, Any]:
    from sklearn.metrics import precision_recall_fscore_support  # evaluation only: the bot never imports sklearn

    labels = sorted(set(gold) | set(pred))
    p, r, f, support = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    per_intent = {
        label: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4), "f1": round(float(f[i]), 4),
                "support": int(support[i])}
        for i, label in enumerate(labels)
    }
    gold_labels = sorted(set(gold))
    macro_f1 = float(np.mean([per_intent[g]["f1"] for g in gold_labels])) if gold_labels else 0.0
    confused = Counter((g, q) for g, q in zip(gold, pred, strict=True) if g != q)
    errors = [
        {"text": t, "intent": g, "predicted": q, "confidence": round(c, 4)}
        for t, g, q, c in zip(texts, gold, pred, confidences, strict=True) if g != q
    ]
    return {
        "examples": len(gold),
        "accuracy": round(float(np.mean([g == q for g, q in zip(gold, pred, strict=True)])) if gold else 0.0, 4),
        "macro_f1": round(macro_f1, 4),
        "per_intent": per_intent,
        "most_confused": [{"intent": g, "predicted": q, "count": n} for (g, q), n in confused.most_common(10)],
        "errors": errors,
        "labels": labels,
    }


def latency(parse: Callable[[str], Any], texts: Sequence[str], repeat: int = 3,
            clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Milliseconds per parse (p50, p99, mean) over `texts` repeated `repeat` times.

    `clock=time.thread_time` counts only this thread's CPU time: on a shared machine
    wall-clock p99 mostly measures the neighbours."""
    samples = []
    for _ in range(repeat):
        for t in texts:
            start = clock()
            parse(t)
            samples.append((clock() - start) * 1000)
    arr = np.array(samples) if samples else np.zeros(1)
    return {"p50_ms": round(float(np.percentile(arr, 50)), 3), "p99_ms": round(float(np.percentile(arr, 99)), 3),
            "mean_ms": round(float(arr.mean()), 3), "parses": len(samples)}


def train_and_test(train: TrainingData, test: Sequence[Example]) -> tuple[dict[str, Any], IntentClassifier, float]:
    start = time.perf_counter()
    clf = IntentClassifier(INTENT_PARAMS).fit([e.text for e in train.examples], [e.intent for e in train.examples])
    train_s = time.perf_counter() - start
    ranked = clf.rank_many([e.text for e in test])
    result = score([e.intent for e in test], [r[0] for r in ranked], [e.text for e in test], [r[1] for r in ranked])
    return result, clf, train_s


def cross_validate(data: TrainingData, folds: int = 5, seed: int = 0, progress: Progress = _plain) -> dict[str, Any]:
    texts = [e.text for e in data.examples]
    gold = [e.intent for e in data.examples]
    pred: list[str] = [""] * len(texts)
    conf: list[float] = [0.0] * len(texts)
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    fold_acc = []
    for train_idx, test_idx in progress(list(splitter.split(texts, gold)), "folds"):
        clf = IntentClassifier(INTENT_PARAMS).fit([texts[i] for i in train_idx], [gold[i] for i in train_idx])
        ranked = clf.rank_many([texts[i] for i in test_idx])
        for i, (name, c) in zip(test_idx, ranked, strict=True):
            pred[i], conf[i] = name, c
        fold_acc.append(float(np.mean([pred[i] == gold[i] for i in test_idx])))
    result = score(gold, pred, texts, conf)
    result["folds"] = folds
    result["fold_accuracy"] = [round(a, 4) for a in fold_acc]
    return result


def write_report(result: dict[str, Any], gold: Sequence[str], pred: Sequence[str], directory: Path) -> list[Path]:
    """confusion_matrix.png, errors.json (misclassified examples) and intent_report.json."""
    import matplotlib
    from sklearn.metrics import confusion_matrix

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    labels = result["labels"]
    matrix = confusion_matrix(gold, pred, labels=labels)
    size = max(8, len(labels) * 0.35)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true intent")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=6,
                        color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_title(f"Intent confusion (accuracy {result['accuracy']:.3f})")
    fig.tight_layout()
    png = directory / "confusion_matrix.png"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    errors = directory / "errors.json"
    errors.write_text(json.dumps(result["errors"], ensure_ascii=False, indent=2), encoding="utf-8")
    report = directory / "intent_report.json"
    report.write_text(json.dumps(result["per_intent"], ensure_ascii=False, indent=2), encoding="utf-8")
    return [png, errors, report]
