"""Baskets and sessions of item ids, read from files, for item2vec.

Two forms of input are read:

- a **baskets file**: one basket (or session) per line, item ids separated by
  spaces, tabs or commas;
- an **interactions table**: CSV or TSV rows of user, item, and optionally a
  timestamp and a rating (or weight), grouped by user into one session each,
  in time order when there are timestamps, and cut where the user was away
  longer than a chosen gap.

Item ids are opaque strings: kept exactly as written (only the whitespace
around a field is dropped), never lower-cased, tokenized or read as numbers,
so ``007`` and ``7`` are two items. Rows that cannot be read are reported with
their line numbers, and either skipped (and counted) or refused, as the caller
chooses: nothing is dropped silently.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .corpus import READ_ERRORS, open_text
from .errors import CorpusError

__all__ = ["BadRow", "BadRowError", "HEADER_NAMES", "ROLES", "SessionStats", "Sessions", "parse_duration",
           "read_baskets", "read_interactions", "read_item_titles", "read_sessions"]

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

_BASKET_SEPARATOR = re.compile(r"[,\s]+")
_DURATION = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhdw]?)\s*", re.IGNORECASE)
_SECONDS_PER_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass
class BadRow:
    """A row that could not be read: its line number (1 = first line) and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


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
        Lines read, the header and empty lines included.
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
    """

    sessions: list[list[str]]
    users: list[str] | None = None
    stats: SessionStats = field(default_factory=SessionStats)

    def __iter__(self) -> Iterator[list[str]]:
        return iter(self.sessions)

    def __len__(self) -> int:
        return len(self.sessions)


# --- baskets ---------------------------------------------------------------------


def read_baskets(path: str | os.PathLike) -> Sessions:
    """Read one basket or session per line, item ids separated by spaces,
    tabs or commas. Lines without an item are skipped (they are not errors).

    The file may be compressed (``.gz``, ``.bz2``, ``.xz``); it is read as UTF-8.

    Examples
    --------
    A file holding ``milk bread,eggs`` and ``Milk 007`` gives
    ``[["milk", "bread", "eggs"], ["Milk", "007"]]``.
    """
    stats = SessionStats()
    sessions = []
    with _open(path) as stream:
        for line in stream:
            stats.lines += 1
            items = [item for item in _BASKET_SEPARATOR.split(line) if item]
            if items:
                sessions.append(items)
                stats.items += len(items)
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
    path : str or path-like
        A CSV or TSV file, optionally compressed.
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
        The field separator; by default the first of tab, comma, semicolon and
        ``|`` found in the first line.
    min_rating : float, optional
        Keep only rows rated at least this (needs a rating column).
    session_gap : float, optional
        Start a new session when a user's next row comes more than this many
        seconds after the previous one (needs a timestamp column).
    on_bad_rows : {"skip", "error"}
        What to do with a row that lacks a field, or whose timestamp or
        rating cannot be read: skip it (counted in ``stats``, with line
        numbers) or raise ``BadRowError`` naming its line.

    Returns
    -------
    Sessions
        With ``users`` set, one entry per session.

    Notes
    -----
    A timestamp is a number (e.g. Unix seconds) or an ISO 8601 date and time
    (read as UTC when it has no offset). A session gap assumes seconds.

    Examples
    --------
    A table ``user,item,timestamp`` with rows ``u1,b,20``, ``u2,a,5`` and
    ``u1,a,10`` gives sessions ``[["a", "b"], ["a"]]`` for users ``["u1", "u2"]``.
    """
    if on_bad_rows not in ("skip", "error"):
        raise ValueError(f"on_bad_rows must be 'skip' or 'error', not {on_bad_rows!r}")
    if session_gap is not None and not session_gap > 0:
        raise ValueError(f"session_gap must be a positive number of seconds, got {session_gap!r}")
    stats = SessionStats()
    rated = min_rating is not None
    # user -> [(timestamp, row number, item)]; dicts keep the users' first-seen order
    rows_by_user: dict[str, list[tuple[float, int, str]]] = {}
    with _open(path) as stream:
        roles, records = _table(stream, path, columns, header, delimiter, stats)
        if rated and "rating" not in roles:
            raise CorpusError(f"{path}: min_rating needs a rating column")
        if session_gap is not None and "timestamp" not in roles:
            raise CorpusError(f"{path}: a session gap needs a timestamp column")
        # Fields a row must have: up to the last one used (an unused rating may be absent).
        width = max(index for role, index in roles.items() if rated or role != "rating") + 1
        for row_number, fields in enumerate(records):
            if not any(f.strip() for f in fields):
                continue  # an empty line is not a row
            try:
                user, item, time, rating = _parse(fields, roles, width, rated)
            except ValueError as reason:
                # stats.lines is the line the row ends on (a quoted field may span lines)
                bad = BadRow(stats.lines, str(reason))
                if on_bad_rows == "error":
                    raise BadRowError(path, bad) from None
                stats.bad_rows += 1
                if len(stats.bad_row_examples) < BAD_ROWS_KEPT:
                    stats.bad_row_examples.append(bad)
                continue
            if rated and rating < min_rating:
                stats.below_min_rating += 1
                continue
            rows_by_user.setdefault(user, []).append((time, row_number, item))
    return _group(rows_by_user, session_gap, stats)


def _table(stream, path, columns, header, delimiter, stats):
    """The role of each column and a csv reader over the data rows."""
    lines = _counting(stream, stats)
    first = next(lines, None)
    if first is None:
        raise CorpusError(f"{path} is empty")
    delimiter = delimiter or _detect_delimiter(first, path)
    if header:
        names = next(csv.reader([first], delimiter=delimiter))
        return _roles(columns or _roles_from_header(names, path), path), \
            csv.reader(lines, delimiter=delimiter)
    if columns is None:
        raise CorpusError(f"{path}: without a header, name the columns' roles "
                          f"(columns=['user', 'item', ...] or --columns user,item,...)")
    return _roles(columns, path), csv.reader(_prepend(first, lines), delimiter=delimiter)


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
        return _number(text, "timestamp")
    except ValueError:
        pass
    text = text.strip()
    try:
        # Python < 3.11 does not read a final "Z"
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(f"timestamp {text!r} is neither a number nor an ISO 8601 date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


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


def _counting(stream, stats: SessionStats) -> Iterator[str]:
    """The stream's lines, counted in ``stats.lines`` as they are read."""
    for line in stream:
        stats.lines += 1
        yield line


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


# --- either form ----------------------------------------------------------------------


def read_sessions(path: str | os.PathLike, *, form: str = "auto", **options) -> Sessions:
    """Read a baskets file or an interactions table.

    Parameters
    ----------
    path : str or path-like
    form : {"auto", "baskets", "interactions"}
        ``"auto"`` reads an interactions table when ``columns`` is given or the
        first line is a header naming a user and an item column, else baskets.
    **options
        For ``read_interactions``. A baskets file has no columns, ratings or
        timestamps: options other than their defaults are refused for it.
    """
    if form == "auto":
        form = "interactions" if options.get("columns") or _has_interactions_header(path) \
            else "baskets"
    if form == "baskets":
        defaults = {"header": True, "on_bad_rows": "skip"}
        given = sorted(name for name, value in options.items() if value != defaults.get(name))
        if given:
            raise CorpusError(f"{path} is read as baskets (one per line), which take no "
                              f"{', '.join(given)}: name its columns to read it as a table")
        return read_baskets(path)
    if form == "interactions":
        return read_interactions(path, **options)
    raise ValueError(f"form must be 'auto', 'baskets' or 'interactions', not {form!r}")


def _has_interactions_header(path) -> bool:
    with _open(path) as stream:
        first = next(stream, "")
    delimiter = next((d for d in DELIMITERS if d in first), None)
    if delimiter is None:
        return False
    keys = {_normalise_header(name) for name in next(csv.reader([first], delimiter=delimiter))}
    return bool(keys & HEADER_NAMES["user"]) and bool(keys & HEADER_NAMES["item"])


@contextmanager
def _open(path):
    """The file as text, decompressed; damaged compressed data becomes a CorpusError."""
    if Path(path).is_dir():
        raise CorpusError(f"{path} is a folder, not a file of sessions")
    if not Path(path).exists():
        raise CorpusError(f"no such file: {path}")
    try:
        with open_text(path) as stream:
            yield stream
    except READ_ERRORS as error:
        raise CorpusError(f"cannot read {path}: {str(error) or type(error).__name__}") from error


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


def read_item_titles(path: str | os.PathLike) -> dict[str, str]:
    """Titles of items from a metadata file: item id in the first column, title
    in the second, separated by ``|`` (MovieLens ``u.item``), tab or comma
    (CSV quoting understood). UTF-8, or Latin-1 when the file is not valid
    UTF-8 (as ``u.item`` is not). A header row is harmless: it only names an
    item that does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"no such items file: {path}")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in ("|", "\t", ",") if d in first), None)
    if delimiter is None:
        raise CorpusError(f"{path}: expected item id and title separated by |, tab or comma")
    # Titles may hold quote marks; only comma-separated files quote fields.
    quoting = csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE
    titles = {}
    for fields in csv.reader(text.splitlines(), delimiter=delimiter, quoting=quoting):
        if len(fields) >= 2 and fields[0].strip():
            titles[fields[0].strip()] = fields[1].strip()
    return titles
