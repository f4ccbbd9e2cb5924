"""Parquet, Arrow (Feather) and DataFrame tables (w2v/tables.py): interactions,
baskets and text read as their CSV and text counterparts are."""

import random
import subprocess
import sys

import pytest

from w2v import CorpusError, Word2Vec
from w2v.corpus import Corpus, ReadStats, read_sentences
from w2v.item2vec import Item2Vec
from w2v.sessions import BadRowError, read_baskets, read_interactions, read_sessions
from w2v.tables import INSTALL_HINT, TextColumn, table_format

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
feather = pytest.importorskip("pyarrow.feather")

CLI = [sys.executable, "-c", "from w2v_cli.main import main; main()"]

# u1 and u2 in file order, each user's rows out of time order.
ROWS = {"userId": ["u1", "u2", "u1", "u2", "u1"], "movieId": ["c", "x", "a", "y", "b"],
        "rating": [5.0, 4.0, 3.0, 1.0, 4.0], "timestamp": [30, 20, 10, 10, 20]}
CSV = "userId,movieId,rating,timestamp\n" + "".join(
    f"{u},{i},{r},{t}\n" for u, i, r, t in zip(*ROWS.values()))


def run(*args, stdin=None):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=120,
                          stdin=stdin)


def one_error_line(done):
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, done.stderr
    return lines[0]


def write(table, path, form):
    if form == "parquet":
        pq.write_table(table, path)
    else:
        feather.write_feather(table, path)
    return path


@pytest.fixture(params=["parquet", "arrow", "frame", "arrow table"])
def interactions(request, tmp_path):
    """The table ROWS as a Parquet file, an Arrow file, a DataFrame and a pyarrow Table."""
    table = pa.table(ROWS)
    if request.param == "frame":
        return pytest.importorskip("pandas").DataFrame(ROWS)
    if request.param == "arrow table":
        return table
    return write(table, tmp_path / f"t.{request.param}", request.param)


# --- interactions --------------------------------------------------------------------


def test_a_table_reads_as_the_same_csv_does(interactions, tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text(CSV)
    expected = read_interactions(csv)
    data = read_interactions(interactions)
    assert data.sessions == expected.sessions == [["a", "b", "c"], ["y", "x"]]
    assert data.users == expected.users == ["u1", "u2"]
    assert data.ordered and expected.ordered
    assert (data.stats.lines, data.stats.sessions, data.stats.items) == (5, 2, 5)
    kept = read_interactions(interactions, min_rating=4)
    assert kept.sessions == read_interactions(csv, min_rating=4).sessions == [["b", "c"], ["x"]]
    assert kept.stats.below_min_rating == 2
    split = read_interactions(interactions, session_gap=5)
    assert split.sessions == read_interactions(csv, session_gap=5).sessions == [
        ["a"], ["b"], ["c"], ["y"], ["x"]]
    assert split.users == ["u1", "u1", "u1", "u2", "u2"]


@pytest.mark.parametrize("times", [
    pa.array([30, 20, 10, 10, 20], pa.timestamp("s")),
    pa.array([30_000, 20_000, 10_000, 10_000, 20_000], pa.timestamp("ms", tz="Europe/Paris")),
    pa.array([30 * 10**9 + 1, 20 * 10**9, 10 * 10**9, 10 * 10**9, 20 * 10**9], pa.timestamp("ns")),
    pa.array([30, 20, 10, 10, 20], pa.int32()),
    pa.array([30.5, 20.0, 10.0, 10.0, 20.0]),
    pa.array(["1970-01-01T00:00:30Z", "20", "1970-01-01 00:00:10", "10", "20.0"]),
    pa.array([3, 2, 1, 1, 2], pa.date32()),
    pa.array(["30", "20", "10", "10", "20"]).dictionary_encode(),
], ids=["s", "ms-tz", "ns", "int", "float", "text", "date", "dictionary"])
def test_timestamps_may_be_arrow_times_dates_numbers_or_text(times, tmp_path):
    table = pa.table({"user": ROWS["userId"], "item": ROWS["movieId"], "time": times})
    data = read_interactions(write(table, tmp_path / "t.parquet", "parquet"))
    assert data.sessions == [["a", "b", "c"], ["y", "x"]] and data.ordered


def test_without_a_timestamp_column_rows_keep_their_order_and_are_not_ordered(tmp_path):
    table = pa.table({"customer_id": [1, 2, 1], "product": [10, 20, 30]})
    data = read_sessions(write(table, tmp_path / "t.arrow", "arrow"))
    assert data.sessions == [["10", "30"], ["20"]] and data.users == ["1", "2"]
    assert not data.ordered


def test_ids_are_strings_as_written_and_stripped(tmp_path):
    pd = pytest.importorskip("pandas")
    # pandas stores an integer column with a gap as floats: 2.0 is the id "2".
    frame = pd.DataFrame({"user": [1.0, 2.0, None, 2.0], "item": [" 007", "7", "x", "a b"]})
    data = read_interactions(frame)
    assert data.sessions == [["007"], ["7", "a b"]] and data.users == ["1", "2"]
    assert [str(bad) for bad in data.stats.bad_row_examples] == [
        "row 3: the user is missing (null)"]


def test_bad_rows_are_counted_with_their_row_numbers(tmp_path):
    table = pa.table({
        "user": ["u1", None, "u1", "  ", "u2", "u2", "u3", "u3"],
        "item": ["a", "b", None, "d", "e", "f", "g", "h"],
        "timestamp": ["1", "2", "3", "4", "yesterday", None, "nan", "8"],
        "rating": [5, 5, 5, 5, 5, 5, 5, None],
    })
    path = write(table, tmp_path / "bad.parquet", "parquet")
    data = read_interactions(path)
    assert data.sessions == [["a"], ["h"]] and data.stats.bad_rows == 6
    assert [str(bad) for bad in data.stats.bad_row_examples] == [
        "row 2: the user is missing (null)", "row 3: the item is missing (null)",
        "row 4: the user is empty",
        "row 5: timestamp 'yesterday' is neither a number nor an ISO 8601 date",
        "row 6: the timestamp is missing (null)", "row 7: timestamp 'nan' is not a finite number"]
    # The rating is read only when it is used: row 8 is good without min_rating.
    assert read_interactions(path, min_rating=1).stats.bad_row_examples[-1].reason == \
        "the rating is missing (null)"
    with pytest.raises(BadRowError, match=r"bad.parquet, row 2: the user is missing"):
        read_interactions(path, on_bad_rows="error")


def test_non_finite_ratings_are_bad_rows():
    table = pa.table({"user": ["u", "u", "u"], "item": ["a", "b", "c"],
                      "rating": [4.0, float("nan"), float("inf")]})
    data = read_interactions(table, min_rating=1)
    assert data.sessions == [["a"]]
    assert [bad.reason for bad in data.stats.bad_row_examples] == [
        "rating nan is not a finite number", "rating inf is not a finite number"]


def test_columns_name_the_roles_by_position(tmp_path):
    table = pa.table({"a": ["u1", "u1"], "b": ["x", "y"], "c": [2, 1]})
    path = write(table, tmp_path / "t.parquet", "parquet")
    assert read_interactions(path, columns=["user", "item", "timestamp"]).sessions == [["y", "x"]]
    with pytest.raises(CorpusError, match=r"no item column among \['-', 'user', '-'\]"):
        read_sessions(path, columns=["-", "user", "-"])
    with pytest.raises(CorpusError, match=r"has 3 columns .*no column for the timestamp"):
        read_interactions(path, columns=["user", "item", "-", "timestamp"])


def test_a_table_without_user_and_item_columns_says_how_to_name_them(tmp_path):
    path = write(pa.table({"a": ["u1"], "b": ["x"]}), tmp_path / "t.parquet", "parquet")
    for reader in (read_sessions, read_interactions):
        with pytest.raises(CorpusError, match=r"t.parquet: cannot tell the user and item columns "
                                              r"from the column names \['a', 'b'\].*--columns"):
            reader(path)


def test_a_record_batch_and_a_dataframe_index_are_understood():
    batch = pa.RecordBatch.from_pydict({"user": ["u1", "u1"], "item": ["a", "b"]})
    assert read_interactions(batch).sessions == [["a", "b"]]
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"user": ["u1", "u1"], "item": ["a", "b"]}).set_index("user")
    with pytest.raises(CorpusError, match=r"the index \(user\) is not read: reset_index\(\)"):
        read_interactions(frame)
    assert read_interactions(frame.reset_index()).sessions == [["a", "b"]]


def test_a_column_that_cannot_hold_ids_or_times_is_named(tmp_path):
    table = pa.table({"user": [["u1"]], "item": ["x"]})
    with pytest.raises(CorpusError, match=r"the user column 'user' holds list<item: string>"):
        read_interactions(table)
    table = pa.table({"user": ["u1"], "item": ["x"], "timestamp": [True]})
    with pytest.raises(CorpusError, match=r"timestamp column 'timestamp' holds bool"):
        read_interactions(table)


def test_one_column_of_lists_or_text_is_baskets(tmp_path):
    lists = write(pa.table({"basket": [["a", "b"], None, [], ["c", None, " d "]]}),
                  tmp_path / "lists.parquet", "parquet")
    data = read_sessions(lists)
    assert data.sessions == [["a", "b"], ["c", "d"]] and data.users is None
    text = write(pa.table({"items": ["a b,c", None, "d"]}), tmp_path / "text.arrow", "arrow")
    assert read_baskets(text).sessions == [["a", "b", "c"], ["d"]]
    with pytest.raises(CorpusError, match="read as baskets .*which take no min_rating"):
        read_sessions(text, min_rating=3)


def test_item2vec_trains_on_a_parquet_table_and_a_dataframe(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"user": [f"u{k % 40}" for k in range(800)],
                          "item": [f"i{k % 13}" for k in range(800)], "timestamp": range(800)})
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    model = Item2Vec(dim=8, epochs=1, workers=1).train(str(path), progress=None)
    assert model.mode == "sessions" and len(model.wv) == 13
    from_frame = Item2Vec(dim=8, epochs=1, workers=1).train(read_interactions(frame),
                                                            progress=None)
    assert from_frame.wv.index_to_key == model.wv.index_to_key


# --- what a file is, and damaged files ---------------------------------------------------


def test_a_file_is_recognised_by_its_bytes_not_its_name(tmp_path):
    csv_named_parquet = tmp_path / "really-csv.parquet"
    csv_named_parquet.write_text(CSV)
    assert table_format(csv_named_parquet) is None
    assert read_interactions(csv_named_parquet).sessions == [["a", "b", "c"], ["y", "x"]]
    parquet_named_csv = write(pa.table(ROWS), tmp_path / "really-parquet.csv", "parquet")
    assert table_format(parquet_named_csv) == "parquet"
    assert read_interactions(parquet_named_csv).sessions == [["a", "b", "c"], ["y", "x"]]
    arrow_named_txt = write(pa.table({"text": ["Hello there"]}), tmp_path / "a.txt", "arrow")
    assert list(read_sentences(arrow_named_txt)) == [["hello", "there"]]


def parquet_bytes(tmp_path):
    table = pa.table({"user": [f"u{k % 9}" for k in range(2000)],
                      "item": [f"i{k % 50}" for k in range(2000)],
                      "timestamp": list(range(2000)), "text": ["a b c"] * 2000})
    return write(table, tmp_path / "whole.parquet", "parquet").read_bytes()


@pytest.mark.parametrize("keep", [0.999, 0.9, 0.5, 0.1, 30 / 24_000])
def test_a_truncated_parquet_file_is_one_corpus_error(tmp_path, keep):
    data = parquet_bytes(tmp_path)
    path = tmp_path / "cut.parquet"
    path.write_bytes(data[: max(int(len(data) * keep), 8)])
    with pytest.raises(CorpusError, match=r"cut.parquet looks like a binary file \(an Apache "
                                          r"Parquet file\) but cannot be read: it is damaged"):
        read_interactions(path)
    with pytest.raises(CorpusError, match="damaged or truncated"):
        list(read_sentences(path))


@pytest.mark.parametrize("form", ["parquet", "arrow"])
def test_flipped_bits_give_a_table_or_a_corpus_error_never_a_crash(tmp_path, form):
    # Run in a child process: a crash there (pyarrow reading an unchecked
    # Arrow file segfaulted before w2v validated each batch) fails the test.
    script = f"""
import random, sys
import pyarrow as pa, pyarrow.parquet as pq, pyarrow.feather as feather
from w2v import CorpusError
from w2v.sessions import read_interactions
from w2v.corpus import read_sentences
table = pa.table({{"user": [f"u{{k % 9}}" for k in range(3000)],
                  "item": [f"i{{k % 50}}" for k in range(3000)],
                  "timestamp": pa.array(range(3000), pa.timestamp("s")),
                  "text": [f"w{{k % 7}} v{{k % 3}}" for k in range(3000)]}})
path = {str(tmp_path / "whole")!r}
if {form!r} == "parquet":
    pq.write_table(table, path, row_group_size=1000)
else:
    feather.write_feather(table, path, compression="uncompressed")
data = open(path, "rb").read()
rng = random.Random(0)
for case in range(40):
    damaged = bytearray(data)
    for _ in range(rng.randrange(1, 12)):
        damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
    open(path + ".bad", "wb").write(damaged)
    for read in (read_interactions, lambda p: list(read_sentences(p))):
        try:
            read(path + ".bad")
        except CorpusError:
            pass
print("done")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout == "done\n", done.stderr[-2000:]


def test_without_pyarrow_a_table_says_how_to_install_it(tmp_path, monkeypatch):
    path = write(pa.table(ROWS), tmp_path / "t.parquet", "parquet")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    for read in (read_interactions, lambda p: list(read_sentences(p))):
        with pytest.raises(CorpusError, match=r"t.parquet looks like a binary file \(an Apache "
                                              r"Parquet file\): w2v reads those with pyarrow"):
            read(path)
    with pytest.raises(CorpusError, match=INSTALL_HINT.replace("[", r"\[").replace("]", r"\]")):
        read_interactions(path)


def test_reading_stops_before_memory_runs_out(tmp_path, monkeypatch):
    import w2v.tables
    path = write(pa.table(ROWS), tmp_path / "t.parquet", "parquet")
    monkeypatch.setattr(w2v.tables, "_memory_left", lambda: 100 << 20)
    with pytest.raises(CorpusError, match=r"t.parquet holds more sessions than fit in memory: "
                                          r"stopped after reading 5 rows, with 104.9 MB"):
        read_interactions(path)


def test_a_huge_row_group_is_read_in_bounded_memory(tmp_path):
    # One row group of 3M rows (about 250 MB of text, 1 MB on disk): reading
    # it must not hold the row group, nor even one column chunk, whole.
    path = tmp_path / "huge.parquet"
    script = f"""
import resource, pyarrow as pa, pyarrow.parquet as pq
rows = 3_000_000
text = pa.array(["the quick brown fox jumps over the lazy dog, " * 2]).take(pa.array([0] * rows))
pq.write_table(pa.table({{"text": text}}), {str(path)!r}, row_group_size=rows,
               compression="zstd")
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    reader = f"""
import resource
from w2v.tables import open_table_text
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
chars = 0
with open_table_text({str(path)!r}) as text:
    while chunk := text.read(1 << 20):
        chars += len(chunk)
print(chars, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""
    done = subprocess.run([sys.executable, "-c", reader], capture_output=True, text=True,
                          timeout=120)
    chars, grown_mb = map(int, done.stdout.split())
    assert chars == 3_000_000 * 91
    assert grown_mb < 120, f"reading grew the process by {grown_mb} MB"


# --- text, one sentence per row ------------------------------------------------------------


def test_a_text_column_reads_as_the_same_lines_of_text(tmp_path):
    rows = ["The cat sat.", None, "", "On the\nmat, twice\r\nover", "Ünïcode  ÉTÉ"]
    path = write(pa.table({"id": list(range(5)), "text": rows}), tmp_path / "c.parquet",
                 "parquet")
    text = tmp_path / "c.txt"
    text.write_text("\n".join((row or "").replace("\r\n", " ").replace("\n", " ")
                              for row in rows) + "\n")
    stats, expected = ReadStats(), ReadStats()
    assert list(read_sentences(path, stats=stats)) == list(read_sentences(text, stats=expected))
    assert stats.lines == expected.lines == 5 and stats.sentences == 3
    assert list(Corpus(path)) == list(read_sentences(text))
    assert [len(s) for s in read_sentences(path, max_sentence_length=2)] == [2, 1, 2, 2, 1, 2]


def test_word2vec_trains_on_a_parquet_corpus_as_on_its_text(tmp_path, corpus_file):
    lines = corpus_file.read_text().splitlines()
    path = write(pa.table({"sentence": lines}), tmp_path / "corpus.parquet", "parquet")
    settings = dict(dim=8, epochs=1, min_count=1, workers=1, seed=1)
    from_table = Word2Vec(**settings).build_vocab(str(path))
    from_text = Word2Vec(**settings).build_vocab(str(corpus_file))
    assert from_table.vocab_.words == from_text.vocab_.words
    assert list(from_table.vocab_.counts) == list(from_text.vocab_.counts)
    model = Word2Vec(**settings).train(str(path), progress=None)
    assert len(model.wv) == 20


def test_several_text_columns_need_a_name(tmp_path):
    table = pa.table({"title": ["A title"], "body": ["the body"], "n": [1]})
    path = write(table, tmp_path / "t.parquet", "parquet")
    assert list(read_sentences(path)) == [["the", "body"]]  # "body" is a text column's name
    assert list(TextColumn(path, column="title")) == [["a", "title"]]
    two = write(pa.table({"a": ["x"], "b": ["y"]}), tmp_path / "two.parquet", "parquet")
    with pytest.raises(CorpusError, match=r"several text columns \(a: string, b: string\): "
                                          r"name the one to read"):
        list(read_sentences(two))
    with pytest.raises(CorpusError, match=r"has no column 'c' \(its columns: a, b\)"):
        TextColumn(two, column="c")
    numbers = write(pa.table({"n": [1], "tokens": [["a"]]}), tmp_path / "n.parquet", "parquet")
    with pytest.raises(CorpusError, match=r"no text column .*train on list\(column\) instead"):
        list(read_sentences(numbers))


def test_a_pandas_series_of_text_is_a_corpus():
    pd = pytest.importorskip("pandas")
    series = pd.Series(["The cat", None, "a DOG\nbarks"] * 100, name="text")
    corpus = TextColumn(series)
    assert list(corpus)[:2] == [["the", "cat"], ["a", "dog", "barks"]]
    assert corpus.stats.lines == 300 and corpus.stats.sentences == 200
    model = Word2Vec(dim=8, epochs=1, min_count=1, sample=0, workers=1).train(corpus,
                                                                         progress=None)
    assert sorted(model.wv.index_to_key) == ["a", "barks", "cat", "dog", "the"]
    mixed = pd.DataFrame({"x": ["a", 1], "text": ["one two", "three"]})
    assert list(TextColumn(mixed)) == [["one", "two"], ["three"]]  # x is never read
    with pytest.raises(CorpusError, match=r"column 'x' cannot be read"):
        list(read_sessions(mixed, columns=["user", "item"]))


# --- the command line ---------------------------------------------------------------------


def test_cli_trains_on_parquet_tables_and_corpora(tmp_path, corpus_file):
    table = write(pa.table({"user": [f"u{k % 30}" for k in range(600)],
                            "item": [f"i{k % 11}" for k in range(600)]}),
                  tmp_path / "t.parquet", "parquet")
    done = run("item2vec", table, "-o", tmp_path / "i.w2v", "--epochs", "1", "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert "11 items" in done.stderr
    corpus = write(pa.table({"text": corpus_file.read_text().splitlines()}),
                   tmp_path / "c.arrow", "arrow")
    done = run("train", corpus, "-o", tmp_path / "w.w2v", "--epochs", "1", "--min-count", "1",
               "--workers", "1", "-q")
    assert done.returncode == 0, done.stderr
    assert len(Word2Vec.load(tmp_path / "w.w2v").wv) == 20


def test_cli_a_damaged_or_piped_parquet_file_is_one_error_line(tmp_path):
    data = parquet_bytes(tmp_path)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[: len(data) // 2])
    for command in ("item2vec", "train"):
        line = one_error_line(run(command, cut, "-o", tmp_path / "m.w2v", "-q"))
        assert "damaged or truncated" in line
        assert not (tmp_path / "m.w2v").exists()
    with open(tmp_path / "whole.parquet", "rb") as stdin:
        line = one_error_line(run("item2vec", "-", "-o", tmp_path / "m.w2v", "-q", stdin=stdin))
    assert "standard input looks like a binary file (an Apache Parquet file)" in line
    assert "not through a pipe" in line


def test_a_table_of_random_rows_reads_like_its_csv(tmp_path):
    rng = random.Random(5)
    rows = [(rng.choice(["u1", "u2", "u3", " u4 "]), rng.choice(["a", "b", "", "c"]),
             rng.choice(["1", "2.5", "x", "1970-01-01T00:00:03Z", ""])) for _ in range(300)]
    csv = tmp_path / "r.csv"
    csv.write_text("user,item,timestamp\n" + "".join(f"{u},{i},{t}\n" for u, i, t in rows))
    table = pa.table({"user": [r[0] for r in rows], "item": [r[1] for r in rows],
                      "timestamp": [r[2] for r in rows]})
    from_csv, from_table = read_interactions(csv), read_interactions(table)
    assert from_table.sessions == from_csv.sessions and from_table.users == from_csv.users
    assert [(b.line, b.reason) for b in from_table.stats.bad_row_examples] == \
        [(b.line - 1, b.reason) for b in from_csv.stats.bad_row_examples]  # CSV counts the header
