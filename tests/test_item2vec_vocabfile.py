"""Vocabulary files for item models: ``w2v item2vec --save-vocab / --read-vocab``,
and an ``auto`` mode that a vocabulary from a file leaves to the data."""

import random
import subprocess
import sys

import numpy as np
import pytest

import w2v
from w2v.item2vec import WINDOW, Item2Vec
from w2v.sessions import read_sessions
from w2v.vocabfile import load_vocab

CLI = [sys.executable, "-c", "from w2v_cli.main import main; main()"]


def run_cli(*args):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture
def baskets(tmp_path):
    rng = random.Random(1)
    items = [f"i{k}" for k in range(30)]
    path = tmp_path / "baskets.txt"
    path.write_text("\n".join(" ".join(rng.sample(items, 4)) for _ in range(300)) + "\n")
    return path


def test_a_saved_vocabulary_read_back_trains_the_same_model(tmp_path, baskets):
    common = ["--epochs", 2, "--workers", 1, "-q"]
    saved = run_cli("item2vec", baskets, "-o", tmp_path / "a.w2v", "--save-vocab",
                    tmp_path / "items.vocab", *common)
    assert saved.returncode == 0, saved.stderr
    read = run_cli("item2vec", baskets, "-o", tmp_path / "b.w2v", "--read-vocab",
                   tmp_path / "items.vocab", *common)
    assert read.returncode == 0, read.stderr
    a, b = w2v.load(tmp_path / "a.w2v"), w2v.load(tmp_path / "b.w2v")
    # A baskets file decides "auto" as baskets, with or without a vocabulary file.
    assert a.mode == b.mode == "baskets"
    assert b.vocab_.words == a.vocab_.words
    assert np.array_equal(a.W_in_, b.W_in_) and np.array_equal(a.W_out_, b.W_out_)


def test_min_count_applies_to_the_counts_read(tmp_path, baskets):
    assert run_cli("item2vec", baskets, "-o", tmp_path / "a.w2v", "--save-vocab",
                   tmp_path / "items.vocab", "--epochs", 1, "-q").returncode == 0
    counts = load_vocab(tmp_path / "items.vocab")
    cut = int(np.median(counts.counts))
    done = run_cli("item2vec", baskets, "-o", tmp_path / "b.w2v", "--read-vocab",
                   tmp_path / "items.vocab", "--min-count", cut, "--epochs", 1)
    assert done.returncode == 0, done.stderr
    kept = w2v.load(tmp_path / "b.w2v").vocab_
    assert len(kept) == int((counts.counts >= cut).sum()) < len(counts)
    assert "items.vocab" in done.stderr  # the items left out: not in the file


def test_read_vocab_is_refused_when_resuming(tmp_path, baskets):
    assert run_cli("item2vec", baskets, "-o", tmp_path / "a.w2v", "--save-vocab",
                   tmp_path / "items.vocab", "--epochs", 1, "-q").returncode == 0
    done = run_cli("item2vec", baskets, "--resume", tmp_path / "a.w2v", "--read-vocab",
                   tmp_path / "items.vocab", "-o", tmp_path / "b.w2v")
    assert done.returncode != 0 and "--read-vocab cannot be used with --resume" in done.stderr
    assert "Traceback" not in done.stderr


def test_auto_mode_is_decided_by_the_data_after_build_vocab_from(baskets):
    counted = Item2Vec(dim=8, epochs=1).build_vocab(read_sessions(baskets)).vocab_
    model = Item2Vec(dim=8, epochs=1).build_vocab_from(counted)
    assert model.mode == "auto" and model.window == WINDOW  # no data seen yet
    model.train(read_sessions(baskets), progress=None)
    assert model.mode == "baskets" and model.whole_session
