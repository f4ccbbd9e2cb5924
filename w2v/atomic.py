"""Atomic file writes: the file at ``path`` is either the old one or the
complete new one, never a half-written mix, whatever happens mid-write
(a crash, Ctrl-C, a full disk)."""

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb"):
    """Open a temporary file beside ``path``; on success, flush it to disk and
    rename it over ``path`` (``os.replace`` is atomic on POSIX and Windows);
    on any error, remove it and leave ``path`` untouched."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            # mkstemp makes the file private (0600); give it the permissions a
            # plain open() would have, or keep those of the file it replaces.
            os.fchmod(handle.fileno(), _permissions_for(path))
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    # Make the rename itself durable.
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _permissions_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
