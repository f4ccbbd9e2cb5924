"""Every loader under hostile input: crafted files (bombs that are small on
disk, generated here) are refused with one ModelFormatError or W2VError
naming the file, within a memory bound. Memory is measured with tracemalloc,
which sees numpy's allocations, and, for what it cannot see (the buffers of
the decompressors themselves), under an address-space limit in a subprocess.

The bounds asserted here are the ones README.md states."""

import bz2
import gzip
import io
import json
import lzma
import os
import struct
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
import scipy.stats  # noqa: F401 - imported by evaluate_word_pairs; not a cost of reading a file

import w2v
from w2v import KeyedVectors, ModelFormatError, W2VError
from w2v.evaluate import evaluate_word_analogies, evaluate_word_pairs, read_analogies
from w2v.formats import load_projector, load_vectors, save_projector, save_word2vec_format

MB = 1 << 20


def peak_of(call):
    """``(error or None, peak bytes traced)`` while ``call()`` runs."""
    tracemalloc.start()
    try:
        call()
        error = None
    except Exception as caught:  # noqa: BLE001 - the caller asserts what it is
        error = caught
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return error, peak


def refused_within(call, error_class, message, bound):
    error, peak = peak_of(call)
    assert isinstance(error, error_class), repr(error)
    assert message in str(error), str(error)
    assert "\n" not in str(error)
    assert peak < bound, f"peak {peak / MB:.1f} MB"
    return str(error)


# --- model files ----------------------------------------------------------------

@pytest.fixture(scope="module")
def members(tmp_path_factory):
    """The members of a small trained model file, by name."""
    path = tmp_path_factory.mktemp("model") / "m.w2v"
    w2v.Word2Vec(dim=4, min_count=1, epochs=1, sample=0).train([["a", "b", "c"]] * 20, progress=None).save(path)
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_model(path, members, deflated=(), extra=()):
    """A model archive of ``members`` (name to bytes, or to a function giving
    chunks: a bomb is streamed, never held); ``deflated`` names are compressed."""
    with zipfile.ZipFile(path, "w", compresslevel=6) as archive:
        for name, data in [*members.items(), *extra]:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED if name in deflated else zipfile.ZIP_STORED
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in (data() if callable(data) else [data]):
                    member.write(chunk)
    return path


def spaces(megabytes):
    return lambda: (b" " * MB for _ in range(megabytes))


def test_deflated_meta_json_bomb_is_refused_after_a_megabyte(tmp_path, members):
    """64 MB of JSON padding deflated to 64 KB: the old loader decompressed
    all of it (715 MB for the issue's 1.1 MB file)."""
    meta = members["meta.json"]
    padded = dict(members, **{"meta.json": lambda: [meta[:-1] + b', "pad": "', *spaces(64)(), b'"}']})
    path = write_model(tmp_path / "bomb.w2v", padded, deflated={"meta.json"})
    assert path.stat().st_size < 2 * MB
    refused_within(lambda: w2v.load(path), ModelFormatError,
                   "meta.json (at byte 0) is larger than 1048576 bytes", 4 * MB)


def test_deflated_array_bomb_is_refused_before_it_is_allocated(tmp_path, members):
    """A W_in.npy of 200 MB of zeros deflated to 200 KB, with a meta.json that
    agrees with its shape: refused from its header, before any allocation."""
    meta = json.loads(members["meta.json"])
    meta["dim"] = meta["params"]["dim"] = 50 * MB // 4
    V = meta["vocab_size"]
    header = io.BytesIO()
    np.lib.format.write_array_header_2_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (V, meta["dim"])})
    zeros = lambda: [header.getvalue(), *(b"\0" * MB for _ in range(4 * V * meta["dim"] // MB))]  # noqa: E731
    bomb = dict(members, **{"meta.json": json.dumps(meta).encode(), "W_in.npy": zeros})
    path = write_model(tmp_path / "bomb.w2v", bomb, deflated={"W_in.npy"})
    assert path.stat().st_size < MB
    refused_within(lambda: w2v.load(path), ModelFormatError,
                   "W_in.npy (at byte", 4 * MB)


def test_a_shape_whose_size_overflows_int64_is_refused(tmp_path, members):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (2**64 + 1, 4)})
    path = write_model(tmp_path / "huge.w2v", dict(members, **{"loss_history.npy": header.getvalue()}))
    refused_within(lambda: w2v.load(path), ModelFormatError,
                   "loss_history.npy (at byte", 2 * MB)


def test_words_json_that_would_build_millions_of_objects_is_refused(tmp_path, members):
    """A 3 MB words.json of empty lists would cost json 60 MB of objects."""
    for words in (b"[" + b"[]," * MB + b"[]]", b"[" + b'"ab",' * MB + b'"ab"]'):
        path = write_model(tmp_path / "words.w2v", dict(members, **{"words.json": words}))
        refused_within(lambda: w2v.load(path), ModelFormatError,
                       "words.json (at byte", 12 * MB)


def test_a_huge_zip_directory_is_refused_before_it_is_parsed(tmp_path, members):
    """10,000 empty members: zipfile would build an object for each (6 MB)."""
    extra = [(f"x{i}", b"") for i in range(10_000)]
    path = write_model(tmp_path / "many.w2v", members, extra=extra)
    refused_within(lambda: w2v.load(path), ModelFormatError, "zip directory takes", 2 * MB)


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile's, while writing the test file
@pytest.mark.parametrize("alias", ["meta.json", "./meta.json", "META.JSON", "x/../meta.json"])
def test_two_members_of_one_name_are_refused(tmp_path, members, alias):
    """zipfile keeps the last of two members named alike, other tools the first."""
    fake = json.dumps({**json.loads(members["meta.json"]), "dim": 5}).encode()
    path = write_model(tmp_path / "twice.w2v", members, extra=[(alias, fake)])
    refused_within(lambda: w2v.load(path), ModelFormatError, "holds two members named", 2 * MB)


def test_unexpected_members_are_ignored(tmp_path, members):
    path = write_model(tmp_path / "extra.w2v", members, extra=[("README.txt", b"hello"), ("x.npy", b"junk")])
    assert isinstance(w2v.load(path), w2v.Word2Vec)


def npy(array, fortran=False):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asfortranarray(array) if fortran else array)
    return buffer.getvalue()


def test_arrays_that_are_not_what_w2v_writes_say_what_they_are(tmp_path, members):
    W_in = np.lib.format.read_array(io.BytesIO(members["W_in.npy"]))
    poisoned = W_in.copy()
    poisoned[2, 1] = np.nan
    cases = [
        (npy(W_in, fortran=True), r"W_in.npy \(at byte \d+\) is stored in Fortran"),
        (npy(W_in.astype(">f4")), r"holds >f4 \(>f4\), expected <f4 \(float32\)"),
        (npy(W_in.astype(np.float64)), "holds <f8"),
        (npy(poisoned), r"W_in.npy row 2 \(the word '.'\) holds NaN or infinite values"),
        (members["W_in.npy"] + b"tail", "has data after its"),
        (members["W_in.npy"][:-3], "ends after"),
        (b"\x93NUMPY\x01\x00\xff\xff" + b" " * 100, "bad header"),
        (b"\x93NUMPY\x03\x00", "not a version 1 or 2 .npy array"),
        (npy(np.zeros(3, dtype=object)), "bad header|holds Python objects"),
    ]
    for data, message in cases:
        path = write_model(tmp_path / "bad.w2v", dict(members, **{"W_in.npy": data}))
        with pytest.raises(ModelFormatError, match=message):
            w2v.load(path)


@pytest.mark.parametrize("text, message", [
    ('{"format": "w2v-model", "version": 1, "vocab_size": NaN}', "NaN is not JSON"),
    ('{"format": "w2v-model", "version": 1, "dim": 4, "dim": 400}', "the key 'dim' appears twice"),
    ('{"format": "w2v-model", "version": true}', "format version True"),
    ('{"format": "w2v-model", "version": 1, "vocab_size": 1' + "0" * 5000 + "}", "not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ("\xff", "not valid JSON"),
])
def test_malformed_meta_json(tmp_path, members, text, message):
    data = text.encode("latin-1")
    path = write_model(tmp_path / "meta.w2v", dict(members, **{"meta.json": data}))
    with pytest.raises(ModelFormatError, match=message):
        w2v.load(path)


def test_encrypted_or_bzip2_members_are_refused(tmp_path, members):
    path = tmp_path / "bz.w2v"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_BZIP2 if name == "meta.json" else None)
    with pytest.raises(ModelFormatError, match="compressed with zip method 12"):
        w2v.load(path)
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"meta.json"))  # meta.json's directory entry
    data[central + 8] |= 1  # its "encrypted" flag
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFormatError, match="encrypted"):
        w2v.load(path)


def test_a_model_path_that_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "pipe.w2v"
    os.mkfifo(fifo)
    with pytest.raises(ModelFormatError, match="not a regular file"):
        w2v.load(fifo)
    with pytest.raises(ModelFormatError, match="not a regular file"):
        w2v.Word2Vec.load(fifo)


# --- word2vec text and binary, plain and compressed ----------------------------------

def repeated(block: bytes, compress, times: int) -> bytes:
    """A file that decompresses to ``block`` ``times`` over at the cost of
    one compressed copy: gzip, bzip2 and xz all read concatenated streams."""
    return compress(block) * times


COMPRESSORS = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}


# 60 digits a number: a text bomb trips the expansion check after few numbers.
LONG_NUMBER = b"0.125" + b"0" * 55


def text_rows(dim=300, rows=None, number=LONG_NUMBER):
    row = b"w " + b" ".join([number] * dim) + b"\n"
    return row * (rows or MB // len(row))


def binary_rows(dim=300):
    entry = b"w " + struct.pack(f"<{dim}f", *([0.125] * dim))
    return entry * (MB // len(entry))


@pytest.mark.parametrize("suffix", COMPRESSORS)
@pytest.mark.parametrize("kind", ["text", "binary", "blank lines", "zeros"])
def test_decompression_bombs_fail_fast_in_bounded_memory(tmp_path, suffix, kind):
    """Each file holds 2 GB (zeros: 10 GB) once decompressed, in at most a
    few megabytes: it is refused within 40 MB, after reading a few megabytes."""
    compress = COMPRESSORS[suffix]
    header = b"100000000 300\n"
    body, times = {"text": (text_rows(), 2048), "binary": (binary_rows(), 2048),
                   "blank lines": (b"\n" * MB, 2048), "zeros": (b"\0" * MB, 10240)}[kind]
    data = compress(header + body) + repeated(body, compress, times - 1)
    path = tmp_path / f"bomb.{'bin' if kind in ('binary', 'zeros') else 'vec'}.{suffix}"
    path.write_bytes(data)
    assert path.stat().st_size < 12 * MB
    message = "" if kind == "zeros" else "over 100 times their size"
    refused_within(lambda: w2v.load(path), ModelFormatError, message, 40 * MB)


def test_lying_headers_of_compressed_files_allocate_only_what_is_read(tmp_path):
    """The issue's cases: a .vec.gz and a .bin.gz claiming 100,000,000 rows
    that hold a few: nothing is allocated for the rows only claimed."""
    for name, body in (("lie.vec.gz", text_rows(rows=50)), ("lie.bin.gz", binary_rows()[:50 * 1202])):
        path = tmp_path / name
        path.write_bytes(gzip.compress(b"100000000 300\n" + body))
        refused_within(lambda: w2v.load(path), ModelFormatError,
                       "of the 100000000 vectors", 8 * MB)


def xz_claiming_a_huge_dictionary(data: bytes) -> bytes:
    """``data`` xz-compressed, its block header claiming a 4 GiB dictionary
    (LZMA2 property 40, the header's CRC32 fixed to match)."""
    packed = bytearray(lzma.compress(data, preset=0))
    start, size = 12, (packed[12] + 1) * 4  # the block header follows the 12-byte stream header
    props = packed.index(b"\x21\x01", start, start + size) + 2  # filter LZMA2, one property byte
    packed[props] = 40
    packed[start + size - 4:start + size] = struct.pack("<I", zlib.crc32(packed[start:start + size - 4]))
    return bytes(packed)


def test_an_xz_header_asking_for_gigabytes_is_refused(tmp_path):
    """liblzma would allocate the 4 GiB the header asks for before reading a byte."""
    path = tmp_path / "v.vec.xz"
    path.write_bytes(xz_claiming_a_huge_dictionary(b"1 2\na 1 2\n"))
    assert path.stat().st_size < 100
    refused_within(lambda: w2v.load(path), ModelFormatError,
                   "its xz header asks for more than 128 MB to decompress", 4 * MB)


@pytest.mark.parametrize("content, message", [
    (b"2 3\na" + b" 1" * (50 * MB), "line 2: longer than"),
    (b"a" + b" 1" * (50 * MB), "line 1: longer than"),  # no header: GloVe
    (b"a" + b" 1" * 70_000 + b"\n", "more than 65,536 numbers"),
    (b"3 300\n" + b"x" * (20 * MB), "no space ends a word within 10000 bytes"),
])
def test_endless_lines_and_words_are_cut_short(tmp_path, content, message):
    path = tmp_path / ("v.bin" if b"x" * 10 in content else "v.vec")
    path.write_bytes(content)
    refused_within(lambda: w2v.load(path), ModelFormatError, message, 12 * MB)


def test_plain_files_with_lying_headers_are_refused_from_their_size(tmp_path):
    for name, content in (("lie.vec", b"100000000 300\n" + text_rows(rows=50)),
                          ("lie.bin", b"100000000 300\n" + binary_rows()[:50 * 1202])):
        path = tmp_path / name
        path.write_bytes(content)
        refused_within(lambda: w2v.load(path), ModelFormatError,
                       "more than the file's", 4 * MB)


# --- projector files --------------------------------------------------------------

@pytest.fixture
def projector(tmp_path):
    folder = tmp_path / "p"
    save_projector(KeyedVectors(["a", "b", "c"], np.eye(3, dtype=np.float32), counts=[3, 2, 1]), folder)
    return folder


def test_a_metadata_bomb_is_read_no_further_than_the_vectors(projector):
    """10 million words (20 MB) for 3 rows of vectors: the old reader held
    every line (420 MB)."""
    (projector / "metadata.tsv").write_bytes(b"a\n" * (10 * MB))
    refused_within(lambda: w2v.load(projector), ModelFormatError,
                   "metadata.tsv, line 4: more words than the 3 rows of vectors.tsv", 2 * MB)


def test_a_tensors_bomb_costs_what_it_holds_then_is_refused(projector):
    """vectors.tsv with 1,000 rows of 1,000 numbers (2 MB, a 4 MB matrix) for
    3 words: read within 1.25 times the matrix plus 6 MB, then refused."""
    (projector / "vectors.tsv").write_bytes((b"\t".join([b"0"] * 1000) + b"\n") * 1000)
    refused_within(lambda: w2v.load(projector), ModelFormatError,
                   "lists 3 words, but vectors.tsv has 1000 rows", 1.25 * 4_000_000 + 6 * MB)


def test_a_compressed_tensors_bomb_fails_fast(projector):
    row = b"\t".join([LONG_NUMBER] * 100) + b"\n"
    (projector / "vectors.tsv").write_bytes(repeated(row * (MB // len(row)), gzip.compress, 2048))
    refused_within(lambda: w2v.load(projector), ModelFormatError, "over 100 times", 40 * MB)


@pytest.mark.parametrize("metadata, message", [
    (b"", "lists no words"),
    (b"\n\n", "lists no words"),
    (b"word\tcount\n", "has a header line but no words"),
    (b"word\tcount\n\n", "has a header line but no words"),
    (b"a\nb\n", "lists 2 words, but vectors.tsv has 3 rows"),
    (b"a\n\nb\nc\n", "line 2: empty; each line names the word"),
    (b"word\tcount\na\t1\nb\nc\t3\n", "line 3: expected 2 tab-separated columns"),
    (b"word\tcount\na\t1\n\t2\nc\t3\n", "line 3: the word is empty"),
    (b"word\tcount\na\t99999999999999999999999\nb\t1\nc\t1\n",
     "line 2: the count '99999999999999999999999' is not a whole number from 0 to 2**63 - 1"),
    (b"word\tcount\na\t9223372036854775808\nb\t1\nc\t1\n", "line 2: the count"),
    (b"word\tcount\na\t-1\nb\t1\nc\t1\n", "line 2: the count '-1'"),
    (b"word\tcount\na\t1.5\nb\t1\nc\t1\n", "line 2: the count '1.5'"),
    (b"a\nb\xff\nc\n", "line 2: the word b'b\\xff' is not valid UTF-8"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "looks like a binary file (found NUL bytes)"),
    (b"a" * 9000 + b"\nb\nc\0\n", "line 3: holds NUL bytes"),
    (b"a" * (2 * MB), "line 1: longer than 1,048,576 bytes"),
])
def test_malformed_metadata_is_one_clear_error(projector, metadata, message):
    (projector / "metadata.tsv").write_bytes(metadata)
    refused_within(lambda: load_projector(projector), ModelFormatError, message, 4 * MB)


def test_metadata_with_the_largest_count_and_repeated_words(projector):
    (projector / "metadata.tsv").write_bytes(b"word\tcount\na\t9223372036854775807\nb\t2\na\t1\n")
    with pytest.warns(UserWarning, match="1 repeated words"):
        kv = load_projector(projector)
    assert kv.index_to_key == ["a", "b"] and kv.counts.tolist() == [2**63 - 1, 2]


@pytest.mark.parametrize("vectors, message", [
    (b"", "line 1: empty"),
    (b"\n1\t2\t3\n", "line 1: empty"),
    (b"1\t2\t3\n4\t5\n7\t8\t9\n", "line 2: expected 3 numbers, found 2"),
    (b"1\t2\t3\n4\tnan\t6\n7\t8\t9\n", "line 2: a value is infinite, NaN"),
])
def test_malformed_tensors_are_one_clear_error(projector, vectors, message):
    (projector / "vectors.tsv").write_bytes(vectors)
    refused_within(lambda: load_projector(projector), ModelFormatError, message, 4 * MB)


# --- evaluation files --------------------------------------------------------------

@pytest.fixture(scope="module")
def small_kv():
    words = ["a", "b", "c", "d", "e"]
    return KeyedVectors(words, np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32))


def test_an_analogy_file_is_evaluated_streaming(tmp_path, small_kv):
    """64,000 known questions (512 KB): the old reader held them all as
    tuples (5 MB) before answering any; now at most 4,096 wait at a time."""
    path = tmp_path / "q.txt"
    path.write_bytes(b": s\n" + b"a b c d\n" * 64_000)
    error, peak = peak_of(lambda: evaluate_word_analogies(small_kv, path))
    assert error is None and peak < 1.5 * MB, (error, peak / MB)


def test_analogy_sections_are_capped(tmp_path, small_kv):
    path = tmp_path / "q.txt"
    path.write_bytes(b"".join(b": s%d\na b c d\n" % i for i in range(10_001)))
    refused_within(lambda: evaluate_word_analogies(small_kv, path), W2VError,
                   "more than 10,000 sections", 8 * MB)


def test_word_pairs_are_scored_streaming(tmp_path, small_kv):
    """30,000 pairs with an unknown word cost nothing (the old reader held
    them: 3 MB); each known pair 16 bytes, then what scipy's correlations
    need (about 100 bytes a pair)."""
    path = tmp_path / "pairs.txt"
    path.write_bytes(b"a b 1\nc d 2\n" + b"x y 3\n" * 30_000)
    error, peak = peak_of(lambda: evaluate_word_pairs(small_kv, path))
    assert error is None and peak < 1 * MB, (error, peak / MB)
    path.write_bytes(b"a b 1\nc d 2\n" * 5_000)
    error, peak = peak_of(lambda: evaluate_word_pairs(small_kv, path))
    assert error is None and peak < 10_000 * 120 + 1 * MB, (error, peak / MB)


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 40, "looks like a binary file (found NUL bytes)"),
    (b"\n" * 9000 + b"c d \0\n", "line 9001: holds NUL bytes"),
    (b"caf\xe9 latte 3\n", "line 1: not valid UTF-8 (invalid continuation byte at byte 3)"),
    (b"a b " + b"1" * (2 * MB) + b"\n", "line 1: longer than 65,536 bytes"),
])
@pytest.mark.parametrize("evaluate", [evaluate_word_pairs, evaluate_word_analogies])
def test_evaluation_files_that_are_not_text(tmp_path, small_kv, content, message, evaluate):
    path = tmp_path / "picture.png"
    path.write_bytes(content)
    refused_within(lambda: evaluate(small_kv, path), W2VError, message, 4 * MB)


def test_evaluation_files_with_a_bom_or_that_cannot_be_opened(tmp_path, small_kv):
    path = tmp_path / "q.txt"
    path.write_bytes(b"\xef\xbb\xbf: s\na b c d\n")
    assert [name for name, _ in read_analogies(path)] == ["s"]
    with pytest.raises(W2VError, match="cannot read"):
        evaluate_word_pairs(small_kv, tmp_path)


def test_evaluate_a_picture_through_the_cli(tmp_path):
    model = tmp_path / "m.vec"
    save_word2vec_format(KeyedVectors(["a", "b"], np.eye(2, dtype=np.float32)), model)
    picture = tmp_path / "picture.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    cli = [str(os.path.join(os.path.dirname(sys.executable), "w2v"))]
    done = subprocess.run(cli + ["evaluate", str(model), "--similarity", str(picture)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: {picture} looks like a binary file (found NUL bytes), not a word-pair file"]


# --- what tracemalloc cannot see: an address-space limit ------------------------------

def test_bombs_fail_cleanly_under_an_address_space_limit(tmp_path, members):
    """The decompressors' own buffers (liblzma's dictionary, zlib's window)
    are not traced: load each bomb in a process allowed 300 MB more than it
    needs to start, and check it ends with the library's error, not a
    MemoryError."""
    bombs = []
    for suffix, compress in COMPRESSORS.items():
        path = tmp_path / f"bomb.bin.{suffix}"
        path.write_bytes(compress(b"100000000 300\n" + binary_rows()) + repeated(binary_rows(), compress, 4095))
        bombs.append(path)
    bombs.append(tmp_path / "dictionary.vec.xz")
    bombs[-1].write_bytes(xz_claiming_a_huge_dictionary(b"1 2\na 1 2\n"))
    meta = members["meta.json"]
    bombs.append(write_model(tmp_path / "bomb.w2v", dict(
        members, **{"meta.json": lambda: [meta[:-1] + b', "pad": "', *spaces(512)(), b'"}']}),
        deflated={"meta.json"}))
    script = textwrap.dedent("""
        import resource, sys
        import w2v, w2v.formats
        status = open("/proc/self/status").read()
        size = int(status.split("VmSize:")[1].split()[0]) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size + 300 * 2**20, resource.RLIM_INFINITY))
        for path in sys.argv[1:]:
            try:
                w2v.load(path)
                print("loaded")
            except BaseException as error:
                print(type(error).__name__)
    """)
    done = subprocess.run([sys.executable, "-c", script, *map(str, bombs)],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["ModelFormatError"] * len(bombs), done.stdout + done.stderr


# --- what legitimate files cost ----------------------------------------------------

def real_vectors(words, dim):
    rng = np.random.default_rng(1)
    return KeyedVectors([f"word{i}" for i in range(words)], rng.standard_normal((words, dim)).astype(np.float32),
                        counts=np.arange(words, 0, -1))


@pytest.mark.parametrize("form", ["model", "text", "binary", "text.gz", "binary.xz", "projector"])
def test_a_real_file_costs_its_matrix_and_a_little_more(tmp_path, form):
    """Loading needs the matrix once (1.25 times when it grows: compressed
    and projector files), plus 250 bytes a word and 6 MB: no second copy of
    the file or of the matrix. (Text is parsed a number at a time, slowly
    under tracemalloc: its files here are smaller.)"""
    vectors = real_vectors(5000, 100) if form.startswith(("text", "projector")) else real_vectors(2000, 1000)
    path = tmp_path / form
    if form == "model":
        model = w2v.Word2Vec(dim=vectors.vector_size, min_count=1)
        model.vocab_ = w2v.Vocabulary(vectors.index_to_key, vectors.counts)
        model.W_in_, model.W_out_ = vectors.vectors, np.zeros_like(vectors.vectors)
        model.loss_history_ = np.zeros((0, 4))
        model.save(path)
        load, matrices = w2v.Word2Vec.load, 2
    elif form == "projector":
        save_projector(vectors, path)
        load, matrices = load_projector, 1.25
    else:
        save_word2vec_format(vectors, path, binary=form.startswith("binary"))
        if "." in form:
            data = path.read_bytes()
            path.write_bytes(gzip.compress(data, 1) if form.endswith("gz") else lzma.compress(data, preset=0))
        load, matrices = load_vectors, 1.25 if "." in form else 1
    error, peak = peak_of(lambda: load(path))
    assert error is None, error
    assert peak < matrices * vectors.vectors.nbytes + 250 * len(vectors) + 6 * MB, f"{peak / MB:.1f} MB"
