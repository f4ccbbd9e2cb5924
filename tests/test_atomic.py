"""Atomic saves (w2v/atomic.py): only regular files are replaced, a failed or
killed save leaves the previous file intact and, by the next save, no
temporary file; a living save's temporary file is never taken for a dead one's."""

import errno
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest

import w2v
from w2v import atomic
from w2v.atomic import atomic_write, check_target
from w2v.errors import OutputError, W2VError


def save(path, data=b"new content"):
    with atomic_write(path) as handle:
        handle.write(data)


def temp_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- what a save does ------------------------------------------------------------------


def test_a_save_replaces_the_file_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "m.w2v"
    save(path, b"old")
    path.chmod(0o640)
    save(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert temp_files(tmp_path) == []


def test_a_new_file_gets_the_permissions_of_a_plain_open(tmp_path):
    old = os.umask(0o027)
    try:
        save(tmp_path / "m.w2v")
        with open(tmp_path / "plain", "wb"):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.w2v").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o640


# --- targets that are not regular files -------------------------------------------------


def make_fifo(path):
    os.mkfifo(path)


def make_socket(path):
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays


def make_device(path):
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    except PermissionError:
        pytest.skip("creating a device node needs root")


@pytest.mark.parametrize("make, kind, is_kind", [
    (make_fifo, "it is a FIFO (named pipe)", stat.S_ISFIFO),
    (make_socket, "it is a socket", stat.S_ISSOCK),
    (make_device, "it is a character device", stat.S_ISCHR),
    (os.mkdir, "it is a folder", stat.S_ISDIR),
])
def test_targets_that_are_not_regular_files_are_refused_and_kept(tmp_path, make, kind, is_kind):
    target = tmp_path / "target"
    make(target)
    for attempt in (check_target, save):
        with pytest.raises(OutputError, match=re.escape(f"cannot save to {target}: {kind}")):
            attempt(target)
    assert is_kind(os.lstat(target).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["target"]


@pytest.mark.parametrize("points_to", ["real.w2v", "missing.w2v"])
def test_a_symbolic_link_is_refused_and_what_it_points_to_kept(tmp_path, points_to):
    (tmp_path / "real.w2v").write_bytes(b"old")
    link = tmp_path / "link.w2v"
    link.symlink_to(tmp_path / points_to)
    with pytest.raises(OutputError, match=f"it is a symbolic link to {tmp_path / points_to}"):
        save(link)
    assert link.is_symlink() and (tmp_path / "real.w2v").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.w2v", "real.w2v"]


def test_a_target_that_turns_into_a_fifo_during_the_save_is_still_refused(tmp_path):
    path = tmp_path / "m.w2v"
    with pytest.raises(OutputError, match="it is a FIFO"):
        with atomic_write(path) as handle:
            handle.write(b"data")
            os.mkfifo(path)  # another program, between the first check and the rename
    assert stat.S_ISFIFO(os.lstat(path).st_mode)
    assert temp_files(tmp_path) == []


@pytest.mark.parametrize("name, message", [
    ("missing/m.w2v", "folder {tmp}/missing does not exist"),
    ("file.txt/m.w2v", "{tmp}/file.txt is not a folder"),
    ("x" * 250, "the file name is too long"),
    ("x" * 5000, "File name too long"),
    ("a\0b", "the name holds a NUL character"),
])
def test_check_target_refuses_what_a_save_would_fail_at(tmp_path, name, message):
    (tmp_path / "file.txt").write_text("")
    with pytest.raises(OutputError, match=message.format(tmp=tmp_path)):
        check_target(tmp_path / name)
    with pytest.raises(OutputError, match=message.format(tmp=tmp_path)):
        save(tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_check_target_refuses_folders_and_files_it_cannot_write(tmp_path, monkeypatch):
    # root may write anywhere, so os.access plays a user who may not
    (tmp_path / "locked").mkdir()
    (tmp_path / "read-only.w2v").write_bytes(b"old")
    refused = {str(tmp_path / "locked"), str(tmp_path / "read-only.w2v")}
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: str(p) not in refused and real_access(p, mode))
    with pytest.raises(OutputError, match="folder .*locked is not writable"):
        check_target(tmp_path / "locked" / "m.w2v")
    with pytest.raises(OutputError, match="read-only.w2v: it is read-only"):
        check_target(tmp_path / "read-only.w2v")
    check_target(tmp_path / "new.w2v")  # no error
    assert issubclass(OutputError, W2VError)


# --- failed saves: full disk, I/O errors, Ctrl-C -------------------------------------


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS])
@pytest.mark.parametrize("where", ["write", "fsync", "rename"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch, code,
                                                                  where):
    path = tmp_path / "m.w2v"
    save(path, b"old")
    failure = OSError(code, os.strerror(code))

    def fail(*args, **kwargs):
        raise failure
    if where != "write":
        monkeypatch.setattr(os, {"fsync": "fsync", "rename": "replace"}[where], fail)
    with pytest.raises(OutputError) as caught:
        with atomic_write(path) as handle:
            handle.write(b"new, half written")
            if where == "write":  # what a write to a full disk raises
                fail()
    message = str(caught.value)
    assert message.startswith(f"nothing was saved to {path}: {os.strerror(code)}")
    assert message.endswith("the previous file is unchanged")
    assert caught.value.path == path and caught.value.reason.startswith(os.strerror(code))
    assert isinstance(caught.value, OSError) and caught.value.errno == code
    assert path.read_bytes() == b"old"
    assert temp_files(tmp_path) == []


def test_ctrl_c_during_a_save_propagates_and_leaves_the_old_file(tmp_path):
    path = tmp_path / "m.w2v"
    save(path, b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(path) as handle:
            handle.write(b"new, half written")
            raise KeyboardInterrupt
    assert path.read_bytes() == b"old"
    assert temp_files(tmp_path) == []


def test_a_real_full_disk_leaves_the_old_file_and_frees_the_space(tiny_disk):
    path = tiny_disk / "m.w2v"
    save(path, b"old" * 10_000)
    with pytest.raises(OutputError, match=f"nothing was saved to {path}: No space left on device"):
        save(path, os.urandom(1 << 20))
    assert path.read_bytes() == b"old" * 10_000
    assert temp_files(tiny_disk) == []
    save(path, b"small enough")  # the space of the failed attempt was given back
    assert path.read_bytes() == b"small enough"


# --- saves killed midway, and saves still running -------------------------------------

SLOW_SAVE = """
import sys
from w2v.atomic import atomic_write
with atomic_write(sys.argv[1]) as handle:
    handle.write(b"first half, ")
    handle.flush()
    print("writing", flush=True)
    sys.stdin.readline()  # killed or interrupted here, or told to finish
    handle.write(b"second half")
print("saved", flush=True)
"""


def start_slow_save(path):
    process = subprocess.Popen([sys.executable, "-c", SLOW_SAVE, str(path)], text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline() == "writing\n", process.communicate(timeout=30)
    return process


def test_a_save_killed_midway_leaves_a_temporary_file_the_next_save_removes(tmp_path):
    path = tmp_path / "m.w2v"
    save(path, b"old")
    process = start_slow_save(path)
    try:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
    assert len(temp_files(tmp_path)) == 1  # what kill -9 leaves behind
    assert path.read_bytes() == b"old"
    save(path, b"complete")
    assert temp_files(tmp_path) == []
    assert path.read_bytes() == b"complete"


def test_a_save_still_running_elsewhere_keeps_its_temporary_file(tmp_path):
    path = tmp_path / "m.w2v"
    process = start_slow_save(path)
    try:
        (theirs,) = temp_files(tmp_path)
        save(path, b"ours")  # meanwhile, a second save of the same target
        assert temp_files(tmp_path) == [theirs]
        assert path.read_bytes() == b"ours"
        out, err = process.communicate("go\n", timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0 and out == "saved\n", err
    assert path.read_bytes() == b"first half, second half"  # the last rename wins
    assert temp_files(tmp_path) == []


def test_ctrl_c_in_a_real_process_mid_save_removes_its_temporary_file(tmp_path):
    path = tmp_path / "m.w2v"
    save(path, b"old")
    process = start_slow_save(path)
    try:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode in (130, -signal.SIGINT)
    assert "KeyboardInterrupt" in err  # propagated, not swallowed
    assert path.read_bytes() == b"old"
    assert temp_files(tmp_path) == []


MODEL_SAVER = """
import sys, w2v
model = w2v.Word2Vec(dim=100, min_count=1, epochs=1)
model.build_vocab([[f"w{i}" for i in range(50_000)]])
model.save(sys.argv[1])
print("saved", flush=True)
while True:
    model.save(sys.argv[1])
"""


def test_a_model_save_killed_midway_is_cleaned_up_by_the_next_save(tmp_path):
    path = tmp_path / "m.w2v"
    process = subprocess.Popen([sys.executable, "-c", MODEL_SAVER, str(path)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "saved\n"
        # Kill it while a temporary file exists, that is, inside a save.
        deadline = time.monotonic() + 10
        while not temp_files(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.001)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
    assert temp_files(tmp_path), "not killed inside a save"
    model = w2v.load(path)  # the previous save, complete
    model.save(path)
    assert temp_files(tmp_path) == []
    assert w2v.load(path).W_in_.shape == (50_000, 100)


def test_only_this_targets_dead_temporary_files_are_removed(tmp_path):
    keep = [".m.w2v.bak.w2v-abcd1234.tmp",  # the temporary file of another target, m.w2v.bak
            ".m.w2v.notes.tmp", "m.w2v.w2v-abcd1234.tmp", ".m.w2v.w2v-abcd1234.tmp.txt",
            ".m.w2v.userfile.tmp", ".m.w2v.abcd1234.tmp",  # a user's own, named alike
            ".m.w2v.w2v-ABCD1234.tmp"]
    for name in keep:
        (tmp_path / name).write_bytes(b"not ours")
    (tmp_path / ".m.w2v.w2v-abcd1234.tmp").write_bytes(b"a dead save's")
    (tmp_path / ".m.w2v.w2v-ffff0000.tmp").symlink_to(tmp_path / ".m.w2v.notes.tmp")
    save(tmp_path / "m.w2v")
    remaining = sorted(p.name for p in tmp_path.iterdir())
    assert remaining == sorted(keep + [".m.w2v.w2v-ffff0000.tmp", "m.w2v"])


def test_a_temporary_file_taken_for_a_dead_one_before_it_was_locked_is_made_again(
        tmp_path, monkeypatch):
    # Another save may find our file in the instant between creating and
    # locking it, take its lock and remove it: we must notice and start again.
    real_lock, calls = atomic._lock, []

    def lock_after_a_rival(fd, blocking):
        calls.append(fd)
        if len(calls) == 1:
            (name,) = temp_files(tmp_path)
            os.unlink(tmp_path / name)
        return real_lock(fd, blocking)
    monkeypatch.setattr(atomic, "_lock", lock_after_a_rival)
    save(tmp_path / "m.w2v", b"complete")
    assert len(calls) == 2
    assert (tmp_path / "m.w2v").read_bytes() == b"complete"
    assert temp_files(tmp_path) == []


def test_the_lock_is_held_until_after_the_rename(tmp_path, monkeypatch):
    # Released before the rename, a finished file could be taken for a dead save's.
    real_replace, held = os.replace, []

    def replace_while_checking_the_lock(source, target):
        fd = os.open(source, os.O_RDONLY)
        try:
            held.append(not atomic._lock(fd, blocking=False))
        finally:
            os.close(fd)
        real_replace(source, target)
    monkeypatch.setattr(os, "replace", replace_while_checking_the_lock)
    save(tmp_path / "m.w2v")
    assert held == [True]
