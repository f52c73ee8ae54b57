"""Understanding text: intent classification, entity extraction, FAQ retrieval.

Every backend answers `parse` with the shape of Rasa's `/model/parse`:
`{"text", "intent": {"name", "confidence"}, "intent_ranking": [...], "entities": [...], "language"}`.
"""
