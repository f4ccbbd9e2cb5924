"""Interruptions as a user causes them: Ctrl-C during training, a process
killed in the middle of saving. Real processes and real signals."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

import w2v
from w2v_cli.main import main

CLI = [sys.executable, "-c", "from w2v_cli.main import main; main()"]


def wait_for(condition, timeout):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def long_corpus(tmp_path):
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(2000)])
    lines = [" ".join(rng.choice(words, size=20)) for _ in range(10_000)]
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_ctrl_c_stops_within_a_second_and_the_checkpoint_resumes(long_corpus, tmp_path):
    model = tmp_path / "m.w2v"
    process = subprocess.Popen(
        CLI + ["train", str(long_corpus), "-o", str(model), "--checkpoint", "--epochs", "200",
               "--min-count", "1", "--dim", "20", "--workers", "2", "-q"],
        stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(model.exists, timeout=60), "no checkpoint after the first epoch"
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        stderr = process.communicate(timeout=30)[1]
        took = time.monotonic() - interrupted
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert took < 5, f"took {took:.1f} s to stop"  # typically well under a second
    assert "interrupted" in stderr and "--resume" in stderr and "Traceback" not in stderr
    checkpoint = w2v.load(model)
    assert checkpoint.unfinished and 1 <= checkpoint.run_["completed"] < 200

    # Finish it, with fewer epochs to go: cut the planned run short in the file.
    checkpoint.run_["epochs"] = checkpoint.run_["completed"] + 1
    checkpoint.save(model)
    done = subprocess.run(CLI + ["train", str(long_corpus), "--resume", str(model), "-o", str(model), "-q"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not w2v.load(model).unfinished


SAVER = """
import sys, numpy as np, w2v
model = w2v.Word2Vec(dim=100, min_count=1, epochs=1)
model.build_vocab([[f"w{i}" for i in range(200_000)]])
version = 0
while True:
    version += 1
    model.W_in_[0, 0] = version
    model.save(sys.argv[1])
    print(version, flush=True)
"""


def test_a_save_killed_midway_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "m.w2v"
    rng = np.random.default_rng(1)
    for attempt in range(3):
        process = subprocess.Popen([sys.executable, "-c", SAVER, str(path)],
                                   stdout=subprocess.PIPE, text=True)
        try:
            saved = int(process.stdout.readline())  # one complete save
            time.sleep(rng.uniform(0.01, 0.3))  # somewhere inside a later save
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            for line in process.stdout:
                saved = int(line)
        finally:
            process.kill()
        model = w2v.load(path)  # complete and valid, whatever the moment of the kill
        assert model.W_in_[0, 0] in (saved, saved + 1)
        assert model.W_in_.shape == (200_000, 100)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "m.w2v"]
    assert all(name.startswith(".m.w2v.") for name in leftovers)


def test_a_full_disk_at_the_final_save_says_the_model_was_not_saved(tiny_disk, long_corpus, tmp_path):
    output = tiny_disk / "m.w2v"
    result = subprocess.run(
        CLI + ["train", str(long_corpus), "-o", str(output), "--min-count", "1", "--dim", "50",
               "--epochs", "1", "-q"], capture_output=True, text=True, timeout=120,
        env={**os.environ, "TMPDIR": str(tmp_path)})  # another file system, with room
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: the model was NOT saved"), result.stderr
    assert "No space left on device" in lines[0]
    rescued = lines[0].split("saved to ")[-1].split(" instead")[0]
    assert w2v.load(rescued).W_in_.shape == (2000, 50)  # the finished training is kept
    assert list(tiny_disk.iterdir()) == []  # no partial file or temporary left


def test_a_full_disk_at_a_checkpoint_stops_with_what_is_kept(tiny_disk, tmp_path):
    corpus = tiny_disk / "c.txt"
    corpus.write_text("a b c d\n" * 50)
    output = tiny_disk / "m.w2v"
    filler = tiny_disk / "filler"
    filler.write_bytes(b"\0" * (200 * 1024 - 20_000))  # leaves room for less than one model
    result = subprocess.run(
        CLI + ["train", str(corpus), "-o", str(output), "--min-count", "1", "--dim", "2000", "--sample", "0",
               "--epochs", "3", "--checkpoint", "-q"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "checkpoint after epoch 1 could not be saved" in result.stderr, result.stderr
    assert "nothing was saved" in result.stderr


def test_ctrl_c_during_the_final_save_says_it_was_not_saved(corpus_file, tmp_path, monkeypatch):
    def interrupted_save(self, path):
        raise KeyboardInterrupt
    monkeypatch.setattr(w2v.Word2Vec, "save", interrupted_save)
    output = tmp_path / "m.w2v"
    result = CliRunner().invoke(main, ["train", str(corpus_file), "-o", str(output),
                                       "--min-count", "1", "--epochs", "1", "-q"])
    assert result.exit_code == 130
    assert "interrupted while saving: the model was NOT saved" in result.output
    assert not output.exists()


def test_ctrl_c_stops_item2vec_and_its_checkpoint_resumes(tmp_path):
    rng = np.random.default_rng(0)
    baskets = tmp_path / "baskets.txt"
    baskets.write_text("\n".join(" ".join(rng.choice([f"i{k}" for k in range(500)], size=30))
                                 for _ in range(3000)) + "\n")
    model = tmp_path / "items.w2v"
    process = subprocess.Popen(
        CLI + ["item2vec", str(baskets), "-o", str(model), "--checkpoint", "--epochs", "500",
               "--dim", "16", "-q"], stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(model.exists, timeout=60), "no checkpoint after the first epoch"
        process.send_signal(signal.SIGINT)
        stderr = process.communicate(timeout=30)[1]
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "--resume" in stderr and "Traceback" not in stderr
    checkpoint = w2v.Item2Vec.load(model)
    assert checkpoint.unfinished
    checkpoint.run_["epochs"] = checkpoint.run_["completed"] + 1  # a short rest to finish
    checkpoint.save(model)
    done = subprocess.run(CLI + ["item2vec", str(baskets), "--resume", str(model), "-o",
                                 str(model), "-q"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not w2v.Item2Vec.load(model).unfinished


@pytest.mark.parametrize("stop, status, word", [(signal.SIGTERM, 143, "terminated"),
                                                (signal.SIGHUP, 129, "terminated"),
                                                (signal.SIGINT, 130, "interrupted")])
def test_termination_signals_stop_training_as_ctrl_c_does(long_corpus, tmp_path, stop, status,
                                                          word):
    model = tmp_path / "m.w2v"
    process = subprocess.Popen(
        CLI + ["train", str(long_corpus), "-o", str(model), "--checkpoint", "--epochs", "200",
               "--min-count", "1", "--dim", "20", "-q"], stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(model.exists, timeout=60), "no checkpoint after the first epoch"
        process.send_signal(stop)
        stderr = process.communicate(timeout=30)[1]
    finally:
        process.kill()
    assert process.returncode == status, stderr
    assert stderr.strip().startswith(f"{word}; {model} holds the last completed epoch"), stderr
    assert w2v.load(model).unfinished
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
