"""Property-based tests: whatever the input, the readers and loaders either
work or raise their documented error, and never allocate what a file only
claims to hold."""

import io
import json
import os
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import w2v
from conftest import rewrite_archive
from w2v import ModelFormatError
from w2v.corpus import read_sentences
from w2v.errors import CorpusError
from w2v.sources import _OPENER_BY_SIGNATURE
from w2v.tokenize import tokenize

# W2V_FUZZ_EXAMPLES=5000 for a longer hunt than CI's.
FUZZ = settings(max_examples=int(os.environ.get("W2V_FUZZ_EXAMPLES", 150)), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.text())
def test_tokenize_any_text(text):
    tokens = tokenize(text)
    assert all(token and not any(c.isspace() for c in token) for token in tokens)
    assert tokens == tokenize(text.lower())
    assert tokenize(" ".join(tokens)) == tokens


@FUZZ
@given(data=st.binary(max_size=2000))
@example(data=b"\xfd7zXZ\x00")  # an xz signature, then nothing: a truncated stream, whatever the name
def test_corpus_reader_on_any_bytes(tmp_path, data):
    path = tmp_path / "corpus.txt"
    path.write_bytes(data)
    try:
        sentences = list(read_sentences(path, max_sentence_length=7))
    except CorpusError as error:
        # Compressed data is recognised by its first bytes, not by its name, so a
        # damaged stream is the other refusal; any other bytes are text or binary.
        compressed = any(signature.match(data) for signature, _ in _OPENER_BY_SIGNATURE)
        expected = "cannot read" if compressed else "looks like a binary file"
        assert expected in str(error) or "looks like a binary file" in str(error)
        return
    assert all(0 < len(s) <= 7 for s in sentences)


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "m.w2v"
    w2v.Word2Vec(dim=4, min_count=1, epochs=1, sample=0).train([["a", "b", "c"]] * 20, progress=None).save(path)
    return path.read_bytes()


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(1, 255)), min_size=1, max_size=8))
@example(flips=[(7, 8), (27, 3)])  # meta.json's name flagged UTF-8 and made longer: a UnicodeDecodeError once
def test_model_loader_on_corrupted_files(tmp_path, model_bytes, flips):
    data = bytearray(model_bytes)
    for position, xor in flips:
        data[position % len(data)] ^= xor
    path = tmp_path / "bad.w2v"
    path.write_bytes(bytes(data))
    try:
        model = w2v.load(path)
    except ModelFormatError:
        return
    # A flip the format cannot see (inside float data) still gives a well-formed model.
    assert model.W_in_.shape == (len(model.vocab_), model.dim)


@FUZZ
@given(vocab_size=st.integers(1, 2**62), dim=st.integers(1, 2**40))
def test_lying_sizes_are_refused_without_allocating_them(tmp_path, model_bytes, vocab_size, dim):
    with zipfile.ZipFile(io.BytesIO(model_bytes)) as archive:
        meta = json.loads(archive.read("meta.json"))
    if (vocab_size, dim) == (meta["vocab_size"], meta["dim"]):
        return
    meta["vocab_size"], meta["dim"] = vocab_size, dim
    meta["params"]["dim"] = dim
    path = tmp_path / "liar.w2v"
    rewrite_archive(path, lambda name, data: json.dumps(meta).encode() if name == "meta.json" else data,
                    source=io.BytesIO(model_bytes))
    tracemalloc.start()
    try:
        with pytest.raises(ModelFormatError):
            w2v.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


# --- vector files and evaluation files ---------------------------------------

import bz2  # noqa: E402
import gzip  # noqa: E402
import lzma  # noqa: E402
import warnings  # noqa: E402

from w2v import formats  # noqa: E402
from w2v.errors import W2VError  # noqa: E402
from w2v.evaluate import read_analogies, read_word_pairs  # noqa: E402

VECTOR_HEADERS = [b"", b"3 2\n", b"2 4\n", b"1 1\n", b"99999999999 300\n", b"2 -1\n",
                  b"99999999999999999999999 2\n", b"2 0\n", b"1 70000\n"]
COMPRESSIONS = {"": lambda data: data, ".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}


def loads_within_bound(load, path, bound=8_000_000):
    """``load(path)``: its result, or None if it raised a W2VError (anything
    else fails the test), having traced less than ``bound`` bytes."""
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # repeated words are a warning, not the point here
            return load(path)
    except W2VError as error:
        assert "\n" not in str(error)
        return None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < bound, peak


def well_formed(kv):
    assert kv.vectors.shape == (len(kv), kv.vector_size) and kv.vectors.dtype == np.float32
    assert np.isfinite(kv.vectors).all()
    assert len(set(kv.index_to_key)) == len(kv)


@FUZZ
@given(header=st.sampled_from(VECTOR_HEADERS), body=st.binary(max_size=300),
       binary=st.sampled_from([None, True, False]))
def test_word2vec_loader_on_any_bytes(tmp_path, header, body, binary):
    path = tmp_path / "v.bin"
    path.write_bytes(header + body)
    kv = loads_within_bound(lambda p: formats.load_word2vec_format(p, binary=binary), path, 5_000_000)
    if kv is not None:
        well_formed(kv)


@pytest.fixture(scope="module")
def vector_files(tmp_path_factory):
    """The bytes of small valid files in each format, compressed or not."""
    rng = np.random.default_rng(0)
    kv = w2v.KeyedVectors(["a", "bb", "café", "日本", "e"], rng.standard_normal((5, 3)).astype(np.float32))
    folder = tmp_path_factory.mktemp("vectors")
    files = {}
    for name, binary in (("v.vec", False), ("v.bin", True)):
        formats.save_word2vec_format(kv, folder / name, binary=binary)
        for suffix, compress in COMPRESSIONS.items():
            files[name + suffix] = compress((folder / name).read_bytes())
    formats.save_projector(w2v.KeyedVectors(kv.index_to_key, kv.vectors, counts=[5, 4, 3, 2, 1]),
                           folder / "p")
    files["vectors.tsv"] = (folder / "p" / "vectors.tsv").read_bytes()
    files["metadata.tsv"] = (folder / "p" / "metadata.tsv").read_bytes()
    return files


def damage(data: bytes, cut, flips, insert) -> bytes:
    """``data`` cut short (or not), with bytes flipped and a run of bytes inserted."""
    data = bytearray(data[:cut % (len(data) + 1)] if cut is not None else data)
    for position, xor in flips:
        if data:
            data[position % len(data)] ^= xor
    position, extra = insert
    data[position % (len(data) + 1):position % (len(data) + 1)] = extra
    return bytes(data)


DAMAGE = dict(cut=st.none() | st.integers(0, 10**6),
              flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=4),
              insert=st.tuples(st.integers(0, 10**6), st.binary(max_size=20)))


@FUZZ
@given(name=st.sampled_from([f"v.{kind}{suffix}" for kind in ("vec", "bin") for suffix in COMPRESSIONS]),
       **DAMAGE)
def test_vector_files_with_any_damage(tmp_path, vector_files, name, cut, flips, insert):
    """Truncations, bit flips and insertions in text and binary files, plain
    or compressed: a well-formed result or a ModelFormatError, nothing else."""
    path = tmp_path / name
    path.write_bytes(damage(vector_files[name], cut, flips, insert))
    # xz's default dictionary takes 8 MB of its own
    kv = loads_within_bound(w2v.load, path, 16_000_000 if name.endswith(".xz") else 8_000_000)
    if kv is not None:
        well_formed(kv)


@FUZZ
@given(member=st.sampled_from(["vectors.tsv", "metadata.tsv"]), **DAMAGE)
def test_projector_files_with_any_damage(tmp_path, vector_files, member, cut, flips, insert):
    folder = tmp_path / "p"
    folder.mkdir(exist_ok=True)
    for name in ("vectors.tsv", "metadata.tsv"):
        data = vector_files[name]
        (folder / name).write_bytes(damage(data, cut, flips, insert) if name == member else data)
    kv = loads_within_bound(w2v.load, folder)
    if kv is not None:
        well_formed(kv)
        assert kv.counts is None or len(kv.counts) == len(kv)


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from(["", ".vec", ".bin", ".txt", ".tsv", ".w2v", ".gz"]))
def test_any_bytes_under_any_name(tmp_path, data, suffix):
    path = tmp_path / f"file{suffix}"
    path.write_bytes(data)
    result = loads_within_bound(w2v.load, path, 5_000_000)
    if isinstance(result, w2v.KeyedVectors):
        well_formed(result)


@FUZZ
@given(**DAMAGE)
def test_model_files_cut_or_spliced(tmp_path, model_bytes, cut, flips, insert):
    path = tmp_path / "bad.w2v"
    path.write_bytes(damage(model_bytes, cut, flips, insert))
    model = loads_within_bound(w2v.load, path)
    if model is not None:
        assert model.W_in_.shape == (len(model.vocab_), model.dim)
        assert np.isfinite(model.W_in_).all() and np.isfinite(model.W_out_).all()


@FUZZ
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40), max_size=30))
def test_analogy_and_pair_readers_on_any_lines(tmp_path, lines):
    path = tmp_path / "eval.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    for reader in (read_analogies, read_word_pairs):
        try:
            result = reader(path)
        except W2VError:
            continue
        assert isinstance(result, list)


@FUZZ
@given(data=st.binary(max_size=600))
def test_analogy_and_pair_readers_on_any_bytes(tmp_path, data):
    path = tmp_path / "eval.txt"
    path.write_bytes(data)
    for reader in (read_analogies, read_word_pairs):
        result = loads_within_bound(reader, path, 2_000_000)
        assert result is None or isinstance(result, list) and result


# --- item sessions -------------------------------------------------------------

from w2v.sessions import read_baskets, read_interactions  # noqa: E402

ROWS = st.lists(st.lists(st.sampled_from(["u1", "u2", "7", "007", "x y", "", "3.5", "nan",
                                          "2024-01-02", "-1", "é", "\t"]), max_size=5), max_size=20)


@FUZZ
@given(header=st.sampled_from(["user,item,timestamp,rating\n", "user\titem\n", "item,user\n", ""]),
       rows=ROWS, min_rating=st.sampled_from([None, 3.0]), on_bad_rows=st.sampled_from(["skip", "error"]))
def test_interaction_tables_of_any_shape(tmp_path, header, rows, min_rating, on_bad_rows):
    delimiter = "\t" if "\t" in header else ","
    path = tmp_path / "interactions.csv"
    path.write_text(header + "".join(delimiter.join(row) + "\n" for row in rows), encoding="utf-8")
    try:
        sessions = read_interactions(path, min_rating=min_rating, on_bad_rows=on_bad_rows)
    except W2VError:
        return
    for session in sessions:
        assert all(isinstance(item, str) and item for item in session)


@FUZZ
@given(data=st.binary(max_size=500))
def test_basket_files_of_any_bytes(tmp_path, data):
    path = tmp_path / "baskets.txt"
    path.write_bytes(data)
    try:
        sessions = read_baskets(path)
    except W2VError:
        return
    for session in sessions:
        assert all(isinstance(item, str) and item and "," not in item and not item.isspace()
                   for item in session)
