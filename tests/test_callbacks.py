"""Training callbacks: what they are told, and stopping training cleanly."""

import dataclasses
import math
import subprocess
import sys
import threading

import numpy as np
import pytest

import w2v
from w2v import StopTraining, TrainingState, Word2Vec

SETTINGS = dict(dim=8, min_count=1, sample=0, epochs=3, batch_words=500, seed=2)


def stop_after(batches):
    """A callback that stops training after ``batches`` batch records."""
    seen = []

    def callback(state):
        seen.append(state)
        if not state.epoch_end and sum(not s.epoch_end for s in seen) == batches:
            raise StopTraining
    callback.seen = seen
    return callback


@pytest.mark.parametrize("workers", [1, 2])
def test_callbacks_follow_the_run_batch_by_batch_and_epoch_by_epoch(topics, workers):
    states, threads = [], []

    def record(state):
        states.append(state)
        threads.append(threading.get_ident())

    model = Word2Vec(workers=workers, **SETTINGS).train(topics, progress=None, callbacks=[record])
    assert set(threads) == {threading.get_ident()}  # the calling thread, never a worker
    assert all(isinstance(s, TrainingState) for s in states)
    with pytest.raises(dataclasses.FrozenInstanceError):
        states[0].words = 0
    batches = [s for s in states if not s.epoch_end]
    ends = [s for s in states if s.epoch_end]
    total = 3 * 1500 * 8
    assert [s.epoch for s in ends] == [1, 2, 3]
    assert [s.words for s in ends] == [total // 3, 2 * total // 3, total]
    assert len(batches) >= 3 * 20  # 12,000 words an epoch in batches of about 500
    words = [s.words for s in batches]
    assert words == sorted(words) and len(set(words)) == len(words) and words[-1] == total
    assert all(s.total_words == total and s.epochs == 3 for s in states)
    assert all(math.isfinite(s.loss) and s.loss > 0 for s in states)
    rates = [s.learning_rate for s in ends]
    assert rates[0] > rates[1] > rates[2] == pytest.approx(model.end_alpha)
    # An epoch's record comes after its last batch's and before the next epoch's batches.
    first_end = states.index(ends[0])
    assert states[first_end - 1].epoch == 1 and states[first_end + 1].epoch == 2


def test_an_epoch_end_callback_sees_the_epoch_counted(topics):
    model = Word2Vec(**SETTINGS)
    completed = []
    model.train(topics, progress=None, callbacks=lambda s: s.epoch_end and completed.append(
        (s.epoch, model.run_["completed"], model.epochs_trained_)))
    assert completed == [(1, 1, 1), (2, 2, 2), (3, 3, 3)]


@pytest.mark.parametrize("workers", [1, 2])
def test_stopping_after_some_batches_leaves_a_model_that_resume_finishes(topics, tmp_path, workers):
    callback = stop_after(30)  # in the second epoch: an epoch has about 24 batches
    model = Word2Vec(workers=workers, **SETTINGS)
    returned = model.train(topics, progress=None, callbacks=[callback])
    assert returned is model and model.unfinished
    assert model.run_["completed"] == 1 and model.epochs_trained_ == 1
    per_epoch = model.run_["words_per_epoch"]
    partial = model.run_["partial_epoch"]
    # The batches in flight were trained and counted, and nothing after them:
    # the words trained are a whole number of batches, the epoch's first ones.
    assert partial["epoch"] == 1 and 0 < partial["words"] < per_epoch
    batch_ends = np.cumsum([len(ids) for ids, _ in model._batches(topics)])
    assert partial["words"] in batch_ends
    assert model.words_trained_ == per_epoch + partial["words"]
    assert sum(not s.epoch_end for s in callback.seen) == 30  # none called after the stop
    assert np.isfinite(model.W_in_).all() and model.loss_history_[-1, 0] == model.words_trained_
    assert len(model.wv.most_similar("a1", topn=3)) == 3

    path = tmp_path / "stopped.w2v"
    model.save(path)
    loaded = w2v.load(path)
    assert loaded.unfinished and loaded.run_ == model.run_
    assert np.array_equal(loaded.W_in_, model.W_in_)
    rate_at_stop = loaded.loss_history_[-1, 2]
    states = []
    loaded.resume(topics, progress=None, callbacks=[states.append])
    assert not loaded.unfinished and "partial_epoch" not in loaded.run_
    # No word trained twice or left out: the resumed epoch skipped what was trained.
    assert loaded.words_trained_ == 3 * per_epoch == states[-1].words
    assert states[0].words > per_epoch + partial["words"] and states[0].epoch == 2
    resumed_rates = loaded.loss_history_[len(model.loss_history_):, 2]
    assert resumed_rates.max() <= rate_at_stop  # the schedule went on, not back
    assert states[-1].epoch_end and states[-1].learning_rate == pytest.approx(loaded.end_alpha)


def test_stopping_at_an_epoch_end_keeps_that_epoch(topics):
    def stop_after_first_epoch(state):
        if state.epoch_end:
            raise StopTraining

    model = Word2Vec(**SETTINGS).train(topics, progress=None, callbacks=[stop_after_first_epoch])
    assert model.unfinished and model.run_["completed"] == 1 and "partial_epoch" not in model.run_
    assert model.words_trained_ == model.run_["words_per_epoch"]
    model.resume(topics, progress=None)
    assert model.epochs_trained_ == 3 and model.words_trained_ == 3 * model.run_["words_per_epoch"]


def test_a_resume_on_a_corpus_of_another_size_starts_the_epoch_again(topics):
    model = Word2Vec(**SETTINGS).train(topics, progress=None, callbacks=[stop_after(30)])
    before = model.words_trained_  # the first epoch and part of the second
    assert model.run_["partial_epoch"]["words"] == before - 12_000
    model.resume(topics[:1000], progress=None)  # 8,000 words an epoch, not 12,000
    assert not model.unfinished and model.epochs_trained_ == 3
    assert model.words_trained_ == before + 2 * 8_000  # the second epoch again, and the third


def test_an_epoch_stopped_on_spark_is_trained_again_whole_on_one_machine(topics, tmp_path):
    model = Word2Vec(**SETTINGS).train(topics, progress=None, callbacks=[stop_after(30)])
    before = model.words_trained_
    # What w2v.spark.train records: its words are rounds' shares of every
    # partition, not the corpus's first words, so they cannot be skipped here.
    model.run_["partial_epoch"].update(rounds=2, layout=[2, 4])
    model.save(tmp_path / "m.w2v")
    loaded = Word2Vec.load(tmp_path / "m.w2v")
    assert loaded.run_["partial_epoch"]["layout"] == [2, 4]
    with pytest.warns(UserWarning, match="Spark rounds"):
        loaded.resume(topics, progress=None)
    assert loaded.words_trained_ == before + 2 * 12_000


@pytest.mark.parametrize("workers", [1, 2])
def test_an_error_in_a_callback_ends_training_with_it(topics, workers):
    def broken(state):
        if state.words > 5000:
            raise ValueError("callback failed")

    before = threading.active_count()
    model = Word2Vec(workers=workers, **SETTINGS)
    with pytest.raises(ValueError, match="callback failed"):
        model.train(topics, progress=None, callbacks=[broken])
    assert threading.active_count() == before  # every thread joined, none hanging


def test_callbacks_must_be_callable(topics):
    with pytest.raises(TypeError, match="callbacks must be functions"):
        Word2Vec(**SETTINGS).train(topics, progress=None, callbacks=["print"])


def test_the_cli_finishes_a_run_a_callback_stopped(corpus_file, tmp_path):
    path = tmp_path / "stopped.w2v"
    model = Word2Vec(**SETTINGS).train(corpus_file, progress=None, callbacks=[stop_after(30)])
    model.save(path)
    finished = subprocess.run(
        [sys.executable, "-c", "from w2v_cli.main import main; main()", "train", str(corpus_file),
         "--resume", str(path), "-o", str(path), "-q", "--workers", "1"],
        capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    done = w2v.load(path)
    assert not done.unfinished and done.words_trained_ == 3 * done.run_["words_per_epoch"]
