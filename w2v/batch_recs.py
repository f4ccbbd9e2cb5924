"""Recommendations for every user of an interactions table, made for a chunk
of users at a time and written out as they are made.

`recommend_for_users` turns each user's whole history (their sessions joined,
oldest first) into the top-N items they do not have yet, with
`Item2Vec.recommend_many` scoring a chunk of users in one matrix product; a
chunk is as many users as fit in `SCORE_BYTES` of scores, so memory depends
on the catalog, not on the number of users. `write_recommendations` writes
the rows to CSV, TSV or Parquet (by the file's extension) atomically, or CSV
to standard output, holding at most one buffer of rows.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from .atomic import atomic_write, check_target
from .errors import CorpusError, SettingsError
from .progress import format_count, format_duration

__all__ = ["BatchStats", "OUTPUT_FORMATS", "Recommendation", "SCORE_BYTES", "output_format",
           "recommend_for_users", "user_histories", "users_per_chunk", "write_recommendations"]

#: Memory for one chunk's scores: each (user, item) pair takes about
#: `_BYTES_PER_SCORE` bytes while a chunk is ranked.
SCORE_BYTES = 64 << 20
#: Most users in one chunk, whatever the catalog: beyond this a chunk is no faster.
MAX_CHUNK_USERS = 1024
#: Output formats, by file extension; ``-`` is CSV on standard output.
OUTPUT_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet"}
#: Rows of output held before they are written: CSV text of about this many
#: characters, or a Parquet row group of this many rows.
CSV_BUFFER_CHARS = 1 << 20
PARQUET_GROUP_ROWS = 1 << 16
# float32 scores, their negation and int64 indices in top_k, and the mask of
# items already seen.
_BYTES_PER_SCORE = 24


class Recommendation(NamedTuple):
    """One row of output: the user, the item's rank (1 = best), the item, its score."""

    user: str
    rank: int
    item: str
    score: float


@dataclass
class BatchStats:
    """What `recommend_for_users` did; complete once its iterator is exhausted.

    Attributes
    ----------
    users : int
        Users whose histories were read.
    recommended : int
        Users who got at least one item.
    unknown : int
        Users none of whose items is in the model: they get no rows.
    rows : int
        Recommendations made.
    """

    users: int = 0
    recommended: int = 0
    unknown: int = 0
    rows: int = 0


def user_histories(sessions) -> dict[str, list[list[str]]]:
    """Each user's sessions, users in the order of their first session.

    A session gap splits a user's history into several sessions, all in
    time order: joined in order, they are the whole history, oldest first.
    """
    users = getattr(sessions, "users", None)
    if users is None:
        raise SettingsError("recommendations per user need an interactions table with a user "
                            "column (these sessions are baskets, with no users)")
    histories: dict[str, list[list[str]]] = {}
    for user, session in zip(users, sessions.sessions):
        histories.setdefault(user, []).append(session)
    return histories


def users_per_chunk(items: int, budget: int = SCORE_BYTES) -> int:
    """How many users to score at once for a catalog of ``items``."""
    return max(1, min(MAX_CHUNK_USERS, budget // (max(items, 1) * _BYTES_PER_SCORE)))


def recommend_for_users(model, sessions, topn: int = 10, *, exclude: Iterable[str] = (),
                        score: str = "context", half_life: float | None = None,
                        chunk_users: int | None = None, stats: BatchStats | None = None,
                        progress=None) -> Iterator[Recommendation]:
    """The ``topn`` best items for each user, excluding what each already has.

    Parameters
    ----------
    model : Item2Vec
    sessions : w2v.sessions.Sessions
        Read from an interactions table (``read_interactions``): it has
        ``users``. A user's sessions are joined into one history, oldest first.
    topn : int
        Items per user (fewer when the catalog runs out).
    exclude : iterable of str
        Items never recommended to anyone, besides each user's own.
    score, half_life
        As for `Item2Vec.recommend`.
    chunk_users : int, optional
        Users scored at once; by default as many as fit in `SCORE_BYTES`.
    stats : BatchStats, optional
        Updated as rows are made.
    progress : file, optional
        Where to report progress (e.g. ``sys.stderr``); None for silence.

    Yields
    ------
    Recommendation
        Users in the order of their first session, each user's items best first.

    Raises
    ------
    SettingsError
        For a ``topn`` that is not a whole number >= 1, an unknown ``score``,
        or sessions without users (checked before the first row).
    CorpusError
        If no user has an item that is in the model (the wrong model?).
    """
    if not isinstance(topn, int) or isinstance(topn, bool) or topn < 1:
        raise SettingsError(f"topn must be a whole number >= 1, got {topn!r}")
    if score not in ("context", "cosine"):
        raise SettingsError(f"score must be 'context' or 'cosine', not {score!r}")
    histories = user_histories(sessions)
    chunk = users_per_chunk(len(model.wv)) if chunk_users is None else chunk_users
    if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
        raise SettingsError(f"chunk_users must be a whole number >= 1, got {chunk_users!r}")
    return _recommendations(model, histories, topn, list(exclude), score, half_life, chunk,
                            BatchStats() if stats is None else stats, progress)


def _recommendations(model, histories, topn, exclude, score, half_life, chunk, stats, progress):
    _check_some_item_is_known(model, histories)
    users = list(histories)
    shown = _Progress(len(users), progress)
    for start in range(0, len(users), chunk):
        chunk_users = users[start:start + chunk]
        queries = [[item for session in histories[user] for item in session]
                   for user in chunk_users]
        found = model.recommend_many(queries, topn=topn, exclude=[exclude] * len(queries),
                                     score=score, half_life=half_life)
        for user, items in zip(chunk_users, found):
            stats.users += 1
            if not items:
                stats.unknown += 1  # no item of the history has a vector (topn >= 1)
                continue
            stats.recommended += 1
            stats.rows += len(items)
            for rank, (item, value) in enumerate(items, 1):
                yield Recommendation(user, rank, item, value)
        shown.update(start + len(chunk_users))
    shown.close()


def _check_some_item_is_known(model, histories) -> None:
    index = model.wv.key_to_index
    for sessions in histories.values():
        if any(item in index for session in sessions for item in session):
            return
    raise CorpusError(f"none of the {len(histories):,} users has an item that is in the model "
                      f"({len(index):,} items): is it the model trained on these items?")


class _Progress:
    """'recommending: 12,000/943,000 users (1.3%)  3.2k users/s  ETA 4:51' on
    ``stream``: redrawn on a terminal, a line every 10 s into a log, nothing
    for work done within the first second."""

    def __init__(self, total: int, stream, first_after: float = 1.0):
        self.total, self.stream = total, stream
        self.tty = stream is not None and hasattr(stream, "isatty") and stream.isatty()
        self.every = 0.5 if self.tty else 10.0
        self.start = time.perf_counter()
        self.next_shown = self.start + first_after
        self.shown = False

    def update(self, done: int, force: bool = False) -> None:
        now = time.perf_counter()
        if self.stream is None or (now < self.next_shown and not force):
            return
        self.next_shown = now + self.every
        speed = done / max(now - self.start, 1e-9)
        eta = (self.total - done) / speed if speed > 0 else 0.0
        line = (f"recommending: {done:,}/{self.total:,} users ({100 * done / self.total:.1f}%)  "
                f"{format_count(speed)} users/s  ETA {format_duration(eta)}")
        self.stream.write(f"\r{line}" if self.tty else f"{line}\n")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """End with the line for all users, once any line was shown."""
        if not self.shown:
            return
        self.update(self.total, force=True)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


# --- writing -------------------------------------------------------------------------------


def output_format(path) -> str:
    """``"csv"``, ``"tsv"`` or ``"parquet"``, from the extension (``-``: CSV).

    Raises
    ------
    SettingsError
        For another extension, or Parquet without pyarrow.
    """
    if os.fspath(path) == "-":
        return "csv"
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    form = OUTPUT_FORMATS.get(suffix)
    if form is None:
        raise SettingsError(f"cannot tell the format of {path} from its extension: name it "
                            f"{', '.join(OUTPUT_FORMATS)} (or - for CSV on standard output)")
    if form == "parquet":
        _pyarrow_for(path)
    return form


def write_recommendations(rows: Iterable[Recommendation], path, *,
                          titles: dict[str, str] | None = None) -> int:
    """Write recommendations as they come, and return how many were written.

    Parameters
    ----------
    rows : iterable of Recommendation
        E.g. from `recommend_for_users`.
    path : str or path-like
        ``.csv`` or ``.tsv`` (a header, then columns user, rank, item,
        score, and title when ``titles`` is given), ``.parquet`` (the same
        columns), or ``-`` for CSV on standard output. A file is written
        atomically: it appears complete or not at all (see `w2v.atomic`).
    titles : dict, optional
        Item titles, e.g. from `w2v.sessions.read_item_titles`; an item
        without one has an empty title.

    Raises
    ------
    SettingsError
        For an extension that is not one of `OUTPUT_FORMATS`.
    OutputError
        If the file cannot be written (a full disk): nothing is left of it.
    """
    form = output_format(path)
    if os.fspath(path) == "-":
        return _write_text(rows, sys.stdout, ",", titles)
    check_target(path)
    with atomic_write(path) as handle:
        if form == "parquet":
            return _write_parquet(rows, handle, titles, path)
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        try:
            written = _write_text(rows, text, "\t" if form == "tsv" else ",", titles)
            text.flush()
        finally:
            text.detach()  # atomic_write flushes, syncs and closes the file itself
        return written


def _write_text(rows, stream, delimiter: str, titles) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(_COLUMNS + (("title",) if titles is not None else ()))
    written = 0
    for user, rank, item, value in rows:
        row = (user, rank, item, f"{value:.6g}")
        writer.writerow(row + (titles.get(item, ""),) if titles is not None else row)
        written += 1
        if buffer.tell() >= CSV_BUFFER_CHARS:
            stream.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    stream.write(buffer.getvalue())
    stream.flush()
    return written


_COLUMNS = ("user", "rank", "item", "score")


def _write_parquet(rows, handle, titles, path) -> int:
    pa = _pyarrow_for(path)
    import pyarrow.parquet as pq
    fields = [("user", pa.string()), ("rank", pa.int32()), ("item", pa.string()),
              ("score", pa.float32())] + ([("title", pa.string())] if titles is not None else [])
    schema = pa.schema(fields)
    written = 0
    with pq.ParquetWriter(handle, schema) as writer:
        columns: list[list] = [[] for _ in fields]
        for row in rows:
            for column, value in zip(columns, row):
                column.append(value)
            if titles is not None:
                columns[4].append(titles.get(row.item, ""))
            if len(columns[0]) >= PARQUET_GROUP_ROWS:
                written += _write_group(pa, writer, schema, columns)
        if columns[0] or not written:
            written += _write_group(pa, writer, schema, columns)
    return written


def _write_group(pa, writer, schema, columns) -> int:
    count = len(columns[0])
    writer.write_table(pa.Table.from_arrays(
        [pa.array(values, type=field.type) for values, field in zip(columns, schema)],
        schema=schema))
    for values in columns:
        values.clear()
    return count


def _pyarrow_for(path):
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        from .tables import INSTALL_HINT
        raise SettingsError(f"writing {path} as Parquet needs pyarrow, which is not "
                            f"installed: {INSTALL_HINT} (or write .csv)") from None
    return pyarrow
