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

Reading never trusts a header: before the vectors are allocated, the file
must be large enough to hold what the header announces (a compressed file,
whose size is unknown until read, grows its matrix with the rows actually
read). Any malformed line is reported by number.

No format here can be memory-mapped as a matrix: binary rows are interleaved
with words of varying length, so there is no fixed stride to map. Files are
streamed in chunks into one preallocated float32 matrix instead, so loading
needs the matrix and a chunk, never a second copy of the file.
"""

from __future__ import annotations

import bz2
import gzip
import itertools
import lzma
import re
import warnings
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .corpus import READ_ERRORS
from .errors import ModelFormatError, W2VError
from .keyedvectors import KeyedVectors
from .model import Word2Vec

#: Formats that ``save_vectors`` writes and ``load_vectors`` reads.
VECTOR_FORMATS = ("word2vec-text", "word2vec-binary", "projector")

# Longest word accepted, in bytes; bounds the search for a binary entry's word.
MAX_WORD_BYTES = 10_000
# Longest text a number may take; bounds a text line before it is read.
MAX_NUMBER_BYTES = 64
CHUNK_BYTES = 1 << 20
# Rows parsed per numpy conversion in the text formats.
TEXT_BLOCK_ROWS = 4096
# "%.9g" prints every float32 exactly: 9 significant digits identify any
# float32 (FLT_DECIMAL_DIG), and the decimal lies so deep inside the float's
# rounding interval that reading it through float64 cannot round wrongly.
FLOAT_FORMAT = "%.9g"

_HEADER = re.compile(rb"\s*(\d+)\s+(\d+)\s*")
_NUMBER_BYTES = frozenset(b"0123456789+-.eE \t\r")
_TEXT_BYTES = frozenset(range(32, 127)) | frozenset(b"\t\r\n")


# --- opening and recognising files ----------------------------------------------

def _open(path: Path):
    """A binary stream of the file's (decompressed) bytes, and the file size
    when it is a plain file (None when compressed: size unknown until read)."""
    with open(path, "rb") as raw:
        head = raw.read(10)
    if head.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb"), None
    if re.match(rb"BZh[1-9]1AY&SY", head):
        return bz2.open(path, "rb"), None
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.open(path, "rb"), None
    return open(path, "rb", buffering=CHUNK_BYTES), path.stat().st_size


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
        If the file does not exist or is none of these formats.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFormatError(f"no such model file: {path}")
    if path.is_dir():
        if (path / "vectors.tsv").is_file():
            return "projector"
        raise ModelFormatError(f"{path} is a folder without a projector vectors.tsv")
    with open(path, "rb") as raw:
        if raw.read(2) == b"PK":  # a zip archive: Word2Vec.load says what is wrong with it
            return "w2v-model"
    stream, _ = _open(path)
    try:
        with stream:
            head = stream.read(CHUNK_BYTES)
    except READ_ERRORS as error:
        raise ModelFormatError(f"{path} is damaged: {error}") from None
    if not head.strip():
        raise ModelFormatError(f"{path} is empty: not a w2v model file nor a vector file")
    first, _, rest = head.partition(b"\n")
    # "vectors.vec.gz" hints like "vectors.vec"
    suffix = Path(path.stem).suffix if path.suffix in (".gz", ".bz2", ".xz") else path.suffix
    is_header = _HEADER.fullmatch(first) is not None
    if (path.suffix == ".tsv" or b"\t" in first and not is_header) and _all_numbers(first.split()):
        return "projector"
    if is_header:
        # After "<count> <dim>", text holds a word and numbers; binary raw bytes.
        numbers = rest.partition(b"\n")[0].partition(b" ")[2]
        if numbers and set(numbers) <= _NUMBER_BYTES:
            return "word2vec-text"
        dim = int(first.split()[1])
        floats = rest.partition(b" ")[2][:4 * dim]
        if suffix in (".vec", ".txt") and set(floats) <= _TEXT_BYTES:
            return "word2vec-text"  # malformed text: its reader names the bad line
        return "word2vec-binary"
    if _all_numbers(first.split()[1:]) or suffix in (".vec", ".txt"):
        return "word2vec-text"  # without a header, as GloVe writes it
    if suffix == ".bin":
        return "word2vec-binary"
    raise ModelFormatError(f"{path} is not a w2v model file, nor a word2vec text or binary "
                           f"vector file, nor a projector vectors.tsv")


def _all_numbers(fields) -> bool:
    try:
        return len(fields) > 0 and all(np.isfinite(float(f)) for f in fields)
    except ValueError:
        return False


def load_vectors(path) -> KeyedVectors:
    """Word vectors from any file w2v reads: a model file (its ``.wv``),
    word2vec text or binary (optionally compressed), or projector TSV files."""
    kind = detect_format(path)
    if kind == "w2v-model":
        return Word2Vec.load(path).wv
    if kind == "projector":
        return load_projector(path)
    return load_word2vec_format(path, binary=kind == "word2vec-binary")


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
    """A float32 matrix filled block by block. It is allocated with the first
    block (``initial`` rows), then doubles when full (never beyond ``limit``),
    so its memory follows the rows actually read rather than what a header
    claims."""

    def __init__(self, initial: int, dim: int, limit: int | None = None):
        self.initial, self.dim, self.limit = max(initial, 1), dim, limit
        self.array = np.empty((0, dim), dtype=np.float32)
        self.filled = 0

    def add(self, block: np.ndarray) -> None:
        end = self.filled + len(block)
        if not self.filled and end:
            self.array = np.empty((max(self.initial, end), self.dim), dtype=np.float32)
        if end > len(self.array):
            rows = max(end, 2 * len(self.array))
            grown = np.empty((rows if self.limit is None else min(rows, self.limit),
                              self.array.shape[1]), dtype=np.float32)
            grown[:self.filled] = self.array[:self.filled]
            self.array = grown
        self.array[self.filled:end] = block
        self.filled = end

    def result(self) -> np.ndarray:
        if self.filled == len(self.array):
            return self.array
        return self.array[:self.filled].copy()  # let the unused rows go


def _initial_rows(count: int, size: int | None, dim: int) -> int:
    # A plain file was checked to hold ``count`` rows; a compressed one has not been.
    return count if size is not None else min(count, max(1, (1 << 22) // dim))


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
        or entry (binary) and what is wrong with it.

    Examples
    --------
    >>> kv = load_word2vec_format("GoogleNews-vectors-negative300.bin.gz", limit=200_000)  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFormatError(f"no such vector file: {path}")
    if binary is None:
        kind = detect_format(path)
        if kind not in ("word2vec-text", "word2vec-binary"):
            raise ModelFormatError(f"{path} is not a word2vec text or binary file")
        binary = kind == "word2vec-binary"
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    reader = _read_binary if binary else _read_text
    stream, size = _open(path)
    try:
        with stream:
            words, vectors = reader(stream, size, path, unicode_errors, limit)
    except READ_ERRORS as error:
        raise ModelFormatError(f"{path} is damaged: {error}") from None
    return _keyed_vectors(words, vectors, path)


def _keyed_vectors(words: list[str], vectors: np.ndarray, path) -> KeyedVectors:
    if len(set(words)) != len(words):
        first = {}
        for row, word in enumerate(words):
            first.setdefault(word, row)
        keep = sorted(first.values())
        warnings.warn(f"{path}: {len(words) - len(keep)} repeated words; kept the first vector "
                      f"of each", stacklevel=3)
        words, vectors = [words[row] for row in keep], vectors[keep]
    return KeyedVectors(words, vectors)


def _read_header(line: bytes, path, size: int | None, min_row_bytes) -> tuple[int, int]:
    match = _HEADER.fullmatch(line)
    if not match:
        raise ModelFormatError(f"{path}, line 1: expected the header '<count> <dim>', "
                               f"got {line[:60]!r}")
    count, dim = int(match[1]), int(match[2])
    if count < 1 or dim < 1:
        raise ModelFormatError(f"{path}, line 1: the header announces {count} vectors of "
                               f"dimension {dim}; both must be at least 1")
    if size is not None and count * min_row_bytes(dim) > size - len(line):
        raise ModelFormatError(f"{path}, line 1: the header announces {count} vectors of "
                               f"dimension {dim}, more than the file's {size} bytes can hold "
                               f"(wrong header or truncated file)")
    return count, dim


def _read_text(stream, size, path, unicode_errors, limit):
    first = stream.readline(1 << 24)
    if _HEADER.fullmatch(first):
        # A row takes at least a one-byte word, then a space and a digit per
        # value (the last row may lack its newline: 2 * dim + 1, not + 2).
        announced, dim = _read_header(first, path, size, lambda dim: 2 * dim + 1)
        count = announced if limit is None else min(announced, limit)
        lines = enumerate(_lines(stream, dim, path), start=2)
        rows = _Rows(_initial_rows(count, size, dim), dim, limit=count)
    else:  # no header, as GloVe writes: the first line tells the dimension
        fields = first.split()
        if len(fields) < 2 or not _all_numbers(fields[1:]) or len(first) == 1 << 24:
            raise ModelFormatError(f"{path}, line 1: expected the header '<count> <dim>' "
                                   f"or a word and its numbers, got {first[:60]!r}")
        announced, count, dim = None, limit, len(fields) - 1
        lines = enumerate(itertools.chain([first], _lines(stream, dim, path)), start=1)
        rows = _Rows(1024, dim, limit=limit)
    words = _read_rows(lines, rows, dim, count, announced, path, unicode_errors)
    if limit is None and announced is not None:
        for number, line in lines:
            if line.strip():
                raise ModelFormatError(f"{path}, line {number}: more vectors than the "
                                       f"{announced} the header announces")
    return words, rows.result()


def _lines(stream, dim: int, path):
    """The file's remaining lines, each bounded by what ``dim`` numbers can take."""
    longest = MAX_WORD_BYTES + (dim + 2) * MAX_NUMBER_BYTES
    while True:
        line = stream.readline(longest)
        if not line:
            return
        if len(line) == longest and not line.endswith(b"\n"):
            raise ModelFormatError(f"{path}: a line is longer than {longest} bytes, more than "
                                   f"a word and {dim} numbers can take")
        yield line


def _read_rows(lines, rows: _Rows, dim: int, count: int | None, announced: int | None, path,
               unicode_errors: str, with_words: bool = True) -> list[str]:
    """Parse numbered lines of ``word v1 .. vd`` (only numbers if not
    ``with_words``) into ``rows``, stopping after ``count`` rows; fewer than
    ``announced`` rows is an error. Returns the words."""
    words, numbers, numbered = [], [], []
    first_value = 1 if with_words else 0
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
        numbered.append((number, fields[first_value:]))
        if len(numbered) == TEXT_BLOCK_ROWS:
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


def _to_floats(numbers, numbered, dim, path) -> np.ndarray:
    try:
        with np.errstate(over="ignore"):  # values beyond float32 become inf, refused below
            block = np.array(numbers, dtype=np.float32).reshape(-1, dim)
    except ValueError:
        block = None
    for row, (number, fields) in enumerate(numbered):
        if block is None:
            for field in fields:
                try:
                    float(field)
                except ValueError:
                    raise ModelFormatError(f"{path}, line {number}: {field.decode(errors='replace')!r} "
                                           f"is not a number") from None
        elif not np.isfinite(block[row]).all():
            raise ModelFormatError(f"{path}, line {number}: a value is infinite, NaN or beyond "
                                   f"float32 range")
    return block


def _decode(word: bytes, path, where: str, unicode_errors: str) -> str:
    try:
        return word.decode("utf-8", errors=unicode_errors)
    except UnicodeDecodeError as error:
        raise ModelFormatError(f"{path}, {where}: the word {word!r} is not valid UTF-8 ({error.reason}); "
                               f"load_word2vec_format(..., unicode_errors='replace') reads "
                               f"it anyway") from None


def _read_binary(stream, size, path, unicode_errors, limit):
    first = stream.readline(1024)
    # Each entry takes at least a one-byte word, a space and 4 bytes per value.
    count, dim = _read_header(first, path, size, lambda dim: 4 * dim + 2)
    announced = count
    count = count if limit is None else min(count, limit)
    record = 4 * dim
    rows = _Rows(_initial_rows(count, size, dim), dim, limit=count)
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

    block, filled = None, 0  # allocated once a first vector is really there
    for entry in range(1, count + 1):
        fill(MAX_WORD_BYTES + record + 2)
        # word2vec C ends each vector with "\n" (its reader skips whitespace
        # before a word); gensim writes none. Both read the same way here.
        while pos < len(buffer) and buffer[pos] in b" \t\r\n":
            pos += 1
        where = f"entry {entry} (byte {offset + pos})"
        if pos == len(buffer):
            raise ModelFormatError(f"{path}, {where}: file ends after {entry - 1} of the {announced} "
                                   f"vectors its header announces (truncated file or wrong header)")
        space = buffer.find(b" ", pos, pos + MAX_WORD_BYTES + 1)
        if space < 0:
            raise ModelFormatError(f"{path}, {where}: no space ends a word within "
                                   f"{MAX_WORD_BYTES} bytes; not a word2vec binary file?")
        if space + 1 + record > len(buffer):
            raise ModelFormatError(f"{path}, {where}: file ends inside the vector of "
                                   f"{buffer[pos:space][:60]!r} (truncated file or wrong header)")
        words.append(_decode(buffer[pos:space], path, where, unicode_errors))
        if block is None:
            block = np.empty((min(count, max(1, CHUNK_BYTES // record)), dim), dtype=np.float32)
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
        while pos < len(buffer) and buffer[pos] in b" \t\r\n":
            pos += 1
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
    beside it."""
    vectors_path, metadata_path = _projector_files(Path(path))
    if not metadata_path.is_file():
        raise ModelFormatError(f"no {metadata_path.name} beside {vectors_path}: the projector "
                               f"format keeps the words in it")
    words, counts = _read_metadata(metadata_path)
    stream, size = _open(vectors_path)
    try:
        with stream:
            first = stream.readline(1 << 24)
            dim = len(first.split())
            if size is not None and len(words) * (2 * dim) - 1 > size:
                raise ModelFormatError(f"{vectors_path}: {metadata_path.name} lists {len(words)} "
                                       f"words, more rows than the file's {size} bytes can hold")
            lines = enumerate(itertools.chain([first], _lines(stream, dim, vectors_path)), start=1)
            rows = _Rows(_initial_rows(len(words), size, dim), dim, limit=len(words))
            _read_rows(lines, rows, dim, len(words), len(words), vectors_path, "strict",
                       with_words=False)
            for number, line in lines:
                if line.strip():
                    raise ModelFormatError(f"{vectors_path}, line {number}: more rows than the "
                                           f"{len(words)} words of {metadata_path.name}")
    except READ_ERRORS as error:
        raise ModelFormatError(f"{vectors_path} is damaged: {error}") from None
    kv = _keyed_vectors(words, rows.result(), vectors_path)
    if counts is not None and len(kv) == len(counts):
        kv.counts = np.asarray(counts, dtype=np.int64)
    return kv


def _read_metadata(path: Path) -> tuple[list[str], list[int] | None]:
    """Words (first column) and counts (a ``count`` column, if any). A file
    with several columns starts with a header line, as TensorBoard requires."""
    with open(path, "rb") as handle:
        lines = [line.rstrip(b"\r\n") for line in handle]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise ModelFormatError(f"{path} lists no words")
    columns = lines[0].split(b"\t")
    if len(columns) == 1:
        return [_decode(line, path, f"line {n}", "strict") for n, line in enumerate(lines, 1)], None
    names = [c.decode(errors="replace").strip().lower() for c in columns]
    words, counts = [], [] if "count" in names else None
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(b"\t")
        if len(fields) != len(columns):
            raise ModelFormatError(f"{path}, line {number}: expected {len(columns)} tab-separated "
                                   f"columns, found {len(fields)}")
        words.append(_decode(fields[0], path, f"line {number}", "strict"))
        if counts is not None:
            try:
                counts.append(int(fields[names.index("count")]))
            except ValueError:
                raise ModelFormatError(f"{path}, line {number}: the count is not an integer") from None
    return words, counts
