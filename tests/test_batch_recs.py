"""Recommendations for every user of a table (w2v/batch_recs.py) and
``w2v recommend --users``."""

import csv
import io
import subprocess
import sys

import numpy as np
import pytest
from conftest import SHARED

from w2v import CorpusError, SettingsError
from w2v.errors import OutputError
from w2v.batch_recs import (BatchStats, Recommendation, recommend_for_users, user_histories,
                            users_per_chunk, write_recommendations)
from w2v.item2vec import Item2Vec
from w2v.sessions import Sessions, read_interactions

CLI = [sys.executable, "-c", "from w2v_cli.main import main; main()"]
MOVIELENS = SHARED / "items"


def run(*args):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=120)


def one_error_line(done):
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def interactions(users=60, seed=0):
    """Rows of users who each stay within one of three groups of items, in time order."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        group = u % 3
        for t, item in enumerate(rng.choice(10, size=rng.integers(3, 9), replace=False)):
            rows.append((f"user {u}", f"g{group}-{item}", t))
    return rows


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("table") / "interactions.csv"
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["user", "item", "timestamp"])
        writer.writerows(interactions())
    return path


@pytest.fixture(scope="module")
def model(table):
    data = read_interactions(table)
    return Item2Vec(dim=16, epochs=20, workers=1, seed=2).train(data, progress=None)


@pytest.fixture(scope="module")
def model_file(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "items.w2v"
    model.save(path)
    return path


# --- the library -------------------------------------------------------------------------


def test_batch_rows_are_what_recommend_gives_each_whole_history(model, table):
    data = read_interactions(table)
    stats = BatchStats()
    rows = list(recommend_for_users(model, data, topn=4, stats=stats, chunk_users=7))
    by_user = {}
    for row in rows:
        by_user.setdefault(row.user, []).append(row)
    assert list(by_user) == list(dict.fromkeys(data.users))  # users in first-seen order
    for user, history in zip(data.users, data.sessions):
        expected = model.recommend(history, topn=4)
        got = by_user[user]
        assert [row.rank for row in got] == [1, 2, 3, 4]
        assert [row.item for row in got] == [item for item, _ in expected]
        np.testing.assert_allclose([row.score for row in got], [s for _, s in expected],
                                   rtol=1e-5)
        assert not {row.item for row in got} & set(history)  # never what they have
    assert (stats.users, stats.recommended, stats.unknown, stats.rows) == (60, 60, 0, 240)


def test_chunks_do_not_change_the_rows(model, table):
    data = read_interactions(table)
    one = list(recommend_for_users(model, data, topn=3, chunk_users=1))
    default = list(recommend_for_users(model, data, topn=3))
    assert [(r.user, r.item) for r in one] == [(r.user, r.item) for r in default]


def test_a_users_sessions_are_joined_oldest_first_into_one_history(model):
    # A session gap split "a" in two: the query is the whole history, in time order.
    sessions = Sessions([["g0-1", "g0-2"], ["g1-3"], ["g1-4", "g1-5"]], ["a", "b", "a"],
                        ordered=True)
    assert user_histories(sessions) == {"a": [["g0-1", "g0-2"], ["g1-4", "g1-5"]],
                                        "b": [["g1-3"]]}
    rows = [r for r in recommend_for_users(model, sessions, topn=5) if r.user == "a"]
    expected = model.recommend(["g0-1", "g0-2", "g1-4", "g1-5"], topn=5)
    assert [r.item for r in rows] == [item for item, _ in expected]
    # Time order matters: the reversed history weighs the other group's items most.
    reversed_rows = model.recommend(["g1-5", "g1-4", "g0-2", "g0-1"], topn=5)
    assert [item for item, _ in reversed_rows] != [r.item for r in rows]


def test_users_without_known_items_get_no_rows_and_are_counted(model):
    sessions = Sessions([["new-1"], ["g2-1"], ["new-2", "new-3"]], ["x", "y", "z"])
    stats = BatchStats()
    rows = list(recommend_for_users(model, sessions, topn=2, stats=stats))
    assert {row.user for row in rows} == {"y"}
    assert (stats.users, stats.recommended, stats.unknown, stats.rows) == (3, 1, 2, 2)
    with pytest.raises(CorpusError, match=r"none of the 1 users has an item that is in the model"):
        list(recommend_for_users(model, Sessions([["new"]], ["x"])))


def test_topn_beyond_the_catalog_gives_what_is_left_and_exclude_applies_to_all(model):
    sessions = Sessions([["g0-1"], ["g1-1"]], ["a", "b"])
    everything = len(model.wv)
    rows = list(recommend_for_users(model, sessions, topn=10_000, exclude=["g2-0"]))
    assert len(rows) == 2 * (everything - 2)  # all but the user's own item and g2-0
    assert "g2-0" not in {row.item for row in rows}


@pytest.mark.parametrize("topn", [0, -1, 2.5, True, None])
def test_bad_topn_or_score_or_no_users_is_a_settings_error(model, topn):
    sessions = Sessions([["g0-1"]], ["a"])
    with pytest.raises(SettingsError, match="topn must be a whole number >= 1"):
        recommend_for_users(model, sessions, topn=topn)
    with pytest.raises(SettingsError, match="score must be"):
        recommend_for_users(model, sessions, score="dot")
    with pytest.raises(SettingsError, match="need an interactions table with a user column"):
        recommend_for_users(model, Sessions([["g0-1"]]))


def test_progress_is_reported_for_long_runs_only(model, table, monkeypatch):
    import w2v.batch_recs as batch_recs
    data = read_interactions(table)
    quick = io.StringIO()
    list(recommend_for_users(model, data, chunk_users=10, progress=quick))
    assert quick.getvalue() == ""  # done within the first second: nothing to say
    clock = iter(range(0, 10_000, 3))  # every look at the clock, 3 s later
    monkeypatch.setattr(batch_recs.time, "perf_counter", lambda: next(clock))
    slow = io.StringIO()
    list(recommend_for_users(model, data, chunk_users=10, progress=slow))
    lines = slow.getvalue().splitlines()
    assert lines[0].startswith("recommending: 10/60 users (16.7%)") and "ETA" in lines[0]
    assert lines[-1].startswith("recommending: 60/60 users (100.0%)")


def test_a_chunk_holds_as_many_users_as_the_score_budget_allows():
    assert users_per_chunk(1682) == 1024  # MovieLens-100K: all its users in one chunk
    assert users_per_chunk(1_000_000) == 2  # 64 MiB of scores for a catalog of millions
    assert users_per_chunk(10**10) == 1


# --- writing -----------------------------------------------------------------------------


ROWS = [Recommendation("u,1", 1, "i1", 0.5), Recommendation("u,1", 2, 'i"2', -1.25),
        Recommendation("u2", 1, "i3", 3.0)]


def test_csv_and_tsv_have_a_header_and_quote_what_needs_it(tmp_path):
    path = tmp_path / "r.csv"
    assert write_recommendations(iter(ROWS), path, titles={"i1": "One, the"}) == 3
    assert list(csv.reader(path.open())) == [
        ["user", "rank", "item", "score", "title"], ["u,1", "1", "i1", "0.5", "One, the"],
        ["u,1", "2", 'i"2', "-1.25", ""], ["u2", "1", "i3", "3", ""]]
    tsv = tmp_path / "r.tsv"
    write_recommendations(ROWS, tsv)
    assert tsv.read_text().splitlines()[:2] == ["user\trank\titem\tscore", "u,1\t1\ti1\t0.5"]


def test_parquet_keeps_types_and_titles(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "r.parquet"
    assert write_recommendations(ROWS, path, titles={"i3": "Three"}) == 3
    table = pq.read_table(path)
    assert table.column_names == ["user", "rank", "item", "score", "title"]
    assert table.column("rank").to_pylist() == [1, 2, 1]
    assert table.column("title").to_pylist() == ["", "", "Three"]
    empty = tmp_path / "empty.parquet"
    assert write_recommendations([], empty) == 0 and pq.read_table(empty).num_rows == 0


def test_writing_streams_rows_as_they_come(monkeypatch):
    pulled, seen_at_writes = [0], []

    class Recorder(io.StringIO):
        def write(self, text):
            seen_at_writes.append(pulled[0])
            return super().write(text)

    def rows():
        for k in range(120_000):
            pulled[0] += 1
            yield Recommendation(f"user {k}", 1, f"item {k}", 0.0)

    monkeypatch.setattr(sys, "stdout", Recorder())
    assert write_recommendations(rows(), "-") == 120_000
    assert len(seen_at_writes) > 2 and seen_at_writes[0] < 120_000  # written before the end
    assert sys.stdout.getvalue().count("\n") == 120_001


def test_a_failed_write_leaves_no_file_and_the_old_one_unchanged(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("old\n")

    def failing():
        yield ROWS[0]
        raise CorpusError("reading failed")

    with pytest.raises(CorpusError, match="reading failed"):
        write_recommendations(failing(), path)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]  # no temporary file left
    with pytest.raises(SettingsError, match=r"cannot tell the format of .*r.json from its "
                                            r"extension: name it \.csv, \.tsv"):
        write_recommendations(ROWS, tmp_path / "r.json")


@pytest.mark.parametrize("name", ["r.csv", "r.parquet"])
def test_a_full_disk_is_an_output_error_and_leaves_nothing(tiny_disk, name):
    if name.endswith(".parquet"):
        pytest.importorskip("pyarrow")
    rows = (Recommendation(f"user {k}", 1, f"item {k}", float(k)) for k in range(100_000))
    with pytest.raises(OutputError, match=f"nothing was saved to .*{name}: No space left"):
        write_recommendations(rows, tiny_disk / name)
    assert list(tiny_disk.iterdir()) == []


# --- the command line ----------------------------------------------------------------------


def test_cli_writes_every_users_recommendations_with_titles(table, model_file, tmp_path):
    titles = tmp_path / "titles.txt"
    titles.write_text("".join(f"g1-{k}|Title {k}\n" for k in range(10)))
    out = tmp_path / "recs.csv"
    done = run("recommend", "--users", table, "-m", model_file, "-o", out, "-n", "3",
               "--items-file", titles)
    assert done.returncode == 0, done.stderr
    assert "180 recommendations for 60 users written to" in done.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 180 and list(rows[0]) == ["user", "rank", "item", "score", "title"]
    for row in rows:
        assert row["title"] == (f"Title {row['item'][3:]}" if row["item"].startswith("g1-")
                                else "")
    stdout = run("recommend", "--users", table, "-m", model_file, "-o", "-", "-n", "3", "-q")
    assert stdout.returncode == 0 and stdout.stderr == ""
    assert stdout.stdout.splitlines()[1:] == [",".join(
        (row["user"], row["rank"], row["item"], row["score"])) for row in rows]


def test_cli_writes_parquet_from_a_parquet_table(table, model_file, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = interactions()
    users = tmp_path / "users.parquet"
    pq.write_table(pa.table({"user_id": [r[0] for r in rows], "item_id": [r[1] for r in rows],
                             "ts": pa.array([r[2] for r in rows], pa.timestamp("s"))}), users)
    out = tmp_path / "recs.parquet"
    done = run("recommend", "--users", users, "-m", model_file, "-o", out, "-q")
    assert done.returncode == 0, done.stderr
    from_csv = tmp_path / "recs.csv"
    done = run("recommend", "--users", table, "-m", model_file, "-o", from_csv, "-q")
    assert done.returncode == 0, done.stderr
    written = pq.read_table(out)
    assert written.num_rows == 600
    expected = list(csv.DictReader(from_csv.open()))
    assert written.column("item").to_pylist() == [row["item"] for row in expected]


def test_cli_notes_users_it_cannot_recommend_for(model_file, tmp_path):
    users = tmp_path / "u.csv"
    users.write_text("user,item\na,g0-1\nb,new-item\nc,g2-2\n")
    done = run("recommend", "--users", users, "-m", model_file, "-o", tmp_path / "r.csv")
    assert done.returncode == 0, done.stderr
    assert "note: 1 of 3 users have no item in the model" in done.stderr
    assert {row["user"] for row in csv.DictReader((tmp_path / "r.csv").open())} == {"a", "c"}


@pytest.mark.parametrize("args, message", [
    (["g0-1", "--users", "{table}", "-o", "{out}"], "give ITEMS or --users TABLE, not both"),
    (["--users", "{table}"], "--users needs -o FILE"),
    (["g0-1", "-o", "{out}"], "-o is for --users TABLE"),
    (["g0-1", "--no-header"], "--header: only with --users TABLE"),
    ([], "give the ITEMS to recommend for, or --users TABLE"),
    (["--users", "{table}", "-o", "{out}", "--topn", "0"], "0 is not in the range x>=1"),
    (["--users", "{table}", "-o", "{table}"], "would overwrite or land in the input"),
])
def test_cli_usage_errors(table, model_file, tmp_path, args, message):
    args = [a.format(table=table, out=tmp_path / "r.csv") for a in args]
    done = run("recommend", "-m", model_file, *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("content, message", [
    ("", "empty.csv is empty"),
    ("user,item\n", "empty.csv holds no interactions: no user to recommend for"),
    ("milk,bread\n", "cannot tell the user and item columns from the header"),
    ("user,item\nx,unknown\n", "none of the 1 users has an item that is in the model"),
])
def test_cli_an_empty_or_unusable_users_file_is_one_error_line(model_file, tmp_path, content,
                                                               message):
    users = tmp_path / "empty.csv"
    users.write_text(content)
    out = tmp_path / "r.csv"
    assert message in one_error_line(run("recommend", "--users", users, "-m", model_file,
                                         "-o", out))
    assert not out.exists()


def test_cli_a_bad_output_name_fails_before_any_work(table, tmp_path):
    line = one_error_line(run("recommend", "--users", table, "-m", tmp_path / "missing.w2v",
                              "-o", tmp_path / "r.xlsx"))
    assert "cannot tell the format of" in line  # not "no such model file": checked first


def test_cli_a_full_disk_is_one_error_line(table, model_file, tiny_disk):
    many = tiny_disk.parent / "many.csv"
    many.write_text("user,item\n" + "".join(f"user {k},g{k % 3}-{k % 10}\n" for k in range(5000)))
    line = one_error_line(run("recommend", "--users", many, "-m", model_file,
                              "-o", tiny_disk / "r.csv", "-n", "10"))
    assert "nothing was saved to" in line and "No space left on device" in line
    assert list(tiny_disk.iterdir()) == []


@pytest.mark.skipif(not (MOVIELENS / "u.data").exists(), reason="MovieLens-100K not present")
def test_cli_movielens_every_user_gets_ten_unseen_movies(tmp_path):
    data = read_interactions(MOVIELENS / "u.data", columns=["user", "item", "rating", "timestamp"],
                             header=False)
    model = Item2Vec(dim=16, epochs=2, workers=1).train(data, progress=None)
    model.save(tmp_path / "ml.w2v")
    out = tmp_path / "recs.csv"
    done = run("recommend", "--users", MOVIELENS / "u.data", "--no-header", "--columns",
               "user,item,rating,timestamp", "-m", tmp_path / "ml.w2v", "-o", out,
               "--items-file", MOVIELENS / "u.item", "-q")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 9430 and len({row["user"] for row in rows}) == 943
    seen = {(user, item) for user, session in zip(data.users, data.sessions) for item in session}
    assert not any((row["user"], row["item"]) in seen for row in rows)
    assert all(row["title"] for row in rows)
