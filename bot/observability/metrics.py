"""The process's Prometheus metrics, recorded through the small functions below.

The engine, the outbox worker and the booking services call these; this module imports
nothing of theirs. Values that live in the database (outbox depth and the age of its
oldest due row, handoffs waiting) are not counted here but read when `/metrics` is scraped
(`bot/web/health.py`), so every process reports the same, true figure.

Several processes: each `frontdesk run` and `frontdesk worker` is its own target to scrape.
`frontdesk run --workers N` shares one port between N processes, so it sets
`PROMETHEUS_MULTIPROC_DIR` before they start and prometheus-client's multiprocess mode
adds their counters up in the answer of whichever process is asked (`render`).

Recording costs a dict lookup and an increment (≈ 1 µs), not a per-message allocation:
the labelled children are kept in dicts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST  # noqa: F401  (re-exported for the route)
from prometheus_client.core import GaugeMetricFamily, Metric

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Latency buckets in seconds: a turn is milliseconds, a slow one (database wait) up to seconds.
_TURN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_NLU_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)

MESSAGES_IN = Counter("frontdesk_messages_in", "Inbound messages turned by the engine (repeats of a platform id not counted)", ["channel"])
MESSAGES_OUT = Counter("frontdesk_messages_out", "Replies the engine produced", ["channel"])
FALLBACKS = Counter("frontdesk_fallbacks", "Messages the bot did not understand (fallback answer); rate over messages_in is the fallback rate", ["channel"])
TURN_SECONDS = Histogram("frontdesk_turn_seconds", "Time from the start of an event's transaction to its commit (a batch's events share it)", buckets=_TURN_BUCKETS)
NLU_SECONDS = Histogram("frontdesk_nlu_seconds", "Time to understand one text (intent, entities, FAQ)", buckets=_NLU_BUCKETS)
OUTBOX_SENT = Counter("frontdesk_outbox_sent", "Messages the outbox delivered to a platform", ["channel"])
SEND_FAILURES = Counter("frontdesk_send_failures", "Sends that failed, by kind: transient (retried, or given up after the last try), permanent, error, no_transport", ["channel", "kind"])
THROTTLED = Counter("frontdesk_messages_throttled", "Inbound messages not turned because their sender was over the per-user flood limit, by outcome: notice (the first of a flood, answered with one notice to slow down) or dropped (unread, unanswered)", ["channel", "outcome"])
BOOKINGS = Counter("frontdesk_bookings", "Bookings made and cancelled by users (counted when the transaction commits is not guaranteed: a rolled-back one counts too)", ["event"])

_in = {}  # type: dict[str, object]
_out = {}  # type: dict[str, object]


def _child(cache: dict, metric: Counter, channel: str):  # type: ignore[no-untyped-def, type-arg]
    child = cache.get(channel)
    if child is None:
        child = cache[channel] = metric.labels(channel)
    return child


def message_in(channel: str) -> None:
    _child(_in, MESSAGES_IN, channel).inc()


def messages_out(channel: str, count: int) -> None:
    if count:
        _child(_out, MESSAGES_OUT, channel).inc(count)


_throttled = {}  # type: dict[tuple[str, str], object]


def throttled(channel: str, *, notice: bool) -> None:
    """One message over its sender's flood limit: the notice, or dropped unread."""
    key = (channel, "notice" if notice else "dropped")
    child = _throttled.get(key)
    if child is None:
        child = _throttled[key] = THROTTLED.labels(*key)
    child.inc()  # type: ignore[attr-defined]


def fallback(channel: str) -> None:
    FALLBACKS.labels(channel).inc()


def turns(seconds: float, count: int) -> None:
    """`count` events committed together after `seconds`."""
    for _ in range(count):
        TURN_SECONDS.observe(seconds)


def nlu(seconds: float) -> None:
    NLU_SECONDS.observe(seconds)


_sent = {}  # type: dict[str, object]


def sent(channel: str) -> None:
    _child(_sent, OUTBOX_SENT, channel).inc()


def send_failed(channel: str, kind: str) -> None:
    SEND_FAILURES.labels(channel, kind).inc()


def booking(event: str) -> None:
    """`made` or `cancelled`."""
    BOOKINGS.labels(event).inc()


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def render(extra: Iterable[Metric] = ()) -> bytes:
    """The Prometheus text of this process (or, in multiprocess mode, of all the server's
    processes), followed by `extra` (the database's figures)."""
    if multiprocess():
        from prometheus_client import multiprocess as mp

        registry = CollectorRegistry()
        mp.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        text = generate_latest(REGISTRY)
    extra = list(extra)
    if extra:
        registry = CollectorRegistry()
        registry.register(_Fixed(extra))
        text += generate_latest(registry)
    return text


def gauge(name: str, doc: str, value: float) -> Metric:
    family = GaugeMetricFamily(name, doc)
    family.add_metric([], value)
    return family


class _Fixed:
    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> list[Metric]:
        return self.metrics
