"""Atomic file writes: the file at ``path`` is either the old one or the
complete new one, never a half-written mix, whatever happens mid-write
(a crash, Ctrl-C, ``kill -9``, a full disk).

Only regular files are ever replaced. A rename over a device, a FIFO or a
symbolic link would silently turn it into a regular file (as root, ``-o
/dev/null`` would destroy the device node), so such targets are refused.

The data goes to a temporary ``.NAME.w2v-XXXXXXXX.tmp`` beside the target, held
under an exclusive ``flock`` until it is renamed. A save killed with ``kill
-9`` leaves its temporary file behind; the next save of the same target
removes every such file whose lock it can take, which is never one that
another living process is still writing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from pathlib import Path

from .errors import OutputError

try:
    import fcntl
except ImportError:  # not POSIX: no locks, so leftovers are never judged stale
    fcntl = None

# Only names that w2v makes (8 hex digits after a "w2v-" mark) are ever judged
# stale: a user's own ".NAME.backup01.tmp" must never be removed.
_TEMP_TAIL = re.compile(r"\.w2v-[0-9a-f]{8}\.tmp")
_TEMP_EXTRA_BYTES = len(".") + len(".w2v-12345678.tmp")

_KINDS = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket")]


def check_target(path) -> None:
    """Check, before any work, that ``atomic_write(path)`` can succeed.

    Parameters
    ----------
    path : str or Path

    Raises
    ------
    OutputError
        ``path`` exists but is not a regular file (a folder, a FIFO, a device,
        a socket, a symbolic link), or is read-only; or its folder does not
        exist, is not a folder, or is not writable.
    """
    path = Path(path)
    if "\0" in str(path):  # os calls would raise ValueError
        raise OutputError(f"cannot save to {str(path)!r}: the name holds a NUL character",
                          path=path, reason="the name holds a NUL character")
    problem = _not_a_regular_file(path)
    if problem is None and os.path.lexists(path) and not os.access(path, os.W_OK):
        problem = "it is read-only"
    if problem is None:
        problem = _folder_problem(_folder(path))
    if problem is None:
        problem = _name_problem(path)
    if problem is not None:
        raise OutputError(f"cannot save to {path}: {problem}", path=path, reason=problem)


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb"):
    """Write to a temporary file beside ``path``; on success, flush it to disk
    and rename it over ``path`` (``os.replace`` is atomic on POSIX); on any
    error, remove it and leave ``path`` untouched.

    Raises
    ------
    OutputError
        ``path`` cannot be a target (see ``check_target``), or writing failed
        (a full disk, a quota, an I/O error): nothing was saved. Other
        exceptions (``KeyboardInterrupt`` too) propagate unchanged, with the
        temporary file removed all the same.
    """
    path = Path(path)
    check_target(path)
    folder = _folder(path)
    _remove_stale_temps(folder, path.name)
    fd, tmp_path = _create_locked_temp(path, folder)
    try:
        # The lock lives as long as ``fd``: keep it open until after the rename,
        # or another save could take the finished file for a dead one.
        with os.fdopen(os.dup(fd), mode) as handle:
            yield handle
            handle.flush()
            # The temporary file is private (0600); give it the permissions a
            # plain open() would have, or keep those of the file it replaces.
            os.fchmod(handle.fileno(), _permissions_for(path))
            os.fsync(handle.fileno())
        problem = _not_a_regular_file(path)  # again: something may have appeared meanwhile
        if problem is not None:
            raise OutputError(f"cannot save to {path}: {problem}", path=path, reason=problem)
        os.replace(tmp_path, path)
    except BaseException as error:  # Ctrl-C too: no temporary file is left behind
        _discard(tmp_path)
        if isinstance(error, OSError) and not isinstance(error, OutputError):
            raise _not_saved(path, error) from None
        raise
    finally:
        os.close(fd)
    _sync_folder(folder)  # make the rename itself durable


def _folder(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _not_a_regular_file(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file, else None."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None  # nothing there yet; a folder that is a file is _folder_problem's
    except OSError as error:  # a name too long, a folder that cannot be searched...
        return error.strerror or str(error)
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return (f"it is a symbolic link to {os.readlink(path)}; "
                "name the file itself, or remove the link")
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"it is {kind}, and w2v saves only to regular files"


def _folder_problem(folder: Path) -> str | None:
    if not folder.exists():
        return f"folder {folder} does not exist"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"folder {folder} is not writable"
    return None


def _name_problem(path: Path) -> str | None:
    """The temporary name is longer than the target's: it must fit too."""
    try:
        limit = os.pathconf(_folder(path), "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    if len(os.fsencode(path.name)) + _TEMP_EXTRA_BYTES > limit:
        return f"the file name is too long (at most {limit - _TEMP_EXTRA_BYTES} bytes here)"
    return None


def _create_locked_temp(path: Path, folder: Path) -> tuple[int, Path]:
    """A new, empty, exclusively locked temporary file beside ``path``."""
    while True:
        tmp_path = folder / f".{path.name}.w2v-{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        except OSError as error:
            raise _not_saved(path, error) from None
        if _lock(fd, blocking=True) and not _same_file(fd, tmp_path):
            # Between creating and locking it, another save took it for a dead
            # one's and removed it: start again with a new name.
            os.close(fd)
            continue
        return fd, tmp_path


def _remove_stale_temps(folder: Path, name: str) -> None:
    """Remove the temporary files of saves of ``name`` that died (their lock is free)."""
    if fcntl is None:
        return
    prefix = f".{name}"
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        tail = entry.name[len(prefix):]
        if not (entry.name.startswith(prefix) and _TEMP_TAIL.fullmatch(tail)):
            continue
        with contextlib.suppress(OSError):
            if not entry.is_file(follow_symlinks=False):
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                # A living save holds its lock; unlink under our lock, and only
                # the very file locked (not one created since under that name).
                if _lock(fd, blocking=False) and _same_file(fd, entry.path):
                    os.unlink(entry.path)
            finally:
                os.close(fd)


def _lock(fd: int, blocking: bool) -> bool:
    """Take an exclusive lock on ``fd``; False if it is held elsewhere or
    locks are not supported here (then nothing is judged stale)."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        return True
    except OSError:
        return False


def _same_file(fd: int, name) -> bool:
    try:
        at_name, opened = os.lstat(name), os.fstat(fd)
    except OSError:
        return False
    return (at_name.st_dev, at_name.st_ino) == (opened.st_dev, opened.st_ino)


def _discard(tmp_path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp_path)


def _not_saved(path: Path, error: OSError) -> OutputError:
    """The one error every failed write becomes, naming the target and the reason."""
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        reason += " (free some space, or save elsewhere)"
    kept = "; the previous file is unchanged" if os.path.lexists(path) else ""
    return OutputError(f"nothing was saved to {path}: {reason}{kept}", path=path, reason=reason,
                       errno=error.errno)


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _permissions_for(path: Path) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask. Linux tells it in /proc; elsewhere it can only be
    read by setting it, which briefly changes it for every thread."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    umask = os.umask(0o077)
    os.umask(umask)
    return umask
