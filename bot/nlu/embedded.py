"""The embedded NLU: trained from `nlu/` in well under a second, parses in well under a millisecond.

    nlu = EmbeddedNLU(content_dir / "nlu", faq_dir=content_dir / "flows" / "faq")
    await nlu.parse("min NIB buat usaha keripik gmn", now=clock.now(), lang="id")

The model is cached under a hash of the training data (and the classifier version),
so a restart with unchanged data loads it instead of training. `reload()` picks up
edited training data and FAQ answers without a restart; the old model serves until
the new one is ready, then both are swapped at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import re
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.domain.areas import problem_area
from bot.nlu.booking_intent import prefer_new_booking
from bot.nlu.classifier import VERSION, CompactModel
from bot.nlu.data import TrainingData, content_hash, from_texts, load_texts
from bot.nlu.entities import DEFAULT_TZ, EntityExtractor
from bot.nlu.faq import FaqStore

log = logging.getLogger(__name__)

MAX_PARSE_CHARS = 1000
"""Only the start of a very long message is classified; intent is in the first lines."""

FALLBACK_INTENT = "nlu_fallback"
_HAS_LETTER = re.compile(r"[^\W\d_]")

COMPLAINT = "complain"
PLACE_INTENT = "find_center"
PLACE_CONFIDENCE = 0.9
# What owners write around a place when the place is the whole message ("saya di bantul",
# "sy dr malang kak", "I'm in Garut", "kulo saking sleman"): such a message asks where to go.
_AROUND_A_PLACE = frozenset(
    """saya sy aku aq gue gw gua kami kita abdi kulo kula dalem ane saking teko wonten i im i'm i’m am we are we're live living based
    di dr dari ke in at from near around sekitar daerah wilayah asal posisi lokasi domisili tinggal tinggalnya
    lagi lg lgi skrg skr skrang sekarang udah udh sudah dah now currently already here sini eh ehh sorry sori maaf oh kab kabupaten kota kec kecamatan regency city province provinsi
    min kak kakak mas mbak mba pak bu bang gan admin teh akang sis bro
    nih ni ya yah yaa dong deh sih kok loh lho nggih njih mas'e
    halo hallo hai hi hello pagi siang sore malam punten permisi assalamualaikum salam
    ok oke plut pusat layanan ada adakah ga gak nggak enggak tidak apa apakah kah mana dimana dmn where is there a an the
    any center centre office kantor terdekat deket dekat nearest closest paling yang yg cari carikan find""".split()
)
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")


_GREETING = re.compile(
    r"^(?:(?:hello|hallo|halo|hai|hi|hey|hiya|good (?:morning|afternoon|evening)|selamat (?:pagi|siang|sore|malam)|"
    r"pagi|siang|sore|malam|assalamu'?alaikum|permisi|punten|there|min|kak|admin|gan|pak|bu|"
    # regional and chat greetings of the `greet` examples (Javanese, Balinese, Batak)
    r"helo|hola|met (?:pagi|siang|sore|malam)|sugeng (?:enjing|siang|sonten|dalu)|om swastiastu|horas|"
    r"salam sejahtera)\b[\s,!.]*)+",
    re.I,
)


def _after_greeting(text: str) -> str:
    """"Good afternoon, what have I got booked?" is a question, not a greeting: a greeting in
    front of at least three more words is left out of the intent."""
    m = _GREETING.match(text)
    if m is None:
        return text
    rest = text[m.end():]
    return rest if len(rest.split()) >= 3 else text


def mainly_a_place(text: str, entities: list[dict[str, Any]]) -> bool:
    """True when the message is a place and the words people put around one, nothing else."""
    cities = [e for e in entities if e.get("entity") == "city"]
    if not cities or len(text) > 120:
        return False
    rest = text
    for e in sorted(cities, key=lambda e: -int(e["start"])):
        rest = rest[: int(e["start"])] + " " + rest[int(e["end"]) :]
    return all(w.lower() in _AROUND_A_PLACE for w in _WORDS.findall(rest))


@dataclass(frozen=True)
class Model:
    """Everything a parse needs, swapped as one object on reload."""

    data_hash: str
    classifier: CompactModel
    entities: EntityExtractor
    intents: tuple[str, ...]


class EmbeddedNLU:
    def __init__(
        self,
        nlu_dir: Path,
        *,
        faq_dir: Path | None = None,
        regions_csv: Path | None = None,
        cache_dir: Path | None = None,
        threshold: float = 0.5,
        timezone: str = DEFAULT_TZ,
        train: bool = True,
    ) -> None:
        self.nlu_dir = Path(nlu_dir)
        self.regions_csv = regions_csv
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.threshold = threshold
        self.timezone = timezone
        self.faq = FaqStore(faq_dir)
        self._texts: dict[str, str] | None = None
        self._model: Model | None = None
        self._train_lock = threading.Lock()
        if train:
            self.load()

    # --- training -----------------------------------------------------------------------

    @property
    def model(self) -> Model:
        if self._model is None:
            self.load()
        assert self._model is not None
        return self._model

    def training_texts(self) -> dict[str, str]:
        return dict(self._texts) if self._texts is not None else load_texts(self.nlu_dir)

    def load(self, texts: dict[str, str] | None = None) -> Model:
        """Build the model for `texts` (default: the files in `nlu_dir`), from the cache when it can."""
        with self._train_lock:
            texts = texts if texts is not None else load_texts(self.nlu_dir)
            regions_mtime = ""
            if self.regions_csv is not None and self.regions_csv.exists():
                regions_mtime = str(self.regions_csv.stat().st_mtime_ns)
            digest = content_hash(texts, salt=VERSION + regions_mtime)
            if self._model is not None and self._model.data_hash == digest:
                self._texts = texts
                return self._model
            data = from_texts(texts)
            classifier = self._cached_classifier(digest)
            if classifier is None:
                classifier = train_classifier(data)
                self._store(digest, classifier)
            entities = EntityExtractor.build(data, self.regions_csv, set(classifier.vocabulary))
            self._model = Model(digest, classifier, entities, tuple(data.intents))
            self._texts = texts
            return self._model

    def _cache_file(self, digest: str) -> Path | None:
        return self.cache_dir / f"intent-{digest}.pkl" if self.cache_dir is not None else None

    def _cached_classifier(self, digest: str) -> CompactModel | None:
        path = self._cache_file(digest)
        if path is None or not path.exists():
            return None
        try:
            with path.open("rb") as f:
                clf = pickle.load(f)
            return clf if isinstance(clf, CompactModel) else None
        except Exception as exc:  # a cache from another library version: train again
            log.info("NLU cache %s not usable (%s); training", path, exc)
            return None

    def _store(self, digest: str, clf: CompactModel) -> None:
        path = self._cache_file(digest)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(clf, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("could not write the NLU cache %s: %s", path, exc)

    async def reload(self, *, training_texts: dict[str, str] | None = None, faq_texts: dict[str, str] | None = None) -> None:
        """Pick up edited training data and FAQ answers (from the files, or the texts given).

        Invalid content raises and leaves the running model and answers as they were."""
        new_faq = faq_texts if faq_texts is not None else self.faq.read_texts()
        from bot.nlu.faq import parse_faq_texts

        parse_faq_texts(new_faq)  # validate before touching anything
        await asyncio.to_thread(self.load, training_texts)
        self.faq.reload(new_faq)

    # --- parsing ------------------------------------------------------------------------

    async def parse(self, text: str, *, now: datetime, lang: str | None = None, tz: str | None = None) -> dict[str, Any]:
        return self.parse_sync(text, now=now, lang=lang, tz=tz)

    def parse_sync(self, text: str, *, now: datetime, lang: str | None = None, tz: str | None = None) -> dict[str, Any]:
        """Rasa `/model/parse` shape. Never raises on odd input."""
        text = text if isinstance(text, str) else ""
        model = self.model
        language = lang if lang is not None else _detect(text)
        head = text[:MAX_PARSE_CHARS]
        ranking: list[tuple[str, float]] = []
        if _HAS_LETTER.search(head):
            try:
                ranking = model.classifier.rank(_after_greeting(head))
            except Exception:  # never let one odd message take the bot down
                log.exception("intent classification failed for a text of %d characters", len(head))
        entities: list[dict[str, Any]] = []
        try:
            entities = model.entities.extract(head, now, tz or self.timezone)
        except Exception:
            log.exception("entity extraction failed for a text of %d characters", len(head))
        ranking = prefer_new_booking(head, ranking, entities)
        if ranking and ranking[0][0] == COMPLAINT and problem_area(head) is not None:
            # "sambel sy cepet basi, any solution?" is a problem with the owner's own business, for a
            # consultant of that area; a complaint is about PLUT's service.
            ranking = sorted(((n, c * 0.3 if n == COMPLAINT else c) for n, c in ranking), key=lambda x: -x[1])
        if ranking and mainly_a_place(head, entities):
            ranking = [(PLACE_INTENT, max(PLACE_CONFIDENCE, dict(ranking).get(PLACE_INTENT, 0.0))),
                       *((n, c) for n, c in ranking if n != PLACE_INTENT)]
        if ranking:
            intent = {"name": ranking[0][0], "confidence": round(ranking[0][1], 4)}
        else:
            intent = {"name": FALLBACK_INTENT, "confidence": 1.0}
        return {
            "text": text,
            "intent": intent,
            "intent_ranking": [{"name": n, "confidence": round(c, 4)} for n, c in ranking],
            "entities": entities,
            "language": language,
        }


def train_classifier(data: TrainingData) -> CompactModel:
    """In a child process (`bot.nlu.train`): the bot itself never imports scikit-learn."""
    if not data.examples:
        raise ValueError("no training examples: nlu/ has no `intent:` entries")
    from bot.nlu.classifier import INTENT_PARAMS
    from bot.nlu.train import train_in_child

    return train_in_child([e.text for e in data.examples], [e.intent for e in data.examples], INTENT_PARAMS)


def _detect(text: str) -> str | None:
    from bot.nlu.language import detect_language

    try:
        return detect_language(text[:MAX_PARSE_CHARS])
    except Exception:
        return None
