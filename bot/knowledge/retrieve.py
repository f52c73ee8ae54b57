"""Finding the (topic, aspect) a message asks about.

Two small classifiers of the same kind the NLU uses (word and character n-grams, a
linear SVM, trained in a child process by `bot.nlu.train`; the bot serves a numpy-only
`CompactModel`):

- the **topic** model learns each topic's names (`names:` in its file) inside every
  aspect phrasing of `_aspects.yml`, plus the entries' own `examples`, plus `no_topic`
  phrases labelled `_none`;
- the **aspect** model learns the same generated questions labelled by aspect, so a topic
  name carries no weight there and the question words ("berapa biaya", "syaratnya apa",
  "how long") decide.

`Retriever.match(text, remembered_topic)` combines them. A message that names no topic
with confidence falls back to the remembered topic (the conversation supplies it) when
it asks a clear aspect ("biayanya berapa?"). Models are cached on disk under a hash of
the content.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import zlib
import re
from dataclasses import dataclass
from pathlib import Path

from bot.domain.answers import asks_for_source as _asks_plainly
from bot.knowledge.content import Entry, Knowledge, Topic
from bot.nlu.classifier import VERSION as CLF_VERSION
from bot.nlu.classifier import ClassifierParams, CompactModel
from bot.nlu.normalise import normalise
from bot.nlu.train import train_in_child

log = logging.getLogger(__name__)

NO_TOPIC = "_none"
TOPIC_REPEAT = 2
"""How many times the topic model learns each owner question of `_questions.yml`."""
ASPECT_REPEAT = 3
"""How many times the aspect model learns each owner question: they stand beside ASPECT_TEXTS
templated phrasings per aspect."""
ASPECT_TEXTS = 400
"""Questions the aspect model learns per aspect: every aspect weighs the same."""
TOPIC_PARAMS = ClassifierParams()
"""How the topic model learns (the NLU's defaults)."""
ASPECT_PARAMS = ClassifierParams()
"""How the aspect model learns."""
TOPIC_PHRASINGS_EVERY = 3
"""The topic model learns one in this many aspect phrasings per topic (chosen by a hash of phrasing and topic):
all of them (374 x 29 topics) outweighed the owner questions eight to one; a third, beside the owner questions
twice (TOPIC_REPEAT), is +5 questions in cross-validation and a third less training time (docs/knowledge.md)."""
TOPIC_MIN = 0.45
"""Below this the topic is not named clearly enough to answer on it."""
ASPECT_MIN = 0.40
"""Below this the aspect is unclear: the topic's overview answers."""
OVERVIEW_MIN = 0.60
SPECIFIC_MIN = 0.20
"""A weak overview (below OVERVIEW_MIN) gives way to a specific aspect the topic answers, if this likely."""
MISSING_MIN = 0.80
"""An aspect the topic has no entry for, asked this clearly, gets the honest "not recorded" answer."""
AVAILABLE_MIN = 0.10
"""Otherwise the likeliest aspect the topic does answer, if at least this likely."""
REMEMBERED_ASPECT_MIN = 0.55
"""A follow-up without a topic uses the remembered topic only for a clear aspect."""
CUE_BONUS = 0.6
"""Added to an aspect's probability when the message holds one of its cue words (`cues:` in
`_aspects.yml`): a question word the phrasings never paired with this topic still counts."""
OVERVIEW_CUED = 0.8
"""The overview's probability is multiplied by this when a specific aspect's cue word is present."""
RELATED_MIN = 0.30
"""An aspect the topic has no entry for gives way to a runner-up the topic answers, if this likely."""
NAME_BONUS = 0.60
"""Added to a topic's probability when the message names it (one of its `names`, whole words, also with
"-s" or "-nya": "minimarkets", "kurnya"). 0.6 rather than 0.3: a named topic beats one the classifier
leans to on a shared word ("plut … kantor pemerintah" is not e-Katalog's "jual ke pemerintah")."""

KEYWORD_BONUS = 0.50
"""Added to a topic's probability when the message holds one of its `keywords` (words of its domain:
"stiker" for labels, "packing list" for export): enough to carry a topic the classifier barely saw past
TOPIC_MIN, less than a name, so a topic the message names still wins."""

PARTICLES = frozenset({
    "dong", "sih", "ya", "yah", "yaa", "deh", "nih", "tuh", "kok", "lho", "loh", "kah", "toh", "kak", "ka", "min", "gan",
    "sis", "bang", "mas", "mbak", "pak", "bu", "om", "please", "pls", "plz", "nya",
})
"""Words that colour a question and ask nothing ("… dong", "… sih", "… ya", "min …", a "-nya" written
apart: "mdr-nya"): the aspect model neither learns nor reads them, so a polite ending does not pull a question to the overview."""

def asks_for_source(text: str) -> bool:
    """"sumbernya apa?", "what's the source?", also in chat spelling ("sumbernya dr mn", read normalised)."""
    return _asks_plainly(text) or _asks_plainly(normalise(text))


_CLAUSE_BREAK = re.compile(
    r"[,;:?!.\n]+|\s(?=(?:klo|kalo|kalau|tapi|tp|tpi|trs|terus|trus|soalnya|karena|krn|but|if|because|since|so)\s)",
    re.IGNORECASE,
)
_QUESTION_WORDS = frozenset({
    "berapa", "apa", "apakah", "bagaimana", "kapan", "dimana", "kemana", "mana", "siapa", "bisa", "boleh", "perlu",
    "harus", "wajib", "tidak", "belum", "gimana", "naon", "pripun", "saged", "how", "what", "whats", "which", "who",
    "when", "where", "can", "could", "do", "does", "is", "are", "should", "must", "need", "will", "until",
})
"""Words that make a clause the question: "berapa", "apa", "bisa", "ga" (normalised "tidak"), "how", "what" …"""
CLAUSE_WEIGHT = 0.3
"""How much the question clause weighs beside the whole message when the aspect model reads a long message."""
CONTEXT_CUE = 0.2
"""CUE_BONUS is multiplied by this for a cue word that stands only in a context clause ("klo berkas udh lengkap")."""


def question_clause(text: str) -> str | None:
    """The clause of a message that asks, normalised, when the message has more than one: owners write
    "context, question" ("sy jual rendang kaleng, siapin duit brp buat halal") or "question if context"
    ("pirt keluar brp hari klo berkas udh lengkap"). The last clause holding a question word; the message
    as one clause (None) when no clause or only one does."""
    parts = [normalise(p) for p in _CLAUSE_BREAK.split(text)]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return None
    asking = [p for p in parts if _QUESTION_WORDS.intersection(p.split())]
    if not asking:
        return None
    return asking[-1]


_IT_NAME = re.compile(
    r"\b(konsultan|konsul|bidang|layanan|tim|orang|anak|jasa|dunia|sektor|urusan|divisi|staf|staff|ahli|"
    r"pengembangan|teknisi|pendamping|pendampingan|kursus|pelatihan)\s+it\b"
    r"|\bit(?=\s+(?:consultant|consulting|consultancy|consultation|support|services?|field|team|staff|expert|"
    r"person|guy|department|development|area|advisor|adviser|mentor|mentoring|people|training|help ?desk)\b)"
)


def it_as_name(normalised: str) -> str:
    """A normalised message with "it" written "ti" where it names information technology ("konsultan
    it", "bidang it", "it consultant", "it support"): the English pronoun "it" ("how much does it
    cost?") is no name word of the IT consultant's topic, and the topic model never learns it as one."""
    if "it" not in normalised.split():
        return normalised
    return _IT_NAME.sub(lambda m: m.group(0)[: -2] + "ti" if m.group(1) else "ti", normalised)


ASKING = frozenset({"apaan", "tips", "tip", "saran", "advice", "tolong", "please", "pls", "mohon", "minta", "cara",
                    "steps", "list", "difference", "beda", "bedanya", "mau", "ingin", "pengen", "pingin", "want",
                    "walk", "rates", "rate", "limit", "term", "renewal", "cost", "biaya", "syarat"})
"""Words of a request without a question word ("tips jualan …", "export paperwork list please", "sy mau data sy
diapus"): a message holding one asks something (Retriever.states_a_problem)."""


def asks(text: str, norm: str) -> bool:
    """The message asks something: a "?" or a question word ("berapa", "gmn", "bisa", "how" …)."""
    return "?" in text or bool(_QUESTION_WORDS.intersection(norm.split()))


def plain(normalised: str) -> str:
    """A normalised message without its particles (PARTICLES): what the aspect model reads."""
    return " ".join(w for w in normalised.split() if w not in PARTICLES)


def topic_training(kb: Knowledge) -> tuple[list[str], list[str]]:
    """(texts, topic labels): a third of the aspect phrasings (TOPIC_PHRASINGS_EVERY) per topic with one of its names, the
    entries' examples, the `no_topic` phrases labelled `_none`, and the owner questions of
    `_questions.yml` (TOPIC_REPEAT times each; a question without a topic as `_none`). Every
    text with "it" as a name written "ti" (`it_as_name`). Deterministic."""
    texts: list[str] = []
    labels: list[str] = []
    phrasings = _phrasings(kb)
    for topic in sorted(kb.topics.values(), key=lambda t: t.name):
        for _aspect, phrase in phrasings:
            if zlib.crc32(f"{phrase}|{topic.name}".encode()) % TOPIC_PHRASINGS_EVERY:
                continue
            # the name is chosen by (topic, phrasing) only: adding a phrasing reshuffles nothing
            name = topic.names[zlib.crc32(f"{topic.name}|{phrase}".encode()) % len(topic.names)]
            texts.append(phrase.replace("{t}", name))
            labels.append(topic.name)
        for entry in topic.entries.values():
            texts.extend(entry.examples)
            labels.extend([topic.name] * len(entry.examples))
    texts.extend(kb.no_topic)
    labels.extend([NO_TOPIC] * len(kb.no_topic))
    for question in kb.questions:
        texts.extend([question.q] * TOPIC_REPEAT)
        labels.extend([question.topic or NO_TOPIC] * TOPIC_REPEAT)
    return [it_as_name(normalise(t)) for t in texts], labels


def aspect_training(kb: Knowledge) -> tuple[list[str], list[str]]:
    """(texts, aspect labels), the same number for every aspect (ASPECT_TEXTS): the entries'
    examples, then the aspect's phrasings in turn, each with a name of any topic. The overview
    has the most phrasings and examples; learned as they come it would take every question
    whose question word it has not seen ("... gmn", "... bisa ga"). Then the owner questions of
    `_questions.yml` that have a topic, ASPECT_REPEAT times each. Deterministic."""
    pool = sorted({n for t in kb.topics.values() for n in t.names})
    by_aspect: dict[str, list[str]] = {}
    for aspect, phrase in _phrasings(kb):
        by_aspect.setdefault(aspect, []).append(phrase)
    examples: dict[str, list[str]] = {}
    for topic in sorted(kb.topics.values(), key=lambda t: t.name):
        for entry in topic.entries.values():
            examples.setdefault(entry.aspect, []).extend(entry.examples)
    texts: list[str] = []
    labels: list[str] = []
    for aspect in sorted(set(by_aspect) | set(examples)):
        own = examples.get(aspect, [])
        phrases = by_aspect.get(aspect, [])
        generated = []
        for i in range(max(0, ASPECT_TEXTS - len(own)) if phrases and pool else 0):
            phrase = phrases[i % len(phrases)]
            name = pool[zlib.crc32(f"{phrase}|{i // len(phrases)}".encode()) % len(pool)]
            generated.append(phrase.replace("{t}", name))
        texts.extend(plain(normalise(t)) for t in own + generated)
        labels.extend([aspect] * (len(own) + len(generated)))
    for question in kb.questions:
        if question.aspect is not None:
            texts.extend([plain(normalise(question.q))] * ASPECT_REPEAT)
            labels.extend([question.aspect] * ASPECT_REPEAT)
    return texts, labels


def training_texts(kb: Knowledge) -> set[str]:
    """Every question either model learns from (the held-out sets must hold none of them)."""
    return set(topic_training(kb)[0]) | set(aspect_training(kb)[0])


def _phrasings(kb: Knowledge) -> list[tuple[str, str]]:
    return [(a, p) for a, ps in sorted(kb.aspect_phrases.items()) for p in ps]


@dataclass
class Match:
    kind: str
    """"answer" (the entry asked for), "overview" (topic known, aspect unclear: its overview),
    "missing" (topic known, that aspect has no entry: its overview and an honest note), "unknown"."""
    topic: Topic | None
    aspect: str | None
    entry: Entry | None
    topic_confidence: float
    aspect_confidence: float
    asked_aspect: str | None = None

    def __post_init__(self) -> None:
        # a cue word or a name adds a bonus to a probability: shown as a score of at most 1
        self.topic_confidence = min(1.0, self.topic_confidence)
        self.aspect_confidence = min(1.0, self.aspect_confidence)


class Retriever:
    def __init__(self, kb: Knowledge, cache_dir: Path | None = None) -> None:
        self.kb = kb
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self.topic_model, self.aspect_model = self._models()
        self.cues = {aspect: _words_pattern(words, suffixes=True) for aspect, words in kb.aspect_cues.items() if words}
        self.names = {t.name: _words_pattern([it_as_name(normalise(n)) for n in t.names], suffixes=False)
                      for t in kb.topics.values()}
        self.keywords = {t.name: _words_pattern(t.keywords, suffixes=False) for t in kb.topics.values() if t.keywords}
        self.elsewhere = _phrases_pattern(kb.elsewhere) if kb.elsewhere else None

    def _models(self) -> tuple[CompactModel, CompactModel]:
        topic_data, aspect_data = topic_training(self.kb), aspect_training(self.kb)
        digest = hashlib.sha256(json.dumps([CLF_VERSION, repr(TOPIC_PARAMS), repr(ASPECT_PARAMS), topic_data,
                                            aspect_data]).encode()).hexdigest()[:24]
        cached = self._cached(digest)
        if cached is not None:
            return cached
        topic_model = train_in_child(*topic_data, TOPIC_PARAMS)
        aspect_model = train_in_child(*aspect_data, ASPECT_PARAMS)
        self._store(digest, (topic_model, aspect_model))
        return topic_model, aspect_model

    def _cached(self, digest: str) -> tuple[CompactModel, CompactModel] | None:
        if self.cache_dir is None:
            return None
        path = self.cache_dir / f"knowledge-{digest}.pkl"
        try:
            with path.open("rb") as fh:
                models = pickle.load(fh)  # noqa: S301 - our own cache file
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None
        if isinstance(models, tuple) and all(isinstance(m, CompactModel) for m in models):
            return models
        return None

    def _store(self, digest: str, models: tuple[CompactModel, CompactModel]) -> None:
        if self.cache_dir is None:
            return
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_dir / f".knowledge-{digest}.{os.getpid()}.tmp"
            tmp.write_bytes(pickle.dumps(models, protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(self.cache_dir / f"knowledge-{digest}.pkl")
        except OSError as exc:
            log.warning("knowledge model cache not written: %s", exc)

    def topic_rank(self, text: str, norm: str) -> list[tuple[str, float]]:
        """Topics by probability, plus NAME_BONUS for each topic the message names and KEYWORD_BONUS
        for each topic one of whose keywords it holds."""
        norm = it_as_name(norm)
        rank = self.topic_model.rank(norm, top=64)
        named = {t for t, pattern in self.names.items() if pattern.search(norm)}
        # a keyword counts in a question only: "sambel sy cepet basi" or "payroll is a headache" states a
        # problem, which the rest of the bot answers (problem flow, booking), not a knowledge entry
        keyed = {t for t, pattern in self.keywords.items() if asks(text, norm) and pattern.search(norm)}
        if not named and not keyed:
            return rank
        # a named topic takes the name's bonus only: a keyword adds nothing to it
        return sorted(((n, c + NAME_BONUS * (n in named) + KEYWORD_BONUS * (n in keyed and n not in named)) for n, c in rank),
                      key=lambda x: -x[1])

    def aspect_rank(self, text: str, norm: str) -> list[tuple[str, float]]:
        """Aspects by probability, plus CUE_BONUS for each aspect one of whose cue words the message holds."""
        rank = self.aspect_model.rank(plain(norm), top=16)
        clause = question_clause(text)
        if clause is not None and clause != norm:
            # the question clause weighs as much as the whole message: context words ("berkas udh lengkap",
            # "lolos self declare") pull less
            own = dict(self.aspect_model.rank(plain(clause), top=16))
            rank = [(n, (1 - CLAUSE_WEIGHT) * c + CLAUSE_WEIGHT * own.get(n, 0.0)) for n, c in rank]
        asked = clause if clause is not None else norm
        cued = {a: 1.0 if pattern.search(asked) else CONTEXT_CUE for a, pattern in self.cues.items() if pattern.search(norm)}
        if not cued:
            return sorted(rank, key=lambda x: -x[1])
        # a cue word is evidence for a specific aspect: "in general" weighs less beside it
        damp = OVERVIEW_CUED if any(w == 1.0 for a, w in cued.items() if a != "overview") else 1.0
        return sorted(((n, (c * damp if n == "overview" else c) + CUE_BONUS * cued.get(n, 0.0)) for n, c in rank), key=lambda x: -x[1])

    def states_a_problem(self, text: str, norm: str, topic: Topic) -> bool:
        """The message asks nothing (no "?", no question word, no cue word of an aspect, no ASKING word)
        and does not name `topic`: "sambel sy cepet basi min paling 3 hari" states a problem, which the
        problem flow and booking answer, although the owner questions taught the topic model its words."""
        if asks(text, norm) or ASKING.intersection(norm.split()):
            return False
        if any(pattern.search(norm) for pattern in self.cues.values()):
            return False
        return not self.names[topic.name].search(it_as_name(norm))

    def match(self, text: str, remembered_topic: str | None = None) -> Match:
        norm = normalise(text)
        if self.elsewhere is not None and self.elsewhere.search(norm):
            # "jam buka plut", "sabtu buka ga?": the center's hours, which the FAQ and find-a-center answer
            return Match("unknown", None, None, None, 0.0, 0.0)
        trank = self.topic_rank(text, norm)
        arank = self.aspect_rank(text, norm)
        tname, tconf = trank[0] if trank else (NO_TOPIC, 0.0)
        aname, aconf = arank[0] if arank else ("overview", 0.0)
        topic = self.kb.topics.get(tname) if tname != NO_TOPIC and tconf >= TOPIC_MIN else None
        if topic is not None and self.states_a_problem(text, norm, topic):
            topic = None
        if topic is None and remembered_topic in self.kb.topics and aname != "overview" and aconf >= REMEMBERED_ASPECT_MIN:
            topic, tconf = self.kb.topics[remembered_topic], 0.0
        if topic is None:
            return Match("unknown", None, None, None, tconf, aconf)
        if aname == "overview" and aconf < OVERVIEW_MIN:
            # a question word that leans elsewhere ("dokumen", "berapa") beats a weak "in general"
            specific = [(n, c) for n, c in arank[1:] if n in topic.entries and c >= SPECIFIC_MIN]
            if specific:
                aname, aconf = specific[0]
        if aname in topic.entries and aconf >= ASPECT_MIN:
            return Match("answer", topic, aname, topic.entries[aname], tconf, aconf, asked_aspect=aname)
        if aname not in topic.entries:
            # a close second the topic answers ("berapa persen MDR QRIS": figures asked, cost answered) wins
            related = [(n, c) for n, c in arank[1:] if n in topic.entries and n != "overview" and c >= RELATED_MIN]
            if related:
                return Match("answer", topic, related[0][0], topic.entries[related[0][0]], tconf, related[0][1], asked_aspect=related[0][0])
        if aname not in topic.entries and aconf >= MISSING_MIN:
            # clearly asks for something this topic has no checked answer on: say so, do not guess
            return Match("missing", topic, "overview", topic.entries["overview"], tconf, aconf, asked_aspect=aname)
        # unsure between aspects: the likeliest one this topic has an answer for
        for name, conf in arank:
            if name in topic.entries and conf >= AVAILABLE_MIN:
                return Match("answer", topic, name, topic.entries[name], tconf, conf, asked_aspect=name)
        return Match("overview", topic, "overview", topic.entries["overview"], tconf, aconf, asked_aspect="overview")


def _words_pattern(words: list[str], *, suffixes: bool) -> re.Pattern[str]:
    """Any of `words` (normalised) as whole words; with `suffixes`, also with an ending
    ("biaya" finds "biayanya", "syarat" finds "syaratnya")."""
    forms = sorted({normalise(w) for w in words if normalise(w)}, key=len, reverse=True)
    tail = r"\w*" if suffixes else r"(?:s|nya)?"
    return re.compile(r"\b(?:" + "|".join(re.escape(f) for f in forms) + r")" + tail + r"\b")


ELSEWHERE_GAP = 2
"""Filler words (ELSEWHERE_FILLERS) allowed between the words of an `elsewhere:` phrase: "sabtu buka"
finds "sabtu plut buka", "jam buka" finds "jam berapa plut buka"; "buka usaha, jam kerja" is no hours question."""
ELSEWHERE_FILLERS = ("plut", "kumkm", "sentra", "kantor", "layanan", "di", "hari", "ini", "besok", "berapa", "kalian",
                     "kamu", "you", "the", "on")


def _phrases_pattern(phrases: list[str]) -> re.Pattern[str]:
    """Any of `phrases` (normalised) as whole words, with up to ELSEWHERE_GAP filler words between two of its words."""
    fillers = "|".join(ELSEWHERE_FILLERS)
    gap = rf"(?:\s+(?:{fillers})){{0,{ELSEWHERE_GAP}}}\s+"
    forms = sorted({normalise(p) for p in phrases if normalise(p)}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(gap.join(re.escape(w) for w in f.split()) for f in forms) + r")\b")


def default_cache_dir() -> Path | None:
    raw = os.environ.get("NLU_CACHE_DIR")
    if raw == "":
        return None
    return Path(raw) if raw else Path.home() / ".cache" / "plut-frontdesk" / "nlu"
