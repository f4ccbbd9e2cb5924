"""Outputs through the real commands, in subprocesses with timeouts: ``-o``
naming a device, a FIFO, a symbolic link or a folder is refused and left as it
was (never replaced by a regular file, never a hang); a full disk, kill -9 and
Ctrl-C in the middle of a save leave the previous file and no temporary file."""

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import topic_corpus

import w2v

W2V = [str(Path(sys.executable).with_name("w2v"))]


def w2v_cli(*args, timeout=60):
    """Run the installed command; a hang fails the test instead of blocking it."""
    return subprocess.run(W2V + [str(arg) for arg in args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def temp_files(folder):
    return sorted(p.name for p in Path(folder).iterdir() if p.name.endswith(".tmp"))


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("outputs") / "topics.w2v"
    w2v.Word2Vec(dim=8, min_count=1, epochs=1, workers=1).train(
        topic_corpus(300), progress=None).save(path)
    return path


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in topic_corpus(300)) + "\n")
    return path


# --- targets that are not regular files ------------------------------------------------

def make_device(path):
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
    except PermissionError:
        pytest.skip("creating a device node needs root")


def make_link(path):
    real = path.with_name("real-file")
    real.write_bytes(b"the file the link points to")
    path.symlink_to(real)


TARGETS = {  # how to make one, what the error says, what it must still be afterwards
    "device": (make_device, "it is a character device", stat.S_ISCHR),
    "fifo": (os.mkfifo, "it is a FIFO (named pipe)", stat.S_ISFIFO),
    "symlink": (make_link, "it is a symbolic link to ", stat.S_ISLNK),
    "folder": (os.mkdir, "it is a folder", stat.S_ISDIR),
}


def commands(model, corpus, target):
    return {
        "plot": ["plot", model, "--words", "a0,a1,b0,b1", "--method", "pca", "-o", target],
        "plot-analogy": ["plot-analogy", model, "a1", "a0", "b0", "-o", target],
        "plot-loss": ["plot-loss", model, "-o", target],
        "export": ["export", model, "--format", "word2vec-text", "-o", target],
        "train": ["train", corpus, "-o", target, "--min-count", "1", "--epochs", "1",
                  "--workers", "1", "-q"],
    }


CASES = ([("plot", kind) for kind in TARGETS] + [("export", kind) for kind in TARGETS]
         + [("train", kind) for kind in ("device", "fifo", "symlink")]
         + [("plot-analogy", "fifo"), ("plot-loss", "device")])


@pytest.mark.parametrize("command, kind", CASES)
def test_an_output_that_is_not_a_regular_file_is_refused_and_kept(model_file, corpus, tmp_path,
                                                                  command, kind):
    make, message, still = TARGETS[kind]
    target = tmp_path / "target.png"
    make(target)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = w2v_cli(*commands(model_file, corpus, target)[command])
    assert result.returncode == 1, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: cannot save to {target}: {message}")
    assert still(os.lstat(target).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file either
    if kind == "symlink":
        assert (tmp_path / "real-file").read_bytes() == b"the file the link points to"


def test_train_refuses_a_bad_output_before_reading_the_corpus(tmp_path):
    # The corpus does not exist: an output checked only at the save would never be reached.
    fifo = tmp_path / "model.w2v"
    os.mkfifo(fifo)
    result = w2v_cli("train", tmp_path / "no-such-corpus.txt", "-o", fifo, "-q")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: cannot save to {fifo}: it is a FIFO (named pipe), and w2v saves only to "
        "regular files"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def restore_dev_null():
    """Put /dev/null back if a broken save replaced it (this machine is shared)."""
    if not stat.S_ISCHR(os.lstat("/dev/null").st_mode):
        os.unlink("/dev/null")
        os.mknod("/dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))


@pytest.mark.parametrize("command", ["plot", "export", "train"])
def test_dev_null_as_output_stays_a_character_device(model_file, corpus, command):
    before = os.lstat("/dev/null")
    assert stat.S_ISCHR(before.st_mode)
    with pytest.raises(w2v.W2VError, match="is a character device"):
        w2v.atomic.check_target("/dev/null")  # in-process first: never risk the real one
    try:
        result = w2v_cli(*commands(model_file, corpus, "/dev/null")[command])
    finally:
        after = os.lstat("/dev/null")
        restore_dev_null()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: cannot save to /dev/null: it is a character device, and w2v saves only to "
        "regular files"]
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino  # the very same node, not a new one


def test_a_projector_folder_whose_files_are_fifos_is_refused(model_file, tmp_path):
    folder = tmp_path / "projector"
    folder.mkdir()
    os.mkfifo(folder / "vectors.tsv")
    result = w2v_cli("export", model_file, "--format", "projector", "-o", folder)
    assert result.returncode == 1
    assert f"Error: cannot save to {folder / 'vectors.tsv'}: it is a FIFO" in result.stderr
    assert stat.S_ISFIFO(os.lstat(folder / "vectors.tsv").st_mode)
    assert sorted(p.name for p in folder.iterdir()) == ["vectors.tsv"]


# --- a full disk -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large_model_file(tmp_path_factory):
    """Vectors of 5,000 words: their text export (about 1 MB) cannot fit on the tiny disk."""
    path = tmp_path_factory.mktemp("large") / "large.w2v"
    model = w2v.Word2Vec(dim=16, min_count=1, epochs=1)
    model.build_vocab([[f"w{i}" for i in range(5_000)]])
    model.save(path)
    return path


@pytest.mark.parametrize("command", ["export", "plot"])
def test_a_full_disk_is_one_line_and_keeps_the_old_file(large_model_file, tiny_disk, command):
    target = tiny_disk / ("vectors.txt" if command == "export" else "map.png")
    target.write_bytes(b"the previous file")
    (tiny_disk / "filler").write_bytes(bytes(150_000))  # leaves room for less than 50 KB
    args = (["export", large_model_file, "--format", "word2vec-text", "-o", target]
            if command == "export" else
            ["plot", large_model_file, "--top", "50", "--method", "pca", "-o", target])
    result = w2v_cli(*args)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: nothing was saved to {target}: No space left on device (free some space, or "
        "save elsewhere); the previous file is unchanged")
    assert "Traceback" not in result.stderr
    assert target.read_bytes() == b"the previous file"
    assert temp_files(tiny_disk) == []


# --- kill -9 and Ctrl-C in the middle of a save -------------------------------------------


def start_export_and_wait_for_its_temporary_file(model, target):
    process = subprocess.Popen(W2V + ["export", str(model), "--format", "word2vec-text",
                                      "-o", str(target)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not temp_files(target.parent):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"the export never started writing: {process.communicate()[1]}")
        time.sleep(0.005)
    return process


@pytest.fixture(scope="module")
def slow_model_file(tmp_path_factory):
    """Vectors of 40,000 words x 50: their text export takes about a second."""
    path = tmp_path_factory.mktemp("slow") / "slow.w2v"
    model = w2v.Word2Vec(dim=50, min_count=1, epochs=1)
    model.build_vocab([[f"w{i}" for i in range(40_000)]])
    model.save(path)
    return path


def test_an_export_killed_midway_is_cleaned_up_by_the_next(slow_model_file, tmp_path):
    target = tmp_path / "vectors.txt"
    target.write_bytes(b"the previous file")
    process = start_export_and_wait_for_its_temporary_file(slow_model_file, target)
    try:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
    assert len(temp_files(tmp_path)) == 1  # what kill -9 leaves
    assert target.read_bytes() == b"the previous file"
    result = w2v_cli("export", slow_model_file, "--format", "word2vec-text", "-o", target,
                     timeout=120)
    assert result.returncode == 0, result.stderr
    assert temp_files(tmp_path) == []
    assert len(w2v.load_vectors(target)) == 40_000  # complete


def test_ctrl_c_during_an_export_keeps_the_old_file_and_no_temporary_file(slow_model_file,
                                                                          tmp_path):
    target = tmp_path / "vectors.txt"
    target.write_bytes(b"the previous file")
    process = start_export_and_wait_for_its_temporary_file(slow_model_file, target)
    try:
        process.send_signal(signal.SIGINT)
        stderr = process.communicate(timeout=30)[1]
    finally:
        process.kill()
    assert process.returncode == 130 and "Traceback" not in stderr, stderr
    assert target.read_bytes() == b"the previous file"
    assert temp_files(tmp_path) == []
