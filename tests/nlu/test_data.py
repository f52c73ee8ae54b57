"""The training data: every label present with enough varied examples, in Rasa's format."""

from __future__ import annotations

from bot.nlu.data import from_texts, load_training_data, parse_yaml, strip_annotations, to_yaml
from bot.nlu.normalise import normalise
from tests.nlu.conftest import CORE_INTENTS, FAQ_INTENTS, ROOT


def test_exactly_the_agreed_labels_each_with_at_least_40_examples() -> None:
    data = load_training_data(ROOT / "nlu")
    counts = data.counts()
    assert sorted(counts) == sorted(CORE_INTENTS + FAQ_INTENTS)
    thin = {k: v for k, v in counts.items() if v < 40}
    assert not thin, f"labels with fewer than 40 examples: {thin}"
    seen: dict[str, str] = {}
    for e in data.examples:  # one message, one label
        key = e.text.lower().strip()
        assert seen.setdefault(key, e.intent) == e.intent, f"{e.text!r} is both {seen[key]} and {e.intent}"


def test_rasa_annotations_are_read_as_entities() -> None:
    text, ents = strip_annotations('plut [jogja](city) [besok]{"entity": "datetime"} ke [Solo](city:Surakarta)')
    assert text == "plut jogja besok ke Solo"
    assert [(e["entity"], e["value"], text[e["start"]:e["end"]]) for e in ents] == [
        ("city", "jogja", "jogja"), ("datetime", "besok", "besok"), ("city", "Surakarta", "Solo")]


def test_synonym_regex_and_lookup_entries() -> None:
    data = load_training_data(ROOT / "nlu")
    assert data.synonyms["jogja"] == "Yogyakarta"
    assert data.synonyms["solo"] == "Surakarta"
    assert "booking_ref" in data.regexes
    assert "Makassar" in data.lookups["city"]


def test_written_yaml_reads_back_the_same() -> None:
    data = load_training_data(ROOT / "nlu")
    again = parse_yaml(to_yaml(data))
    assert [(e.text, e.intent) for e in again.examples] == [(e.text, e.intent) for e in data.examples]
    assert [e.entities for e in again.examples] == [e.entities for e in data.examples]
    assert again.synonyms == data.synonyms and again.lookups == data.lookups


def test_bad_data_names_the_file() -> None:
    import pytest

    from bot.nlu.data import DataError

    with pytest.raises(DataError, match="x.yml"):
        from_texts({"x.yml": "version: '3.1'\nnlu:\n- intent: greet\n  examples: |\n    halo\n"})


def test_normaliser_reads_chat_indonesian() -> None:
    assert normalise("min mau nanya dong, NIB buat usaha keripik gmn caranya") == \
        "min mau tanya dong nib buat usaha keripik bagaimana caranya"
    assert normalise("sy udh daftar tp blm dpt jadwal") == "saya sudah daftar tapi belum dapat jadwal"
    assert normalise("jualan kecil2an") == "jualan kecil kecilan"
    assert normalise("halooooo") == "haloo"


def test_normaliser_folds_references_and_regional_yes_and_the_closing_salam() -> None:
    # every booking reference is one word to the classifier, not random letters
    assert normalise("nomor referensi PLUT-6GW2QK") == normalise("nomor referensi PLUT-A1B2") == \
        "nomor referensi kodebooking"
    assert normalise("ho oh kak") == normalise("hooh kak") == normalise("enjih kak") == "ya kak"
    assert normalise("inggih") == "ya"
    assert normalise("Wassalamu'alaikum wr wb") == normalise("wasalamualaikum wr wb") == "wassalam wr wb"
    assert normalise("assalamualaikum") == "assalamualaikum"
