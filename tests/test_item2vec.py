"""item2vec training and recommendations (w2v/item2vec.py), and the
``w2v item2vec`` / ``w2v recommend`` commands."""

import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SHARED

import w2v
from w2v import CorpusError, SettingsError, UnknownWordError
from w2v.item2vec import Item2Vec
from w2v_cli.main import main

MOVIELENS = SHARED / "items"


def genre_baskets(n=600, seed=0):
    """Baskets drawn from one of three disjoint genres each, with ids that a
    tokenizer would mangle: what goes together must come out together."""
    rng = np.random.default_rng(seed)
    genres = [[f"Drama-{i:03d}" for i in range(8)], [f"drama-{i:03d}" for i in range(8)],
              [f"{i:03d}.SKU/x" for i in range(8)]]
    return [list(rng.choice(genres[k % 3], size=rng.integers(2, 7), replace=False))
            for k in range(n)]


def far_apart(n=2000, groups=10, length=12, seed=0):
    """Sessions whose two ends are two items of one group (of 4) and whose
    middle is random filler: items of a group are only ever 11 positions apart."""
    rng = np.random.default_rng(seed)
    sessions = []
    for s in range(n):
        first, last = rng.choice(4, size=2, replace=False)
        filler = [f"f{j}" for j in rng.integers(0, 300, size=length - 2)]
        sessions.append([f"g{s % groups}.{first}", *filler, f"g{s % groups}.{last}"])
    return sessions


@pytest.fixture(scope="module")
def model():
    return Item2Vec(dim=16, epochs=5, seed=3).train(genre_baskets(), progress=None)


def genre(item):
    return item.split("-")[0] if "-" in item else "sku"


def test_item_defaults_are_the_validated_session_settings_ids_as_written():
    model = Item2Vec()
    assert model.sg and not model.shrink_windows and not model.lowercase
    assert model.sample == 0 and model.min_count == 1 and not model.whole_session
    assert (model.window, model.dim, model.epochs, model.ns_exponent) == (10, 64, 40, 0.5)
    assert (model.history_half_life, model.history_even_share, model.mode) == (1.0, 0.5, "auto")
    baskets = Item2Vec(mode="baskets")
    assert baskets.whole_session and baskets.history_half_life == float("inf")
    assert baskets.history_even_share == 1.0
    assert Item2Vec(mode="baskets", window=3).window == 3
    assert Item2Vec(ns_exponent=-0.5, negative=9).get_params()["ns_exponent"] == -0.5


@pytest.mark.parametrize("score", ["context", "cosine"])
def test_recommendations_come_from_the_same_genre_and_keep_case(model, score):
    # "Drama-..." and "drama-..." are different items of different genres.
    for query in ["Drama-001", "drama-001", "003.SKU/x"]:
        found = model.recommend(query, topn=5, score=score)
        assert len(found) == 5
        assert all(genre(item) == genre(query) for item, _ in found), (query, found)
        scores = [score for _, score in found]
        assert scores == sorted(scores, reverse=True)


def test_recommend_excludes_the_query_items_and_the_excluded_ones(model):
    query = ["Drama-000", "Drama-001"]
    exclude = ["Drama-002", "Drama-003", "not-an-item"]
    found = [item for item, _ in model.recommend(query, topn=20, exclude=exclude)]
    assert not set(found) & (set(query) | set(exclude))
    assert set(found[:4]) == {f"Drama-00{k}" for k in range(4, 8)}  # the rest of the genre
    assert len(found) == len(model.wv) - 4  # everything else, since topn is larger
    assert len(model.recommend(query, topn=3, exclude=exclude)) == 3


def test_context_score_is_the_mean_input_vector_dot_each_output_vector(model):
    query = ["Drama-000", "drama-005", "Drama-000"]  # a repeat weighs more
    found = dict(model.recommend(query, topn=len(model.wv), half_life=float("inf")))
    rows = [model.wv.index(i) for i in query]
    mean = model.W_in_[rows].mean(axis=0)
    assert len(found) == len(model.wv) - 2
    for item in ["Drama-004", "drama-002", "001.SKU/x"]:
        expected = model.W_out_[model.wv.index(item)] @ mean
        assert found[item] == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_cosine_score_is_the_cosine_to_the_mean_of_unit_vectors(model):
    query = ["Drama-000", "drama-005"]
    found = dict(model.recommend(query, topn=len(model.wv), score="cosine",
                                 half_life=float("inf")))
    unit = model.wv.unit_vectors
    mean = unit[[model.wv.index(i) for i in query]].mean(axis=0)
    for item in ["Drama-004", "drama-002", "001.SKU/x"]:
        expected = unit[model.wv.index(item)] @ mean / np.linalg.norm(mean)
        assert found[item] == pytest.approx(expected, abs=1e-5)
    # the ranking of the sum of cosines to each query item
    best = max(found, key=found.get)
    assert best == max((i for i in found), key=lambda i: sum(model.wv.similarity(i, q)
                                                               for q in query))


def test_recommend_refuses_unknown_and_empty_queries(model):
    with pytest.raises(UnknownWordError, match="'drama-999' is not in the vocabulary"):
        model.recommend(["Drama-001", "drama-999"])
    with pytest.raises(KeyError):  # an UnknownWordError is also a KeyError
        model.recommend("DRAMA-001")
    with pytest.raises(UnknownWordError, match="'drama-999'"):
        model.recommend(["drama-999"], skip_unknown=True)  # none known
    with pytest.raises(ValueError, match="at least one item"):
        model.recommend([])
    with pytest.raises(ValueError, match="topn"):
        model.recommend("Drama-001", topn=0)
    with pytest.raises(ValueError, match="score must be 'context' or 'cosine'"):
        model.recommend("Drama-001", score="dot")


def test_the_whole_session_is_the_context_unless_a_window_is_chosen():
    sessions = far_apart()

    def groups_found(window):
        model = Item2Vec(dim=16, epochs=5, mode="baskets", window=window, seed=1).train(
            sessions, progress=None)
        best = [model.recommend(f"g{k}.0", topn=1)[0][0] for k in range(10)]
        return sum(item.startswith(f"g{k}.") for k, item in enumerate(best))

    assert groups_found(None) == 10  # 11 positions apart, still each other's context
    assert groups_found(3) <= 3  # never within 3 positions: chance only


def test_sessions_longer_than_max_sentence_length_lose_no_item():
    model = Item2Vec(dim=4, epochs=1, mode="baskets", max_sentence_length=5).train(
        [[f"i{k}" for k in range(12)]], progress=None)
    assert model.whole_session and len(model.wv) == 12 and model.words_trained_ == 12


def test_save_and_load_keep_ids_params_and_recommendations(model, tmp_path):
    path = tmp_path / "items.w2v"
    model.save(path)
    loaded = Item2Vec.load(path)
    assert isinstance(loaded, Item2Vec) and loaded.get_params() == model.get_params()
    assert loaded.wv.index_to_key == model.wv.index_to_key
    assert loaded.recommend("003.SKU/x") == model.recommend("003.SKU/x")
    assert w2v.load(path).wv.index_to_key == model.wv.index_to_key  # an ordinary model file


def test_a_path_is_a_baskets_file_not_text_to_tokenize(tmp_path):
    path = tmp_path / "baskets.txt"
    path.write_text("Milk,EGGS sku/1\nmilk sku/1\n" * 20)
    model = Item2Vec(dim=4, epochs=1).train(str(path), progress=None)
    assert sorted(model.wv.index_to_key) == ["EGGS", "Milk", "milk", "sku/1"]


def test_item_ids_must_be_strings():
    with pytest.raises(CorpusError, match=r"must be strings, found \d \(int\).*str\(\)"):
        Item2Vec(dim=4, epochs=1).train([[1, 2], [2, 3]], progress=None)


# --- the command line ------------------------------------------------------------------


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def table(tmp_path):
    """An interactions table of genre baskets, one user per basket, with bad rows."""
    lines = ["user,item,timestamp,rating"]
    for u, basket in enumerate(genre_baskets()):
        lines += [f"u{u},{item},{t},5" for t, item in enumerate(basket)]
    lines.insert(3, "u0,Drama-001")  # line 4: missing fields
    lines.insert(6, "u0,Drama-002,soon,5")  # line 7: not a timestamp
    path = tmp_path / "interactions.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def train_args(source, out, *extra):
    return ["item2vec", str(source), "-o", str(out), "--dim", "16", "--epochs", "5",
            "--workers", "1", *extra]


def test_item2vec_command_trains_on_a_table_and_warns_of_skipped_rows(runner, table, tmp_path):
    out = tmp_path / "items.w2v"
    result = runner.invoke(main, train_args(table, out))
    assert result.exit_code == 0, result.output
    assert ("warning: 2 bad rows skipped (line 4: expected 3 fields, found 2; "
            "line 7: timestamp 'soon' is neither a number nor an ISO 8601 date)") in result.output
    assert "24 items x 16 dims from 600 sessions" in result.output
    loaded = w2v.load(out)  # the file says it is an item model
    assert isinstance(loaded, Item2Vec) and loaded.mode == "sessions" and loaded.window == 10


def test_item2vec_command_can_refuse_bad_rows(runner, table, tmp_path):
    result = runner.invoke(main, train_args(table, tmp_path / "m.w2v", "--on-bad-rows", "error"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert "interactions.csv, line 4: expected 3 fields, found 2" in result.output


def test_item2vec_command_reads_baskets_and_headerless_tables(runner, tmp_path):
    baskets = tmp_path / "b.txt"
    baskets.write_text("\n".join(" ".join(b) for b in genre_baskets()) + "\n")
    result = runner.invoke(main, train_args(baskets, tmp_path / "b.w2v", "--window", "2", "-q"))
    assert result.exit_code == 0 and result.output == ""
    assert Item2Vec.load(tmp_path / "b.w2v").window == 2
    udata = tmp_path / "u.data"
    udata.write_text("1\t10\t5\t100\n1\t11\t2\t50\n1\t13\t5\t120\n"
                     "2\t10\t4\t1\n2\t12\t1\t0\n2\t13\t4\t3\n")
    result = runner.invoke(main, train_args(udata, tmp_path / "u.w2v", "--no-header",
                                            "--columns", "user,item,rating,timestamp",
                                            "--min-rating", "4", "--min-count", "2"))
    assert result.exit_code == 0, result.output
    assert "note: 2 rows rated below --min-rating left out" in result.output
    assert sorted(Item2Vec.load(tmp_path / "u.w2v").wv.index_to_key) == ["10", "13"]


@pytest.fixture
def items_model(runner, table, tmp_path):
    out = tmp_path / "items.w2v"
    assert runner.invoke(main, train_args(table, out, "-q")).exit_code == 0
    return out


def test_recommend_prints_a_table_without_the_query_or_excluded_items(runner, items_model):
    result = runner.invoke(main, ["recommend", "Drama-001", "Drama-002", "-m", str(items_model),
                                  "-n", "4", "--exclude", "Drama-003"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Drama-001 + Drama-002" and lines[1].split() == ["item", "context"]
    found = [line.split()[0] for line in lines[3:]]
    assert len(found) == 4 and all(item.startswith("Drama-") for item in found)
    assert not {"Drama-001", "Drama-002", "Drama-003"} & set(found)


def test_recommend_shows_titles_from_an_items_file(runner, items_model, tmp_path):
    titles = tmp_path / "u.item"
    titles.write_bytes("".join(f"drama-00{k}|Amélie {k} (2001)|01-Jan-2001\n"
                               for k in range(8)).encode("latin-1"))
    result = runner.invoke(main, ["recommend", "drama-001", "-m", str(items_model),
                                  "--items-file", str(titles), "-n", "3", "--score", "cosine"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Amélie 1 (2001) (drama-001)"
    assert lines[1].split() == ["title", "item", "cosine"]
    assert all(line.startswith("Amélie ") for line in lines[3:]) and len(lines) == 6


@pytest.mark.parametrize("args, message", [
    (["recommend", "nope"], "Error: 'nope' is not in the vocabulary"),
    (["recommend", "x", "-m", "missing.w2v"], "Error: no such model file: missing.w2v"),
    (["item2vec", "missing.csv"], "Error: no such file: missing.csv"),
    (["item2vec", "{baskets}", "--min-rating", "4"], "take no min_rating"),
    (["item2vec", "{baskets}", "--session-gap", "soon"], "not a duration"),
])
def test_mistakes_are_one_line_errors(runner, items_model, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.txt").write_text("a b\n")
    args = [a.replace("{baskets}", "b.txt") for a in args]
    if args[0] == "recommend" and "-m" not in args:
        args += ["-m", str(items_model)]
    result = runner.invoke(main, args)
    assert result.exit_code != 0 and message in result.output, result.output


@pytest.mark.skipif(not (MOVIELENS / "u.data").exists(), reason="MovieLens-100K not present")
def test_movielens_recommendations_for_star_wars(runner, tmp_path):
    out = tmp_path / "ml.w2v"
    result = runner.invoke(main, ["item2vec", str(MOVIELENS / "u.data"), "-o", str(out), "-q",
                                  "--no-header", "--columns", "user,item,rating,timestamp",
                                  "--min-rating", "4", "--window", "10", "--dim", "32",
                                  "--epochs", "3", "--workers", "1"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["recommend", "50", "-m", str(out), "--items-file",
                                  str(MOVIELENS / "u.item"), "-n", "10"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Star Wars (1977) (50)\n")
    assert "Return of the Jedi (1983)" in result.output


# --- histories, many users, the model's kind ---------------------------------------------


def test_history_weights_halve_every_half_life_items_back_beside_an_even_share():
    from w2v.item2vec import history_weights
    assert history_weights(4, 1.0).tolist() == pytest.approx(np.array([1, 2, 4, 8]) / 15)
    weights = history_weights(3, 2.0)
    assert weights[0] / weights[2] == pytest.approx(0.5)
    assert history_weights(3, float("inf")).tolist() == pytest.approx([1 / 3] * 3)
    mixed = history_weights(4, 1.0, even_share=0.5)
    assert mixed.tolist() == pytest.approx(0.5 * np.array([1, 2, 4, 8]) / 15 + 0.5 / 4)
    assert mixed.sum() == pytest.approx(1) and history_weights(0, 1.0).size == 0
    with pytest.raises(ValueError, match="half_life"):
        history_weights(3, 0.0)
    with pytest.raises(ValueError, match="even_share"):
        history_weights(3, 1.0, even_share=1.5)


def test_a_history_query_is_the_recency_weighted_mean_of_input_vectors(model):
    history = ["drama-005", "Drama-000", "drama-002"]  # oldest first
    found = dict(model.recommend(history, topn=len(model.wv), half_life=1.0, even_share=0.0))
    weights = np.array([0.25, 0.5, 1.0]) / 1.75
    query = weights @ model.W_in_[[model.wv.index(i) for i in history]]
    for item in ["Drama-004", "001.SKU/x"]:
        assert found[item] == pytest.approx(model.W_out_[model.wv.index(item)] @ query,
                                            rel=1e-5, abs=1e-6)
    # the most recent item leads: the same items in another order rank otherwise
    assert model.recommend(history, topn=5) != model.recommend(history[::-1], topn=5)


def test_recommend_many_equals_one_recommend_per_history(model):
    histories = [["Drama-000", "drama-001"], ["003.SKU/x"], ["drama-004", "Drama-002", "drama-004"]]
    exclude = [["Drama-004"], [], ["drama-000"]]
    for score in ("context", "cosine"):
        many = model.recommend_many(histories, topn=4, exclude=exclude, score=score)
        for history, banned, found in zip(histories, exclude, many):
            single = model.recommend(history, topn=4, exclude=banned, score=score)
            assert [i for i, _ in found] == [i for i, _ in single]
            assert [s for _, s in found] == pytest.approx([s for _, s in single], rel=1e-5)
            assert not set(history + banned) & {i for i, _ in found}


def test_unknown_items_are_skipped_in_histories_only_when_asked(model):
    assert model.recommend_many([["new-item"], ["new-item", "Drama-000"]], topn=3)[0] == []
    with_new = model.recommend(["new-item", "Drama-000"], topn=3, skip_unknown=True)
    assert with_new == model.recommend(["Drama-000"], topn=3)
    with pytest.raises(UnknownWordError, match="'new-item'"):
        model.recommend(["new-item", "Drama-000"])


def test_auto_mode_reads_time_order_from_the_data(tmp_path):
    stamped = tmp_path / "stamped.csv"
    stamped.write_text("user,item,timestamp\n" + "".join(
        f"u{u},i{(u + k) % 7},{k}\n" for u in range(30) for k in range(5)))
    unstamped = tmp_path / "baskets.txt"
    unstamped.write_text("i1 i2 i3\ni2 i3 i4\n" * 20)
    sessions = Item2Vec(dim=4, epochs=1).train(str(stamped), progress=None)
    assert (sessions.mode, sessions.window, sessions.history_half_life) == ("sessions", 10, 1.0)
    baskets = Item2Vec(dim=4, epochs=1).train(str(unstamped), progress=None)
    assert baskets.mode == "baskets" and baskets.whole_session
    assert baskets.history_half_life == float("inf")
    given = Item2Vec(dim=4, epochs=1, window=2, history_half_life=3).train(str(unstamped),
                                                                          progress=None)
    assert (given.mode, given.window, given.history_half_life) == ("baskets", 2, 3)
    with pytest.raises(w2v.SettingsError, match="history_even_share must be at most 1"):
        Item2Vec(history_even_share=2).train(str(unstamped), progress=None)
    with pytest.raises(w2v.SettingsError, match=r"history_half_life must be a number \(or inf\), got nan"):
        Item2Vec(history_half_life=float("nan")).train(str(unstamped), progress=None)


def test_a_model_file_records_its_kind(model, tmp_path):
    items, words = tmp_path / "items.w2v", tmp_path / "words.w2v"
    baskets = Item2Vec(dim=4, epochs=1, mode="baskets").train(genre_baskets(), progress=None)
    baskets.save(items)
    w2v.Word2Vec(dim=4, epochs=1, min_count=1, sample=0).train([["a", "b"]] * 5,
                                                              progress=None).save(words)
    loaded = w2v.load(items)
    assert type(loaded) is Item2Vec and loaded.get_params() == baskets.get_params()
    assert loaded.history_half_life == float("inf")  # kept through JSON as "inf"
    assert type(w2v.Word2Vec.load(items)) is Item2Vec
    assert type(w2v.load(words)) is w2v.Word2Vec
    assert type(Item2Vec.load(words)) is Item2Vec  # read as items when asked


def test_resuming_an_item_model_with_w2v_train_reads_baskets(runner, tmp_path):
    baskets = tmp_path / "b.txt"
    baskets.write_text("Milk,EGGS sku/1\nmilk sku/1\n" * 20)
    out = tmp_path / "items.w2v"
    assert runner.invoke(main, ["item2vec", str(baskets), "-o", str(out), "--dim", "4",
                                "--epochs", "1", "-q"]).exit_code == 0
    result = runner.invoke(main, ["train", str(baskets), "--resume", str(out), "-o", str(out),
                                  "--epochs", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert "is an item model" in result.output
    resumed = w2v.load(out)
    assert isinstance(resumed, Item2Vec) and resumed.epochs_trained_ == 2
    assert sorted(resumed.wv.index_to_key) == ["EGGS", "Milk", "milk", "sku/1"]


def test_item2vec_tune_searches_then_trains_on_everything_with_the_best(tmp_path):
    table = tmp_path / "stamped.csv"
    table.write_text("user,item,timestamp\n" + "".join(
        f"u{u},g{u % 4}-{(u * 7 + k) % 9},{k}\n" for u in range(120) for k in range(8)))
    out = tmp_path / "tuned.w2v"
    command = [sys.executable, "-c", "from w2v_cli.main import main; main()", "item2vec",
               str(table), "-o", str(out), "--tune", "--budget", "6", "--dim", "16",
               "--workers", "1"]
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - start < 60  # the budget, one trial more, the final training
    assert result.stdout.splitlines()[0].split()[0] == "trial"  # the table of trials
    assert "training on everything" in result.stderr
    model = w2v.load(out)
    assert model.dim == 16  # given on the command line: kept, not searched
    assert model.epochs_trained_ == model.epochs and len(model.wv) == 36
    refused = subprocess.run(command + ["--resume", str(out)], capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 2 and "--tune chooses the settings of a new model" in refused.stderr


def test_item2vec_tune_in_the_library_keeps_what_it_tried():
    sessions = [[f"g{u % 4}-{(u * 7 + k) % 9}" for k in range(8)] for u in range(120)]
    model = Item2Vec.tune(sessions, budget=4, dim=8, progress=None)
    assert model.tuning_ is not None and model.tuning_.trials[0].full
    assert model.dim == 8 and model.epochs_trained_ == model.epochs


def test_hierarchical_softmax_alone_is_refused_as_its_output_vectors_stay_zero():
    with pytest.raises(SettingsError, match="negative >= 1"):
        Item2Vec(hs=True, negative=0, epochs=1).train([["a", "b", "c"], ["b", "c", "d"]] * 20)
