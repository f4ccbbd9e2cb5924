"""Baskets and sessions of item ids, read from files, for item2vec.

Two forms of input are read:

- a **baskets file**: one basket (or session) per line, item ids separated by
  spaces, tabs or commas;
- an **interactions table**: CSV or TSV rows of user, item, and optionally a
  timestamp and a rating (or weight), grouped by user into one session each,
  in time order when there are timestamps, and cut where the user was away
  longer than a chosen gap.

Either may also be a Parquet or Arrow (Feather) file, recognised by its first
bytes whatever its name, or a pandas DataFrame or pyarrow table: those are
read by `w2v.tables` (with pyarrow), with the same column roles and bad-row
accounting, bad rows numbered by row instead of line.

Item ids are opaque strings: kept exactly as written (only the whitespace
around a field is dropped), never lower-cased, tokenized or read as numbers,
so ``007`` and ``7`` are two items. Rows that cannot be read are reported with
their line numbers, and either skipped (and counted) or refused, as the caller
chooses: nothing is dropped silently. A malformed row (a quote left open, say)
is one bad row: the rows after it are read.

Files may be compressed, pipes, FIFOs or ``-`` for standard input: each is
read once (see `w2v.sources`). Binary data is refused (see
`w2v.sources.check_not_binary`), and no line or record longer than
`MAX_RECORD_CHARS` is held in memory. Sessions are held in memory for
training, so reading stops with a `CorpusError` before what it holds leaves
less than `MEMORY_RESERVE_BYTES` of memory to the process: an endless pipe
is an error, never a ``MemoryError`` or a machine out of memory.
"""

from __future__ import annotations

import csv
import gc
import math
import os
import re
import resource
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .errors import CorpusError, SettingsError
from .settings import available_memory
from .sources import READ_ERRORS, display_name, format_size, is_stdin, open_decompressed, open_text

__all__ = ["BadRow", "BadRowError", "HEADER_NAMES", "MAX_RECORD_CHARS", "MAX_RECORD_LINES",
           "MEMORY_RESERVE_BYTES", "ROLES", "SessionStats", "Sessions", "describe_bad_rows",
           "parse_duration", "read_baskets", "read_interactions", "read_item_titles",
           "read_sessions"]

#: What a column of an interactions table can hold.
ROLES = ("user", "item", "timestamp", "rating")
#: Header names recognised for each role, after ``_normalise_header``.
HEADER_NAMES = {
    "user": {"user", "customer", "client", "visitor", "session"},
    "item": {"item", "product", "movie", "sku", "listing", "track", "song", "article", "book"},
    "timestamp": {"timestamp", "time", "ts", "date", "datetime"},
    "rating": {"rating", "weight", "score", "stars"},
}
#: Delimiters an interactions table may use, in the order they are tried.
DELIMITERS = ("\t", ",", ";", "|")
#: How many bad rows a report quotes; all of them are counted.
BAD_ROWS_KEPT = 1000
#: Longest basket line or table record, in characters: a longer one is a bad
#: row, skipped without being held in memory.
MAX_RECORD_CHARS = 1 << 22
#: Most lines one table record may span (a quoted field may hold line
#: breaks). A quote left open makes the record run on: beyond this, its first
#: line is a bad row and reading goes on at the line after it.
MAX_RECORD_LINES = 100
#: Reading stops with a `CorpusError` when less memory than this is left to
#: the process: room for what reading takes between two looks (see
#: `MEMORY_CHECK_CHARS`), for reporting the error, and for the rest of the system.
MEMORY_RESERVE_BYTES = 256 << 20
#: Characters read between two looks at the memory left: a megabyte of short
#: lines (the costliest to hold) takes at most about 40 MB as sessions.
MEMORY_CHECK_CHARS = 1 << 20
# Where the process's cgroup (v2) shows its memory limit and use.
_CGROUP_FOLDER = Path("/sys/fs/cgroup")

_DURATION = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhdw]?)\s*", re.IGNORECASE)
_SECONDS_PER_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass
class BadRow:
    """A row that could not be read: its line number (1 = first line) and why.

    For a Parquet or Arrow file or a DataFrame, ``line`` is the row's number
    (1 = first row of data) and ``unit`` is ``"row"``.
    """

    line: int
    reason: str
    unit: str = "line"

    def __str__(self) -> str:
        return f"{self.unit} {self.line}: {self.reason}"


class BadRowError(CorpusError):
    """A row of an interactions table cannot be read (``on_bad_rows="error"``)."""

    def __init__(self, path, bad_row: BadRow):
        self.path = str(path)
        self.bad_row = bad_row
        super().__init__(f"{path}, {bad_row} (on_bad_rows='skip' or --on-bad-rows skip "
                         f"skips such rows)")


@dataclass
class SessionStats:
    """What reading a file found.

    Attributes
    ----------
    lines : int
        Lines read, the header and empty lines included; rows, for a
        Parquet or Arrow file or a DataFrame.
    sessions : int
        Sessions made.
    items : int
        Item occurrences in the sessions.
    below_min_rating : int
        Rows left out because their rating was below ``min_rating``.
    bad_rows : int
        Rows skipped because they could not be read.
    bad_row_examples : list of BadRow
        The first ``BAD_ROWS_KEPT`` of them, in file order.
    """

    lines: int = 0
    sessions: int = 0
    items: int = 0
    below_min_rating: int = 0
    bad_rows: int = 0
    bad_row_examples: list[BadRow] = field(default_factory=list)


@dataclass
class Sessions:
    """Sessions of item ids, ready to train on: iterating yields one list of
    item ids per session, as often as needed (once per epoch).

    Attributes
    ----------
    sessions : list of list of str
        Item ids of each session, in time order when the input had timestamps,
        else in file order.
    users : list of str, optional
        The user of each session, for an interactions table; None for baskets.
    stats : SessionStats
    ordered : bool
        Whether each session is in time order (a table with timestamps), so
        that what is near in it, and what is recent, matters; False for
        baskets and tables without timestamps, whose order says nothing.
    """

    sessions: list[list[str]]
    users: list[str] | None = None
    stats: SessionStats = field(default_factory=SessionStats)
    ordered: bool = False

    def __iter__(self) -> Iterator[list[str]]:
        return iter(self.sessions)

    def __len__(self) -> int:
        return len(self.sessions)


# --- baskets ---------------------------------------------------------------------


def read_baskets(path: str | os.PathLike, *, on_bad_rows: str = "skip") -> Sessions:
    """Read one basket or session per line, item ids separated by spaces,
    tabs or commas. Lines without an item are skipped (they are not errors).

    The file may be compressed (``.gz``, ``.bz2``, ``.xz``), a pipe, or ``-``
    for standard input; it is read once, as UTF-8. A line longer than
    `MAX_RECORD_CHARS` characters is a bad row (see `read_interactions`'s
    ``on_bad_rows``), skipped without being held in memory.

    Examples
    --------
    A file holding ``milk bread,eggs`` and ``Milk 007`` gives
    ``[["milk", "bread", "eggs"], ["Milk", "007"]]``.
    """
    _check_on_bad_rows(on_bad_rows)
    if _is_table(path):
        return _tables().read_table_sessions(path, form="baskets", on_bad_rows=on_bad_rows)
    return _reading(path, lambda lines: _baskets(lines, on_bad_rows))


def _baskets(lines: _Lines, on_bad_rows: str) -> Sessions:
    stats = SessionStats()
    sessions = []
    for number, line in lines:
        if line is None:
            _bad_row(stats, lines.name, BadRow(number, _too_long()), on_bad_rows)
            continue
        # Commas and whitespace separate items: str.split's whitespace is re's \s.
        items = line.replace(",", " ").split()
        if items:
            sessions.append(items)
            stats.items += len(items)
    stats.lines = lines.count
    stats.sessions = len(sessions)
    return Sessions(sessions, None, stats)


# --- interactions tables -----------------------------------------------------------


def read_interactions(path: str | os.PathLike, *, columns: Sequence[str] | None = None,
                      header: bool = True, delimiter: str | None = None,
                      min_rating: float | None = None, session_gap: float | None = None,
                      on_bad_rows: str = "skip") -> Sessions:
    """Read an interactions table and group its rows by user into sessions.

    Each user's rows become one session, sorted by timestamp when there is a
    timestamp column (rows with equal timestamps keep their file order), else
    in file order. Users come in the order of their first row.

    Parameters
    ----------
    path : str or path-like, or a table
        A CSV or TSV file, optionally compressed; or a Parquet or Arrow file
        (recognised by its first bytes), a pandas DataFrame or a pyarrow
        Table, read by `w2v.tables`: their column names are the header, and
        ``header`` and ``delimiter`` are ignored. Their timestamps may be
        Arrow timestamps or dates, numbers of seconds, or text as below.
    columns : sequence of str, optional
        The role of each column, in order: ``"user"``, ``"item"``,
        ``"timestamp"``, ``"rating"`` (a rating or weight), or ``"-"`` for a
        column to ignore; columns after the last one named are ignored too.
        By default the roles are read from the header's names
        (``user``/``userId``/``customer_id``..., ``item``/``movieId``/``product``...,
        ``timestamp``/``time``/``date``, ``rating``/``weight``/``score``; see
        ``HEADER_NAMES``); needed when there is no header.
    header : bool
        The first line names the columns (and is not data).
    delimiter : str, optional
        The field separator, one character that is neither a letter, a
        digit, a quote, a line break nor NUL; by default the first of tab,
        comma, semicolon and ``|`` found in the first line.
    min_rating : float, optional
        Keep only rows rated at least this (needs a rating column).
    session_gap : float, optional
        Start a new session when a user's next row comes more than this many
        seconds after the previous one (needs a timestamp column).
    on_bad_rows : {"skip", "error"}
        What to do with a row that lacks a field, whose timestamp or rating
        cannot be read or is not finite, that is malformed CSV, or that is
        longer than `MAX_RECORD_CHARS` characters or `MAX_RECORD_LINES`
        lines: skip it (counted in ``stats``, with the line it starts on) or
        raise ``BadRowError`` naming that line.

    Returns
    -------
    Sessions
        With ``users`` set, one entry per session.

    Raises
    ------
    SettingsError
        Before reading, for a ``delimiter`` that cannot be one, a
        ``min_rating`` that is not a finite number, a ``session_gap`` that is
        not positive, or an unknown ``on_bad_rows``.
    CorpusError
        If the file is missing, binary, damaged, has no usable header, or
        holds more than fits in memory.

    Notes
    -----
    A timestamp is a number (e.g. Unix seconds) or an ISO 8601 date and time
    (read as UTC when it has no offset). A session gap assumes seconds.

    Examples
    --------
    A table ``user,item,timestamp`` with rows ``u1,b,20``, ``u2,a,5`` and
    ``u1,a,10`` gives sessions ``[["a", "b"], ["a"]]`` for users ``["u1", "u2"]``.
    """
    _check_table_options(delimiter, min_rating, session_gap, on_bad_rows)
    if _is_table(path):
        return _tables().read_table_sessions(path, form="interactions", columns=columns,
                                             min_rating=min_rating, session_gap=session_gap,
                                             on_bad_rows=on_bad_rows)
    return _reading(path, lambda lines: _interactions(lines, columns, header, delimiter,
                                                      min_rating, session_gap, on_bad_rows))


def _check_table_options(delimiter, min_rating, session_gap, on_bad_rows) -> None:
    """Refuse settings that cannot be right, before reading anything."""
    _check_on_bad_rows(on_bad_rows)
    if delimiter is not None and not _is_delimiter(delimiter):
        raise SettingsError(f"delimiter must be one field-separating character (such as , ; | "
                            f"or a tab), not {delimiter!r}")
    if min_rating is not None and not (_is_number(min_rating) and math.isfinite(min_rating)):
        raise SettingsError(f"min_rating must be a finite number, got {min_rating!r}")
    if session_gap is not None and not (_is_number(session_gap) and session_gap > 0):
        raise SettingsError(f"session_gap must be a positive number of seconds, got {session_gap!r}")


def _check_on_bad_rows(on_bad_rows) -> None:
    if on_bad_rows not in ("skip", "error"):
        raise SettingsError(f"on_bad_rows must be 'skip' or 'error', not {on_bad_rows!r}")


def _is_delimiter(value) -> bool:
    """Whether the csv module can split on ``value`` and a field can never hold it unquoted
    by accident: one character, not a letter or digit, a quote, a line break or NUL."""
    return isinstance(value, str) and len(value) == 1 and value not in '"\r\n\0' \
        and not value.isalnum()


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _interactions(lines: _Lines, columns, header, delimiter, min_rating, session_gap,
                  on_bad_rows) -> Sessions:
    name = lines.name
    stats = SessionStats()
    rated = min_rating is not None
    # user -> [(timestamp, line number, item)]; dicts keep the users' first-seen order
    rows_by_user: dict[str, list[tuple[float, int, str]]] = {}
    roles, records = _table(lines, name, columns, header, delimiter)
    if rated and "rating" not in roles:
        raise CorpusError(f"{name}: min_rating needs a rating column")
    if session_gap is not None and "timestamp" not in roles:
        raise CorpusError(f"{name}: a session gap needs a timestamp column")
    # Fields a row must have: up to the last one used (an unused rating may be absent).
    width = max(index for role, index in roles.items() if rated or role != "rating") + 1
    for line, fields, problem in records:
        if problem is None:
            if not any(f.strip() for f in fields):
                continue  # an empty line is not a row
            try:
                user, item, time, rating = _parse(fields, roles, width, rated)
            except ValueError as reason:
                problem = str(reason)
        if problem is not None:
            _bad_row(stats, name, BadRow(line, problem), on_bad_rows)
            continue
        if rated and rating < min_rating:
            stats.below_min_rating += 1
            continue
        rows_by_user.setdefault(user, []).append((time, line, item))
    stats.lines = lines.count
    sessions = _group(rows_by_user, session_gap, stats)
    sessions.ordered = "timestamp" in roles
    return sessions


def _bad_row(stats: SessionStats, name: str, bad: BadRow, on_bad_rows: str) -> None:
    if on_bad_rows == "error":
        raise BadRowError(name, bad)
    stats.bad_rows += 1
    if len(stats.bad_row_examples) < BAD_ROWS_KEPT:
        stats.bad_row_examples.append(bad)


def _table(lines: _Lines, name, columns, header, delimiter):
    """The role of each column and the records of the data rows."""
    first = lines.peek()
    if first is None:
        raise CorpusError(f"{name} is empty")
    if first[1] is None:
        raise CorpusError(f"{name}, line 1: {_too_long()}; is it a table of interactions?")
    delimiter = delimiter or _detect_delimiter(first[1], name)
    if header:
        lines.skip_peeked()
        names = _header_names(first[1], delimiter, name)
        return _roles(columns or _roles_from_header(names, name), name), \
            _Records(lines, delimiter).rows()
    if columns is None:
        raise CorpusError(f"{name}: without a header, name the columns' roles "
                          f"(columns=['user', 'item', ...] or --columns user,item,...)")
    return _roles(columns, name), _Records(lines, delimiter).rows()


def _header_names(line: str, delimiter: str, name) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter, strict=True), [])
    except csv.Error as error:
        raise CorpusError(f"{name}, line 1: cannot read the header ({error})") from None


def _parse(fields: list[str], roles: dict[str, int], width: int, rated: bool):
    """``(user, item, timestamp, rating)`` of a row; ValueError says what is wrong.
    The rating is read only when ``rated``: an unused field never makes a row bad."""
    if len(fields) < width:
        raise ValueError(f"expected {width} fields, found {len(fields)}")
    user = fields[roles["user"]].strip()
    item = fields[roles["item"]].strip()
    if not user:
        raise ValueError("the user is empty")
    if not item:
        raise ValueError("the item is empty")
    time = _timestamp(fields[roles["timestamp"]]) if "timestamp" in roles else 0.0
    rating = _number(fields[roles["rating"]], "rating") if rated else 0.0
    return user, item, time, rating


def _group(rows_by_user, session_gap, stats) -> Sessions:
    sessions, users = [], []
    for user, rows in rows_by_user.items():
        rows.sort()  # by timestamp, then file order
        session = [rows[0][2]]
        for (before, _, _), (time, _, item) in zip(rows, rows[1:]):
            if session_gap is not None and time - before > session_gap:
                sessions.append(session)
                users.append(user)
                session = []
            session.append(item)
        sessions.append(session)
        users.append(user)
    stats.sessions = len(sessions)
    stats.items = sum(map(len, sessions))
    return Sessions(sessions, users, stats)


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} {text.strip()!r} is not a finite number")
    return value


def _timestamp(text: str) -> float:
    """Seconds: a number as it is, an ISO 8601 date as Unix time (UTC if naive)."""
    try:
        value = float(text)
    except ValueError:
        return _iso_timestamp(text.strip())
    if not math.isfinite(value):
        raise ValueError(f"timestamp {text.strip()!r} is not a finite number")
    return value


def _iso_timestamp(text: str) -> float:
    try:
        # Python < 3.11 does not read a final "Z"
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    except (ValueError, OverflowError, OSError):  # OverflowError: a date near year 1 or 9999
        raise ValueError(f"timestamp {text!r} is neither a number nor an ISO 8601 date") from None


def _normalise_header(name: str) -> str:
    """``userId``, ``user_id``, ``User ID`` -> ``user``."""
    name = re.sub(r"[\s_\-]", "", name.strip().lower())
    return name[:-2] if name.endswith("id") and len(name) > 2 else name


def _roles_from_header(names: list[str], path) -> list[str]:
    roles = []
    for name in names:
        key = _normalise_header(name)
        roles.append(next((role for role, known in HEADER_NAMES.items() if key in known), "-"))
    if "user" not in roles or "item" not in roles:
        raise CorpusError(f"{path}: cannot tell the user and item columns from the header "
                          f"{names}; name the roles of the columns in order "
                          f"(columns=[...] or --columns user,item,timestamp,...)")
    return roles


def _roles(columns: Sequence[str], path) -> dict[str, int]:
    """Column index of each role present; user and item are required, no role twice."""
    found: dict[str, int] = {}
    for index, role in enumerate(columns):
        role = role.strip().lower()
        if role in ("", "-"):
            continue
        if role not in ROLES:
            raise CorpusError(f"unknown column role {role!r}: use {', '.join(ROLES)}, "
                              f"or - for a column to ignore")
        if role in found:
            raise CorpusError(f"{path}: two columns are the {role}")
        found[role] = index
    missing = [role for role in ("user", "item") if role not in found]
    if missing:
        raise CorpusError(f"{path}: no {' and no '.join(missing)} column among {list(columns)}")
    return found


def _detect_delimiter(line: str, path) -> str:
    for delimiter in DELIMITERS:
        if delimiter in line:
            return delimiter
    raise CorpusError(f"{path}: cannot tell the field delimiter from the first line "
                      f"(none of tab , ; |); give it explicitly")


def _too_long() -> str:
    return f"longer than {MAX_RECORD_CHARS:,} characters"


class _Lines:
    """The lines of a stream as ``(number, text)``, numbered from 1, where
    ``text`` is None for a line longer than `MAX_RECORD_CHARS` characters:
    such a line is skipped as it is read, never held whole.

    ``count`` is how many lines were read so far, ``chars`` how many
    characters (or bytes) they held. ``peek()``, before iterating, looks at
    the first line without taking it, so that one read of a pipe serves both
    to tell what a file holds and to read it. Every `MEMORY_CHECK_CHARS`,
    reading stops with a CorpusError if the memory left is below
    `MEMORY_RESERVE_BYTES`: the caller keeps ``holds`` ("sessions") of
    what it reads, in memory.
    """

    def __init__(self, stream, name: str, holds: str = "sessions", decode=None):
        self.name = name
        self.holds = holds
        self._stream = stream
        self._decode = decode  # for a stream of bytes
        self._newline = "\n" if decode is None else b"\n"
        self._peeked = None
        self.count = 0
        self.chars = 0

    def peek(self) -> tuple[int, str | None] | None:
        """The first line, or None for an empty stream; iterating yields it again."""
        if self._peeked is None:
            self._peeked = next(self._read(), None)
        return self._peeked

    def skip_peeked(self) -> None:
        self._peeked = None

    def __iter__(self) -> Iterator[tuple[int, str | None]]:
        if self._peeked is not None:
            yield self._peeked
            self._peeked = None
        yield from self._read()

    def _read(self) -> Iterator[tuple[int, str | None]]:
        readline, limit, newline = self._stream.readline, MAX_RECORD_CHARS, self._newline
        next_check = self.chars + MEMORY_CHECK_CHARS
        while text := readline(limit + 1):
            self.count += 1
            self.chars += len(text)
            if self.chars >= next_check:
                self._check_memory()
                next_check = self.chars + MEMORY_CHECK_CHARS
            if len(text) > limit and not text.endswith(newline):
                while text and not text.endswith(newline):
                    text = readline(1 << 16)  # the rest of the line, in pieces
                yield self.count, None
            else:
                yield self.count, text if self._decode is None else self._decode(text)

    def _check_memory(self) -> None:
        left = _memory_left()
        if left is not None and left < MEMORY_RESERVE_BYTES:
            raise CorpusError(_too_big(self.name, self.holds, self, left))


class _Records:
    """CSV records read from `_Lines`, one bad record at a time.

    ``rows()`` yields ``(first line, fields, None)`` for a record and
    ``(first line, None, why)`` for one that cannot be read. A quoted field
    may span lines, but a record may not span more than `MAX_RECORD_LINES`
    lines or `MAX_RECORD_CHARS` characters: a quote left open would
    otherwise swallow the rest of the file into one field. A record that is
    too long or breaks the CSV rules (``strict``: nothing but a delimiter
    after a closing quote) is bad, and reading goes on at the line after its
    first: a stray quote costs one row.
    """

    def __init__(self, lines: _Lines, delimiter: str, quoting: int = csv.QUOTE_MINIMAL):
        self._lines = iter(lines)
        self._delimiter = delimiter
        self._quoting = quoting
        self._again: deque[tuple[int, str | None]] = deque()  # lines to read again

    def rows(self) -> Iterator[tuple[int, list[str] | None, str | None]]:
        quote = None if self._quoting == csv.QUOTE_NONE else '"'
        again, lines = self._again, self._lines
        while True:
            line = again.popleft() if again else next(lines, None)
            if line is None:
                return
            number, text = line
            if text is None:
                yield number, None, _too_long()
            elif quote is None or quote not in text:
                yield number, _plain_fields(text, self._delimiter), None
            else:
                yield self._quoted_record(line)

    def _next_line(self) -> tuple[int, str | None] | None:
        return self._again.popleft() if self._again else next(self._lines, None)

    def _quoted_record(self, first: tuple[int, str]) -> tuple[int, list[str] | None, str | None]:
        """The record starting at ``first``, read by the csv module."""
        taken = [first]
        reader = csv.reader(self._record_lines(taken), delimiter=self._delimiter,
                            quoting=self._quoting, strict=True)
        try:
            return first[0], next(reader), None
        except csv.Error as error:
            problem = _csv_problem(error)
        except _RecordTooLong as error:
            problem = str(error)
        # The lines after the bad record's first are read again, as new records.
        self._again.extendleft(reversed(taken[1:]))
        return first[0], None, problem

    def _record_lines(self, taken: list[tuple[int, str]]) -> Iterator[str]:
        """The lines of one record for the csv reader, which asks for another
        while a quoted field is open; `_RecordTooLong` past the bounds."""
        yield taken[0][1]
        chars = len(taken[0][1])
        while (line := self._next_line()) is not None:
            if line[1] is None or len(taken) >= MAX_RECORD_LINES \
                    or chars + len(line[1]) > MAX_RECORD_CHARS:
                self._again.appendleft(line)
                raise _RecordTooLong(f"a quoted field is not closed within {len(taken):,} "
                                     f"lines ({chars:,} characters)")
            taken.append(line)
            chars += len(line[1])
            yield line[1]


def _plain_fields(line: str, delimiter: str) -> list[str]:
    """What the csv module reads in a line without quotes, three times faster."""
    line = line.rstrip("\r\n")
    return line.split(delimiter) if line else []


class _RecordTooLong(Exception):
    """Raised through the csv reader to end a record that runs on."""


def _csv_problem(error: csv.Error) -> str:
    text = str(error)
    if "unexpected end of data" in text:
        return "a quoted field is not closed before the end of the file"
    if "field larger than field limit" in text:
        return f"a field is longer than {csv.field_size_limit():,} characters"
    return f"malformed CSV ({text})"


# --- either form ----------------------------------------------------------------------


def read_sessions(path: str | os.PathLike, *, form: str = "auto", **options) -> Sessions:
    """Read a baskets file or an interactions table.

    Parameters
    ----------
    path : str or path-like
        A file (maybe compressed), a pipe, or ``-`` for standard input; read once.
    form : {"auto", "baskets", "interactions"}
        ``"auto"`` reads an interactions table when ``columns`` is given or the
        first line is a header naming a user and an item column, else baskets.
    **options
        For ``read_interactions``. A baskets file has no columns, ratings or
        timestamps: options other than their defaults (and ``on_bad_rows``)
        are refused for it.
    """
    if form not in ("auto", "baskets", "interactions"):
        raise SettingsError(f"form must be 'auto', 'baskets' or 'interactions', not {form!r}")
    _check_table_options(options.get("delimiter"), options.get("min_rating"),
                         options.get("session_gap"), options.get("on_bad_rows", "skip"))
    if _is_table(path):
        return _tables().read_table_sessions(path, form=form, **options)
    return _reading(path, lambda lines: _either_form(lines, form, options))


def _either_form(lines: _Lines, form: str, options: dict) -> Sessions:
    if form == "auto":
        first = lines.peek()
        is_table = options.get("columns") or (first is not None and first[1] is not None
                                              and _is_interactions_header(first[1]))
        form = "interactions" if is_table else "baskets"
        if form == "baskets" and first is not None and _looks_like_table_row(first[1]):
            warnings.warn(
                f"{lines.name} is read as baskets (every field of a line an item), but its "
                f"first line looks like a table row without a header "
                f"({first[1].rstrip()!r}): to read its columns as user, item, rating and "
                "time, name them, e.g. --columns "
                "user,item,rating,timestamp --no-header", stacklevel=4)
    if form == "interactions":
        return _interactions(lines, **{**_TABLE_DEFAULTS, **options})
    _refuse_baskets_options(lines.name, options, "line")
    return _baskets(lines, options.get("on_bad_rows", "skip"))


def _refuse_baskets_options(name: str, options: dict, unit: str = "row") -> None:
    """Options a baskets file has no use for, given other than as their defaults."""
    defaults = {"header": True, "on_bad_rows": options.get("on_bad_rows", "skip")}
    given = sorted(key for key, value in options.items() if value != defaults.get(key))
    if given:
        raise CorpusError(f"{name} is read as baskets (one per {unit}), which take no "
                          f"{', '.join(given)}: name its columns to read it as a table")


_TABLE_DEFAULTS = {"columns": None, "header": True, "delimiter": None, "min_rating": None,
                   "session_gap": None, "on_bad_rows": "skip"}


def _looks_like_table_row(line: str | None) -> bool:
    """Three to five tab-separated numbers: a table such as MovieLens's u.data
    (user, item, rating, time) without its header, not a basket of items."""
    if line is None or "\t" not in line:
        return False
    fields = line.strip().split("\t")
    return 3 <= len(fields) <= 5 and all(_NUMBER.fullmatch(field) for field in fields)


_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _is_interactions_header(first: str) -> bool:
    delimiter = next((d for d in DELIMITERS if d in first), None)
    if delimiter is None:
        return False
    try:
        names = next(csv.reader([first], delimiter=delimiter), [])
    except csv.Error:
        return False
    keys = {_normalise_header(name) for name in names}
    return bool(keys & HEADER_NAMES["user"]) and bool(keys & HEADER_NAMES["item"])


def _is_table(path) -> bool:
    """Whether ``path`` is a Parquet or Arrow file or a table in memory (see `w2v.tables`)."""
    tables = _tables()
    return tables.is_table_object(path) or tables.table_format(path) is not None


def _tables():
    # w2v.tables reads with this module's helpers: it is imported when first needed.
    from . import tables
    return tables


# --- reading a file once, within memory ------------------------------------------


def _reading(path, read: Callable[[_Lines], object], holds: str = "sessions",
             opener=open_text, decode=None):
    """``read(lines)`` on the `_Lines` of ``path``: the file as text (or as
    bytes, with ``opener=open_decompressed``, that ``decode`` makes text),
    decompressed, read once. Binary or damaged data, and more than fits in
    memory, is a CorpusError; ``holds`` says what ``read`` keeps, for it."""
    name = display_name(path)
    if not is_stdin(path):
        if Path(path).is_dir():
            raise CorpusError(f"{path} is a folder, not a file of {holds}")
        if not Path(path).exists():
            raise CorpusError(f"no such file: {path}")
    lines = None
    try:
        with opener(path) as stream, _cyclic_gc_paused():
            lines = _Lines(stream, name, holds, decode)
            return read(lines)
    except READ_ERRORS as error:
        raise CorpusError(f"cannot read {name}: {str(error) or type(error).__name__}") from error
    except MemoryError:
        pass  # reported below, once the frames of its traceback and what they hold are freed
    raise CorpusError(_too_big(name, holds, lines))


@contextmanager
def _cyclic_gc_paused():
    """Pause the cyclic garbage collector: what is read are lists and tuples
    kept until the end, which it would trace again and again to find no
    garbage, taking more than half of the time of reading baskets."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _too_big(name: str, holds: str, lines: _Lines | None, left: int | None = None) -> str:
    """The message for a file with more in it than fits in memory."""
    count, chars = (lines.count, lines.chars) if lines is not None else (0, 0)
    free = "" if left is None else f", with {format_size(left)} of memory left"
    return (f"{name} holds more {holds} than fit in memory: stopped after reading {count:,} "
            f"lines ({format_size(chars)}){free}; read a part of it (such as its first "
            f"{max(count // 2, 1)} lines), or use a machine with more memory")


def _memory_left() -> int | None:
    """Bytes this process may still allocate: `w2v.settings.available_memory`,
    made smaller by what is already taken of the limits it reads (the
    address-space rlimit, the cgroup's limit). None if nothing is known."""
    bounds = [available_memory(), _address_space_left(), _cgroup_memory_left()]
    known = [bound for bound in bounds if bound is not None]
    return min(known) if known else None


def _address_space_left() -> int | None:
    """RLIMIT_AS less the process's current size (from /proc/self/statm)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return soft - pages * resource.getpagesize()


def _cgroup_memory_left() -> int | None:
    """The cgroup's memory.max less what it holds that cannot be reclaimed:
    all of memory.current but the page cache (memory.stat's file, less shmem)."""
    try:
        limit = (_CGROUP_FOLDER / "memory.max").read_text().strip()
        if not limit.isdigit():
            return None  # "max": no limit
        current = int((_CGROUP_FOLDER / "memory.current").read_text())
        stat_text = (_CGROUP_FOLDER / "memory.stat").read_text()
        stat = dict(line.split() for line in stat_text.splitlines())
        cache = int(stat.get("file", 0)) - int(stat.get("shmem", 0))
    except (OSError, ValueError):
        return None
    return int(limit) - (current - max(cache, 0))


# --- small helpers for the command line and for titles ---------------------------------


def parse_duration(text: str) -> float:
    """Seconds in ``"90"``, ``"90s"``, ``"30m"``, ``"2h"``, ``"1d"`` or ``"1w"``.

    >>> parse_duration("30m")
    1800.0
    """
    match = _DURATION.fullmatch(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 1800, 30m, 2h or 1d")
    return float(match.group(1)) * _SECONDS_PER_UNIT[match.group(2).lower()]


def describe_bad_rows(stats: SessionStats, shown: int = 3) -> str | None:
    """``"2 bad rows skipped (line 3: ...; line 9: ...)"``, None if there were none:
    what a command says after reading, the first ``shown`` rows quoted."""
    if not stats.bad_rows:
        return None
    quoted = "; ".join(map(str, stats.bad_row_examples[:shown]))
    more = ", ..." if stats.bad_rows > shown else ""
    return f"{stats.bad_rows:,} bad rows skipped ({quoted}{more})"


def read_item_titles(path: str | os.PathLike) -> dict[str, str]:
    """Titles of items from a metadata file: item id in the first column, title
    in the second, separated by ``|`` (MovieLens ``u.item``), tab or comma
    (CSV quoting understood). UTF-8, or Latin-1 for a line that is not valid
    UTF-8 (as ``u.item``'s are not). A header row is harmless: it only names
    an item that does not exist. Rows that cannot be read (a quote left open,
    a line longer than `MAX_RECORD_CHARS`) are left out: their items show no
    title. The file may be compressed, a pipe, a FIFO or ``-``; binary data is
    refused, and so is a file with more titles than fit in memory.
    """
    return _reading(path, _titles, "item titles", open_decompressed, _utf8_or_latin1)


def _titles(lines: _Lines) -> dict[str, str]:
    first = lines.peek()
    first_text = first[1] if first is not None and first[1] is not None else ""
    delimiter = next((d for d in ("|", "\t", ",") if d in first_text), None)
    if delimiter is None:
        raise CorpusError(f"{lines.name}: expected item id and title separated by |, tab or comma")
    # Titles may hold quote marks; only comma-separated files quote fields.
    quoting = csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE
    titles = {}
    for _, fields, _ in _Records(lines, delimiter, quoting).rows():
        if fields is not None and len(fields) >= 2 and fields[0].strip():
            titles[fields[0].strip()] = fields[1].strip()
    return titles


def _utf8_or_latin1(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")
