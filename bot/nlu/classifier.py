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

VERSION = "clf-2"
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
        self._prepare_fast_path()
        return self

    def _prepare_fast_path(self) -> None:
        """Scoring one message through sklearn's sparse matrices costs ~1 ms of overhead;
        the same arithmetic on a few dozen weight rows costs ~0.05 ms. Keep what it needs."""
        n_word = len(self.word.vocabulary_)
        self._word_analyzer = self.word.build_analyzer()
        self._char_analyzer = self.char.build_analyzer()
        self._word_index = dict(self.word.vocabulary_)
        self._char_index = {k: v + n_word for k, v in self.char.vocabulary_.items()}
        self._idf = np.concatenate([self.word.idf_, self.char.idf_]).astype(np.float64)
        coef = self.model.coef_
        if coef.shape[0] == 1:  # two classes: sklearn keeps one row
            coef = np.vstack([-coef[0], coef[0]])
        self._coef_t = np.ascontiguousarray(coef.T, dtype=np.float64)
        intercept = np.atleast_1d(self.model.intercept_)
        self._intercept = np.concatenate([-intercept, intercept]) if intercept.shape[0] == 1 else intercept.astype(np.float64)

    def _block(self, grams: list[str], index: dict[str, int]) -> tuple[list[int], np.ndarray]:
        counts: dict[int, int] = {}
        for g in grams:
            j = index.get(g)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return [], np.zeros(0)
        idx = list(counts)
        vals = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self._idf[idx]
        return idx, vals / np.sqrt((vals * vals).sum())

    def _scores(self, normalised: str) -> np.ndarray | None:
        wi, wv = self._block(self._word_analyzer(normalised), self._word_index)
        ci, cv = self._block(self._char_analyzer(normalised), self._char_index)
        if not wi and not ci:
            return None
        idx = wi + ci
        vals = np.concatenate([wv, cv])
        return vals @ self._coef_t[idx] + self._intercept

    def _probs(self, features) -> np.ndarray:  # type: ignore[no-untyped-def]
        scores = self.model.decision_function(features) / self.params.temperature
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def rank(self, text: str, top: int = 10) -> list[tuple[str, float]]:
        """Intents with confidences, best first; empty when no feature of the text is known
        (other scripts, emoji, gibberish of unseen characters)."""
        scores = self._scores(normalise(text))
        if scores is None:
            return []
        scores = (scores - scores.max()) / self.params.temperature
        e = np.exp(scores)
        probs = e / e.sum()
        order = np.argsort(-probs)[:top]
        return [(self.labels[i], float(probs[i])) for i in order]

    def rank_many(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """Best intent and confidence for each text (for evaluation)."""
        probs = self._probs(self._features([normalise(t) for t in texts]))
        best = probs.argmax(axis=1)
        return [(self.labels[i], float(probs[r, i])) for r, i in enumerate(best)]
