"""What w2v.spark trains on: a DataFrame column, or files that Spark reads,
turned into sentences on the executors exactly as w2v reads text.

Inputs:

- a DataFrame with a column of **text** (one sentence per row, tokenized on
  the executors by w2v's tokenizer) or of **token arrays** (``array<string>``,
  kept as they are, like the token lists the single-machine trainer takes);
- **paths** read by Spark: text files (plain, ``.gz``, ``.bz2``; a folder is
  listed as `w2v.sources.list_corpus` lists it, so the same files are read)
  or Parquet files (a text or token-array column).

Text rows go through the very reader `w2v.corpus` uses for files (a
partition's rows are read as the lines of one stream), so a DataFrame of
lines gives the sentences, the tokens and the counts of `ReadStats` that
the same lines in a file give: long lines are cut into sentences of
``max_sentence_length`` tokens, over-long tokens are dropped and counted.
Line breaks inside a row become spaces, so a row is one sentence, as in
`w2v.tables`. Null rows, and null elements of token arrays, are skipped and
counted (``null_rows``, ``null_tokens`` of `SparkReadStats`).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from ..corpus import ReadStats
from ..corpus import _sentences as sentences_of_streams  # the file reader's own loop
from ..errors import CorpusError, SettingsError
from ..sources import check_not_binary, is_stdin, list_corpus, open_decompressed, read_up_to
from ..tables import TEXT_COLUMN_NAMES, table_format

__all__ = ["SparkInput", "SparkReadStats", "open_input", "sentences_of_partition"]

#: Characters of rows joined before the reader tokenizes them: the reader's own chunk size.
ROWS_CHARS = 1 << 20
# First bytes of compressed files, and the suffix Spark needs to see to
# decompress them (it goes by the name only).
_COMPRESSED = ((b"\x1f\x8b", "gzip", (".gz",)), (b"BZh", "bzip2", (".bz2",)),
               (b"\xfd7zXZ\x00", "xz", (".xz",)))
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass
class SparkReadStats(ReadStats):
    """`w2v.corpus.ReadStats`, plus what only a table can hold.

    Attributes
    ----------
    rows : int
        Rows read (lines of text files).
    null_rows : int
        Rows whose value was null, skipped.
    null_tokens : int
        Null elements of token arrays, skipped.
    """

    rows: int = 0
    null_rows: int = 0
    null_tokens: int = 0

    def add(self, other: ReadStats) -> SparkReadStats:
        for item in fields(other):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))
        return self


def stats_accumulator(context):
    """A Spark accumulator of `SparkReadStats` (each task adds its partition's)."""
    from pyspark.accumulators import AccumulatorParam

    class StatsParam(AccumulatorParam):
        def zero(self, value):
            return SparkReadStats()

        def addInPlace(self, total, more):
            return total.add(more)

    return context.accumulator(SparkReadStats(), StatsParam())


@dataclass
class SparkInput:
    """One column of a DataFrame, ready to be read as sentences.

    Attributes
    ----------
    frame : pyspark.sql.DataFrame
        Holds only the column.
    kind : {"text", "tokens", "baskets"}
        Strings to tokenize, arrays of tokens, or strings of item ids
        separated by spaces or commas (for item models).
    name : str
        What messages call the input.
    """

    frame: object
    kind: str
    name: str

    def rows(self):
        """An RDD of the column's values (str, list of str, or None)."""
        return self.frame.rdd.map(_first)


def _first(row):
    return row[0]


# --- from what the caller gives to one column ------------------------------------------


def open_input(spark, data, column: str | None = None) -> SparkInput:
    """The column to train on, from a DataFrame or from paths Spark reads.

    Parameters
    ----------
    spark : SparkSession
    data : DataFrame, str, path-like, or a list of them
        A DataFrame, or text or Parquet files and folders (local paths, or
        URLs Spark reads such as ``hdfs://`` and ``s3a://``).
    column : str, optional
        The column of text or token arrays; needed only when there are
        several such columns and none is called ``text``, ``sentence``...

    Raises
    ------
    CorpusError
        Missing files, standard input, xz-compressed or binary files, a
        column that does not exist or holds neither text nor token arrays.
    """
    if _is_dataframe(data):
        return _column_of(data, column, "the DataFrame")
    paths = [data] if isinstance(data, (str, os.PathLike)) else list(_paths(data))
    if not paths:
        raise CorpusError("no input: give a DataFrame, or one or more files or folders")
    files, parquet = [], []
    for path in paths:
        for uri, is_parquet in _files_of(path):
            (parquet if is_parquet else files).append(uri)
    name = str(paths[0]) if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more"
    if files and parquet:
        raise CorpusError(f"{name} mixes text and Parquet files: give them separately")
    from .session import spark_errors

    with spark_errors(f"reading {name}"):
        if parquet:
            return _column_of(spark.read.parquet(*parquet), column, name)
        if column is not None:
            raise SettingsError(f"column={column!r} is for DataFrames and Parquet files; "
                                f"{name} is text, one sentence per line")
        return SparkInput(spark.read.text(files), "text", name)


def _paths(data) -> Iterable:
    try:
        items = list(data)
    except TypeError:
        raise CorpusError(f"cannot train on a {type(data).__name__}: give a Spark DataFrame, "
                          "or paths of text or Parquet files") from None
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise CorpusError(f"cannot train on a list holding a {type(item).__name__}: give a "
                              "Spark DataFrame, or paths of text or Parquet files")
        yield item


def _is_dataframe(data) -> bool:
    kind = type(data)
    return kind.__name__ == "DataFrame" and kind.__module__.startswith("pyspark")


def _files_of(path) -> Iterator[tuple[str, bool]]:
    """``(uri, is_parquet)`` for each file Spark should read for ``path``."""
    text = os.fspath(path)
    if is_stdin(text):
        raise CorpusError("standard input cannot be read by a Spark cluster: save it to a file "
                          "(on storage the executors see) and give its path")
    if _SCHEME.match(text) and not text.startswith("file://"):
        # Storage only the cluster sees: Spark lists it; Parquet by name.
        yield text, text.rstrip("/").endswith(".parquet")
        return
    local = text[len("file://"):] if text.startswith("file://") else text
    for file in list_corpus(local).files:
        yield Path(file).resolve().as_uri(), _checked_local_file(file)


def _checked_local_file(file: Path) -> bool:
    """Whether ``file`` is Parquet; a `CorpusError` if Spark would misread it
    (compressed data it cannot, or will not, decompress; binary data)."""
    if table_format(file) == "parquet":
        return True
    if table_format(file) == "arrow":
        raise CorpusError(f"{file} is an Apache Arrow (Feather) file, which Spark does not "
                          "read: write it as Parquet")
    with open(file, "rb") as raw:
        head = read_up_to(raw, 8, str(file))
    for signature, name, suffixes in _COMPRESSED:
        if head.startswith(signature):
            if name == "xz":
                raise CorpusError(f"{file} is xz-compressed, which Spark cannot read: "
                                  f"decompress it (xz -d) or recompress it with bzip2, which "
                                  f"Spark also splits between executors")
            if file.suffix.lower() not in suffixes:
                raise CorpusError(f"{file} holds {name} data but is not named {suffixes[0]}: "
                                  f"Spark decompresses by the name; rename it")
    if not any(head.startswith(signature) for signature, _, _ in _COMPRESSED):
        with open(file, "rb") as raw:
            check_not_binary(read_up_to(raw, 1 << 16, str(file)), file)
    else:
        with open_decompressed(file):  # checks the decompressed start is text
            pass
    return False


def _column_of(frame, column: str | None, name: str) -> SparkInput:
    """The column of ``frame`` to read, checked, as a `SparkInput`."""
    from pyspark.sql.types import ArrayType, StringType

    types = {field.name: field.dataType for field in frame.schema.fields}
    if column is None:
        column = _guess_column(types, name)
    elif column not in types:
        raise CorpusError(f"{name} has no column {column!r} (its columns: "
                          f"{', '.join(types) or 'none'})")
    kind = types[column]
    if isinstance(kind, StringType):
        return SparkInput(frame.select(column), "text", name)
    if isinstance(kind, ArrayType) and isinstance(kind.elementType, StringType):
        return SparkInput(frame.select(column), "tokens", name)
    cast = ("array<string>" if isinstance(kind, ArrayType) else "string")
    raise CorpusError(f"{name}: column {column!r} holds {kind.simpleString()}, but w2v trains "
                      f"on text (string) or token arrays (array<string>); cast it, e.g. "
                      f"frame.withColumn({column!r}, frame[{column!r}].cast({cast!r}))")


def _guess_column(types: dict, name: str) -> str:
    from pyspark.sql.types import ArrayType, StringType

    usable = [column for column, kind in types.items() if isinstance(kind, StringType)
              or (isinstance(kind, ArrayType) and isinstance(kind.elementType, StringType))]
    named = [column for column in usable if _plain_name(column) in TEXT_COLUMN_NAMES]
    if len(usable) == 1:
        return usable[0]
    if len(named) == 1:
        return named[0]
    shown = ", ".join(f"{column}: {kind.simpleString()}" for column, kind in types.items())
    if not usable:
        raise CorpusError(f"{name} has no column of text or token arrays ({shown or 'no columns'})")
    raise CorpusError(f"{name} has several columns of text or token arrays ({shown}): name the "
                      "one to train on (column=...)")


def _plain_name(column: str) -> str:
    return re.sub(r"[\s_\-]", "", column.strip().lower())


# --- on the executors: rows to sentences -------------------------------------------------


def sentences_of_partition(rows: Iterator, kind: str, lowercase: bool, max_length: int,
                           stats: SparkReadStats) -> Iterator[list[str]]:
    """The sentences of one partition's rows (``kind`` as in `SparkInput`),
    counting what is read in ``stats``."""
    if kind == "text":
        stream = _RowsAsText(rows, stats)
        return sentences_of_streams([("rows", lambda: stream)], lowercase, max_length, stats)
    return _token_sentences(rows, max_length, stats, split=kind == "baskets")


def _token_sentences(rows: Iterator, max_length: int, stats: SparkReadStats, split: bool):
    """Token arrays, or (``split``) baskets of item ids written as text and
    separated by spaces or commas, as `w2v.sessions.read_baskets` reads them."""
    for tokens in rows:
        stats.rows += 1
        if tokens is None:
            stats.null_rows += 1
            continue
        if split:
            tokens = tokens.replace(",", " ").split()
        elif None in tokens:
            kept = [token for token in tokens if token is not None]
            stats.null_tokens += len(tokens) - len(kept)
            tokens = kept
        if len(tokens) > max_length:
            stats.long_lines_split += 1
        for start in range(0, len(tokens), max_length):
            stats.sentences += 1
            stats.tokens += min(max_length, len(tokens) - start)
            yield tokens[start:start + max_length]


class _RowsAsText(io.TextIOBase):
    """Rows of text as one stream, a line per row, read a chunk at a time:
    the shape `w2v.corpus` reads files in."""

    def __init__(self, rows: Iterator, stats: SparkReadStats):
        self._rows = rows
        self._stats = stats
        self._started = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        parts, count = [], 0
        for row in self._rows:
            self._stats.rows += 1
            if row is None:
                self._stats.null_rows += 1
                row = ""
            elif "\n" in row or "\r" in row:
                row = row.replace("\r", " ").replace("\n", " ")  # a row stays one sentence
            parts.append(row)
            count += len(row) + 1
            if 0 <= size <= count:
                break
        if not parts:
            return ""
        # Lines are separated, not ended, by newlines: the first row of a chunk
        # after the first starts a new line.
        text = "\n".join(parts)
        if self._started:
            text = "\n" + text
        self._started = True
        return text
