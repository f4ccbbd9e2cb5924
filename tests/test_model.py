"""Training end to end on small data, and the model file."""

import io

import numpy as np
import pytest

import w2v
from conftest import edit_json_member, rewrite_archive
from w2v import ModelFormatError, Word2Vec
from w2v.batches import BatchCache


def topic_separation(kv):
    """Mean cosine within topics minus mean cosine across them."""
    a = [f"a{i}" for i in range(10)]
    b = [f"b{i}" for i in range(10)]
    within = np.mean([kv.similarity(x, y) for g in (a, b) for x in g for y in g if x != y])
    across = np.mean([kv.similarity(x, y) for x in a for y in b])
    return within - across


@pytest.mark.parametrize("sg", [True, False])
def test_training_learns_topics_and_lowers_the_loss(topics, sg):
    model = Word2Vec(sg=sg, dim=16, window=3, min_count=1, sample=0, epochs=3, seed=0, batch_words=500)
    model.train(topics, progress=None)
    assert topic_separation(model.wv) > 0.5
    history = model.loss_history_
    assert len(history) > 10 and history[-1, 0] == model.words_trained_ == 3 * 1500 * 8
    assert history[-5:, 3].mean() < 0.9 * history[:3, 3].mean()


def test_one_worker_and_a_seed_give_identical_vectors(topics, monkeypatch):
    """Over many batches an epoch and over the epochs that replay the first
    epoch's batches from its cache (w2v/batches.py), two runs with one worker
    and one seed are bit-identical; so is a run that reads the corpus again
    every epoch because its cache could not be written."""
    replayed = []  # batches replayed from the cache, per run
    replay = BatchCache.replay

    def counting_replay(self):
        for batch in replay(self):
            replayed[-1] += 1
            yield batch
    monkeypatch.setattr(BatchCache, "replay", counting_replay)

    def run(seed=7):
        replayed.append(0)
        return Word2Vec(dim=8, min_count=1, epochs=3, seed=seed, workers=1,
                        batch_words=500).train(topics, progress=None)

    runs = [run(), run()]
    batches = len(list(runs[0]._batches(topics)))
    assert batches >= 20  # 12,000 words in batches of about 500
    assert replayed[:2] == [2 * batches, 2 * batches]  # epochs 2 and 3, from the cache
    for name in ("W_in_", "W_out_", "loss_history_"):
        assert np.array_equal(getattr(runs[0], name), getattr(runs[1], name)), name

    # A cache that cannot be written (a full disk) is not replayed: the corpus is
    # read again each epoch, and the batches, and so the vectors, are the same.
    init = BatchCache.__init__

    def failing_init(self):
        init(self)
        self._failed = True
    monkeypatch.setattr(BatchCache, "__init__", failing_init)
    reread = run()
    assert replayed[-1] == 0
    assert np.array_equal(reread.W_in_, runs[0].W_in_)
    assert np.array_equal(reread.W_out_, runs[0].W_out_)
    monkeypatch.setattr(BatchCache, "__init__", init)
    other = run(seed=8)
    assert not np.array_equal(runs[0].W_in_, other.W_in_)


def test_two_workers_learn_as_well(topics):
    model = Word2Vec(dim=16, min_count=1, sample=0, epochs=3, workers=2, batch_words=500)
    model.train(topics, progress=None)
    assert topic_separation(model.wv) > 0.5


def test_trains_from_a_file_and_reports_progress(corpus_file):
    log = io.StringIO()
    model = Word2Vec(dim=8, min_count=1, epochs=2).train(corpus_file, progress=log)
    assert len(model.wv) == 20
    last = log.getvalue().strip().splitlines()[-1]
    assert "100.0%" in last and "words/s" in last and "ETA" in last and "loss" in last


def test_save_load_round_trip_keeps_everything(tmp_path, topics):
    model = Word2Vec(dim=8, min_count=1, epochs=2, sample=1e-4).train(topics, progress=None)
    path = tmp_path / "m.w2v"
    model.save(path)
    loaded = w2v.load(path)
    assert loaded.vocab_.words == model.vocab_.words
    assert np.array_equal(loaded.vocab_.counts, model.vocab_.counts)
    assert np.array_equal(loaded.W_in_, model.W_in_) and np.array_equal(loaded.W_out_, model.W_out_)
    assert np.array_equal(loaded.loss_history_, model.loss_history_)
    assert loaded.get_params() == model.get_params()
    assert loaded.epochs_trained_ == 2 and loaded.words_trained_ == model.words_trained_
    assert loaded.wv.most_similar("a1", topn=3) == model.wv.most_similar("a1", topn=3)


def test_training_continues_from_a_loaded_model(tmp_path, topics):
    model = Word2Vec(dim=8, min_count=1, epochs=1).train(topics, progress=None)
    model.save(tmp_path / "m.w2v")
    resumed = w2v.load(tmp_path / "m.w2v")
    before = resumed.W_in_.copy()
    resumed.train(topics, epochs=2, progress=None)
    assert resumed.epochs_trained_ == 3
    assert len(resumed.loss_history_) > len(model.loss_history_)
    assert not np.array_equal(before, resumed.W_in_)


def test_cbow_ends_its_run_at_alpha_over_twice_the_epochs_and_skip_gram_near_zero(topics):
    cbow = Word2Vec(sg=False, dim=8, min_count=1, epochs=2).train(topics, progress=None)
    assert cbow.end_alpha == pytest.approx(0.05 / 4)
    assert cbow.loss_history_[-1, 2] == pytest.approx(0.05 / 4)  # the rate the run ended at
    cbow.train(topics, epochs=5, progress=None)  # a new run: its own epochs count
    assert cbow.loss_history_[-1, 2] == pytest.approx(0.05 / 10)
    skip_gram = Word2Vec(dim=8, min_count=1, epochs=2).train(topics, progress=None)
    assert skip_gram.loss_history_[-1, 2] == pytest.approx(0.025e-4)
    given = Word2Vec(sg=False, dim=8, min_count=1, epochs=2, min_alpha=0.001)
    assert given.train(topics, progress=None).loss_history_[-1, 2] == pytest.approx(0.001)


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, topics, monkeypatch):
    model = Word2Vec(dim=8, min_count=1, epochs=1).train(topics, progress=None)
    path = tmp_path / "m.w2v"
    model.save(path)
    original = path.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", disk_full)
    with pytest.raises(OSError, match="No space"):
        model.save(path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["m.w2v"]  # no temporary file left


def test_one_shot_iterators_are_refused(topics):
    with pytest.raises(TypeError, match="re-iterable"):
        Word2Vec(min_count=1).train(iter(topics), progress=None)


def test_bad_settings_name_the_value(topics):
    with pytest.raises(ValueError, match="dim must be"):
        Word2Vec(dim=0).train(topics, progress=None)
    with pytest.raises(ValueError, match="min_alpha"):
        Word2Vec(alpha=0.01, min_alpha=0.1).train(topics, progress=None)


# --- malformed model files ------------------------------------------------------

@pytest.fixture
def saved(tmp_path, topics):
    path = tmp_path / "m.w2v"
    Word2Vec(dim=4, min_count=1, epochs=1).train(topics, progress=None).save(path)
    return path


def test_not_a_model_file(tmp_path):
    path = tmp_path / "x.w2v"
    path.write_bytes(b"\x00\x01 binary junk")
    with pytest.raises(ModelFormatError, match="not a w2v model file"):
        w2v.load(path)
    with pytest.raises(ModelFormatError, match="no such model file"):
        w2v.load(tmp_path / "missing.w2v")


def test_truncated_file(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFormatError):
        w2v.load(saved)


def test_newer_format_version(saved):
    edit_json_member(saved, "meta.json", lambda meta: meta.update(version=99))
    with pytest.raises(ModelFormatError, match="version 99"):
        w2v.load(saved)


def test_array_shape_disagreeing_with_metadata(saved):
    def lie(meta):
        meta["dim"] = meta["params"]["dim"] = 5
    edit_json_member(saved, "meta.json", lie)
    with pytest.raises(ModelFormatError, match="shape"):
        w2v.load(saved)


def test_missing_array(saved):
    rewrite_archive(saved, lambda name, data: None if name == "W_out.npy" else data)
    with pytest.raises(ModelFormatError, match="W_out.npy"):
        w2v.load(saved)


def test_pickled_object_array_is_refused_without_running_it(saved, tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    def plant(name, data):
        if name == "counts.npy":
            buffer = io.BytesIO()
            np.save(buffer, np.array([Exploit()], dtype=object), allow_pickle=True)
            return buffer.getvalue()
        return data
    rewrite_archive(saved, plant)
    with pytest.raises(ModelFormatError, match="object"):
        w2v.load(saved)
    assert not marker.exists()


def test_an_interrupted_run_resumes_from_its_checkpoint(tmp_path, topics):
    path = tmp_path / "ckpt.w2v"

    def save_then_stop_after_first(model):
        model.save(path)
        if model.run_["completed"] == 1:
            raise KeyboardInterrupt

    model = Word2Vec(dim=8, min_count=1, epochs=3, sample=0, batch_words=1000)
    with pytest.raises(KeyboardInterrupt):
        model.train(topics, progress=None, on_epoch_end=save_then_stop_after_first)
    checkpoint = w2v.load(path)
    assert checkpoint.unfinished and checkpoint.run_["completed"] == 1 == checkpoint.epochs_trained_
    learning_rate_at_checkpoint = checkpoint.loss_history_[-1, 2]
    checkpoint.resume(topics, progress=None)
    assert not checkpoint.unfinished and checkpoint.epochs_trained_ == 3
    # The schedule went on from where it stopped rather than restarting at alpha.
    resumed_rates = checkpoint.loss_history_[len(model.loss_history_):, 2]
    assert resumed_rates.max() <= learning_rate_at_checkpoint
    assert resumed_rates[-1] == pytest.approx(model.end_alpha, abs=1e-4)
    assert topic_separation(checkpoint.wv) > 0.3
    with pytest.raises(w2v.W2VError, match="no unfinished training run"):
        checkpoint.resume(topics, progress=None)


def test_divergence_is_reported_with_the_epoch_and_a_fix(topics):
    model = Word2Vec(dim=8, min_count=1, epochs=2, alpha=1e30, sample=0)
    # A tenth of 1e30 would diverge too: the advice never goes above the default rate.
    with pytest.raises(w2v.TrainingDivergedError,
                       match=r"epoch 1: .*lower the learning rate \(alpha is 1e\+30; try 0.025 or lower\)"):
        model.train(topics, progress=None)


def test_a_run_that_learns_nothing_is_an_error_not_a_success(tmp_path):
    # Two words, each far more frequent than sample=1e-3 allows: subsampling
    # removes every pair, and the vectors would be saved untouched.
    with pytest.raises(w2v.CorpusError, match="nothing was learned.*try sample=0"):
        Word2Vec(dim=8, min_count=1, epochs=1).train([["hello", "world"]] * 200, progress=None)
    with pytest.raises(w2v.CorpusError, match="nothing was learned"):
        Word2Vec(dim=8, min_count=1, epochs=1, sample=0).train([["alone"]] * 50, progress=None)


def test_settings_and_vocabulary_are_validated_on_load(saved):
    edit_json_member(saved, "meta.json", lambda meta: meta["params"].update(window=-3))
    with pytest.raises(ModelFormatError, match="window must be"):
        w2v.load(saved)


def test_a_vocabulary_listing_a_word_twice_is_refused(saved):
    def repeat_first(words):
        words[1] = words[0]
    edit_json_member(saved, "words.json", repeat_first)
    with pytest.raises(ModelFormatError, match="twice"):
        w2v.load(saved)


def test_saved_files_get_ordinary_permissions(tmp_path, topics):
    import os
    path = tmp_path / "m.w2v"
    Word2Vec(dim=4, min_count=1, epochs=1).train(topics, progress=None).save(path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_failing_worker_stops_training_with_its_error(topics, monkeypatch):
    import time

    from w2v import kernels

    def broken(*args):
        time.sleep(0.5)  # long enough for the reader to fill the job queue
        raise RuntimeError("kernel failed")

    monkeypatch.setattr(kernels, "train_skipgram", broken)
    model = Word2Vec(dim=8, min_count=1, epochs=3, workers=2, batch_words=100)
    with pytest.raises(RuntimeError, match="kernel failed"):
        model.train(topics, progress=None)  # raises, rather than hanging on a full queue
