"""The w2v model file: data only, versioned, written atomically.

A model file is a zip archive (stored, not compressed) holding

- ``meta.json``: format name and version, training parameters and state;
- ``words.json``: the vocabulary, most frequent first;
- one ``.npy`` file per array (``counts``, ``W_in``, ``W_out``, ``loss_history``).

Loading parses JSON and raw ``.npy`` headers only: no pickle, nothing in the
file can execute code. Nothing a header claims is trusted: not the zip
directory's sizes, not an array's shape. Memory follows the bytes really
read, and every read has a cap:

- the zip directory may take at most ``MAX_DIRECTORY_BYTES``, ``meta.json``
  at most ``MAX_META_BYTES``;
- all members together may decompress to at most ``MAX_EXPANSION`` times the
  file's size (plus ``EXPANSION_SLACK``), so a zip bomb is refused after
  reading a few megabytes;
- an array's dtype and shape are checked against the metadata, and its size
  against what is left of that allowance, before it is allocated; it is then
  read in place, chunk by chunk, never as a second copy.

Archives that other zip readers could read differently are refused: two
members of the same name (zipfile keeps the last, other tools the first),
encrypted members, compression methods other than deflate.
"""

from __future__ import annotations

import io
import json
import math
import os
import posixpath
import re
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .errors import ModelFormatError

FORMAT_NAME = "w2v-model"
FORMAT_VERSION = 1

# w2v writes six members in about a kilobyte of directory.
MAX_DIRECTORY_BYTES = 1 << 16
MAX_META_BYTES = 1 << 20
# w2v stores members uncompressed. A model someone re-zipped with deflate
# shrinks little (float data is nearly random), so it reads; a bomb cannot.
MAX_EXPANSION = 4
EXPANSION_SLACK = 1 << 20
READ_CHUNK = 1 << 20
# numpy refuses .npy headers over 10,000 characters by default.
MAX_NPY_HEADER = 10_000

# A JSON list of strings and nothing else: checked before json.loads builds
# anything (possessive quantifiers: no backtracking, linear time).
_STRING_LIST = re.compile(rb'\s*+\[\s*+(?:"(?:[^"\\]++|\\.)*+"\s*+(?:,\s*+"(?:[^"\\]++|\\.)*+"\s*+)*+)?\]\s*+',
                          re.DOTALL)


def save(path, meta: dict, words: list[str], arrays: dict[str, np.ndarray]) -> None:
    """Write a model file atomically: ``path`` keeps its old content if anything fails."""
    meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, **meta}
    with atomic_write(path) as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("meta.json", json.dumps(meta, indent=1, sort_keys=True))
        archive.writestr("words.json", json.dumps(words, ensure_ascii=False))
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)


def load(path, expected: dict[str, tuple[str, tuple]]) -> tuple[dict, list[str], dict[str, np.ndarray]]:
    """Read and validate a model file.

    ``expected`` maps each array name to its dtype and shape; a shape may use
    the names ``"V"`` (vocabulary size), ``"d"`` (dimension) and ``"n"`` (any
    length, e.g. of the loss history), which are taken from ``meta.json``.
    Float arrays must hold finite values only.

    Of ``meta`` only ``format``, ``version``, ``vocab_size`` and ``dim`` are
    checked here (JSON without NaN, Infinity or a key twice); the caller
    validates the rest.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFormatError(f"no such model file: {path}")
    if not path.is_file():
        raise ModelFormatError(f"{path} is not a regular file, so not a w2v model file")
    try:
        with open(path, "rb") as raw:
            _check_directory_size(raw, path)
            with zipfile.ZipFile(raw) as archive:
                reader = _MemberReader(archive, path, os.fstat(raw.fileno()).st_size)
                meta = reader.json("meta.json", MAX_META_BYTES)
                _check_meta(meta, path)
                sizes = {"V": meta["vocab_size"], "d": meta["dim"]}
                # Arrays first: their size is checked against real bytes, so
                # the vocabulary size they confirm bounds words.json below.
                arrays = {name: reader.array(name, dtype, shape, sizes)
                          for name, (dtype, shape) in expected.items()}
                words = reader.words(sizes["V"])
    # zipfile reports damage in many ways: a bad CRC or header, an unknown
    # compression method (NotImplementedError), an "encrypted" flag
    # (RuntimeError), a name flagged UTF-8 that is not (UnicodeDecodeError,
    # a ValueError), a header too short to unpack (struct.error).
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError,
            zlib.error, ValueError, struct.error, OverflowError) as err:
        raise ModelFormatError(f"{path} is damaged: {err}") from None
    for name, array in arrays.items():
        _check_finite(array, f"{name}.npy", words if expected[name][1][:1] == ("V",) else None, path)
    return meta, words, arrays


# --- reading the archive ------------------------------------------------------------

def _check_directory_size(raw, path) -> None:
    """Refuse a zip directory too large for a model before zipfile builds an
    object per entry (a crafted directory costs ~12 times its bytes)."""
    # zipfile's own end-record reader: private, but the very one ZipFile uses,
    # so both see the same directory. A Python without it goes unchecked here
    # (a crafted directory then costs memory, but only in proportion to its size).
    end_record = getattr(zipfile, "_EndRecData", None)
    if end_record is None:
        return
    record = end_record(raw)
    if not record:
        raise ModelFormatError(f"{path} is not a w2v model file (not a zip archive)")
    directory_bytes = record[5]  # zipfile._ECD_SIZE
    if directory_bytes > MAX_DIRECTORY_BYTES:
        raise ModelFormatError(f"{path}: its zip directory takes {directory_bytes} bytes, more than "
                               f"a model's {MAX_DIRECTORY_BYTES}: not a w2v model file")
    raw.seek(0)


def _canonical(name: str) -> str:
    """The name as a lenient zip tool would extract it: ``./meta.json``,
    ``META.JSON`` and ``meta.json`` land in the same file."""
    return posixpath.normpath(name.replace("\\", "/").lstrip("/")).casefold()


class _MemberReader:
    """Reads members of one archive, all of them together within
    ``MAX_EXPANSION`` times the file's size."""

    def __init__(self, archive: zipfile.ZipFile, path: Path, file_size: int):
        self.archive, self.path, self.file_size = archive, path, file_size
        self.budget = MAX_EXPANSION * file_size + EXPANSION_SLACK
        self.members: dict[str, zipfile.ZipInfo] = {}
        seen: dict[str, str] = {}
        for info in archive.infolist():
            key = _canonical(info.filename)
            if key in seen:
                raise ModelFormatError(
                    f"{path} holds two members named {seen[key]!r} and {info.filename!r}: zip tools "
                    f"disagree on which one counts, so the file is refused")
            seen[key] = info.filename
            self.members[info.filename] = info

    def _open(self, member: str):
        info = self.members.get(member)
        if info is None:
            raise ModelFormatError(f"{self.path} has no {member}: not a w2v model file")
        where = f"{self.path}: {member} (at byte {info.header_offset})"
        if info.flag_bits & 0x1:
            raise ModelFormatError(f"{where} is encrypted; w2v model files never are")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFormatError(f"{where} is compressed with zip method {info.compress_type}; "
                                   f"w2v reads stored or deflated members only")
        if info.header_offset + info.compress_size > self.file_size:
            raise ModelFormatError(f"{where} claims {info.compress_size} bytes, beyond the end "
                                   f"of the file (truncated file?)")
        return self.archive.open(info), where

    def _spend(self, nbytes: int, where: str) -> None:
        if nbytes > self.budget:
            raise ModelFormatError(
                f"{where} holds more data than a {self.file_size}-byte model file can: "
                f"members may decompress to at most {MAX_EXPANSION} times the file's size "
                f"(a zip bomb?)")
        self.budget -= nbytes

    @staticmethod
    def _read_into(handle, flat: np.ndarray, where: str) -> None:
        """Fill the uint8 array ``flat`` from ``handle`` a chunk at a time,
        refusing a member that ends early."""
        done = 0
        while done < len(flat):
            chunk = handle.read(min(READ_CHUNK, len(flat) - done))
            if not chunk:
                raise ModelFormatError(f"{where} ends after {done} of its {len(flat)} bytes "
                                       f"(truncated file)")
            flat[done:done + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
            done += len(chunk)

    def _read_all(self, member: str, cap: int | None = None) -> tuple[bytes, str]:
        """The whole member, if it fits within ``cap`` and what is left to spend."""
        handle, where = self._open(member)
        limit = self.budget if cap is None else min(cap, self.budget)
        with handle:
            data = handle.read(limit + 1)  # zipfile decompresses no more than asked for
        if cap is not None and len(data) > cap:
            raise ModelFormatError(f"{where} is larger than {cap} bytes: not a w2v model file")
        self._spend(len(data), where)
        return data, where

    def json(self, member: str, cap: int):
        data, where = self._read_all(member, cap)
        return _parse_json(data, where)

    def words(self, vocab_size: int) -> list[str]:
        """words.json: a list of ``vocab_size`` strings. Checked to be a flat
        list of at most that many strings before it is parsed, so a crafted
        file cannot make json build millions of objects."""
        data, where = self._read_all("words.json")
        # Each string brings two quotes not preceded by a backslash (one
        # for a string that ends in an escaped backslash).
        quotes = data.count(b'"') - data.count(b'\\"')
        if quotes > 2 * vocab_size or not _STRING_LIST.fullmatch(data):
            raise ModelFormatError(f"{where} is not a list of {vocab_size} words")
        words = _parse_json(data, where)
        if len(words) != vocab_size:
            raise ModelFormatError(f"{where} lists {len(words)} words, meta.json {vocab_size}")
        return words

    def array(self, name: str, dtype: str, shape: tuple, sizes: dict) -> np.ndarray:
        member = f"{name}.npy"
        handle, where = self._open(member)
        with handle:
            file_shape, fortran, file_dtype, header_bytes = _read_npy_header(handle, where)
            want_dtype = np.dtype(dtype)
            if file_dtype != want_dtype:
                raise ModelFormatError(f"{where} holds {file_dtype.str} ({file_dtype}), expected "
                                       f"{want_dtype.str} ({want_dtype})")
            if fortran:
                raise ModelFormatError(f"{where} is stored in Fortran (column-major) order; "
                                       f"w2v writes and reads C order only")
            if len(file_shape) != len(shape) or any(
                    want != "n" and got != sizes.get(want, want) for got, want in zip(file_shape, shape)):
                raise ModelFormatError(
                    f"{where} has shape {file_shape}, expected {shape} "
                    f"with V={sizes['V']}, d={sizes['d']}")
            nbytes = math.prod(file_shape) * want_dtype.itemsize  # Python ints: no overflow
            self._spend(header_bytes + nbytes, where)
            array = np.empty(file_shape, dtype=want_dtype)
            self._read_into(handle, array.reshape(-1).view(np.uint8), where)
            if handle.read(1):  # also makes zipfile check the CRC of all it read
                raise ModelFormatError(f"{where} has data after its {file_shape} array")
        return array


def _parse_json(data: bytes, where: str):
    def refuse_constant(name):
        raise ValueError(f"{name} is not JSON")

    def object_without_repeats(pairs):
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            repeated = next(key for key in keys if keys.count(key) > 1)
            raise ValueError(f"the key {repeated!r} appears twice")
        return dict(pairs)

    try:
        return json.loads(data.decode("utf-8"), parse_constant=refuse_constant,
                          object_pairs_hook=object_without_repeats)
    # ValueError covers JSONDecodeError, UnicodeDecodeError and integers of
    # more than 4,300 digits; RecursionError, lists nested thousands deep.
    except (ValueError, RecursionError) as err:
        raise ModelFormatError(f"{where} is not valid JSON ({err})") from None


def _check_meta(meta, path):
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{path} is not a w2v model file")
    version = meta.get("version")
    if type(version) is not int or version > FORMAT_VERSION or version < 1:
        raise ModelFormatError(
            f"{path} has format version {version!r}; this w2v reads up to "
            f"version {FORMAT_VERSION}: upgrade w2v")
    for key in ("vocab_size", "dim"):
        if type(meta.get(key)) is not int or meta[key] < 1:
            raise ModelFormatError(f"{path}: meta.json has no valid {key!r}")


def _read_npy_header(handle, where):
    """Shape, Fortran flag, dtype and header length of an .npy member. The
    header's length is checked before it is read; only plain numeric dtypes
    are accepted (no object arrays, hence no pickle)."""
    magic = handle.read(8)
    if len(magic) != 8 or not magic.startswith(b"\x93NUMPY") or magic[6:] not in (b"\x01\x00", b"\x02\x00"):
        raise ModelFormatError(f"{where} is not a version 1 or 2 .npy array")
    length_bytes = 2 if magic[6] == 1 else 4
    length_field = handle.read(length_bytes)
    length = int.from_bytes(length_field, "little")
    if len(length_field) != length_bytes or length > MAX_NPY_HEADER:
        raise ModelFormatError(f"{where} has a bad header (claims {length} bytes)")
    header = handle.read(length)
    parse = (np.lib.format.read_array_header_1_0 if magic[6] == 1
             else np.lib.format.read_array_header_2_0)
    try:
        shape, fortran, dtype = parse(io.BytesIO(length_field + header))
    # numpy's parser: ast.literal_eval on text, then dtype construction.
    except (ValueError, TypeError, SyntaxError, OverflowError, RecursionError, MemoryError) as err:
        message = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise ModelFormatError(f"{where} has a bad header ({message})") from None
    if dtype.hasobject:
        raise ModelFormatError(f"{where} holds Python objects; refused (loading them could run code)")
    if not all(type(n) is int and n >= 0 for n in shape):
        raise ModelFormatError(f"{where} has a bad header (shape {shape})")
    return shape, fortran, dtype, len(magic) + length_bytes + length


def _check_finite(array: np.ndarray, member: str, words, path) -> None:
    """Refuse NaN or infinity in a float array (it would poison every
    similarity), naming the first bad row; checked a block at a time."""
    if array.dtype.kind != "f" or array.size == 0:
        return
    rows = array.reshape(len(array), -1)
    step = max(1, READ_CHUNK // max(rows.shape[1], 1))
    for start in range(0, len(rows), step):
        bad = ~np.isfinite(rows[start:start + step]).all(axis=1)
        if bad.any():
            row = start + int(bad.argmax())
            word = f" (the word {words[row]!r})" if words is not None else ""
            raise ModelFormatError(f"{path}: {member} row {row}{word} holds NaN or infinite values")
