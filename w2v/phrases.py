"""Phrases: pairs of words that occur together far more often than chance,
joined into one token ("new york" -> "new_york"), as in Mikolov et al. 2013b
(section 4) and word2vec C's ``word2phrase``.

A pass counts every word and every pair of adjacent words within a sentence,
then keeps the pairs ``a b`` whose score is above a threshold:

- ``"word2phrase"`` (the default): ``(count(a b) - delta) / (count(a) count(b)) * N``,
  N the tokens of the pass, ``delta`` a discount that keeps pairs of rare
  words out (word2phrase uses ``min_count``); both words must be seen
  ``min_count`` times. word2phrase's default threshold is 100.
- ``"npmi"``: normalised pointwise mutual information (Bouma 2009),
  ``ln(p(a b) / (p(a) p(b))) / -ln(p(a b))`` with probabilities ``count / N``:
  in [-1, 1], 1 for words that only ever occur together; the pair too must be
  seen ``min_count`` times. Threshold 0.5 by default.

Joining is greedy, left to right: in ``a b c`` with both ``a b`` and ``b c``
phrases, ``a_b c`` comes out (so does word2phrase's). A second pass learns on
the text the first one joined, so that ``new_york city`` can become
``new_york_city``; word2vec's recipe runs 2-4 passes with decreasing
thresholds (200 then 100 in its demo script).

Bounded memory: the table of words and pairs never holds more than
``max_vocab_size`` entries. When the next piece of text could take it past
that, the entries seen at most ``min_reduce`` times are dropped and
``min_reduce`` goes up by one, as word2vec C's ``ReduceVocab`` does (gensim's
``Phrases`` too), until the piece fits. Counts are then lower bounds: an entry
dropped and seen again starts from zero, so rare pairs are lost first and the
cut-off rises as the corpus goes on. `PassStats` records how often it
happened. A pair costs 16 bytes in the table (32 while a piece is merged in),
a word about 100.

The learned phrases are saved as data (JSON), never pickle; `Phrases.load`
checks every field and refuses a damaged or forged file with one
`ModelFormatError`.

>>> from w2v.phrases import Phrases
>>> phrases = Phrases(min_count=5, threshold=100, passes=2).learn("corpus.txt")  # doctest: +SKIP
>>> phrases.apply(["i", "live", "in", "new", "york", "city"])                    # doctest: +SKIP
['i', 'live', 'in', 'new_york_city']
>>> phrases.save("corpus.phrases")                                               # doctest: +SKIP
>>> w2v.Word2Vec().train(Phrases.load("corpus.phrases").phrased("corpus.txt"))   # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import json
import math
import numbers
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .corpus import Corpus, ReadStats
from .errors import CorpusError, ModelFormatError, SettingsError
from .progress import Progress, format_count, format_duration
from .settings import real_number, whole_number

__all__ = ["FORMAT", "MAX_FILE_BYTES", "MAX_PASSES", "SCORINGS", "PassStats", "PhrasedCorpus",
           "Phrases"]

#: The ``format`` field of a phrase file, and the one version this code reads.
FORMAT, VERSION = "w2v-phrases", 1
SCORINGS = ("word2phrase", "npmi")
DEFAULT_THRESHOLD = {"word2phrase": 100.0, "npmi": 0.5}
MAX_PASSES = 10
#: A phrase file larger than this is refused before it is parsed (parsing
#: costs about ten times the file in memory): some 4 million phrases.
MAX_FILE_BYTES = 256 << 20
#: Entries (words + pairs) the counting table may hold: 16 bytes a pair, 32
#: while a piece is merged in; the shared 35M-token corpus needs 7.1 million.
DEFAULT_MAX_VOCAB_SIZE = 20_000_000
MIN_MAX_VOCAB_SIZE = 100
#: Most tokens counted at once: the table is checked before each such piece.
CHUNK_TOKENS = 1 << 20

_ID_BITS = 32  # a pair (a, b) of word ids is the int64 key a << 32 | b
_ID_MASK = (1 << _ID_BITS) - 1
_MAX_DELIMITER_CHARS = 16
_SCORE_BLOCK = 1 << 20


@dataclass
class PassStats:
    """What one learning pass saw.

    Attributes
    ----------
    tokens : int
        Tokens counted: N in the scores (after the earlier passes' joins).
    words, pairs : int
        Distinct words and adjacent pairs held when counting ended.
    prunings : int
        Times the table was pruned to stay within ``max_vocab_size``; 0 means
        every count is exact.
    min_reduce : int
        Entries seen at most ``min_reduce - 1`` times were dropped at the last
        pruning (1 if there was none).
    peak_entries : int
        Most words + pairs held at once (never more than ``max_vocab_size``).
    seconds : float
        Time the pass took.
    """

    tokens: int = 0
    words: int = 0
    pairs: int = 0
    prunings: int = 0
    min_reduce: int = 1
    peak_entries: int = 0
    seconds: float = 0.0


class Phrases:
    """Learn bigram phrases from a corpus, in one or more passes, and join them.

    Parameters
    ----------
    min_count : int, default 5
        Words (and, for ``"npmi"``, pairs) seen fewer times are never joined.
    threshold : float or sequence of float, optional
        Pairs scoring above it are joined: one value for every pass, or one
        per pass. Default 100 for ``"word2phrase"``, 0.5 for ``"npmi"``.
    scoring : {"word2phrase", "npmi"}, default "word2phrase"
        See the module's description.
    delta : float, optional
        The discount of ``"word2phrase"``; ``min_count`` by default, as in word2phrase.
    passes : int, default 1
        Learning passes; pass k learns on the text joined by passes 1..k-1.
    max_vocab_size : int, default 20,000,000
        Most words + pairs held while counting (pruned beyond, see the module).
    delimiter : str, default "_"
        Joins the two words of a phrase.
    lowercase : bool, default True
        Lower-case the text of a corpus read from a path (as ``w2v train`` does).
    max_sentence_length : int, default 10,000
        Longer lines of a corpus read from a path are cut into sentences of
        this many tokens (no pair is counted across a cut).

    Attributes
    ----------
    phrases_ : list of dict
        One dict per pass: ``(a, b) -> (score, count)`` for each phrase it learned.
    stats_ : list of PassStats
    """

    def __init__(self, *, min_count: int = 5, threshold: float | Sequence[float] | None = None,
                 scoring: str = "word2phrase", delta: float | None = None, passes: int = 1,
                 max_vocab_size: int = DEFAULT_MAX_VOCAB_SIZE, delimiter: str = "_",
                 lowercase: bool = True, max_sentence_length: int = 10_000):
        self.min_count = min_count
        self.threshold = threshold
        self.scoring = scoring
        self.delta = delta
        self.passes = passes
        self.max_vocab_size = max_vocab_size
        self.delimiter = delimiter
        self.lowercase = lowercase
        self.max_sentence_length = max_sentence_length
        self.phrases_: list[dict] = []
        self.stats_: list[PassStats] = []
        self._joins: list[dict] = []

    # --- settings -----------------------------------------------------------------

    def _validate(self) -> None:
        if self.scoring not in SCORINGS:
            raise SettingsError(f"scoring must be one of {', '.join(SCORINGS)}, got {self.scoring!r}")
        self.min_count = whole_number("min_count", self.min_count)
        self.passes = whole_number("passes", self.passes, high=MAX_PASSES)
        self.max_vocab_size = whole_number("max_vocab_size", self.max_vocab_size,
                                           low=MIN_MAX_VOCAB_SIZE, high=1 << (_ID_BITS - 1))
        self.max_sentence_length = whole_number("max_sentence_length", self.max_sentence_length)
        if self.delta is not None:
            self.delta = real_number("delta", self.delta, low=0)
        if not isinstance(self.lowercase, bool):
            raise SettingsError(f"lowercase must be True or False, got {self.lowercase!r}")
        _check_delimiter(self.delimiter, SettingsError)
        self.thresholds  # noqa: B018  (checks them)

    @property
    def thresholds(self) -> list[float]:
        """The threshold of each pass."""
        given = self.threshold
        if given is None:
            given = DEFAULT_THRESHOLD.get(self.scoring, 0.0)
        if isinstance(given, numbers.Real):
            values = [given]
        elif isinstance(given, (list, tuple)):
            values = list(given)
        else:
            raise SettingsError(f"threshold must be a number or a list of them, got {given!r}")
        if len(values) == 1:
            values = values * self.passes
        if len(values) != self.passes:
            raise SettingsError(f"{len(values)} thresholds for {self.passes} passes: give one, "
                                "or one per pass")
        checked = [real_number("threshold", value) for value in values]
        bad = [value for value in checked if not -1 <= value < 1]
        if self.scoring == "npmi" and bad:
            raise SettingsError(f"an npmi threshold must be in [-1, 1), got {bad[0]:g}")
        return checked

    @property
    def discount(self) -> float:
        return float(self.min_count if self.delta is None else self.delta)

    # --- learning -----------------------------------------------------------------

    def learn(self, corpus, progress=sys.stderr) -> Phrases:
        """Learn the phrases of ``corpus``: a path (file, folder, compressed,
        ``"-"``; read as ``w2v train`` reads it) or a re-iterable collection of
        token lists. Replaces what was learned before. ``progress`` is a stream
        for progress lines (words/s, ETA from the second pass on), or None."""
        self._validate()
        source, made = _source(corpus, self.lowercase, self.max_sentence_length)
        report = _Report(progress)
        self.phrases_, self.stats_, self._joins = [], [], []
        try:
            raw_total = None  # tokens the corpus holds, once the first pass has read it
            for number, threshold in enumerate(self.thresholds, start=1):
                started = time.perf_counter()
                raw = _RawCount()
                counter = _PairCounter(self.max_vocab_size)
                counter.count(_phrased(raw.counting(source), self._joins), report.ticker(
                    f"pass {number}/{self.passes}", raw, raw_total))
                phrases = self._score(counter, threshold)
                stats = counter.stats()
                stats.seconds = time.perf_counter() - started
                self.phrases_.append(phrases)
                self.stats_.append(stats)
                self._joins.append(self._join_table(phrases))
                raw_total = raw.tokens
                report.done(f"pass {number}/{self.passes}: {_phrases(len(phrases))} from "
                            f"{stats.tokens:,} tokens in {format_duration(stats.seconds)}"
                            + (f" (table pruned {stats.prunings:,} times, last cut-off "
                               f"{stats.min_reduce - 1}: counts are lower bounds, rare pairs may "
                               "be missed)" if stats.prunings else ""))
        finally:
            if made:
                source.close()
        if raw_total == 0:
            raise CorpusError("the corpus holds no tokens: no phrases to learn")
        return self

    def _score(self, counter: _PairCounter, threshold: float) -> dict:
        """The pairs of ``counter`` scoring above ``threshold``: ``(a, b) -> (score, count)``."""
        words = counter.words()
        chosen, scores = [], []
        for start in range(0, len(counter.pair_keys), _SCORE_BLOCK):  # bounded temporaries
            keys = counter.pair_keys[start:start + _SCORE_BLOCK]
            pair = counter.pair_counts[start:start + _SCORE_BLOCK]
            count_a = counter.word_counts[keys >> _ID_BITS]
            count_b = counter.word_counts[keys & _ID_MASK]
            eligible = (count_a >= self.min_count) & (count_b >= self.min_count)
            if self.scoring == "npmi":
                eligible &= pair >= self.min_count
            at = np.flatnonzero(eligible)
            block = _scores(self.scoring, pair[at].astype(np.float64),
                            count_a[at].astype(np.float64), count_b[at].astype(np.float64),
                            float(counter.tokens), self.discount)
            above = block > threshold
            chosen.append(at[above] + start)
            scores.append(block[above])
        chosen = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
        scores = np.concatenate(scores) if scores else np.zeros(0)
        counts = counter.pair_counts[chosen]
        order = np.lexsort((-counts, -scores))  # best score first, then most seen
        keys = counter.pair_keys[chosen[order]]
        return {(words[a], words[b]): (score, count)
                for a, b, score, count in zip((keys >> _ID_BITS).tolist(),
                                              (keys & _ID_MASK).tolist(),
                                              scores[order].tolist(), counts[order].tolist())}

    def _join_table(self, phrases: dict) -> dict:
        delimiter = self.delimiter
        return {pair: pair[0] + delimiter + pair[1] for pair in phrases}

    # --- using the phrases ----------------------------------------------------------

    def apply(self, sentence: list[str]) -> list[str]:
        """``sentence`` with the learned phrases joined, pass after pass."""
        return _join_all(sentence, self._joins)

    def phrased(self, corpus, *, lowercase: bool | None = None,
                max_sentence_length: int | None = None) -> PhrasedCorpus:
        """``corpus`` (a path or re-iterable token lists) with the phrases
        joined on the fly, re-iterable: what ``Word2Vec.train`` takes."""
        return PhrasedCorpus(corpus, self, lowercase=self.lowercase if lowercase is None else lowercase,
                             max_sentence_length=max_sentence_length or self.max_sentence_length)

    def __len__(self) -> int:
        return sum(map(len, self.phrases_))

    def top(self, n: int = 20, by: str = "count") -> list[tuple[str, float, int, int]]:
        """The ``n`` phrases seen most (``by="count"``) or scoring highest
        (``by="score"``): ``(phrase, score, count, pass)``, the phrase as joined."""
        if by not in ("count", "score"):
            raise SettingsError(f"by must be 'count' or 'score', got {by!r}")
        rows = [(a + self.delimiter + b, score, count, number)
                for number, phrases in enumerate(self.phrases_, start=1)
                for (a, b), (score, count) in phrases.items()]
        column = 2 if by == "count" else 1
        rows.sort(key=lambda row: (-row[column], row[0]))
        return rows[:n]

    # --- files ----------------------------------------------------------------------

    def save(self, path) -> None:
        """Write the phrases as JSON, one phrase a line, atomically."""
        header = {"format": FORMAT, "version": VERSION, "scoring": self.scoring,
                  "min_count": self.min_count, "delta": self.discount, "delimiter": self.delimiter,
                  "lowercase": self.lowercase, "max_vocab_size": self.max_vocab_size}
        with atomic_write(path, "wb") as out:
            write = _LineWriter(out).write
            write(json.dumps(header, ensure_ascii=False)[:-1] + ', "passes": [\n')
            for number, (phrases, stats, threshold) in enumerate(
                    zip(self.phrases_, self.stats_, self.thresholds)):
                head = {"threshold": threshold, "stats": asdict(stats)}
                write(("" if number == 0 else ",\n") + json.dumps(head)[:-1] + ', "phrases": [')
                for i, ((a, b), (score, count)) in enumerate(phrases.items()):
                    write(("\n" if i == 0 else ",\n")
                          + json.dumps([a, b, score, count], ensure_ascii=False))
                write("]}")
            write("\n]}\n", flush=True)

    @classmethod
    def load(cls, path) -> Phrases:
        """Read a file written by `save`, checking every field.

        Raises
        ------
        ModelFormatError
            If the file is not a phrase file, is damaged, or holds a value
            out of range; the message names the field.
        """
        data = _read_json(path)
        try:
            return _from_data(cls, data)
        except ModelFormatError as error:
            raise ModelFormatError(f"{path}: {error}") from None


class PhrasedCorpus:
    """A corpus with phrases joined as it is read: each pass over it reads
    ``corpus`` again and joins each sentence. ``Word2Vec.train`` accepts it.

    A path is read by a `w2v.corpus.Corpus` (a pipe or ``"-"`` is copied to a
    temporary file once, so it can be read once per epoch); `close` deletes
    that copy. ``stats`` are the reader's counts of the latest pass.
    """

    def __init__(self, corpus, phrases: Phrases, *, lowercase: bool = True,
                 max_sentence_length: int = 10_000):
        self.phrases = phrases
        self._source, self._made = _source(corpus, lowercase, max_sentence_length)

    def __iter__(self) -> Iterator[list[str]]:
        return _phrased(iter(self._source), self.phrases._joins)

    @property
    def stats(self) -> ReadStats | None:
        return getattr(self._source, "stats", None)

    def close(self) -> None:
        if self._made:
            self._source.close()

    def __enter__(self) -> PhrasedCorpus:
        return self

    def __exit__(self, *exception) -> None:
        self.close()


def _phrases(n: int) -> str:
    return f"{n:,} phrase{'' if n == 1 else 's'}"


# --- scores --------------------------------------------------------------------------


def _scores(scoring: str, pair: np.ndarray, a: np.ndarray, b: np.ndarray, tokens: float,
            delta: float) -> np.ndarray:
    """The score of each pair from its count and its words' counts (float64)."""
    if scoring == "word2phrase":
        return (pair - delta) / a / b * tokens
    with np.errstate(divide="ignore", invalid="ignore"):
        # ln(p(ab) / (p(a) p(b))) / -ln p(ab), probabilities count / tokens
        npmi = np.log(pair * tokens / (a * b)) / -np.log(pair / tokens)
    return np.where(np.isfinite(npmi), npmi, 1.0)  # p(ab) = 1: a corpus of one pair, repeated


# --- joining ---------------------------------------------------------------------------


def _join_all(sentence: list[str], joins: list[dict]) -> list[str]:
    for table in joins:
        sentence = _join(sentence, table)
    return sentence


def _join(sentence: list[str], table: dict) -> list[str]:
    """Join the pairs of ``sentence`` that ``table`` maps to a phrase, left to right."""
    if len(sentence) < 2 or not table:
        return sentence
    # The lookups run in C; only the few hits are handled in Python.
    hits = list(map(table.get, zip(sentence, itertools.islice(sentence, 1, None))))
    joined, start = [], 0
    for i in itertools.compress(range(len(hits)), hits):
        if i >= start:  # not the second word of the phrase just joined
            joined.extend(sentence[start:i])
            joined.append(hits[i])
            start = i + 2
    if start == 0:
        return sentence
    joined.extend(sentence[start:])
    return joined


def _phrased(sentences: Iterable[list[str]], joins: list[dict]) -> Iterator[list[str]]:
    if not joins:
        yield from sentences
        return
    for sentence in sentences:
        yield _join_all(sentence, joins)


def _source(corpus, lowercase: bool, max_sentence_length: int):
    """A re-iterable reader of ``corpus``, and whether it was made here (to close)."""
    if isinstance(corpus, (str, os.PathLike)):
        return Corpus(corpus, lowercase=lowercase, max_sentence_length=max_sentence_length), True
    if iter(corpus) is corpus:
        raise TypeError("the corpus is read several times: pass a path, a list of token lists "
                        "or a re-iterable object, not a one-shot iterator")
    return corpus, False


class _RawCount:
    """Counts the tokens of a corpus before any joining: progress and ETA."""

    def __init__(self):
        self.tokens = 0

    def counting(self, sentences):
        for sentence in sentences:
            if isinstance(sentence, str):
                raise CorpusError(f"each sentence must be a list of tokens, found the string "
                                  f"{sentence[:40]!r}: split it into words first")
            self.tokens += len(sentence)
            yield sentence


# --- counting in bounded memory -----------------------------------------------------------


class _PairCounter:
    """Counts of words and adjacent pairs; at most ``max_size`` of them held.

    Words get ids as they come (a dict); a pair is the int64 key
    ``a << 32 | b`` in a sorted array with its count, so that the pairs of a
    piece of text are counted with numpy and merged into the table at once.
    """

    def __init__(self, max_size: int):
        self.max_size = max_size
        self.chunk_tokens = max(2, min(CHUNK_TOKENS, max_size // 8))
        self.index = defaultdict(itertools.count().__next__)  # word -> id, new ids as they come
        self.word_counts = np.zeros(1024, dtype=np.int64)
        self.pair_keys = np.zeros(0, dtype=np.int64)
        self.pair_counts = np.zeros(0, dtype=np.int64)
        self.tokens = 0
        self.prunings = 0
        self.min_reduce = 1
        self.peak = 0

    @property
    def size(self) -> int:
        return len(self.index) + len(self.pair_keys)

    def count(self, sentences: Iterable[list[str]], tick) -> None:
        """Count ``sentences``, calling ``tick()`` after each piece of text."""
        pieces, held = [], 0
        for piece, overlaps in _pieces(sentences, self.chunk_tokens):
            if held + len(piece) > self.chunk_tokens:
                self._count_chunk(pieces)
                tick()
                pieces, held = [], 0
            pieces.append((piece, overlaps))
            held += len(piece)
        if pieces:
            self._count_chunk(pieces)
        tick(force=True)
        not_text = next((word for word in self.index if not isinstance(word, str)), None)
        if not_text is not None:
            raise CorpusError(f"tokens must be strings, found {not_text!r} "
                              f"({type(not_text).__name__}): convert them with str()")

    def _count_chunk(self, pieces: list[tuple[list, bool]]) -> None:
        tokens = [token for piece, _ in pieces for token in piece]
        n = len(tokens)
        # A piece of n tokens adds at most n words and n - 1 pairs.
        while self.size + 2 * n > self.max_size and self.size > 0:
            self._prune()
        try:
            ids = np.fromiter(map(self.index.__getitem__, tokens), dtype=np.int64, count=n)
        except TypeError:  # a token that cannot be hashed, or a sentence that is not a list
            raise CorpusError("each sentence must be a list of string tokens") from None
        lengths = np.fromiter((len(piece) for piece, _ in pieces), dtype=np.int64, count=len(pieces))
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        counted = np.ones(n, dtype=bool)  # an overlapping first token was counted with its piece before
        counted[starts[np.fromiter((overlaps for _, overlaps in pieces), dtype=bool,
                                   count=len(pieces))]] = False
        words = len(self.index)
        if words > len(self.word_counts):
            self.word_counts = np.concatenate(
                [self.word_counts, np.zeros(max(words, 2 * len(self.word_counts)) -
                                            len(self.word_counts), dtype=np.int64)])
        self.word_counts[:words] += np.bincount(ids[counted], minlength=words)
        self.tokens += int(counted.sum())
        within = np.ones(max(n - 1, 0), dtype=bool)  # pair i is tokens i, i + 1
        within[starts[1:] - 1] = False  # no pair across two pieces
        keys, counts = np.unique(((ids[:-1] << _ID_BITS) | ids[1:])[within], return_counts=True)
        self._merge(keys, counts)
        self.peak = max(self.peak, self.size)

    def _merge(self, keys: np.ndarray, counts: np.ndarray) -> None:
        """Add sorted unique ``keys`` with their ``counts`` to the sorted table."""
        at = np.searchsorted(self.pair_keys, keys)
        held = at < len(self.pair_keys)
        held[held] = self.pair_keys[at[held]] == keys[held]
        self.pair_counts[at[held]] += counts[held]  # at[held] has no repeats: keys are unique
        new = ~held
        self.pair_keys = np.insert(self.pair_keys, at[new], keys[new])
        self.pair_counts = np.insert(self.pair_counts, at[new], counts[new])

    def _prune(self) -> None:
        """word2vec C's ReduceVocab: drop words and pairs seen at most
        ``min_reduce`` times, then raise ``min_reduce``. Word ids are
        renumbered to stay dense (keys keep their order: the renumbering is
        monotonic)."""
        cut = self.min_reduce
        words = len(self.index)
        keep = self.word_counts[:words] > cut
        new_id = np.cumsum(keep) - 1
        first, second = self.pair_keys >> _ID_BITS, self.pair_keys & _ID_MASK
        # A pair is never seen more than either of its words, so a dropped word's pairs go too.
        stay = (self.pair_counts > cut) & keep[first] & keep[second]
        self.pair_keys = (new_id[first[stay]] << _ID_BITS) | new_id[second[stay]]
        self.pair_counts = self.pair_counts[stay]
        kept = self.word_counts[:words][keep]
        self.word_counts = np.concatenate([kept, np.zeros(max(1024, len(kept)), dtype=np.int64)])
        keep_list, new_list = keep.tolist(), new_id.tolist()
        index = {word: new_list[i] for word, i in self.index.items() if keep_list[i]}
        self.index = defaultdict(itertools.count(len(index)).__next__, index)
        self.prunings += 1
        self.min_reduce += 1

    def words(self) -> list:
        """Word of each id."""
        words = [None] * len(self.index)
        for word, i in self.index.items():
            words[i] = word
        return words

    def stats(self) -> PassStats:
        return PassStats(tokens=self.tokens, words=len(self.index), pairs=len(self.pair_keys),
                         prunings=self.prunings, min_reduce=self.min_reduce, peak_entries=self.peak)


def _pieces(sentences: Iterable[list[str]], size: int) -> Iterator[tuple[list[str], bool]]:
    """Sentences in pieces of at most ``size`` tokens, so that the table's
    bound holds however long a sentence is. A long sentence's pieces overlap
    by one token, so that no pair is lost; ``True`` marks a piece whose first
    token belongs to the piece before."""
    for sentence in sentences:
        if len(sentence) <= size:
            if sentence:
                yield sentence, False
            continue
        yield sentence[:size], False
        for start in range(size - 1, len(sentence) - 1, size - 1):
            yield sentence[start:start + size], True


# --- progress ----------------------------------------------------------------------------


class _Report(Progress):
    """Progress lines of the learning passes: tokens read, words/s, ETA."""

    def __init__(self, stream):
        super().__init__(1, stream=stream)

    def ticker(self, stage: str, raw: _RawCount, total: int | None):
        started = time.perf_counter()

        def tick(force: bool = False):
            now = time.perf_counter()
            if self.stream is None or (not force and now - self.last_shown < self.every):
                return
            self.last_shown = now
            self._write(progress_line(stage, raw.tokens, total, now - started))
        return tick

    def done(self, text: str) -> None:
        self.message(text)


def progress_line(stage: str, done: int, total: int | None, seconds: float) -> str:
    """``pass 2/2  45.0%  1.2M words/s  ETA 0:31``; without ``total``, words read so far."""
    speed = done / seconds if seconds > 0 else 0.0
    if total:
        remaining = (total - done) / speed if speed > 0 else 0.0
        return (f"{stage}  {100 * min(done / total, 1.0):5.1f}%  {format_count(speed)} words/s  "
                f"ETA {format_duration(remaining)}")
    return (f"{stage}  {format_count(done)} words  {format_count(speed)} words/s  "
            "ETA after the first pass")


# --- the file ------------------------------------------------------------------------------


class _LineWriter:
    """Text to a binary file as UTF-8, in blocks of about a megabyte."""

    def __init__(self, out, block_chars: int = 1 << 20):
        self.out, self.block_chars = out, block_chars
        self.parts, self.held = [], 0

    def write(self, text: str, flush: bool = False) -> None:
        self.parts.append(text)
        self.held += len(text)
        if flush or self.held >= self.block_chars:
            self.out.write("".join(self.parts).encode("utf-8"))
            self.parts, self.held = [], 0


def _read_json(path):
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ModelFormatError(f"no such phrase file: {path}") from None
    except IsADirectoryError:
        raise ModelFormatError(f"{path} is a folder, not a phrase file") from None
    except OSError as error:
        raise ModelFormatError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ModelFormatError(f"{path} is larger than {MAX_FILE_BYTES >> 20} MiB: "
                               "not a phrase file w2v wrote")
    if not data.lstrip()[:1] == b"{":
        raise ModelFormatError(f"{path} is not a w2v phrase file (JSON written by w2v phrases "
                               "--save-model)")
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant,
                          object_pairs_hook=_no_repeated_keys)
    except UnicodeDecodeError as error:
        raise ModelFormatError(f"{path} is not UTF-8 (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise ModelFormatError(f"{path} is damaged: {error.msg} at line {error.lineno} "
                               f"column {error.colno}") from None
    except RecursionError:
        raise ModelFormatError(f"{path} is damaged: nested too deeply") from None
    except ModelFormatError as error:  # from the hooks below, which do not know the path
        raise ModelFormatError(f"{path}: {error}") from None
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise ModelFormatError(f"{path} is damaged: {_short(str(error))}") from None


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _no_constant(name):
    raise ModelFormatError(f"{name} is not a number a phrase file may hold")


def _no_repeated_keys(pairs):
    data = dict(pairs)
    if len(data) != len(pairs):
        seen = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ModelFormatError(f"the field {_short(repr(twice))} is given twice")
    return data


_HEADER = {"format", "version", "scoring", "min_count", "delta", "delimiter", "lowercase",
           "max_vocab_size", "passes"}
_PASS = {"threshold", "stats", "phrases"}


def _from_data(cls, data) -> Phrases:
    """A `Phrases` from the parsed file, every field checked."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFormatError(f"not a w2v phrase file (no 'format': {FORMAT!r})")
    if data.get("version") != VERSION:
        raise ModelFormatError(f"version {data.get('version')!r} is not one this w2v reads "
                               f"({VERSION})")
    _exact_keys("the file", data, _HEADER)
    passes = data["passes"]
    if not isinstance(passes, list) or not 1 <= len(passes) <= MAX_PASSES:
        raise ModelFormatError(f"'passes' must be a list of 1 to {MAX_PASSES} passes")
    for name, kinds in (("min_count", int), ("max_vocab_size", int), ("delta", (int, float))):
        if isinstance(data[name], bool) or not isinstance(data[name], kinds):
            raise ModelFormatError(f"'{name}' must be a number, got {data[name]!r}")
    if not isinstance(data["lowercase"], bool):
        raise ModelFormatError(f"'lowercase' must be true or false, got {data['lowercase']!r}")
    _check_delimiter(data["delimiter"], ModelFormatError)
    thresholds = []
    for number, record in enumerate(passes, start=1):
        if not isinstance(record, dict):
            raise ModelFormatError(f"pass {number} must be a record")
        _exact_keys(f"pass {number}", record, _PASS)
        thresholds.append(record["threshold"])
    phrases = cls(min_count=data["min_count"], threshold=thresholds, scoring=data["scoring"],
                  delta=data["delta"], passes=len(passes), max_vocab_size=data["max_vocab_size"],
                  delimiter=data["delimiter"], lowercase=data["lowercase"])
    try:
        phrases._validate()
    except SettingsError as error:
        raise ModelFormatError(str(error)) from None
    for number, record in enumerate(passes, start=1):
        phrases.stats_.append(_pass_stats(record["stats"], number))
        phrases.phrases_.append(_phrase_table(record["phrases"], number))
    phrases._joins = [phrases._join_table(table) for table in phrases.phrases_]
    return phrases


def _exact_keys(what: str, record: dict, expected: set) -> None:
    missing, unknown = expected - record.keys(), record.keys() - expected
    if missing or unknown:
        problem = (f"lacks {', '.join(sorted(missing))}" if missing
                   else f"has unknown fields {', '.join(sorted(unknown))}")
        raise ModelFormatError(f"{what} {problem}")


def _pass_stats(record, number: int) -> PassStats:
    if not isinstance(record, dict):
        raise ModelFormatError(f"pass {number}: 'stats' must be a record")
    fields = PassStats.__dataclass_fields__
    _exact_keys(f"pass {number} stats", record, set(fields))
    for name, value in record.items():
        kind = float if name == "seconds" else int
        ok = (not isinstance(value, bool) and isinstance(value, (int, float) if kind is float else int)
              and math.isfinite(value) and value >= 0)
        if not ok:
            raise ModelFormatError(f"pass {number}: stats '{name}' must be a number >= 0, got {value!r}")
    return PassStats(**record)


def _phrase_table(rows, number: int) -> dict:
    if not isinstance(rows, list):
        raise ModelFormatError(f"pass {number}: 'phrases' must be a list")
    table = {}
    for line, row in enumerate(rows, start=1):
        where = f"pass {number}, phrase {line}"
        if not (isinstance(row, list) and len(row) == 4):
            raise ModelFormatError(f"{where}: must be [word, word, score, count], got {str(row)[:80]}")
        a, b, score, count = row
        for word in (a, b):
            if not isinstance(word, str) or not word or any(c.isspace() for c in word):
                raise ModelFormatError(f"{where}: {word!r} is not a word (a non-empty string "
                                       "without spaces)")
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise ModelFormatError(f"{where}: score {score!r} is not a finite number")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ModelFormatError(f"{where}: count {count!r} is not a whole number >= 1")
        if (a, b) in table:
            raise ModelFormatError(f"{where}: {a} {b} is listed twice")
        table[(a, b)] = (float(score), count)
    return table


def _check_delimiter(delimiter, error_class) -> None:
    if (not isinstance(delimiter, str) or not 1 <= len(delimiter) <= _MAX_DELIMITER_CHARS
            or any(c.isspace() for c in delimiter)):
        raise error_class(f"the delimiter must be 1 to {_MAX_DELIMITER_CHARS} characters without "
                          f"spaces, got {_short(repr(delimiter))}")
