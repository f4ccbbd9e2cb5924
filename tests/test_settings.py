"""Settings are checked before any work, from the constructor, the command
line and model files alike; a training run whose worker dies ends with its
error; resumed runs keep an honest learning-rate schedule."""

import math
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import w2v
from conftest import edit_json_member
from w2v import ModelFormatError, SettingsError
from w2v_cli.main import main

W2V = [sys.executable, "-c", "from w2v_cli.main import main; main()"]
NAN, INF = float("nan"), float("inf")

BAD_SETTINGS = [
    {"alpha": NAN}, {"alpha": INF}, {"alpha": 0}, {"alpha": -1}, {"sample": NAN}, {"sample": -1e-3},
    {"ns_exponent": NAN}, {"ns_exponent": -INF}, {"min_alpha": NAN}, {"seed": -1},
    {"seed": 1.5}, {"alpha": 0.01, "min_alpha": 0.1}, {"dim": 99_999_999_999}, {"dim": 0},
    {"dim": True}, {"dim": 2.0}, {"dim": "100"}, {"window": 1_000_000_000},
    {"negative": 1_000_000_000}, {"workers": 0}, {"workers": 100_000}, {"epochs": 0},
    {"max_sentence_length": 0}, {"batch_words": -5}, {"min_count": 0}, {"max_vocab_size": 0},
    {"sg": "yes"}, {"negative": 10_000, "window": 1_000_000, "workers": 64},
]


@pytest.mark.parametrize("bad", BAD_SETTINGS, ids=lambda bad: ",".join(map(str, bad.items())))
def test_bad_settings_are_refused_before_any_work(bad, tmp_path):
    missing = tmp_path / "never-read.txt"  # reading it would be a CorpusError instead
    with pytest.raises(SettingsError) as error:
        w2v.Word2Vec(**bad).train(str(missing), progress=None)
    assert str(error.value).count("\n") == 0
    assert isinstance(error.value, ValueError)  # what scikit-learn-style callers catch


def test_memory_is_checked_against_what_the_process_may_use(topics):
    # 64 workers x (2 x 1M window rows x 10k noise words x 8 bytes) is far beyond any machine.
    with pytest.raises(SettingsError, match="would need .* of memory"):
        w2v.Word2Vec(negative=10_000, window=1_000_000, max_sentence_length=1_000_000,
                     workers=64).train(topics, progress=None)


def test_a_huge_window_is_bounded_by_the_sentence_length(topics):
    # The window reaches at most a sentence, so its scratch space is bounded too.
    model = w2v.Word2Vec(window=10_000_000, dim=8, min_count=1, epochs=1).train(topics, progress=None)
    assert len(model.wv) == 20


CLI_BAD_OPTIONS = [
    ["--alpha", "nan"], ["--sample", "nan"], ["--ns-exponent", "nan"], ["--alpha", "inf"],
    ["--seed", "-1"], ["--alpha", "0.01", "--min-alpha", "0.1"], ["--dim", "99999999999"],
    ["--window", "1000000000"], ["--negative", "1000000000"], ["--workers", "100000"],
    ["--min-alpha", "-1"], ["--sample", "abc"],
]


@pytest.mark.parametrize("options", CLI_BAD_OPTIONS, ids=" ".join)
def test_the_cli_refuses_bad_options_with_one_error_line(options, corpus_file, tmp_path):
    output = tmp_path / "m.w2v"
    result = subprocess.run(W2V + ["train", str(corpus_file), "-o", str(output), "-q", *options],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert sum(line.startswith("Error:") for line in result.stderr.splitlines()) == 1, result.stderr
    assert not output.exists()


@pytest.mark.parametrize("options", [["--min-rating", "nan"], ["--ns-exponent", "inf"],
                                     ["--alpha", "nan"], ["--window", "0"]], ids=" ".join)
def test_item2vec_refuses_bad_options(options, tmp_path):
    baskets = tmp_path / "b.txt"
    baskets.write_text("a b c\nb c d\n" * 20)
    result = CliRunner().invoke(main, ["item2vec", str(baskets), "-o", str(tmp_path / "i.w2v"),
                                       "-q", *options])
    assert result.exit_code != 0 and "Error:" in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_worker_that_cannot_start_ends_the_run_with_its_error(topics, monkeypatch):
    # A scratch buffer that cannot be made (as --window 1e9 once did) raised in
    # the thread before it could report, and the run waited for it forever.
    monkeypatch.setattr(w2v.Word2Vec, "_scratch_rows", lambda self: -1)
    with pytest.raises(ValueError, match="negative dimensions"):
        w2v.Word2Vec(dim=8, min_count=1, epochs=1, workers=2).train(topics, progress=None)


@pytest.mark.parametrize("bad", [{"alpha": NAN}, {"dim": "8"}, {"seed": -3}, {"sample": INF},
                                 {"window": 0}, {"sg": 1}])
def test_settings_read_from_a_model_file_are_checked(bad, tmp_path, topics):
    path = tmp_path / "m.w2v"
    w2v.Word2Vec(dim=8, min_count=1, epochs=1).train(topics, progress=None).save(path)
    edit_json_member(path, "meta.json", lambda meta: meta["params"].update(bad))
    with pytest.raises(ModelFormatError):
        w2v.load(path)


@pytest.mark.parametrize("field, value", [
    ("words_per_epoch", 0), ("words_per_epoch", "many"), ("epochs", 0), ("completed", 7),
    ("completed", -1), ("epochs", True), ("corpus", 5)])
def test_a_crafted_run_record_is_a_format_error(field, value, tmp_path, topics):
    path = tmp_path / "m.w2v"
    w2v.Word2Vec(dim=8, min_count=1, epochs=2).train(topics, progress=None).save(path)
    edit_json_member(path, "meta.json", lambda meta: meta["run"].update({field: value}))
    with pytest.raises(ModelFormatError, match="run"):
        w2v.load(path)


@pytest.mark.parametrize("field, value", [("epochs_trained", "x"), ("words_trained", -1),
                                          ("training_seconds", "NaN"), ("corpus_tokens", 1.5)])
def test_crafted_counters_are_a_format_error(field, value, tmp_path, topics):
    path = tmp_path / "m.w2v"
    w2v.Word2Vec(dim=8, min_count=1, epochs=1).train(topics, progress=None).save(path)
    edit_json_member(path, "meta.json", lambda meta: meta.update({field: value}))
    with pytest.raises(ModelFormatError, match=field):
        w2v.load(path)


def _interrupted(path, topics, completed, epochs):
    """A model file whose run stopped after ``completed`` of ``epochs`` epochs."""
    model = w2v.Word2Vec(dim=8, min_count=1, epochs=completed).train(topics, progress=None)
    model.run_["epochs"] = epochs
    model.save(path)
    return model


def test_resuming_on_another_corpus_recounts_its_words(tmp_path, topics, corpus_file):
    path = tmp_path / "m.w2v"
    first = w2v.Word2Vec(dim=8, min_count=1, epochs=1).train(corpus_file, progress=None)
    first.run_["epochs"] = 3
    first.save(path)
    shorter = tmp_path / "short.txt"
    shorter.write_text("\n".join(corpus_file.read_text().splitlines()[:100]) + "\n")
    model = w2v.load(path)
    before = model.run_["words_per_epoch"]
    model.resume(shorter, progress=None)
    assert model.run_["words_per_epoch"] == 800 < before  # 100 lines of 8 words
    # The schedule reached its end: the last history point is at epoch 3, at
    # the final learning rate (with the old count it stopped near 1.1 epochs, at 0.016).
    assert model.loss_history_[-1, 1] == 3.0
    assert math.isclose(model.loss_history_[-1, 2], model.end_alpha, rel_tol=1e-6)


def test_resuming_on_the_same_corpus_does_not_read_it_an_extra_time(tmp_path, corpus_file,
                                                                     monkeypatch):
    path = tmp_path / "m.w2v"
    first = w2v.Word2Vec(dim=8, min_count=1, epochs=1).train(corpus_file, progress=None)
    first.run_["epochs"] = 2
    first.save(path)
    model = w2v.load(path)
    monkeypatch.setattr(w2v.Word2Vec, "_count_words",
                        lambda self, sentences: pytest.fail("counted the same corpus again"))
    model.resume(corpus_file, progress=None)
    assert model.run_["completed"] == 2


def test_epochs_cannot_be_given_when_finishing_an_interrupted_run(tmp_path, topics, corpus_file):
    path = tmp_path / "m.w2v"
    _interrupted(path, topics, completed=1, epochs=4)
    result = CliRunner().invoke(main, ["train", str(corpus_file), "--resume", str(path),
                                       "-o", str(path), "--epochs", "9", "-q"])
    assert result.exit_code == 2
    assert "--epochs cannot be changed" in result.output and "1 of its 4 epochs" in result.output
