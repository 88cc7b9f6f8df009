"""The suggestion model itself: plain values in, plain values out, no database (issue 24 §1).

Why this model. IT tickets are short texts whose class is carried by a few words ("VPN", "printer",
"locked out"), often misspelt. Word unigrams and bigrams weighted by TF-IDF catch the words;
character 3-4-grams inside words catch the misspellings and word forms. A linear classifier on
that sparse matrix is the published strong baseline for ticket routing (within a few points of
large language models on IT-ticket sets, "IT Ticket Classification: The Simpler, the Better", IEEE
Access 2020), trains on a million tickets in minutes on two cores with bounded memory, answers one
ticket in about a millisecond, and its probabilities give the confidence that gates routing.
Logistic loss trained by stochastic gradient descent (``SGDClassifier``) rather than an exact solver
because its time grows linearly with the rows; one classifier per field, since each field has its
own classes and one wrong field should not drag the others.

The split is by time, never at random: a model is used on next month's tickets, so it is judged on
the last month it did not see, and compared with the most frequent class of its training months
(the "baseline" a model must beat to be worth showing).
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import FeatureUnion

FIELDS: tuple[str, ...] = ("category", "service", "assignment_group", "priority")
TOP_K = 3
# Below this many held-out incidents the last month is too thin to judge a model on: the last
# fifth of the history (by time) is held out instead.
MIN_TEST = 30
MIN_TRAIN = 20
# The bound on passes over the data (``fit``); convergence by tolerance ends training well before it.
MAX_PASSES = 50

Label = int  # a primary key, or the priority 1-5


@dataclass(frozen=True)
class Example:
    """One past incident as the trainer sees it: its words, channel, outcome and weight."""

    title: str
    description: str
    channel: str
    created_at: datetime
    labels: dict[str, Label | None]
    # An incident where an agent overrode the suggestion teaches more than one where it was right.
    weight: float = 1.0


@dataclass(frozen=True)
class Guess:
    value: Label
    confidence: float


@dataclass
class FieldScore:
    top1: float
    top3: float
    baseline_top1: float
    baseline_top3: float
    tested: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "top1": round(self.top1, 4),
            "top3": round(self.top3, 4),
            "baseline_top1": round(self.baseline_top1, 4),
            "baseline_top3": round(self.baseline_top3, 4),
            "tested": self.tested,
        }


@dataclass
class Evaluation:
    trained_on: int
    tested_on: int
    split_at: datetime | None
    fields: dict[str, FieldScore] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """The one figure two models are compared on: mean top-1 accuracy over the fields judged."""
        judged = [s.top1 for s in self.fields.values() if s.tested]
        return sum(judged) / len(judged) if judged else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "trained_on": self.trained_on,
            "tested_on": self.tested_on,
            "split_at": self.split_at.isoformat() if self.split_at else None,
            "score": round(self.score, 4),
            "fields": {name: s.as_dict() for name, s in self.fields.items()},
        }


def document(title: str, description: str, channel: str = "") -> str:
    # The title says what is wrong in few words: counted twice so that a long description does not
    # drown it. The channel is a token of its own (a mail and a phone call are worded differently).
    text = f"{title}\n{title}\n{description[:2000]}"
    return f"{text}\nzzchannel{channel}" if channel else text


def _vectorizer() -> FeatureUnion:
    words = TfidfVectorizer(
        sublinear_tf=True,
        strip_accents="unicode",
        ngram_range=(1, 2),
        min_df=2,
        max_df=0.5,
        max_features=60_000,
        dtype=np.float32,
    )
    chars = TfidfVectorizer(
        sublinear_tf=True,
        strip_accents="unicode",
        analyzer="char_wb",
        ngram_range=(3, 4),
        min_df=2,
        max_df=0.5,
        max_features=40_000,
        dtype=np.float32,
    )
    return FeatureUnion([("words", words), ("chars", chars)])


class _Constant:
    """A field with one class in the training data: nothing to learn, the class itself."""

    def __init__(self, value: Label) -> None:
        self.classes_ = np.array([value])

    def predict_proba(self, x: Any) -> np.ndarray:
        return np.ones((x.shape[0], 1))


class Suggester:
    """A fitted model: the vectorizer and one classifier per field."""

    def __init__(self, vectorizer: FeatureUnion, classifiers: dict[str, Any]) -> None:
        self.vectorizer = vectorizer
        self.classifiers = classifiers

    def transform(self, docs: Sequence[str]) -> sparse.csr_matrix:
        return self.vectorizer.transform(docs)

    def ranked(self, field_name: str, x: sparse.csr_matrix, k: int = TOP_K) -> list[list[Guess]]:
        clf = self.classifiers.get(field_name)
        if clf is None:
            return [[] for _ in range(x.shape[0])]
        proba = clf.predict_proba(x)
        order = np.argsort(-proba, axis=1)[:, :k]
        return [
            [Guess(value=int(clf.classes_[j]), confidence=float(proba[i, j])) for j in order[i]]
            for i in range(x.shape[0])
        ]

    def suggest(self, title: str, description: str = "", channel: str = "") -> dict[str, list[Guess]]:
        x = self.transform([document(title, description, channel)])
        return {name: self.ranked(name, x)[0] for name in self.classifiers}

    def dumps(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(blob: bytes) -> Suggester:
        # Only ever a blob this module wrote into the project's own database (learning.models).
        model = pickle.loads(blob)  # noqa: S301
        if not isinstance(model, Suggester):
            raise TypeError("not a suggestion model")
        return model


def fit(examples: Sequence[Example]) -> Suggester:
    if not examples:
        raise ValueError("no incidents to learn from")
    vectorizer = _vectorizer()
    x = vectorizer.fit_transform([document(e.title, e.description, e.channel) for e in examples])
    for _name, part in vectorizer.transformer_list:
        # The terms cut by min_df/max_df/max_features: only for introspection, and at a million tickets
        # millions of strings that would be pickled with the model.
        if hasattr(part, "stop_words_"):
            del part.stop_words_
    weights = np.array([e.weight for e in examples], dtype=np.float64)
    classifiers: dict[str, Any] = {}
    for name in FIELDS:
        rows = [i for i, e in enumerate(examples) if e.labels.get(name) is not None]
        if not rows:
            continue
        y = np.array([examples[i].labels[name] for i in rows])
        classes = np.unique(y)
        if len(classes) == 1:
            classifiers[name] = _Constant(int(classes[0]))
            continue
        # Stops when five passes in a row improve the loss by less than ``tol``: 11-25 passes on 300-20,000
        # generated tickets (the more rows, the fewer passes). ``max_iter`` is a bound it does not reach,
        # not the stopping rule: a model that hits it is not converged, and scikit-learn says so.
        clf = SGDClassifier(loss="log_loss", alpha=2e-5, max_iter=MAX_PASSES, tol=1e-3, random_state=0)
        clf.fit(x[rows], y, sample_weight=weights[rows])
        classifiers[name] = clf
    return Suggester(vectorizer, classifiers)


def time_split(examples: Sequence[Example]) -> tuple[list[Example], list[Example], datetime | None]:
    """Train on the earlier months, test on the last one (by creation time).

    Where the last month holds fewer than ``MIN_TEST`` incidents, or leaves fewer than ``MIN_TRAIN``
    before it, the last fifth by time is held out instead: still never a random split.
    """
    ordered = sorted(examples, key=lambda e: e.created_at)
    if len(ordered) < MIN_TRAIN + 2:
        return ordered, [], None
    last = ordered[-1].created_at
    month_start = last.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    cut = next((i for i, e in enumerate(ordered) if e.created_at >= month_start), len(ordered))
    if len(ordered) - cut < MIN_TEST or cut < MIN_TRAIN:
        cut = max(MIN_TRAIN, int(len(ordered) * 0.8))
    return ordered[:cut], ordered[cut:], ordered[cut].created_at if cut < len(ordered) else None


def _baseline(train: Iterable[Label], test: Sequence[Label]) -> tuple[float, float]:
    common = [label for label, _ in Counter(train).most_common(TOP_K)]
    if not test or not common:
        return 0.0, 0.0
    top1 = sum(1 for y in test if y == common[0]) / len(test)
    top3 = sum(1 for y in test if y in common) / len(test)
    return top1, top3


def evaluate(model: Suggester, train: Sequence[Example], test: Sequence[Example]) -> Evaluation:
    result = Evaluation(trained_on=len(train), tested_on=len(test), split_at=None)
    if not test:
        return result
    result.split_at = min(e.created_at for e in test)
    x = model.transform([document(e.title, e.description, e.channel) for e in test])
    for name in FIELDS:
        rows = [i for i, e in enumerate(test) if e.labels.get(name) is not None]
        truth = [y for e in test if (y := e.labels.get(name)) is not None]
        b1, b3 = _baseline([y for e in train if (y := e.labels.get(name)) is not None], truth)
        if not rows:
            continue
        guesses = model.ranked(name, x[rows])
        top1 = sum(1 for g, y in zip(guesses, truth, strict=True) if g and g[0].value == y)
        top3 = sum(1 for g, y in zip(guesses, truth, strict=True) if any(c.value == y for c in g))
        result.fields[name] = FieldScore(
            top1=top1 / len(rows), top3=top3 / len(rows), baseline_top1=b1, baseline_top3=b3, tested=len(rows)
        )
    return result


def train(examples: Sequence[Example]) -> tuple[Suggester, Evaluation]:
    """Judge a model trained on the earlier months against the last one, then fit the model that is
    kept on every example: the held-out month is the freshest, so the kept model must know it too."""
    earlier, last = time_split(examples)[:2]
    evaluation = evaluate(fit(earlier), earlier, last) if last else Evaluation(len(earlier), 0, None)
    return fit(examples), evaluation
