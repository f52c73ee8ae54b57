"""Train the intent classifier in a child process, so the bot never imports scikit-learn.

Importing sklearn (and the scipy it pulls in) adds ~100 MB to a process and none of it is
released afterwards. The bot serves a `CompactModel` (numpy arrays and dicts); this module
trains one in `python -m bot.nlu.train` (pickled texts and intents on stdin, the pickled
model on stdout) and the child's memory goes back to the system when it exits.
If the child cannot run, training happens in this process instead (and logs why).
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.nlu.classifier import ClassifierParams, CompactModel, train

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120


def train_in_child(texts: Sequence[str], intents: Sequence[str], params: ClassifierParams | None = None) -> CompactModel:
    if os.environ.get("NLU_TRAIN_IN_PROCESS", "").lower() in {"1", "true", "yes"}:
        return train(texts, intents, params)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bot.nlu.train"],
            input=pickle.dumps((list(texts), list(intents), params), protocol=pickle.HIGHEST_PROTOCOL),
            capture_output=True, timeout=TIMEOUT_S, env=env, cwd=ROOT, check=False,
        )
        if done.returncode == 0:
            model = pickle.loads(done.stdout)
            if isinstance(model, CompactModel):
                return model
        reason = done.stderr.decode(errors="replace")[-500:] or f"exit code {done.returncode}"
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError) as exc:
        reason = repr(exc)
    log.warning("NLU training child failed (%s); training in this process", reason)
    return train(texts, intents, params)


def _main() -> None:
    texts, intents, params = pickle.load(sys.stdin.buffer)
    model = train(texts, intents, params)
    sys.stdout.buffer.write(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _main()
