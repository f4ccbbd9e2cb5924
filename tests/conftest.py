"""Shared fixtures: small corpora written to a temporary folder, and the
project's shared data when it is present (CI has it; a bare checkout may not)."""

import json
import subprocess
import zipfile
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


def rewrite_archive(path, change, source=None):
    """Write the model archive ``source`` (default: ``path`` itself) to ``path``
    with ``change(name, data) -> data or None`` applied to each member (None
    drops it): to plant faults in an otherwise valid model file."""
    with zipfile.ZipFile(source or path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            data = change(name, data)
            if data is not None:
                archive.writestr(name, data)


def edit_json_member(path, member, edit):
    """Rewrite the JSON file ``member`` of the model archive at ``path`` with
    ``edit(value)`` applied to it in place."""
    def change(name, data):
        if name != member:
            return data
        value = json.loads(data)
        edit(value)
        return json.dumps(value)
    rewrite_archive(path, change)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 200 KiB tmpfs: a real full disk (needs root and mount)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount_point)],
                             capture_output=True, timeout=30)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], capture_output=True, timeout=30)
