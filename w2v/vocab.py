"""The vocabulary: word counts in frequency order, and the two distributions
training draws from (subsampling keep-probabilities and the noise distribution
for negatives).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .errors import CorpusError, SettingsError, VocabularyError
from .settings import LIMITS, real_number, whole_number


@dataclass
class Vocabulary:
    """Words most frequent first, with their counts.

    A vocabulary `updated` with a new corpus keeps its words in their rows
    and appends the new ones after them, most frequent first among
    themselves: then only each of the two parts is in frequency order.

    Attributes
    ----------
    words : list of str
        Row ``i`` of every vector matrix belongs to ``words[i]``.
    counts : ndarray of int64
        Occurrences of each word in the corpus it was built from (lower
        bounds if words were dropped while counting, see `build`); whole
        numbers >= 1.
    corpus_tokens : int
        All tokens read while counting, including those below ``min_count``.
    pruned_words : int
        Words dropped while counting to respect ``max_size`` (a word dropped
        twice counts twice).

    Raises
    ------
    SettingsError
        If ``counts`` are not whole numbers >= 1 (NaN, inf, fractions, bools,
        text, values beyond int64), or not one per word.
    VocabularyError
        If a word is not a string or is listed twice.
    """

    words: list[str]
    counts: np.ndarray
    corpus_tokens: int = 0
    pruned_words: int = 0
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        self.counts = _whole_counts(self.counts, len(self.words))
        self.corpus_tokens = whole_number("corpus_tokens", self.corpus_tokens, low=0)
        self.pruned_words = whole_number("pruned_words", self.pruned_words, low=0)
        not_text = next((w for w in self.words if not isinstance(w, str)), None)
        if not_text is not None:
            raise VocabularyError(f"words must be strings, found {not_text!r} "
                                  f"({type(not_text).__name__})")
        self.index = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise VocabularyError("the vocabulary lists a word twice")

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    @property
    def total_count(self) -> int:
        """Tokens of the corpus that are in the vocabulary: the words one epoch trains on."""
        return int(self.counts.sum())

    @classmethod
    def build(
        cls,
        sentences: Iterable[list[str]],
        min_count: int = 5,
        max_size: int | None = None,
    ) -> Vocabulary:
        """Count the words of ``sentences`` and keep those seen ``min_count`` times.

        Without ``max_size`` every distinct word is counted exactly and all
        those seen at least ``min_count`` times are kept.

        With ``max_size = N`` the vocabulary keeps about the N most frequent
        words in bounded memory (`_BoundedCounter` says how). Exactly, with
        H = 2 max(N, 1024):

        - at most N words are kept: the N largest counts among the words
          counted at least ``min_count`` times (ties broken by the word);
        - a count is a lower bound of the word's occurrences, exact for a
          word that was never dropped while counting; so no kept word occurs
          fewer than ``min_count`` times;
        - a corpus of at most H distinct words loses nothing: the result is
          the one without ``max_size``, cut to its first N words;
        - with ``min_count=1``, exactly min(N, distinct words) are kept;
        - memory: at most H distinct words are held at any moment (the
          table is checked before each piece of at most H/16 tokens is
          counted), plus, from the first pruning on, 4 x W int64 counters,
          W the power of two in [H, 2H);
        - time: amortised O(1) per token, as a pruning costs O(H) and
          drops at least H/16 words, each brought in by a token.

        Once words were dropped, that the kept words are exactly the N most
        frequent is not guaranteed: benchmarks/results/vocab-cap.md measures
        how close they come (994 of the true top 1,000 on a 35M-token corpus).

        ``pruned_words`` counts the words dropped while counting (a word
        dropped twice counts twice).
        """
        min_count = whole_number("min_count", min_count)
        if max_size is not None:
            max_size = whole_number("max_size", max_size, high=LIMITS["max_vocab_size"])
        counter = Counter() if max_size is None else _BoundedCounter(max_size)
        corpus_tokens = 0
        for sentence in _iterate(sentences):
            if isinstance(sentence, str):  # its characters would be counted as words
                raise CorpusError(_not_a_sentence_message(sentence))
            try:
                counter.update(sentence)
                corpus_tokens += len(sentence)
            except TypeError:  # a token that cannot be hashed, or a sentence that is not a list
                raise CorpusError(_not_a_sentence_message(sentence)) from None
        counts = counter if max_size is None else counter.counts
        if corpus_tokens == 0:
            raise VocabularyError("the corpus holds no tokens: nothing to train on")
        _check_tokens_are_text(counts)
        kept = [(w, c) for w, c in counts.items() if c >= min_count]
        # Frequency order, ties broken by the word itself so builds are reproducible.
        kept.sort(key=lambda wc: (-wc[1], wc[0]))
        if max_size is not None:
            kept = kept[:max_size]
        if not kept:
            most = max(counts.values(), default=0)
            raise VocabularyError(
                f"no word occurs at least min_count={min_count} times "
                f"(the most frequent occurs {most} times); lower --min-count"
            )
        counts = np.array([c for _, c in kept], dtype=np.int64)
        packed, lengths = _pack([w for w, _ in kept])
        pruned = 0 if max_size is None else counter.dropped
        del counter, kept  # every distinct word counted, and the kept ones among them
        return cls(_unpack(packed, lengths), counts, corpus_tokens=corpus_tokens, pruned_words=pruned)

    def updated(self, counted: Vocabulary, min_count: int = 5,
                max_size: int | None = None) -> Vocabulary:
        """This vocabulary grown by ``counted``, the counts of a new corpus
        (`build` with ``min_count=1``, so that every word's count is there).

        - Every word of this vocabulary stays, in its row, whatever its count
          in the new corpus: its count becomes the sum of the two.
        - A word new to it is added if the new corpus holds it at least
          ``min_count`` times: the old corpus's count of a word that was not
          kept is not known, so the new corpus alone decides, with its count.
          New words go after the old ones, most frequent first (ties broken by
          the word), so that the old rows keep their numbers.
        - With ``max_size``, new words are added only while the vocabulary has
          fewer than ``max_size`` words (the most frequent first); old words
          are never removed, so one already that large gains none.

        ``corpus_tokens`` and ``pruned_words`` add up.
        """
        min_count = whole_number("min_count", min_count)
        if max_size is not None:
            max_size = whole_number("max_size", max_size, high=LIMITS["max_vocab_size"])
        counts = self.counts.copy()
        new = []
        for word, count in zip(counted.words, counted.counts.tolist()):
            row = self.index.get(word)
            if row is not None:
                counts[row] += count
            elif count >= min_count:
                new.append((word, count))
        new.sort(key=lambda wc: (-wc[1], wc[0]))
        if max_size is not None:
            new = new[:max(0, max_size - len(self))]
        return Vocabulary(self.words + [w for w, _ in new],
                          np.concatenate([counts, np.array([c for _, c in new], dtype=np.int64)]),
                          corpus_tokens=self.corpus_tokens + counted.corpus_tokens,
                          pruned_words=self.pruned_words + counted.pruned_words)

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """Probability of keeping each occurrence of a word (frequent words are
        subsampled), word2vec's rule: with ``t = sample * total``,
        ``p = (sqrt(count / t) + 1) * t / count``, capped at 1.
        ``sample=0`` keeps everything. See docs/derivation.md.
        """
        sample = real_number("sample", sample, low=0)
        if sample == 0:
            return np.ones(len(self), dtype=np.float32)
        threshold = sample * self.total_count  # inf for an absurd sample: then all is kept
        counts = self.counts.astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            keep = (np.sqrt(counts / threshold) + 1.0) * threshold / counts
        # A threshold so small that counts / threshold overflows keeps nothing
        # (p = sqrt(t/c) + t/c is then below 1e-150), not everything (inf * t).
        keep[~np.isfinite(keep)] = 0.0 if threshold < 1 else 1.0
        return np.minimum(keep, 1.0).astype(np.float32)

    def noise_distribution(self, exponent: float = 0.75) -> np.ndarray:
        """Probabilities of drawing each word as a negative: ``count ** exponent``,
        normalised (0.75 in word2vec; 0 gives uniform, 1 the unigram distribution).
        Any finite exponent gives finite probabilities: the weights are
        scaled so that the largest is 1 before they are summed."""
        exponent = real_number("exponent", exponent)
        if len(self) == 0:
            return np.zeros(0)
        log_weights = exponent * np.log(self.counts.astype(np.float64))
        weights = np.exp(log_weights - log_weights.max())
        return weights / weights.sum()


class _BoundedCounter:
    """Word counts in a table that never holds more than ``limit`` words:
    ``2 * max(cap, MIN_HELD)``.

    Sentences are counted in pieces of at most ``limit // 16`` tokens. When
    the words of the next piece that the table does not hold yet would take
    it past ``limit``, it is pruned first: the ``keep`` (7/8 ``limit``) words
    with the largest upper bounds of their counts stay, newer words first
    among equals, and the others are dropped. So the table never exceeds its
    bound, and each pruning, which costs O(limit), drops at least
    ``limit // 16 + 1`` words, each brought in by one token: amortised O(1)
    per token. (``MIN_HELD`` keeps that constant small for small caps: a
    table of 2 words would be pruned at nearly every token.)

    Keeping the words with the largest counts is not enough: the words that
    came first would fill the table with counts that grow ever after, and a
    word frequent only later in the corpus (Wikipedia's topics come in runs)
    could never gather enough between two prunings to displace them. So a
    dropped word's count is not forgotten: it goes into a count-min sketch
    with conservative update (Cormode and Muthukrishnan 2005; Estan and
    Varghese 2002): ``_ROWS`` rows of ``W`` counters, each word hashed to one
    counter per row, each counter raised to at least the upper bound of every
    word dropped into it. For every word w, ``sketch(w)``, the least of its
    counters, is then at least the occurrences of w before it last entered
    the table, and ``counts[w] + sketch(w)`` an upper bound of all of them,
    by which the table is ranked. The counts themselves stay lower bounds:
    exact since the word last entered the table.
    """

    MIN_HELD = 1024
    _ROWS = 4
    # Multiply-shift hashing (Dietzfelbinger et al. 1997): row r sends key k
    # to counter (k * A_r mod 2**64) >> (64 - bits), for odd constants A_r.
    _MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F,
                             0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)

    def __init__(self, cap: int):
        self.limit = 2 * max(cap, self.MIN_HELD)
        self.piece = max(1, self.limit // 16)
        self.keep = max(cap, self.limit - 2 * self.piece)  # the max matters for tiny tables only
        self.counts: Counter = Counter()
        # Sketch keys of the words the table held after the last pruning, in
        # table order (which deleting from a dict keeps; newcomers go last).
        self.keys = np.zeros(0, dtype=np.uint64)
        self.bits = (self.limit - 1).bit_length()  # W = 2**bits is in [limit, 2 limit)
        self.sketch = None  # allocated at the first pruning: most corpora never need it
        self.dropped = 0
        self.prunings = 0

    def update(self, sentence) -> None:
        if len(sentence) <= self.piece:
            self._count(sentence)
        else:
            for start in range(0, len(sentence), self.piece):
                self._count(sentence[start:start + self.piece])

    def _count(self, piece) -> None:
        counts = self.counts
        if len(counts) + len(piece) > self.limit:
            unseen = sum(1 for word in set(piece) if word not in counts)
            if len(counts) + unseen > self.limit:
                self._prune()
        counts.update(piece)

    def _prune(self) -> None:
        """Keep the ``keep`` words with the largest upper bounds; fold the
        others' upper bounds into the sketch and drop them."""
        words = list(self.counts)
        counts = np.fromiter(self.counts.values(), dtype=np.int64, count=len(words))
        counters = self._counters(words)
        if self.sketch is None:
            self.sketch = np.zeros((self._ROWS, 1 << self.bits), dtype=np.int64)
        rows = np.arange(self._ROWS)[:, None]
        upper = counts + self.sketch[rows, counters].min(axis=0)
        stay = _largest(upper, self.keep)
        drop = np.flatnonzero(~stay)
        for row in range(self._ROWS):  # conservative update: raise, never add
            np.maximum.at(self.sketch[row], counters[row, drop], upper[drop])
        pop = self.counts.pop  # dict's own: Counter's __delitem__ is Python code
        for i in drop.tolist():
            pop(words[i])
        self.keys = self.keys[stay]
        self.dropped += len(drop)
        self.prunings += 1

    def _counters(self, words: list) -> np.ndarray:
        """The sketch counter of each of ``words`` (the table, in order) in
        each row: (rows, len(words)). Hashes only the words new since the
        last pruning."""
        self.keys = np.concatenate([self.keys, _sketch_keys(words[len(self.keys):])])
        with np.errstate(over="ignore"):  # the multiplication is meant to wrap
            counters = (self.keys[None, :] * self._MULTIPLIERS[:, None]) >> np.uint64(64 - self.bits)
        return counters.astype(np.intp)


def _largest(values: np.ndarray, k: int) -> np.ndarray:
    """Mask of the ``k`` largest ``values``; among equal ones at the cut, the
    last ones (the newest words). O(len(values))."""
    cut = len(values) - k
    threshold = np.partition(values, cut)[cut]  # the k-th largest
    mask = values > threshold
    ties = np.flatnonzero(values == threshold)
    mask[ties[len(ties) - (k - int(mask.sum())):]] = True
    return mask


def _sketch_keys(words: list) -> np.ndarray:
    """CRC-32 of each word's UTF-8: a hash that is the same in every process
    (``hash()`` of a string is not), so that builds are reproducible."""
    try:
        return np.fromiter((zlib.crc32(word.encode("utf-8", "surrogatepass")) for word in words),
                           dtype=np.uint64, count=len(words))
    except AttributeError:  # no encode(): not a string
        raise CorpusError(_not_text_message(next(w for w in words if not isinstance(w, str)))) from None


def _whole_counts(counts, words: int) -> np.ndarray:
    """``counts`` as int64, if it is ``words`` whole numbers >= 1."""
    try:
        array = np.asarray(counts)
    except (ValueError, TypeError, OverflowError):
        array = None
    if array is None or array.ndim != 1 or len(array) != words:
        shape = "an unreadable" if array is None else f"a shape {array.shape}"
        raise SettingsError(f"{words} words need {words} counts, got {shape} array")
    message = "counts must be whole numbers >= 1 (below 2**63)"
    if array.dtype.kind == "f":
        if not (np.isfinite(array).all() and (array == np.floor(array)).all()
                and (array < 2.0**63).all()):
            raise SettingsError(f"{message}, found {_first_bad_count(array)!r}")
    elif array.dtype.kind == "u":
        if (array > np.iinfo(np.int64).max).any():
            raise SettingsError(f"{message}, found {array.max()!r}")
    elif array.dtype.kind != "i" and len(array):  # bool, text, objects, complex
        raise SettingsError(f"{message}, got {array.dtype} values such as {array[0]!r}")
    array = array.astype(np.int64)
    if len(array) and array.min() < 1:
        raise SettingsError(f"{message}, found {array.min()}")
    return array


def _first_bad_count(array: np.ndarray) -> float:
    bad = ~np.isfinite(array) | (array != np.floor(array)) | (array >= 2.0**63)
    return float(array[np.argmax(bad)])


def _check_tokens_are_text(counts) -> None:
    not_text = next((w for w in counts if not isinstance(w, str)), None)
    if not_text is not None:
        raise CorpusError(_not_text_message(not_text))


def _iterate(sentences):
    try:
        return iter(sentences)
    except TypeError:
        raise CorpusError(f"sentences must be an iterable of token lists, got "
                          f"{type(sentences).__name__}") from None


def _not_a_sentence_message(sentence) -> str:
    if isinstance(sentence, str):
        return (f"each sentence must be a list of tokens, found the string {sentence[:40]!r}: "
                f"split it into words first (e.g. line.split())")
    try:
        token = next(t for t in sentence if not isinstance(t, str))
    except (TypeError, StopIteration):
        return (f"each sentence must be a list of strings, found {type(sentence).__name__} "
                f"{str(sentence)[:80]!r}")
    return _not_text_message(token)


def _not_text_message(token) -> str:
    return (f"tokens must be strings, found {token!r} ({type(token).__name__}): "
            f"convert them with str()")


# The kept words were made one at a time while counting, so they lie scattered
# over the memory of every word counted, and as long as they live the allocator
# cannot hand that memory back (about 10 MB on a 35M-token corpus, all of it
# still held at the peak of training). Packing them into one string while the
# counts are dropped, then cutting it up again, lays them out side by side.

def _pack(words: list[str]) -> tuple[str, np.ndarray]:
    return "".join(words), np.fromiter(map(len, words), dtype=np.int64, count=len(words))


def _unpack(packed: str, lengths: np.ndarray) -> list[str]:
    ends = np.cumsum(lengths).tolist()
    return [packed[start:end] for start, end in zip([0, *ends[:-1]], ends)]
