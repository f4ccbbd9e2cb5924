"""Vector files other tools read and write: word2vec's text and binary formats
and the TensorBoard projector's TSV files.

word2vec text (also fastText ``.vec``, gensim ``binary=False``)::

    <count> <dim>\\n
    <word> <v1> ... <vd>\\n            (fastText adds a space before the \\n)

word2vec binary (word2vec C ``-binary 1``, gensim ``binary=True``)::

    <count> <dim>\\n
    <word> <d little-endian float32>\\n   (gensim writes no \\n after the floats)

Words are UTF-8 without whitespace. Files may be gzip, bzip2 or xz
compressed. The projector format is a folder with ``vectors.tsv`` (one row
of tab-separated numbers per word) and ``metadata.tsv`` (the words).

Reading never trusts a header, and memory follows what a file really holds:

- a plain file must be large enough for the rows its header announces, and
  its matrix is allocated for them at once; otherwise (compressed files,
  projector files, GloVe's files without a header) the matrix grows with the
  rows actually read, in place, by a quarter at a time;
- every line or entry has a cap (``MAX_WORD_BYTES``, ``MAX_DIM`` numbers of at
  most ``MAX_NUMBER_BYTES``), checked before it is read whole;
- a compressed file may decompress to at most ``MAX_EXPANSION`` times its
  size (plus ``EXPANSION_SLACK``): a decompression bomb fails within the
  first few megabytes instead of filling memory.

Any malformed line is reported by number, a binary entry by byte offset.
Vectors holding NaN or infinity are refused: they would poison every
similarity query.

No format here can be memory-mapped as a matrix: binary rows are interleaved
with words of varying length, so there is no fixed stride to map. Files are
streamed in chunks into one float32 matrix instead, so loading needs the
matrix and a chunk, never a second copy of the file.
"""

from __future__ import annotations

import bz2
import gzip
import io
import itertools
import lzma
import os
import re
import warnings
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .corpus import READ_ERRORS
from .errors import ModelFormatError, SettingsError, W2VError
from .keyedvectors import KeyedVectors
from .model import Word2Vec

#: Formats that ``save_vectors`` writes and ``load_vectors`` reads.
VECTOR_FORMATS = ("word2vec-text", "word2vec-binary", "projector")

# Longest word accepted, in bytes; bounds the search for a binary entry's word.
MAX_WORD_BYTES = 10_000
# Longest text a number may take; bounds a text line before it is read.
MAX_NUMBER_BYTES = 64
# Largest dimension read: a binary entry takes at most 256 KiB, a text line 4 MiB.
MAX_DIM = 1 << 16
# Longest metadata.tsv line (a word and its label columns).
MAX_METADATA_LINE = 1 << 20
CHUNK_BYTES = 1 << 20
# Text is split into lines this much at a time (at most ~3 MB of line objects).
LINE_CHUNK_BYTES = 1 << 18
# Numbers parsed per numpy conversion in the text formats (a block of at
# most TEXT_BLOCK_ROWS rows): about 3 MB of Python objects.
TEXT_BLOCK_VALUES = 1 << 16
# Rows per block when parsing and when writing.
TEXT_BLOCK_ROWS = 4096
# Rows moved at a time when repeated words are dropped.
MOVE_BLOCK_BYTES = 1 << 22
# Text vectors compress 2-4 times, binary ones hardly at all; a file that
# expands 100 times is not vectors (gzip reaches 1,000 on zeros, bzip2 and xz more).
MAX_EXPANSION = 100
EXPANSION_SLACK = 4 << 20
# What liblzma may allocate for an xz file: xz -9 needs 65 MB, a crafted header
# would make it allocate 4 GiB.
XZ_MEMORY_LIMIT = 128 << 20
# Compressed bytes read at a time: little enough ahead for the expansion check to be exact.
XZ_READ_BYTES = 1 << 13
# "%.9g" prints every float32 exactly: 9 significant digits identify any
# float32 (FLT_DECIMAL_DIG), and the decimal lies so deep inside the float's
# rounding interval that reading it through float64 cannot round wrongly.
FLOAT_FORMAT = "%.9g"

_HEADER = re.compile(rb"\s*+([+-]?+\d++)\s++([+-]?+\d++)\s*+")
_NUMBER_BYTES = frozenset(b"0123456789+-.eE \t\r")
_TEXT_BYTES = frozenset(range(32, 127)) | frozenset(b"\t\r\n")
_WHITESPACE = re.compile(rb"[ \t\n\r\x0b\x0c]*+")
_INNER_WHITESPACE = re.compile(rb"[\t\n\r\x0b\x0c]")  # a space ends the word
_BOM = b"\xef\xbb\xbf"  # some Windows tools start UTF-8 text with it


# --- opening and recognising files ----------------------------------------------

class _Decompressed:
    """The bytes of a compressed file, refusing to give more than
    ``MAX_EXPANSION`` times the compressed bytes read so far."""

    def __init__(self, raw, stream, path):
        self.raw, self.stream, self.path = raw, stream, path
        self.given = 0

    def _count(self, data: bytes) -> bytes:
        self.given += len(data)
        if self.given > MAX_EXPANSION * self.raw.tell() + EXPANSION_SLACK:
            raise ModelFormatError(
                f"{self.path}: its first {self.raw.tell():,} bytes decompress to more than "
                f"{self.given:,}, over {MAX_EXPANSION} times their size: not vectors (a "
                f"decompression bomb?). Decompress it yourself to read it anyway")
        return data

    def read(self, size: int) -> bytes:
        return self._count(self.stream.read(size))

    def readline(self, size: int) -> bytes:
        return self._count(self.stream.readline(size))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stream.close()
        self.raw.close()


class _XzReader(io.RawIOBase):
    """The bytes of an xz file (one stream or several in a row), read with
    liblzma's memory limit set: an xz header may declare a dictionary of up
    to 4 GiB, which liblzma would allocate before reading a byte (lzma.LZMAFile
    has no way to set the limit)."""

    def __init__(self, raw, path):
        self.raw, self.path = raw, path
        self.decompressor = lzma.LZMADecompressor(memlimit=XZ_MEMORY_LIMIT)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while True:
            if self.decompressor.eof:  # another stream may follow, after NUL padding
                data = self.decompressor.unused_data.lstrip(b"\0")
                while not data:
                    more = self.raw.read(XZ_READ_BYTES)
                    if not more:
                        return 0
                    data = more.lstrip(b"\0")
                self.decompressor = lzma.LZMADecompressor(memlimit=XZ_MEMORY_LIMIT)
            else:
                data = self.raw.read(XZ_READ_BYTES) if self.decompressor.needs_input else b""
                if self.decompressor.needs_input and not data:
                    raise EOFError("the xz stream ends before its end marker (truncated file)")
            try:
                out = self.decompressor.decompress(data, len(buffer))
            except lzma.LZMAError as error:
                if "memory" in str(error).lower():
                    raise ModelFormatError(
                        f"{self.path}: its xz header asks for more than {XZ_MEMORY_LIMIT >> 20} MB "
                        f"to decompress (xz -9 needs 65 MB): not read") from None
                raise
            if out:
                buffer[:len(out)] = out
                return len(out)


_COMPRESSED = ((re.compile(rb"\x1f\x8b"), lambda raw, path: gzip.GzipFile(fileobj=raw, mode="rb")),
               (re.compile(rb"BZh[1-9]1AY&SY"), lambda raw, path: bz2.BZ2File(raw, "rb")),
               (re.compile(rb"\xfd7zXZ\x00"), lambda raw, path: io.BufferedReader(_XzReader(raw, path))))


def _open(path: Path):
    """A binary stream of the file's (decompressed) bytes, and the file size
    when it is a plain file (None when compressed: size unknown until read)."""
    raw = open(path, "rb")
    try:
        head = raw.read(10)
        raw.seek(0)
        for magic, opener in _COMPRESSED:
            if magic.match(head):
                return _Decompressed(raw, opener(raw, path), path), None
    except BaseException:
        raw.close()
        raise
    raw.close()
    plain = open(path, "rb", buffering=CHUNK_BYTES)
    return plain, os.fstat(plain.fileno()).st_size


def _check_regular(path: Path, what: str) -> None:
    if not path.exists():
        raise ModelFormatError(f"no such {what}: {path}")
    if not path.is_file():
        raise ModelFormatError(f"{path} is not a regular file (a folder, device or pipe), "
                               f"so not a {what}")


def _projector_files(path: Path) -> tuple[Path, Path]:
    vectors = path / "vectors.tsv" if path.is_dir() else path
    return vectors, vectors.parent / "metadata.tsv"


def detect_format(path) -> str:
    """Recognise a file by its content: ``"w2v-model"``, ``"word2vec-text"``,
    ``"word2vec-binary"`` or ``"projector"`` (a folder or its ``vectors.tsv``).

    The suffix (``.vec``, ``.txt``, ``.bin``) is a hint used only when the
    content is not conclusive, so that a malformed file is read by the reader
    that can say which line is wrong.

    Raises
    ------
    ModelFormatError
        If the file does not exist, is not a regular file (a pipe is never
        read, since reading it would consume it) or is none of these formats.
    """
    path = Path(path)
    if path.is_dir():
        if (path / "vectors.tsv").is_file():
            return "projector"
        raise ModelFormatError(f"{path} is a folder without a projector vectors.tsv")
    _check_regular(path, "model file")
    with open(path, "rb") as raw:
        if raw.read(2) == b"PK":  # a zip archive: Word2Vec.load says what is wrong with it
            return "w2v-model"
    try:
        stream, _ = _open(path)
        with stream:
            head = stream.read(CHUNK_BYTES)
    except READ_ERRORS as error:
        raise ModelFormatError(f"{path} is damaged: {error}") from None
    if not head.strip():
        raise ModelFormatError(f"{path} is empty: not a w2v model file nor a vector file")
    first, _, rest = head.removeprefix(_BOM).partition(b"\n")
    # "vectors.vec.gz" hints like "vectors.vec"
    suffix = Path(path.stem).suffix if path.suffix in (".gz", ".bz2", ".xz") else path.suffix
    header = _HEADER.fullmatch(first)
    if (path.suffix == ".tsv" or b"\t" in first and not header) and _all_numbers(first.split(maxsplit=MAX_DIM)):
        return "projector"
    if header:
        # After "<count> <dim>", text holds a word and numbers; binary raw bytes.
        numbers = rest.partition(b"\n")[0].partition(b" ")[2]
        if numbers and set(numbers) <= _NUMBER_BYTES:
            return "word2vec-text"
        dim = min(max(_to_int(header[2]), 0), MAX_DIM)
        floats = rest.partition(b" ")[2][:4 * dim]
        if suffix in (".vec", ".txt") and set(floats) <= _TEXT_BYTES:
            return "word2vec-text"  # malformed text: its reader names the bad line
        return "word2vec-binary"
    if _all_numbers(first.split(maxsplit=MAX_DIM + 1)[1:]) or suffix in (".vec", ".txt"):
        return "word2vec-text"  # without a header, as GloVe writes it
    if suffix == ".bin":
        return "word2vec-binary"
    raise ModelFormatError(f"{path} is not a w2v model file, nor a word2vec text or binary "
                           f"vector file, nor a projector vectors.tsv")


def _to_int(digits: bytes) -> int:
    """A header number; one of more than 30 digits stands for 10**30 (Python
    refuses to convert more than 4,300 digits, and no file holds 10**30 rows)."""
    sign = -1 if digits.startswith(b"-") else 1
    digits = digits.lstrip(b"+-")
    return sign * (int(digits) if len(digits) <= 30 else 10 ** 30)


def _all_numbers(fields) -> bool:
    try:
        return len(fields) > 0 and all(np.isfinite(float(f)) for f in fields)
    except ValueError:
        return False


def load_vectors(path, *, index: bool = True) -> KeyedVectors:
    """Word vectors from any file w2v reads: a model file (its ``.wv``),
    word2vec text or binary (optionally compressed), or projector TSV files.
    With ``index``, the approximate index saved beside ``path`` by ``w2v
    index`` (if any) answers queries on large vocabularies."""
    kind = detect_format(path)
    if kind == "w2v-model":
        kv = Word2Vec.load(path).wv
    elif kind == "projector":
        kv = load_projector(path)
    else:
        kv = load_word2vec_format(path, binary=kind == "word2vec-binary")
    if index and isinstance(path, (str, os.PathLike)):
        from .ann import usable_index_beside
        kv.ann_index = usable_index_beside(path, kv.vectors)
    return kv


def save_vectors(kv: KeyedVectors, path, format: str) -> None:
    """Write ``kv`` in one of ``VECTOR_FORMATS``; ``path`` is a folder for
    ``"projector"``, a file otherwise."""
    if format == "projector":
        save_projector(kv, path)
    elif format in ("word2vec-text", "word2vec-binary"):
        save_word2vec_format(kv, path, binary=format == "word2vec-binary")
    else:
        raise W2VError(f"unknown vector format {format!r}: choose one of {', '.join(VECTOR_FORMATS)}")


# --- the matrix being filled --------------------------------------------------

class _Rows:
    """A float32 matrix filled block by block, never beyond ``limit`` rows.

    With ``initial`` (rows a plain file was checked to have room for) it is
    allocated at once. Otherwise it is allocated with the first block and
    grows in place by a quarter when full (``resize`` reallocates without a
    second copy), so its memory follows the rows actually read, not what a
    header claims."""

    def __init__(self, dim: int, limit: int | None = None, initial: int | None = None):
        self.dim, self.limit = dim, limit
        self.array = np.empty((initial or 0, dim), dtype=np.float32)
        self.filled = 0

    def add(self, block: np.ndarray) -> None:
        end = self.filled + len(block)
        if end > len(self.array):
            rows = max(end, len(self.array) * 5 // 4)
            # Only this object refers to the array, so resizing in place is safe.
            self.array.resize((rows if self.limit is None else min(rows, self.limit), self.dim),
                              refcheck=False)
        self.array[self.filled:end] = block
        self.filled = end

    def result(self) -> np.ndarray:
        array, self.array = self.array, None
        if len(array) != self.filled:
            array.resize((self.filled, self.dim), refcheck=False)  # let the unused rows go
        return array


# --- word2vec text and binary ---------------------------------------------------

def load_word2vec_format(path, binary: bool | None = None, unicode_errors: str = "strict",
                         limit: int | None = None) -> KeyedVectors:
    """Read a word2vec text or binary file, as written by word2vec C, gensim
    or fastText (``.vec``), optionally gzip/bzip2/xz compressed.

    Parameters
    ----------
    path : str or path-like
        The file.
    binary : bool, optional
        The format; recognised from the content when None.
    unicode_errors : str
        How to decode words that are not valid UTF-8: ``"strict"`` rejects the
        file, ``"replace"`` or ``"ignore"`` read it anyway (word2vec C cuts long
        words at a byte count, which can split a character).
    limit : int, optional
        Read only the first ``limit`` vectors (the most frequent, by convention).

    Returns
    -------
    KeyedVectors
        Words in file order. If a word occurs twice, its first vector is kept
        and a warning says how many were dropped.

    Raises
    ------
    ModelFormatError
        For a malformed or truncated file; the message names the line (text)
        or entry and byte offset (binary) and what is wrong with it. Also for
        a vector holding NaN or infinity, a dimension above ``MAX_DIM``, and a
        compressed file that expands more than ``MAX_EXPANSION`` times.

    Examples
    --------
    >>> kv = load_word2vec_format("GoogleNews-vectors-negative300.bin.gz", limit=200_000)  # doctest: +SKIP
    """
    path = Path(path)
    _check_regular(path, "vector file")
    if binary is None:
        kind = detect_format(path)
        if kind not in ("word2vec-text", "word2vec-binary"):
            raise ModelFormatError(f"{path} is not a word2vec text or binary file")
        binary = kind == "word2vec-binary"
    if limit is not None and (type(limit) is not int or limit < 1):
        raise SettingsError(f"limit must be a whole number of at least 1, got {limit!r}")
    reader = _read_binary if binary else _read_text
    try:
        stream, size = _open(path)
        with stream:
            words, vectors = reader(stream, size, path, unicode_errors, limit)
    except READ_ERRORS as error:
        raise ModelFormatError(f"{path} is damaged: {error}") from None
    return _keyed_vectors(words, vectors, path)


def _keyed_vectors(words: list[str], vectors: np.ndarray, path, counts=None) -> KeyedVectors:
    first: dict[str, int] = {}
    for row, word in enumerate(words):
        first.setdefault(word, row)
    if len(first) != len(words):
        keep = np.fromiter(first.values(), dtype=np.int64, count=len(first))
        warnings.warn(f"{path}: {len(words) - len(keep)} repeated words; kept the first vector "
                      f"of each", stacklevel=3)
        words = [words[row] for row in keep]
        counts = None if counts is None else [counts[row] for row in keep]
        # Rows move down a block at a time (keep[i] >= i), then the tail goes:
        # no second matrix.
        step = max(1, MOVE_BLOCK_BYTES // (4 * vectors.shape[1]))
        for start in range(0, len(keep), step):
            sources = keep[start:start + step]
            vectors[start:start + len(sources)] = vectors[sources]
        vectors.resize((len(keep), vectors.shape[1]), refcheck=False)
    del first
    return KeyedVectors(words, vectors, counts=None if counts is None else np.array(counts, dtype=np.int64))


def _read_header(line: bytes, path, size: int | None, min_row_bytes) -> tuple[int, int]:
    match = _HEADER.fullmatch(line)
    if not match:
        raise ModelFormatError(f"{path}, line 1: expected the header '<count> <dim>', "
                               f"got {line[:60]!r}")
    count, dim = _to_int(match[1]), _to_int(match[2])
    announced = f"the header announces {match[1][:30].decode()} vectors of dimension {match[2][:30].decode()}"
    if count < 1 or dim < 1:
        raise ModelFormatError(f"{path}, line 1: {announced}; both must be at least 1")
    if dim > MAX_DIM:
        raise ModelFormatError(f"{path}, line 1: {announced}; w2v reads at most {MAX_DIM:,} dimensions")
    if size is not None and count * min_row_bytes(dim) > size - len(line):
        raise ModelFormatError(f"{path}, line 1: {announced}, more than the file's {size} bytes can "
                               f"hold (wrong header or truncated file)")
    return count, dim


def _longest_line(dim: int) -> int:
    return MAX_WORD_BYTES + (dim + 2) * MAX_NUMBER_BYTES


def _read_text(stream, size, path, unicode_errors, limit):
    first = stream.readline(_longest_line(MAX_DIM))
    if len(first) == _longest_line(MAX_DIM) and not first.endswith(b"\n"):
        raise ModelFormatError(f"{path}, line 1: longer than {len(first):,} bytes, more than "
                               f"a word and {_numbers(MAX_DIM)} can take")
    first = first.removeprefix(_BOM)
    if _HEADER.fullmatch(first):
        # A row takes at least a one-byte word, then a space and a digit per
        # value (the last row may lack its newline: 2 * dim + 1, not + 2).
        announced, dim = _read_header(first, path, size, lambda dim: 2 * dim + 1)
        count = announced if limit is None else min(announced, limit)
        lines = _lines(stream, dim, path, start=2)
        initial = count if size is not None else None
    else:  # no header, as GloVe writes: the first line tells the dimension
        fields = first.split(maxsplit=MAX_DIM + 1)
        if len(fields) > MAX_DIM + 1:
            raise ModelFormatError(f"{path}, line 1: more than {MAX_DIM:,} numbers; w2v reads at "
                                   f"most {MAX_DIM:,} dimensions")
        if len(fields) < 2 or not _all_numbers(fields[1:]):
            raise ModelFormatError(f"{path}, line 1: expected the header '<count> <dim>' "
                                   f"or a word and its numbers, got {first[:60]!r}")
        announced, count, dim, initial = None, limit, len(fields) - 1, None
        del fields
        lines = itertools.chain([(1, first)], _lines(stream, dim, path, start=2))
    rows = _Rows(dim, limit=count, initial=initial)
    words = _read_rows(lines, rows, dim, count, announced, path, unicode_errors)
    if limit is None and announced is not None:
        for number, line in lines:
            if line.strip():
                raise ModelFormatError(f"{path}, line {number}: more vectors than the "
                                       f"{announced} the header announces")
    return words, rows.result()


def _lines(stream, dim: int, path, start: int):
    """The file's remaining lines (without their newline) and their numbers,
    from ``start``; each is checked to be no longer than a word and ``dim``
    numbers can take before more of it is read. Read ``LINE_CHUNK_BYTES`` at
    a time and split in C: a file of millions of blank lines is quick too."""
    longest = _longest_line(dim)
    number, pending = start, b""
    while True:
        chunk = stream.read(LINE_CHUNK_BYTES)
        if not chunk:
            if pending:
                yield number, pending
            return
        data = pending + chunk
        if data.isspace():  # blank lines carry nothing: skip them in C
            number += data.count(b"\n")
            pending = data[data.rfind(b"\n") + 1:]
            if len(pending) >= longest:
                raise ModelFormatError(f"{path}, line {number}: longer than {longest:,} bytes")
            continue
        lines = data.split(b"\n")
        pending = lines.pop()
        for line in lines:
            if len(line) >= longest:
                pending = line  # the line to report
                break
            yield number, line
            number += 1
        if len(pending) >= longest:
            raise ModelFormatError(f"{path}, line {number}: longer than {longest:,} bytes, more "
                                   f"than a word and {_numbers(dim)} can take")


def _read_rows(lines, rows: _Rows, dim: int, count: int | None, announced: int | None, path,
               unicode_errors: str, with_words: bool = True) -> list[str]:
    """Parse numbered lines of ``word v1 .. vd`` (only numbers if not
    ``with_words``) into ``rows``, stopping after ``count`` rows; fewer than
    ``announced`` rows is an error. Returns the words."""
    words, numbers, numbered = [], [], []
    first_value = 1 if with_words else 0
    block_rows = max(1, min(TEXT_BLOCK_ROWS, TEXT_BLOCK_VALUES // dim))
    number = 0
    for number, line in lines:
        fields = line.split()
        if not fields:
            continue  # blank lines carry nothing
        if len(fields) - first_value != dim:
            _to_floats(numbers, numbered, dim, path)  # report an earlier bad line first
            found = len(fields) - first_value
            raise ModelFormatError(f"{path}, line {number}: expected "
                                   f"{'a word and ' if with_words else ''}{_numbers(dim)}, "
                                   f"found {_numbers(found)}")
        if with_words:
            words.append(_decode(fields[0], path, f"line {number}", unicode_errors))
        numbers.extend(fields[first_value:])
        numbered.append(number)
        if len(numbered) == block_rows:
            rows.add(_to_floats(numbers, numbered, dim, path))
            numbers, numbered = [], []
        if rows.filled + len(numbered) == count:
            break
    if numbered:
        rows.add(_to_floats(numbers, numbered, dim, path))
    if announced is not None and rows.filled < count:
        raise ModelFormatError(f"{path}, line {number + 1}: file ends after {rows.filled} of the "
                               f"{announced} vectors announced (truncated file or wrong header)")
    return words


def _numbers(n: int) -> str:
    return f"{n} number{'' if n == 1 else 's'}"


def _to_floats(numbers: list[bytes], numbered: list[int], dim: int, path) -> np.ndarray:
    """The block of rows ``numbers`` (line numbers ``numbered``) as float32,
    refusing a field that is not a number or a value that is not finite."""
    try:
        with np.errstate(over="ignore"):  # values beyond float32 become inf, refused below
            block = np.array(numbers, dtype=np.float32).reshape(-1, dim)
    except ValueError:
        for row, number in enumerate(numbered):
            for field in numbers[row * dim:(row + 1) * dim]:
                try:
                    float(field)
                except ValueError:
                    raise ModelFormatError(f"{path}, line {number}: "
                                           f"{field[:60].decode(errors='replace')!r} is not a number") from None
        raise ModelFormatError(f"{path}, line {numbered[0]}: a value is not a number") from None
    finite = np.isfinite(block).all(axis=1)
    if not finite.all():
        raise ModelFormatError(f"{path}, line {numbered[int(finite.argmin())]}: a value is infinite, "
                               f"NaN or beyond float32 range")
    return block


def _decode(word: bytes, path, where: str, unicode_errors: str, hint: bool = True) -> str:
    try:
        return word.decode("utf-8", errors=unicode_errors)
    except UnicodeDecodeError as error:
        advice = ("; load_word2vec_format(..., unicode_errors='replace') reads it anyway"
                  if hint else "")
        raise ModelFormatError(f"{path}, {where}: the word {word[:60]!r} is not valid UTF-8 "
                               f"({error.reason}){advice}") from None


def _read_binary(stream, size, path, unicode_errors, limit):
    first = stream.readline(1024)
    # Each entry takes at least a one-byte word, a space and 4 bytes per value.
    count, dim = _read_header(first, path, size, lambda dim: 4 * dim + 2)
    announced = count
    count = count if limit is None else min(count, limit)
    record = 4 * dim
    rows = _Rows(dim, limit=count, initial=count if size is not None else None)
    words = []
    buffer, pos, offset = b"", 0, len(first)  # offset: file position of buffer[0]
    eof = False

    def fill(wanted):
        nonlocal buffer, pos, offset, eof
        if len(buffer) - pos >= wanted or eof:
            return
        pieces, have = [buffer[pos:]], len(buffer) - pos
        offset += pos
        while have < wanted:
            chunk = stream.read(CHUNK_BYTES)
            if not chunk:
                eof = True
                break
            pieces.append(chunk)
            have += len(chunk)
        buffer, pos = b"".join(pieces), 0

    block = np.empty((min(count, max(1, CHUNK_BYTES // record)), dim), dtype=np.float32)
    filled = 0
    for entry in range(1, count + 1):
        fill(MAX_WORD_BYTES + record + 2)
        # word2vec C ends each vector with "\n" (its reader skips whitespace
        # before a word); gensim writes none. Both read the same way here.
        pos = _WHITESPACE.match(buffer, pos).end()
        where = f"entry {entry} (byte {offset + pos})"
        if pos == len(buffer):
            raise ModelFormatError(f"{path}, {where}: file ends after {entry - 1} of the {announced} "
                                   f"vectors its header announces (truncated file or wrong header)")
        space = buffer.find(b" ", pos, pos + MAX_WORD_BYTES + 1)
        if space < 0:
            raise ModelFormatError(f"{path}, {where}: no space ends a word within "
                                   f"{MAX_WORD_BYTES} bytes; not a word2vec binary file?")
        word = buffer[pos:space]
        if _INNER_WHITESPACE.search(word):
            raise ModelFormatError(f"{path}, {where}: the word {word[:60]!r} holds whitespace; "
                                   f"not a word2vec binary file, or a wrong dimension in the header?")
        if space + 1 + record > len(buffer):
            raise ModelFormatError(f"{path}, {where}: file ends inside the vector of "
                                   f"{word[:60]!r} (truncated file or wrong header)")
        words.append(_decode(word, path, where, unicode_errors))
        block[filled] = np.frombuffer(buffer, dtype="<f4", count=dim, offset=space + 1)
        if not np.isfinite(block[filled]).all():
            raise ModelFormatError(f"{path}, {where}: the vector of {words[-1]!r} holds an "
                                   f"infinite or NaN value; not a word2vec binary file?")
        filled += 1
        pos = space + 1 + record
        if filled == len(block):
            rows.add(block)
            filled = 0
    if filled:
        rows.add(block[:filled])
    while limit is None:
        fill(1)
        pos = _WHITESPACE.match(buffer, pos).end()
        if pos < len(buffer):
            raise ModelFormatError(f"{path}, entry {count + 1} (byte {offset + pos}): more data "
                                   f"after the {count} vectors the header announces")
        if eof:
            break
    return words, rows.result()


def _check_folder(path: Path) -> None:
    if not path.parent.is_dir():
        raise W2VError(f"cannot write {path}: folder {path.parent} does not exist")


def _check_words(kv: KeyedVectors) -> None:
    for word in kv.index_to_key:
        # Readers split on whitespace: such a word would shift every value after it.
        if not word or len(word.split()) != 1 or word != word.strip():
            raise W2VError(f"cannot write the word {word!r}: word vector formats need "
                           f"non-empty words without whitespace")


def save_word2vec_format(kv: KeyedVectors, path, binary: bool = False) -> None:
    """Write ``kv`` in word2vec's text or binary format, rows in ``kv``'s order.

    Text values are printed with 9 significant digits, so reading the file
    back gives the same float32 values bit for bit. The binary format is
    word2vec C's (a newline after each vector). Written atomically.
    """
    path = Path(path)
    _check_folder(path)
    _check_words(kv)
    vectors = kv.vectors
    dim = vectors.shape[1]
    with atomic_write(path) as handle:
        handle.write(f"{len(kv)} {dim}\n".encode())
        row_format = " ".join([FLOAT_FORMAT] * dim)
        for start in range(0, len(kv), TEXT_BLOCK_ROWS):
            words = kv.index_to_key[start:start + TEXT_BLOCK_ROWS]
            block = vectors[start:start + TEXT_BLOCK_ROWS]
            if binary:
                block = block.astype("<f4")
                handle.write(b"".join(word.encode() + b" " + row.tobytes() + b"\n"
                                      for word, row in zip(words, block)))
            else:
                handle.write("".join(f"{word} {row_format % tuple(row)}\n"
                                     for word, row in zip(words, block.tolist())).encode())


# --- TensorBoard projector ------------------------------------------------------

def save_projector(kv: KeyedVectors, folder) -> None:
    """Write ``folder/vectors.tsv`` and ``folder/metadata.tsv`` for the
    TensorBoard projector (projector.tensorflow.org: "Load" both files).

    ``metadata.tsv`` has one word a line; with corpus counts it has a
    ``word<TAB>count`` header and a count column, which the projector can
    colour by. The folder is created if its parent exists.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise W2VError(f"cannot write projector files into {folder}: it is a file, not a folder")
    _check_folder(folder)
    _check_words(kv)
    folder.mkdir(exist_ok=True)
    row_format = "\t".join([FLOAT_FORMAT] * kv.vector_size)
    with atomic_write(folder / "vectors.tsv") as handle:
        for start in range(0, len(kv), TEXT_BLOCK_ROWS):
            block = kv.vectors[start:start + TEXT_BLOCK_ROWS].tolist()
            handle.write("".join(row_format % tuple(row) + "\n" for row in block).encode())
    with atomic_write(folder / "metadata.tsv") as handle:
        if kv.counts is None:
            lines = [f"{word}\n" for word in kv.index_to_key]
        else:
            lines = ["word\tcount\n"] + [f"{word}\t{count}\n"
                                          for word, count in zip(kv.index_to_key, kv.counts)]
        handle.write("".join(lines).encode())


def load_projector(path) -> KeyedVectors:
    """Read projector files written by ``save_projector`` (or for TensorBoard):
    ``path`` is their folder or the ``vectors.tsv``, with ``metadata.tsv``
    beside it. ``metadata.tsv`` must name one word for each row of
    ``vectors.tsv``; ``vectors.tsv`` is read first, so the words read are
    never more than the rows really there."""
    vectors_path, metadata_path = _projector_files(Path(path))
    _check_regular(vectors_path, "projector vectors.tsv")
    if not metadata_path.exists():
        raise ModelFormatError(f"no {metadata_path.name} beside {vectors_path}: the projector "
                               f"format keeps the words in it")
    _check_regular(metadata_path, "projector metadata.tsv")
    vectors = _read_tensors(vectors_path)
    words, counts = _read_metadata(metadata_path, len(vectors), vectors_path.name)
    return _keyed_vectors(words, vectors, metadata_path, counts)


def _read_tensors(path: Path) -> np.ndarray:
    """The rows of a ``vectors.tsv``: tab-separated numbers, as many in each
    row as in the first."""
    try:
        stream, _ = _open(path)
        with stream:
            first = stream.readline(_longest_line(MAX_DIM))
            cut = len(first) == _longest_line(MAX_DIM) and not first.endswith(b"\n")
            first = first.removeprefix(_BOM)
            dim = len(first.split(maxsplit=MAX_DIM))
            if dim == 0:
                raise ModelFormatError(f"{path}, line 1: empty; expected the first vector's numbers")
            if dim > MAX_DIM or cut:
                raise ModelFormatError(f"{path}, line 1: more than {_numbers(MAX_DIM)}; w2v reads "
                                       f"at most {MAX_DIM:,} dimensions")
            lines = itertools.chain([(1, first)], _lines(stream, dim, path, start=2))
            rows = _Rows(dim)
            _read_rows(lines, rows, dim, None, None, path, "strict", with_words=False)
    except READ_ERRORS as error:
        raise ModelFormatError(f"{path} is damaged: {error}") from None
    return rows.result()


def _metadata_lines(handle, path: Path):
    """Numbered lines without their line ends; trailing blank lines are
    dropped, a blank line before another line is refused."""
    if b"\0" in handle.peek(8192)[:8192]:
        raise ModelFormatError(f"{path} looks like a binary file (found NUL bytes), not a "
                               f"projector metadata.tsv")
    blank = None
    for number in itertools.count(1):
        line = handle.readline(MAX_METADATA_LINE + 1)
        if not line:
            return
        if len(line) > MAX_METADATA_LINE:
            raise ModelFormatError(f"{path}, line {number}: longer than {MAX_METADATA_LINE:,} bytes")
        if b"\0" in line:
            raise ModelFormatError(f"{path}, line {number}: holds NUL bytes; it looks like a binary "
                                   f"file, not a projector metadata.tsv")
        line = line.rstrip(b"\r\n").removeprefix(_BOM if number == 1 else b"")
        if not line:
            blank = blank or number
            continue
        if blank:
            raise ModelFormatError(f"{path}, line {blank}: empty; each line names the word of "
                                   f"one row of vectors")
        yield number, line


def _read_metadata(path: Path, rows: int, vectors_name: str) -> tuple[list[str], list[int] | None]:
    """``rows`` words (the first column) and their counts (a ``count``
    column, if any). A file with several columns starts with a header line,
    as TensorBoard requires."""
    words, counts = [], None
    with open(path, "rb") as handle:
        lines = _metadata_lines(handle, path)
        number, first = next(lines, (0, b""))
        if not first:
            raise ModelFormatError(f"{path} lists no words")
        columns = first.split(b"\t")
        if len(columns) == 1:
            lines = itertools.chain([(number, first)], lines)
        else:
            names = [c.decode(errors="replace").strip().lower() for c in columns]
            count_column = names.index("count") if "count" in names else None
            counts = None if count_column is None else []
        for number, line in lines:
            if len(words) == rows:
                raise ModelFormatError(f"{path}, line {number}: more words than the {rows} rows "
                                       f"of {vectors_name}")
            fields = line.split(b"\t") if len(columns) > 1 else [line]
            if len(fields) != len(columns):
                raise ModelFormatError(f"{path}, line {number}: expected {len(columns)} tab-separated "
                                       f"columns, found {len(fields)}")
            if not fields[0]:
                raise ModelFormatError(f"{path}, line {number}: the word is empty")
            words.append(_decode(fields[0], path, f"line {number}", "strict", hint=False))
            if counts is not None:
                counts.append(_count(fields[count_column], path, number))
    if not words:
        raise ModelFormatError(f"{path} has a header line but no words")
    if len(words) < rows:
        raise ModelFormatError(f"{path} lists {len(words)} words, but {vectors_name} has {rows} rows: "
                               f"each row needs its word")
    return words, counts


def _count(field: bytes, path: Path, number: int) -> int:
    digits = field.strip()
    if not re.fullmatch(rb"\+?[0-9]{1,19}", digits) or int(digits) >= 1 << 63:
        raise ModelFormatError(f"{path}, line {number}: the count {field[:30].decode(errors='replace')!r} "
                               f"is not a whole number from 0 to 2**63 - 1")
    return int(digits)
