"""Tests of w2v.corpus and w2v.sources: finding, opening and streaming corpus files."""

import bz2
import gzip
import lzma
import os
import re
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from w2v import corpus as corpus_module
from w2v.corpus import Corpus, ReadStats, corpus_files, open_text, read_sentences
from w2v.errors import CorpusError, W2VError
from w2v.tokenize import tokenize

SAMPLE_TEXT = (
    "Hello, World!\n"
    "The quick brown fox.\n"
    "\n"
    "   \n"
    "Straße und Ünïcödé\n"
    "last line without newline"
)
SAMPLE_SENTENCES = [
    ["hello", "world"],
    ["the", "quick", "brown", "fox"],
    ["straße", "und", "ünïcödé"],
    ["last", "line", "without", "newline"],
]

COMPRESSORS = {
    ".txt": lambda data: data,
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".lzma": lambda data: lzma.compress(data, format=lzma.FORMAT_ALONE),
}

SAMPLE_EN = Path(__file__).resolve().parents[1] / "../shared/data/corpus/sample-en.txt"


def write(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path``, compressed as its suffix says."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(COMPRESSORS.get(path.suffix, COMPRESSORS[".txt"])(data))
    return path


def read_all(path, **options) -> tuple[list[list[str]], ReadStats]:
    stats = ReadStats()
    return list(read_sentences(path, stats=stats, **options)), stats


def reference_sentences(text: str, max_length: int) -> list[list[str]]:
    """Lines tokenized whole, then cut into sentences of at most max_length."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    sentences = []
    for line in text.split("\n"):
        tokens = tokenize(line)
        sentences += [tokens[i : i + max_length] for i in range(0, len(tokens), max_length)]
    return sentences


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
def test_plain_and_compressed_files_give_the_same_sentences(tmp_path, suffix):
    path = write(tmp_path / f"corpus{suffix}", SAMPLE_TEXT)
    sentences, stats = read_all(path)
    assert sentences == SAMPLE_SENTENCES
    assert (stats.files, stats.lines, stats.sentences, stats.tokens) == (1, 6, 4, 13)
    assert stats.long_lines_split == stats.replaced_chars == 0


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_compressed_file_with_a_wrong_name_is_recognised(tmp_path, suffix):
    data = COMPRESSORS[suffix](SAMPLE_TEXT.encode())
    path = tmp_path / "corpus.txt"
    path.write_bytes(data)
    assert read_all(path)[0] == SAMPLE_SENTENCES


def test_open_text_decodes_and_decompresses(tmp_path):
    path = write(tmp_path / "a.txt.gz", "Grüße\r\nzwei")
    with open_text(path) as stream:
        assert stream.read() == "Grüße\nzwei"


def test_open_text_refuses_a_missing_file(tmp_path):
    with pytest.raises(CorpusError, match="cannot open"):
        open_text(tmp_path / "missing.txt.gz")


def test_lowercase_can_be_turned_off(tmp_path):
    path = write(tmp_path / "a.txt", "The CAT Straße\n")
    assert read_all(path, lowercase=False)[0] == [["The", "CAT", "Straße"]]


def test_folder_is_read_recursively_in_sorted_order_skipping_hidden(tmp_path):
    write(tmp_path / "b.txt", "bee\n")
    write(tmp_path / "a.txt", "ay\n")
    write(tmp_path / "sub" / "c.txt.gz", "sea\n")
    write(tmp_path / "sub" / "a.txt", "sub ay\n")
    write(tmp_path / "z.txt.xz", "zed")
    write(tmp_path / ".hidden.txt", "hidden file\n")
    write(tmp_path / ".hidden_folder" / "d.txt", "hidden folder\n")

    files = corpus_files(tmp_path)
    assert [file.relative_to(tmp_path).as_posix() for file in files] == [
        "a.txt", "b.txt", "sub/a.txt", "sub/c.txt.gz", "z.txt.xz",
    ]  # fmt: skip
    sentences, stats = read_all(tmp_path)
    assert sentences == [["ay"], ["bee"], ["sub", "ay"], ["sea"], ["zed"]]
    assert (stats.files, stats.lines) == (5, 5)


def _tree_with_links(tmp_path) -> Path:
    """A corpus folder whose links lead to new text, back into itself, and nowhere."""
    corpus, elsewhere = tmp_path / "corpus", tmp_path / "elsewhere"
    write(corpus / "a.txt", "ay\n")
    write(corpus / "sub" / "b.txt", "bee\n")
    write(elsewhere / "c.txt", "sea\n")
    (corpus / "linked").symlink_to(elsewhere)  # a folder of new text
    (corpus / "sub" / "up").symlink_to("..")  # a cycle
    (corpus / "self").symlink_to(".")  # a shorter one
    (corpus / "sub" / "ay-again.txt").symlink_to("../a.txt")  # a file already read
    (corpus / "dangling").symlink_to("nowhere")
    (corpus / "loop").symlink_to("loop")  # a link to itself: ELOOP
    return corpus


def test_links_to_folders_are_followed_each_folder_and_file_read_once(tmp_path):
    corpus = _tree_with_links(tmp_path)
    files = corpus_files(corpus)
    assert [file.relative_to(corpus).as_posix() for file in files] == [
        "a.txt", "linked/c.txt", "sub/b.txt"]
    sentences, stats = read_all(corpus)
    assert sentences == [["ay"], ["sea"], ["bee"]]
    assert (stats.files, stats.repeats_skipped, stats.broken_links_skipped) == (3, 3, 2)
    assert list(Corpus(corpus)) == sentences


def test_a_link_up_the_tree_is_not_followed_to_what_is_beside_the_corpus(tmp_path):
    write(tmp_path / "corpus" / "a.txt", "ay\n")
    write(tmp_path / "beside" / "b.txt", "not in the corpus\n")
    (tmp_path / "corpus" / "up").symlink_to("..")
    (tmp_path / "corpus" / "root").symlink_to("/")
    sentences, stats = read_all(tmp_path / "corpus")
    assert sentences == [["ay"]]
    assert stats.repeats_skipped == 2


def test_a_folder_reached_only_through_links_is_read_once(tmp_path):
    (tmp_path / "twice-a").symlink_to("real")
    (tmp_path / "twice-b").symlink_to("real")
    write(tmp_path / "real" / "x.txt", "ex\n")
    corpus = tmp_path
    sentences, stats = read_all(corpus)
    assert sentences == [["ex"]]  # through the first link in name order: real/ comes after
    assert stats.repeats_skipped == 2


def test_a_folder_of_only_broken_links_says_what_it_skipped(tmp_path):
    (tmp_path / "gone").symlink_to("nowhere")
    (tmp_path / "self").symlink_to(".")
    with pytest.raises(CorpusError, match="no files in folder .*, and 1 links to nothing, and 1 "
                                          "links to a folder or file already read"):
        corpus_files(tmp_path)


def test_an_unreadable_subfolder_is_an_error_not_a_silent_skip(tmp_path):
    write(tmp_path / "a.txt", "ay\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    with mock.patch("os.scandir", side_effect=[os.scandir(tmp_path),
                                               PermissionError(13, "Permission denied")]):
        with pytest.raises(CorpusError, match=f"cannot list the folder {locked}: Permission denied"):
            corpus_files(tmp_path)


def test_names_moved_to_w2v_sources_are_still_importable_from_w2v_corpus():
    from w2v import sources
    for name in ["BINARY_CHECK_BYTES", "MAX_UNREADABLE_SHARE", "READ_ERRORS", "STDIN",
                 "check_not_binary", "corpus_files", "open_decompressed", "open_text"]:
        assert getattr(corpus_module, name) is getattr(sources, name)
        assert name in corpus_module.__all__


def test_a_single_file_is_its_own_corpus(tmp_path):
    path = write(tmp_path / ".hidden_but_named.txt", "x\n")
    assert corpus_files(str(path)) == [path]


def test_missing_path_is_refused(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(CorpusError, match=f"no such file or folder: {missing}"):
        read_sentences(missing)
    with pytest.raises(CorpusError, match="no such file or folder"):
        Corpus(missing)


def test_folder_without_visible_files_is_refused(tmp_path):
    write(tmp_path / "sub" / ".hidden.txt", "x\n")
    with pytest.raises(CorpusError, match="no files"):
        corpus_files(tmp_path)


@pytest.mark.parametrize("content", ["", "\n", "  \n\t\n\r\n   ", "...\n!!!"])
def test_files_without_tokens_yield_no_sentences(tmp_path, content):
    sentences, stats = read_all(write(tmp_path / "empty.txt", content))
    assert sentences == []
    assert stats.lines == len(content.splitlines())
    assert stats.sentences == stats.tokens == 0


def test_crlf_and_cr_line_ends_are_line_ends(tmp_path):
    path = write(tmp_path / "windows.txt", b"Hello World\r\nsecond line\r\nold\rmac\r\n")
    sentences, stats = read_all(path, lowercase=False)
    assert sentences == [["Hello", "World"], ["second", "line"], ["old"], ["mac"]]
    assert not any("\r" in token for sentence in sentences for token in sentence)
    assert stats.lines == 4


def test_invalid_utf8_is_replaced_and_counted(tmp_path):
    path = write(tmp_path / "latin1.txt", b"caf\xe9 ok\n\xff\xfe bad\nfine \xef\xbf\xbd\n")
    sentences, stats = read_all(path)
    # U+FFFD is not a word character, so it separates tokens.
    assert sentences == [["caf", "ok"], ["bad"], ["fine"]]
    assert stats.replaced_chars == 4  # three invalid bytes and one genuine U+FFFD


@pytest.mark.parametrize("suffix", [".txt", ".gz"])
def test_binary_file_is_refused(tmp_path, suffix):
    path = write(tmp_path / f"binary{suffix}", b"text\x00\x01\x02 more\n")
    with pytest.raises(CorpusError, match=r"looks like a binary file \(found NUL bytes\)"):
        list(read_sentences(path))


def test_utf16_file_is_refused_as_binary(tmp_path):
    path = write(tmp_path / "utf16.txt", "hello world\n".encode("utf-16"))
    with pytest.raises(CorpusError, match="binary"):
        list(read_sentences(path))


def _truncated(suffix):
    data = COMPRESSORS[suffix](" ".join(f"w{i}" for i in range(5000)).encode())
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("not_gzip.gz", b"plain text, not gzip\n", "Not a gzipped file"),
        ("bad_deflate.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 40, ""),
        ("truncated.gz", _truncated(".gz"), "ended before"),
        ("truncated.bz2", _truncated(".bz2"), "ended before"),
        ("truncated.xz", _truncated(".xz"), "ended before"),
        ("garbage.xz", b"\xfd7zXZ\x00" + b"\x00\x01" * 30, ""),
        ("garbage.bz2", b"BZh91AY&SY" + b"\x00\x01" * 30, ""),
    ],
)
def test_corrupt_compressed_file_is_a_corpus_error(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CorpusError, match=f"cannot read {path}: .*{reason}"):
        list(read_sentences(path))


def test_max_sentence_length_must_be_positive(tmp_path):
    path = write(tmp_path / "a.txt", "a b\n")
    with pytest.raises(W2VError, match="max_sentence_length"):
        read_sentences(path, max_sentence_length=0)
    with pytest.raises(W2VError, match="max_sentence_length"):
        Corpus(path, max_sentence_length=0)


def test_long_lines_are_split_into_sentences(tmp_path):
    path = write(tmp_path / "a.txt", "a b c d e f g\nh i\nj k l m\n")
    sentences, stats = read_all(path, max_sentence_length=2)
    assert sentences == [["a", "b"], ["c", "d"], ["e", "f"], ["g"], ["h", "i"], ["j", "k"], ["l", "m"]]
    assert stats.long_lines_split == 2
    assert (stats.lines, stats.sentences, stats.tokens) == (3, 7, 13)


MILLION_TOKENS = [f"w{i % 5000}" for i in range(1_000_000)]


@pytest.fixture(scope="module")
def one_line_file(tmp_path_factory):
    """A text8-style corpus: a single line of a million tokens."""
    return write(tmp_path_factory.mktemp("one_line") / "one_line.txt", " ".join(MILLION_TOKENS) + "\n")


def test_one_line_of_a_million_tokens_is_read_whole(one_line_file):
    sentences, stats = read_all(one_line_file)
    assert all(len(sentence) == 10_000 for sentence in sentences)
    assert [token for sentence in sentences for token in sentence] == MILLION_TOKENS
    assert (stats.lines, stats.sentences, stats.tokens) == (1, 100, 1_000_000)
    assert stats.long_lines_split == 1


def test_cuts_inside_tokens_split_no_token(one_line_file, monkeypatch):
    chunk, bound = 1000, 777
    text = one_line_file.read_text()
    # Most chunk ends fall inside tokens, so the carry must be cut at whitespace.
    ends = range(chunk, len(text), chunk)
    ends_inside_tokens = sum(text[end - 1] != " " and text[end] != " " for end in ends)
    assert ends_inside_tokens > len(ends) // 2
    monkeypatch.setattr(corpus_module, "CHUNK_CHARS", chunk)
    monkeypatch.setattr(corpus_module, "MAX_CARRY_CHARS", bound)

    sentences, stats = read_all(one_line_file, max_sentence_length=997)
    assert [token for sentence in sentences for token in sentence] == MILLION_TOKENS
    assert all(len(sentence) == 997 for sentence in sentences[:-1])
    assert len(sentences[-1]) == 1_000_000 % 997
    assert stats.tokens == 1_000_000
    assert stats.long_lines_split == 1


def test_a_token_longer_than_the_bound_is_dropped_and_counted_never_split(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus_module, "CHUNK_CHARS", 100)
    monkeypatch.setattr(corpus_module, "MAX_CARRY_CHARS", 250)
    path = write(tmp_path / "a.txt", "before " + "x" * 5000 + " after\nnext line\n")
    sentences, stats = read_all(path)
    assert sentences == [["before", "after"], ["next", "line"]]
    assert stats.long_tokens_dropped == 1
    assert (stats.lines, stats.tokens) == (2, 4)


def test_a_long_line_of_punctuated_words_is_cut_between_words(tmp_path):
    # The case at full size: 5 MB without whitespace, cut every 64 KiB.
    path = write(tmp_path / "a.txt", "alpha,beta;gamma." * 300_000 + "\n")
    sentences, stats = read_all(path)
    tokens = [token for sentence in sentences for token in sentence]
    assert tokens == ["alpha", "beta", "gamma"] * 300_000
    assert stats.long_tokens_dropped == 0 and stats.long_lines_split == 1


def test_a_long_cjk_line_is_cut_at_its_punctuation(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus_module, "CHUNK_CHARS", 1000)
    monkeypatch.setattr(corpus_module, "MAX_CARRY_CHARS", 300)
    path = write(tmp_path / "zh.txt", "中文分词很难，但是可以。" * 5000)
    tokens = [token for sentence in read_all(path)[0] for token in sentence]
    assert tokens == ["中文分词很难", "但是可以"] * 5000


def test_a_giant_token_inside_a_block_of_whole_lines_is_dropped_too(tmp_path):
    # The line fits in one chunk, so it is never cut; the bound applies all the same.
    giant = "y" * (corpus_module.MAX_TOKEN_CHARS + 1)
    path = write(tmp_path / "a.txt", f"one two\nthree {giant} four\n" + "x" * corpus_module.MAX_TOKEN_CHARS)
    sentences, stats = read_all(path)
    assert sentences == [["one", "two"], ["three", "four"], ["x" * corpus_module.MAX_TOKEN_CHARS]]
    assert stats.long_tokens_dropped == 1


def test_a_token_that_lower_casing_lengthens_past_the_bound_is_dropped(tmp_path, monkeypatch):
    # "İ".lower() is two characters: the bound is on the token as yielded.
    monkeypatch.setattr(corpus_module, "MAX_TOKEN_CHARS", 10)
    path = write(tmp_path / "a.txt", "İİİİİİ ok\n")
    sentences, stats = read_all(path)
    assert sentences == [["ok"]] and stats.long_tokens_dropped == 1
    assert read_all(path, lowercase=False)[0] == [["İİİİİİ", "ok"]]


_line_text = st.lists(
    st.one_of(
        st.sampled_from(["ab", "Straße", "ΟΔΟΣ", "x1", "é", "中文", "a_b"]),
        st.sampled_from([" ", "  ", "\t", ", ", "-", "\n", "\r\n", "\r", "\n\n"]),
    ),
    max_size=60,
).map("".join)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    text=_line_text,
    chunk=st.integers(1, 12),
    extra_bound=st.integers(0, 12),
    max_length=st.integers(1, 5),
)
def test_reading_in_any_chunk_size_equals_tokenizing_whole_lines(
    tmp_path, text, chunk, extra_bound, max_length
):
    # A bound below the longest run without whitespace would force a cut
    # inside a token, which is tested separately.
    bound = max(map(len, re.split(r"\s", text))) + extra_bound
    path = write(tmp_path / "lines.txt", text)
    with mock.patch.multiple(corpus_module, CHUNK_CHARS=chunk, MAX_CARRY_CHARS=bound):
        sentences, stats = read_all(path, max_sentence_length=max_length)
    expected = reference_sentences(text, max_length)
    assert sentences == expected
    assert (stats.sentences, stats.tokens) == (len(expected), sum(map(len, expected)))


_hostile_text = st.lists(
    st.one_of(
        st.sampled_from(["ab", "ΟΔΟΣ", "ΑΣ", "İstanbul", "x1", "中文", "e\u0301", "a_b", "ς"]),
        st.text("xyΣ", min_size=5, max_size=30),  # tokens longer than small bounds
        st.sampled_from([" ", ",", ";", ".", "'", ":", "-", "，", "\u0301", "\n", "\r\n"]),
    ),
    max_size=40,
).map("".join)


def _final_sigma_as_medial(sentences):
    return [[token.replace("ς", "σ") for token in sentence] for sentence in sentences]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None,
          max_examples=300)
@given(
    text=_hostile_text,
    chunk=st.integers(1, 12),
    carry=st.integers(1, 12),
    token_bound=st.integers(1, 14),
    max_length=st.integers(1, 5),
    lowercase=st.booleans(),
)
def test_any_chunk_and_carry_size_gives_the_tokens_of_the_whole_text_less_the_long_ones(
    tmp_path, text, chunk, carry, token_bound, max_length, lowercase
):
    path = write(tmp_path / "hostile.txt", text)
    with mock.patch.multiple(corpus_module, CHUNK_CHARS=chunk, MAX_CARRY_CHARS=carry,
                             MAX_TOKEN_CHARS=token_bound):
        sentences, stats = read_all(path, max_sentence_length=max_length, lowercase=lowercase)
    bound = min(carry, token_bound)
    lines = text.replace("\r\n", "\n").split("\n")
    whole = [tokenize(line, lowercase) for line in lines]
    kept = [[token for token in tokens if len(token) <= bound] for tokens in whole]
    expected = [tokens[i : i + max_length] for tokens in kept for i in range(0, len(tokens), max_length)]
    if lowercase:
        # A cut next to "." "'" ":" or a dropped token may change which form of
        # sigma lower-casing picks (documented in read_sentences); nothing else.
        sentences, expected = _final_sigma_as_medial(sentences), _final_sigma_as_medial(expected)
    assert sentences == expected
    assert stats.long_tokens_dropped == sum(map(len, whole)) - sum(map(len, kept))
    assert stats.tokens == sum(map(len, kept))
    assert stats.lines == len(lines) - (text.endswith("\n") or text == "")
    assert stats.long_lines_split == sum(len(tokens) > max_length for tokens in kept)


def test_a_cut_prefers_a_separator_that_keeps_lower_casing_exact(tmp_path, monkeypatch):
    # "ΟΔΟΣ." then a letter: whole, Σ is medial (σ). Cutting after the "." would
    # make it final; cutting after the comma, further back, does not.
    monkeypatch.setattr(corpus_module, "CHUNK_CHARS", 4)
    monkeypatch.setattr(corpus_module, "MAX_CARRY_CHARS", 12)
    text = "ab,ΟΔΟΣ.ΑΒΓΔ.ΕΖ"
    assert read_all(write(tmp_path / "a.txt", text))[0] == [tokenize(text)]
    assert tokenize(text)[1] == "οδοσ"


@pytest.mark.parametrize("char", sorted(set("\t !\"#$%&()*+,-/;<=>?@[\\]{|}~")))
def test_the_preferred_cut_characters_are_barriers_to_lower_casing(char):
    assert corpus_module._BARRIER_RE.fullmatch(char)
    assert corpus_module._is_barrier(char)


def test_corpus_is_reiterable_and_resets_stats(tmp_path):
    write(tmp_path / "a.txt", SAMPLE_TEXT)
    write(tmp_path / "b.txt.gz", "one more line\n")
    corpus = Corpus(str(tmp_path))
    assert corpus.path == tmp_path

    first = list(corpus)
    first_stats = corpus.stats
    assert first == SAMPLE_SENTENCES + [["one", "more", "line"]]
    assert (first_stats.files, first_stats.sentences, first_stats.tokens) == (2, 5, 16)

    second_pass = iter(corpus)
    assert corpus.stats == ReadStats()  # reset when the pass starts
    assert list(second_pass) == first
    assert corpus.stats == first_stats
    assert corpus.stats is not first_stats


def test_corpus_passes_options_on(tmp_path):
    path = write(tmp_path / "a.txt", "A B C\n")
    assert list(Corpus(path, lowercase=False, max_sentence_length=2)) == [["A", "B"], ["C"]]


@pytest.mark.skipif(not SAMPLE_EN.exists(), reason="shared sample corpus not present")
def test_shared_sample_corpus_has_the_documented_counts():
    corpus = Corpus(SAMPLE_EN)
    sentences = sum(1 for _ in corpus)
    assert sentences == corpus.stats.sentences == 10_964
    assert corpus.stats.tokens == 249_472
    assert corpus.stats.replaced_chars == 0
