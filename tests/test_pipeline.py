"""The training pipeline on its own (w2v/pipeline.py): threads, barrier, books."""

import ast
import threading
from pathlib import Path

import numpy as np
import pytest

from w2v import pipeline
from w2v.progress import Progress
from w2v.sampling import alias_table

V, DIM, WORDS_PER_BATCH, BATCHES = 40, 8, 300, 5


def make_setup(workers=1, seed=1):
    rng = np.random.default_rng(seed)
    accept, alias = alias_table(np.full(V, 1 / V))
    return pipeline.Setup(
        W_in=((rng.random((V, DIM), dtype=np.float32) - 0.5) / DIM), W_out=np.zeros((V, DIM), np.float32),
        keep=np.ones(V, np.float32), accept=accept, alias=alias, sg=True, minibatch=False, share_noise=False,
        window=3, shrink_windows=True, negative=3, max_sentence_length=100, noise_rows=6,
        hot_rows=4 if workers > 1 else 0, cbow_group=1, seed=seed, stream=0)


def corpus_batches():
    """Five batches of 300 ids in sentences of 30: the same every epoch."""
    rng = np.random.default_rng(0)
    batches = [(rng.integers(0, V, WORDS_PER_BATCH).astype(np.int32),
                np.arange(30, WORDS_PER_BATCH + 1, 30, dtype=np.int64)) for _ in range(BATCHES)]
    return lambda: iter(batches)


def make_ledger(first=0, epochs=3, words=0, history=()):
    schedule = pipeline.Schedule(first, epochs, WORDS_PER_BATCH * BATCHES, 0.025, 0.0001)
    return pipeline.Ledger(schedule, words, history, Progress(1, stream=None), points=20)


def test_the_schedule_decays_linearly_over_the_whole_run():
    schedule = pipeline.Schedule(first=1, epochs=4, words_per_epoch=100, eta0=0.04, eta1=0.0)
    assert schedule.total == 400 and schedule.start == 100
    assert schedule.eta_at(0) == 0.04 and schedule.eta_at(200) == pytest.approx(0.02)
    assert schedule.eta_at(400) == 0.0 == schedule.eta_at(500)  # never below the end value


def test_epochs_end_in_order_with_every_batch_booked_and_the_vectors_still():
    ledger = make_ledger(epochs=3)
    setup = make_setup(workers=2)
    seen = []

    def epoch_done(epoch):
        snapshot = setup.W_in.copy()
        threading.Event().wait(0.05)  # a worker still training would change the vectors now
        seen.append((epoch, ledger.done, np.array_equal(snapshot, setup.W_in)))

    pipeline.run(setup, corpus_batches(), ledger, workers=2, epoch_done=epoch_done,
                 diverged=pytest.fail)
    per_epoch = WORDS_PER_BATCH * BATCHES
    assert seen == [(0, per_epoch, True), (1, 2 * per_epoch, True), (2, 3 * per_epoch, True)]
    history = ledger.history_array()
    assert history.shape[1] == len(pipeline.HISTORY_COLUMNS)
    assert history[-1, 0] == ledger.words_trained == 3 * per_epoch
    # The rate decays to its end. Two workers book batches out of order (a slow
    # worker may book an earlier batch last), so the end rate is the lowest row's.
    assert history[-1, 1] == 3.0 and history[:, 2].min() == pytest.approx(0.0001)


def test_a_resumed_run_starts_at_its_epoch_and_extends_the_history():
    before = [(123.0, 0.5, 0.02, 3.0)]
    ledger = make_ledger(first=2, epochs=3, words=123, history=before)
    epochs = []
    pipeline.run(make_setup(), corpus_batches(), ledger, workers=1, epoch_done=epochs.append,
                 diverged=pytest.fail)
    assert epochs == [2]
    history = ledger.history_array()
    assert tuple(history[0]) == before[0] and history[1, 1] > 2
    assert ledger.words_trained == 123 + WORDS_PER_BATCH * BATCHES


def test_one_worker_gives_the_same_vectors_twice():
    runs = []
    for _ in range(2):
        setup = make_setup()
        pipeline.run(setup, corpus_batches(), make_ledger(), workers=1, epoch_done=lambda e: None,
                     diverged=pytest.fail)
        runs.append(setup)
    assert np.array_equal(runs[0].W_in, runs[1].W_in)
    assert np.array_equal(runs[0].W_out, runs[1].W_out)
    assert not np.array_equal(runs[0].W_out, np.zeros_like(runs[0].W_out))


@pytest.mark.parametrize("where", ["reader", "epoch_done"])
def test_an_error_in_any_thread_ends_the_run_and_every_thread(where):
    batches = corpus_batches()
    calls = []

    def failing_batches():
        calls.append(1)
        if where == "reader" and len(calls) == 2:  # the second run's only epoch
            raise OSError("corpus vanished")
        return batches()

    def epoch_done(epoch):
        if where == "epoch_done" and epoch == 1:
            raise KeyboardInterrupt

    before = threading.active_count()
    expected = OSError if where == "reader" else KeyboardInterrupt
    with pytest.raises(expected):
        # One epoch at a time: the reader reads the corpus again for every run.
        for first in range(3):
            ledger = make_ledger(first=first, epochs=first + 1)
            pipeline.run(make_setup(), failing_batches, ledger, workers=2, epoch_done=epoch_done,
                         diverged=pytest.fail)
    assert threading.active_count() == before  # all joined: none left touching the vectors


def test_a_non_finite_loss_ends_the_run_through_the_models_check():
    setup = make_setup()
    setup.W_in[:] = np.inf

    class Diverged(Exception):
        pass

    def diverged(epoch):
        raise Diverged(epoch)

    with pytest.raises(Diverged):
        pipeline.run(setup, corpus_batches(), make_ledger(), workers=1,
                     epoch_done=lambda e: None, diverged=diverged)


def test_a_run_that_trains_no_example_is_an_error():
    setup = make_setup()
    one_word_sentences = lambda: iter([(np.zeros(10, np.int32), np.arange(1, 11, dtype=np.int64))])
    with pytest.raises(pipeline.CorpusError, match="nothing was learned"):
        pipeline.run(setup, one_word_sentences, make_ledger(epochs=1), workers=1,
                     epoch_done=lambda e: None, diverged=pytest.fail)


def test_the_barrier_gives_way_to_a_stop():
    barrier, stop = pipeline.EpochBarrier(), threading.Event()
    barrier.release()
    assert barrier.wait(stop.is_set)  # released: goes on, and is closed for the next epoch
    stop.set()
    assert not barrier.wait(stop.is_set)


def test_the_pipeline_does_not_import_the_model():
    """The model drives the pipeline, never the other way round (no import circle)."""
    source = Path(pipeline.__file__).read_text()
    imported = {node.module for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom) and node.module}
    assert "model" not in imported and not any(name.endswith(".model") for name in imported)
