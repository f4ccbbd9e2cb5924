"""The w2v model file: data only, versioned, written atomically.

A model file is a zip archive (stored, not compressed) holding

- ``meta.json``: format name and version, training parameters and state;
- ``words.json``: the vocabulary, most frequent first;
- one ``.npy`` file per array (``counts``, ``W_in``, ``W_out``, ``loss_history``).

Loading parses JSON and raw ``.npy`` headers only: no pickle, nothing in the
file can execute code. Every array's dtype and shape is checked against the
metadata before its bytes are read, so a lying header cannot make us allocate
memory the file does not hold.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .errors import ModelFormatError

FORMAT_NAME = "w2v-model"
FORMAT_VERSION = 1


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
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFormatError(f"no such model file: {path}")
    if not zipfile.is_zipfile(path):
        raise ModelFormatError(f"{path} is not a w2v model file (not a zip archive)")
    try:
        with zipfile.ZipFile(path) as archive:
            meta = _read_json(archive, "meta.json", path)
            _check_meta(meta, path)
            sizes = {"V": meta["vocab_size"], "d": meta["dim"]}
            words = _read_json(archive, "words.json", path)
            if (not isinstance(words, list) or len(words) != sizes["V"]
                    or not all(isinstance(w, str) for w in words)):
                raise ModelFormatError(f"{path}: words.json does not list {sizes['V']} words")
            arrays = {name: _read_npy(archive, name, dtype, shape, sizes, path)
                      for name, (dtype, shape) in expected.items()}
    # zipfile reports damage in many ways: a bad CRC or header, an unknown
    # compression method (NotImplementedError), an "encrypted" flag (RuntimeError).
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError,
            zlib.error) as err:
        raise ModelFormatError(f"{path} is damaged: {err}") from None
    return meta, words, arrays


def _read_json(archive, name, path):
    try:
        return json.loads(archive.read(name).decode("utf-8"))
    except KeyError:
        raise ModelFormatError(f"{path} has no {name}: not a w2v model file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFormatError(f"{path}: {name} is not valid JSON ({err})") from None


def _check_meta(meta, path):
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{path} is not a w2v model file")
    version = meta.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise ModelFormatError(
            f"{path} has format version {version!r}; this w2v reads up to "
            f"version {FORMAT_VERSION}: upgrade w2v")
    for key in ("vocab_size", "dim"):
        if not isinstance(meta.get(key), int) or meta[key] < 1:
            raise ModelFormatError(f"{path}: meta.json has no valid {key!r}")


def _read_npy(archive, name, dtype, shape, sizes, path):
    member = f"{name}.npy"
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise ModelFormatError(f"{path} has no {member}") from None
    with archive.open(info) as handle:
        try:
            version = np.lib.format.read_magic(handle)
            header = _read_npy_header(handle, version)
        except ValueError as err:
            raise ModelFormatError(f"{path}: {member} has a bad header ({err})") from None
        file_shape, fortran, file_dtype = header
        want_dtype = np.dtype(dtype)
        if file_dtype != want_dtype or fortran:
            raise ModelFormatError(f"{path}: {member} holds {file_dtype}, expected {want_dtype}")
        if len(file_shape) != len(shape) or any(
                want != "n" and got != sizes.get(want, want) for got, want in zip(file_shape, shape)):
            raise ModelFormatError(
                f"{path}: {member} has shape {file_shape}, expected {shape} "
                f"with V={sizes['V']}, d={sizes['d']}")
        nbytes = int(np.prod(file_shape, dtype=np.int64)) * want_dtype.itemsize
        if info.file_size < nbytes:
            raise ModelFormatError(f"{path}: {member} is truncated")
        data = handle.read(nbytes)
        if len(data) != nbytes:
            raise ModelFormatError(f"{path}: {member} is truncated")
    return np.frombuffer(data, dtype=want_dtype).reshape(file_shape).copy()


def _read_npy_header(handle, version):
    """Parse an .npy header without numpy's object-dtype path: only plain
    numeric dtypes are accepted."""
    if version == (1, 0):
        header = np.lib.format.read_array_header_1_0(handle)
    elif version == (2, 0):
        header = np.lib.format.read_array_header_2_0(handle)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    shape, fortran, dtype = header
    if dtype.hasobject:
        raise ValueError("object arrays are refused")
    return shape, fortran, dtype

