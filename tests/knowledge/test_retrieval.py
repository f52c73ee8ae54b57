"""Finding (topic, aspect): held-out accuracy, the remembered topic, the source question, layering."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.knowledge import KnowledgeBase, asks_for_source
from bot.cli.knowledge import app
from bot.knowledge.retrieve import question_clause, training_texts
from bot.nlu.normalise import normalise
from tests.knowledge.test_check import GOOD

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = Path(__file__).with_name("heldout.yml")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase(ROOT / "knowledge")


HELD_OUT_SETS = tuple(sorted(p.name for p in HELDOUT.parent.glob("heldout*.yml")))
"""The held-out sets: every `heldout*.yml` here, never training data (a set added later is checked as soon as it is
there; heldout_new5.yml was folded into `_questions.yml` after its one run)."""


def test_heldout_has_300_questions_none_of_them_trained_on(kb: KnowledgeBase) -> None:
    items = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    assert len(items) >= 300
    assert {it["lang"] for it in items} >= {"id", "en", "mix"}
    held = [it for name in HELD_OUT_SETS if HELDOUT.with_name(name).exists()
            for it in yaml.safe_load(HELDOUT.with_name(name).read_text(encoding="utf-8"))]
    assert copied_into_training(kb, held) == []
    for it in held:
        if it["topic"] is not None:
            assert kb.kb.get(it["topic"], it["aspect"]) is not None, it


def copied_into_training(kb: KnowledgeBase, items: list[dict]) -> list[str]:
    trained = {normalise(t) for t in training_texts(kb.kb)}
    trained |= {normalise(w) for t in kb.kb.topics.values() for w in t.names + t.keywords}
    trained |= {normalise(q.q) for q in kb.kb.questions}
    return [it["q"] for it in items if normalise(it["q"]) in trained]


def test_the_copy_check_covers_a_new_held_out_set_and_finds_an_owner_question_in_it(kb: KnowledgeBase) -> None:
    # every heldout*.yml is checked as soon as it is added; an owner question of _questions.yml in it is a copy
    assert {"heldout.yml", "heldout_new.yml"} <= set(HELD_OUT_SETS)
    assert "heldout_new5.yml" not in HELD_OUT_SETS  # training data now (knowledge/_questions.yml)
    owner = kb.kb.questions[0]
    assert copied_into_training(kb, [{"q": owner.q.upper() + " ", "topic": owner.topic, "aspect": owner.aspect}]) != []


def test_the_owner_questions_are_training_data_of_both_models(kb: KnowledgeBase) -> None:
    from bot.knowledge.retrieve import ASPECT_REPEAT, aspect_training, plain, topic_training

    questions = kb.kb.questions
    assert len(questions) >= 900
    topic_texts, topic_labels = topic_training(kb.kb)
    aspect_texts, aspect_labels = aspect_training(kb.kb)
    sample = next(q for q in questions if q.topic is not None)
    assert topic_labels[topic_texts.index(normalise(sample.q))] == sample.topic
    assert aspect_texts.count(plain(normalise(sample.q))) >= ASPECT_REPEAT
    assert aspect_labels[aspect_texts.index(plain(normalise(sample.q)))] == sample.aspect


def test_the_topic_model_learns_a_third_of_the_phrasings_and_each_owner_question_twice(kb: KnowledgeBase) -> None:
    # all 374 phrasings x 29 topics outweighed the ~1,450 owner questions eight to one (docs/knowledge.md, Accuracy)
    from bot.knowledge.retrieve import TOPIC_REPEAT, _phrasings, topic_training

    texts, _labels = topic_training(kb.kb)
    templated = len(texts) - len(kb.kb.no_topic) - TOPIC_REPEAT * len(kb.kb.questions) - sum(
        len(e.examples) for t in kb.kb.topics.values() for e in t.entries.values())
    every = len(_phrasings(kb.kb)) * len(kb.kb.topics)
    assert 0.28 * every < templated < 0.39 * every
    assert TOPIC_REPEAT == 2
    sample = next(q for q in kb.kb.questions if q.topic is not None)
    assert texts.count(normalise(sample.q)) >= 2


def test_heldout_accuracy_is_at_least_95_percent(kb: KnowledgeBase) -> None:
    items = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))
    right = 0
    for it in items:
        m = kb.match(it["q"])
        assert m is not None
        got = (m.topic.name if m.topic else None, m.entry.aspect if m.entry else None)
        right += got == (it["topic"], it["aspect"])
    assert right / len(items) >= 0.95, f"{right}/{len(items)}"


def test_the_new_set_has_150_questions_in_every_language() -> None:
    items = yaml.safe_load(HELDOUT.with_name("heldout_new.yml").read_text(encoding="utf-8"))
    assert len(items) >= 150
    assert {it["lang"] for it in items} == {"id", "en", "mix"}
    assert len({it["q"] for it in items}) == len(items)


def test_all_held_out_questions_together_reach_95_percent(kb: KnowledgeBase) -> None:
    items = []
    for name in ("heldout.yml", "heldout_new.yml"):
        items += yaml.safe_load(HELDOUT.with_name(name).read_text(encoding="utf-8"))
    right = 0
    for it in items:
        m = kb.match(it["q"])
        assert m is not None
        right += (m.topic.name if m.topic else None, m.entry.aspect if m.entry else None) == (it["topic"], it["aspect"])
    assert right / len(items) >= 0.95, f"{right}/{len(items)}"


def test_the_fresh_owner_set_reaches_95_percent_in_every_language(kb: KnowledgeBase) -> None:
    # heldout_new8.yml: written by someone who never saw the training data, run once untouched at 95.9 %;
    # a change that costs it more than a question or two shows here
    items = yaml.safe_load(HELDOUT.with_name("heldout_new8.yml").read_text(encoding="utf-8"))
    assert len(items) >= 300
    right: dict[str, list[int]] = {}
    for it in items:
        m = kb.match(it["q"])
        assert m is not None
        ok = (m.topic.name if m.topic else None, m.entry.aspect if m.entry else None) == (it["topic"], it["aspect"])
        right.setdefault(it["lang"], []).append(int(ok))
    assert set(right) == {"id", "en", "mix"}
    total = [x for xs in right.values() for x in xs]
    assert sum(total) / len(total) >= 0.95, f"{sum(total)}/{len(total)}"
    assert all(sum(xs) / len(xs) >= 0.93 for xs in right.values()), {k: f"{sum(xs)}/{len(xs)}" for k, xs in right.items()}


def test_evaluate_reports_each_language() -> None:
    result = CliRunner().invoke(app, ["evaluate", "--test", str(HELDOUT), "--dir", str(ROOT / "knowledge"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)["accuracy"]
    assert set(report) == {"all", "en", "id", "mix"}
    assert report["all"]["total"] == sum(report[k]["total"] for k in ("en", "id", "mix"))
    assert report["all"]["accuracy"] >= 0.95


def test_a_follow_up_without_a_topic_uses_the_remembered_one(kb: KnowledgeBase) -> None:
    alone = kb.match("biayanya berapa?")
    assert alone is not None and alone.topic is None
    followed = kb.match("biayanya berapa?", remembered_topic="trademark")
    assert followed is not None and followed.topic is not None
    assert (followed.topic.name, followed.aspect) == ("trademark", "cost")
    # a message that names its own topic is not bent towards the remembered one
    own = kb.match("bunga kur berapa persen?", remembered_topic="trademark")
    assert own is not None and own.topic is not None and own.topic.name == "kur"


def test_an_aspect_without_an_entry_gets_the_overview_and_says_so(kb: KnowledgeBase) -> None:
    m = kb.match("berapa biaya mengurus pirt?")
    assert m is not None and m.topic is not None
    assert (m.kind, m.topic.name, m.asked_aspect, m.entry.aspect if m.entry else None) == ("missing", "pirt", "cost", "overview")
    answer = kb.answer("berapa biaya mengurus pirt?", "id")
    assert answer is not None and answer.unanswered
    assert "belum kami catat" in answer.text


@pytest.mark.parametrize("text", ["sumbernya apa?", "sumbernya dari mana kak", "what's the source?", "referensinya mana", "dasar hukumnya apa"])
def test_source_questions(text: str) -> None:
    assert asks_for_source(text)


@pytest.mark.parametrize("text", ["bunga kur berapa", "sumbawa ada plut?", "sumbangan untuk koperasi"])
def test_not_source_questions(text: str) -> None:
    assert not asks_for_source(text)


def test_the_package_imports_none_of_the_upper_layers() -> None:
    code = (
        "import sys, bot.knowledge;"
        "bad=('bot.engine','bot.services','bot.channels','bot.admin','bot.web','bot.cli');"
        "print(sorted(m for m in sys.modules if m.startswith(bad)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.parametrize(("text", "want"), [
    ("koperasi perlu notaris?", ("cooperative", "requirements")),
    ("qris mdr-nya", ("qris", "cost")),
])
def test_a_cue_word_points_at_its_aspect(kb: KnowledgeBase, text: str, want: tuple[str, str]) -> None:
    # "notaris" and "mdr" are cue words in _aspects.yml (cues:); no phrasing pairs them with the topic
    m = kb.match(text)
    assert m is not None and m.topic is not None and m.entry is not None
    assert (m.topic.name, m.entry.aspect) == want


def test_a_missing_aspect_gives_way_to_a_close_one_the_topic_answers(kb: KnowledgeBase) -> None:
    # "persen" asks for figures; QRIS has no figures entry but answers its cost (the MDR percentage)
    m = kb.match("qris potongannya berapa persen?")
    assert m is not None and m.topic is not None and m.entry is not None
    assert (m.kind, m.topic.name, m.entry.aspect) == ("answer", "qris", "cost")


def test_cues_name_known_aspects_only() -> None:
    from bot.knowledge import KnowledgeInvalid, parse_texts

    aspects = (ROOT / "knowledge" / "_aspects.yml").read_text(encoding="utf-8")
    with pytest.raises(KnowledgeInvalid, match="unknown aspects"):
        parse_texts({"_aspects.yml": aspects.replace("  cost: [biaya", "  price: [biaya", 1)})


def test_every_aspect_learns_from_as_many_questions() -> None:
    # the overview has the most phrasings and examples; learned as they come it took informal
    # questions ending in "gmn" / "bisa ga" whose question word it had not seen
    from collections import Counter

    from bot.knowledge import load
    from bot.knowledge.retrieve import aspect_training

    from dataclasses import replace

    templated = replace(load(ROOT / "knowledge"), questions=[])
    counts = Counter(aspect_training(templated)[1])
    assert len(set(counts.values())) == 1, counts


@pytest.mark.parametrize(("text", "want"), [
    ("usaha katering saya mau ambil kur, bisa ga", ("kur", "eligibility")),
    ("mau ngurus merek sendiri gmn", ("trademark", "steps")),
    ("pengajuan umi ke mana ya", ("umi", "where")),
])
def test_an_informal_ending_does_not_pull_the_question_to_the_overview(kb: KnowledgeBase, text: str, want: tuple[str, str]) -> None:
    m = kb.match(text)
    assert m is not None and m.topic is not None and m.entry is not None
    assert (m.topic.name, m.entry.aspect) == want


def test_a_particle_does_not_change_the_aspect(kb: KnowledgeBase) -> None:
    from bot.knowledge.retrieve import plain

    assert plain("syarat nib apa dong min") == "syarat nib apa"
    bare = kb.match("syarat pirt apa")
    polite = kb.match("syarat pirt apa sih dong kak")
    assert bare is not None and polite is not None and bare.entry is not None and polite.entry is not None
    assert polite.entry.aspect == bare.entry.aspect == "requirements"


@pytest.mark.parametrize("text", ["jam buka plut", "plut buka jam berapa", "sabtu plut buka ga ya?", "is PLUT open on saturday"])
def test_opening_hours_are_left_to_the_hours_answer(kb: KnowledgeBase, text: str) -> None:
    # a center's hours are the FAQ's and the find-a-center flow's; "jam buka plut" used to get
    # what to bring to a PLUT consultation
    m = kb.match(text)
    assert m is not None and m.kind == "unknown"


def test_opening_a_business_is_not_an_hours_question(kb: KnowledgeBase) -> None:
    m = kb.match("buka toko online hari ini gimana")
    assert m is not None and m.topic is not None and m.topic.name == "marketing"


@pytest.mark.parametrize("text", ["lagi cari distributor buat keripik", "how do I find resellers for my sambal"])
def test_looking_for_distributors_is_partnership(kb: KnowledgeBase, text: str) -> None:
    m = kb.match(text)
    assert m is not None and m.topic is not None and m.topic.name == "partnership"


def test_the_owners_own_business_data_is_not_the_bots_data(kb: KnowledgeBase) -> None:
    m = kb.match("saya mau simpan data stok barang")
    assert m is not None and (m.topic is None or m.topic.name != "bot_data")


@pytest.mark.parametrize(("text", "lang", "rule"), [
    ("klo gk ada jaminan bisa ga", "id", "tidak mewajibkan agunan tambahan"),
    ("what if I have no collateral?", "en", "need no extra collateral"),
])
def test_a_collateral_follow_up_after_kur_gets_the_collateral_rule(kb: KnowledgeBase, text: str, lang: str, rule: str) -> None:
    m = kb.match(text, remembered_topic="kur")
    assert m is not None and m.topic is not None and m.entry is not None
    assert (m.topic.name, m.entry.aspect) == ("kur", "requirements")
    answer = kb.answer(text, lang, remembered_topic="kur")
    assert answer is not None and rule in answer.text


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_next_step_names_the_service_area_as_bot_domain_areas_does(kb: KnowledgeBase, lang: str) -> None:
    from bot.domain.areas import SERVICE_AREAS, area_phrase
    from bot.knowledge.answer import next_steps

    for code in SERVICE_AREAS:
        topic = next(t for t in kb.kb.topics.values() if t.service_area == code)
        book = next_steps(topic, lang)[0].title
        assert area_phrase(code, lang).lower() in book.lower(), (code, book)


def test_training_stays_small_enough_to_train_in_seconds() -> None:
    # both models used to learn 29 000 generated questions: ~127 s of CPU, past the child
    # process's 120 s limit on a loaded machine. Training time grows faster than the count. With the
    # ~1,000 owner questions (topic once, aspect three times) it is ~18 500 texts, ~12 s of CPU
    # (bench/knowledge_bench.py); the budget is ~15 s.
    from bot.knowledge import load
    from bot.knowledge.retrieve import aspect_training, topic_training

    kb = load(ROOT / "knowledge")
    assert len(topic_training(kb)[0]) + len(aspect_training(kb)[0]) < 20000


def test_a_named_topic_wins(kb: KnowledgeBase) -> None:
    # named, beside e-Katalog's "jual ke pemerintah"
    m = kb.match("plut itu lembaga pemerintah bukan?")
    assert m is not None and m.topic is not None and m.topic.name == "plut"


@pytest.mark.parametrize(("text", "topic"), [("minimarkets near me", "partnership"), ("kurnya", "kur")])
def test_a_name_is_found_with_a_plural_or_nya(kb: KnowledgeBase, text: str, topic: str) -> None:
    assert kb.retriever is not None
    assert kb.retriever.names[topic].search(normalise(text))


@pytest.mark.parametrize(("text", "topic"), [
    ("stiker buat toples kue kering sy hrs ada tulisan apa aja", "label"),
    ("the cookies go in glass jars, what must the sticker say", "label"),
    ("buyer dari korea minta dokumen apa aja", "export"),
    ("gapoktan kami mau berbadan hukum, caranya gimana", "cooperative"),
    ("di aplikasi paylater sy ditagih debt collector terus, itu legal ga", "fintech"),
])
def test_a_domain_word_points_at_its_topic(kb: KnowledgeBase, text: str, topic: str) -> None:
    # no name of the topic is in the message; one of its `keywords` is ("stiker", "korea", "gapoktan", "paylater")
    m = kb.match(text)
    assert m is not None and m.topic is not None and m.topic.name == topic


def test_a_keyword_does_not_beat_a_named_topic(kb: KnowledgeBase) -> None:
    # "karyawan" and "gaji" are wages keywords; the message names BPJS
    m = kb.match("iuran bpjs kesehatan buat karyawan sy yg gajinya 3jt berapa")
    assert m is not None and m.topic is not None and m.topic.name == "bpjs"


def test_the_question_clause_is_the_one_with_a_question_word() -> None:
    assert question_clause("sy jual rendang kaleng, siapin duit brp buat halal") == normalise("siapin duit brp buat halal")
    assert question_clause("pirt jadi berapa hari kalau berkas udh lengkap") == normalise("pirt jadi berapa hari")
    assert question_clause("biaya halal berapa") is None


@pytest.mark.parametrize(("text", "want"), [
    ("berkas sudah sy siapkan semua, daftar merek prosesnya berapa lama", ("trademark", "duration")),
    ("dokumen lengkap, biaya udh sy transfer, sertifikat merek keluarnya berapa bulan", ("trademark", "duration")),
])
def test_context_words_weigh_less_than_the_question_clause(kb: KnowledgeBase, text: str, want: tuple[str, str]) -> None:
    # "berkas" / "dokumen" / "biaya" stand in the context, "berapa lama" / "berapa bulan" in the question
    m = kb.match(text)
    assert m is not None and m.topic is not None and m.entry is not None
    assert (m.topic.name, m.entry.aspect) == want


@pytest.mark.parametrize("text", ["izin pirt sy harus diperbarui tidak"])
def test_renewing_asks_how_long_it_is_valid(kb: KnowledgeBase, text: str) -> None:
    m = kb.match(text)
    assert m is not None and m.entry is not None and m.entry.aspect == "duration"


@pytest.mark.parametrize("text", ["harga tiket pesawat ke jepang berapa", "cuaca di malaysia gimana"])
def test_a_country_in_a_holiday_question_is_not_export(kb: KnowledgeBase, text: str) -> None:
    # country names are export keywords; the `no_topic` travel phrases keep chatter about trips out
    m = kb.match(text)
    assert m is not None and m.topic is None


@pytest.mark.parametrize("text", ["sambel sy cepet basi, paling 3 hari udh jamuran", "my helper keeps showing up late",
                                  "bakpia sy cepet basi kak, paling 3 hari"])
def test_a_keyword_counts_in_a_question_only(kb: KnowledgeBase, text: str) -> None:
    # a problem stated, not asked: the problem flow and booking answer it, not a knowledge entry (the owner
    # questions taught the topic model the words of spoilage: Retriever.states_a_problem keeps this so)
    m = kb.match(text)
    assert m is not None and m.topic is None


@pytest.mark.parametrize(("text", "want"), [("tips jualan di marketplace biar rame", "marketing"),
                                            ("makanan sy cepet basi, gmn ya", "production")])
def test_a_request_without_a_question_word_still_asks(kb: KnowledgeBase, text: str, want: str) -> None:
    m = kb.match(text)
    assert m is not None and m.topic is not None and m.topic.name == want


@pytest.mark.parametrize(("text", "want"), [
    # steps and overview
    ("sy baru buka warung mie ayam, nib itu sebenernya buat apa sih", ("nib", "overview")),
    ("udh bikin akun oss, abis itu ngapain ya", ("nib", "steps")),
    ("daftar merek sendiri tuh alurnya gmn dr awal", ("trademark", "steps")),
    ("merek dagang itu gunanya apa buat usaha kecil", ("trademark", "overview")),
    ("I already have an OSS account, what do I do next for the NIB", ("nib", "steps")),
    # overview and requirements
    ("mau ngajuin kur ke bank, bawa berkas apa aja", ("kur", "requirements")),
    ("kur itu program apa sih sebenernya", ("kur", "overview")),
    ("buat sertifikat halal perlu nib dulu ga", ("halal", "requirements")),
    ("sertifikat halal tuh sebenernya apa sih", ("halal", "overview")),
    ("what documents does the bank want for a KUR loan", ("kur", "requirements")),
    ("my friend told me about KUR, what is it exactly", ("kur", "overview")),
    # figures and eligibility
    ("plafon kur mikro paling gede brp", ("kur", "figures")),
    ("what's the interest rate on KUR these days", ("kur", "figures")),
    ("can a street food seller like me apply for KUR", ("kur", "eligibility")),
])
def test_owner_phrasings_of_confusable_aspects(kb: KnowledgeBase, text: str, want: tuple[str, str]) -> None:
    m = kb.match(text)
    assert m is not None and m.topic is not None and m.entry is not None
    assert (m.topic.name, m.entry.aspect) == want


@pytest.mark.parametrize(("text", "want"), [
    ("konsultan IT plut bisa bantu apa aja", "overview"),
    ("ketemu konsultan IT plut ada biayanya ga", "cost"),
    ("which documents do I need for a session with the IT consultant", "requirements"),
    ("walk me through a session with the PLUT IT consultant", "steps"),
    ("bidang IT plut ada di sentra mana aja", "where"),
    ("gaptek bgt, boleh dibantu konsultan IT?", "eligibility"),
])
def test_the_it_consultant_answers_each_of_its_aspects(kb: KnowledgeBase, text: str, want: str) -> None:
    m = kb.match(text)
    assert m is not None and m.topic is not None and m.entry is not None
    assert (m.topic.name, m.entry.aspect) == ("area_it", want)


@pytest.mark.parametrize(("text", "remembered", "want"), [
    ("how much does it cost?", "trademark", ("trademark", "cost")),
    ("how do I do it?", "nib", ("nib", "steps")),
    ("is it free?", "halal", ("halal", "cost")),
])
def test_the_pronoun_it_is_no_name_of_the_it_consultant(kb: KnowledgeBase, text: str, remembered: str, want: tuple[str, str]) -> None:
    from bot.knowledge.retrieve import it_as_name

    assert it_as_name("how much does it cost") == "how much does it cost"
    assert it_as_name("konsultan it plut") == "konsultan ti plut" and it_as_name("it consultant") == "ti consultant"
    m = kb.match(text, remembered_topic=remembered)
    assert m is not None and m.topic is not None and m.entry is not None
    assert (m.topic.name, m.entry.aspect) == want


def test_cross_validation_reports_each_language_and_the_topic_alone(tmp_path: Path) -> None:
    (tmp_path / "demo.yml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "_aspects.yml").write_text("aspects:\n  overview: ['{t} itu apa', 'what is {t}']\n"
                                           "  cost: ['biaya {t} berapa', 'how much is {t}']\n"
                                           "no_topic: ['cuaca besok', 'resep bakso']\n", encoding="utf-8")
    questions = [("contoh tuh buat apa", "id", "overview"), ("bayar brp buat contoh", "id", "cost"),
                 ("what's contoh for", "en", "overview"), ("does contoh cost money", "en", "cost"),
                 ("contoh gunanya apa sih", "id", "overview"), ("contoh gratis ga", "id", "cost"),
                 ("contoh what is it", "mix", "overview"), ("contoh price brp", "mix", "cost")]
    (tmp_path / "_questions.yml").write_text("questions:\n" + "".join(
        f'  - {{q: "{q}", lang: {lang}, topic: demo, aspect: {a}}}\n' for q, lang, a in questions)
        + '  - {q: "siapa presiden pertama", lang: id, topic: null, aspect: null}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "--cross-validation", "3", "--dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["folds"] == 3
    acc = report["accuracy"]
    assert set(acc) == {"all", "en", "id", "mix"}
    assert acc["all"]["total"] == 9 == sum(acc[k]["total"] for k in ("en", "id", "mix"))
    assert acc["all"]["topic_correct"] >= acc["all"]["correct"]
    assert all({"accuracy", "topic_accuracy"} <= set(r) for r in acc.values())
    text = CliRunner().invoke(app, ["evaluate", "--cross-validation", "3", "--dir", str(tmp_path)])
    assert text.exit_code == 0 and "3-fold cross-validation over 9 owner questions" in text.output
    assert "(topic " in text.output


def test_each_fold_is_read_by_models_that_never_learned_it() -> None:
    from bot.knowledge import load
    from bot.knowledge.evaluate import fold_of

    kb = load(ROOT / "knowledge")
    folds = {fold_of(q.q, 5) for q in kb.questions}
    assert folds == {0, 1, 2, 3, 4}
    # the split is by the normalised question: the same on every run
    assert fold_of("Bunga KUR brp?", 5) == fold_of("bunga kur berapa", 5)
