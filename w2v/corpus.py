"""Stream sentences from text files without holding the corpus in memory.

A corpus is a UTF-8 text file, optionally compressed (gzip, bzip2, xz/lzma),
or a folder of such files. Each line is one sentence. Files are read in
chunks of characters rather than lines, because text8-style corpora are a
single line of hundreds of megabytes.
"""

import bz2
import gzip
import io
import lzma
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from w2v.errors import CorpusError, W2VError
from w2v.tokenize import tokenize, tokenize_lines

__all__ = ["Corpus", "ReadStats", "corpus_files", "open_text", "read_sentences"]

#: Characters asked of the text stream per read.
CHUNK_CHARS = 1 << 20
#: An unfinished line longer than this is cut, at whitespace, into pieces of
#: at most this many characters; split() on pieces that fit in the CPU caches
#: makes reading a one-line corpus 1.5 to 2 times faster than on 1 MiB pieces.
MAX_CARRY_CHARS = 1 << 16

_REPLACEMENT_CHAR = "\ufffd"
_WHITESPACE_RE = re.compile(r"\s")

# Compressed formats are recognised by their first bytes, so a misnamed file
# still reads; the file name decides only when no signature matches (the
# legacy .lzma format has none).
_OPENER_BY_SIGNATURE: tuple[tuple[re.Pattern, Callable], ...] = (
    (re.compile(rb"\x1f\x8b\x08"), gzip.open),
    # "BZh", block size digit, then the magic of a first block or of an empty stream.
    (re.compile(rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)"), bz2.open),
    (re.compile(rb"\xfd7zXZ\x00"), lzma.open),
)
_SIGNATURE_BYTES = 10
_OPENER_BY_SUFFIX: dict[str, Callable] = {
    ".gz": gzip.open,
    ".bz2": bz2.open,
    ".xz": lzma.open,
    ".lzma": lzma.open,
}
# What the stdlib decompressors raise on corrupt or truncated data.
READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError)


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
    replaced_chars : int
        U+FFFD replacement characters in the decoded text, i.e. invalid UTF-8
        sequences. A U+FFFD that is genuinely in the file counts as well.
    """

    files: int = 0
    lines: int = 0
    sentences: int = 0
    tokens: int = 0
    long_lines_split: int = 0
    replaced_chars: int = 0


def corpus_files(path: str | os.PathLike) -> list[Path]:
    """List the files that make up a corpus.

    Parameters
    ----------
    path : str or path-like
        A file, or a folder that is searched recursively. Files and folders
        whose name starts with ``.`` are skipped inside a folder.

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
    root = Path(path)
    if not root.exists():
        raise CorpusError(f"no such file or folder: {root}")
    if not root.is_dir():
        return [root]
    files = []
    for folder, subfolders, names in os.walk(root):
        # Pruning in place keeps os.walk out of .git and similar folders.
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        files.extend(Path(folder, name) for name in names if not name.startswith("."))
    if not files:
        raise CorpusError(f"no files in folder {root} (hidden files are skipped)")
    return sorted(files)  # Path order compares component by component


def open_text(path: str | os.PathLike) -> io.TextIOBase:
    """Open a corpus file as text, decompressing it if needed.

    The compression is recognised by the file's first bytes (gzip, bzip2,
    xz) or else by its suffix (``.gz``, ``.bz2``, ``.xz``, ``.lzma``).
    Text is decoded as UTF-8 with invalid bytes replaced by U+FFFD, and
    ``\\r\\n`` and ``\\r`` line ends are read as ``\\n``.

    Parameters
    ----------
    path : str or path-like
        The file to open.

    Returns
    -------
    io.TextIOBase
        A text stream; the caller closes it. Corrupt compressed data is
        reported when read, by the decompressor's own exception.

    Raises
    ------
    CorpusError
        If the file cannot be opened.
    """
    path = Path(path)
    try:
        with open(path, "rb") as raw:
            head = raw.read(_SIGNATURE_BYTES)
    except OSError as error:
        raise CorpusError(f"cannot open {path}: {error.strerror or error}") from error
    opener = next(
        (opener for signature, opener in _OPENER_BY_SIGNATURE if signature.match(head)),
        _OPENER_BY_SUFFIX.get(path.suffix.lower(), open),
    )
    return opener(path, "rt", encoding="utf-8", errors="replace")


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
    of any length are read in bounded memory and no token is lost or split.

    Parameters
    ----------
    path : str or path-like
        A file or a folder, see `corpus_files`.
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
    """
    _check_max_sentence_length(max_sentence_length)
    files = corpus_files(path)  # here, so a wrong path fails before iterating
    return _sentences_in_files(
        files, lowercase, max_sentence_length, ReadStats() if stats is None else stats
    )


class Corpus:
    """A corpus on disk that can be iterated over once per training epoch.

    Parameters
    ----------
    path : str or path-like
        A file or a folder, see `corpus_files`.
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
        If ``path`` is missing or an empty folder.
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
        corpus_files(self.path)

    def __iter__(self) -> Iterator[list[str]]:
        # Files are listed again on each pass, so every pass reads the folder as it is now.
        self.stats = ReadStats()
        return read_sentences(
            self.path,
            lowercase=self.lowercase,
            max_sentence_length=self.max_sentence_length,
            stats=self.stats,
        )

    def __repr__(self) -> str:
        return f"Corpus({str(self.path)!r})"


def _check_max_sentence_length(max_sentence_length: int) -> None:
    if max_sentence_length < 1:
        raise W2VError(f"max_sentence_length must be at least 1, got {max_sentence_length}")


def _sentences_in_files(
    files: list[Path], lowercase: bool, max_length: int, stats: ReadStats
) -> Iterator[list[str]]:
    for path in files:
        stats.files += 1
        yield from _sentences_in_file(path, lowercase, max_length, stats)


# Kinds of text block that _line_blocks yields.
_WHOLE_LINES = "whole lines"
_PIECE = "piece"  # the head of a line cut because it is too long to hold; the line goes on
_LAST_PIECE = "last piece"  # the rest of a cut line, up to its end


def _sentences_in_file(
    path: Path, lowercase: bool, max_length: int, stats: ReadStats
) -> Iterator[list[str]]:
    """Yield the sentences of one file, see `read_sentences`."""
    long_line = _LongLine(max_length)
    for text, kind in _line_blocks(path, stats):
        if kind is _WHOLE_LINES:
            stats.lines += text.count("\n") + 1
            for tokens in tokenize_lines(text, lowercase):
                if len(tokens) <= max_length:
                    if tokens:
                        stats.sentences += 1
                        stats.tokens += len(tokens)
                        yield tokens
                else:
                    yield from _counted(long_line.add(tokens), stats)
                    yield from _counted(long_line.finish(stats), stats)
        else:
            yield from _counted(long_line.add(tokenize(text, lowercase)), stats)
            if kind is _LAST_PIECE:
                stats.lines += 1
                yield from _counted(long_line.finish(stats), stats)


def _counted(sentences: list[list[str]], stats: ReadStats) -> Iterator[list[str]]:
    for sentence in sentences:
        stats.sentences += 1
        stats.tokens += len(sentence)
        yield sentence


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


def _line_blocks(path: Path, stats: ReadStats) -> Iterator[tuple[str, str]]:
    """Yield the text of a file as ``(text, kind)`` blocks of lines.

    A ``_WHOLE_LINES`` block is one or more lines without their final
    ``\\n``. A line longer than `MAX_CARRY_CHARS` comes as ``_PIECE`` blocks
    of at most that many characters, cut at whitespace, then a
    ``_LAST_PIECE``. As every block ends at a newline or whitespace, tokenizing or
    lower-casing blocks one by one gives the same result as for whole lines.
    """
    carry = ""  # the unfinished last line of what was read so far
    line_is_cut = False
    bound = max(MAX_CARRY_CHARS, 1)
    with open_text(path) as stream:
        for chunk in _chunks(stream, path, stats):
            text = carry + chunk
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
            piece_start = 0
            while len(carry) - piece_start > bound:
                cut = piece_start + _cut_index(carry[piece_start : piece_start + bound])
                yield carry[piece_start:cut], _PIECE
                piece_start = cut
                line_is_cut = True
            carry = carry[piece_start:]
    # The last line has no final newline.
    if line_is_cut:
        yield carry, _LAST_PIECE
    elif carry:
        yield carry, _WHOLE_LINES


def _cut_index(text: str) -> int:
    """Index just after the last whitespace of ``text``, where a cut splits no token."""
    # Searching the reversed text finds the last whitespace in C, looking only
    # at the characters after it.
    found = _WHITESPACE_RE.search(text[::-1])
    if found is None:
        # No whitespace at all: cut anyway, possibly inside a token, because
        # holding the line whole could take unbounded memory.
        return len(text)
    return len(text) - found.start()


def _chunks(stream: io.TextIOBase, path: Path, stats: ReadStats) -> Iterator[str]:
    """Yield the text of ``stream`` in chunks, turning read errors into `CorpusError`."""
    first = True
    while True:
        try:
            chunk = stream.read(CHUNK_CHARS)
        except READ_ERRORS as error:
            reason = str(error) or type(error).__name__
            raise CorpusError(f"cannot read {path}: {reason}") from error
        if not chunk:
            return
        if first and "\x00" in chunk:
            raise CorpusError(
                f"{path} looks like a binary file (found NUL bytes); w2v reads UTF-8 text"
            )
        first = False
        stats.replaced_chars += chunk.count(_REPLACEMENT_CHAR)
        yield chunk
