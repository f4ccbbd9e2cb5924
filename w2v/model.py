"""The ``Word2Vec`` trainer: settings, vocabulary, training runs, saving and loading.

In the scikit-learn manner the constructor only stores settings;
``build_vocab`` and ``train`` do the work, and what they learn ends in ``_``.
A run (epochs planned and done, words per epoch) is recorded in ``run_`` so
that an interrupted one can be resumed; the threads that train it are in
pipeline.py, the numerical work in kernels.py.
"""

from __future__ import annotations

import hashlib
import math
import os
import stat
import sys
import time
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from . import huffman, machine, modelfile, pipeline, settings, tables, vocabfile
from .batches import make_batches
from .corpus import MAX_TOKEN_CHARS, Corpus, corpus_files
from .errors import (CorpusError, ModelFormatError, SettingsError, TrainingDivergedError,
                     VocabularyError, W2VError)
from .keyedvectors import KeyedVectors
from .pipeline import HISTORY_COLUMNS
from .progress import Progress
from .sampling import alias_table
from .vocab import Vocabulary

# Points kept in the loss history over a whole training run.
HISTORY_POINTS = 200
# With several workers, each keeps private copies of the output rows of the
# most frequent words (kernels.py, docs/derivation.md section 9): a working
# copy and a snapshot, together this many bytes, so that the working copy,
# which every update reads, takes half of one core's L2 cache and stays there
# beside the other rows a window touches. Derived from the machine (the L2
# size sysfs reports; 1 MiB where it says nothing, and at most 8 MiB): on the
# 2-core AMD EPYC this was measured on (L2 1 MiB), 1 MiB is 1,310 rows at dim
# 100, which take 40% of the noise draws, and two skip-gram workers ran at 1.8
# times one instead of 1.3-1.6 (benchmarks/results/hot-rows-*.md). A tunable:
# set w2v.model.HOT_ROWS_BYTES before training to try other sizes.
HOT_ROWS_BYTES = min(machine.l2_cache_bytes() or 1 << 20, 8 << 20)
LIMIT_EPOCHS = settings.LIMITS["epochs"]
# Centre words per step of the minibatched CBOW kernel (``minibatch=True``);
# a tunable: groups of 4 and 8 lost 1-4 analogy points against groups of 1
# (which match the per-pair kernel), benchmarks/results/minibatch.md.
CBOW_GROUP = 4


class Word2Vec:
    """Skip-gram or CBOW word vectors trained with negative sampling, or
    hierarchical softmax, or both.

    Parameters
    ----------
    sg : bool
        Skip-gram (True, default) or CBOW (False).
    dim : int
        Dimension of the vectors.
    window : int
        Maximal distance between a centre word and its context.
    shrink_windows : bool
        Each centre word draws its own window from 1..window, weighting near
        words more (word2vec); False uses the whole window (item2vec).
    negative : int
        Noise words drawn per positive example; 0 (with ``hs``) trains
        hierarchical softmax alone.
    hs : bool
        Hierarchical softmax (docs/derivation.md, section 11): each example
        also steps the inner nodes of the Huffman tree on its centre word's
        path, rows of ``W_hs_``; with ``negative`` > 0 the two losses are
        summed, as in word2vec C and gensim. Off by default.
    share_noise : bool
        Skip-gram only: draw the noise words once per centre word and use them
        for all its context words (Ji et al. 2016): about 15% faster; one
        analogy point worse on the full corpus once, +0.8 on 10M tokens another
        time, within the run-to-run spread there (docs/derivation.md, 4.5).
        False (default) draws them afresh for every pair, as word2vec does.
    minibatch : bool
        Train with the minibatched kernels (HogBatch, Ji et al. 2016;
        docs/derivation.md 4.6 and 5.4): skip-gram takes one step per window,
        its context words against the centre word and noise words shared by
        the window, all scored at the rows' values before the step; CBOW one
        step per ``CBOW_GROUP`` consecutive centre words sharing noise words.
        Off by default: see the measured speed and quality in
        benchmarks/results/minibatch.md.
    min_count : int
        Words seen fewer times are left out of the vocabulary (in a vocabulary
        update, new words seen fewer times in the new corpus; old words stay).
    sample : float
        Subsampling threshold for frequent words (0 disables it).
    epochs : int
        Passes over the corpus.
    alpha : float, optional
        Initial learning rate; 0.025 for skip-gram, 0.05 for CBOW (word2vec's defaults).
    min_alpha : float, optional
        Learning rate reached at the end, linearly; by default ``alpha * 1e-4``
        for skip-gram, ``alpha / (2 * epochs)`` for CBOW (see `end_alpha`).
    ns_exponent : float
        Noise distribution exponent: counts ** ns_exponent.
    max_vocab_size : int, optional
        Bound on distinct words held while counting, and on the final vocabulary
        (an update adds new words only up to it, and removes none).
    max_sentence_length : int
        Longer lines are cut into sentences of this many tokens (none is lost).
    lowercase : bool
        Lower-case text read from files.
    workers : int
        Training threads.
    seed : int
        Seed of the initial vectors and of all random draws. With one worker,
        the same seed gives bit-identical vectors.
    batch_words : int
        Words handed to a training thread at once.

    Examples
    --------
    >>> import w2v
    >>> model = w2v.Word2Vec(dim=50, epochs=3).train("data/sample-en.txt")  # doctest: +SKIP
    >>> model.wv.most_similar("king", topn=3)  # doctest: +SKIP
    """

    def __init__(self, *, sg: bool = True, dim: int = 100, window: int = 5,
                 shrink_windows: bool = True, negative: int = 5, hs: bool = False,
                 share_noise: bool = False,
                 minibatch: bool = False,
                 min_count: int = 5, sample: float = 1e-3, epochs: int = 5,
                 alpha: float | None = None, min_alpha: float | None = None,
                 ns_exponent: float = 0.75, max_vocab_size: int | None = None,
                 max_sentence_length: int = 10_000, lowercase: bool = True,
                 workers: int = 1, seed: int = 1, batch_words: int = 50_000):
        self.sg = sg
        self.dim = dim
        self.window = window
        self.shrink_windows = shrink_windows
        self.negative = negative
        self.hs = hs
        self.share_noise = share_noise
        self.minibatch = minibatch
        self.min_count = min_count
        self.sample = sample
        self.epochs = epochs
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.ns_exponent = ns_exponent
        self.max_vocab_size = max_vocab_size
        self.max_sentence_length = max_sentence_length
        self.lowercase = lowercase
        self.workers = workers
        self.seed = seed
        self.batch_words = batch_words
        self.vocab_: Vocabulary | None = None
        self.W_in_: np.ndarray | None = None
        self.W_out_: np.ndarray | None = None
        self.W_hs_: np.ndarray | None = None  # hierarchical softmax: (V - 1, d), inner nodes
        self.loss_history_ = np.zeros((0, len(HISTORY_COLUMNS)))
        self.epochs_trained_ = 0
        self.words_trained_ = 0
        self.training_seconds_ = 0.0
        self.read_stats_ = None
        self.run_: dict | None = None  # the last train() call: epochs planned and completed
        self._vocab_corpus = None  # what build_vocab counted, until train() uses it
        self._vocab_reader = None  # ... and the reader it counted with
        self._vocab_words = None  # ... and its words in the vocabulary, for the schedule
        self._wv: KeyedVectors | None = None

    # --- settings -------------------------------------------------------------

    #: What a model file records this class as (its ``kind``): ``load`` gives
    #: back the class that saved it.
    KIND = "word2vec"
    _KINDS: dict[str, type] = {}  # kind -> class; Word2Vec adds itself below

    def __init_subclass__(cls, **kwargs):  # each kind registers itself
        super().__init_subclass__(**kwargs)
        Word2Vec._KINDS[cls.KIND] = cls

    PARAMS = ("sg", "dim", "window", "shrink_windows", "negative", "hs", "share_noise", "minibatch",
              "min_count", "sample", "epochs", "alpha",
              "min_alpha", "ns_exponent", "max_vocab_size", "max_sentence_length",
              "lowercase", "workers", "seed", "batch_words")

    def get_params(self) -> dict:
        return {name: getattr(self, name) for name in self.PARAMS}

    @property
    def start_alpha(self) -> float:
        if self.alpha is not None:
            return self.alpha
        return 0.025 if self.sg else 0.05

    @property
    def end_alpha(self) -> float:
        """``min_alpha``, or by default word2vec's ``alpha * 1e-4`` for
        skip-gram and ``alpha / (2 * epochs)`` of the run for CBOW. CBOW makes
        one update per word where skip-gram makes one per context pair, so on
        few epochs it is under-trained, and a rate that stays higher learns
        more: +3.0 analogy points at 1 epoch, +1.6 at 2, +0.8 at 3, level at
        5 (results/cbow-1epoch.md). It is the rate gensim's CBOW ends at with
        2 workers, through a quirk of its schedule."""
        if self.min_alpha is not None:
            return self.min_alpha
        if self.sg:
            return self.start_alpha * 1e-4
        epochs = self.run_["epochs"] if self.run_ is not None else self.epochs
        return self.start_alpha / (2 * epochs)

    def _validate(self, memory: bool = True) -> None:
        """Check every setting (`settings.py`): a `SettingsError` names the first
        bad one; with ``memory``, also that training them fits in memory."""
        self.hs, self.negative = settings.output_layer(self.hs, self.negative, self.minibatch)
        for name in ("dim", "window", "epochs", "workers", "max_sentence_length",
                     "batch_words", "min_count"):
            setattr(self, name, settings.whole_number(name, getattr(self, name)))
        if self.max_vocab_size is not None:
            self.max_vocab_size = settings.whole_number("max_vocab_size", self.max_vocab_size)
        self.seed = settings.whole_number("seed", self.seed, low=0, high=2**64 - 1)
        self.sample = settings.real_number("sample", self.sample, low=0)
        self.ns_exponent = settings.real_number("ns_exponent", self.ns_exponent, low=-10, high=10)
        for name in ("alpha", "min_alpha"):
            if getattr(self, name) is not None:
                setattr(self, name, settings.real_number(name, getattr(self, name), low=0,
                                                         low_open=name == "alpha"))
        if self.end_alpha > self.start_alpha:
            raise SettingsError(f"min_alpha ({self.end_alpha:g}) must not be above alpha "
                                f"({self.start_alpha:g}): the learning rate decays from alpha "
                                "to min_alpha")
        for name in ("sg", "shrink_windows", "share_noise", "minibatch", "lowercase"):
            if not isinstance(getattr(self, name), bool):
                raise SettingsError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if memory:
            self._check_memory(vocab_size=len(self.vocab_) if self.vocab_ is not None else 1)

    def _scratch_rows(self) -> int:
        """Rows of a worker's noise buffer: a centre word has at most 2 x window
        context words, and fewer than a sentence's length."""
        return 2 * min(self.window, self.max_sentence_length)

    def _check_memory(self, vocab_size: int) -> None:
        """Refuse settings whose vectors and per-thread buffers cannot fit."""
        vectors = (2 + self.hs) * vocab_size * self.dim * 4
        per_worker = (self._scratch_rows() * self.negative * 8 + self.max_sentence_length * 4
                      + 2 * self.dim * 4 + 2 * HOT_ROWS_BYTES + self.batch_words * 24)
        what = (f"{vocab_size:,} words x {self.dim:,} dims" if vocab_size > 1
                else f"dim {self.dim:,}") + f", negative {self.negative:,}, window {self.window:,}"
        settings.check_memory(f"training with {what} and {self.workers} workers",
                              vectors + self.workers * per_worker,
                              "lower dim (or raise min_count / set max_vocab_size), negative, "
                              "window or workers")

    # --- learning -------------------------------------------------------------

    def build_vocab(self, corpus, update: bool = False) -> Word2Vec:
        """Count the corpus and initialise the vectors (word2vec's scheme:
        input vectors uniform in ±0.5/dim, output vectors zero). A ``train``
        of the same corpus object next reads it with the same reader, so
        that a pipe or standard input is read once.

        With ``update``, the vocabulary of a model that has one grows by the
        corpus's new words instead of being replaced (gensim's
        ``build_vocab(update=True)``; `_update_vocab` says how): old vectors
        and their rows are kept, new words get rows after them, and the
        training so far (epochs, words, loss history) is kept. The next
        ``train`` of this corpus schedules its learning rate over the
        corpus's words."""
        self._validate()
        if update:
            self._check_updatable()
        sentences = self._sentences(corpus)
        try:
            # An update needs every word's count: old words add theirs whatever they are.
            vocab = Vocabulary.build(sentences, 1 if update else self.min_count,
                                     self.max_vocab_size)
        except (CorpusError, VocabularyError) as error:
            _close_if_made(sentences, corpus)
            dropped = getattr(getattr(sentences, "stats", None), "long_tokens_dropped", 0)
            if not dropped:
                raise
            raise type(error)(f"{error} ({dropped:,} tokens longer than {MAX_TOKEN_CHARS:,} "
                              "characters were left out: is the text split into words?)") from None
        if update:
            self._close_vocab_reader()
            try:
                self._vocab_words = self._update_vocab(vocab)
            except W2VError:
                _close_if_made(sentences, corpus)
                raise
        else:
            self._start_from(vocab)
            self._vocab_words = vocab.total_count
        self.read_stats_ = getattr(sentences, "stats", None)
        self._vocab_corpus, self._vocab_reader = corpus, sentences
        return self

    def _check_updatable(self) -> None:
        if self.vocab_ is None:
            raise VocabularyError("a vocabulary update needs a model with a vocabulary: train "
                                  "it (or build_vocab) on a first corpus, then update")
        self._check_vectors_match_settings()

    def _update_vocab(self, counted: Vocabulary) -> int:
        """Grow the vocabulary and the vectors by ``counted`` (the counts of
        a new corpus, every word); return the words of that corpus in the
        grown vocabulary, which its epochs train on.

        `Vocabulary.updated` decides the words: old ones all stay, in their
        rows, their counts summed; new ones seen ``min_count`` times in the
        new corpus are appended, most frequent first, while there are fewer
        than ``max_vocab_size``. Old vectors are copied unchanged; new input
        rows are drawn as word2vec's first ones are (uniform in ±0.5/dim),
        from a stream of the seed of their own, new output rows are zero.
        Counts, and with them the subsampling and noise tables (made from
        ``vocab_`` at each run), are the merged ones.

        Rows are not re-sorted by frequency, so that row numbers held
        elsewhere stay valid: the first rows are still the most frequent old
        words, which is all the hot rows of several workers need for speed
        (an approximate index of the old vectors is dropped at the next save,
        as for any change of vectors); `restrict_vocab` in queries and
        evaluations counts rows, so new words come after every old one there.
        """
        vocab = self.vocab_.updated(counted, self.min_count, self.max_vocab_size)
        words = sum(count for word, count in zip(counted.words, counted.counts.tolist())
                    if word in vocab.index)
        if words == 0:
            raise CorpusError(f"no word of the corpus is in the vocabulary or seen "
                              f"min_count={self.min_count} times: nothing to train on")
        old, shape = len(self.vocab_), (len(vocab), self.dim)
        self._check_memory(len(vocab))
        try:
            W_in = np.empty(shape, dtype=np.float32)
            W_in[:old] = self.W_in_
            # The seed's stream for rows from ``old`` on: not a replay of the first rows' draws.
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(old,)))
            rng.random(out=W_in[old:], dtype=np.float32)
            W_in[old:] -= 0.5
            W_in[old:] /= self.dim
            W_out = np.zeros(shape, dtype=np.float32)
            W_out[:old] = self.W_out_
        except MemoryError:
            raise SettingsError(f"not enough memory to grow the vectors to {shape[0]:,} x "
                                f"{shape[1]:,}: raise min_count or set max_vocab_size") from None
        self.vocab_, self.W_in_, self.W_out_ = vocab, W_in, W_out
        self._wv = None
        return words

    def build_vocab_from(self, vocab) -> Word2Vec:
        """Take the vocabulary from ``vocab`` instead of counting a corpus, and
        initialise the vectors as ``build_vocab`` does: ``vocab`` is a
        `Vocabulary` or the path of a vocabulary file in word2vec C's format
        (`vocabfile.save_vocab` writes one). ``min_count`` and
        ``max_vocab_size`` apply to its counts.

        The next ``train`` makes no counting pass: its learning rate is
        scheduled over the total of the kept words' counts, so they must be
        the counts of the corpus it trains on. Words that the corpus does not
        hold keep their initial vectors.
        """
        self._validate()
        if isinstance(vocab, Vocabulary):
            vocab = vocabfile.restrict(vocab, self.min_count, self.max_vocab_size)
        else:
            vocab = vocabfile.load_vocab(vocab, self.min_count, self.max_vocab_size)
        self._start_from(vocab)
        self.read_stats_ = None
        self._vocab_corpus, self._vocab_reader = _COUNTS_GIVEN, None
        self._vocab_words = vocab.total_count
        return self

    def _start_from(self, vocab: Vocabulary) -> None:
        """Initialise the vectors of ``vocab``'s words and forget any training."""
        self._close_vocab_reader()
        self._check_memory(len(vocab))
        shape = (len(vocab), self.dim)
        try:
            rng = np.random.default_rng(self.seed)
            self.W_in_ = rng.random(shape, dtype=np.float32)
            self.W_in_ -= 0.5  # in place: temporaries would double the peak memory
            self.W_in_ /= self.dim
            self.W_out_ = np.zeros(shape, dtype=np.float32)
            self.W_hs_ = None  # made at the first training run, if hs is on (_hs_vectors)
        except MemoryError:
            self.W_in_ = self.W_out_ = None
            raise SettingsError(f"not enough memory for {shape[0]:,} x {shape[1]:,} vectors: "
                                "lower dim, raise min_count or set max_vocab_size") from None
        self.vocab_ = vocab
        self.loss_history_ = np.zeros((0, len(HISTORY_COLUMNS)))
        self.epochs_trained_ = self.words_trained_ = 0
        self._wv = None

    def _reader_of(self, corpus):
        """The reader of ``corpus``: the one ``build_vocab`` counted it with, if
        it did (a pipe can be read only once), else a new one."""
        if self._vocab_reader is not None and corpus is self._vocab_corpus:
            return self._vocab_reader
        self._close_vocab_reader()
        return self._sentences(corpus)

    def _close_vocab_reader(self) -> None:
        if self._vocab_reader is not None:
            _close_if_made(self._vocab_reader, self._vocab_corpus)
        self._vocab_reader = None

    def train(self, corpus, epochs: int | None = None, progress=sys.stderr,
              on_epoch_end=None, callbacks=(), update_vocab: bool = False) -> Word2Vec:
        """Train on ``corpus``: a path (file or folder, plain or compressed;
        ``"-"`` or a pipe is read once into a temporary file) or a re-iterable
        collection of token lists. Builds the vocabulary first when there is
        none; otherwise continues training the current vectors with a new
        learning-rate schedule over ``epochs`` (default ``self.epochs``).

        ``progress`` is a stream for progress lines, or None for silence.
        ``on_epoch_end(model)`` is called after each completed epoch, while no
        thread touches the vectors (e.g. to save a checkpoint).

        Each of ``callbacks`` is called with a read-only ``w2v.TrainingState``
        (epoch, epochs, words, total_words, learning_rate, loss, epoch_end)
        after every batch and after every epoch, on the calling thread. To
        stop early, a callback raises ``w2v.StopTraining``: the batches in
        flight are finished, ``train`` returns the model, which is consistent
        and can be saved, and ``unfinished`` is true so that ``resume`` can
        train the rest. Its return value is ignored; any other exception ends
        training and is raised.

        ``update_vocab`` first grows the vocabulary by the words of ``corpus``
        (``build_vocab(corpus, update=True)``, unless that was just done):
        words seen ``min_count`` times in ``corpus`` get new vectors, old
        words keep theirs and their rows, counts add up, and old words are
        never removed, whatever their counts. The learning rate then spans
        ``corpus``'s words, as for any continued training.
        """
        self._validate()
        callbacks = pipeline.checked_callbacks(callbacks)
        epochs = settings.whole_number("epochs", self.epochs if epochs is None else epochs)
        if update_vocab:
            self._check_updatable()
        # One reader for the counting pass and the training passes, so that a
        # corpus that can be read only once (a pipe) is read once.
        sentences = self._reader_of(corpus)
        try:
            if update_vocab and not self._counted(corpus, sentences):
                self.build_vocab(sentences, update=True)
            elif self.vocab_ is None:
                self.build_vocab(sentences)
            if self._counted(corpus, sentences) or self._vocab_corpus is _COUNTS_GIVEN:
                words_per_epoch = self._vocab_words
            else:
                words_per_epoch = self._count_words(sentences)
            self.run_ = {"epochs": epochs, "completed": 0, "words_per_epoch": words_per_epoch,
                         "corpus": corpus_fingerprint(corpus)}
            return self._run(sentences, progress, on_epoch_end, callbacks)
        finally:
            self._vocab_corpus = self._vocab_reader = self._vocab_words = None
            _close_if_made(sentences, corpus)  # a pipe's temporary copy goes at once

    def _counted(self, corpus, sentences) -> bool:
        """Whether ``build_vocab`` last counted this corpus (and no train used it since)."""
        return any(self._vocab_corpus is given for given in (corpus, sentences))

    def resume(self, corpus, progress=sys.stderr, on_epoch_end=None, callbacks=()) -> Word2Vec:
        """Finish a run that was interrupted (e.g. a checkpoint saved by
        ``on_epoch_end``) or stopped by a callback: the remaining epochs, with
        the learning rate going on from where it stopped. A run a callback
        stopped mid-epoch goes on from the batch it stopped at (the epoch's
        batches it trained are read and skipped). A corpus other than the
        run's (or one that cannot be recognised, e.g. token lists) is counted
        again first, so that the learning rate still reaches its end value;
        if its count differs, the unfinished epoch starts again."""
        if self.run_ is None or self.run_["completed"] >= self.run_["epochs"]:
            raise W2VError("this model has no unfinished training run to resume; "
                           "train it further with train(corpus, epochs=N)")
        self._validate()
        callbacks = pipeline.checked_callbacks(callbacks)
        sentences = self._sentences(corpus)
        fingerprint = corpus_fingerprint(corpus)
        if fingerprint is None or fingerprint != self.run_.get("corpus"):
            words_per_epoch = self._count_words(sentences)
            if words_per_epoch != self.run_["words_per_epoch"]:
                self.run_.pop("partial_epoch", None)  # its batches are not this corpus's
                if progress is not None:
                    print(f"note: the corpus is not the one this run started on: "
                          f"{words_per_epoch:,} words per epoch instead of "
                          f"{self.run_['words_per_epoch']:,}; the learning rate schedule "
                          "follows the new count", file=progress)
            self.run_.update(words_per_epoch=words_per_epoch, corpus=fingerprint)
        try:
            return self._run(sentences, progress, on_epoch_end, callbacks)
        finally:
            _close_if_made(sentences, corpus)

    def _count_words(self, sentences) -> int:
        """Words of one epoch that are in the vocabulary: what the schedule spans."""
        words = sum(len(ids) for ids, _ in self._batches(sentences))
        if words == 0:
            raise CorpusError("no word of the corpus is in the vocabulary: nothing to train on")
        return words

    @property
    def unfinished(self) -> bool:
        """Whether the last training run stopped before its last epoch."""
        return self.run_ is not None and self.run_["completed"] < self.run_["epochs"]

    def _sentences(self, corpus) -> Iterable[list[str]]:
        if isinstance(corpus, (str, Path)):
            return Corpus(corpus, lowercase=self.lowercase,
                          max_sentence_length=self.max_sentence_length)
        if tables.is_table_object(corpus):  # a DataFrame column of text, an Arrow array
            return tables.TextColumn(corpus, lowercase=self.lowercase,
                                     max_sentence_length=self.max_sentence_length)
        if iter(corpus) is corpus:
            raise TypeError("the corpus is read several times: pass a path, a list of "
                            "token lists or a re-iterable object, not a one-shot iterator")
        return corpus

    def _batches(self, sentences):
        return make_batches(sentences, self.vocab_.index, self.batch_words, self.max_sentence_length)

    def _check_vectors_match_settings(self) -> None:
        """Refuse to train vectors that no longer match the settings (``dim``
        changed after ``build_vocab``): the kernels would index them with the
        wrong width."""
        expected = (len(self.vocab_), self.dim)
        for name, matrix in (("W_in_", self.W_in_), ("W_out_", self.W_out_)):
            if matrix is None or matrix.shape != expected:
                got = "none" if matrix is None else f"{matrix.shape[0]:,} x {matrix.shape[1]:,}"
                raise SettingsError(
                    f"dim is {self.dim:,} but the vectors are {got} ({name}, made by "
                    f"build_vocab for {len(self.vocab_):,} words): set dim back, or call "
                    "build_vocab again to start over with the new dim")

    def _run(self, sentences, progress, on_epoch_end, callbacks) -> Word2Vec:
        self._check_vectors_match_settings()
        run = self.run_
        skip = self._words_done_in_epoch()
        remaining = run["words_per_epoch"] * (run["epochs"] - run["completed"]) - skip
        started = time.perf_counter()
        try:
            self._train_epochs(sentences, Progress(remaining, stream=progress), on_epoch_end,
                               callbacks, skip)
        finally:
            self.training_seconds_ += time.perf_counter() - started
            self.read_stats_ = getattr(sentences, "stats", self.read_stats_)
            self._wv = None
        return self

    def _words_done_in_epoch(self) -> int:
        """Words of the run's unfinished epoch trained before a callback stopped it."""
        partial = self.run_.get("partial_epoch")
        if (partial is None or partial["epoch"] != self.run_["completed"]
                or partial["words"] >= self.run_["words_per_epoch"]):
            return 0  # none, or one a run that went on since (on Spark) left behind
        if "rounds" in partial:  # stopped on Spark: its words are rounds' shares, not a prefix
            warnings.warn("the stopped epoch was trained in Spark rounds, not from the corpus's "
                          "start: it is trained again whole (resume it on Spark to go on from "
                          "its next round)", stacklevel=4)
            return 0
        return partial["words"]

    def _train_epochs(self, sentences, progress, on_epoch_end, callbacks, skip: int):
        """Train the remaining epochs of ``self.run_`` in the threaded pipeline
        (pipeline.py), keeping the model's books in step with the pipeline's."""
        run = self.run_
        schedule = pipeline.Schedule(run["completed"], run["epochs"], run["words_per_epoch"],
                                     self.start_alpha, self.end_alpha,
                                     skip=skip)
        ledger = pipeline.Ledger(schedule, self.words_trained_, self.loss_history_, progress,
                                 HISTORY_POINTS)

        def take_books():
            self.words_trained_ = ledger.words_trained
            self.loss_history_ = ledger.history_array()

        def epoch_done(epoch):  # no thread touches the vectors: check and checkpoint them
            take_books()
            self._check_finite(epoch)
            run["completed"] = epoch + 1
            run.pop("partial_epoch", None)
            self.epochs_trained_ += 1
            if on_epoch_end is not None:
                on_epoch_end(self)

        try:
            pipeline.run(self._pipeline_setup(), lambda: self._batches(sentences), ledger,
                         workers=self.workers, epoch_done=epoch_done,
                         diverged=lambda epoch: self._check_finite(epoch, force=True),
                         callbacks=callbacks)
        finally:
            take_books()  # an interrupted run keeps what it trained
        if self.unfinished:  # a callback stopped it: the epoch's first words are trained
            self._check_finite(run["completed"])
            words = ledger.words_in(run["completed"])
            if words:
                run["partial_epoch"] = {"epoch": run["completed"], "words": words}

    def _hs_vectors(self) -> np.ndarray:
        """``W_hs_``, one row per inner node of the Huffman tree (V - 1), made
        zero as word2vec C's syn1 when there is none yet (hs turned on after
        build_vocab, or a model trained without it). After a vocabulary
        update the tree is rebuilt from the new counts and the matrix grows
        by zero rows, keeping the old ones, as gensim does."""
        rows = max(len(self.vocab_) - 1, 0)
        old = self.W_hs_
        if old is None or old.shape != (rows, self.dim):
            self.W_hs_ = np.zeros((rows, self.dim), dtype=np.float32)
            if old is not None and old.shape[1] == self.dim:
                keep = min(rows, len(old))
                self.W_hs_[:keep] = old[:keep]
        return self.W_hs_

    def _pipeline_setup(self) -> pipeline.Setup:
        """The vectors, tables and settings every training thread works with."""
        keep = self.vocab_.keep_probabilities(self.sample)
        accept, alias = alias_table(self.vocab_.noise_distribution(self.ns_exponent))
        # Private copies of hot rows only pay when several workers share W_out
        # and W_hs (whose first rows are the nodes nearest the root, 11.4);
        # with both, each matrix takes half of HOT_ROWS_BYTES.
        rows = HOT_ROWS_BYTES // (8 * self.dim) // (2 if self.hs and self.negative else 1)
        several = self.workers > 1
        hot = min(len(self.vocab_), rows) if several and self.negative else 0
        hs = {}
        if self.hs:
            W_hs = self._hs_vectors()
            hs = {"W_hs": W_hs, "tree": huffman.build_tree(self.vocab_.counts),
                  "hs_hot_rows": min(len(W_hs), rows) if several else 0}
        return pipeline.Setup(**hs,
            W_in=self.W_in_, W_out=self.W_out_, keep=keep, accept=accept, alias=alias,
            sg=self.sg, minibatch=self.minibatch, share_noise=self.share_noise,
            window=self.window, shrink_windows=self.shrink_windows, negative=self.negative,
            max_sentence_length=self.max_sentence_length, noise_rows=self._scratch_rows(),
            hot_rows=hot, cbow_group=CBOW_GROUP, seed=self.seed,
            # A new stream for every call, so that continued training draws afresh.
            stream=1000 * self.epochs_trained_)

    def _check_finite(self, epoch, force=False):
        """Refuse to go on (or to be saved) with vectors that have diverged."""
        if force or not all(np.isfinite(m).all() for m in (self.W_in_, self.W_out_, self.W_hs_)
                            if m is not None):
            raise TrainingDivergedError(
                f"training diverged in epoch {epoch + 1}: the loss or the vectors became "
                f"NaN or infinite; lower the learning rate (alpha is {self.start_alpha:g}; "
                f"try {self._safer_alpha():g} or lower)")

    def _safer_alpha(self) -> float:
        """A tenth of the rate that diverged, and never above word2vec's default."""
        return min(self.start_alpha / 10, 0.025 if self.sg else 0.05)

    # --- results --------------------------------------------------------------

    @property
    def wv(self) -> KeyedVectors:
        """The trained input vectors, with similarity queries."""
        if self.vocab_ is None:
            raise ValueError("the model has no vocabulary yet: call train() first")
        if self._wv is None:
            self._wv = KeyedVectors(self.vocab_.words, self.W_in_, self.vocab_.counts)
        return self._wv

    # --- files ----------------------------------------------------------------

    ARRAYS = {"counts": ("int64", ("V",)), "W_in": ("float32", ("V", "d")),
              "W_out": ("float32", ("V", "d")), "loss_history": ("float64", ("n", len(HISTORY_COLUMNS)))}

    def save(self, path) -> None:
        """Save everything needed to query the vectors or continue training;
        atomic: an existing file at ``path`` survives any failure intact."""
        if self.vocab_ is None:
            raise ValueError("nothing to save: the model has no vocabulary yet")
        from . import __version__
        meta = {
            "created_by": f"w2v {__version__}",
            "kind": self.KIND,
            "vocab_size": len(self.vocab_),
            "dim": self.dim,
            "params": _json_safe(self.get_params()),
            "corpus_tokens": self.vocab_.corpus_tokens,
            "epochs_trained": self.epochs_trained_,
            "words_trained": self.words_trained_,
            "training_seconds": self.training_seconds_,
            "run": self.run_,
            "loss_history_columns": list(HISTORY_COLUMNS),
        }
        arrays = {"counts": self.vocab_.counts, "W_in": self.W_in_, "W_out": self.W_out_,
                  "loss_history": self.loss_history_}
        if self.hs:  # the tree is not saved: load rebuilds it from the counts
            arrays["W_hs"] = self._hs_vectors()
        modelfile.save(path, meta, self.vocab_.words, arrays)
        from .ann import drop_stale_indexes  # an index is a cache of the vectors saved here
        drop_stale_indexes(path, self._indexed_matrices())

    def _indexed_matrices(self) -> dict:
        """The matrix each approximate index beside a saved model is built
        from: for word vectors, only the cosine index of ``W_in_``."""
        return {"cosine": self.W_in_, "ip": None}

    def load_indexes(self, path) -> Word2Vec:
        """Use the approximate nearest-neighbour index that ``w2v index`` saved
        beside the model file ``path``, if there is one (``w2v.load`` does
        this); an index built from other vectors raises ``ModelFormatError``."""
        from .ann import usable_index_beside
        self.wv.ann_index = usable_index_beside(path, self.wv.vectors)
        return self

    @classmethod
    def load(cls, path) -> Word2Vec:
        """Load a model saved by ``save``; raises ``ModelFormatError`` for a file
        that is not one, is damaged, or whose arrays disagree with its metadata.

        ``Word2Vec.load`` gives back the class that saved the file (an item
        model is an ``Item2Vec``); a subclass's ``load`` reads any model as itself.
        """
        meta, words, arrays = modelfile.load(path, cls.ARRAYS)
        params = meta.get("params")
        if not isinstance(params, dict):
            raise ModelFormatError(f"{path}: meta.json has no training parameters")
        kind = meta.get("kind", Word2Vec.KIND)
        if not isinstance(kind, str) or kind not in cls._KINDS:
            raise ModelFormatError(f"{path}: a model of unknown kind {kind!r} (made by a newer "
                                   "w2v?)")
        if cls is Word2Vec:
            cls = cls._KINDS[kind]
        model = cls(**{k: _from_json(v) for k, v in params.items() if k in cls.PARAMS})
        if model.dim != meta["dim"]:
            raise ModelFormatError(f"{path}: dim {model.dim} in params but {meta['dim']} in meta")
        try:
            model.vocab_ = Vocabulary(words, arrays["counts"])
        except (ValueError, TypeError, W2VError) as error:
            raise ModelFormatError(f"{path}: counts.npy: {error}") from None
        try:
            model._validate(memory=False)  # the memory check is for training, not for queries
            model.vocab_.corpus_tokens = settings.whole_number(
                "corpus_tokens", meta.get("corpus_tokens", 0), low=0, high=2**63 - 1)
            model.epochs_trained_, model.words_trained_ = (
                settings.whole_number(name, meta.get(name, 0), low=0, high=2**63 - 1)
                for name in ("epochs_trained", "words_trained"))
            model.training_seconds_ = settings.real_number(
                "training_seconds", meta.get("training_seconds", 0.0), low=0)
            model.run_ = _checked_run(meta.get("run"))
        except (ValueError, TypeError, W2VError) as error:
            raise ModelFormatError(f"{path}: meta.json: {error}") from None
        model.W_in_, model.W_out_ = arrays["W_in"], arrays["W_out"]
        model.loss_history_ = arrays["loss_history"]
        if model.hs:
            model.W_hs_ = _load_hs_vectors(path, len(words))
        return model



Word2Vec._KINDS[Word2Vec.KIND] = Word2Vec


# What build_vocab_from leaves for train(): the vocabulary's counts are the
# corpus's, and no counting pass is needed for the learning-rate schedule.
_COUNTS_GIVEN = object()


def _json_safe(params: dict) -> dict:
    """Settings as JSON can hold them: an infinite one as the string "inf"."""
    return {k: "inf" if isinstance(v, float) and math.isinf(v) and v > 0 else v
            for k, v in params.items()}


def _from_json(value):
    return math.inf if value == "inf" else value

def _close_if_made(sentences, corpus) -> None:
    """Close the reader ``_sentences`` made for a path (not the caller's own object)."""
    if sentences is not corpus and hasattr(sentences, "close"):
        sentences.close()


def _load_hs_vectors(path, vocab_size: int) -> np.ndarray:
    """The hierarchical-softmax matrix of a model file saved with hs: a
    member that files without hs lack, hence read on its own (the zip is
    opened again, but only this member and the words are read)."""
    _, _, arrays = modelfile.load(path, {"W_hs": ("float32", ("n", "d"))})
    W_hs = arrays["W_hs"]
    if len(W_hs) != max(vocab_size - 1, 0):
        raise ModelFormatError(f"{path}: W_hs.npy has {len(W_hs):,} rows, a tree of "
                               f"{vocab_size:,} words has {max(vocab_size - 1, 0):,} inner nodes")
    return W_hs


def _checked_run(run) -> dict | None:
    """The ``run`` record of a model file (epochs planned and completed, words
    per epoch), checked: it drives the learning rate when a run is resumed."""
    if run is None:
        return None
    if not isinstance(run, dict):
        raise ModelFormatError(f"'run' must be a record, got {run!r}")
    epochs = settings.whole_number("run.epochs", run.get("epochs"), high=LIMIT_EPOCHS)
    checked = {"epochs": epochs,
               "completed": settings.whole_number("run.completed", run.get("completed"), low=0,
                                                  high=epochs),
               "words_per_epoch": settings.whole_number("run.words_per_epoch",
                                                        run.get("words_per_epoch"), high=2**62),
               "corpus": run.get("corpus")}
    if checked["corpus"] is not None and not isinstance(checked["corpus"], str):
        raise ModelFormatError(f"'run.corpus' must be a string, got {checked['corpus']!r}")
    partial = run.get("partial_epoch")  # where a callback stopped the unfinished epoch
    if partial is not None:
        if not isinstance(partial, dict):
            raise ModelFormatError(f"'run.partial_epoch' must be a record, got {partial!r}")
        checked["partial_epoch"] = {
            "epoch": settings.whole_number("run.partial_epoch.epoch", partial.get("epoch"),
                                           low=0, high=epochs),
            "words": settings.whole_number("run.partial_epoch.words", partial.get("words"),
                                           high=2**62)}
        if "rounds" in partial:  # stopped on Spark (w2v/spark/training.py)
            layout = partial.get("layout")
            if not (isinstance(layout, list) and len(layout) == 2):
                raise ModelFormatError(f"'run.partial_epoch.layout' must be [partitions, "
                                       f"rounds], got {layout!r}")
            checked["partial_epoch"].update(
                rounds=settings.whole_number("run.partial_epoch.rounds", partial["rounds"],
                                             high=2**31),
                layout=[settings.whole_number("run.partial_epoch.layout", n, high=2**31)
                        for n in layout])
    return checked


def corpus_fingerprint(corpus) -> str | None:
    """A short digest of a corpus on disk (its files' names, sizes and times of
    change) that recognises it when a run is resumed; None for token lists and
    pipes, which cannot be recognised."""
    if not isinstance(corpus, (str, Path)) or str(corpus) == "-":
        return None
    try:
        files = corpus_files(corpus)
        digest = hashlib.sha256()
        for path in files:
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                return None
            name = os.path.relpath(path, corpus) if len(files) > 1 else path.name
            digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    except (OSError, W2VError):
        return None
    return digest.hexdigest()[:16]
