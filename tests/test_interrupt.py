"""Interruptions as a user causes them: Ctrl-C during training, a process
killed in the middle of saving. Real processes and real signals."""

import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import w2v

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
