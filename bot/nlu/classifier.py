"""The intent classifier: word and character n-grams, a linear model.

Word uni- and bigrams catch the topic words ("nib", "kur", "halal"); character
n-grams inside word boundaries catch typos and affixes ("pinjamannya", "makasi",
"sertif"). A linear SVM trains in a fraction of a second on our data (so an admin's
edit is live at once) and scores one message in well under a millisecond; its
one-vs-rest margins go through a softmax with a fixed temperature to give the
confidence the "do not bluff" threshold compares against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from bot.nlu.normalise import normalise

VERSION = "clf-1"
"""Part of the cache key: bump when features or model change."""


@dataclass
class ClassifierParams:
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    C: float = 1.0
    temperature: float = 0.25
    """softmax(margin / temperature): lower is peakier. Tuned with `frontdesk nlu evaluate`."""


class IntentClassifier:
    def __init__(self, params: ClassifierParams | None = None) -> None:
        self.params = params or ClassifierParams()
        p = self.params
        self.word = TfidfVectorizer(analyzer="word", ngram_range=p.word_ngrams, sublinear_tf=True,
                                    token_pattern=r"(?u)\b\w+\b", lowercase=False)
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=p.char_ngrams, sublinear_tf=True,
                                    lowercase=False, min_df=1)
        self.model = LinearSVC(C=p.C)
        self.labels: list[str] = []
        self.vocabulary: frozenset[str] = frozenset()

    def _features(self, normalised: Sequence[str]):  # type: ignore[no-untyped-def]
        return hstack([self.word.transform(normalised), self.char.transform(normalised)]).tocsr()

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> IntentClassifier:
        norm = [normalise(t) for t in texts]
        self.word.fit(norm)
        self.char.fit(norm)
        self.model.fit(self._features(norm), list(intents))
        self.labels = [str(c) for c in self.model.classes_]
        self.vocabulary = frozenset(self.word.vocabulary_)
        return self

    def _probs(self, features) -> np.ndarray:  # type: ignore[no-untyped-def]
        scores = self.model.decision_function(features) / self.params.temperature
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def rank(self, text: str, top: int = 10) -> list[tuple[str, float]]:
        """Intents with confidences, best first; empty when no feature of the text is known
        (other scripts, emoji, gibberish of unseen characters)."""
        features = self._features([normalise(text)])
        if features.nnz == 0:
            return []
        probs = self._probs(features)[0]
        order = np.argsort(-probs)[:top]
        return [(self.labels[i], float(probs[i])) for i in order]

    def rank_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """Best intent and confidence for each text (for evaluation)."""
        probs = self._probs(self._features([normalise(t) for t in texts]))
        best = probs.argmax(axis=1)
        return [(self.labels[i], float(probs[r, i])) for r, i in enumerate(best)]
