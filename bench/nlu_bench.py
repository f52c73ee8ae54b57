"""NLU benchmark (not a test): accuracy and speed of the embedded engine on this machine.

    python bench/nlu_bench.py [--folds 5] [--parses 2000]

Prints JSON: training time from scratch, 5-fold cross-validation accuracy and macro-F1
on nlu/, held-out accuracy (tests/nlu/heldout.yml), in-process parse latency p50/p99
(full parse: intent, entities; wall clock and CPU time), and memory (RSS) with the
NLU loaded and parsing (before anything here imports scikit-learn for scoring), the peak
of the training child process (`bot.nlu.train`), then the peak after the language
detector and cross-validation ran in this process.
Targets: p99 <= 2 ms, training <= 10 s, RSS <= 150 MB, CV accuracy >= 95 %.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--parses", type=int, default=2000)
    args = parser.parse_args()

    from bot.nlu.data import load_test_examples, load_training_data
    from bot.nlu.embedded import EmbeddedNLU
    from bot.nlu.evaluate import cross_validate, latency, score  # sklearn only when called

    data = load_training_data(ROOT / "nlu")
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        nlu = EmbeddedNLU(ROOT / "nlu", faq_dir=ROOT / "flows" / "faq", cache_dir=Path(cache))
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        EmbeddedNLU(ROOT / "nlu", faq_dir=ROOT / "flows" / "faq", cache_dir=Path(cache))
        cached_s = time.perf_counter() - start

    heldout = load_test_examples(ROOT / "tests" / "nlu" / "heldout.yml")
    now = datetime.now(UTC)
    ranked = [nlu.parse_sync(e.text, now=now, lang="id")["intent"] for e in heldout]

    texts = [e.text for e in data.examples] + [e.text for e in heldout]
    sample = (texts * (args.parses // len(texts) + 1))[: args.parses]
    for t in sample[:200]:  # warm up
        nlu.parse_sync(t, now=now, lang="id")
    lat = latency(lambda t: nlu.parse_sync(t, now=now, lang="id"), sample, repeat=1)
    lat_cpu = latency(lambda t: nlu.parse_sync(t, now=now, lang="id"), sample, repeat=1, clock=time.thread_time)
    rss_nlu_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sklearn_loaded = "sklearn" in sys.modules
    rss_child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    held = score([e.intent for e in heldout], [r["name"] for r in ranked], [e.text for e in heldout],
                 [r["confidence"] for r in ranked])
    lat_detect = latency(lambda t: nlu.parse_sync(t, now=now), sample[:500], repeat=1)

    start = time.perf_counter()
    cv = cross_validate(data, args.folds)
    cv_s = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = open("/proc/loadavg").read().split()[:3] if Path("/proc/loadavg").exists() else None

    print(json.dumps({
        "examples": len(data.examples),
        "intents": len(data.intents),
        "train_from_scratch_s": round(train_s, 3),
        "start_from_cache_s": round(cached_s, 3),
        "cv_folds": args.folds,
        "cv_accuracy": cv["accuracy"],
        "cv_macro_f1": cv["macro_f1"],
        "cv_most_confused": cv["most_confused"][:5],
        "cv_seconds": round(cv_s, 2),
        "heldout_examples": len(heldout),
        "heldout_accuracy": held["accuracy"],
        "parse_latency_wall_ms": lat,
        "parse_latency_cpu_ms": lat_cpu,
        "parse_latency_with_language_detection_ms": lat_detect,
        "rss_mb_nlu_loaded_and_parsing": round(rss_nlu_mb, 1),
        "sklearn_imported_by_then": sklearn_loaded,
        "rss_mb_training_child_peak": round(rss_child_mb, 1),
        "rss_mb_peak_with_language_detector_and_cv": round(rss_mb, 1),
        "load_average": load,
    }, indent=2))


if __name__ == "__main__":
    main()
