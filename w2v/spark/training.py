"""Training on Spark: the driver's loop over synchronisation rounds.

The text is read and tokenized once, by the counting pass, and cached on the
executors as numbers (`w2v.spark.encoded`); those become batches of word ids,
cached there too, each batch tagged with the round of the
epoch it trains in (batch k of a partition in round k mod R). Then, for
every round: the driver broadcasts the current vectors, every partition
trains on its batches of the round from them (`w2v.spark.rounds`), the
partitions' changes are merged (by Spark, in a tree when there are many)
and the driver applies them (eq. 27 of docs/derivation.md). The learning
rate follows the run's global word count (eq. 26), so the schedule is the
single-machine one whatever the number of partitions.

What each machine holds is in docs/scaling.md.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import settings as checks
from ..errors import CorpusError, SettingsError, VocabularyError
from ..item2vec import Item2Vec
from ..model import HISTORY_COLUMNS, HISTORY_POINTS, Word2Vec, corpus_fingerprint
from ..pipeline import StopTraining, TrainingState, checked_callbacks
from ..progress import format_count, format_duration
from ..sampling import alias_table
from ..vocab import Vocabulary
from . import rounds
from .data import SparkReadStats, open_input, stats_accumulator
from .encoded import batches_of_chunks, read_chunks
from .session import active_session, spark_errors
from .vocab import vocabulary_of_chunks

__all__ = ["CONTRACTION", "ROUND_WORDS", "train"]

#: Words each partition trains in a round, by default: rounds per epoch are
#: chosen so (at least `MIN_ROUNDS`). Each round costs a broadcast of the
#: vectors and a merge of the rows changed, and what partitions learn in a
#: round they learn apart: on 10M tokens, 3 epochs, 2 partitions, rounds of
#: 1M words ended 2.4-3.3 analogy points below one machine, rounds of 156k
#: words 0.4 (benchmarks/results/spark.md).
ROUND_WORDS = 150_000
MIN_ROUNDS = 4
MAX_ROUNDS = 10_000
#: ``a`` of eq. 27 per unit of learning rate: how far one update moves a row
#: towards where its updates lead (see docs/derivation.md, section 10).
CONTRACTION = 0.04
#: Words a partition needs at least (fewer partitions are used on less text).
PARTITION_WORDS = 100
#: Words per cached batch at most: a round's share of a partition is some
#: batches, so they must be small enough to divide evenly into rounds.
SHARE_BATCH_WORDS = 10_000


@dataclass
class Prepared:
    """The training data as the executors cache it, and how big each part is."""

    shares: object           # RDD of (share, ids, ends), persisted
    words: np.ndarray        # (partitions, rounds) words of each partition in each round
    index: object            # the broadcast vocabulary index
    first_share: np.ndarray  # (partitions, batches) words of each batch of share 0, 0-padded

    def release(self) -> None:
        self.shares.unpersist()
        self.index.destroy()


def train(data, model: Word2Vec | None = None, *, column: str | None = None,
          partitions: int | None = None, rounds_per_epoch: int | None = None,
          epochs: int | None = None, resume: bool = False, spark=None,
          progress=sys.stderr, on_epoch_end=None, callbacks=()) -> Word2Vec:
    """Train ``model`` on Spark; returns it, trained, ready to ``save``.

    Parameters
    ----------
    data : DataFrame, str, path-like, or a list of them
        A DataFrame with a column of text or of token arrays, or text or
        Parquet files Spark reads (see `w2v.spark.data.open_input`).
    model : Word2Vec or Item2Vec, optional
        Its settings are used (``dim``, ``window``, ``negative``, ``epochs``,
        ``seed``...; ``workers`` is not: partitions are the parallelism).
        Untrained, its vocabulary is counted on the cluster first; already
        trained, it goes on training its vectors (as ``Word2Vec.train``).
    column : str, optional
        The column to train on, when ``data`` has several.
    partitions : int, optional
        Partitions training side by side; default: the cluster's default
        parallelism (its cores).
    rounds_per_epoch : int, optional
        Synchronisation rounds per epoch; default: enough that a partition
        trains about `ROUND_WORDS` words per round, and at least `MIN_ROUNDS`.
    epochs : int, optional
        Passes over the data; default ``model.epochs``.
    resume : bool
        Finish ``model``'s interrupted run (from a checkpoint) instead of
        starting a new one.
    spark : SparkSession, optional
        Default: the DataFrame's own, or the session running in this process.
    progress : file or None
        Where a line per round goes (stderr by default); None is silent.
    on_epoch_end : callable, optional
        ``on_epoch_end(model)`` after each epoch (e.g. to save a checkpoint).
    callbacks : callable or list of them
        As for ``Word2Vec.train``, each is called with a ``w2v.TrainingState``
        after every round and every epoch, on the driver; one raising
        ``w2v.StopTraining`` ends the run after its round, and ``resume=True``
        trains the rest (with the same partitions and rounds per epoch, from
        the next round).

    Returns
    -------
    Word2Vec
        ``model``, trained, with ``vocab_``, ``W_in_``, ``W_out_``,
        ``loss_history_`` as after single-machine training.
    """
    model = Word2Vec() if model is None else model
    if not isinstance(model, Word2Vec):
        raise SettingsError(f"model must be a w2v.Word2Vec or Item2Vec, got {type(model).__name__}")
    model._validate(memory=False)
    if model.hs:  # the rounds merge W_in_ and W_out_ only; W_hs_ would be left untrained
        raise SettingsError("hierarchical softmax (hs=True) is not trained on Spark: train "
                            "this model on one machine, or with hs=False")
    if model.minibatch:
        raise SettingsError("minibatch=True is not trained on Spark, whose partitions run the "
                            "per-pair kernels: train this model on one machine, or with "
                            "minibatch=False")
    session = active_session(spark if spark is not None else getattr(data, "sparkSession", None))
    partitions = _partitions(session, partitions)
    source = open_input(session, data, column)
    if isinstance(model, Item2Vec):
        # As on one machine: a text file holds baskets, a column of arrays sessions.
        model.settle_mode(ordered=source.kind != "text")
        if source.kind == "text":
            source.kind = "baskets"  # item ids as written, split by spaces or commas
    stats = SparkReadStats()
    chunks = (_count_vocabulary(model, source, stats) if model.vocab_ is None
              else read_chunks(source, model.lowercase, model.max_sentence_length))
    partitions = _useful_partitions(partitions, model.vocab_.total_count)
    _check_driver_memory(model, partitions)
    rounds_per_epoch = _rounds(rounds_per_epoch, model.vocab_.total_count, partitions)
    started = time.perf_counter()
    try:
        prepared = _prepare(chunks, source.name, model, partitions, rounds_per_epoch)
    finally:
        chunks.unpersist()  # the batches are cached now
    try:
        run = _start_run(model, prepared, data, epochs, resume)
        _train_rounds(model, prepared, run, progress, on_epoch_end, checked_callbacks(callbacks))
    finally:
        prepared.release()
        model.training_seconds_ += time.perf_counter() - started
        model._wv = None  # the cached KeyedVectors would show the old vectors
    if model.vocab_ is not None and stats.rows:
        model.read_stats_ = stats
    return model


def _partitions(session, partitions) -> int:
    if partitions is None:
        return max(int(session.sparkContext.defaultParallelism), 1)
    return checks.whole_number("partitions", partitions, high=1_000_000)


def _useful_partitions(partitions: int, words: int) -> int:
    """At most one partition per `PARTITION_WORDS` words: more would have
    nothing to train, and each still costs a task in every round."""
    useful = max(1, math.ceil(words / PARTITION_WORDS))
    if partitions > useful:
        warnings.warn(f"{partitions:,} partitions for {words:,} words: training on {useful:,} "
                      f"(one per {PARTITION_WORDS:,} words)", stacklevel=3)
        return useful
    return partitions


def _rounds(rounds_per_epoch, words: int, partitions: int) -> int:
    if rounds_per_epoch is not None:
        return checks.whole_number("rounds_per_epoch", rounds_per_epoch, high=MAX_ROUNDS)
    wanted = math.ceil(words / partitions / ROUND_WORDS)
    return min(max(wanted, MIN_ROUNDS), MAX_ROUNDS)


def _count_vocabulary(model: Word2Vec, source, stats: SparkReadStats):
    """The vocabulary, counted on the cluster, and the vectors initialised as
    ``Word2Vec.build_vocab`` does (the same seed gives the same start).
    Returns the chunks read, cached for making the batches."""
    from pyspark import StorageLevel

    read = stats_accumulator(source.frame.sparkSession.sparkContext)
    chunks = read_chunks(source, model.lowercase, model.max_sentence_length, read)
    chunks.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        try:
            vocab = vocabulary_of_chunks(chunks, model.min_count, model.max_vocab_size,
                                         name=source.name)
        finally:
            stats.add(read.value)
        model._check_memory(len(vocab))
    except BaseException as error:
        chunks.unpersist()
        if isinstance(error, (CorpusError, VocabularyError)) and stats.long_tokens_dropped:
            raise type(error)(f"{error} ({stats.long_tokens_dropped:,} over-long tokens were "
                              "left out: is the text split into words?)") from None
        raise
    initialise(model, vocab)
    return chunks


def initialise(model: Word2Vec, vocab: Vocabulary) -> None:
    """Give ``model`` the vocabulary and word2vec's starting vectors: input
    rows uniform in +-0.5/dim from the model's seed, output rows zero."""
    shape = (len(vocab), model.dim)
    rng = np.random.default_rng(model.seed)
    model.W_in_ = rng.random(shape, dtype=np.float32)
    model.W_in_ -= 0.5
    model.W_in_ /= model.dim
    model.W_out_ = np.zeros(shape, dtype=np.float32)
    model.vocab_ = vocab
    model.loss_history_ = np.zeros((0, len(HISTORY_COLUMNS)))
    model.epochs_trained_ = model.words_trained_ = 0
    model._wv = None


def _check_driver_memory(model: Word2Vec, partitions: int) -> None:
    """The driver holds the vectors, a copy being broadcast, and the merged
    changes of a round (at most both matrices again): docs/scaling.md."""
    vectors = 2 * len(model.vocab_) * model.dim * 4
    checks.check_memory(f"the Spark driver, for {len(model.vocab_):,} words x {model.dim:,} dims",
                        3 * vectors, "lower dim, raise min_count or set max_vocab_size")


# --- the data, cached on the executors -----------------------------------------------------


def _prepare(chunks, name: str, model: Word2Vec, partitions: int,
             rounds_per_epoch: int) -> Prepared:
    """Batches of word ids on the executors, ``partitions`` partitions of them,
    each batch tagged with its round; and their sizes."""
    from pyspark import StorageLevel

    index = chunks.context.broadcast(model.vocab_.index)
    per_share = model.vocab_.total_count / (partitions * rounds_per_epoch)
    batch_words = int(min(SHARE_BATCH_WORDS, max(per_share / 4, 100)))
    batches = chunks.mapPartitions(partial(_batches_of_partition, index, batch_words))
    # Dealt out like cards, batch k of every input partition to partition k
    # mod P: each partition gets an equal share, however unevenly Spark split
    # the input (it cuts files by bytes, the first split the largest).
    dealt = batches.partitionBy(partitions, partitionFunc=_dealt_to).values()
    shares = dealt.mapPartitions(partial(_tag_shares, rounds_per_epoch))
    shares.persist(StorageLevel.MEMORY_AND_DISK)
    with spark_errors(f"reading {name} into batches"):
        counted = shares.mapPartitionsWithIndex(partial(
            _words_per_share, rounds_per_epoch, model.sg)).collect()
    words = np.zeros((partitions, rounds_per_epoch), dtype=np.int64)
    first_share = np.zeros((partitions, max(len(batch) for _, _, batch in counted)),
                           dtype=np.int64)
    for partition, counts, batch in counted:
        words[partition] = counts
        first_share[partition, :len(batch)] = batch
    if not words.sum():
        shares.unpersist()
        index.destroy()
        raise CorpusError("no word of the corpus is in the vocabulary: nothing to train on")
    return Prepared(shares, words, index, first_share)


def _batches_of_partition(index, batch_words, chunks):
    """Runs on an executor: a partition's chunks as batches of word ids,
    numbered ``(k, (ids, ends))``."""
    return enumerate(batches_of_chunks(index.value, batch_words, chunks))


def _dealt_to(k: int) -> int:
    return k  # partitionBy takes it modulo the partitions


def _tag_shares(rounds_per_epoch, batches):
    for k, (ids, ends) in enumerate(batches):
        yield k % rounds_per_epoch, ids, ends


def _words_per_share(rounds_per_epoch, sg, partition, items):
    """Runs on an executor: words of each round's share of this partition,
    and of each batch of share 0 (the warm-up rounds cut it finer); also
    loads the compiled kernel, so that the first round is not slower."""
    words, first = [0] * rounds_per_epoch, []
    for share, ids, _ in items:
        words[share] += len(ids)
        if share == 0:
            first.append(len(ids))
    _warm_up(sg)
    return [(partition, words, first)]


def _warm_up(sg: bool) -> None:
    from .. import kernels
    from ..sampling import seed_state

    W = np.zeros((2, 2), dtype=np.float32)
    ids, ends = np.array([0, 1], dtype=np.int32), np.array([2], dtype=np.int64)
    keep, accept, alias = np.ones(2, np.float32), np.ones(2), np.arange(2, dtype=np.int32)
    scratch = (seed_state(0), np.empty(2, np.int32), np.empty((2, 1), np.int64),
               np.empty(2, np.float32))
    hot = np.empty((2, 0, 2), dtype=np.float32)
    if sg:
        kernels.train_skipgram(W, W.copy(), ids, ends, keep, accept, alias, 1, True, False,
                               0.0, 0.0, *scratch, hot)
    else:
        kernels.train_cbow(W, W.copy(), ids, ends, keep, accept, alias, 1, True, 0.0, 0.0,
                           *scratch, np.empty(2, np.float32), hot)


# --- the rounds -----------------------------------------------------------------------------


def _start_run(model: Word2Vec, prepared: Prepared, data, epochs, resume: bool) -> dict:
    """The run to train (``model.run_``): a new one, or the rest of an interrupted one."""
    words_per_epoch = int(prepared.words.sum())
    fingerprint = corpus_fingerprint(data) if isinstance(data, (str, os.PathLike)) else None
    if resume:
        if not model.unfinished:
            raise SettingsError("this model has no unfinished training run to resume; "
                                "train it further with epochs=N")
        model.run_.update(words_per_epoch=words_per_epoch, corpus=fingerprint)
    else:
        epochs = checks.whole_number("epochs", model.epochs if epochs is None else epochs)
        model.run_ = {"epochs": epochs, "completed": 0, "words_per_epoch": words_per_epoch,
                      "corpus": fingerprint}
    return model.run_


def _train_rounds(model: Word2Vec, prepared: Prepared, run: dict, progress, on_epoch_end,
                  callbacks) -> None:
    keep = model.vocab_.keep_probabilities(model.sample)
    noise = model.vocab_.noise_distribution(model.ns_exponent)
    accept, alias = alias_table(noise)
    tables = prepared.shares.context.broadcast((keep, accept, alias, noise))
    loop = _RoundLoop(model, prepared, run, tables, callbacks)
    first, epochs = run["completed"], run["epochs"]
    planned = sum(len(loop.rounds_of(epoch)) for epoch in range(first, epochs)) - loop.skip
    loop.report = RoundProgress(progress, total_rounds=planned, epochs=epochs,
                                words=loop.total - loop.start)
    try:
        for epoch in range(first, epochs):
            if not loop.train_epoch(epoch):
                return  # a callback stopped the run: resumable (run_["partial_epoch"])
            _finish_epoch(model, epoch, loop.pairs, loop.history, on_epoch_end,
                          checked=loop.skipped == 0)
            if not loop.tell(epoch, loop.epoch_loss, epoch_end=True):
                return
    finally:
        tables.destroy()
        model.loss_history_ = np.array(loop.history, dtype=np.float64).reshape(
            -1, len(HISTORY_COLUMNS))


class _RoundLoop:
    """The rounds of a run, one at a time: the words and learning rate where
    the run stands, the loss history, and the callbacks' say after each round.

    A callback raising ``StopTraining`` ends the run after its round; the
    rounds trained of the epoch are recorded in ``run_["partial_epoch"]``
    with the layout (partitions, rounds per epoch) they belong to, and a
    resumed run with the same layout starts at the next round, so that no
    word is trained twice. With another layout the epoch is trained whole.
    """

    def __init__(self, model: Word2Vec, prepared: Prepared, run: dict, tables, callbacks):
        self.model, self.prepared, self.run, self.tables = model, prepared, run, tables
        self.callbacks = list(callbacks)
        self.settings = rounds.Settings(model.sg, model.window, model.shrink_windows,
                                        model.negative, model.share_noise,
                                        model.max_sentence_length, model.seed)
        self.per_epoch = run["words_per_epoch"]
        self.total = self.per_epoch * run["epochs"]
        self.layout = list(prepared.words.shape)
        self.skip = self._rounds_done(run)  # rounds of the first epoch trained before
        self.fresh = model.epochs_trained_ == 0 and run["completed"] == 0
        first_rounds = self.rounds_of(run["completed"])[:self.skip]
        self.start = run["completed"] * self.per_epoch + sum(r[2] for r in first_rounds)
        self.history = list(model.loss_history_)
        self.history_step = max(self.total // HISTORY_POINTS, 1)
        self.report = None
        self.skipped = 0  # rounds skipped in the epoch being trained
        self.pairs = 0  # examples trained in it
        self.epoch_loss = math.nan

    def _rounds_done(self, run: dict) -> int:
        partial = run.get("partial_epoch")
        if not partial or partial["epoch"] != run["completed"] or "rounds" not in partial:
            return 0
        if partial.get("layout") != self.layout:
            warnings.warn(f"the stopped epoch was trained in rounds of another layout "
                          f"(partitions, rounds per epoch: {partial.get('layout')}, now "
                          f"{self.layout}): it is trained again from its start", stacklevel=4)
            return 0
        return partial["rounds"]

    def rounds_of(self, epoch: int) -> list:
        return list(_rounds_of_epoch(self.prepared, self.fresh and epoch == 0))

    def train_epoch(self, epoch: int) -> bool:
        """Train ``epoch``'s rounds (those not trained before); False if a
        callback stopped the run."""
        self.skipped = self.skip if epoch == self.run["completed"] else 0
        plan = self.rounds_of(epoch)
        done = epoch * self.per_epoch + sum(words for _, _, words in plan[:self.skipped])
        loss = pairs = 0
        for k in range(self.skipped, len(plan)):
            share, batches, words = plan[k]
            if words:
                update = self._train_round(epoch, share, batches, words, done)
                done += update.words
                loss, pairs = loss + update.loss, pairs + update.pairs
                self._book(epoch, share, update, done)
            self.epoch_loss = loss / pairs if pairs else math.nan
            if not self.tell(epoch, update.loss / max(update.pairs, 1) if words else math.nan,
                             epoch_end=False, done=done):
                self.run["partial_epoch"] = {"epoch": epoch, "words": done - epoch * self.per_epoch,
                                             "rounds": k + 1, "layout": self.layout}
                return False
        self.run.pop("partial_epoch", None)
        self.pairs = pairs
        return True

    def _train_round(self, epoch, share, batches, words, done) -> rounds.Update:
        model = self.model
        eta_mid = _eta(model, done + words / 2, self.total)
        serial = ((model.epochs_trained_ + epoch - self.run["completed"])
                  * self.prepared.words.shape[1] + share) * 64 + batches[0].bit_length()
        plan = rounds.RoundPlan(share, serial, done, int(words), self.total, model.start_alpha,
                                model.end_alpha, CONTRACTION * eta_mid, batches)
        return _train_round(model, self.prepared, self.settings, plan, self.tables)

    def _book(self, epoch: int, share: int, update: rounds.Update, done: int) -> None:
        model = self.model
        model.words_trained_ += update.words
        loss = update.loss / max(update.pairs, 1)
        if not math.isfinite(loss):
            model._check_finite(epoch, force=True)
        if (model.words_trained_ // self.history_step
                > (model.words_trained_ - update.words) // self.history_step
                or share == self.prepared.words.shape[1] - 1):
            self.history.append((model.words_trained_, done / self.per_epoch,
                                 _eta(model, done, self.total), loss))
        self.report.round_done(epoch + 1, update.words, _eta(model, done, self.total), loss,
                               update.rows)

    def tell(self, epoch: int, loss: float, *, epoch_end: bool, done: int | None = None) -> bool:
        """Give the callbacks where the run stands; False if one stopped it."""
        if not self.callbacks:
            return True
        done = (epoch + 1) * self.per_epoch if done is None else done
        state = TrainingState(epoch=epoch + 1, epochs=self.run["epochs"], words=done,
                              total_words=self.total, learning_rate=_eta(self.model, done, self.total),
                              loss=loss, epoch_end=epoch_end)
        try:
            for callback in self.callbacks:
                callback(state)
        except StopTraining:
            self.model.loss_history_ = np.array(self.history, dtype=np.float64).reshape(
                -1, len(HISTORY_COLUMNS))
            return False
        return True


def _rounds_of_epoch(prepared: Prepared, warm_up: bool):
    """(share, batch slice, words of all partitions) of each round of an epoch.

    In the first epoch of a new run the first share is cut into rounds of 1,
    2, 4, ... batches: partitions that start from the same random vectors
    drift apart fastest at the start, when every step moves the vectors most,
    and vectors averaged from partitions that drifted apart lose what each
    learned (docs/derivation.md, section 10.4). A few short rounds keep them
    together until the vectors have taken shape.
    """
    shares = prepared.words.sum(axis=0)
    start = 0
    if warm_up:
        per_batch = prepared.first_share.sum(axis=0)
        size = 1
        while start + size < len(per_batch):
            yield 0, (start, start + size), int(per_batch[start:start + size].sum())
            start, size = start + size, 2 * size
        yield 0, (start, None), int(per_batch[start:].sum())
    else:
        yield 0, (0, None), int(shares[0])
    for share in range(1, len(shares)):
        yield share, (0, None), int(shares[share])


def _eta(model: Word2Vec, done: float, total: int) -> float:
    """eq. 22: linear from alpha to min_alpha over the run's words."""
    return model.start_alpha - (model.start_alpha - model.end_alpha) * min(done / total, 1.0)


def _train_round(model: Word2Vec, prepared: Prepared, settings, plan, tables) -> rounds.Update:
    """One round: broadcast the vectors, train every partition, merge, apply."""
    context = prepared.shares.context
    vectors = context.broadcast((rounds.for_transport(model.W_in_),
                                 rounds.for_transport(model.W_out_)))
    try:
        job = prepared.shares.mapPartitionsWithIndex(
            partial(rounds.train_share, settings, plan, vectors, tables))
        with spark_errors("training a round"):
            update = job.treeReduce(rounds.merge, depth=2)
    finally:
        vectors.destroy()
    update.apply(model.W_in_, model.W_out_, plan.contraction)
    return update


def _finish_epoch(model: Word2Vec, epoch: int, pairs: int, history: list, on_epoch_end,
                  checked: bool = True) -> None:
    """Book a complete epoch. ``checked``: whether it was trained whole in this call,
    so that no example in it means nothing was learned (resumed, its first
    rounds were trained before)."""
    model.loss_history_ = np.array(history, dtype=np.float64).reshape(-1, len(HISTORY_COLUMNS))
    model._check_finite(epoch)
    if checked and pairs == 0:
        raise CorpusError(
            "nothing was learned: no word had a context word (every sentence has a single "
            "vocabulary word, or subsampling left none: on a tiny corpus, try sample=0)")
    model.run_["completed"] = epoch + 1
    model.epochs_trained_ += 1
    model._wv = None
    if on_epoch_end is not None:
        on_epoch_end(model)


class RoundProgress:
    """A line per round: round and epoch, percent done, words/s, ETA, the
    learning rate, the mean loss of the round, and rows merged."""

    def __init__(self, stream, *, total_rounds: int, epochs: int, words: int):
        self.stream = stream
        self.total_rounds = total_rounds
        self.epochs = epochs
        self.words = max(words, 1)
        self.rounds = 0
        self.done = 0
        self.start = time.perf_counter()

    def round_done(self, epoch: int, words: int, eta: float, loss: float, rows: int) -> None:
        self.rounds += 1
        self.done += words
        if self.stream is None:
            return
        elapsed = time.perf_counter() - self.start
        speed = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.words - self.done) / speed if speed > 0 else 0.0
        self.stream.write(
            f"round {self.rounds}/{self.total_rounds} (epoch {epoch}/{self.epochs})  "
            f"{100 * self.done / self.words:5.1f}%  {format_count(speed)} words/s  "
            f"ETA {format_duration(left)}  lr {eta:.5f}  loss {loss:.4f}  "
            f"{format_count(rows)} rows merged\n")
        self.stream.flush()
