"""The ``Word2Vec`` trainer: vocabulary, training loop, saving and loading.

In the scikit-learn manner the constructor only stores settings;
``build_vocab`` and ``train`` do the work, and what they learn ends in ``_``.
The numerical work is in kernels.py; this module feeds it batches of word ids
from a reader thread to one or more training threads, schedules the learning
rate, and reports progress and loss.
"""

from __future__ import annotations

import collections
import hashlib
import math
import os
import queue
import stat
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from . import kernels, machine, modelfile, settings, spinlock, tables
from .batches import BatchCache, make_batches
from .corpus import MAX_TOKEN_CHARS, Corpus, corpus_files
from .errors import (CorpusError, ModelFormatError, SettingsError, TrainingDivergedError,
                     VocabularyError, W2VError)
from .keyedvectors import KeyedVectors
from .progress import Progress
from .sampling import alias_table, seed_state
from .vocab import Vocabulary

# Columns of ``loss_history_``.
HISTORY_COLUMNS = ("words", "epoch", "learning_rate", "loss")
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
    """Skip-gram or CBOW word vectors trained with negative sampling.

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
        Noise words drawn per positive example.
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
        Words seen fewer times are left out of the vocabulary.
    sample : float
        Subsampling threshold for frequent words (0 disables it).
    epochs : int
        Passes over the corpus.
    alpha : float, optional
        Initial learning rate; 0.025 for skip-gram, 0.05 for CBOW (word2vec's defaults).
    min_alpha : float, optional
        Learning rate reached at the end, linearly; ``alpha * 1e-4`` by default.
    ns_exponent : float
        Noise distribution exponent: counts ** ns_exponent.
    max_vocab_size : int, optional
        Bound on distinct words held while counting, and on the final vocabulary.
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
                 shrink_windows: bool = True, negative: int = 5, share_noise: bool = False,
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
        self.loss_history_ = np.zeros((0, len(HISTORY_COLUMNS)))
        self.epochs_trained_ = 0
        self.words_trained_ = 0
        self.training_seconds_ = 0.0
        self.read_stats_ = None
        self.run_: dict | None = None  # the last train() call: epochs planned and completed
        self._vocab_corpus = None  # what build_vocab counted, until train() uses it
        self._wv: KeyedVectors | None = None

    # --- settings -------------------------------------------------------------

    #: What a model file records this class as (its ``kind``): ``load`` gives
    #: back the class that saved it.
    KIND = "word2vec"
    _KINDS: dict[str, type] = {}  # kind -> class; Word2Vec adds itself below

    def __init_subclass__(cls, **kwargs):  # each kind registers itself
        super().__init_subclass__(**kwargs)
        Word2Vec._KINDS[cls.KIND] = cls

    PARAMS = ("sg", "dim", "window", "shrink_windows", "negative", "share_noise", "minibatch",
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
        return self.min_alpha if self.min_alpha is not None else self.start_alpha * 1e-4

    def _validate(self, memory: bool = True) -> None:
        """Check every setting (`settings.py`): a `SettingsError` names the first
        bad one; with ``memory``, also that training them fits in memory."""
        for name in ("dim", "window", "negative", "epochs", "workers", "max_sentence_length",
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
        vectors = 2 * vocab_size * self.dim * 4
        per_worker = (self._scratch_rows() * self.negative * 8 + self.max_sentence_length * 4
                      + 2 * self.dim * 4 + 2 * HOT_ROWS_BYTES + self.batch_words * 24)
        what = (f"{vocab_size:,} words x {self.dim:,} dims" if vocab_size > 1
                else f"dim {self.dim:,}") + f", negative {self.negative:,}, window {self.window:,}"
        settings.check_memory(f"training with {what} and {self.workers} workers",
                              vectors + self.workers * per_worker,
                              "lower dim (or raise min_count / set max_vocab_size), negative, "
                              "window or workers")

    # --- learning -------------------------------------------------------------

    def build_vocab(self, corpus) -> Word2Vec:
        """Count the corpus and initialise the vectors (word2vec's scheme:
        input vectors uniform in ±0.5/dim, output vectors zero)."""
        self._validate()
        sentences = self._sentences(corpus)
        try:
            vocab = Vocabulary.build(sentences, self.min_count, self.max_vocab_size)
        except (CorpusError, VocabularyError) as error:
            dropped = getattr(getattr(sentences, "stats", None), "long_tokens_dropped", 0)
            if not dropped:
                raise
            raise type(error)(f"{error} ({dropped:,} tokens longer than {MAX_TOKEN_CHARS:,} "
                              "characters were left out: is the text split into words?)") from None
        self._check_memory(len(vocab))
        shape = (len(vocab), self.dim)
        try:
            rng = np.random.default_rng(self.seed)
            self.W_in_ = rng.random(shape, dtype=np.float32)
            self.W_in_ -= 0.5  # in place: temporaries would double the peak memory
            self.W_in_ /= self.dim
            self.W_out_ = np.zeros(shape, dtype=np.float32)
        except MemoryError:
            self.W_in_ = self.W_out_ = None
            raise SettingsError(f"not enough memory for {shape[0]:,} x {shape[1]:,} vectors: "
                                "lower dim, raise min_count or set max_vocab_size") from None
        self.vocab_ = vocab
        self.read_stats_ = getattr(sentences, "stats", None)
        self.loss_history_ = np.zeros((0, len(HISTORY_COLUMNS)))
        self.epochs_trained_ = self.words_trained_ = 0
        self._vocab_corpus = corpus
        self._wv = None
        return self

    def train(self, corpus, epochs: int | None = None, progress=sys.stderr,
              on_epoch_end=None) -> Word2Vec:
        """Train on ``corpus``: a path (file or folder, plain or compressed;
        ``"-"`` or a pipe is read once into a temporary file) or a re-iterable
        collection of token lists. Builds the vocabulary first when there is
        none; otherwise continues training the current vectors with a new
        learning-rate schedule over ``epochs`` (default ``self.epochs``).

        ``progress`` is a stream for progress lines, or None for silence.
        ``on_epoch_end(model)`` is called after each completed epoch, while no
        thread touches the vectors (e.g. to save a checkpoint).
        """
        self._validate()
        epochs = settings.whole_number("epochs", self.epochs if epochs is None else epochs)
        # One reader for the counting pass and the training passes, so that a
        # corpus that can be read only once (a pipe) is read once.
        sentences = self._sentences(corpus)
        if self.vocab_ is None:
            self.build_vocab(sentences)
        try:
            if any(self._vocab_corpus is given for given in (corpus, sentences)):
                words_per_epoch = self.vocab_.total_count
            else:
                words_per_epoch = self._count_words(sentences)
            self.run_ = {"epochs": epochs, "completed": 0, "words_per_epoch": words_per_epoch,
                         "corpus": corpus_fingerprint(corpus)}
            return self._run(sentences, progress, on_epoch_end)
        finally:
            self._vocab_corpus = None
            _close_if_made(sentences, corpus)  # a pipe's temporary copy goes at once

    def resume(self, corpus, progress=sys.stderr, on_epoch_end=None) -> Word2Vec:
        """Finish a run that was interrupted (e.g. a checkpoint saved by
        ``on_epoch_end``): the remaining epochs, with the learning rate going on
        from where it stopped. A corpus other than the run's (or one that
        cannot be recognised, e.g. token lists) is counted again first, so that
        the learning rate still reaches its end value."""
        if self.run_ is None or self.run_["completed"] >= self.run_["epochs"]:
            raise W2VError("this model has no unfinished training run to resume; "
                           "train it further with train(corpus, epochs=N)")
        self._validate()
        sentences = self._sentences(corpus)
        fingerprint = corpus_fingerprint(corpus)
        if fingerprint is None or fingerprint != self.run_.get("corpus"):
            words_per_epoch = self._count_words(sentences)
            if progress is not None and words_per_epoch != self.run_["words_per_epoch"]:
                print(f"note: the corpus is not the one this run started on: {words_per_epoch:,} "
                      f"words per epoch instead of {self.run_['words_per_epoch']:,}; the learning "
                      "rate schedule follows the new count", file=progress)
            self.run_.update(words_per_epoch=words_per_epoch, corpus=fingerprint)
        try:
            return self._run(sentences, progress, on_epoch_end)
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

    def _run(self, sentences, progress, on_epoch_end) -> Word2Vec:
        self._check_vectors_match_settings()
        run = self.run_
        remaining = run["epochs"] - run["completed"]
        started = time.perf_counter()
        try:
            self._train_epochs(sentences, Progress(run["words_per_epoch"] * remaining,
                                                   stream=progress), on_epoch_end)
        finally:
            self.training_seconds_ += time.perf_counter() - started
            self.read_stats_ = getattr(sentences, "stats", self.read_stats_)
            self._wv = None
        return self

    def _train_epochs(self, sentences, progress, on_epoch_end):
        """Run the kernel over the remaining epochs of ``self.run_``: one reader
        thread makes batches, ``workers`` threads train on them (the kernel
        releases the GIL), and this thread keeps the books. At the end of each
        epoch the reader waits until every batch is trained, so that the
        vectors are consistent when the epoch is checked and checkpointed."""
        run = self.run_
        first, epochs, words_per_epoch = run["completed"], run["epochs"], run["words_per_epoch"]
        total = words_per_epoch * epochs  # the schedule spans the whole run
        eta0, eta1 = self.start_alpha, self.end_alpha
        keep = self.vocab_.keep_probabilities(self.sample)
        accept, alias = alias_table(self.vocab_.noise_distribution(self.ns_exponent))
        jobs: queue.Queue = queue.Queue(maxsize=2 * self.workers)
        results: queue.Queue = queue.Queue()
        stop = threading.Event()
        epoch_checked = threading.Event()
        merge_lock = spinlock.new_lock()  # one for all workers: their hot-row merges (eq. 25)

        def eta_at(done):  # linear decay over the run's words (eq. 22)
            return eta0 - (eta0 - eta1) * min(done / total, 1.0)

        def epoch_batches(epoch, cache):
            if cache is None:
                return self._batches(sentences)
            if epoch == first:
                return cache.record(self._batches(sentences))
            return cache.replay() if cache.complete else self._batches(sentences)

        def put(job) -> bool:
            while not stop.is_set():
                try:
                    jobs.put(job, timeout=0.1)
                    return True
                except queue.Full:
                    pass
            return False

        def read():
            done = first * words_per_epoch
            cache = BatchCache() if epochs - first > 1 else None
            try:
                for epoch in range(first, epochs):
                    batches = 0
                    for ids, ends in epoch_batches(epoch, cache):
                        if not put((epoch, ids, ends, eta_at(done), eta_at(done + len(ids)))):
                            return
                        done += len(ids)
                        batches += 1
                    epoch_checked.clear()
                    results.put(("epoch_end", epoch, batches))
                    while not epoch_checked.wait(0.1):
                        if stop.is_set():
                            return
            except BaseException as error:  # reported by the main thread
                results.put(("error", error))
            finally:
                if cache is not None:
                    cache.close()
                for _ in range(self.workers):  # one end-of-work marker per worker
                    while True:
                        try:
                            jobs.put(None, timeout=0.1)
                            break
                        except queue.Full:
                            if not any(t.is_alive() for t in threads[1:]):
                                break  # every worker has died: nobody would take it

        def train(worker):
            try:  # a worker that fails in any way ends the run with its error, never a hang
                state = seed_state(self.seed, stream=worker + 1000 * self.epochs_trained_)
                kept = np.empty(self.max_sentence_length, dtype=np.int32)
                noise = np.empty((self._scratch_rows(), self.negative), dtype=np.int64)
                dv = np.empty(self.dim, dtype=np.float32)
                h = np.empty(self.dim, dtype=np.float32)
                hot = min(len(self.vocab_), HOT_ROWS_BYTES // (8 * self.dim)) if self.workers > 1 else 0
                hot_rows = np.empty((2, hot, self.dim), dtype=np.float32)
                scratch = (kernels.MinibatchScratch(self.dim, self.window, self.negative,
                                                    CBOW_GROUP) if self.minibatch else None)
                while (job := jobs.get()) is not None:
                    epoch, ids, ends, eta_start, eta_end = job
                    if stop.is_set():
                        continue
                    data = (self.W_in_, self.W_out_, ids, ends, keep, accept, alias,
                            self.window, self.shrink_windows)
                    if self.minibatch:
                        kernel = (kernels.train_skipgram_minibatch if self.sg
                                  else kernels.train_cbow_minibatch)
                        loss, pairs = kernel(*data, eta_start, eta_end, state, kept, noise, dv,
                                             scratch, hot_rows, merge_lock)
                    elif self.sg:
                        loss, pairs = kernels.train_skipgram(
                            *data, self.share_noise, eta_start, eta_end, state, kept, noise, dv,
                            hot_rows)
                    else:
                        loss, pairs = kernels.train_cbow(
                            *data, eta_start, eta_end, state, kept, noise, dv, h, hot_rows)
                    results.put(("batch", epoch, len(ids), loss, pairs, eta_end))
            except BaseException as error:
                stop.set()
                results.put(("error", error))
            finally:
                results.put(("done", worker))

        threads = [threading.Thread(target=read, daemon=True)]
        threads += [threading.Thread(target=train, args=(k,), daemon=True) for k in range(self.workers)]
        for thread in threads:
            thread.start()
        history = list(self.loss_history_)
        step = max(total // HISTORY_POINTS, 1)
        done = 0  # words trained in this call
        pairs_done = 0  # training examples in this call
        interval = [0.0, 0]  # loss and pairs since the last history point
        shown = [0.0, 0]  # ... and since the last progress line
        trained = collections.Counter()  # batches trained per epoch
        expected = {}  # batches per epoch, once the reader has made them all
        running = self.workers
        error = None

        def finish_epoch(epoch):
            nonlocal interval
            if epoch == epochs - 1 and interval[1]:  # the last, partial interval
                history.append((self.words_trained_, float(epochs), eta1, interval[0] / interval[1]))
                interval = [0.0, 0]
            self.loss_history_ = np.array(history, dtype=np.float64).reshape(-1, len(HISTORY_COLUMNS))
            self._check_finite(epoch)
            if pairs_done == 0:  # exiting 0 with untouched vectors would hide it
                raise CorpusError(
                    "nothing was learned: no word had a context word (every sentence has a single "
                    "vocabulary word, or subsampling left none: on a tiny corpus, try sample=0)")
            run["completed"] = epoch + 1
            self.epochs_trained_ += 1
            if on_epoch_end is not None:
                on_epoch_end(self)
            epoch_checked.set()

        try:
            while running:
                try:
                    message = results.get(timeout=0.1)
                except queue.Empty:
                    continue
                kind, *fields = message
                if kind == "done":
                    running -= 1
                elif kind == "error":
                    error = error or fields[0]
                    stop.set()
                elif kind == "epoch_end":
                    epoch, expected[epoch] = fields
                    if trained[epoch] == expected[epoch]:
                        finish_epoch(epoch)
                else:
                    epoch, words, loss, pairs, eta = fields
                    if not math.isfinite(loss):
                        self._check_finite(epoch, force=True)
                    done += words
                    self.words_trained_ += words
                    trained[epoch] += 1
                    pairs_done += pairs
                    for acc in (interval, shown):
                        acc[0] += loss
                        acc[1] += pairs
                    position = (first + done / words_per_epoch)  # epochs of the run done
                    if done // step > (done - words) // step:
                        history.append((self.words_trained_, position, eta,
                                        interval[0] / max(interval[1], 1)))
                        interval = [0.0, 0]
                    if progress.update(done, epoch=epoch + 1, epochs=epochs, eta=eta,
                                       loss=shown[0] / max(shown[1], 1),
                                       force=position >= epochs):
                        shown = [0.0, 0]
                    if trained[epoch] == expected.get(epoch):
                        finish_epoch(epoch)
        except BaseException:
            stop.set()
            raise
        finally:
            stop.set()
            for thread in threads:
                thread.join()
            progress.close()
            self.loss_history_ = np.array(history, dtype=np.float64).reshape(-1, len(HISTORY_COLUMNS))
        if error is not None:
            raise error

    def _check_finite(self, epoch, force=False):
        """Refuse to go on (or to be saved) with vectors that have diverged."""
        if force or not (np.isfinite(self.W_in_).all() and np.isfinite(self.W_out_).all()):
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
        modelfile.save(path, meta, self.vocab_.words, {
            "counts": self.vocab_.counts, "W_in": self.W_in_, "W_out": self.W_out_,
            "loss_history": self.loss_history_})
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
        from .ann import load_index_beside
        self.wv.ann_index = load_index_beside(path, self.wv.vectors)
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
        return model



Word2Vec._KINDS[Word2Vec.KIND] = Word2Vec


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
