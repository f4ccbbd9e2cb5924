"""The threaded training pipeline: batches of word ids in, trained vectors and
the books of the run out.

One reader thread turns sentences into batches and queues each with its
learning rate; ``workers`` threads run the compiled kernels on them (the
kernels release the GIL, so the threads train in parallel); the calling
thread keeps the books (words, loss history, the progress line) from the
workers' reports, and calls the training callbacks. After the last batch of
an epoch the reader waits at a barrier until every batch of the epoch is
trained and booked, so that the vectors are consistent while the epoch is
checked and checkpointed.

Whatever ends a run (its last epoch, Ctrl-C, an error in any thread, a
callback raising ``StopTraining``) ends it for every thread, and all are
joined before ``run`` returns or raises: nothing touches the vectors
afterwards, and a thread that fails never leaves the others waiting on a queue.

This module does not know the model: model.py hands it the vectors, tables
and settings (``Setup``), where the run stands (``Schedule``), the books to
keep (``Ledger``) and what to do when an epoch is complete.
"""

from __future__ import annotations

import collections
import math
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from . import kernels, kernels_hs, spinlock
from .batches import Batch, BatchCache
from .errors import CorpusError
from .sampling import seed_state

# Columns of the loss history (``Word2Vec.loss_history_``): words trained over
# the model's life, epochs of the run done, learning rate, mean loss per example.
HISTORY_COLUMNS = ("words", "epoch", "learning_rate", "loss")

# What the reader and the workers report to the books, on the results queue.
BATCH, EPOCH_END, ERROR, DONE = "batch", "epoch_end", "error", "done"


class StopTraining(Exception):
    """Raised by a training callback to end training cleanly: no batch is
    queued after it, the batches already queued are trained, and ``train``
    returns normally with ``model.unfinished`` true (unless it was the last
    epoch's end), so that ``resume`` trains the rest."""


@dataclass(frozen=True)
class TrainingState:
    """Where training stands, as a callback is told after each batch and
    after each epoch (``epoch_end``).

    ``words`` of the run's ``total_words`` are trained (a resumed run counts
    from where the run started); ``loss`` is the mean loss per example of the
    batch, or of the epoch for an epoch's end (NaN if it had no example).
    """

    epoch: int  # 1 for the run's first
    epochs: int
    words: int
    total_words: int
    learning_rate: float
    loss: float
    epoch_end: bool


def checked_callbacks(callbacks) -> list:
    """``callbacks`` as a list: one function, or an iterable of them."""
    callbacks = [callbacks] if callable(callbacks) else list(callbacks)
    for callback in callbacks:
        if not callable(callback):
            raise TypeError(f"callbacks must be functions of a w2v.TrainingState, got {callback!r}")
    return callbacks


@dataclass(frozen=True)
class Schedule:
    """Where a run stands, and its learning rate: linear from ``eta0`` to
    ``eta1`` over all the run's words (docs/derivation.md, eq. 22), so that a
    resumed run goes on from where it stopped."""

    first: int  # epochs of the run done before this call
    epochs: int  # epochs of the whole run
    words_per_epoch: int  # the words of an epoch that are in the vocabulary
    eta0: float
    eta1: float
    skip: int = 0  # words of epoch ``first`` trained before this call (a run stopped mid-epoch)

    @property
    def total(self) -> int:
        return self.words_per_epoch * self.epochs

    @property
    def start(self) -> int:
        """Words of the run trained before this call."""
        return self.first * self.words_per_epoch + self.skip

    def eta_at(self, done: int) -> float:
        """The learning rate after ``done`` words of the run."""
        return self.eta0 - (self.eta0 - self.eta1) * min(done / self.total, 1.0)


@dataclass(frozen=True)
class Setup:
    """What every worker trains with; the vectors are shared and updated in place."""

    W_in: np.ndarray  # (V, d) float32
    W_out: np.ndarray  # (V, d) float32
    keep: np.ndarray  # (V,) subsampling keep-probabilities
    accept: np.ndarray  # the alias table of the noise distribution (sampling.py)
    alias: np.ndarray
    sg: bool
    minibatch: bool
    share_noise: bool
    window: int
    shrink_windows: bool
    negative: int
    max_sentence_length: int
    noise_rows: int  # rows of a worker's noise buffer: the most context words a centre word has
    hot_rows: int  # frequent output rows each worker keeps a private copy of (0: none)
    cbow_group: int  # centre words per step of the minibatched CBOW kernel
    seed: int
    stream: int  # worker k draws from random stream ``stream + k``
    # Hierarchical softmax (docs/derivation.md, section 11): the inner-node
    # vectors (V - 1, d) and the Huffman tree (huffman.HuffmanTree), None
    # without it; and how many of W_hs's first rows (the nodes nearest the
    # root) each worker keeps private copies of, as of W_out's.
    W_hs: np.ndarray | None = None
    tree: object = None
    hs_hot_rows: int = 0


class Worker:
    """One training thread's buffers, and the kernel it runs on a batch."""

    def __init__(self, setup: Setup, index: int, merge_lock: np.ndarray):
        dim = setup.W_in.shape[1]
        self.setup = setup
        self.merge_lock = merge_lock  # one for all workers: their hot-row merges (eq. 25)
        self.state = seed_state(setup.seed, stream=setup.stream + index)
        self.kept = np.empty(setup.max_sentence_length, dtype=np.int32)
        self.noise = np.empty((setup.noise_rows, setup.negative), dtype=np.int64)
        self.dv = np.empty(dim, dtype=np.float32)
        self.h = np.empty(dim, dtype=np.float32)
        self.hot = np.empty((2, setup.hot_rows, dim), dtype=np.float32)
        self.hs_hot = np.empty((2, setup.hs_hot_rows, dim), dtype=np.float32)
        self.scratch = (kernels.MinibatchScratch(dim, setup.window, setup.negative, setup.cbow_group)
                        if setup.minibatch else None)

    def train(self, ids, ends, eta_start: float, eta_end: float) -> tuple[float, int]:
        """Train on one batch; return its summed loss and its number of examples."""
        s = self.setup
        data = (s.W_in, s.W_out, ids, ends, s.keep, s.accept, s.alias, s.window, s.shrink_windows)
        # The kernels are looked up at each call, not imported: tests replace them.
        if s.W_hs is not None:  # with negative 0, self.noise has no columns: no draws
            if s.sg:
                return kernels_hs.train_skipgram_hs(
                    s.W_in, s.W_out, s.W_hs, s.tree, *data[2:], s.share_noise, eta_start,
                    eta_end, self.state, self.kept, self.noise, self.dv, self.hot, self.hs_hot,
                    self.merge_lock)
            return kernels_hs.train_cbow_hs(
                s.W_in, s.W_out, s.W_hs, s.tree, *data[2:], eta_start, eta_end, self.state,
                self.kept, self.noise, self.dv, self.h, self.hot, self.hs_hot, self.merge_lock)
        if s.minibatch:
            kernel = kernels.train_skipgram_minibatch if s.sg else kernels.train_cbow_minibatch
            return kernel(*data, eta_start, eta_end, self.state, self.kept, self.noise, self.dv,
                          self.scratch, self.hot, self.merge_lock)
        if s.sg:
            return kernels.train_skipgram(*data, s.share_noise, eta_start, eta_end, self.state,
                                          self.kept, self.noise, self.dv, self.hot,
                                          self.merge_lock)
        return kernels.train_cbow(*data, eta_start, eta_end, self.state, self.kept, self.noise,
                                  self.dv, self.h, self.hot, self.merge_lock)


class EpochBarrier:
    """Where the reader waits after an epoch's last batch until the books have
    checked the epoch (and maybe saved a checkpoint): the next epoch's batches
    must not change the vectors meanwhile."""

    def __init__(self):
        self._checked = threading.Event()

    def wait(self, ending: Callable[[], bool]) -> bool:
        """Wait for ``release``: True when it came, False if the run ended first."""
        while not self._checked.wait(0.1):
            if ending():
                return False
        self._checked.clear()  # for the next epoch, which the books release only after this one
        return True

    def release(self) -> None:
        self._checked.set()


class Channels:
    """What the threads share: the queues between them, the flag that ends the
    run, and the epoch barrier."""

    def __init__(self, workers: int):
        self.workers = workers
        self.jobs: queue.Queue = queue.Queue(maxsize=2 * workers)  # the reader stays a little ahead
        self.results: queue.Queue = queue.Queue()  # unbounded: a worker never waits on the books
        self.stop = threading.Event()  # set by any thread: the run ends, queued batches are dropped
        # Set by the books for StopTraining: nothing more is queued, but what is
        # queued is trained, so the batches trained are the epoch's first ones.
        self.wind_down = threading.Event()
        self.barrier = EpochBarrier()

    def ending(self) -> bool:
        return self.stop.is_set() or self.wind_down.is_set()

    def put(self, job) -> bool:
        """Queue a job, waiting for room; False if the run is ending."""
        while not self.ending():
            try:
                self.jobs.put(job, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def end_work(self, workers_alive: Callable[[], bool]) -> None:
        """One end-of-work marker per worker, given as the queue has room;
        none once every worker has died (nobody would take it)."""
        for _ in range(self.workers):
            while True:
                try:
                    self.jobs.put(None, timeout=0.1)
                    break
                except queue.Full:
                    if not workers_alive():
                        return


def epoch_batches(batches: Callable[[], Iterator[Batch]], epoch: int, first: int,
                  cache: BatchCache | None) -> Iterator[Batch]:
    """The batches of ``epoch``: made from the corpus and cached in the run's
    first epoch, replayed from the cache after it (read again if the cache
    could not be written, e.g. on a full disk)."""
    if cache is None:
        return batches()
    if epoch == first:
        return cache.record(batches())
    return cache.replay() if cache.complete else batches()


def skip_words(batches: Iterator[Batch], words: int) -> Iterator[Batch]:
    """The batches after the first ``words`` words: those a stopped run had
    trained. The skipped ones are still drawn, so that the cache records them."""
    for batch in batches:
        if words > 0:
            words -= len(batch[0])
        else:
            yield batch


def read(batches: Callable[[], Iterator[Batch]], schedule: Schedule, channels: Channels,
         workers_alive: Callable[[], bool]) -> None:
    """The reader thread: queue the remaining epochs' batches, each with the
    learning rates at its start and end; after each epoch, tell the books
    how many batches it had and wait at the barrier."""
    done = schedule.start
    # Epochs after the first replay its batches: a single epoch needs no cache.
    cache = BatchCache() if schedule.epochs - schedule.first > 1 else None
    try:
        for epoch in range(schedule.first, schedule.epochs):
            queued = 0
            todo = epoch_batches(batches, epoch, schedule.first, cache)
            if epoch == schedule.first:
                todo = skip_words(todo, schedule.skip)
            for ids, ends in todo:
                if not channels.put((epoch, ids, ends, schedule.eta_at(done),
                                     schedule.eta_at(done + len(ids)))):
                    return
                done += len(ids)
                queued += 1
            channels.results.put((EPOCH_END, epoch, queued))
            if not channels.barrier.wait(channels.ending):
                return
    except BaseException as error:  # raised by the calling thread
        channels.results.put((ERROR, error))
    finally:
        if cache is not None:
            cache.close()
        channels.end_work(workers_alive)


def work(index: int, setup: Setup, merge_lock: np.ndarray, channels: Channels) -> None:
    """A worker thread: train the queued batches until the end-of-work marker."""
    try:  # a worker that fails in any way ends the run with its error, never a hang
        worker = Worker(setup, index, merge_lock)
        while (job := channels.jobs.get()) is not None:
            epoch, ids, ends, eta_start, eta_end = job
            if channels.stop.is_set():
                # Dropped, but taken: the reader's end markers need the room. A
                # wind-down trains them, so that an epoch's first batches are trained.
                continue
            loss, pairs = worker.train(ids, ends, eta_start, eta_end)
            channels.results.put((BATCH, epoch, len(ids), loss, pairs, eta_end))
    except BaseException as error:
        channels.stop.set()
        channels.results.put((ERROR, error))
    finally:
        channels.results.put((DONE, index))


class Ledger:
    """The books of a run, kept by the calling thread from the workers' reports:
    words and examples trained, the loss history, the progress line, and which
    epochs are complete.

    ``words_trained`` counts over the model's life (the history's first
    column), starting from the model's count; ``history`` is the model's
    history so far, which the run extends by about ``points`` rows.
    """

    def __init__(self, schedule: Schedule, words_trained: int, history, progress, points: int):
        self.schedule = schedule
        self.words_trained = words_trained
        self.done = 0  # words trained in this call
        self.pairs = 0  # examples trained in this call
        self.history = list(history)
        self.progress = progress
        self._step = max(schedule.total // points, 1)  # words between history rows
        self._interval = [0.0, 0]  # loss and examples since the last history row
        self._shown = [0.0, 0]  # ... and since the last progress line
        self._trained: collections.Counter = collections.Counter()  # batches trained per epoch
        self._expected: dict[int, int] = {}  # batches per epoch, once the reader has queued all
        self._words = collections.Counter({schedule.first: schedule.skip})  # words per epoch
        self._epoch_loss = collections.defaultdict(lambda: [0.0, 0])  # loss, examples per epoch
        self._last = (schedule.eta_at(schedule.start), 0.0, 0)  # the last batch's rate, loss, examples

    def book(self, epoch: int, words: int, loss: float, pairs: int, eta: float) -> None:
        """A trained batch: ``words`` words, ``pairs`` examples, summed ``loss``,
        trained down to learning rate ``eta``."""
        self.done += words
        self.words_trained += words
        self._trained[epoch] += 1
        self._words[epoch] += words
        self.pairs += pairs
        self._last = (eta, loss, pairs)
        for totals in (self._interval, self._shown, self._epoch_loss[epoch]):
            totals[0] += loss
            totals[1] += pairs
        position = self._position()
        if self.done // self._step > (self.done - words) // self._step:
            self._add_row(position, eta)
        if self.progress.update(self.done, epoch=epoch + 1, epochs=self.schedule.epochs, eta=eta,
                                loss=self._shown[0] / max(self._shown[1], 1),
                                force=position >= self.schedule.epochs):
            self._shown = [0.0, 0]

    def queued(self, epoch: int, batches: int) -> None:
        """The reader has queued all ``batches`` batches of ``epoch``."""
        self._expected[epoch] = batches

    def complete(self, epoch: int) -> bool:
        """Whether every batch of ``epoch`` is queued, trained and booked."""
        return self._trained[epoch] == self._expected.get(epoch)

    def close_epoch(self, epoch: int) -> None:
        """Book the end of a complete epoch: the run's last one adds its last,
        partial interval to the history. A run that trained no example is an
        error: exiting 0 with untouched vectors would hide it."""
        if epoch == self.schedule.epochs - 1 and self._interval[1]:
            self._add_row(float(self.schedule.epochs), self.schedule.eta1)
        if self.pairs == 0:
            raise CorpusError(
                "nothing was learned: no word had a context word (every sentence has a single "
                "vocabulary word, or subsampling left none: on a tiny corpus, try sample=0)")

    def close_run(self) -> None:
        """Book the end of a run that ends normally: one stopped early adds
        its last, partial interval to the history (the last epoch did already)."""
        if self._interval[1]:
            self._add_row(self._position(), self._last[0])

    def words_in(self, epoch: int) -> int:
        """Words of ``epoch`` trained so far, in this call and before it."""
        return self._words[epoch]

    def batch_state(self, epoch: int) -> TrainingState:
        """Where training stands after the batch just booked."""
        eta, loss, pairs = self._last
        return self._state(epoch, eta, loss, pairs, epoch_end=False)

    def epoch_state(self, epoch: int) -> TrainingState:
        """Where training stands after the complete epoch ``epoch``."""
        eta = self.schedule.eta_at((epoch + 1) * self.schedule.words_per_epoch)
        return self._state(epoch, eta, *self._epoch_loss[epoch], epoch_end=True)

    def history_array(self) -> np.ndarray:
        return np.array(self.history, dtype=np.float64).reshape(-1, len(HISTORY_COLUMNS))

    def _state(self, epoch, eta, loss, pairs, epoch_end) -> TrainingState:
        return TrainingState(epoch=epoch + 1, epochs=self.schedule.epochs,
                             words=self.schedule.start + self.done,
                             total_words=self.schedule.total, learning_rate=eta,
                             loss=loss / pairs if pairs else math.nan, epoch_end=epoch_end)

    def _position(self) -> float:
        """Epochs of the run done, with the fraction of the current one."""
        return self.schedule.first + (self.schedule.skip + self.done) / self.schedule.words_per_epoch

    def _add_row(self, position: float, eta: float) -> None:
        loss, pairs = self._interval
        self.history.append((self.words_trained, position, eta, loss / max(pairs, 1)))
        self._interval = [0.0, 0]


def run(setup: Setup, batches: Callable[[], Iterator[Batch]], ledger: Ledger, *, workers: int,
        epoch_done: Callable[[int], None], diverged: Callable[[int], None],
        callbacks: Sequence[Callable[[TrainingState], object]] = ()) -> None:
    """Train the remaining epochs of ``ledger.schedule`` on ``batches()`` (a
    fresh iterator of the corpus's batches each time it is called).

    ``epoch_done(epoch)`` is called when an epoch is complete, while no
    thread touches the vectors; ``diverged(epoch)`` when a batch's loss is
    not finite, to raise the model's error. Each of ``callbacks`` is called
    with a ``TrainingState`` after each batch and after ``epoch_done``; one
    that raises ``StopTraining`` ends the run cleanly, and no callback is
    called after it. Anything else raised there, and the first error of any
    thread, ends the run and is raised here.
    """
    channels = Channels(workers)
    merge_lock = spinlock.new_lock()
    trainers = [threading.Thread(target=work, args=(k, setup, merge_lock, channels), daemon=True)
                for k in range(workers)]
    reader = threading.Thread(target=read, daemon=True, args=(
        batches, ledger.schedule, channels, lambda: any(t.is_alive() for t in trainers)))
    threads = [reader, *trainers]
    for thread in threads:
        thread.start()
    books = Books(channels, ledger, epoch_done, diverged, callbacks)
    try:
        error = books.keep()
    except BaseException:  # Ctrl-C, or an error of the books: stop every thread at once
        channels.stop.set()
        raise
    finally:
        channels.stop.set()
        for thread in threads:
            thread.join()
        ledger.progress.close()
    if error is not None:
        raise error
    ledger.close_run()


class Books:
    """The calling thread's part: book the threads' reports, end the epochs,
    call the callbacks."""

    def __init__(self, channels: Channels, ledger: Ledger, epoch_done, diverged, callbacks):
        self.channels, self.ledger = channels, ledger
        self.epoch_done, self.diverged = epoch_done, diverged
        self.callbacks = list(callbacks)

    def keep(self) -> BaseException | None:
        """Book reports until every worker is done; return the first error a
        thread reported (the others stop when it is reported)."""
        error = None
        running = self.channels.workers
        while running:
            try:  # a timeout, so that Ctrl-C reaches this thread promptly
                kind, *fields = self.channels.results.get(timeout=0.1)
            except queue.Empty:
                continue
            if kind == DONE:
                running -= 1
            elif kind == ERROR:
                error = error or fields[0]
                self.channels.stop.set()
            elif kind == EPOCH_END:
                self.ledger.queued(*fields)
                self._end_epoch_if_complete(fields[0])
            else:
                self._book(*fields)
        return error

    def _book(self, epoch, words, loss, pairs, eta) -> None:
        if not math.isfinite(loss):
            self.diverged(epoch)
        self.ledger.book(epoch, words, loss, pairs, eta)
        if self.callbacks:
            self._tell(self.ledger.batch_state(epoch))
        self._end_epoch_if_complete(epoch)

    def _end_epoch_if_complete(self, epoch: int) -> None:
        if self.ledger.complete(epoch):
            self.ledger.close_epoch(epoch)
            self.epoch_done(epoch)
            if self.callbacks:
                self._tell(self.ledger.epoch_state(epoch))
            self.channels.barrier.release()

    def _tell(self, state: TrainingState) -> None:
        if self.channels.wind_down.is_set():
            return
        try:
            for callback in self.callbacks:
                callback(state)
        except StopTraining:
            self.channels.wind_down.set()
