"""Held-out messages (not in the training data) for every label, and odd input."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from bot.nlu.concepts import concepts_of
from bot.nlu.data import load_test_examples, load_training_data
from bot.nlu.embedded import EmbeddedNLU
from bot.nlu.normalise import normalise
from tests.nlu.conftest import CORE_INTENTS, FAQ_INTENTS, NOW, ROOT

HELDOUT = load_test_examples(ROOT / "tests" / "nlu" / "heldout.yml")
HELDOUT_EN = load_test_examples(ROOT / "tests" / "nlu" / "heldout_en.yml")


def test_heldout_covers_every_label_and_is_not_training_data() -> None:
    assert {e.intent for e in HELDOUT} == set(CORE_INTENTS + FAQ_INTENTS)
    trained = {normalise(e.text) for e in load_training_data(ROOT / "nlu").examples}
    leaked = [e.text for e in HELDOUT if normalise(e.text) in trained]
    assert not leaked, f"held-out examples found in nlu/: {leaked}"


def test_heldout_accuracy(nlu: EmbeddedNLU) -> None:
    by_label: dict[str, list[bool]] = defaultdict(list)
    wrong = []
    for e in HELDOUT:
        got = nlu.parse_sync(e.text, now=NOW)["intent"]["name"]
        by_label[e.intent].append(got == e.intent)
        if got != e.intent:
            wrong.append((e.text, e.intent, got))
    accuracy = sum(sum(v) for v in by_label.values()) / len(HELDOUT)
    assert accuracy >= 0.9, wrong
    # every label gets most of its held-out messages right
    weak = {k: v for k, v in by_label.items() if sum(v) < len(v) - 1}
    assert not weak, wrong


def test_english_heldout_is_not_training_data_and_reaches_95_percent(nlu: EmbeddedNLU) -> None:
    assert {e.intent for e in HELDOUT_EN} == set(CORE_INTENTS + FAQ_INTENTS)
    trained = {normalise(e.text) for e in load_training_data(ROOT / "nlu").examples}
    assert not [e.text for e in HELDOUT_EN if normalise(e.text) in trained]
    wrong = [(e.text, e.intent, got) for e in HELDOUT_EN
             if (got := nlu.parse_sync(e.text, now=NOW)["intent"]["name"]) != e.intent]
    assert 1 - len(wrong) / len(HELDOUT_EN) >= 0.95, wrong


@pytest.mark.parametrize(("text", "intent"), [
    ("can I see my booking?", "check_booking"),
    ("do I have any appointments?", "check_booking"),
    ("can you help me sell online?", "faq/marketing"),
    ("plut sleman niku bukak dinten sabtu mboten nggih", "faq/opening_hours"),
    ("hatur nuhun akang, punten ngerepotkeun", "thanks"),
    ("min mau nanya dong, NIB buat usaha keripik gmn caranya", "faq/business_permit"),
    ("brp biaya konsul di plut", "faq/cost"),
    ("where is the nearest PLUT in Makassar", "find_center"),
    ("mau konsultasi soal modal senin depan jam 14.00", "book_consultation"),
    ("can i get a halal certificate for my sambal", "faq/halal_certification"),
    # issue 13: a question about a topic is the topic's, a general call for help gets the menu
    ("min mau tanya soal KUR dong", "faq/financing"),
    ("How do I start exporting my coffee?", "faq/marketing"),
    ("Hello, I need help with my small business", "help"),
])
def test_issue_examples(nlu: EmbeddedNLU, text: str, intent: str) -> None:
    parse = nlu.parse_sync(text, now=NOW)
    assert parse["intent"]["name"] == intent
    assert parse["intent"]["confidence"] >= nlu.threshold


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "🙏", "x" * 10_000, "халло как дела", "你好，请问", "مرحبا",
                                  "????", "12345", "a" * 50 + " " + "😀" * 3000])
def test_odd_input_gives_a_sensible_parse(nlu: EmbeddedNLU, text: str) -> None:
    parse = nlu.parse_sync(text, now=NOW)
    assert set(parse) >= {"text", "intent", "intent_ranking", "entities", "language"}
    assert parse["text"] == text
    if parse["intent"]["name"] != "nlu_fallback":
        # whatever the model guesses on noise stays below the threshold
        assert parse["intent"]["confidence"] < nlu.threshold, parse["intent"]


async def test_parse_shape_is_rasas(nlu: EmbeddedNLU) -> None:
    parse = await nlu.parse("besok jam 10 mau konsul pemasaran di jogja", now=NOW, lang="id")
    assert parse["language"] == "id"
    assert isinstance(parse["intent"]["name"], str) and 0 <= parse["intent"]["confidence"] <= 1
    ranking = parse["intent_ranking"]
    assert ranking[0] == parse["intent"]
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    for ent in parse["entities"]:
        assert {"entity", "value", "start", "end"} <= set(ent)
        assert parse["text"][ent["start"]:ent["end"]] == ent["text"]


def test_fast_scoring_matches_sklearn() -> None:
    """The served CompactModel (own analyzers, a few weight rows) scores as sklearn does."""
    from bot.nlu.classifier import INTENT_PARAMS, IntentClassifier

    data = load_training_data(ROOT / "nlu")
    clf = IntentClassifier(INTENT_PARAMS).fit([e.text for e in data.examples], [e.intent for e in data.examples])
    texts = [e.text for e in HELDOUT] + ["a", "ok", "p", "  spasi   ganda  ", "kecil2an", "NIB-nya?", "😀 halo",
                                          "ada ada ada plut", "nib nib nib buat usaha", "halo halo min"]
    fast = [clf.compact.rank(t, top=1)[0] for t in texts]
    slow = clf.rank_many(texts)
    assert [f[0] for f in fast] == [s[0] for s in slow]
    assert all(abs(f[1] - s[1]) < 1e-6 for f, s in zip(fast, slow, strict=True))
    # the n-grams themselves, not just the winner
    for t in texts:
        n = normalise(t)
        assert clf.compact._word_grams(n) == clf.word.build_analyzer()(n)
        assert clf.compact._char_grams(n) == clf.char.build_analyzer()(n)
    # the concept block is part of the served model and scored the same way
    assert clf.compact.concept_index and clf.compact.concept_weight > 0
    assert [t for t in texts if concepts_of(normalise(t))], "no text exercised the concept block"


def test_concept_lexicon_gives_each_word_one_concept() -> None:
    from bot.nlu.concepts import CONCEPT_OF, CONCEPTS

    words = [w for ws in CONCEPTS.values() for w in ws.split()]
    assert len(words) == len(set(words)) == len(CONCEPT_OF)
    assert all(w == normalise(w) for w in words), "the block sees normalised text"


def test_a_synonym_from_the_concept_lexicon_reads_as_the_word_it_stands_for() -> None:
    """"purge"/"musnahkan" are in no training line: without the concept block the rest of the
    message ("my data") decides and it reads as showing the data; with it, as deleting it."""
    from bot.nlu.classifier import INTENT_PARAMS, ClassifierParams, IntentClassifier

    data = load_training_data(ROOT / "nlu")
    texts, intents = [e.text for e in data.examples], [e.intent for e in data.examples]
    assert not any(w in normalise(t).split() for t in texts for w in ("purge", "musnahkan"))
    with_concepts = IntentClassifier(INTENT_PARAMS).fit(texts, intents).compact
    without = IntentClassifier(ClassifierParams(concept_weight=0)).fit(texts, intents).compact
    for message in ("purge my data", "musnahkan data saya"):
        assert without.rank(message, top=1)[0][0] == "my_data"
        assert with_concepts.rank(message, top=1)[0][0] == "erase_my_data"


def test_an_ngram_repeated_in_a_message_counts_once() -> None:
    """Binary tf: "nib nib nib buat usaha" is scored as "nib buat usaha" (apart from the n-grams that
    only the repetition makes), in the served model and in sklearn's path alike."""
    from bot.nlu.classifier import ClassifierParams, IntentClassifier

    data = load_training_data(ROOT / "nlu")
    texts, intents = [e.text for e in data.examples], [e.intent for e in data.examples]
    clf = IntentClassifier().fit(texts, intents)
    once, thrice = normalise("nib buat usaha"), normalise("nib nib nib buat usaha")
    assert "nib nib" not in clf.compact.word_index  # so the only difference is the count
    assert np.allclose(clf.compact.scores(once), clf.compact.scores(thrice))
    counted = IntentClassifier(ClassifierParams(binary=False)).fit(texts, intents)
    assert not np.allclose(counted.compact.scores(once), counted.compact.scores(thrice))
    slow = counted.rank_many(["nib nib nib buat usaha"])[0]
    assert counted.compact.rank("nib nib nib buat usaha", top=1)[0][0] == slow[0]


def test_the_first_word_is_a_feature_of_its_own() -> None:
    """The word block has the bigram of a start mark and the first word ("<s> mau"), in the served
    model and in sklearn's path alike; no mark on its own (it would be in every message) and none
    for a message without words, which stays unknown."""
    from bot.nlu.classifier import INTENT_PARAMS, START, IntentClassifier

    data = load_training_data(ROOT / "nlu")
    clf = IntentClassifier(INTENT_PARAMS).fit([e.text for e in data.examples], [e.intent for e in data.examples])
    served = clf.compact
    text = normalise("mau tanya biaya pelatihan")
    assert served._word_grams(text)[-1] == f"{START} mau"
    assert served._word_grams(text) == clf.word.build_analyzer()(text)
    assert f"{START} mau" in served.word_index and START not in served.word_index
    assert not any(g.startswith(START) for g in served._word_grams(normalise("😀 !!")))
    assert served.rank("😀😀") == []
    # the opening word counts apart from the same word elsewhere in the message
    first, later = served.word_index[f"{START} mau"], served.word_index["mau"]
    assert not np.allclose(served.coef_t[first], served.coef_t[later])


@pytest.mark.parametrize("text", ["om swastiastu, tiang jualan canang di jembrana, qris kena potongan ga?",
                                  "sugeng enjing, pinten biaya pelatihan teng plut?",
                                  "horas min, mau tanya soal KUR dong"])
def test_a_regional_greeting_in_front_of_a_question_is_left_out(text: str) -> None:
    """The greetings of the `greet` examples in other regional languages are greetings in front of a
    question too: the question decides the intent."""
    from bot.nlu.embedded import _after_greeting

    rest = _after_greeting(text)
    assert rest != text and text.endswith(rest)
    assert not rest.lower().startswith(("om", "sugeng", "horas"))


def test_served_model_is_trained_in_a_child_and_needs_no_sklearn(nlu: EmbeddedNLU, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The bot process serves from numpy only; the child-trained model is the in-process one."""
    import subprocess
    import sys

    from bot.nlu.classifier import INTENT_PARAMS, CompactModel, train

    served = nlu.model.classifier
    assert isinstance(served, CompactModel)
    assert served.concept_index and served.concept_weight == INTENT_PARAMS.concept_weight > 0
    data = load_training_data(ROOT / "nlu")
    local = train([e.text for e in data.examples], [e.intent for e in data.examples], INTENT_PARAMS)
    texts = [e.text for e in HELDOUT]
    for t in texts:
        a, b = served.rank(t, top=3), local.rank(t, top=3)
        assert [x[0] for x in a] == [x[0] for x in b]
        assert all(abs(x[1] - y[1]) < 1e-9 for x, y in zip(a, b, strict=True))
    code = (
        "import sys; from pathlib import Path; from datetime import datetime, UTC\n"
        "from bot.nlu.embedded import EmbeddedNLU\n"
        f"nlu = EmbeddedNLU(Path({str(ROOT / 'nlu')!r}), cache_dir=Path({str(tmp_path)!r}))\n"
        "assert nlu.parse_sync('plut terdekat dmn', now=datetime.now(UTC), lang='id')['intent']['name'] == 'find_center'\n"
        "assert 'sklearn' not in sys.modules and 'scipy' not in sys.modules, 'sklearn imported'\n"
    )
    for _ in range(2):  # trained in a child, then from the cache
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr


def test_model_is_cached_by_data_hash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = EmbeddedNLU(ROOT / "nlu", cache_dir=tmp_path)
    files = list(tmp_path.glob("intent-*.pkl"))
    assert len(files) == 1 and first.model.data_hash in files[0].name
    second = EmbeddedNLU(ROOT / "nlu", cache_dir=tmp_path)
    assert second.model.data_hash == first.model.data_hash
    assert list(tmp_path.glob("intent-*.pkl")) == files
