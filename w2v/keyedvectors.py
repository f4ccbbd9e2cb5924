"""Trained word vectors and the queries people ask of them, with gensim's names
so that code written for gensim's ``KeyedVectors`` carries over."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from functools import cached_property

import numpy as np

from .errors import SettingsError, W2VError
from .topk import top_k

# Keeps 3CosMul's denominator away from zero (Levy and Goldberg 2014).
COSMUL_EPSILON = 1e-6


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
        if len(self.key_to_index) != len(self.index_to_key):
            repeated = next(w for i, w in enumerate(self.index_to_key) if self.key_to_index[w] != i)
            raise ValueError(f"the word {repeated!r} occurs more than once")
        self.vectors = vectors
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)
        self._ann_index = None

    # --- the approximate index (w2v/ann.py) ------------------------------------------

    @property
    def ann_index(self):
        """The ``VectorIndex`` (cosine, over these vectors) that answers
        queries approximately, or None: see `build_index`. Set it to an index
        loaded with ``w2v.ann.load_index_beside``, or to None to drop it."""
        return self._ann_index

    @ann_index.setter
    def ann_index(self, index) -> None:
        if index is not None and (index.metric != "cosine" or (index.rows, index.dim)
                                  != self.vectors.shape):
            raise ValueError(f"a {index.metric} index of {index.rows} x {index.dim} rows cannot "
                             f"answer cosine queries over {self.vectors.shape[0]} x "
                             f"{self.vectors.shape[1]} vectors")
        self._ann_index = index

    def build_index(self, threads: int = 0, progress=None):
        """Build the approximate index over the vectors and keep it as `ann_index`.

        With it, `most_similar`, `similar_by_vector` and `neighbours` on
        vocabularies of ``w2v.ann.INDEX_THRESHOLD`` words or more visit a few
        thousand rows per query instead of all of them; the scores returned
        are exact, only a true neighbour may (rarely) be missed. Needs the
        optional usearch package (``pip install 'w2v[ann]'``).

        Parameters
        ----------
        threads : int
            Build threads (0: all cores).
        progress : callable, optional
            ``progress(rows_done, rows_total)``, called now and then.

        Returns
        -------
        w2v.ann.VectorIndex
        """
        from .ann import VectorIndex
        self.ann_index = VectorIndex.build(self.vectors, "cosine", threads=threads,
                                           progress=progress)
        return self.ann_index

    def _use_index(self, restrict_vocab, exact) -> bool:
        """Whether a query goes to the approximate index: ``exact=None`` asks
        it when there is one and the vocabulary is large (below the threshold
        exact search takes milliseconds); ``False`` whenever there is one."""
        if exact not in (None, True, False):
            raise ValueError(f"exact must be True, False or None, not {exact!r}")
        if exact or restrict_vocab is not None or self._ann_index is None:
            if exact is False and self._ann_index is None:
                raise SettingsError("exact=False needs an approximate index: call "
                                    "build_index() first (or leave exact=None)")
            return False
        from .ann import INDEX_THRESHOLD
        return exact is False or len(self) >= INDEX_THRESHOLD

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
        """Rows scaled to unit length (zero rows stay zero), for cosine similarity.

        Computed at the first query and kept: on 100,000 x 300 vectors this
        takes longer than the query itself."""
        # einsum sums the squares without a temporary matrix: twice as fast as linalg.norm.
        norms = np.sqrt(np.einsum("ij,ij->i", self.vectors, self.vectors))[:, None]
        return self.vectors / np.maximum(norms, np.finfo(np.float32).tiny)

    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words."""
        return float(self.get_vector(word1, norm=True) @ self.get_vector(word2, norm=True))

    def most_similar(self, positive=None, negative=None, topn: int = 10,
                     restrict_vocab: int | None = None,
                     exact: bool | None = None) -> list[tuple[str, float]]:
        """Words closest by cosine to the sum of ``positive`` minus ``negative``
        (each term scaled to unit length first, as word2vec's ``distance`` does).

        Parameters
        ----------
        positive, negative : str, ndarray, or list of them
            Words or vectors of shape ``(vector_size,)``.
        topn : int
            How many words to return.
        restrict_vocab : int, optional
            Search only the most frequent words (the first rows); always exact.
        exact : bool, optional
            ``True`` compares the query with every word. By default (None) the
            approximate index answers when there is one (`build_index`) and
            the vocabulary has ``w2v.ann.INDEX_THRESHOLD`` words or more;
            ``False`` uses the index whenever there is one.

        Returns
        -------
        list of (str, float)
            Words and cosine similarities, most similar first. Words given as
            input are not returned; vectors exclude nothing.

        Examples
        --------
        ``kv.most_similar("paris", topn=5)`` finds neighbours;
        ``kv.most_similar(positive=["king", "woman"], negative=["man"])`` asks
        the classic analogy; ``kv.most_similar(kv["paris"])`` searches by vector.
        """
        terms, exclude = self._terms(positive, negative)
        query = sum(weight * vector for vector, weight in terms)
        norm = np.linalg.norm(query)
        if norm == 0:
            return []
        if self._use_index(restrict_vocab, exact):
            if int(topn) < 1:
                return []
            ids, scores = self._ann_index.search(query / norm, int(topn), exclude=[exclude])
            return [(self.index_to_key[i], float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        return self._top(self.unit_vectors[:restrict_vocab] @ (query / norm), topn, exclude)

    def similar_by_vector(self, vector, topn: int = 10, restrict_vocab: int | None = None,
                          exact: bool | None = None) -> list[tuple[str, float]]:
        """Words closest by cosine to ``vector``."""
        return self.most_similar(positive=[np.asarray(vector)], topn=topn,
                                 restrict_vocab=restrict_vocab, exact=exact)

    def most_similar_cosmul(self, positive=None, negative=None, topn: int = 10,
                            restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Words maximising the product of similarities to ``positive`` over
        the product of similarities to ``negative`` (3CosMul, Levy and
        Goldberg 2014, eq. 4). Cosines are shifted to [0, 1] as ``(1 + cos) / 2``
        and the denominator gets 1e-6 so it is never zero. Arguments and
        result are as for ``most_similar``; scores are the ratios.

        Examples
        --------
        ``kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"])``
        """
        terms, exclude = self._terms(positive, negative)
        if not any(weight > 0 for _, weight in terms):
            raise ValueError("most_similar_cosmul needs at least one positive word")
        candidates = self.unit_vectors[:restrict_vocab]
        numerator = np.ones(len(candidates), dtype=np.float32)
        denominator = np.ones(len(candidates), dtype=np.float32)
        for vector, weight in terms:
            shifted = (1 + candidates @ vector) / 2
            if weight > 0:
                numerator *= shifted
            else:
                denominator *= shifted
        return self._top(numerator / (denominator + COSMUL_EPSILON), topn, exclude)

    def analogy(self, a: str, b: str, c: str, topn: int = 10, method: str = "3cosadd",
                restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Answers to "``a`` is to ``b`` as ``c`` is to ?", best first.

        ``method="3cosadd"`` ranks by cosine to ``b - a + c`` (``most_similar``);
        ``"3cosmul"`` by ``most_similar_cosmul``. ``a``, ``b`` and ``c`` are
        never answers.

        Examples
        --------
        ``kv.analogy("man", "king", "woman", topn=1)`` gives ``[("queen", 0.7...)]``
        on good vectors.
        """
        if method == "3cosadd":
            search = self.most_similar
        elif method == "3cosmul":
            search = self.most_similar_cosmul
        else:
            raise ValueError(f"method must be '3cosadd' or '3cosmul', not {method!r}")
        return search(positive=[b, c], negative=[a], topn=topn, restrict_vocab=restrict_vocab)

    def neighbours(self, words, topn: int = 10, restrict_vocab: int | None = None,
                   exact: bool | None = None) -> list[list[tuple[str, float]]]:
        """Nearest neighbours of many words (or vectors) at once.

        One matrix product per block of queries replaces a pass over the
        vocabulary per word, which is several times faster for many words.

        Parameters
        ----------
        words : list of str or ndarray, or ndarray of shape (n, vector_size)
            The queries. A word is not its own neighbour.
        topn, restrict_vocab, exact
            As for ``most_similar``.

        Returns
        -------
        list of list of (str, float)
            One ``most_similar``-style list per query, in query order.

        Examples
        --------
        >>> kv = KeyedVectors(["a", "b", "c"], np.array([[1, 0], [1, 0.1], [0, 1]], dtype=np.float32))
        >>> [[w for w, _ in found] for found in kv.neighbours(["a", "c"], topn=1)]
        [['b'], ['b']]
        """
        items = [words] if isinstance(words, str) else list(words)
        queries = np.zeros((len(items), self.vector_size), dtype=np.float32)
        own = np.full(len(items), -1)  # each word's row, to leave it out of its own answer
        for k, item in enumerate(items):
            if isinstance(item, str):
                own[k] = self.index(item)
                queries[k] = self.unit_vectors[own[k]]
            else:
                queries[k] = self._unit(item)
        if self._use_index(restrict_vocab, exact):
            return self._neighbours_from_index(queries, own, topn)
        candidates = self.unit_vectors[:restrict_vocab]
        # Blocks of queries keep the (block, vocabulary) score matrix near 64 MB.
        block = max(1, (1 << 24) // max(len(candidates), 1))
        results = []
        for start in range(0, len(items), block):
            scores = queries[start:start + block] @ candidates.T
            mine = own[start:start + block]
            inside = (mine >= 0) & (mine < len(candidates))
            scores[np.flatnonzero(inside), mine[inside]] = -np.inf
            best = top_k(scores, topn)
            best_scores = np.take_along_axis(scores, best, axis=1)
            for query, row, row_scores in zip(queries[start:start + block], best, best_scores):
                results.append([] if not query.any() else
                               [(self.index_to_key[i], float(s))
                                for i, s in zip(row, row_scores) if s != -np.inf])
        return results

    def _neighbours_from_index(self, queries, own, topn):
        if int(topn) < 1 or not len(queries):
            return [[] for _ in queries]
        exclude = [{int(row)} if row >= 0 else set() for row in own]
        ids, scores = self._ann_index.search(queries, int(topn), exclude=exclude)
        return [[(self.index_to_key[i], float(s)) for i, s in zip(row, row_scores) if i >= 0]
                for row, row_scores in zip(ids, scores)]

    def doesnt_match(self, words: Iterable[str]) -> str:
        """The word furthest from the mean of the others' directions."""
        words = list(words)
        if len(words) < 2:
            raise ValueError("doesnt_match needs at least two words")
        vectors = np.stack([self.get_vector(w, norm=True) for w in words])
        mean = vectors.mean(axis=0)
        return words[int(np.argmin(vectors @ mean))]

    def _unit(self, vector) -> np.ndarray:
        vector = np.asarray(vector, dtype=np.float32)
        if vector.shape != (self.vector_size,):
            raise ValueError(f"a query vector must have shape ({self.vector_size},), got {vector.shape}")
        return vector / max(float(np.linalg.norm(vector)), 1e-30)

    def _terms(self, positive, negative):
        """Unit vectors of the query terms with weights +1 / -1, and the rows
        of the words among them (never returned as answers)."""
        positive, negative = _as_list(positive), _as_list(negative)
        if not positive and not negative:
            raise ValueError("a query needs at least one positive or negative word")
        terms, exclude = [], set()
        for items, weight in ((positive, 1.0), (negative, -1.0)):
            for item in items:
                if isinstance(item, str):
                    row = self.index(item)
                    exclude.add(row)
                    terms.append((self.unit_vectors[row], weight))
                else:
                    terms.append((self._unit(item), weight))
        return terms, exclude

    def _top(self, scores: np.ndarray, topn: int, exclude: set) -> list[tuple[str, float]]:
        """The ``topn`` best-scoring rows outside ``exclude``, best first."""
        best = top_k(scores, topn + len(exclude))
        return [(self.index_to_key[i], float(scores[i])) for i in best if i not in exclude][:topn]

    # --- standard evaluations (w2v/evaluate.py) ----------------------------------

    def evaluate_word_analogies(self, analogies=None, restrict_vocab: int = 30_000,
                                case_insensitive: bool = True, method: str = "3cosadd"):
        """Accuracy on analogy questions (the bundled Google set by default);
        see ``w2v.evaluate.evaluate_word_analogies``."""
        from .evaluate import evaluate_word_analogies
        return evaluate_word_analogies(self, analogies, restrict_vocab=restrict_vocab,
                                       case_insensitive=case_insensitive, method=method)

    def evaluate_word_pairs(self, pairs=None, restrict_vocab: int = 300_000,
                            case_insensitive: bool = True):
        """Spearman and Pearson correlations with human similarity scores (the
        bundled WordSim-353 by default); see ``w2v.evaluate.evaluate_word_pairs``."""
        from .evaluate import evaluate_word_pairs
        return evaluate_word_pairs(self, pairs, restrict_vocab=restrict_vocab,
                                   case_insensitive=case_insensitive)

    # --- files (w2v/formats.py) ---------------------------------------------------

    def save_word2vec_format(self, path, binary: bool = False) -> None:
        """Write word2vec's text (``.vec``) or binary (``.bin``) format, lossless
        for float32; see ``w2v.formats.save_word2vec_format``."""
        from .formats import save_word2vec_format
        save_word2vec_format(self, path, binary=binary)

    @classmethod
    def load_word2vec_format(cls, path, binary: bool | None = None, unicode_errors: str = "strict",
                             limit: int | None = None) -> KeyedVectors:
        """Read a word2vec text or binary file (word2vec C, gensim, fastText);
        see ``w2v.formats.load_word2vec_format``."""
        from .formats import load_word2vec_format
        return load_word2vec_format(path, binary=binary, unicode_errors=unicode_errors, limit=limit)


def _as_list(items) -> list:
    if items is None:
        return []
    if isinstance(items, str) or (isinstance(items, np.ndarray) and items.ndim == 1):
        return [items]
    return list(items)
