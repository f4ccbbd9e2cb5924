"""Reading baskets and interactions tables into sessions (w2v/sessions.py)."""

import csv
import gzip
import lzma
import warnings

import pytest
from conftest import SHARED
from hypothesis import given, settings
from hypothesis import strategies as st

from w2v import CorpusError, SettingsError
from w2v import sessions as sessions_module
from w2v.sessions import (BadRowError, parse_duration, read_baskets, read_interactions,
                          read_item_titles, read_sessions)

MOVIELENS = SHARED / "items"


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- baskets ------------------------------------------------------------------------


def test_baskets_split_on_spaces_tabs_and_commas_and_keep_ids_as_written(tmp_path):
    path = write(tmp_path, "Milk bread,eggs\n\n 007\t7 ,milk, ÉTÉ a.b/c?x=1 \n,\n", "b.txt")
    data = read_baskets(path)
    assert data.sessions == [["Milk", "bread", "eggs"], ["007", "7", "milk", "ÉTÉ", "a.b/c?x=1"]]
    assert data.users is None
    assert (data.stats.lines, data.stats.sessions, data.stats.items) == (4, 2, 8)
    assert list(data) == data.sessions and len(data) == 2  # re-iterable, to train on


def test_compressed_baskets_are_read(tmp_path):
    path = tmp_path / "b.txt.gz"
    with gzip.open(path, "wt") as f:
        f.write("a b\nc d e\n")
    assert read_baskets(path).sessions == [["a", "b"], ["c", "d", "e"]]


@pytest.mark.parametrize("compress, suffix", [(gzip.compress, ".gz"), (lzma.compress, ".xz")])
def test_a_truncated_compressed_file_is_a_corpus_error(tmp_path, compress, suffix):
    # Found by fuzzing: the decompressor's EOFError escaped as a traceback.
    path = tmp_path / f"b.txt{suffix}"
    data = compress(b"user,item\n" + b"u1,a\n" * 500)
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorpusError, match="cannot read"):
        read_baskets(path)
    with pytest.raises(CorpusError, match="cannot read"):
        read_interactions(path)


def test_a_missing_file_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        read_baskets(tmp_path / "nope.txt")


# --- interactions -------------------------------------------------------------------


def test_rows_are_grouped_by_user_and_sorted_by_time_ties_in_file_order(tmp_path):
    path = write(tmp_path, "user,item,timestamp\n"
                           "u1,c,30\nu2,x,5\nu1,a,10\nu1,B2,20\nu1,b1,20\nu2,y,1\n")
    data = read_interactions(path)
    assert data.users == ["u1", "u2"]  # first-seen order
    assert data.sessions == [["a", "B2", "b1", "c"], ["y", "x"]]
    assert (data.stats.sessions, data.stats.items, data.stats.bad_rows) == (2, 6, 0)


def test_without_timestamps_rows_keep_file_order(tmp_path):
    path = write(tmp_path, "customer_id\tproduct_id\nc9\tp2\nc1\tp1\nc9\tp1\n", "t.tsv")
    assert read_interactions(path).sessions == [["p2", "p1"], ["p1"]]


@pytest.mark.parametrize("header", ["userId,movieId,rating,timestamp",
                                    "User ID,Movie_Id,Stars,Time",
                                    "session;item;score;date"])
def test_column_roles_are_read_from_common_header_names(tmp_path, header):
    delimiter = ";" if ";" in header else ","
    rows = ["1,10,4,200", "1,11,2,100", "2,10,5,50"]
    path = write(tmp_path, "\n".join([header] + [r.replace(",", delimiter) for r in rows]) + "\n")
    data = read_interactions(path, min_rating=3)
    assert data.sessions == [["10"], ["10"]] and data.stats.below_min_rating == 1


def test_ids_are_opaque_strings_never_numbers_or_lower_cased(tmp_path):
    path = write(tmp_path, "user,item\n007,Item-A\n7,item-a\n007, 0042 \n007,42\n")
    data = read_interactions(path)
    assert data.users == ["007", "7"]
    assert data.sessions == [["Item-A", "0042", "42"], ["item-a"]]


def test_a_table_without_header_needs_its_columns_named(tmp_path):
    path = write(tmp_path, "196\t242\t3\t881250949\n196\t302\t5\t881250940\n22\t377\t1\t1\n",
                 "u.data")
    data = read_interactions(path, header=False, columns=["user", "item", "rating", "timestamp"])
    assert data.sessions == [["302", "242"], ["377"]]
    with pytest.raises(CorpusError, match="without a header"):
        read_interactions(path, header=False)


def test_columns_override_the_header_and_dash_ignores_a_column(tmp_path):
    path = write(tmp_path, "a,b,c\nx,u1,i1\ny,u1,i2\n")
    assert read_interactions(path, columns=["-", "user", "item"]).sessions == [["i1", "i2"]]


@pytest.mark.parametrize("columns, message", [
    (["user", "itme"], "unknown column role 'itme'"),
    (["user", "user", "item"], "two columns are the user"),
    (["user", "-"], "no item column"),
])
def test_bad_column_roles_are_refused(tmp_path, columns, message):
    path = write(tmp_path, "a,b,c\n1,2,3\n")
    with pytest.raises(CorpusError, match=message):
        read_interactions(path, columns=columns)


def test_a_header_without_user_and_item_is_refused_with_a_hint(tmp_path):
    path = write(tmp_path, "who,what\n1,2\n")
    with pytest.raises(CorpusError, match="cannot tell the user and item columns.*--columns"):
        read_interactions(path)


def test_min_rating_keeps_rows_rated_at_least_that(tmp_path):
    path = write(tmp_path, "user,item,rating\nu,a,4\nu,b,3.5\nu,c,5\nv,d,1\n")
    data = read_interactions(path, min_rating=4)
    assert data.sessions == [["a", "c"]] and data.users == ["u"]
    assert data.stats.below_min_rating == 2
    assert read_interactions(path).stats.items == 4  # no filter by default


def test_min_rating_and_session_gap_need_their_columns(tmp_path):
    path = write(tmp_path, "user,item\nu,a\n")
    with pytest.raises(CorpusError, match="rating column"):
        read_interactions(path, min_rating=3)
    with pytest.raises(CorpusError, match="timestamp column"):
        read_interactions(path, session_gap=60)


def test_a_session_gap_cuts_a_users_history(tmp_path):
    path = write(tmp_path, "user,item,timestamp\n"
                           "u,a,0\nu,b,100\nu,c,5000\nu,d,5050\nv,e,0\nv,f,99999\n")
    data = read_interactions(path, session_gap=parse_duration("30m"))
    assert data.sessions == [["a", "b"], ["c", "d"], ["e"], ["f"]]
    assert data.users == ["u", "u", "v", "v"]


def test_iso_dates_are_timestamps(tmp_path):
    path = write(tmp_path, "user,item,date\nu,late,2024-03-02T10:00:00Z\n"
                           "u,early,2024-03-02\nu,mid,2024-03-02T11:00:00+02:00\n")
    assert read_interactions(path).sessions == [["early", "mid", "late"]]


BAD_TABLE = ("user,item,timestamp,rating\n"
             "u,a,1,5\n"          # line 2
             "u,b\n"              # line 3: missing fields
             "u,c,yesterday,4\n"  # line 4: not a timestamp
             "\n"                 # line 5: empty, not a row
             "u,,3,4\n"           # line 6: empty item
             "u,d,4,great\n"      # line 7: a rating, read only when filtering
             "v,e,nan,4\n")       # line 8: not a finite timestamp


def test_bad_rows_are_skipped_and_reported_with_their_line_numbers(tmp_path):
    data = read_interactions(write(tmp_path, BAD_TABLE))
    assert data.sessions == [["a", "d"]]
    assert data.stats.bad_rows == 4
    assert [(bad.line, bad.reason) for bad in data.stats.bad_row_examples] == [
        (3, "expected 3 fields, found 2"),
        (4, "timestamp 'yesterday' is neither a number nor an ISO 8601 date"),
        (6, "the item is empty"),
        (8, "timestamp 'nan' is not a finite number"),
    ]


def test_an_unreadable_rating_is_a_bad_row_when_filtering_by_rating(tmp_path):
    data = read_interactions(write(tmp_path, BAD_TABLE), min_rating=1)
    assert data.sessions == [["a"]]
    assert "line 7: rating 'great' is not a number" in map(str, data.stats.bad_row_examples)
    assert data.stats.bad_row_examples[0].reason == "expected 4 fields, found 2"


def test_bad_rows_can_be_refused_naming_the_line(tmp_path):
    path = write(tmp_path, BAD_TABLE)
    with pytest.raises(BadRowError, match=r"data.csv, line 3: expected 3 fields") as caught:
        read_interactions(path, on_bad_rows="error")
    assert caught.value.bad_row.line == 3
    with pytest.raises(ValueError, match="on_bad_rows"):
        read_interactions(path, on_bad_rows="ignore")


def test_line_numbers_count_lines_when_a_quoted_field_spans_two(tmp_path):
    path = write(tmp_path, 'user,item,timestamp\nu,"two\nlines",1\nu,b,x\n')
    data = read_interactions(path)
    assert data.sessions == [["two\nlines"]]
    assert data.stats.bad_row_examples[0].line == 4


# --- malformed CSV: one bad row, never the rest of the file ----------------------------


def table_with_a_stray_quote(rows, bad_row):
    """``rows`` rows of user,item,timestamp; row ``bad_row`` (1 = first) opens a
    quote that it never closes."""
    lines = ["user,item,timestamp"]
    for row in range(1, rows + 1):
        item = f'"i{row}' if row == bad_row else f"i{row}"
        lines.append(f"u{row % 7},{item},{row}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("rows", [3_000, 30_000])
def test_an_unclosed_quote_is_one_bad_row_and_the_rows_after_it_are_read(tmp_path, rows):
    # 3,000 rows: the quote used to swallow the file into one field (5 items read);
    # 30,000 rows: a "field larger than field limit" traceback.
    data = read_interactions(write(tmp_path, table_with_a_stray_quote(rows, bad_row=5)))
    assert data.stats.items == rows - 1
    assert data.stats.bad_rows == 1
    bad = data.stats.bad_row_examples[0]
    assert bad.line == 6  # the header is line 1
    assert "quoted field is not closed within 100 lines" in bad.reason
    assert data.stats.lines == rows + 1


def test_an_unclosed_quote_can_be_refused_naming_its_line(tmp_path):
    path = write(tmp_path, table_with_a_stray_quote(3_000, bad_row=5))
    with pytest.raises(BadRowError, match="data.csv, line 6: a quoted field is not closed"):
        read_interactions(path, on_bad_rows="error")


def test_an_unclosed_quote_near_the_end_costs_one_row(tmp_path):
    data = read_interactions(write(tmp_path, table_with_a_stray_quote(20, bad_row=18)))
    assert data.stats.items == 19
    assert [(bad.line, bad.reason) for bad in data.stats.bad_row_examples] == [
        (19, "a quoted field is not closed before the end of the file")]


def test_a_quoted_field_may_span_lines_up_to_the_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(sessions_module, "MAX_RECORD_LINES", 3)
    text = ('user,item,note\n'
            'u,a,"one\ntwo\nthree"\n'          # 3 lines: a record
            'u,b,"1\n2\n3\n4"\n'               # 4 lines: bad, reading goes on at "2"
            'u,c,x\n')
    data = read_interactions(write(tmp_path, text))
    assert data.sessions == [["a", "c"]]
    # Lines 6 to 8 ("2", "3", '4"') are read again, as rows of one field each.
    assert [bad.line for bad in data.stats.bad_row_examples] == [5, 6, 7, 8]
    assert data.stats.bad_row_examples[0].reason.startswith("a quoted field is not closed within 3")


def test_text_after_a_closing_quote_is_a_bad_row(tmp_path):
    data = read_interactions(write(tmp_path, 'user,item\nu,"a"b\nu,c\n'))
    assert data.sessions == [["c"]]
    assert data.stats.bad_row_examples[0].line == 2
    assert "malformed CSV" in data.stats.bad_row_examples[0].reason


def test_a_field_over_the_csv_limit_is_a_bad_row(tmp_path):
    huge = "x" * (200_000)
    data = read_interactions(write(tmp_path, f'user,item\nu,"{huge}"\nu,b\n'))
    assert data.sessions == [["b"]]
    assert "a field is longer than" in data.stats.bad_row_examples[0].reason


def test_an_over_long_line_is_a_bad_row_and_is_never_held_whole(tmp_path, monkeypatch):
    import tracemalloc
    monkeypatch.setattr(sessions_module, "MAX_RECORD_CHARS", 1 << 20)
    path = tmp_path / "b.txt"
    with path.open("w") as f:
        f.write("a b\n")
        for _ in range(40):
            f.write("x " * (1 << 19))  # one 40 MiB line
        f.write("\nc d\n")
    tracemalloc.start()
    try:
        data = read_baskets(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data.sessions == [["a", "b"], ["c", "d"]]
    assert [(bad.line, bad.reason) for bad in data.stats.bad_row_examples] == [
        (2, "longer than 1,048,576 characters")]
    assert peak < 12 << 20
    with pytest.raises(BadRowError, match="line 2: longer than"):
        read_baskets(path, on_bad_rows="error")
    table = tmp_path / "t.csv"
    table.write_text("user,item\nu,a\nu," + "y" * (2 << 20) + "\nu,b\n")
    data = read_interactions(table)
    assert data.sessions == [["a", "b"]] and data.stats.bad_row_examples[0].line == 3


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "1e999"])
def test_non_finite_ratings_and_timestamps_are_bad_rows(tmp_path, value):
    path = write(tmp_path, f"user,item,rating,timestamp\nu,a,4,1\nu,b,{value},2\nu,c,5,{value}\n")
    data = read_interactions(path, min_rating=1)
    assert data.sessions == [["a"]]
    assert [bad.line for bad in data.stats.bad_row_examples] == [3, 4]
    assert all("not a finite number" in bad.reason for bad in data.stats.bad_row_examples)


@pytest.mark.parametrize("options", [{"min_rating": float("nan")}, {"min_rating": float("inf")},
                                     {"min_rating": "4"}, {"session_gap": float("nan")},
                                     {"session_gap": -1}, {"on_bad_rows": "ignore"}])
def test_impossible_settings_are_refused_before_reading(tmp_path, options):
    missing = tmp_path / "not-read.csv"  # a SettingsError, not "no such file": nothing was read
    with pytest.raises(SettingsError):
        read_interactions(missing, **options)
    with pytest.raises(SettingsError):
        read_sessions(missing, **options)


@pytest.mark.parametrize("delimiter", ["", ",;", '"', "\n", "\r", "\0", "a", "7", "é", b",", 44])
def test_a_delimiter_that_cannot_separate_fields_is_refused_before_reading(tmp_path, delimiter):
    missing = tmp_path / "not-read.csv"
    with pytest.raises(SettingsError, match="delimiter must be one field-separating character"):
        read_interactions(missing, delimiter=delimiter)
    with pytest.raises(SettingsError, match="delimiter must be one field-separating character"):
        read_sessions(missing, delimiter=delimiter)


@pytest.mark.parametrize("delimiter", [" ", "\t", ":", "\x1f"])
def test_any_other_single_character_is_a_delimiter(tmp_path, delimiter):
    path = write(tmp_path, f"user{delimiter}item\nu1{delimiter}a\nu1{delimiter}b\n")
    assert read_interactions(path, delimiter=delimiter).sessions == [["a", "b"]]


@settings(max_examples=300, deadline=None)
@given(st.text(",\t ;|ab\r\u00e9", max_size=20), st.sampled_from([",", "\t", ";", "|"]))
def test_lines_without_quotes_are_split_as_the_csv_module_would(text, delimiter):
    line = text + "\n"
    try:
        expected = next(csv.reader([line], delimiter=delimiter, strict=True), [])
    except csv.Error:
        return  # a lone "\r" inside a line: the text stream never yields one
    assert sessions_module._plain_fields(line, delimiter) == expected


def test_an_unknown_form_is_a_settings_error(tmp_path):
    with pytest.raises(SettingsError, match="form must be"):
        read_sessions(write(tmp_path, "a b\n"), form="table")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["u1", "u2", "U1", "007"]),
                          st.text("abcXYZ09-_.", min_size=1, max_size=4),
                          st.integers(0, 5)), max_size=30))
def test_grouping_keeps_every_row_and_orders_each_user_by_time(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("t") / "t.csv"
    path.write_text("user,item,timestamp\n" + "".join(f"{u},{i},{t}\n" for u, i, t in rows))
    data = read_interactions(path)
    for user, session in zip(data.users, data.sessions):
        # A stable sort by time of the user's rows, in file order, is the expected session.
        expected = [i for _, i in sorted(((t, i) for u, i, t in rows if u == user),
                                         key=lambda pair: pair[0])]
        assert session == expected
    assert sorted(data.users) == sorted({u for u, _, _ in rows})


# --- either form, durations and titles ------------------------------------------------


def test_auto_detects_a_table_by_its_header_or_columns(tmp_path):
    table = write(tmp_path, "user_id,item_id\nu,a\nu,b\n")
    baskets = write(tmp_path, "a,b\nc,d\n", "b.csv")
    assert read_sessions(table).users == ["u"]
    assert read_sessions(baskets).sessions == [["a", "b"], ["c", "d"]]
    assert read_sessions(baskets, columns=["user", "item"], header=False).users == ["a", "c"]
    assert read_sessions(table, form="baskets").sessions[0] == ["user_id", "item_id"]


def test_baskets_refuse_table_options(tmp_path):
    baskets = write(tmp_path, "a b\n", "b.txt")
    with pytest.raises(CorpusError, match="take no min_rating"):
        read_sessions(baskets, min_rating=4, session_gap=None, header=True, on_bad_rows="skip")


@pytest.mark.parametrize("text, seconds", [("90", 90), ("90s", 90), ("30m", 1800), ("2h", 7200),
                                           ("1.5d", 129600), ("1w", 604800)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "5x", "-3", "1 2"])
def test_bad_durations(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_titles_from_a_latin1_pipe_file_and_a_quoted_csv(tmp_path):
    u_item = tmp_path / "u.item"
    u_item.write_bytes("1|Toy Story (1995)|x|\n2|Café \"Noir\" (1995)|y\n\n".encode("latin-1"))
    assert read_item_titles(u_item) == {"1": "Toy Story (1995)", "2": 'Café "Noir" (1995)'}
    movies = write(tmp_path, 'movieId,title,genres\n7,"Sabrina, the film (1995)",Comedy\n')
    assert read_item_titles(movies)["7"] == "Sabrina, the film (1995)"


@pytest.mark.skipif(not (MOVIELENS / "u.data").exists(), reason="MovieLens-100K not present")
def test_movielens_u_data_reads_into_one_time_ordered_session_per_user():
    data = read_interactions(MOVIELENS / "u.data", header=False, on_bad_rows="error",
                             columns=["user", "item", "rating", "timestamp"])
    assert (len(data), data.stats.items, data.stats.bad_rows) == (943, 100_000, 0)
    assert min(map(len, data)) >= 20
    liked = read_interactions(MOVIELENS / "u.data", header=False, min_rating=4,
                              columns=["user", "item", "rating", "timestamp"])
    assert liked.stats.items == 34_174 + 21_201  # ratings 4 and 5 (the data's README)
    assert read_item_titles(MOVIELENS / "u.item")["50"] == "Star Wars (1977)"


def test_a_table_without_its_header_read_as_baskets_is_pointed_out(tmp_path):
    # MovieLens's u.data: user, item, rating, time, tab-separated, no header.
    path = tmp_path / "u.data"
    path.write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n")
    with pytest.warns(UserWarning, match="looks like a table row without a header"):
        sessions = read_sessions(path)
    assert list(sessions)[0] == ["196", "242", "3", "881250949"]  # still read as asked
    read = read_sessions(path, columns=["user", "item", "rating", "timestamp"], header=False)
    assert sorted(map(tuple, read)) == [("242",), ("302",)]


@pytest.mark.parametrize("line", ["milk\tbread\teggs", "12 13 14", "1\t2", "7,8,9"])
def test_baskets_that_look_like_baskets_are_read_without_a_warning(tmp_path, line):
    path = tmp_path / "baskets.txt"
    path.write_text(line + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_sessions(path)
