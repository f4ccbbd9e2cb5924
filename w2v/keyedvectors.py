"""Trained word vectors and the queries people ask of them, with gensim's names
so that code written for gensim's ``KeyedVectors`` carries over."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from functools import cached_property

import numpy as np

from .errors import W2VError


class UnknownWordError(KeyError, W2VError):
    """A word that is not in the vocabulary; the message suggests close words."""

    def __init__(self, word: str, suggestions: Sequence[str] = ()):
        self.word = word
        self.suggestions = list(suggestions)
        hint = f"; did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"{word!r} is not in the vocabulary{hint}")

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return self.args[0]


class KeyedVectors:
    """A vocabulary with one vector per word.

    Parameters
    ----------
    words : list of str
        Words in row order (w2v keeps them most frequent first).
    vectors : ndarray, shape (len(words), dim)
        One row per word; float32.
    counts : ndarray of int, optional
        Corpus counts, when known.

    Examples
    --------
    >>> kv = KeyedVectors(["a", "b"], np.eye(2, dtype=np.float32))
    >>> kv.similarity("a", "b")
    0.0
    """

    def __init__(self, words: list[str], vectors: np.ndarray, counts: np.ndarray | None = None):
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(words):
            raise ValueError(f"{len(words)} words but vectors of shape {vectors.shape}")
        self.index_to_key = list(words)
        self.key_to_index = {word: i for i, word in enumerate(self.index_to_key)}
        self.vectors = vectors
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)

    # --- the mapping protocol ---------------------------------------------------

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word) -> bool:
        return word in self.key_to_index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self.index(word)]

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self)} words, dim {self.vector_size})"

    @property
    def vector_size(self) -> int:
        return self.vectors.shape[1]

    def index(self, word: str) -> int:
        """Row of ``word``; an ``UnknownWordError`` (a ``KeyError``) names it otherwise."""
        try:
            return self.key_to_index[word]
        except (KeyError, TypeError):
            raise UnknownWordError(word, self.suggest(word)) from None

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        return (self.unit_vectors if norm else self.vectors)[self.index(word)]

    def suggest(self, word, n: int = 3) -> list[str]:
        """Vocabulary words spelled like ``word``, closest first."""
        if not isinstance(word, str) or not word:
            return []
        # difflib over a whole vocabulary is slow; words of similar length
        # among the 50,000 most frequent are where a typo's target lives.
        candidates = [w for w in self.index_to_key[:50_000] if abs(len(w) - len(word)) <= 2]
        return difflib.get_close_matches(word, candidates, n=n, cutoff=0.75)

    # --- similarity queries -----------------------------------------------------

    @cached_property
    def unit_vectors(self) -> np.ndarray:
        """Rows scaled to unit length (zero rows stay zero), for cosine similarity."""
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        return self.vectors / np.maximum(norms, np.finfo(np.float32).tiny)

    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words."""
        return float(self.get_vector(word1, norm=True) @ self.get_vector(word2, norm=True))

    def most_similar(self, positive=None, negative=None, topn: int = 10,
                     restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Words closest by cosine to the mean of ``positive`` minus ``negative``.

        Each of ``positive`` and ``negative`` is a word, a vector, or a list of
        them. Words given as input are not returned. ``restrict_vocab`` searches
        only the most frequent words (the first rows).

        Examples
        --------
        ``kv.most_similar(positive=["king", "woman"], negative=["man"])`` asks
        the classic analogy; ``kv.most_similar("paris", topn=5)`` finds neighbours.
        """
        positive, negative = _as_list(positive), _as_list(negative)
        if not positive and not negative:
            raise ValueError("most_similar needs at least one positive or negative word")
        terms = [(item, 1.0) for item in positive] + [(item, -1.0) for item in negative]
        query = np.zeros(self.vector_size, dtype=np.float32)
        exclude = set()
        for item, weight in terms:
            if isinstance(item, str):
                exclude.add(self.index(item))
                query += weight * self.unit_vectors[self.index(item)]
            else:
                vector = np.asarray(item, dtype=np.float32)
                if vector.shape != (self.vector_size,):
                    raise ValueError(f"a query vector must have shape ({self.vector_size},), "
                                     f"got {vector.shape}")
                query += weight * vector / max(np.linalg.norm(vector), 1e-30)
        return self._nearest(query, topn, exclude, restrict_vocab)

    def _nearest(self, query, topn, exclude, restrict_vocab):
        norm = np.linalg.norm(query)
        if norm == 0:
            return []
        candidates = self.unit_vectors[:restrict_vocab]
        scores = candidates @ (query / norm)
        wanted = min(topn + len(exclude), len(scores))
        best = np.argpartition(-scores, wanted - 1)[:wanted] if wanted < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.index_to_key[i], float(scores[i])) for i in best if i not in exclude][:topn]

    def doesnt_match(self, words: Iterable[str]) -> str:
        """The word furthest from the mean of the others' directions."""
        words = list(words)
        if len(words) < 2:
            raise ValueError("doesnt_match needs at least two words")
        vectors = np.stack([self.get_vector(w, norm=True) for w in words])
        mean = vectors.mean(axis=0)
        return words[int(np.argmin(vectors @ mean))]


    # --- standard evaluations (w2v/evaluate.py) ----------------------------------

    def evaluate_word_analogies(self, path, restrict_vocab: int = 30_000, lowercase: bool = True):
        """Google-analogy accuracy (3CosAdd); see ``w2v.evaluate.evaluate_word_analogies``."""
        from .evaluate import evaluate_word_analogies
        return evaluate_word_analogies(self, path, restrict_vocab=restrict_vocab, lowercase=lowercase)

    def evaluate_word_pairs(self, path, lowercase: bool = True):
        """Spearman/Pearson on a word-pair file; see ``w2v.evaluate.evaluate_word_pairs``."""
        from .evaluate import evaluate_word_pairs
        return evaluate_word_pairs(self, path, lowercase=lowercase)


def _as_list(items) -> list:
    if items is None:
        return []
    if isinstance(items, str) or (isinstance(items, np.ndarray) and items.ndim == 1):
        return [items]
    return list(items)
