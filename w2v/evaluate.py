"""Standard tests of word vectors: Google analogies and word-pair similarity.

The protocols follow word2vec's ``compute-accuracy`` and gensim's evaluators,
so figures are comparable with published ones: analogies are answered by
3CosAdd over the ``restrict_vocab`` most frequent words, question words are
never the answer, and questions or pairs with unknown words are skipped and
counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

from .errors import W2VError

SEMANTIC_SECTIONS = {"capital-common-countries", "capital-world", "currency",
                     "city-in-state", "family"}


@dataclass
class AnalogyResult:
    """Accuracy over the questions whose four words are known.

    ``sections`` maps each section name to ``(correct, asked)``."""

    sections: dict[str, tuple[int, int]] = field(default_factory=dict)
    skipped: int = 0

    def _total(self, names=None) -> tuple[int, int]:
        chosen = [v for k, v in self.sections.items() if names is None or k in names]
        return sum(c for c, _ in chosen), sum(n for _, n in chosen)

    @staticmethod
    def _ratio(pair):
        correct, asked = pair
        return correct / asked if asked else 0.0

    @property
    def accuracy(self) -> float:
        return self._ratio(self._total())

    @property
    def semantic_accuracy(self) -> float:
        return self._ratio(self._total(SEMANTIC_SECTIONS))

    @property
    def syntactic_accuracy(self) -> float:
        return self._ratio(self._total(set(self.sections) - SEMANTIC_SECTIONS))

    @property
    def asked(self) -> int:
        return self._total()[1]


def read_analogies(path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    """Sections of ``a b c d`` questions from a file in the Google format."""
    sections: list[tuple[str, list]] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith(":"):
                sections.append((line[1:].strip(), []))
                continue
            words = line.split()
            if len(words) != 4:
                raise W2VError(f"{path}, line {number}: expected four words, got {len(words)}")
            if not sections:
                sections.append(("questions", []))
            sections[-1][1].append(tuple(words))
    return sections


def evaluate_word_analogies(kv, path, restrict_vocab: int = 30_000, lowercase: bool = True,
                            batch: int = 2048) -> AnalogyResult:
    """Answer each question "a is to b as c is to ?" with the known word
    closest to ``b - a + c`` (unit vectors; a, b and c excluded) among the
    ``restrict_vocab`` most frequent words."""
    allowed = {w: i for i, w in enumerate(kv.index_to_key[:restrict_vocab])}
    unit = kv.unit_vectors[:restrict_vocab]
    result = AnalogyResult()
    for name, questions in read_analogies(path):
        ids = []
        for question in questions:
            words = [w.lower() if lowercase else w for w in question]
            if all(w in allowed for w in words):
                ids.append([allowed[w] for w in words])
            else:
                result.skipped += 1
        correct = 0
        ids = np.array(ids, dtype=np.int64).reshape(-1, 4)
        for start in range(0, len(ids), batch):
            a, b, c, d = ids[start:start + batch].T
            query = unit[b] - unit[a] + unit[c]
            scores = query @ unit.T
            rows = np.arange(len(a))
            for excluded in (a, b, c):
                scores[rows, excluded] = -np.inf
            correct += int((scores.argmax(axis=1) == d).sum())
        result.sections[name] = (correct, len(ids))
    return result


@dataclass
class SimilarityResult:
    spearman: float
    pearson: float
    pairs: int
    oov_pairs: int

    @property
    def oov_ratio(self) -> float:
        total = self.pairs + self.oov_pairs
        return self.oov_pairs / total if total else 0.0


def read_word_pairs(path) -> list[tuple[str, str, float]]:
    """``word1 word2 score`` lines (tab- or space-separated); ``#`` starts a
    comment; a first line whose score is not a number is taken as a header."""
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t") if "\t" in line else line.split()
            if len(fields) < 3:
                raise W2VError(f"{path}, line {number}: expected word1, word2 and a score")
            try:
                score = float(fields[2])
            except ValueError:
                if not pairs:
                    continue  # a header line
                raise W2VError(f"{path}, line {number}: score {fields[2]!r} is not a number") from None
            pairs.append((fields[0].strip(), fields[1].strip(), score))
    if not pairs:
        raise W2VError(f"{Path(path)} holds no word pairs")
    return pairs


def evaluate_word_pairs(kv, path, lowercase: bool = True) -> SimilarityResult:
    """Spearman and Pearson correlation of cosine similarity with human scores,
    over the pairs whose two words are known."""
    model_scores, human_scores, oov = [], [], 0
    for w1, w2, human in read_word_pairs(path):
        if lowercase:
            w1, w2 = w1.lower(), w2.lower()
        if w1 in kv and w2 in kv:
            model_scores.append(kv.similarity(w1, w2))
            human_scores.append(human)
        else:
            oov += 1
    if len(model_scores) < 2:
        raise W2VError(f"{path}: fewer than two pairs have both words in the vocabulary")
    return SimilarityResult(
        spearman=float(stats.spearmanr(model_scores, human_scores).statistic),
        pearson=float(stats.pearsonr(model_scores, human_scores).statistic),
        pairs=len(model_scores), oov_pairs=oov)
