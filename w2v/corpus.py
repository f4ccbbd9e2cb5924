"""Stream sentences from text files without holding the corpus in memory.

A corpus is a UTF-8 text file, optionally compressed (gzip, bzip2, xz/lzma),
or a folder of such files. Each line is one sentence. Files are read in
chunks of characters rather than lines, because text8-style corpora are a
single line of hundreds of megabytes. Finding and opening the files is
`w2v.sources`' job.

``-`` means standard input. Standard input, pipes, FIFOs and other files
that are not regular files can be read only once: `read_sentences` reads
them in a single pass, and `Corpus`, which is read once per epoch, keeps a
copy of them in a temporary file.

A Parquet or Arrow (Feather) file, recognised by its first bytes, is read as
the text of its string column, one sentence per row (see
`w2v.tables.open_table_text`; a table with several text columns is read with
`w2v.tables.TextColumn`).
"""

import functools
import io
import os
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .errors import CorpusError, W2VError
from .settings import whole_number
from .sources import READ_ERRORS, Spool, is_special, is_stdin, list_corpus, open_text
from .tokenize import SEPARATOR_RE, TOKEN_RUN_RE, tokenize, tokenize_lines

# Re-exported: they were defined here before w2v.sources, and callers import them from here.
from .sources import (BINARY_CHECK_BYTES, MAX_UNREADABLE_SHARE, STDIN,  # noqa: F401  (re-exported)
                      check_not_binary, corpus_files, open_decompressed)

__all__ = ["BINARY_CHECK_BYTES", "CHUNK_CHARS", "Corpus", "MAX_CARRY_CHARS", "MAX_TOKEN_CHARS",
           "MAX_UNREADABLE_SHARE", "READ_ERRORS", "ReadStats", "STDIN", "check_not_binary",
           "corpus_files", "open_decompressed", "open_text", "read_sentences"]

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

_REPLACEMENT_CHAR = "\ufffd"
# Separators next to which a cut cannot change str.lower's choice of final or
# medial sigma (see _is_barrier): whitespace and ASCII punctuation but ' . : ^ `.
_BARRIER_RE = re.compile(r"[\s!\"#$%&()*+,\-/;<=>?@\[\\\]{|}~]")


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
    repeats_skipped : int
        Entries of a folder corpus that lead to a folder or file already
        read (a second link to one folder, a hard link) or to a folder that
        holds them (a symbolic link to ``.``, ``..`` or higher up: a cycle),
        left out so that nothing is read twice.
    broken_links_skipped : int
        Symbolic links in a folder corpus that lead nowhere.
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
    repeats_skipped: int = 0
    broken_links_skipped: int = 0
    replaced_chars: int = 0


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
    listing = list_corpus(path)  # here, so a wrong path fails before iterating
    stats = ReadStats() if stats is None else stats
    stats.special_files_skipped += listing.special
    stats.repeats_skipped += listing.repeated
    stats.broken_links_skipped += listing.broken
    sources = [(file, functools.partial(_open_file, file)) for file in listing.files]
    return _sentences(sources, lowercase, max_sentence_length, stats)


def _open_file(path) -> io.TextIOBase:
    """A corpus file as text: a Parquet or Arrow file as its text column, one row per line."""
    from . import tables  # it builds on this module: imported when first needed
    if tables.table_format(path) is not None:
        return tables.open_table_text(path)
    return open_text(path)


class Corpus:
    """A corpus that can be iterated over once per training epoch.

    A file or folder is read from disk on every pass. Standard input
    (``"-"``), a pipe, a FIFO or any other file that is not a regular file
    can be read only once: it is copied, in chunks, to a temporary file in
    TMPDIR when the Corpus is made, and every pass reads the copy. The copy
    is deleted when the Corpus is closed or garbage-collected, and it stops
    with an error before it leaves less than 5% of TMPDIR's file system (or
    1 GiB) free, see `w2v.sources.Spool`: an endless stream cannot fill it.

    Parameters
    ----------
    path : str or path-like
        A file, ``"-"`` or a folder, see `corpus_files`.
    lowercase : bool, default True
        Lower-case the tokens.
    max_sentence_length : int, default 10_000
        Most tokens in one sentence; longer lines are split.
    max_spool_bytes : int, optional
        Most bytes the copy of a stream may take; no bound but TMPDIR's room
        by default.

    Attributes
    ----------
    path : pathlib.Path
    stats : ReadStats
        Counts of the most recent pass, reset when a pass starts.

    Raises
    ------
    CorpusError
        If ``path`` is missing or an empty folder; for a stream that is
        copied, if it is binary, cannot be read, or is longer than TMPDIR's
        room or ``max_spool_bytes``.
    W2VError
        If ``max_sentence_length`` is less than 1 (a `SettingsError`, as is
        a ``max_spool_bytes`` that is not a positive whole number).
    """

    def __init__(self, path: str | os.PathLike, *, lowercase: bool = True,
                 max_sentence_length: int = 10_000, max_spool_bytes: int | None = None):
        self.path = Path(path)
        self.lowercase = lowercase
        self.max_sentence_length = max_sentence_length
        self.stats = ReadStats()
        # Fail now rather than when training starts.
        _check_max_sentence_length(max_sentence_length)
        if max_spool_bytes is not None:
            whole_number("max_spool_bytes", max_spool_bytes)
        self._spool = None
        if is_stdin(path) or is_special(path):
            self._spool = Spool(path, max_spool_bytes)
            weakref.finalize(self, self._spool.close)
        else:
            list_corpus(self.path)

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
    whole_number("max_sentence_length", max_sentence_length)


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
