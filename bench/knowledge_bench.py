"""Knowledge retrieval benchmark (not a test): training time and per-lookup cost on this machine.

    python bench/knowledge_bench.py [--lookups 2000] [--no-train]

Prints JSON: the number of questions each model learns from, the CPU and wall time of
training both models from scratch in this process (no cache; what the first use after a
change of names costs), and the CPU time per `Retriever.match` over the held-out questions
(p50/p99 of wall time, mean CPU). The machine is shared: read CPU time, not wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--no-train", action="store_true", help="use the model cache (NLU_CACHE_DIR) instead of training")
    args = parser.parse_args()

    from bot.knowledge import load
    from bot.knowledge.retrieve import ASPECT_PARAMS, TOPIC_PARAMS, Retriever, aspect_training, default_cache_dir, topic_training
    from bot.nlu.classifier import train

    kb = load(ROOT / "knowledge")
    topic_data, aspect_data = topic_training(kb), aspect_training(kb)
    out: dict[str, object] = {"topic_questions": len(topic_data[0]), "aspect_questions": len(aspect_data[0])}
    if not args.no_train:
        cpu, wall = time.process_time(), time.perf_counter()
        train(*topic_data, TOPIC_PARAMS)
        train(*aspect_data, ASPECT_PARAMS)
        out["train_cpu_s"] = round(time.process_time() - cpu, 2)
        out["train_wall_s"] = round(time.perf_counter() - wall, 2)

    retriever = Retriever(kb, default_cache_dir())
    questions: list[str] = []
    for name in ("heldout.yml", "heldout_new.yml"):
        questions += [it["q"] for it in yaml.safe_load((ROOT / "tests" / "knowledge" / name).read_text(encoding="utf-8"))]
    walls: list[float] = []
    cpu = time.process_time()
    for i in range(args.lookups):
        t = time.perf_counter()
        retriever.match(questions[i % len(questions)])
        walls.append(time.perf_counter() - t)
    cpu_total = time.process_time() - cpu
    walls.sort()
    out["lookup_cpu_ms_mean"] = round(1000 * cpu_total / args.lookups, 3)
    out["lookup_wall_ms_p50"] = round(1000 * walls[len(walls) // 2], 3)
    out["lookup_wall_ms_p99"] = round(1000 * walls[int(len(walls) * 0.99)], 3)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
