"""Tables that are not text: Parquet and Arrow (Feather) files, pandas
DataFrames and Series, and pyarrow tables, read with pyarrow in record batches.

They give what the text readers give:

- **interactions** and **baskets** for item2vec, with the column roles and
  bad-row accounting of `w2v.sessions` (`read_table_sessions`);
- **text**, one sentence per row of a string column, for word2vec: as a
  stream of lines that `w2v.corpus` tokenizes like any text file
  (`open_table_text`), or as a corpus to train on (`TextColumn`).

A file is recognised by its first bytes (``PAR1`` for Parquet, ``ARROW1``
for the Arrow IPC file format, which Feather 2 is), never by its name: a
``.parquet`` that is CSV reads as CSV. A damaged or truncated file is one
`CorpusError`. Both formats keep their index at the end of the file, so they
are read from files only, not from pipes or standard input.

pyarrow is an optional dependency (``pip install 'w2v[arrow]'``), imported
only when a table is read: without it, such a table is one `CorpusError`
saying how to install it. pandas is never imported here: a DataFrame is
recognised by its type's module.

Memory: a Parquet file is read a record batch at a time, its pages streamed
through a small buffer, so a row group of any size costs one batch; an Arrow
file is memory-mapped and read in slices. A batch holds at most `BATCH_ROWS`
rows and, for text, about `BATCH_BYTES`.
"""

from __future__ import annotations

import io
import math
import os
import stat
from collections.abc import Iterator, Sequence

import numpy as np

from .corpus import ReadStats
from .corpus import _sentences as sentences_of_streams
from .errors import CorpusError, SettingsError
from .sessions import (HEADER_NAMES, MAX_RECORD_CHARS, MEMORY_RESERVE_BYTES, ROLES, BadRow,
                       Sessions, SessionStats, _bad_row, _cyclic_gc_paused, _group,
                       _memory_left, _normalise_header, _number, _refuse_baskets_options,
                       _roles, _roles_from_header, _timestamp)
from .settings import whole_number
from .sources import BINARY_CHECK_BYTES, display_name, format_size, is_stdin

__all__ = ["ARROW_SIGNATURE", "BATCH_BYTES", "BATCH_ROWS", "FORMAT_NAMES", "INSTALL_HINT",
           "PARQUET_SIGNATURE", "TEXT_COLUMN_NAMES", "TextColumn", "is_table_object",
           "open_table", "open_table_text", "read_table_sessions", "table_format"]

#: First bytes of a Parquet file.
PARQUET_SIGNATURE = b"PAR1"
#: First bytes of an Arrow IPC file (Feather version 2).
ARROW_SIGNATURE = b"ARROW1"
#: What messages call each format.
FORMAT_NAMES = {"parquet": "an Apache Parquet file", "arrow": "an Apache Arrow (Feather) file"}
#: How to get pyarrow, in the message shown without it.
INSTALL_HINT = "pip install 'w2v[arrow]'"
#: Most rows in one record batch.
BATCH_ROWS = 1 << 16
#: About how many bytes of data one batch of text holds (a single longer row
#: is one batch of its own).
BATCH_BYTES = 16 << 20
#: Bytes of a Parquet column chunk read at a time: without a buffer, pyarrow
#: reads each column chunk whole, and a row group can be gigabytes.
PARQUET_BUFFER_BYTES = 1 << 20
#: Names, as `w2v.sessions` normalises them, of the column that holds the
#: text when a table has several string columns.
TEXT_COLUMN_NAMES = ("text", "sentence", "sentences", "content", "body", "document", "line")


# --- recognising tables --------------------------------------------------------------


def table_format(path) -> str | None:
    """``"parquet"`` or ``"arrow"`` for a regular file that is one, else None
    (text, a pipe, standard input, no such file). pyarrow is not needed.

    A file is one when it starts with the format's signature and either ends
    with it too (as both formats do) or is binary (a NUL byte in its first
    `w2v.sources.BINARY_CHECK_BYTES`), so that a truncated file is
    recognised, and a text that starts with "PAR1" is still text.
    """
    if not isinstance(path, (str, os.PathLike)) or is_stdin(path):
        return None
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # a FIFO's first bytes, once read, would be gone
        with open(path, "rb") as file:
            head = file.read(BINARY_CHECK_BYTES)
            file.seek(max(file.seek(0, os.SEEK_END) - len(ARROW_SIGNATURE), 0))
            tail = file.read()
    except (OSError, ValueError):
        return None  # the text readers say what is wrong with it
    for form, signature in (("parquet", PARQUET_SIGNATURE), ("arrow", ARROW_SIGNATURE)):
        if head.startswith(signature) and (tail.endswith(signature) or b"\0" in head):
            return form
    return None


def is_table_object(value) -> bool:
    """Whether ``value`` is a table in memory that `open_table` reads: a pandas
    DataFrame or Series, a pyarrow Table, RecordBatch, Array or ChunkedArray."""
    module = (type(value).__module__ or "").partition(".")[0]
    return module in ("pandas", "pyarrow") and type(value).__name__ in _TABLE_TYPES


_TABLE_TYPES = {"DataFrame", "Series", "Table", "RecordBatch", "ChunkedArray", "Array",
                "StringArray", "LargeStringArray", "StringViewArray", "DictionaryArray",
                "ListArray", "LargeListArray"}


def _pyarrow(name: str, what: str):
    """The pyarrow module, or a CorpusError naming ``name`` and how to install it."""
    try:
        import pyarrow
        import pyarrow.compute  # noqa: F401  (loads pyarrow.compute as pyarrow's attribute)
    except ImportError:
        raise CorpusError(f"{name} looks like a binary file ({what}): w2v reads those with "
                          f"pyarrow, which is not installed: {INSTALL_HINT}") from None
    return pyarrow


# --- a table, whatever holds it ----------------------------------------------------------


class Table:
    """The columns of a Parquet or Arrow file or of a table in memory, read in
    record batches. Made by `open_table`; close it (or use ``with``) to
    close the file.

    Attributes
    ----------
    name : str
        For messages: the path, or "the DataFrame" and the like.
    names : list of str
        The column names, in order.
    """

    def __init__(self, name: str, names: list[str], pa, what: str):
        self.name = name
        self.names = names
        self.hint = ""  # said when the columns cannot be told apart
        self._pa = pa
        self._what = what  # the format, for messages about damage

    def types(self) -> list:
        """The Arrow type of each column."""
        raise NotImplementedError

    def batches(self, columns: Sequence[int], max_bytes: int | None = None) -> Iterator[list]:
        """The values of the columns at ``columns``: one list of Arrow arrays
        per batch of rows, in order. A damaged file is a CorpusError."""
        pa = self._pa
        try:
            for arrays in self._batches(list(columns), max_bytes):
                for array in arrays:
                    # Neither format's reader checks offsets or UTF-8: damaged
                    # data would be read out of bounds (a crash) or fail later.
                    array.validate(full=True)
                yield [_plain(pa, array) for array in arrays]
        except (pa.ArrowException, OSError, ValueError) as error:  # UnicodeDecodeError too
            raise self._damaged(error) from None

    def _batches(self, columns: list[int], max_bytes: int | None) -> Iterator[list]:
        raise NotImplementedError

    def _damaged(self, error: Exception) -> CorpusError:
        return CorpusError(f"{self.name} looks like a binary file ({self._what}) but cannot be "
                           f"read: it is damaged or truncated ({_reason(error)})")

    def close(self) -> None:
        pass

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exception) -> None:
        self.close()


def open_table(source) -> Table:
    """A `Table` of a Parquet or Arrow file (recognised by its first bytes),
    a pandas DataFrame or Series, or a pyarrow table or array.

    Raises
    ------
    CorpusError
        If the file is damaged, truncated or not one of these formats, or
        pyarrow is not installed.
    """
    if is_table_object(source):
        return _memory_table(source)
    form = table_format(source)
    name = display_name(source)
    if form is None:
        raise CorpusError(f"{name} is not a Parquet or Arrow file")
    pa = _pyarrow(name, FORMAT_NAMES[form])
    opener = _ParquetTable if form == "parquet" else _ArrowTable
    try:
        return opener(name, source, pa)
    except (pa.ArrowException, OSError) as error:
        raise CorpusError(f"{name} looks like a binary file ({FORMAT_NAMES[form]}) but cannot "
                          f"be read: it is damaged or truncated ({_reason(error)})") from None


class _ParquetTable(Table):
    def __init__(self, name, path, pa):
        import pyarrow.parquet as pq
        self._file = pq.ParquetFile(os.fspath(path), buffer_size=PARQUET_BUFFER_BYTES,
                                    pre_buffer=False)
        schema = self._file.schema_arrow
        super().__init__(name, list(schema.names), pa, FORMAT_NAMES["parquet"])
        self._schema = schema

    def types(self) -> list:
        return list(self._schema.types)

    def _batches(self, columns, max_bytes):
        chosen = [self.names[i] for i in columns]
        if len(set(chosen)) < len(chosen):
            raise CorpusError(f"{self.name}: two columns are named {_repeated(chosen)!r}")
        rows = max(1, min(BATCH_ROWS, (max_bytes or BATCH_BYTES) // self._bytes_per_row()))
        for batch in self._file.iter_batches(batch_size=rows, columns=chosen, use_threads=False):
            yield [batch.column(k) for k in range(len(chosen))]

    def _bytes_per_row(self) -> int:
        """Uncompressed bytes of a row, all columns, from the file's metadata."""
        meta = self._file.metadata
        if not meta.num_rows:
            return 1
        total = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        return max(1, total // meta.num_rows)

    def close(self) -> None:
        self._file.close()


class _ArrowTable(Table):
    def __init__(self, name, path, pa):
        self._map = pa.memory_map(os.fspath(path))  # batches are read in place, not copied
        try:
            self._reader = pa.ipc.open_file(self._map)
        except BaseException:
            self._map.close()
            raise
        schema = self._reader.schema
        super().__init__(name, list(schema.names), pa, FORMAT_NAMES["arrow"])
        self._schema = schema

    def types(self) -> list:
        return list(self._schema.types)

    def _batches(self, columns, max_bytes):
        for index in range(self._reader.num_record_batches):
            batch = self._reader.get_batch(index)
            for start in range(0, batch.num_rows, BATCH_ROWS):
                part = batch.slice(start, BATCH_ROWS)
                yield [part.column(k) for k in columns]

    def close(self) -> None:
        self._map.close()


class _MemoryTable(Table):
    """A pyarrow Table or RecordBatch; a pandas DataFrame, converted a slice at a time."""

    def __init__(self, name, value, pa, frame: bool):
        self._value = value
        self._frame = frame
        names = [str(column) for column in value.columns] if frame else list(value.schema.names)
        super().__init__(name, names, pa, "a table")
        index = [str(level) for level in getattr(value.index, "names", ()) if level is not None] \
            if frame else []
        if index:
            # A groupby or set_index puts columns in the index, which is not read.
            self.hint = (f"; the index ({', '.join(index)}) is not read: reset_index() makes "
                         f"it columns")

    def types(self) -> list:
        if not self._frame:
            return list(self._value.schema.types)
        head, types = self._value.iloc[:BATCH_ROWS], []
        for k in range(len(self.names)):
            try:
                types.append(self._converted(head.iloc[:, k], k).type)
            except CorpusError:
                types.append(self._pa.null())  # mixed values: an error only if it is read
        return types

    def _batches(self, columns, max_bytes):
        if not self._frame:
            for batch in self._value.to_batches(max_chunksize=BATCH_ROWS):
                yield [batch.column(k) for k in columns]
            return
        frame = self._value
        for start in range(0, len(frame), BATCH_ROWS):
            part = frame.iloc[start:start + BATCH_ROWS]
            yield [self._converted(part.iloc[:, k], k) for k in columns]

    def _converted(self, series, k):
        pa = self._pa
        try:
            return pa.Array.from_pandas(series)
        except (pa.ArrowException, TypeError, ValueError) as error:
            raise CorpusError(f"{self.name}: column {self.names[k]!r} cannot be read "
                              f"({_reason(error)})") from None

    def _damaged(self, error):
        return CorpusError(f"{self.name} cannot be read ({_reason(error)})")


def _memory_table(value) -> Table:
    kind = type(value).__name__
    pa = _pyarrow(f"a {kind}", "a table")
    if kind == "Series":
        return _MemoryTable(f"the Series {value.name!r}" if value.name is not None
                            else "the Series", value.to_frame(), pa, frame=True)
    if kind == "DataFrame":
        return _MemoryTable("the DataFrame", value, pa, frame=True)
    if kind == "RecordBatch":
        return _MemoryTable("the Arrow RecordBatch", pa.Table.from_batches([value]), pa,
                            frame=False)
    if kind == "Table":
        return _MemoryTable("the Arrow Table", value, pa, frame=False)
    # An array: a table of one column.
    return _MemoryTable("the Arrow array", pa.table({"text": value}), pa, frame=False)


def _plain(pa, array):
    """A ChunkedArray as one Array, and dictionary-encoded values decoded."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def _reason(error: Exception) -> str:
    """pyarrow's message, on one line and not too long."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _repeated(names: list[str]) -> str:
    return next(name for name in names if names.count(name) > 1)


def _is_text_type(pa, kind) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or \
        getattr(pa.types, "is_string_view", lambda _: False)(kind) or \
        (pa.types.is_dictionary(kind) and _is_text_type(pa, kind.value_type))


# --- reading within memory -----------------------------------------------------------------


class _RowsRead:
    """Rows read so far; every batch, reading stops with a CorpusError if the
    memory left is below `w2v.sessions.MEMORY_RESERVE_BYTES`, as for text."""

    def __init__(self):
        self.rows = 0

    def add(self, rows: int, name: str) -> None:
        self.rows += rows
        left = _memory_left()
        if left is not None and left < MEMORY_RESERVE_BYTES:
            raise CorpusError(_too_big(name, self.rows, left))


def _within_memory(name: str, read: _RowsRead, work):
    """``work()``, with the cyclic garbage collector paused (what is read is
    kept), and a MemoryError made the CorpusError that `_RowsRead` raises."""
    with _cyclic_gc_paused():
        try:
            return work()
        except MemoryError:
            pass  # raised below, once the frames of its traceback and what they hold are freed
    raise CorpusError(_too_big(name, read.rows))


def _too_big(name: str, rows: int, left: int | None = None) -> str:
    free = "" if left is None else f", with {format_size(left)} of memory left"
    return (f"{name} holds more sessions than fit in memory: stopped after reading {rows:,} "
            f"rows{free}; read a part of it (such as its first {max(rows // 2, 1):,} rows), "
            f"or use a machine with more memory")


# --- interactions and baskets --------------------------------------------------------------


def read_table_sessions(source, form: str = "interactions", **options):
    """Sessions from a table, as `w2v.sessions.read_sessions` reads them from text.

    Parameters
    ----------
    source
        A Parquet or Arrow file, or a table in memory (see `open_table`).
    form : {"auto", "baskets", "interactions"}
        ``"auto"``: interactions when ``columns`` is given or the column names
        tell a user and an item column (as a header does, see
        ``w2v.sessions.HEADER_NAMES``), baskets when the table has one column.
    **options
        ``columns``, ``min_rating``, ``session_gap`` and ``on_bad_rows`` as
        for `w2v.sessions.read_interactions`; ``header`` and ``delimiter``
        mean nothing for a table (its columns are named) and are ignored.

    Returns
    -------
    w2v.sessions.Sessions
        Bad rows are numbered from 1, the first row of data.
    """
    with open_table(source) as table:
        if form == "auto":
            form = _table_form(table, options.get("columns"))
        if form == "baskets":
            _refuse_baskets_options(table.name, options)
            return _baskets(table, options.get("on_bad_rows", "skip"))
        return _interactions(table, options.get("columns"), options.get("min_rating"),
                             options.get("session_gap"), options.get("on_bad_rows", "skip"))


def _table_form(table: Table, columns) -> str:
    if columns or _names_tell_roles(table):
        return "interactions"
    if len(table.names) == 1:
        return "baskets"
    raise _no_roles(table)


def _names_tell_roles(table: Table) -> bool:
    """Whether the column names say which are the user and the item, as a header would."""
    keys = {_normalise_header(name) for name in table.names}
    return bool(keys & HEADER_NAMES["user"]) and bool(keys & HEADER_NAMES["item"])


def _no_roles(table: Table) -> CorpusError:
    return CorpusError(f"{table.name}: cannot tell the user and item columns from the column "
                       f"names {table.names}; name the roles of the columns in order "
                       f"(columns=[...] or --columns user,item,timestamp,...){table.hint}")


def _interactions(table: Table, columns, min_rating, session_gap, on_bad_rows):
    name = table.name
    roles = _roles(columns or _roles_from_names(table), name)
    rated = min_rating is not None
    if rated and "rating" not in roles:
        raise CorpusError(f"{name}: min_rating needs a rating column")
    if session_gap is not None and "timestamp" not in roles:
        raise CorpusError(f"{name}: a session gap needs a timestamp column")
    used = [role for role in ROLES if role in roles and (rated or role != "rating")]
    beyond = [role for role in used if roles[role] >= len(table.names)]
    if beyond:
        raise CorpusError(f"{name} has {len(table.names)} columns ({', '.join(table.names)}): "
                          f"there is no column for the {beyond[0]}")
    stats = SessionStats()
    read = _RowsRead()
    rows_by_user = _within_memory(name, read, lambda: _rows_by_user(
        table, roles, used, min_rating, on_bad_rows, stats, read))
    stats.lines = read.rows
    sessions = _group(rows_by_user, session_gap, stats)
    sessions.ordered = "timestamp" in roles
    return sessions


def _rows_by_user(table: Table, roles, used, min_rating, on_bad_rows, stats, read):
    """user -> [(timestamp, row number, item)], users in the order of their first row."""
    rated = min_rating is not None
    rows_by_user: dict[str, list[tuple[float, int, str]]] = {}
    for arrays in table.batches([roles[role] for role in used]):
        values, problems = _row_values(table, dict(zip(used, arrays)), roles)
        users, items = values["user"], values["item"]
        times = values.get("timestamp") or [0.0] * len(users)
        ratings = values.get("rating")
        for i, (user, item, time) in enumerate(zip(users, items, times)):
            number = read.rows + i + 1
            if i in problems:
                _bad_row(stats, table.name, BadRow(number, problems[i], unit="row"), on_bad_rows)
            elif rated and ratings[i] < min_rating:
                stats.below_min_rating += 1
            else:
                rows_by_user.setdefault(user, []).append((time, number, item))
        read.add(len(users), table.name)
    return rows_by_user


def _roles_from_names(table: Table) -> list[str]:
    if not _names_tell_roles(table):
        raise _no_roles(table)
    return _roles_from_header(table.names, table.name)


def _row_values(table: Table, arrays: dict, roles: dict):
    """Python values of each role's column in one batch, and the first problem
    of each bad row (by its index in the batch), roles in the order of ROLES."""
    pa, values, problems = table._pa, {}, {}
    for role, array in arrays.items():
        column = table.names[roles[role]]
        if role in ("user", "item"):
            values[role], found = _ids(pa, array, role, column, table.name)
        elif role == "timestamp":
            values[role], found = _seconds(pa, array, column, table.name)
        else:
            values[role], found = _numbers(pa, array, column, table.name)
        for index, reason in found.items():
            problems.setdefault(index, reason)
    return values, problems


def _ids(pa, array, role: str, column: str, name: str):
    """Ids as strings, stripped as CSV fields are; problems for null or empty ones."""
    pc, kind = pa.compute, array.type
    if _is_text_type(pa, kind):
        array = pc.utf8_trim_whitespace(array)
    elif pa.types.is_floating(kind):
        # NaN is how pandas writes a missing id in a float column; 2.0 is written "2".
        array = pc.if_else(pc.is_nan(array), pa.scalar(None, kind), array).cast(pa.string())
    elif (pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_decimal(kind)
          or pa.types.is_temporal(kind) or pa.types.is_binary(kind)
          or pa.types.is_large_binary(kind)):
        try:
            array = array.cast(pa.string())
        except pa.ArrowInvalid as error:
            raise CorpusError(f"{name}: the {role} column {column!r} cannot be read as ids "
                              f"({_reason(error)})") from None
    else:
        raise CorpusError(f"{name}: the {role} column {column!r} holds {kind}, not ids: "
                          f"choose another column (columns=[...] or --columns)")
    values = array.to_pylist()
    problems = {i: f"the {role} is missing (null)" if value is None else f"the {role} is empty"
                for i, value in enumerate(values) if not value}
    return values, problems


def _seconds(pa, array, column: str, name: str):
    """Timestamps as seconds: an Arrow timestamp or date (Unix time, UTC), a
    number as it is, text as `w2v.sessions` reads it (a number or ISO 8601)."""
    kind = array.type
    if _is_text_type(pa, kind):
        return _parsed(array.to_pylist(), _timestamp, "timestamp")
    if pa.types.is_timestamp(kind):
        per_second = {"s": 1, "ms": 1e3, "us": 1e6, "ns": 1e9}[kind.unit]
        array = pa.compute.divide(_floats(pa, array.cast(pa.int64())), per_second)
    elif pa.types.is_date32(kind):
        array = pa.compute.multiply(_floats(pa, array.cast(pa.int32())), 86400.0)
    elif pa.types.is_date64(kind):
        array = pa.compute.divide(_floats(pa, array.cast(pa.int64())), 1000.0)
    elif _is_number_type(pa, kind):
        array = _floats(pa, array)
    else:
        raise CorpusError(f"{name}: the timestamp column {column!r} holds {kind}: a timestamp "
                          f"is a date and time, a date, a number of seconds or text")
    return _finite(array.to_pylist(), "timestamp")


def _numbers(pa, array, column: str, name: str):
    """Ratings as floats: numbers as they are, text as `w2v.sessions` reads it."""
    kind = array.type
    if _is_text_type(pa, kind):
        return _parsed(array.to_pylist(), lambda text: _number(text, "rating"), "rating")
    if not (_is_number_type(pa, kind) or pa.types.is_boolean(kind)):
        raise CorpusError(f"{name}: the rating column {column!r} holds {kind}, not numbers")
    return _finite(_floats(pa, array).to_pylist(), "rating")


def _floats(pa, array):
    # Rounded, as float() rounds: nanoseconds since 1970 are beyond 2 ** 53.
    return array.cast(pa.float64(), safe=False)


def _is_number_type(pa, kind) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)


def _parsed(texts: list, parse, what: str):
    values, problems = [], {}
    for i, text in enumerate(texts):
        try:
            values.append(None if text is None else parse(text))
        except ValueError as reason:
            values.append(None)
            problems[i] = str(reason)
        else:
            if text is None:
                problems[i] = f"the {what} is missing (null)"
    return values, problems


def _finite(numbers: list, what: str):
    problems = {i: f"the {what} is missing (null)" if value is None
                else f"{what} {value!r} is not a finite number"
                for i, value in enumerate(numbers) if value is None or not math.isfinite(value)}
    return numbers, problems


def _baskets(table: Table, on_bad_rows: str):
    """One basket per row of a table's only column: a list of item ids, or
    text holding them separated by spaces or commas (as a baskets file's lines)."""
    pa, name = table._pa, table.name
    kind = table.types()[0]
    if not (_is_text_type(pa, kind) or pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        raise CorpusError(f"{name}: its one column {table.names[0]!r} holds {kind}; baskets are "
                          f"lists of item ids or text (name the columns' roles to read a table)")
    stats, read = SessionStats(), _RowsRead()
    sessions = _within_memory(name, read, lambda: _basket_rows(table, on_bad_rows, stats, read))
    stats.lines, stats.sessions = read.rows, len(sessions)
    stats.items = sum(map(len, sessions))
    return Sessions(sessions, None, stats)


def _basket_rows(table: Table, on_bad_rows: str, stats, read) -> list[list[str]]:
    sessions = []
    for (array,) in table.batches([0]):
        for i, value in enumerate(array.to_pylist()):
            if isinstance(value, str) and len(value) > MAX_RECORD_CHARS:
                reason = f"longer than {MAX_RECORD_CHARS:,} characters"
                _bad_row(stats, table.name, BadRow(read.rows + i + 1, reason, unit="row"),
                         on_bad_rows)
                continue
            items = _basket_items(value)
            if items:
                sessions.append(items)
        read.add(len(array), table.name)
    return sessions


def _basket_items(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.replace(",", " ").split()
    return [str(item).strip() for item in value if item is not None and str(item).strip()]


# --- text, one sentence per row ---------------------------------------------------------------


def open_table_text(source, column: str | None = None) -> io.TextIOBase:
    """The text of a table's string column as a text stream, one row per line.

    Line breaks inside a row become spaces, so that a row stays one
    sentence; a null row is an empty line. Invalid UTF-8 is replaced by
    U+FFFD, as `w2v.sources.open_text` does.

    Parameters
    ----------
    source
        A Parquet or Arrow file, or a table in memory (see `open_table`).
    column : str, optional
        The column to read. By default the table's only string column, or,
        among several, the one named as in `TEXT_COLUMN_NAMES` (``text``,
        ``sentence``...).

    Raises
    ------
    CorpusError
        If there is no such column, no text column, several and none named
        as text, or the file is damaged.
    """
    table = open_table(source)
    try:
        index = _text_column(table, column)
        raw = _RowsAsLines(table, index)
    except BaseException:
        table.close()
        raise
    return io.TextIOWrapper(io.BufferedReader(raw, 1 << 16), encoding="utf-8", errors="replace")


def _text_column(table: Table, column: str | None) -> int:
    pa, types = table._pa, table.types()
    if column is not None:
        if column not in table.names:
            raise CorpusError(f"{table.name} has no column {column!r} (its columns: "
                              f"{', '.join(table.names)})")
        index = table.names.index(column)
        if not _is_text_type(pa, types[index]):
            raise CorpusError(f"{table.name}: column {column!r} holds {types[index]}, not text")
        return index
    texts = [i for i, kind in enumerate(types) if _is_text_type(pa, kind)]
    named = [i for i in texts if _normalise_header(table.names[i]) in TEXT_COLUMN_NAMES]
    if len(texts) == 1 or len(named) == 1:
        return texts[0] if len(texts) == 1 else named[0]
    shown = ", ".join(f"{name}: {kind}" for name, kind in zip(table.names, types))
    if not texts:
        lists = any(pa.types.is_list(kind) or pa.types.is_large_list(kind) for kind in types)
        hint = ("; for a column of token lists, train on list(column) instead" if lists else "")
        raise CorpusError(f"{table.name} has no text column ({shown}){hint}")
    raise CorpusError(f"{table.name} has several text columns ({shown}): name the one to read "
                      f"(w2v.tables.TextColumn(path, column=...)), or call it 'text'")


class _RowsAsLines(io.RawIOBase):
    """The UTF-8 bytes of a string column, a newline after each row: what a
    text file of one sentence per line would hold."""

    def __init__(self, table: Table, index: int):
        self._table = table
        self._pieces = self._lines(table.batches([index], max_bytes=BATCH_BYTES))
        self._piece = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._piece:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._piece = memoryview(piece)
        count = min(len(buffer), len(self._piece))
        buffer[:count] = self._piece[:count]
        self._piece = self._piece[count:]
        return count

    def _lines(self, batches) -> Iterator[bytes]:
        pa = self._table._pa
        for (array,) in batches:
            array = pa.compute.fill_null(array.cast(pa.large_string()), "")
            offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)
            offsets = offsets[array.offset:array.offset + len(array) + 1]
            data = array.buffers()[2]  # None when every row is empty
            data = np.empty(0, np.uint8) if data is None else np.frombuffer(data, np.uint8)
            for start, stop in _byte_slices(offsets, BATCH_BYTES):
                yield _joined_rows(data, offsets[start:stop + 1])

    def close(self) -> None:
        if not self.closed:
            self._table.close()
        super().close()


def _byte_slices(offsets: np.ndarray, max_bytes: int) -> Iterator[tuple[int, int]]:
    """Row ranges ``[start, stop)`` of at most ``max_bytes`` bytes, or one row."""
    rows, start = len(offsets) - 1, 0
    while start < rows:
        stop = int(np.searchsorted(offsets, offsets[start] + max_bytes, side="right")) - 1
        stop = min(max(stop, start + 1), rows)
        yield start, stop
        start = stop


def _joined_rows(data: np.ndarray, offsets: np.ndarray) -> bytes:
    """Rows ``data[offsets[i]:offsets[i + 1]]``, each line break in them made a
    space and a newline after each: CR and LF are ASCII, never part of
    another UTF-8 character."""
    text = data[offsets[0]:offsets[-1]].copy()
    text[(text == 10) | (text == 13)] = 32
    return np.insert(text, offsets[1:] - offsets[0], 10).tobytes()


class TextColumn:
    """A string column of a table as a corpus: one sentence per row, tokenized
    exactly as `w2v.corpus` tokenizes a text file's lines, read again on each
    pass. Pass it to ``Word2Vec.train`` like a path.

    Parameters
    ----------
    source
        A Parquet or Arrow file, a pandas Series of strings or a DataFrame,
        or a pyarrow array or table (see `open_table`).
    column : str, optional
        The column to read: see `open_table_text`.
    lowercase : bool, default True
    max_sentence_length : int, default 10_000
        As for `w2v.corpus.Corpus`.

    Attributes
    ----------
    stats : w2v.corpus.ReadStats
        Counts of the latest pass (``lines`` are rows).

    Examples
    --------
    >>> import pandas as pd                                   # doctest: +SKIP
    >>> frame = pd.DataFrame({"id": [1, 2], "text": ["The cat", "A dog"]})
    >>> list(TextColumn(frame))                               # doctest: +SKIP
    [['the', 'cat'], ['a', 'dog']]
    """

    def __init__(self, source, column: str | None = None, *, lowercase: bool = True,
                 max_sentence_length: int = 10_000):
        if not (is_table_object(source) or table_format(source)):
            raise SettingsError(f"TextColumn reads a Parquet or Arrow file, a pandas Series or "
                                f"DataFrame, or a pyarrow table, not {type(source).__name__}")
        whole_number("max_sentence_length", max_sentence_length)
        self.source, self.column = source, column
        self.lowercase, self.max_sentence_length = lowercase, max_sentence_length
        self.stats = ReadStats()
        open_table_text(source, column).close()  # a wrong column fails now, not in training

    def __iter__(self) -> Iterator[list[str]]:
        self.stats = ReadStats()
        name = display_name(self.source) if table_format(self.source) else "the table"
        return sentences_of_streams([(name, lambda: open_table_text(self.source, self.column))],
                                    self.lowercase, self.max_sentence_length, self.stats)

    def __repr__(self) -> str:
        return f"TextColumn({type(self.source).__name__}, column={self.column!r})"
