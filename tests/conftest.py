"""Shared fixtures: small corpora written to a temporary folder, and the
project's shared data when it is present (CI has it; a bare checkout may not)."""

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "data" / "sample-en.txt"


def topic_corpus(n_sentences=1500, seed=0):
    """Sentences drawn from two disjoint topics: a trained model must put
    words of the same topic closer together than words of different ones."""
    rng = np.random.default_rng(seed)
    topics = [[f"a{i}" for i in range(10)], [f"b{i}" for i in range(10)]]
    return [list(rng.choice(topics[k % 2], size=8)) for k in range(n_sentences)]


@pytest.fixture
def topics():
    return topic_corpus()


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in topic_corpus()) + "\n")
    return path
