"""Finding and opening what w2v reads: files, folders of them, standard input,
pipes and FIFOs, compressed or not, having checked that the data is text.

`w2v.corpus` turns what is opened here into sentences, `w2v.sessions` into
baskets and sessions.

- A folder is searched recursively, following symbolic links to folders,
  and each real folder and file is read once (`list_corpus`).
- ``-`` means standard input. A FIFO is opened without blocking: while no
  program writes to it, one warning says what w2v waits for (`open_bytes`).
- Compression (gzip, bzip2, xz) is recognised by the first bytes, and data
  that is not UTF-8 text is refused with one line saying what it seems to
  be (`open_decompressed`, `check_not_binary`). Both looks read the stream
  once, so they work on pipes.
- A stream that can be read only once is copied to a temporary file for
  reading once per epoch (`Spool`), within the room that TMPDIR has.
"""

from __future__ import annotations

import bz2
import codecs
import errno
import gzip
import io
import lzma
import os
import re
import select
import stat
import sys
import tempfile
import threading
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import CorpusError

__all__ = ["BINARY_CHECK_BYTES", "FIFO_PATIENCE_SECONDS", "Listing", "MAX_UNREADABLE_SHARE",
           "READ_ERRORS", "STDIN", "Spool", "check_not_binary", "corpus_files", "display_name",
           "format_size", "is_special", "is_stdin", "list_corpus", "open_bytes",
           "open_decompressed", "open_text", "wait_for_writer"]

#: The path that means standard input.
STDIN = "-"
#: How many bytes at the start of a file `check_not_binary` looks at.
BINARY_CHECK_BYTES = 1 << 16
#: Data whose first bytes are more than this share of invalid UTF-8 and
#: control characters is not text. Random bytes are about 60%; text in
#: Latin-1 or Windows-1252 a few percent; single-byte Cyrillic or Greek
#: encodings, mangled beyond use if read as UTF-8, 60 to 80%.
MAX_UNREADABLE_SHARE = 0.25
#: What the stdlib decompressors raise on corrupt or truncated data.
READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)
#: Seconds a FIFO may stay silent before w2v says that it is waiting for it.
FIFO_PATIENCE_SECONDS = 1.0
#: A copy of a stream stops before the free space of TMPDIR's file system
#: falls below this share of it, or this many bytes if fewer: the rest is
#: for the other programs that need the disk.
SPOOL_RESERVE_SHARE = 0.05
SPOOL_RESERVE_BYTES = 1 << 30
#: Bytes copied between two looks at the free space.
SPOOL_CHECK_BYTES = 4 << 20

_REPLACEMENT_CHAR = "\ufffd"
# Control characters that text does not hold (whitespace ones excepted).
_CONTROL_BYTES = bytes([*range(0x01, 0x09), *range(0x0E, 0x20), 0x7F])
_SPOOL_BLOCK_BYTES = 1 << 20
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}

# Compressed formats are recognised by their first bytes, so a misnamed file
# still reads; the file name decides only when no signature matches (the
# legacy .lzma format has none).
_OPENER_BY_SIGNATURE: tuple[tuple[re.Pattern, Callable], ...] = (
    (re.compile(rb"\x1f\x8b\x08"), lambda data: gzip.GzipFile(fileobj=data, mode="rb")),
    # "BZh", block size digit, then the magic of a first block or of an empty stream.
    (re.compile(rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)"), bz2.BZ2File),
    (re.compile(rb"\xfd7zXZ\x00"), lzma.LZMAFile),
)
_SIGNATURE_BYTES = 10
_OPENER_BY_SUFFIX: dict[str, Callable] = {
    ".gz": _OPENER_BY_SIGNATURE[0][1],
    ".bz2": bz2.BZ2File,
    ".xz": lzma.LZMAFile,
    ".lzma": lzma.LZMAFile,
}

# Formats people hand to w2v by mistake, by their first bytes: what the file
# is, and what to do instead.
_KNOWN_FORMATS: tuple[tuple[bytes, str, str], ...] = (
    (b"PAR1", "an Apache Parquet file", "w2v reads Parquet files as corpora and interaction "
     "tables when they are named, not through a pipe (their index is at the end); "
     "elsewhere, export the table as CSV or TSV"),
    (b"PK\x03\x04", "a zip archive (or .xlsx, .docx, a w2v model)",
     "unzip it, or export the data as CSV or text"),
    (b"PK\x05\x06", "an empty zip archive", "unzip it, or export the data as CSV or text"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office file (.xls, .doc)",
     "export the data as CSV or text"),
    (b"SQLite format 3\x00", "an SQLite database", "export the table as CSV"),
    (b"ARROW1", "an Apache Arrow (Feather) file", "w2v reads Arrow files as corpora and "
     "interaction tables when they are named, not through a pipe (their index is at the end); "
     "elsewhere, export the table as CSV or TSV"),
    (b"FEA1", "a Feather version 1 file", "write it again as Feather version 2 or Parquet "
     "(pyarrow.feather.write_feather), which w2v reads"),
    (b"\x93NUMPY", "a NumPy array", "w2v reads text"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "w2v reads text"),
    (b"\xff\xd8\xff", "a JPEG image", "w2v reads text"),
    (b"GIF87a", "a GIF image", "w2v reads text"),
    (b"GIF89a", "a GIF image", "w2v reads text"),
    (b"%PDF-", "a PDF document", "extract its text first (e.g. with pdftotext)"),
    (b"\x7fELF", "an executable", "w2v reads text"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "unpack it first"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data",
     "decompress it first (zstd -d); w2v reads gzip, bzip2 and xz itself"),
    (b"\x04\x22\x4d\x18", "lz4-compressed data",
     "decompress it first (lz4 -d); w2v reads gzip, bzip2 and xz itself"),
    (b"\xff\xfe\x00\x00", "UTF-32 text", "convert it: iconv -f UTF-32 -t UTF-8"),
    (b"\xff\xfe", "UTF-16 text", "convert it: iconv -f UTF-16 -t UTF-8"),
    (b"\xfe\xff", "UTF-16 text", "convert it: iconv -f UTF-16 -t UTF-8"),
)


# --- finding the files of a corpus ---------------------------------------------------


@dataclass
class Listing:
    """The files of a corpus, and what its folder held that is not read.

    Attributes
    ----------
    files : list of pathlib.Path
        In path order, component by component, so a folder's files stay together.
    special : int
        Entries that are neither files nor folders (FIFOs, sockets, devices):
        reading one can block forever or never end.
    repeated : int
        Entries that lead to a folder or file already listed (two links to
        one folder, a hard link) or to a folder that holds them (a link to
        ``.``, ``..`` or higher up: a cycle).
    broken : int
        Symbolic links that lead nowhere (or round in a loop of links).
    """

    files: list[Path] = field(default_factory=list)
    special: int = 0
    repeated: int = 0
    broken: int = 0


def corpus_files(path: str | os.PathLike) -> list[Path]:
    """List the files that make up a corpus.

    Parameters
    ----------
    path : str or path-like
        A file, ``"-"`` for standard input, or a folder, searched as
        `list_corpus` says.

    Returns
    -------
    list of pathlib.Path
        ``[path]`` for a file; for a folder its files sorted by path
        component by component, so a folder's files stay together.

    Raises
    ------
    CorpusError
        If ``path`` does not exist, a folder cannot be listed, or it holds no files.
    """
    return list_corpus(path).files


def list_corpus(path: str | os.PathLike) -> Listing:
    """The files of a corpus and what was left out of its folder.

    A folder is searched recursively. Files and folders whose name starts
    with ``.`` are skipped; so are entries that are not regular files
    (FIFOs, sockets, devices), symbolic links that lead nowhere, links to a
    folder that holds the link (``.``, ``..``, a folder above: a cycle), and
    entries leading to a folder or file that was already listed, so that no
    file is read twice. Other symbolic links to folders are followed,
    wherever they lead.

    Raises
    ------
    CorpusError
        If ``path`` does not exist, a folder cannot be listed, or it holds no files.
    """
    root = Path(path)
    if is_stdin(path):
        return Listing([root])
    if not root.exists():
        raise CorpusError(f"no such file or folder: {root}")
    if not root.is_dir():
        return Listing([root])
    listing = Listing()
    _walk(root, listing)
    if not listing.files:
        raise CorpusError(f"no files in folder {root} (hidden files are skipped"
                          f"{_left_out(listing)})")
    return listing


def _walk(root: Path, listing: Listing) -> None:
    """Add the files under ``root`` to ``listing``, depth first in name order
    (which is path order), each real folder and file once."""
    seen = {_identity(os.stat(root))}
    pending = [iter(_entries(root))]  # the entries still to visit, one iterator per folder
    while pending:
        entry = next(pending[-1], None)
        if entry is None:
            pending.pop()
            continue
        status = _status(entry, listing)
        if status is None:
            continue
        if _identity(status) in seen or _leads_up(entry, status):
            listing.repeated += 1
            continue
        seen.add(_identity(status))
        if stat.S_ISDIR(status.st_mode):
            pending.append(iter(_entries(Path(entry.path))))
        elif stat.S_ISREG(status.st_mode):
            listing.files.append(Path(entry.path))
        else:
            listing.special += 1


def _entries(folder: Path) -> list[os.DirEntry]:
    """The entries of ``folder`` that are not hidden, sorted by name."""
    try:
        with os.scandir(folder) as entries:
            return sorted((entry for entry in entries if not entry.name.startswith(".")),
                          key=lambda entry: entry.name)
    except OSError as error:
        raise CorpusError(f"cannot list the folder {folder}: {error.strerror or error}") from error


def _status(entry: os.DirEntry, listing: Listing) -> os.stat_result | None:
    """What ``entry`` leads to; None, counted, for a link to nothing."""
    try:
        return entry.stat()  # follows symbolic links
    except OSError as error:
        if entry.is_symlink():
            listing.broken += 1
            return None
        if error.errno == errno.ENOENT:
            return None  # removed since the folder was listed: no longer in the corpus
        raise CorpusError(f"cannot read {entry.path}: {error.strerror or error}") from error


def _leads_up(entry: os.DirEntry, status: os.stat_result) -> bool:
    """Whether ``entry`` is a link to a folder that holds the link itself
    (``.``, ``..``, any folder above): following it would walk the tree again
    from above, and read what is beside the corpus."""
    if not (stat.S_ISDIR(status.st_mode) and entry.is_symlink()):
        return False
    target = os.path.realpath(entry.path)
    here = os.path.realpath(os.path.dirname(entry.path))
    return here == target or here.startswith(target.rstrip(os.sep) + os.sep)


def _identity(status: os.stat_result) -> tuple[int, int]:
    return status.st_dev, status.st_ino


def _left_out(listing: Listing) -> str:
    parts = [(listing.special, "that are not regular files"),
             (listing.broken, "links to nothing"),
             (listing.repeated, "links to a folder or file already read")]
    return "".join(f", and {count:,} {what}" for count, what in parts if count)


def is_stdin(path) -> bool:
    return os.fspath(path) == STDIN


def is_special(path) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a folder."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # a broken link, say: opening it will say what is wrong
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def display_name(path) -> str:
    """``path`` as messages name it."""
    return "standard input" if is_stdin(path) else str(path)


# --- opening ---------------------------------------------------------------------------


def open_bytes(path: str | os.PathLike) -> io.BufferedReader:
    """Open a file, a FIFO or standard input (``"-"``) once, for reading its
    bytes as they are (neither decompressed nor checked).

    A FIFO is opened without waiting for a program to open it for writing,
    then its first data is waited for as `wait_for_writer` says: the wait is
    never silent, and Ctrl-C (or SIGTERM) ends it at once. So is a pipe on
    standard input. Standard input that is a terminal is read after a
    warning that says how to end it. Closing the stream returned for ``"-"``
    leaves the process's standard input open.

    Raises
    ------
    CorpusError
        If ``path`` cannot be opened or is a folder.
    """
    name = display_name(path)
    try:
        if is_stdin(path):
            return _open_stdin()
        # Non-blocking, so that a FIFO opens before it has a writer; files and
        # devices open as they would otherwise.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise CorpusError(f"cannot open {name}: {error.strerror or error}") from error
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise CorpusError(f"cannot open {name}: it is a folder")
        if stat.S_ISFIFO(mode):
            wait_for_writer(fd, f"the FIFO {name}")
        os.set_blocking(fd, True)
        return open(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def wait_for_writer(fd: int, what: str, patience: float = FIFO_PATIENCE_SECONDS) -> None:
    """Wait until the FIFO or pipe open on ``fd`` has data to read or has
    been closed by its writer, saying so if that takes long.

    When nothing comes within ``patience`` seconds, one warning says what
    w2v is waiting for, ``waiting for a program to write to WHAT (Ctrl-C to
    stop)``, ``what`` being ``"the FIFO NAME"`` or ``"standard input"``; the
    wait goes on. A signal whose handler raises (Ctrl-C's
    ``KeyboardInterrupt``, the CLI's SIGTERM) ends it at once. A FIFO should
    have been opened with ``O_NONBLOCK`` so that the open did not wait:
    Linux then reports no hang-up before a writer came, and one once a
    writer came and went, after which reading gives the end of the file.
    """
    if not hasattr(select, "poll"):
        return  # no poll() here: the first read waits, silently
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    if poller.poll(patience * 1000):
        return
    warnings.warn(f"waiting for a program to write to {what} (Ctrl-C to stop)", stacklevel=2)
    poller.poll()


def _open_stdin() -> io.BufferedReader:
    # A duplicate, so that closing the stream leaves the process's stdin open.
    fd = os.dup(_stdin_fd())
    try:
        if os.isatty(fd):
            warnings.warn("reading standard input from the terminal: type the text, then "
                          "Ctrl-D (Ctrl-C to stop)", stacklevel=3)
        elif stat.S_ISFIFO(os.fstat(fd).st_mode):
            wait_for_writer(fd, "standard input")  # a pipe: poll() needs no O_NONBLOCK
        return open(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _stdin_fd() -> int:
    if sys.stdin is None:  # started with stdin closed: fd 0 may be any file Python opened since
        raise OSError(errno.EBADF, "standard input is closed")
    try:
        return sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        raise OSError(errno.EBADF, "sys.stdin is not a file here (a notebook, a test runner?)") \
            from None


def open_decompressed(path: str | os.PathLike) -> io.BufferedIOBase:
    """Open a data file for reading its bytes, decompressed if needed,
    having refused data that is not text (see `check_not_binary`).

    The file is opened once (see `open_bytes`), so this works on pipes,
    FIFOs and standard input (``"-"``) too. The compression is recognised by
    the file's first bytes (gzip, bzip2, xz) or else by its suffix (``.gz``,
    ``.bz2``, ``.xz``, ``.lzma``).

    Returns
    -------
    binary stream
        The caller closes it. Damage in compressed data further on is
        reported when read, by the decompressor's own exception (one of
        ``READ_ERRORS``).

    Raises
    ------
    CorpusError
        If the file cannot be opened or read, or holds binary data.
    """
    return decompressed(open_bytes(path), display_name(path), Path(path).suffix.lower())


def open_text(path: str | os.PathLike) -> io.TextIOBase:
    """Open a corpus file as text, decompressing it if needed.

    As `open_decompressed`, then text is decoded as UTF-8 with invalid bytes
    replaced by U+FFFD, and ``\\r\\n`` and ``\\r`` line ends are read as ``\\n``.

    Parameters
    ----------
    path : str or path-like
        The file to open; ``"-"`` for standard input.

    Returns
    -------
    io.TextIOBase
        A text stream; the caller closes it.

    Raises
    ------
    CorpusError
        If the file cannot be opened or read, or holds binary data.
    """
    return io.TextIOWrapper(open_decompressed(path), encoding="utf-8", errors="replace")


def decompressed(raw, name: str, suffix: str) -> io.BufferedIOBase:
    """The decompressed bytes of ``raw`` after the binary check; closing the
    result closes ``raw``. Reads ``raw`` once: a seekable stream is rewound
    after the looks at its start, a pipe's first bytes are kept and replayed."""
    try:
        rewind = raw.seekable()
        head = read_up_to(raw, _SIGNATURE_BYTES, name)
        opener = _opener(head, suffix)
        source = _from_start(raw, head, rewind)
        data = opener(source) if opener else source
        sample = read_up_to(data, BINARY_CHECK_BYTES, name)
        check_not_binary(sample, name)
        data = _from_start(data, sample, rewind)
        return data if data is raw else _ClosingAlso(data, raw)
    except BaseException:
        raw.close()
        raise


def _from_start(stream, taken: bytes, rewind: bool):
    """``stream`` read again from its start, ``taken`` being what was read of it."""
    if rewind:
        stream.seek(0)  # a decompressor starts again from the beginning
        return stream
    return io.BufferedReader(_Replayed(taken, stream))


def _opener(head: bytes, suffix: str) -> Callable | None:
    """The decompressor for a file starting with ``head``, None if plain."""
    for signature, opener in _OPENER_BY_SIGNATURE:
        if signature.match(head):
            return opener
    return _OPENER_BY_SUFFIX.get(suffix)


def read_up_to(stream, size: int, name: str) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the stream (a pipe's
    reads may return less); a read error is a `CorpusError` naming ``name``."""
    parts, count = [], 0
    try:
        while count < size:
            part = stream.read(size - count)
            if not part:
                break
            parts.append(part)
            count += len(part)
    except READ_ERRORS as error:
        raise CorpusError(f"cannot read {name}: {str(error) or type(error).__name__}") from error
    return b"".join(parts)


class _Replayed(io.RawIOBase):
    """A stream that cannot be rewound, read from its start again: ``head``,
    the bytes already taken from ``rest``, then the rest."""

    def __init__(self, head: bytes, rest):
        self._head = head
        self._rest = rest
        self._read_rest = getattr(rest, "read1", rest.read)  # read1: what is there, without waiting

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            data, self._head = self._head[: len(buffer)], self._head[len(buffer) :]
        else:
            data = self._read_rest(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        super().close()
        self._rest.close()


class _ClosingAlso(io.BufferedIOBase):
    """``data``, whose closing also closes ``raw``: the decompressors leave
    a file object that they were given open."""

    def __init__(self, data, raw):
        self._data = data
        self._raw = raw

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._data.read(size)

    def read1(self, size: int = -1) -> bytes:
        return self._data.read1(size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._data.readline(size)

    def close(self) -> None:
        try:
            self._data.close()
        finally:
            self._raw.close()
            super().close()


# --- is it text? -------------------------------------------------------------------------


def check_not_binary(sample: bytes, name: str | os.PathLike) -> None:
    """Refuse data that is not UTF-8 text, judging by its first bytes.

    Data is refused when ``sample`` holds a NUL byte, when more than
    `MAX_UNREADABLE_SHARE` of it is invalid UTF-8 or control characters, or
    when it starts with the signature of a binary format (zip, PNG, ...).
    The message names the format when it is known and says what to do.

    Parameters
    ----------
    sample : bytes
        The first bytes of the (decompressed) data, e.g. `BINARY_CHECK_BYTES`.
    name : str or path-like
        The file, for the message.

    Raises
    ------
    CorpusError
        ``"<name> looks like a binary file (...); w2v reads UTF-8 text..."``
    """
    known = next((format_ for format_ in _KNOWN_FORMATS if sample.startswith(format_[0])), None)
    advice = ""
    if b"\x00" in sample:
        reason = "found NUL bytes"
    elif (unreadable := _unreadable_share(sample)) > MAX_UNREADABLE_SHARE:
        reason = f"{unreadable:.0%} of its first {len(sample):,} bytes are not UTF-8 text"
        advice = ": if it is text in another encoding, convert it (e.g. iconv -f CP1251 -t UTF-8)"
    elif known and not _looks_like_text(known[0]):
        reason = known[1]
    else:
        return
    if known:
        reason, advice = known[1], f": {known[2]}"
    raise CorpusError(f"{name} looks like a binary file ({reason}); w2v reads UTF-8 text{advice}")


def _unreadable_share(sample: bytes) -> float:
    """The share of ``sample``'s characters that are invalid UTF-8 or control characters."""
    # Not final: a character cut by the end of the sample is not invalid.
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(sample, final=False)
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return (text.count(_REPLACEMENT_CHAR) + controls) / max(len(text), 1)


def _looks_like_text(signature: bytes) -> bool:
    """Whether a signature could start a text file ("PAR1", "%PDF-"): then
    only the content decides."""
    try:
        return signature.decode("utf-8").isprintable()
    except UnicodeDecodeError:
        return False


# --- a copy of a stream that can be read only once ----------------------------------------


class Spool:
    """A copy, in an unnamed temporary file in TMPDIR, of a stream that can be
    read only once (standard input, a pipe, a FIFO, a device); any number of
    passes read it, each at its own position.

    The copy stops with a `CorpusError` before the free space of TMPDIR's
    file system falls below `SPOOL_RESERVE_SHARE` of it (or
    `SPOOL_RESERVE_BYTES`, if fewer), or when it would exceed ``max_bytes``:
    an endless stream (``yes | w2v train -``) cannot fill the disk.
    """

    def __init__(self, path, max_bytes: int | None = None):
        self.name = display_name(path)
        self.suffix = "" if is_stdin(path) else Path(path).suffix.lower()
        self.max_bytes = max_bytes
        self.size = 0  # bytes copied
        self._lock = threading.Lock()  # passes share the file's position
        self._folder = tempfile.gettempdir()
        try:
            self._file = tempfile.TemporaryFile()  # the OS deletes it when closed, even on a crash
        except OSError as error:
            raise CorpusError(f"cannot make a temporary file in {self._folder} (TMPDIR) to keep "
                              f"a copy of {self.name}: {error.strerror or error}; set TMPDIR to "
                              "a folder with room") from error
        try:
            with open_bytes(path) as source:
                self._copy(source)
        except BaseException:
            self._file.close()
            raise

    def _copy(self, source) -> None:
        head = read_up_to(source, BINARY_CHECK_BYTES, self.name)
        if _opener(head[:_SIGNATURE_BYTES], self.suffix) is None:
            # Now rather than on the first pass: /dev/zero or /dev/urandom never end.
            check_not_binary(head, self.name)
        block, next_check = head, SPOOL_CHECK_BYTES  # a small input is copied without a look
        try:
            while block:
                self._check_bound(len(block))
                if self.size >= next_check:
                    self._check_room()
                    next_check = self.size + SPOOL_CHECK_BYTES
                self._file.write(block)
                self.size += len(block)
                block = read_up_to(source, _SPOOL_BLOCK_BYTES, self.name)
            self._file.flush()
        except OSError as error:
            if error.errno in _NO_ROOM:
                raise CorpusError(
                    f"no room in TMPDIR ({self._folder}) for the copy of {self.name} that w2v "
                    f"reads once per epoch ({error.strerror}): {self._advice()}") from error
            raise CorpusError(f"cannot write the copy of {self.name} to {self._folder} (TMPDIR): "
                              f"{error.strerror or error}") from error

    def _check_bound(self, more: int) -> None:
        if self.max_bytes is not None and self.size + more > self.max_bytes:
            bound = format_size(self.max_bytes)
            raise CorpusError(f"{self.name} is longer than the {bound} that a copy of it may "
                              f"take (max_spool_bytes): {self._advice()}")

    def _check_room(self) -> None:
        """Stop before the next bytes copied could leave less than the reserve free."""
        try:
            disk = os.fstatvfs(self._file.fileno())
        except (OSError, AttributeError):
            return  # no way to tell: a full disk is still a clear error (ENOSPC)
        free, total = disk.f_bavail * disk.f_frsize, disk.f_blocks * disk.f_frsize
        reserve = min(total * SPOOL_RESERVE_SHARE, SPOOL_RESERVE_BYTES)
        if free - SPOOL_CHECK_BYTES < reserve:
            raise CorpusError(
                f"{self.name} is too long to copy to TMPDIR ({self._folder}): stopped after "
                f"reading {format_size(self.size)}, with {format_size(free)} left free there; "
                f"{self._advice()}")

    def _advice(self) -> str:
        return ("set TMPDIR to a folder with more room, or save the input to a regular file "
                "and train on that (a file is read once per epoch without a copy)")

    def open_text(self) -> io.TextIOBase:
        """A new pass over the copy, as text (see `open_text`)."""
        reader = io.BufferedReader(_SpoolReader(self._file, self._lock), _SPOOL_BLOCK_BYTES)
        return io.TextIOWrapper(decompressed(reader, self.name, self.suffix),
                                encoding="utf-8", errors="replace")

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        self._file.close()


class _SpoolReader(io.RawIOBase):
    """One pass over a spool's file, at a position of its own."""

    def __init__(self, file, lock: threading.Lock):
        self._file = file
        self._lock = lock
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        with self._lock:
            self._file.seek(self._position)
            count = self._file.readinto(buffer)
        self._position += count
        return count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence == io.SEEK_END:
            with self._lock:
                offset += self._file.seek(0, io.SEEK_END)
        self._position = max(offset, 0)
        return self._position

    def tell(self) -> int:
        return self._position


def format_size(nbytes: float) -> str:
    """``nbytes`` for people: 12.3 GB, 4.0 MB, 512 bytes."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.1f} {unit}"
    return f"{int(nbytes):,} bytes"
