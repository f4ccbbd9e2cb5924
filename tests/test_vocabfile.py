"""Vocabulary files in word2vec C's format (w2v/vocabfile.py), in the library
and through `w2v train --save-vocab / --read-vocab`."""

import gzip
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import w2v
from w2v import CorpusError, VocabularyError, Vocabulary, Word2Vec
from w2v.errors import OutputError
from w2v.vocabfile import MAX_LINE_BYTES, load_vocab, restrict, save_vocab

CLI = [sys.executable, "-c", "from w2v_cli.main import main; main()"]
SETTINGS = dict(dim=8, min_count=1, sample=0, epochs=2, batch_words=500, seed=3, workers=1)


def run_cli(*args, **kwargs):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=300,
                          **kwargs)


def write(tmp_path, text, name="vocab.txt"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_a_saved_vocabulary_is_word2vec_c_s_format_and_reads_back(tmp_path, topics):
    vocab = Vocabulary.build(topics + [["rare"]], min_count=1)
    path = tmp_path / "vocab.txt"
    save_vocab(vocab, path)
    lines = path.read_text().splitlines()
    # C's first entry is its sentence end, which C's training takes word 0 to be.
    assert lines[0] == "</s> 0" and len(lines) == len(vocab) + 1
    counts = [int(line.split(" ")[1]) for line in lines[1:]]
    assert counts == sorted(counts, reverse=True) and lines[-1] == "rare 1"
    read = load_vocab(path)
    assert read.words == vocab.words and np.array_equal(read.counts, vocab.counts)
    assert read.corpus_tokens == vocab.total_count


def test_min_count_and_max_size_apply_to_the_counts_read(tmp_path):
    # Not sorted, as a stranger's file may be: reading sorts as counting does.
    path = write(tmp_path, "</s> 7\nc 3\na 9\nb 3\nd 1\ne 0\n\n")
    vocab = load_vocab(path, min_count=2)
    assert vocab.words == ["a", "b", "c"] and vocab.counts.tolist() == [9, 3, 3]
    assert vocab.corpus_tokens == 16  # every count of the file but C's sentence end
    assert load_vocab(path, max_size=2).words == ["a", "b"]  # ties broken by the word
    assert restrict(load_vocab(path), min_count=3, max_size=2).words == ["a", "b"]
    with pytest.raises(VocabularyError, match="min_count=10 .*largest is 9.*lower --min-count"):
        load_vocab(path, min_count=10)


def test_a_vocabulary_read_trains_exactly_as_one_counted(tmp_path, topics, monkeypatch):
    counted = Word2Vec(**SETTINGS).train(topics, progress=None)
    path = tmp_path / "vocab.txt"
    save_vocab(counted.vocab_, path)

    def no_counting(*args, **kwargs):
        raise AssertionError("the corpus was counted")
    model = Word2Vec(**SETTINGS).build_vocab_from(path)
    monkeypatch.setattr(Vocabulary, "build", no_counting)
    monkeypatch.setattr(Word2Vec, "_count_words", no_counting)
    model.train(topics, progress=None)
    # Same words, same counts, the schedule over the same total: the same vectors.
    assert model.run_["words_per_epoch"] == counted.run_["words_per_epoch"] == 12_000
    assert np.array_equal(model.W_in_, counted.W_in_)
    assert np.array_equal(model.W_out_, counted.W_out_)


def test_a_vocabulary_object_is_taken_with_the_model_s_min_count(topics):
    vocab = Vocabulary(["x", "y", "z"], np.array([50, 20, 2]))
    model = Word2Vec(**{**SETTINGS, "min_count": 5}).build_vocab_from(vocab)
    assert model.vocab_.words == ["x", "y"] and model.W_in_.shape == (2, 8)


@pytest.mark.parametrize("text, message", [
    ("the\n", r"line 1: expected a word and its count, found 'the'"),
    ("the 5\nnew york 3\n", r"line 2: expected a word and its count"),
    ("a 5\nb -3\n", r"line 2: the count of 'b' must be a whole number >= 0"),
    ("a nan\n", r"count of 'a' must be a whole number"),
    ("a 1.5\n", r"found '1.5'"),
    ("a 1e3\n", r"found '1e3'"),
    ("a ５\n", r"found '５'"),  # a digit, but not an ASCII one
    ("a 99999999999999999999\n", r"below 2\*\*63"),
    ("a 4611686018427387904\nb 1\n", r"line 2: the counts add up to more than"),
    ("a 5\nb 4\na 3\n", r"line 3: 'a' is listed a second time"),
    ("", r"lists no words"),
    ("</s> 0\n\n", r"lists no words"),
    # A NUL beyond the first 64 KiB, which the binary check looks at.
    ("".join(f"w{i} 5\n" for i in range(20_000)) + "b\x00 3\n", r"line 20,001 holds a NUL"),
    ("a 1\n" + "w" * MAX_LINE_BYTES + " 2\n", r"line 2 is longer than"),
])
def test_malformed_files_are_one_line_errors_naming_the_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(VocabularyError, match=message) as raised:
        load_vocab(path)
    assert "\n" not in str(raised.value) and str(path) in str(raised.value)


def test_binary_and_damaged_files_are_refused(tmp_path):
    png = write(tmp_path, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image.txt")
    with pytest.raises(CorpusError, match="binary file"):
        load_vocab(png)
    whole = gzip.compress(b"".join(b"w%d %d\n" % (i, 10**6 - i) for i in range(50_000)))
    cut = write(tmp_path, whole[:len(whole) // 2], "cut.txt.gz")
    with pytest.raises(w2v.W2VError, match="cut.txt.gz"):
        load_vocab(cut)
    with pytest.raises(CorpusError, match="cannot open"):
        load_vocab(tmp_path / "missing.txt")


def test_compressed_files_are_read(tmp_path):
    path = write(tmp_path, gzip.compress(b"</s> 0\nb 2\na 3\n"), "vocab.txt.gz")
    assert load_vocab(path).words == ["a", "b"]


def test_a_large_file_is_streamed_in_bounded_memory_with_max_size(tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "w") as out:  # 200,000 distinct words, as a file of many runs would hold
        out.writelines(f"word{i} {(i * 7919) % 100_003 + 1}\n" for i in range(200_000))
    tracemalloc.start()
    try:
        vocab = load_vocab(path, max_size=50)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    expected = sorted(((((i * 7919) % 100_003 + 1), f"word{i}") for i in range(200_000)),
                      key=lambda cw: (-cw[0], cw[1]))[:50]
    assert vocab.words == [w for _, w in expected]
    assert peak < 4 << 20  # holding every word would take about 25 MB


def test_words_that_cannot_be_a_field_are_refused_on_save(tmp_path):
    path = write(tmp_path, "old 1\n")
    for word in ("new york", "tab\there", "", "nul\x00"):
        with pytest.raises(VocabularyError, match="cannot be saved in a vocabulary file"):
            save_vocab(Vocabulary(["ok", word], np.array([2, 1])), path)
    assert path.read_text() == "old 1\n"  # untouched
    with pytest.raises(OutputError):
        save_vocab(Vocabulary(["ok"], np.array([1])), tmp_path)  # a folder


# --- the command line -------------------------------------------------------------------


def test_the_cli_saves_a_vocabulary_and_trains_from_it_without_counting(corpus_file, tmp_path):
    vocab, first, second = tmp_path / "vocab.txt", tmp_path / "a.w2v", tmp_path / "b.w2v"
    common = ["--dim", 8, "--epochs", 1, "--min-count", 1, "--workers", 1, "-q"]
    saved = run_cli("train", corpus_file, "--save-vocab", vocab, "-o", first, *common)
    assert saved.returncode == 0, saved.stderr
    counted = w2v.load(first)
    assert load_vocab(vocab).words == counted.vocab_.words
    read = run_cli("train", corpus_file, "--read-vocab", vocab, "-o", second, *common)
    assert read.returncode == 0, read.stderr
    trained = w2v.load(second)
    assert trained.vocab_.words == counted.vocab_.words
    assert trained.run_["words_per_epoch"] == counted.run_["words_per_epoch"]
    assert np.array_equal(trained.W_in_, counted.W_in_)
    # --min-count applies to the counts read, as word2vec C applies it after reading.
    lowest = int(vocab.read_text().splitlines()[-1].split()[1])
    fewer = run_cli("train", corpus_file, "--read-vocab", vocab, "-o", second,
                    *common[:-3], "--min-count", lowest + 1, "-q")
    assert fewer.returncode == 0, fewer.stderr
    assert len(w2v.load(second).vocab_) < len(counted.vocab_)


def test_the_cli_saves_the_vocabulary_of_standard_input(corpus_file, tmp_path):
    vocab, model = tmp_path / "vocab.txt", tmp_path / "m.w2v"
    with open(corpus_file) as stdin:
        result = run_cli("train", "-", "--save-vocab", vocab, "-o", model, "--dim", 8,
                         "--epochs", 2, "--min-count", 1, "-q", stdin=stdin)
    assert result.returncode == 0, result.stderr
    trained = w2v.load(model)  # read once, for the counting and both epochs
    assert trained.words_trained_ == 2 * trained.run_["words_per_epoch"] == 2 * 12_000
    assert load_vocab(vocab).words == trained.vocab_.words


@pytest.mark.parametrize("content", [b"a 5\nb five\n", b"\x00\x01\x02" * 100, b""])
def test_a_bad_vocabulary_file_is_one_error_line(corpus_file, tmp_path, content):
    bad = write(tmp_path, content)
    result = run_cli("train", corpus_file, "--read-vocab", bad, "-o", tmp_path / "m.w2v", "-q")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and not (tmp_path / "m.w2v").exists()


def test_options_that_cannot_go_together_are_refused(corpus_file, tmp_path):
    model = tmp_path / "m.w2v"
    assert run_cli("train", corpus_file, "--dim", 4, "--epochs", 1, "--min-count", 1, "-q",
                   "-o", model).returncode == 0
    vocab = tmp_path / "vocab.txt"
    refused = [
        (["--read-vocab", vocab, "--resume", model], "--read-vocab cannot be used with --resume"),
        (["--save-vocab", model], "are the same file"),
        (["--save-vocab", tmp_path / "nowhere" / "v.txt"], "nowhere"),
    ]
    for options, message in refused:
        result = run_cli("train", corpus_file, "-o", model, "-q", *options)
        assert result.returncode != 0 and message in result.stderr, (options, result.stderr)


def test_help_says_how_the_schedule_is_made_without_counting():
    result = run_cli("train", "--help")
    assert "--read-vocab FILE" in result.stdout and "--save-vocab FILE" in result.stdout
    assert "scheduled over the total of the counts" in " ".join(result.stdout.split())
