"""word2vec text/binary and projector files: lossless round trips, files written
by gensim (fixtures in tests/data, made by tests/data/make_gensim_files.py),
the layouts of word2vec C and fastText, and malformed files."""

import bz2
import gzip
import json
import lzma
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import peers
import pytest

import w2v
from w2v import KeyedVectors, ModelFormatError, W2VError
from w2v.formats import (detect_format, load_projector, load_vectors, load_word2vec_format,
                         save_projector, save_vectors, save_word2vec_format)

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def kv():
    rng = np.random.default_rng(3)
    words = ["the", "café", "日本", "naïve", "zürich", "ß"] + [f"w{i}" for i in range(34)]
    vectors = rng.standard_normal((len(words), 7)).astype(np.float32)
    # Values whose text form is hardest to get exact: extremes, subnormals, -0.
    vectors[0] = [np.finfo(np.float32).max, np.finfo(np.float32).tiny, 1.4e-45, -0.0,
                  0.1, 1 / 3, -np.finfo(np.float32).max]
    return KeyedVectors(words, vectors, counts=np.arange(len(words), 0, -1) * 10)


def c_binary(words, vectors) -> bytes:
    """Bytes as word2vec C writes them: "%s " then the floats then "\\n"."""
    body = b"".join(w.encode() + b" " + v.astype("<f4").tobytes() + b"\n" for w, v in zip(words, vectors))
    return f"{len(words)} {vectors.shape[1]}\n".encode() + body


def text_lines(words, vectors, end=" \n") -> bytes:
    """Text as fastText writes it (a space before each newline)."""
    rows = "".join(w + " " + " ".join(repr(float(x)) for x in v) + end for w, v in zip(words, vectors))
    return f"{len(words)} {vectors.shape[1]}\n{rows}".encode()


# --- round trips ------------------------------------------------------------------

@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_round_trip_is_float32_exact(kv, tmp_path, binary):
    path = tmp_path / ("v.bin" if binary else "v.vec")
    kv.save_word2vec_format(path, binary=binary)
    loaded = w2v.load(path)
    assert isinstance(loaded, KeyedVectors)
    assert loaded.index_to_key == kv.index_to_key
    assert loaded.vectors.dtype == np.float32
    assert loaded.vectors.tobytes() == kv.vectors.tobytes()  # bit for bit, -0.0 included


def test_text_format_is_word2vec_text(kv, tmp_path):
    path = tmp_path / "v.txt"
    save_word2vec_format(kv, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"{len(kv)} 7" and len(lines) == len(kv) + 1
    assert lines[2].split()[0] == "café" and len(lines[2].split()) == 8


def test_binary_format_is_word2vec_c_layout(kv, tmp_path):
    path = tmp_path / "v.bin"
    save_word2vec_format(kv, path, binary=True)
    assert path.read_bytes() == c_binary(kv.index_to_key, kv.vectors)


def test_projector_round_trip_keeps_words_counts_and_vectors(kv, tmp_path):
    folder = tmp_path / "projector"
    save_projector(kv, folder)
    metadata = (folder / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    assert metadata[:2] == ["word\tcount", "the\t400"]
    assert (folder / "vectors.tsv").read_text().splitlines()[1].count("\t") == 6
    for path in (folder, folder / "vectors.tsv"):
        loaded = w2v.load(path)
        assert loaded.index_to_key == kv.index_to_key
        assert loaded.vectors.tobytes() == kv.vectors.tobytes()
        assert loaded.counts.tolist() == kv.counts.tolist()


def test_projector_metadata_without_counts_is_one_word_a_line(kv, tmp_path):
    plain = KeyedVectors(kv.index_to_key, kv.vectors)
    save_vectors(plain, tmp_path / "p", "projector")
    assert (tmp_path / "p" / "metadata.tsv").read_text(encoding="utf-8").splitlines()[:2] == ["the", "café"]
    assert load_projector(tmp_path / "p").counts is None


def test_load_gives_a_model_for_model_files_and_load_vectors_its_vectors(kv, tmp_path, topics):
    model = w2v.Word2Vec(dim=8, min_count=1, epochs=1, workers=1).train(topics, progress=None)
    model.save(tmp_path / "m.w2v")
    assert isinstance(w2v.load(tmp_path / "m.w2v"), w2v.Word2Vec)
    vectors = load_vectors(tmp_path / "m.w2v")
    assert isinstance(vectors, KeyedVectors) and vectors.vectors.tobytes() == model.wv.vectors.tobytes()
    assert detect_format(tmp_path / "m.w2v") == "w2v-model"


def test_limit_reads_the_first_vectors(kv, tmp_path):
    for binary in (False, True):
        path = tmp_path / f"v{binary}"
        save_word2vec_format(kv, path, binary=binary)
        first = load_word2vec_format(path, limit=3)
        assert first.index_to_key == kv.index_to_key[:3]
        assert np.array_equal(first.vectors, kv.vectors[:3])


# --- files written by other tools -----------------------------------------------------

def test_gensim_files_load_with_gensims_neighbours():
    answers = json.loads((DATA / "gensim-answers.json").read_text(encoding="utf-8"))
    text, binary = w2v.load(DATA / "gensim.vec"), w2v.load(DATA / "gensim.bin")
    assert binary.index_to_key == text.index_to_key and "日本" in binary
    # gensim writes text with the shortest repr of each float32: exact as well.
    assert binary.vectors.tobytes() == text.vectors.tobytes()
    def same(found, expected):
        assert [w for w, _ in found] == [w for w, _ in expected]
        assert [s for _, s in found] == pytest.approx([s for _, s in expected], abs=1e-6)

    for word, expected in answers["most_similar"].items():
        same(binary.most_similar(word, topn=5), expected)
    same(binary.analogy("a2", "a1", "b2", topn=3), answers["analogy"])
    same(binary.analogy("a2", "a1", "b2", topn=3, method="3cosmul"), answers["cosmul"])


@pytest.mark.filterwarnings("ignore:overflow")  # gensim's norm of the float32-max row
def test_gensim_reads_our_files_and_finds_the_same_neighbours(kv, tmp_path):
    gensim_models = peers.gensim_models()
    for binary in (False, True):
        path = tmp_path / f"ours{int(binary)}"
        kv.save_word2vec_format(path, binary=binary)
        theirs = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
        assert list(theirs.index_to_key) == kv.index_to_key
        assert theirs.vectors.tobytes() == kv.vectors.tobytes()
        for word in ("café", "w3"):
            assert [w for w, _ in theirs.most_similar(word, topn=5)] == \
                   [w for w, _ in kv.most_similar(word, topn=5)]


def test_newline_before_or_without_newline_reads_the_same(kv, tmp_path):
    words, vectors = kv.index_to_key, kv.vectors
    c_style = c_binary(words, vectors)
    gensim_style = c_style.replace(b"\n", b"")  # no newline anywhere after the header...
    header = f"{len(words)} 7\n".encode()
    gensim_style = header + b"".join(w.encode() + b" " + v.astype("<f4").tobytes()
                                     for w, v in zip(words, vectors))
    for name, data in (("c.bin", c_style), ("gensim.bin", gensim_style)):
        (tmp_path / name).write_bytes(data)
        loaded = load_word2vec_format(tmp_path / name, binary=True)
        assert loaded.index_to_key == words and loaded.vectors.tobytes() == vectors.tobytes()


@pytest.mark.parametrize("end", [" \n", "\n", "\r\n"])
def test_text_with_trailing_spaces_or_crlf_reads(kv, tmp_path, end):
    path = tmp_path / "ft.vec"
    path.write_bytes(text_lines(kv.index_to_key, kv.vectors, end=end))
    assert load_word2vec_format(path).vectors.tobytes() == kv.vectors.tobytes()


def test_a_byte_order_mark_is_skipped(kv, tmp_path):
    path = tmp_path / "bom.vec"
    path.write_bytes(b"\xef\xbb\xbf" + text_lines(kv.index_to_key, kv.vectors))
    assert w2v.load(path).vectors.tobytes() == kv.vectors.tobytes()
    save_projector(kv, tmp_path / "p")
    for name in ("vectors.tsv", "metadata.tsv"):
        member = tmp_path / "p" / name
        member.write_bytes(b"\xef\xbb\xbf" + member.read_bytes())
    loaded = w2v.load(tmp_path / "p")
    assert loaded.index_to_key == kv.index_to_key and loaded.counts.tolist() == kv.counts.tolist()


def test_text_without_header_as_glove_writes_it(kv, tmp_path):
    path = tmp_path / "glove.txt"
    path.write_bytes(text_lines(kv.index_to_key, kv.vectors).split(b"\n", 1)[1])
    loaded = w2v.load(path)
    assert loaded.index_to_key == kv.index_to_key and loaded.vectors.tobytes() == kv.vectors.tobytes()


@pytest.mark.parametrize("opener, suffix", [(gzip.open, ".gz"), (bz2.open, ".bz2"), (lzma.open, ".xz")])
def test_compressed_files(kv, tmp_path, opener, suffix):
    for binary in (False, True):
        plain = tmp_path / "plain"
        save_word2vec_format(kv, plain, binary=binary)
        packed = tmp_path / f"v{suffix}"
        with opener(packed, "wb") as handle:
            handle.write(plain.read_bytes())
        assert detect_format(packed) == ("word2vec-binary" if binary else "word2vec-text")
        assert load_vectors(packed).vectors.tobytes() == kv.vectors.tobytes()


def test_format_is_recognised_by_content_not_name(kv, tmp_path):
    save_word2vec_format(kv, tmp_path / "text.bin")
    save_word2vec_format(kv, tmp_path / "binary.vec", binary=True)
    save_word2vec_format(kv, tmp_path / "binary", binary=True)
    assert detect_format(tmp_path / "text.bin") == "word2vec-text"
    assert detect_format(tmp_path / "binary.vec") == "word2vec-binary"
    assert detect_format(tmp_path / "binary") == "word2vec-binary"
    for name in ("text.bin", "binary.vec", "binary"):
        assert w2v.load(tmp_path / name).vectors.tobytes() == kv.vectors.tobytes()


def test_repeated_words_keep_the_first_vector_and_warn(tmp_path):
    path = tmp_path / "dup.vec"
    path.write_text("3 2\na 1 2\nb 3 4\na 5 6\n")
    with pytest.warns(UserWarning, match="1 repeated words"):
        loaded = w2v.load(path)
    assert loaded.index_to_key == ["a", "b"] and loaded["a"].tolist() == [1, 2]


def test_invalid_utf8_is_named_or_replaced_on_request(tmp_path):
    path = tmp_path / "bad.vec"
    path.write_bytes(b"2 2\nok 1 2\nbad\xff 3 4\n")
    with pytest.raises(ModelFormatError, match="line 3: the word .* is not valid UTF-8"):
        w2v.load(path)
    assert load_word2vec_format(path, unicode_errors="replace").index_to_key == ["ok", "bad\ufffd"]


# --- malformed files --------------------------------------------------------------

@pytest.mark.parametrize("content, message", [
    (b"3 2\nalpha 1 2\nbeta 3 4\n", "line 4: file ends after 2 of the 3 vectors"),
    (b"2 2\na 1 2\nb 3 4\nc 5 6\n", "line 4: more vectors than the 2"),
    (b"2 3\na 1 2 3\nb 3 4\n", "line 3: expected a word and 3 numbers, found 2 numbers"),
    (b"2 2\na 1 2 3\nb 3 4\n", "line 2: expected a word and 2 numbers, found 3"),
    (b"2 2\na 1 2\nb 3 x4\n", "line 3: 'x4' is not a number"),
    (b"2 2\na 1 2\nb 3 nan\n", "line 3: a value is infinite, NaN or beyond float32 range"),
    (b"2 2\na 1 2\nb 3 1e39\n", "line 3: a value is infinite"),
    (b"2 two\na 1 2\n", "line 1: expected the header '<count> <dim>' or a word"),
    (b"0 2\n", "line 1: the header announces 0 vectors"),
    (b"1000000000000 300\na 1 2\n", "line 1: the header announces 1000000000000 vectors of "
                                    "dimension 300, more than the file's"),
    (b"2 1000\na 1 2\n", "more than the file's"),
    (b"2 1000000000\na 1 2\n", "dimension 1000000000; w2v reads at most 65,536 dimensions"),
    (b"2 -3\na 1 2\n", "line 1: the header announces 2 vectors of dimension -3; both must be"),
    (b"2 0\na\n", "dimension 0; both must be at least 1"),
    (b"9" * 5000 + b" 3\na 1 2 3\n", "the header announces 9999.* vectors of dimension 3, more than"),
])
def test_malformed_text_is_rejected_naming_the_line(tmp_path, content, message):
    path = tmp_path / "bad.vec"
    path.write_bytes(content)
    with pytest.raises(ModelFormatError, match=message.replace("(", r"\(")):
        w2v.load(path)


def binary_file(tmp_path, content):
    path = tmp_path / "bad.bin"
    path.write_bytes(content)
    return path


def test_malformed_binary_is_rejected_naming_the_entry(tmp_path):
    one = b"a " + struct.pack("<2f", 1, 2) + b"\n"
    two = one + b"b " + struct.pack("<2f", 3, 4) + b"\n"
    cases = [
        (b"3 2\n" + two + b"cccccc " + b"\0\0\0\0\0", "entry 3 .*: file ends inside the vector of b'cccccc'"),
        (b"3 2\n" + two + b"\n" * 12, r"entry 3 \(byte 38\): file ends after 2 of the 3 vectors"),
        (b"1 2\n" + two, r"entry 2 \(byte 15\): more data after the 1 vectors"),
        (b"2 2\n" + one + b"b" * 20_000, "entry 2 .*: no space ends a word"),
        (b"2 2\n" + one + b"b " + struct.pack("<2f", 3, np.nan),
         "entry 2 .*: the vector of 'b' holds an infinite or NaN"),
        (b"9999999 2\n" + two, "line 1: the header announces 9999999 vectors of dimension 2, more than"),
        (b"2 20000\n" + two, "more than the file's"),
        (b"2 2000000000\n" + two, "w2v reads at most 65,536 dimensions"),
        (b"2 2\n" + one + b"new\nline " + struct.pack("<2f", 3, 4),
         r"entry 2 \(byte 15\): the word b'new\\nline' holds whitespace"),
    ]
    for content, message in cases:
        with pytest.raises(ModelFormatError, match=message):
            load_word2vec_format(binary_file(tmp_path, content), binary=True)


@pytest.mark.parametrize("content, compress, message", [
    (b"1000000000 10000\na " + b"\0" * 400, False, "more than the file's"),
    (b"1000000000 10000\na " + b"\0" * 400, True, "file ends inside the vector"),
    (b"2 60000\na " + b"\0" * 400, True, "file ends inside the vector"),
    (b"2 60000\na 1 2\n", True, "line 2: expected a word and 60000 numbers"),
    (b"1000000000 3\na 1 2 3\n", True, "line 3: file ends after 1 of the 1000000000"),
])
def test_absurd_header_allocates_nothing(tmp_path, content, compress, message):
    """A header claiming terabytes is refused without allocating them; a
    compressed file, whose size is unknown, grows only with the rows it holds."""
    path = tmp_path / "absurd"
    path.write_bytes(gzip.compress(content) if compress else content)
    tracemalloc.start()
    with pytest.raises(ModelFormatError, match=message):
        w2v.load(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 << 20, peak


def test_truncated_gzip_is_damaged(kv, tmp_path):
    path = tmp_path / "v.vec.gz"
    path.write_bytes(gzip.compress(text_lines(kv.index_to_key, kv.vectors))[:300])
    with pytest.raises(ModelFormatError, match="damaged|file ends"):
        w2v.load(path)


def test_unrecognised_and_missing_files(tmp_path):
    junk = tmp_path / "junk.dat"
    junk.write_bytes(b"\x00\x01 binary junk")
    with pytest.raises(ModelFormatError, match="not a w2v model file, nor a word2vec"):
        w2v.load(junk)
    with pytest.raises(ModelFormatError, match="no such model file"):
        w2v.load(tmp_path / "missing.vec")
    with pytest.raises(ModelFormatError, match="no such vector file"):
        load_word2vec_format(tmp_path / "missing.vec")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFormatError, match="folder without a projector vectors.tsv"):
        w2v.load(tmp_path / "empty")


def test_malformed_projector_files(kv, tmp_path):
    folder = tmp_path / "p"
    save_projector(KeyedVectors(kv.index_to_key[:3], kv.vectors[:3]), folder)
    (folder / "metadata.tsv").write_text("a\nb\nc\nd\n")
    with pytest.raises(ModelFormatError, match="metadata.tsv, line 4: more words than the 3 rows of vectors.tsv"):
        w2v.load(folder)
    (folder / "metadata.tsv").write_text("a\nb\n")
    with pytest.raises(ModelFormatError, match="lists 2 words, but vectors.tsv has 3 rows"):
        w2v.load(folder)
    (folder / "metadata.tsv").write_text("word\tcount\na\t1\nb\n")
    with pytest.raises(ModelFormatError, match="metadata.tsv, line 3: expected 2"):
        w2v.load(folder)
    (folder / "metadata.tsv").unlink()
    with pytest.raises(ModelFormatError, match="no metadata.tsv beside"):
        w2v.load(folder)


def test_writing_refuses_words_readers_would_split(tmp_path):
    for word in ("two words", "tab\there", "", "new\nline"):
        bad = KeyedVectors(["ok", word], np.zeros((2, 2), dtype=np.float32))
        with pytest.raises(W2VError, match="without whitespace"):
            save_word2vec_format(bad, tmp_path / "v.vec")
        assert not (tmp_path / "v.vec").exists()


def test_writing_into_a_missing_folder_says_so(kv, tmp_path):
    with pytest.raises(W2VError, match="does not exist"):
        save_word2vec_format(kv, tmp_path / "nowhere" / "v.vec")
    with pytest.raises(W2VError, match="does not exist"):
        save_projector(kv, tmp_path / "nowhere" / "p")
    with pytest.raises(W2VError, match="unknown vector format"):
        save_vectors(kv, tmp_path / "v", "csv")
