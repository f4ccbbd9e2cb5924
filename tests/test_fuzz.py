"""Property-based tests: whatever the input, the readers and loaders either
work or raise their documented error, and never allocate what a file only
claims to hold."""

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import w2v
from conftest import rewrite_archive
from w2v import ModelFormatError
from w2v.corpus import read_sentences
from w2v.errors import CorpusError
from w2v.tokenize import tokenize

FUZZ = settings(max_examples=150, deadline=None,
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
def test_corpus_reader_on_any_bytes(tmp_path, data):
    path = tmp_path / "corpus.txt"
    path.write_bytes(data)
    try:
        sentences = list(read_sentences(path, max_sentence_length=7))
    except CorpusError as error:
        assert "looks like a binary file" in str(error)  # the only refusal for a plain file
        return
    assert all(0 < len(s) <= 7 for s in sentences)


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "m.w2v"
    w2v.Word2Vec(dim=4, min_count=1, epochs=1).train([["a", "b", "c"]] * 20, progress=None).save(path)
    return path.read_bytes()


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(1, 255)), min_size=1, max_size=8))
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

from w2v import formats  # noqa: E402
from w2v.errors import W2VError  # noqa: E402
from w2v.evaluate import read_analogies, read_word_pairs  # noqa: E402

VECTOR_HEADERS = [b"", b"3 2\n", b"2 4\n", b"1 1\n", b"99999999999 300\n", b"2 -1\n"]


@FUZZ
@given(header=st.sampled_from(VECTOR_HEADERS), body=st.binary(max_size=300),
       binary=st.sampled_from([None, True, False]))
def test_word2vec_loader_on_any_bytes(tmp_path, header, body, binary):
    path = tmp_path / "v.bin"
    path.write_bytes(header + body)
    tracemalloc.start()
    try:
        kv = formats.load_word2vec_format(path, binary=binary)
    except W2VError:
        return
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 5_000_000  # whatever the header claims
    assert kv.vectors.shape == (len(kv), kv.vector_size)
    assert np.isfinite(kv.vectors).all()


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
