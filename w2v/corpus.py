"""Stream sentences from text files without holding the corpus in memory.

A corpus is a UTF-8 text file, optionally compressed (gzip, bzip2, xz/lzma),
or a folder of such files. Each line is one sentence. Files are read in
chunks of characters rather than lines, because text8-style corpora are a
single line of hundreds of megabytes.

``-`` means standard input. Standard input, pipes, FIFOs and other files
that are not regular files can be read only once: `read_sentences` reads
them in a single pass, and `Corpus`, which is read once per epoch, keeps a
copy of them in a temporary file.
"""

import bz2
import codecs
import errno
import functools
import gzip
import io
import lzma
import os
import re
import stat
import sys
import tempfile
import threading
import weakref
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from w2v.errors import CorpusError, W2VError
from w2v.tokenize import SEPARATOR_RE, TOKEN_RUN_RE, tokenize, tokenize_lines

__all__ = ["BINARY_CHECK_BYTES", "CHUNK_CHARS", "Corpus", "MAX_CARRY_CHARS", "MAX_TOKEN_CHARS",
           "MAX_UNREADABLE_SHARE", "ReadStats", "STDIN", "check_not_binary", "corpus_files",
           "open_decompressed", "open_text", "read_sentences"]

#: The path that means standard input.
STDIN = "-"
#: Characters asked of the text stream per read.
CHUNK_CHARS = 1 << 20
#: An unfinished line longer than this is cut, between tokens, into pieces of
#: at most this many characters plus one; split() on pieces that fit in the
#: CPU caches makes reading a one-line corpus 1.5 to 2 times faster than on
#: 1 MiB pieces.
MAX_CARRY_CHARS = 1 << 16
#: Tokens longer than this (in characters, as yielded) are dropped and counted
#: in `ReadStats.long_tokens_dropped`, wherever they are: such a "word" is
#: data that is not text (base64, a hash run together) and would otherwise
#: have to be held whole however long it is. Never more than `MAX_CARRY_CHARS`.
MAX_TOKEN_CHARS = 1 << 16
#: How many bytes at the start of a file `check_not_binary` looks at.
BINARY_CHECK_BYTES = 1 << 16
#: Data whose first bytes are more than this share of invalid UTF-8 and
#: control characters is not text. Random bytes are about 60%; text in
#: Latin-1 or Windows-1252 a few percent; single-byte Cyrillic or Greek
#: encodings, mangled beyond use if read as UTF-8, 60 to 80%.
MAX_UNREADABLE_SHARE = 0.25

_REPLACEMENT_CHAR = "\ufffd"
# Control characters that text does not hold (whitespace ones excepted).
_CONTROL_BYTES = bytes([*range(0x01, 0x09), *range(0x0E, 0x20), 0x7F])
# Separators next to which a cut cannot change str.lower's choice of final or
# medial sigma (see _is_barrier): whitespace and ASCII punctuation but ' . : ^ `.
_BARRIER_RE = re.compile(r"[\s!\"#$%&()*+,\-/;<=>?@\[\\\]{|}~]")
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
# What the stdlib decompressors raise on corrupt or truncated data.
READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)

# Formats people hand to w2v by mistake, by their first bytes: what the file
# is, and what to do instead.
_KNOWN_FORMATS: tuple[tuple[bytes, str, str], ...] = (
    (b"PAR1", "an Apache Parquet file",
     "w2v does not read Parquet yet: export the table as CSV or TSV"),
    (b"PK\x03\x04", "a zip archive (or .xlsx, .docx, a w2v model)",
     "unzip it, or export the data as CSV or text"),
    (b"PK\x05\x06", "an empty zip archive", "unzip it, or export the data as CSV or text"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office file (.xls, .doc)",
     "export the data as CSV or text"),
    (b"SQLite format 3\x00", "an SQLite database", "export the table as CSV"),
    (b"ARROW1", "an Apache Arrow (Feather) file", "export the table as CSV or TSV"),
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


@dataclass
class ReadStats:
    """Counts gathered while reading a corpus.

    They are updated as reading goes, so they are complete once the iterator
    is exhausted.

    Attributes
    ----------
    files : int
        Files opened.
    lines : int
        Lines read, empty ones included.
    sentences : int
        Sentences yielded.
    tokens : int
        Tokens yielded.
    long_lines_split : int
        Lines with more than ``max_sentence_length`` tokens, yielded as
        several sentences.
    long_tokens_dropped : int
        Tokens longer than `MAX_TOKEN_CHARS` characters, left out.
    special_files_skipped : int
        Entries of a folder corpus that are not regular files (FIFOs,
        sockets, devices), left out because reading one can block forever
        or never end.
    replaced_chars : int
        U+FFFD replacement characters in the decoded text, i.e. invalid UTF-8
        sequences. A U+FFFD that is genuinely in the file counts as well.
    """

    files: int = 0
    lines: int = 0
    sentences: int = 0
    tokens: int = 0
    long_lines_split: int = 0
    long_tokens_dropped: int = 0
    special_files_skipped: int = 0
    replaced_chars: int = 0


# --- finding and opening files -------------------------------------------------------


def corpus_files(path: str | os.PathLike) -> list[Path]:
    """List the files that make up a corpus.

    Parameters
    ----------
    path : str or path-like
        A file, ``"-"`` for standard input, or a folder that is searched
        recursively. Inside a folder, files and folders whose name starts
        with ``.`` are skipped, and so are entries that are not regular files
        (FIFOs, sockets, devices; see `ReadStats.special_files_skipped`).

    Returns
    -------
    list of pathlib.Path
        ``[path]`` for a file; for a folder its files sorted by path
        component by component, so a folder's files stay together.

    Raises
    ------
    CorpusError
        If ``path`` does not exist or the folder holds no files.
    """
    return _list_corpus(path)[0]


def _list_corpus(path) -> tuple[list[Path], int]:
    """The corpus's files, and how many special files of its folder were skipped."""
    root = Path(path)
    if _is_stdin(path):
        return [root], 0
    if not root.exists():
        raise CorpusError(f"no such file or folder: {root}")
    if not root.is_dir():
        return [root], 0
    files, special = [], 0
    for folder, subfolders, names in os.walk(root):
        # Pruning in place keeps os.walk out of .git and similar folders.
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if not name.startswith("."):
                file = Path(folder, name)
                if _is_special(file):
                    special += 1
                else:
                    files.append(file)
    if not files:
        skipped = f", and {special} that are not regular files" if special else ""
        raise CorpusError(f"no files in folder {root} (hidden files are skipped{skipped})")
    return sorted(files), special  # Path order compares component by component


def _is_stdin(path) -> bool:
    return os.fspath(path) == STDIN


def _is_special(path) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a folder."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # a broken link, say: opening it will say what is wrong
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _display_name(path) -> str:
    return "standard input" if _is_stdin(path) else str(path)


def _open_raw(path) -> io.BufferedIOBase:
    """Open ``path`` (or standard input for ``-``) once, for reading bytes."""
    try:
        if _is_stdin(path):
            # A duplicate, so that closing the stream leaves the process's stdin open.
            return open(os.dup(_stdin_fd()), "rb")
        return open(path, "rb")
    except OSError as error:
        raise CorpusError(f"cannot open {_display_name(path)}: {error.strerror or error}") from error


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

    The file is opened once, so this works on pipes and standard input
    (``"-"``) too. The compression is recognised by the file's first bytes
    (gzip, bzip2, xz) or else by its suffix (``.gz``, ``.bz2``, ``.xz``,
    ``.lzma``).

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
    name = _display_name(path)
    return _decompressed(_open_raw(path), name, Path(path).suffix.lower())


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


def _decompressed(raw, name: str, suffix: str) -> io.BufferedIOBase:
    """The decompressed bytes of ``raw`` after the binary check; closing the
    result closes ``raw``. Reads ``raw`` once: a seekable stream is rewound
    after the looks at its start, a pipe's first bytes are kept and replayed."""
    try:
        rewind = raw.seekable()
        head = _read_up_to(raw, _SIGNATURE_BYTES, name)
        opener = _opener(head, suffix)
        source = _from_start(raw, head, rewind)
        data = opener(source) if opener else source
        sample = _read_up_to(data, BINARY_CHECK_BYTES, name)
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


def _read_up_to(stream, size: int, name: str) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the stream (a pipe's
    reads may return less)."""
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


# --- reading sentences ---------------------------------------------------------------


def read_sentences(
    path: str | os.PathLike,
    *,
    lowercase: bool = True,
    max_sentence_length: int = 10_000,
    stats: ReadStats | None = None,
) -> Iterator[list[str]]:
    """Yield the sentences of a corpus file or folder, one list of tokens each.

    Every line is a sentence; lines without tokens yield nothing. A line
    with more than ``max_sentence_length`` tokens is yielded as consecutive
    sentences of ``max_sentence_length`` tokens, the last one shorter. Lines
    of any length are read in bounded memory and no token is split: a token
    longer than `MAX_TOKEN_CHARS` characters is left out and counted in
    ``stats.long_tokens_dropped``, every other token is yielded whole.

    A pipe, FIFO or standard input (``"-"``) is read once, as it is read:
    iterate over a `Corpus` to read one several times.

    Parameters
    ----------
    path : str or path-like
        A file, ``"-"`` or a folder, see `corpus_files`.
    lowercase : bool, default True
        Lower-case the tokens.
    max_sentence_length : int, default 10_000
        Most tokens in one yielded sentence.
    stats : ReadStats, optional
        Updated while reading; complete once the iterator is exhausted.

    Returns
    -------
    iterator of list of str

    Raises
    ------
    CorpusError
        At once if ``path`` is missing or an empty folder; while iterating
        if a file is binary, corrupt or unreadable.
    W2VError
        If ``max_sentence_length`` is less than 1.

    Notes
    -----
    The tokens yielded are those of `w2v.tokenize.tokenize` on the whole
    text, less the over-long ones, with one exception: where a line of more
    than `MAX_CARRY_CHARS` characters has to be cut next to a ``.``, ``'``,
    ``:`` (or another character that lower-casing looks through) because no
    whitespace or other punctuation is near, or next to a dropped token, a
    Greek capital sigma beside the cut may be lower-cased to its final form
    ``ς`` instead of ``σ`` or the other way round.
    """
    _check_max_sentence_length(max_sentence_length)
    files, special = _list_corpus(path)  # here, so a wrong path fails before iterating
    stats = ReadStats() if stats is None else stats
    stats.special_files_skipped += special
    sources = [(file, functools.partial(open_text, file)) for file in files]
    return _sentences(sources, lowercase, max_sentence_length, stats)


class Corpus:
    """A corpus that can be iterated over once per training epoch.

    A file or folder is read from disk on every pass. Standard input
    (``"-"``), a pipe, a FIFO or any other file that is not a regular file
    can be read only once: it is copied, in chunks, to a temporary file in
    TMPDIR when the Corpus is made, and every pass reads the copy. The copy
    is deleted when the Corpus is closed or garbage-collected.

    Parameters
    ----------
    path : str or path-like
        A file, ``"-"`` or a folder, see `corpus_files`.
    lowercase : bool, default True
        Lower-case the tokens.
    max_sentence_length : int, default 10_000
        Most tokens in one sentence; longer lines are split.

    Attributes
    ----------
    path : pathlib.Path
    stats : ReadStats
        Counts of the most recent pass, reset when a pass starts.

    Raises
    ------
    CorpusError
        If ``path`` is missing or an empty folder; for a stream that is
        copied, if it is binary, cannot be read, or TMPDIR has no room for it.
    W2VError
        If ``max_sentence_length`` is less than 1.
    """

    def __init__(
        self, path: str | os.PathLike, *, lowercase: bool = True, max_sentence_length: int = 10_000
    ):
        self.path = Path(path)
        self.lowercase = lowercase
        self.max_sentence_length = max_sentence_length
        self.stats = ReadStats()
        # Fail now rather than when training starts.
        _check_max_sentence_length(max_sentence_length)
        self._spool = None
        if _is_stdin(path) or _is_special(path):
            self._spool = _Spool(path)
            weakref.finalize(self, self._spool.close)
        else:
            corpus_files(self.path)

    def __iter__(self) -> Iterator[list[str]]:
        # Files are listed again on each pass, so every pass reads the folder as it is now.
        self.stats = ReadStats()
        if self._spool is None:
            return read_sentences(
                self.path,
                lowercase=self.lowercase,
                max_sentence_length=self.max_sentence_length,
                stats=self.stats,
            )
        if self._spool.closed:
            raise W2VError(f"{self!r} is closed: its copy of {self._spool.name} is deleted")
        sources = [(self._spool.name, self._spool.open_text)]
        return _sentences(sources, self.lowercase, self.max_sentence_length, self.stats)

    def close(self) -> None:
        """Delete the copy of a stream that was read once; a no-op for files."""
        if self._spool is not None:
            self._spool.close()

    def __enter__(self) -> "Corpus":
        return self

    def __exit__(self, *exception) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Corpus({str(self.path)!r})"


def _check_max_sentence_length(max_sentence_length: int) -> None:
    if max_sentence_length < 1:
        raise W2VError(f"max_sentence_length must be at least 1, got {max_sentence_length}")


class _Spool:
    """A copy, in an unnamed temporary file, of a stream that can be read only
    once; any number of passes read it, each at its own position."""

    def __init__(self, path):
        self.name = _display_name(path)
        self.suffix = "" if _is_stdin(path) else Path(path).suffix.lower()
        self._lock = threading.Lock()  # passes share the file's position
        folder = tempfile.gettempdir()
        try:
            self._file = tempfile.TemporaryFile()  # the OS deletes it when closed, even on a crash
        except OSError as error:
            raise CorpusError(f"cannot make a temporary file in {folder} (TMPDIR) to keep a copy of "
                              f"{self.name}: {error.strerror or error}; set TMPDIR to a folder "
                              "with room") from error
        try:
            with _open_raw(path) as source:
                self._copy(source, folder)
        except BaseException:
            self._file.close()
            raise

    def _copy(self, source, folder: str) -> None:
        head = _read_up_to(source, BINARY_CHECK_BYTES, self.name)
        if _opener(head[:_SIGNATURE_BYTES], self.suffix) is None:
            # Now rather than on the first pass: /dev/zero or /dev/urandom never end.
            check_not_binary(head, self.name)
        block = head
        try:
            while block:
                self._file.write(block)
                block = _read_up_to(source, _SPOOL_BLOCK_BYTES, self.name)
            self._file.flush()
        except OSError as error:
            if error.errno in _NO_ROOM:
                raise CorpusError(
                    f"no room in TMPDIR ({folder}) for the copy of {self.name} that w2v reads "
                    f"once per epoch ({error.strerror}): set TMPDIR to a folder with more "
                    "space, or save the input to a file and train on that") from error
            raise CorpusError(f"cannot write the copy of {self.name} to {folder} (TMPDIR): "
                              f"{error.strerror or error}") from error

    def open_text(self) -> io.TextIOBase:
        reader = io.BufferedReader(_SpoolReader(self._file, self._lock), _SPOOL_BLOCK_BYTES)
        return io.TextIOWrapper(_decompressed(reader, self.name, self.suffix),
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


def _sentences(
    sources: list, lowercase: bool, max_length: int, stats: ReadStats
) -> Iterator[list[str]]:
    """The sentences of each ``(name, open_text)`` source in turn."""
    for name, open_stream in sources:
        stats.files += 1
        with open_stream() as stream:
            yield from _sentences_in_stream(stream, name, lowercase, max_length, stats)


# Kinds of text block that _line_blocks yields.
_WHOLE_LINES = "whole lines"
_PIECE = "piece"  # the head of a line cut because it is too long to hold; the line goes on
_LAST_PIECE = "last piece"  # the rest of a cut line, up to its end


def _sentences_in_stream(
    stream: io.TextIOBase, name, lowercase: bool, max_length: int, stats: ReadStats
) -> Iterator[list[str]]:
    """Yield the sentences of one file, see `read_sentences`."""
    long_line = _LongLine(max_length)
    for text, kind in _line_blocks(stream, name, stats):
        if kind is _WHOLE_LINES:
            stats.lines += text.count("\n") + 1
            for tokens in _tokens_of_lines(text, lowercase, stats):
                if len(tokens) <= max_length:
                    if tokens:
                        stats.sentences += 1
                        stats.tokens += len(tokens)
                        yield tokens
                else:
                    yield from _counted(long_line.add(tokens), stats)
                    yield from _counted(long_line.finish(stats), stats)
        else:
            yield from _counted(long_line.add(_tokens_of_piece(text, lowercase, stats)), stats)
            if kind is _LAST_PIECE:
                stats.lines += 1
                yield from _counted(long_line.finish(stats), stats)


def _counted(sentences: list[list[str]], stats: ReadStats) -> Iterator[list[str]]:
    for sentence in sentences:
        stats.sentences += 1
        stats.tokens += len(sentence)
        yield sentence


def _token_bound() -> int:
    return max(min(MAX_TOKEN_CHARS, MAX_CARRY_CHARS), 1)


def _tokens_of_lines(text: str, lowercase: bool, stats: ReadStats) -> Iterator[list[str]]:
    """The tokens of each line of ``text``, over-long tokens dropped and counted."""
    if not _may_hold_long_token(text):
        return tokenize_lines(text, lowercase)  # the fast path, for nearly every block
    return (_without_long_tokens(tokenize(line, lowercase), stats) for line in text.split("\n"))


def _tokens_of_piece(text: str, lowercase: bool, stats: ReadStats) -> list[str]:
    tokens = tokenize(text, lowercase)
    return _without_long_tokens(tokens, stats) if _may_hold_long_token(text) else tokens


def _may_hold_long_token(text: str) -> bool:
    """False if no token of ``text`` can be longer than the bound once
    lower-cased; a few searches per megabyte, rather than a look at every token."""
    bound = _token_bound()
    # Lower-casing lengthens only "İ" (to "i̇"), so a token longer than the bound
    # comes from more than bound/2 characters, and any run of them that long
    # covers a whole aligned window of bound/4: a window free of separators.
    if len(text) <= bound // 2:
        return False
    window = max(bound // 4, 1)
    return any(SEPARATOR_RE.search(text, start, start + window) is None
               for start in range(0, len(text) - window + 1, window))


def _without_long_tokens(tokens: list[str], stats: ReadStats) -> list[str]:
    bound = _token_bound()
    if not tokens or max(map(len, tokens)) <= bound:
        return tokens
    kept = [token for token in tokens if len(token) <= bound]
    stats.long_tokens_dropped += len(tokens) - len(kept)
    return kept


class _LongLine:
    """Turns a line that comes in pieces, or is too long for one sentence,
    into sentences as its tokens arrive."""

    def __init__(self, max_length: int):
        self.max_length = max_length
        self.tokens: list[str] = []  # not yet in a sentence
        self.sentences = 0  # made so far from this line

    def add(self, tokens: list[str]) -> list[list[str]]:
        """Append the line's next tokens; return the sentences now complete."""
        if self.tokens:
            self.tokens += tokens
        else:
            self.tokens = tokens  # the caller's fresh list; spares a copy
        size = self.max_length
        full = len(self.tokens) - len(self.tokens) % size
        sentences = [self.tokens[start : start + size] for start in range(0, full, size)]
        del self.tokens[:full]
        self.sentences += len(sentences)
        return sentences

    def finish(self, stats: ReadStats) -> list[list[str]]:
        """End the line; return its last, shorter sentence if any."""
        sentences = [self.tokens] if self.tokens else []
        if self.sentences + len(sentences) > 1:
            stats.long_lines_split += 1
        self.tokens = []
        self.sentences = 0
        return sentences


def _line_blocks(stream: io.TextIOBase, name, stats: ReadStats) -> Iterator[tuple[str, str]]:
    """Yield the text of a stream as ``(text, kind)`` blocks of lines.

    A ``_WHOLE_LINES`` block is one or more lines without their final
    ``\\n``. A line longer than `MAX_CARRY_CHARS` comes as ``_PIECE`` blocks
    of at most that many characters plus one, each ending just after a
    separator (see `_cut_index`), then a ``_LAST_PIECE``. As no block ends
    inside a token, tokenizing blocks one by one gives the same tokens as
    whole lines. A run of more than `MAX_CARRY_CHARS` token characters, which
    no cut can keep whole, is one over-long token: it is skipped, however
    many chunks it spans, and counted.
    """
    carry = ""  # the unfinished last line of what was read so far
    line_is_cut = False
    dropping = False  # inside an over-long token whose start was skipped
    bound = max(MAX_CARRY_CHARS, 1)
    for chunk in _chunks(stream, name, stats):
        text = carry + chunk
        if dropping:
            skipped = TOKEN_RUN_RE.match(text).end()
            dropping = skipped == len(text)
            text = text[skipped:]
        end = text.rfind("\n")
        if end >= 0:
            start = 0
            if line_is_cut:
                start = text.index("\n") + 1
                yield text[: start - 1], _LAST_PIECE
                line_is_cut = False
            if start <= end:
                yield text[start:end], _WHOLE_LINES
            carry = text[end + 1 :]
        else:
            carry = text
        piece_start = 0  # always just after a separator or at the start of the line
        while len(carry) - piece_start > bound:
            line_is_cut = True
            cut = _cut_index(carry, piece_start, piece_start + bound + 1)
            if cut < 0:
                stats.long_tokens_dropped += 1
                piece_start = TOKEN_RUN_RE.match(carry, piece_start).end()
                dropping = piece_start == len(carry)
            else:
                yield carry[piece_start:cut], _PIECE
                piece_start = cut
        carry = carry[piece_start:]
    # The last line has no final newline.
    if line_is_cut:
        yield carry, _LAST_PIECE
    elif carry:
        yield carry, _WHOLE_LINES


def _cut_index(text: str, start: int, stop: int) -> int:
    """Index just after the last separator in ``text[start:stop]``, where a cut
    splits no token; -1 if that stretch is all token characters.

    A separator next to which lower-casing cannot change (see `_is_barrier`) is
    preferred when there is one among the last thousand characters or so:
    nearly always whitespace or a comma.
    """
    # Searching the reversed text finds the last separator in C, looking only
    # at the characters after it.
    backwards = text[start:stop][::-1]
    found = SEPARATOR_RE.search(backwards)
    if found is None:
        return -1
    if not _is_barrier(found.group()):
        # Not far back: the search would cost as much as tokenizing the piece.
        barrier = _BARRIER_RE.search(backwards, found.end(), found.end() + 1024)
        found = barrier or found
    return stop - found.start()


@functools.lru_cache(maxsize=4096)
def _is_barrier(char: str) -> bool:
    """Whether ``str.lower`` sees ``char`` as neither cased nor case-ignorable.

    Then text cut next to it lower-cases as it would whole: the only
    lower-casing that depends on context, Greek capital sigma's final form
    ``ς``, looks at the letters around it through case-ignorable characters
    (``.``, ``'``, ``:``, combining marks...) and stops at any other.
    Asked of Python itself, so it always agrees with ``str.lower``.
    """
    return ("AΣ" + char + "B").lower()[1] == "ς"


def _chunks(stream: io.TextIOBase, name, stats: ReadStats) -> Iterator[str]:
    """Yield the text of ``stream`` in chunks, turning read errors into `CorpusError`."""
    while True:
        try:
            chunk = stream.read(CHUNK_CHARS)
        except READ_ERRORS as error:
            reason = str(error) or type(error).__name__
            raise CorpusError(f"cannot read {name}: {reason}") from error
        if not chunk:
            return
        stats.replaced_chars += chunk.count(_REPLACEMENT_CHAR)
        yield chunk
