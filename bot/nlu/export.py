"""`frontdesk nlu export-rasa DIR`: a ready Rasa 3.x project from our data and answers.

    DIR/config.yml      pipeline close to ours (word + char n-grams) with DIET,
                        a ResponseSelector for `faq/*` and a FallbackClassifier
    DIR/domain.yml      intents, entities, and `utter_faq/<topic>` responses (Indonesian
                        and English answers, picked by the `language` slot)
    DIR/data/nlu.yml    our training data, entity annotations kept
    DIR/data/rules.yml  faq -> utter_faq

`rasa train` in DIR then gives a model that `NLU_BACKEND=rasa` can use.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.nlu.data import TrainingData, to_yaml
from bot.nlu.faq import FaqStore

ENTITIES = ["city", "service_area", "datetime", "booking_ref"]


def rasa_config(threshold: float) -> dict:
    return {
        "recipe": "default.v1",
        "language": "id",
        "assistant_id": "plut-frontdesk",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "RegexFeaturizer"},
            {"name": "LexicalSyntacticFeaturizer"},
            {"name": "CountVectorsFeaturizer"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5},
            {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
            {"name": "EntitySynonymMapper"},
            {"name": "ResponseSelector", "epochs": 100, "retrieval_intent": "faq"},
            {"name": "FallbackClassifier", "threshold": threshold},
        ],
        "policies": [{"name": "RulePolicy"}, {"name": "MemoizationPolicy"}],
    }


def export_rasa(data: TrainingData, faq: FaqStore, directory: Path, threshold: float = 0.5) -> list[Path]:
    directory = Path(directory)
    (directory / "data").mkdir(parents=True, exist_ok=True)
    base_intents = sorted({e.intent.split("/", 1)[0] for e in data.examples})
    responses: dict[str, list[dict]] = {}
    for intent in faq.intents:
        entry = faq.get(intent)
        assert entry is not None
        responses[f"utter_{intent}"] = [
            {"text": entry.answer.id.strip(), "condition": [{"type": "slot", "name": "language", "value": "id"}]},
            {"text": entry.answer.en.strip()},
        ]
    domain = {
        "version": "3.1",
        "intents": base_intents,
        "entities": ENTITIES,
        "slots": {"language": {"type": "categorical", "values": ["id", "en"], "influence_conversation": False,
                               "mappings": [{"type": "custom"}]}},
        "responses": responses,
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }
    rules = {"version": "3.1", "rules": [{"rule": "answer frequent questions",
                                          "steps": [{"intent": "faq"}, {"action": "utter_faq"}]}]}
    files = {
        directory / "config.yml": yaml.safe_dump(rasa_config(threshold), sort_keys=False, allow_unicode=True),
        directory / "domain.yml": yaml.safe_dump(domain, sort_keys=False, allow_unicode=True, width=1000),
        directory / "data" / "nlu.yml": to_yaml(data),
        directory / "data" / "rules.yml": yaml.safe_dump(rules, sort_keys=False),
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
