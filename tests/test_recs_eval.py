"""Leave-last-out evaluation and its baselines (w2v/recs_eval.py), and the
``w2v evaluate-recs`` command."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import SHARED
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from w2v import CorpusError, SettingsError
from w2v.item2vec import Item2Vec
from w2v.recs_eval import (EASE, ItemKNN, MostPopular, baselines, compare, ease_weights,
                           evaluate, held_out_seen, hit_and_ndcg, leave_last_out)
from w2v.sessions import Sessions, read_interactions

MOVIELENS = SHARED / "items"
CLI = [sys.executable, "-c", "from w2v_cli.main import main; main()"]


# --- metrics ----------------------------------------------------------------------------


def test_a_hit_at_rank_1_gives_ndcg_1_and_at_rank_3_one_over_log2_4():
    assert hit_and_ndcg(["a", "x", "y"], ["a"], 10) == (True, 1.0)
    hit, ndcg = hit_and_ndcg(["x", "y", "a"], ["a"], 10)
    assert hit and ndcg == pytest.approx(1 / math.log2(4))
    assert hit_and_ndcg(["x", "y", "a"], ["a"], 2) == (False, 0.0)  # beyond topn
    assert hit_and_ndcg([], ["a"], 10) == (False, 0.0)


def test_ndcg_with_several_held_out_items_is_divided_by_its_best_value():
    assert hit_and_ndcg(["b", "a", "x"], ["a", "b"], 10) == (True, pytest.approx(1.0))
    best = 1 + 1 / math.log2(3)
    assert hit_and_ndcg(["x", "a"], ["a", "b"], 10)[1] == pytest.approx(1 / math.log2(3) / best)
    # Only min(held out, topn) items can be found: one at rank 1 of a list of 1 is perfect.
    assert hit_and_ndcg(["a"], ["a", "b"], 1) == (True, 1.0)


class Fixed:
    """A recommender that returns given lists and records what it was asked."""

    def __init__(self, answers):
        self.answers, self.asked = answers, []

    def recommend_many(self, histories, topn, exclude):
        self.asked += [tuple(h) for h in histories]
        return [[(item, 1.0) for item in self.answers[tuple(h)]] for h in histories]


def test_evaluate_averages_over_every_user_and_counts_cold_users_as_misses():
    # Users: u1 hit at rank 1, u2 hit at rank 2, u3 miss, u4 has one item only (all held out).
    data = Sessions([["a", "b"], ["c", "a", "d"], ["b", "e"], ["z"]], ["u1", "u2", "u3", "u4"],
                    ordered=True)
    split = leave_last_out(data)
    assert split.histories == [["a"], ["c", "a"], ["b"], []]
    assert split.users_without_history == 1
    fake = Fixed({("a",): ["b", "c"], ("c", "a"): ["b", "d"], ("b",): ["a", "c"]})
    metrics = evaluate(fake, split, topn=2)
    assert ("",) not in fake.asked and () not in fake.asked  # no history: never asked
    assert metrics.users == 4
    assert metrics.hit_rate == pytest.approx(2 / 4)
    assert metrics.ndcg == pytest.approx((1 + 1 / math.log2(3)) / 4)
    # Catalog: a, b, c (e, d, z are only held out); recommended: a, b, c (d is not in it).
    assert (metrics.catalog, metrics.recommended, metrics.coverage) == (3, 3, 1.0)
    assert evaluate(fake, split, topn=1).hit_rate == pytest.approx(1 / 4)


def test_evaluate_counts_only_the_chosen_users_when_given():
    split = leave_last_out([["a", "b"], ["a", "c"]])
    fake = Fixed({("a",): ["b"]})
    assert evaluate(fake, split, 1, users=[0]).hit_rate == 1.0
    assert evaluate(fake, split, 1, users=[1]).hit_rate == 0.0


# --- the split ---------------------------------------------------------------------------


def test_leave_last_out_holds_out_the_last_distinct_items_and_every_earlier_occurrence():
    split = leave_last_out([["a", "b", "a", "c"]], n=1)
    assert (split.held_out, split.histories) == ([["c"]], [["a", "b", "a"]])
    split = leave_last_out([["a", "b", "a", "c"]], n=2)
    assert (split.held_out, split.histories) == ([["a", "c"]], [["b"]])
    split = leave_last_out([["a", "b", "c", "c"]], n=1)  # a repeat at the end is one item
    assert (split.held_out, split.histories) == ([["c"]], [["a", "b"]])


def test_a_users_sessions_are_joined_and_cut_at_the_held_out_tail():
    data = Sessions([["a", "b"], ["c", "d"], ["x", "y"]], ["u", "u", "v"], ordered=True)
    split = leave_last_out(data, n=2)
    assert split.users == ["u", "v"]
    assert split.held_out == [["c", "d"], ["x", "y"]]
    assert split.train.sessions == [["a", "b"]] and split.train.users == ["u"]
    assert split.train.ordered and split.users_without_history == 1
    # A user's sessions need not be next to each other.
    split = leave_last_out(Sessions([["a", "b"], ["x", "y"], ["c"]], ["u", "v", "u"]))
    assert split.users == ["u", "v"] and split.histories == [["a", "b"], ["x"]]
    assert split.held_out == [["c"], ["y"]] and not split.train.ordered


def test_validation_is_the_split_again_on_the_training_part():
    split = leave_last_out([["a", "b", "c"], ["d", "e"]])
    validation = split.validation()
    assert validation.held_out == [["b"], ["d"]]
    assert validation.histories == [["a"], []]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("uvw"), st.lists(st.sampled_from("abcdef"),
                                                            min_size=1, max_size=8)),
                min_size=1, max_size=8),
       st.integers(1, 4))
def test_the_split_never_leaks_a_held_out_item_into_training(rows, n):
    data = Sessions([items for _, items in rows], [user for user, _ in rows], ordered=True)
    split = leave_last_out(data, n)
    for user, history, held in zip(split.users, split.histories, split.held_out):
        everything = [i for u, items in rows if u == user for i in items]
        assert not set(held) & set(history)
        for session, owner in zip(split.train.sessions, split.train.users):
            assert owner != user or not set(held) & set(session)
        assert len(held) == min(n, len(set(everything))) and len(set(held)) == len(held)
        # Held out: the items of the shortest tail with that many distinct items;
        # the history: what came before that tail, less the held-out items, in order.
        cut = max(c for c in range(len(everything) + 1)
                  if len(set(everything[c:])) == len(held))
        assert set(held) == set(everything[cut:])
        assert history == [i for i in everything[:cut] if i not in held]
    assert sum(map(len, split.train)) == sum(map(len, split.histories))


def test_the_split_refuses_a_bad_holdout_and_sessions_that_are_not_item_lists():
    with pytest.raises(SettingsError, match="holdout"):
        leave_last_out([["a", "b"]], n=0)
    with pytest.raises(CorpusError, match="not a list of item ids"):
        leave_last_out(["ab"])
    with pytest.raises(CorpusError, match="not a list of item ids"):
        leave_last_out([[1, 2]])


# --- baselines ---------------------------------------------------------------------------


def test_most_popular_ranks_by_users_and_leaves_out_what_the_user_has():
    model = MostPopular().fit([["a", "b", "c"], ["b", "c"], ["c"], ["c", "c", "d"]])
    assert model.recommend_many([["x"]], topn=3) == [[("c", 4.0), ("b", 2.0), ("a", 1.0)]]
    assert model.recommend_many([["c"]], topn=2, exclude=[["b"]]) == [[("a", 1.0), ("d", 1.0)]]
    assert model.recommend_many([["a", "b", "c", "d"]], topn=2) == [[]]


def test_item_knn_sums_cosines_to_the_last_items_of_the_history():
    histories = [["a", "b"], ["a", "b", "c"], ["c", "d"], ["a", "d"], ["e"], ["d", "c"]]
    X = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [0, 0, 1, 1, 0], [1, 0, 0, 1, 0],
                  [0, 0, 0, 0, 1], [0, 0, 1, 1, 0]], dtype=float)
    unit = X / np.linalg.norm(X, axis=0)
    cosine = unit.T @ unit  # items a..e
    model = ItemKNN(history=2).fit(histories)
    found = model.recommend_many([["e", "a", "c"]], topn=4)[0]
    # Only the last two items (a, c) make the query; e, a, c themselves are excluded.
    expected = {item: cosine[[0, 2], j].sum() for j, item in enumerate("abcde")}
    assert [item for item, _ in found] == ["b", "d"]  # e's only neighbour is itself
    for item, score in found:
        assert score == pytest.approx(expected[item], abs=1e-8)
    # The last item alone (c) puts d first: c shares more of d's users than of b's.
    assert [item for item, _ in ItemKNN(history=1).fit(histories)
            .recommend_many([["e", "a", "c"]], topn=2)[0]] == ["d", "b"]
    assert cosine[2, 3] > cosine[2, 1]


def test_item_knn_breaks_ties_by_popularity():
    model = ItemKNN().fit([["a", "q"], ["b"], ["b"], ["c"], ["c"], ["c"]])
    # Nothing shares a user with q but a: b and c tie at 0, and c has more users.
    assert [item for item, _ in model.recommend_many([["q"]], topn=3)[0]] == ["a", "c", "b"]


def direct_ease(X, lam):
    """EASE's B column by column: ridge regression of each item's column on the
    others' (penalty lam), the zero-diagonal least squares problem solved directly."""
    n = X.shape[1]
    B = np.zeros((n, n))
    for j in range(n):
        others = [k for k in range(n) if k != j]
        A = X[:, others]
        B[others, j] = np.linalg.solve(A.T @ A + lam * np.eye(n - 1), A.T @ X[:, j])
    return B


@pytest.mark.parametrize("lam", [0.5, 3.0, 100.0])
def test_ease_closed_form_matches_a_direct_solve(lam):
    rng = np.random.default_rng(4)
    X = (rng.random((12, 6)) < 0.4).astype(float)
    B = ease_weights(sparse.csr_matrix(X), lam)
    assert np.allclose(np.diag(B), 0)
    assert np.allclose(B, direct_ease(X, lam), atol=1e-10)


def test_ease_recommends_by_its_weights_and_falls_back_to_the_popular_items():
    histories = [["a", "b"], ["a", "b", "c"], ["b", "c"], ["c", "d"], ["b", "c"]]
    model = EASE(lam=1.0).fit(histories)
    assert model.left_out_ == 0
    X = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 0], [0, 0, 1, 1], [0, 1, 1, 0]], float)
    scores = np.array([1, 0, 0, 0]) @ direct_ease(X, 1.0)
    found = model.recommend_many([["a"]], topn=3)[0]
    assert [item for item, _ in found] == [model.items_[j] for j in
                                           np.argsort(-scores[1:], kind="stable") + 1]
    small = EASE(lam=1.0, max_items=2).fit(histories)  # only b and c (the most popular)
    assert sorted(small.items_) == ["b", "c"] and small.left_out_ == 2
    assert [item for item, _ in small.recommend_many([["b"]], topn=3)[0]] == ["c"]
    with pytest.raises(SettingsError, match="lam"):
        EASE(lam=0).fit(histories)
    with pytest.raises(SettingsError, match="lam"):
        EASE(lam=float("nan")).fit(histories)


def test_baselines_refuse_to_fit_nothing_and_topn_must_be_whole():
    with pytest.raises(CorpusError, match="nothing to learn"):
        MostPopular().fit([[], []])
    with pytest.raises(SettingsError, match="topn"):
        MostPopular().fit([["a"]]).recommend_many([["a"]], topn=0)
    with pytest.raises(SettingsError, match="topn"):
        evaluate(MostPopular().fit([["a"]]), leave_last_out([["a", "b"]]), topn=2.5)


# --- everything together -----------------------------------------------------------------


def chain_sessions(users=300, items=40, length=12, seed=0):
    """Each user walks a cycle of items from a random start (i -> i+1), with
    one random detour: what comes next follows from what came last, which
    popularity cannot know."""
    rng = np.random.default_rng(seed)
    sessions = []
    for _ in range(users):
        start = rng.integers(items)
        walk = [f"i{(start + k) % items}" for k in range(length)]
        walk.insert(rng.integers(1, length - 2), f"i{rng.integers(items)}")
        sessions.append(list(dict.fromkeys(walk)))
    return sessions


def test_item2vec_and_knn_beat_popularity_on_sequences():
    split = leave_last_out(chain_sessions())
    methods = baselines(split)
    model = Item2Vec(dim=16, epochs=10, workers=1).train(split.train, progress=None)
    methods["item2vec"] = (model, model.training_seconds_, "")
    rows = {row.name.split(",")[0]: row.metrics for row in compare(split, methods, topn=3)}
    assert set(rows) == {"most popular", "item-kNN", "EASE", "item2vec"}
    assert rows["item2vec"].hit_rate > rows["most popular"].hit_rate + 0.3
    assert rows["item-kNN"].hit_rate > rows["most popular"].hit_rate + 0.3
    assert all(row.users == 300 for row in rows.values())


def test_held_out_seen_tells_a_model_trained_on_everything():
    sessions = chain_sessions(users=100)
    split = leave_last_out(sessions)
    honest = Item2Vec(dim=8, epochs=1).train(split.train, progress=None)
    leaky = Item2Vec(dim=8, epochs=1).train(sessions, progress=None)

    def counts(model):
        return dict(zip(model.vocab_.words, model.vocab_.counts.tolist()))
    assert held_out_seen(counts(honest), split) == (0, 100)
    assert held_out_seen(counts(leaky), split) == (100, 100)


@pytest.mark.skipif(not (MOVIELENS / "u.data").exists(), reason="MovieLens-100K not present")
def test_baselines_on_movielens_agree_with_the_benchmarks_own_implementation():
    # benchmarks/results/movielens.md, by separate code (dense matrices): popularity
    # 0.0859, item-item cosine on the last 5 items 0.1644.
    data = read_interactions(MOVIELENS / "u.data", header=False,
                             columns=["user", "item", "rating", "timestamp"])
    split = leave_last_out(data)
    assert len(split.users) == 943
    rows = {row.name: row.metrics for row in compare(split, baselines(split), topn=10)}
    assert rows["most popular"].hit_rate == pytest.approx(0.0859, abs=0.001)
    assert rows["item-kNN, last 5"].hit_rate == pytest.approx(0.1644, abs=0.003)
    assert 0.05 < rows["EASE, lambda 500"].hit_rate < 0.5


# --- the command ---------------------------------------------------------------------------


def run_cli(*args, timeout=120):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """An interactions table of chain walks, rows shuffled, with timestamps."""
    rows = [(f"user{u}", item, 1000 + t) for u, walk in enumerate(chain_sessions(200))
            for t, item in enumerate(walk)]
    order = np.random.default_rng(1).permutation(len(rows))
    path = tmp_path_factory.mktemp("recs") / "interactions.csv"
    path.write_text("user,item,timestamp\n" + "".join(
        f"{rows[k][0]},{rows[k][1]},{rows[k][2]}\n" for k in order))
    return path


def parse_table(stdout):
    """method -> (HR, NDCG, coverage %, users) from the command's table."""
    found = {}
    for line in stdout.splitlines():
        cells = line.rsplit(maxsplit=5)
        if len(cells) == 6 and cells[3].endswith("%"):
            found[cells[0].strip()] = (float(cells[1]), float(cells[2]),
                                       float(cells[3][:-1]), int(cells[4].replace(",", "")))
    return found


def test_cli_prints_the_four_methods_and_item2vec_learns_the_order(table):
    result = run_cli("evaluate-recs", table, "--workers", "1", "-q", "--ease-max-items", "10")
    assert result.returncode == 0, result.stderr
    assert "note: EASE, lambda 500 models only the 10 most popular of the 40 items" in result.stdout
    rows = parse_table(result.stdout)
    assert set(rows) == {"most popular", "item-kNN, last 5", "EASE, lambda 500",
                         "item2vec (defaults)"}, result.stdout
    assert all(users == 200 for *_, users in rows.values())
    assert rows["item2vec (defaults)"][0] > rows["most popular"][0] + 0.3
    assert "200 users" in result.stdout and result.stderr == ""


def test_cli_refuses_a_model_trained_on_all_the_data_and_retrains_its_settings(table, tmp_path):
    model = tmp_path / "all.w2v"
    trained = run_cli("item2vec", table, "-o", model, "--dim", "8", "--epochs", "2",
                      "--workers", "1", "-q")
    assert trained.returncode == 0, trained.stderr
    refused = run_cli("evaluate-recs", table, "--model", model, "-q")
    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: ") and "has seen the held-out items" in refused.stderr
    assert "Traceback" not in refused.stderr and refused.stdout == ""
    retrained = run_cli("evaluate-recs", table, "--model", model, "--retrain", "--workers", "1",
                        "-q", "--topn", "5", "--holdout", "2")
    assert retrained.returncode == 0, retrained.stderr
    assert f"item2vec ({model}'s settings)" in parse_table(retrained.stdout)
    assert "HR@5" in retrained.stdout and "last 2 distinct items" in retrained.stdout


@pytest.mark.parametrize("args, message", [
    (["--retrain"], "--retrain needs --model"),
    (["--holdout", "50"], "no user has more than 50 distinct items"),
    (["--ease-lambda", "nan"], "not a finite number"),
    (["--topn", "0"], "0"),
    (["--model", "missing.w2v"], "missing.w2v"),
    (["--ease-max-items", "0"], "0"),
])
def test_cli_mistakes_are_one_error_line(table, args, message):
    result = run_cli("evaluate-recs", table, "-q", *args)
    assert result.returncode in (1, 2), result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_cli_refuses_a_model_that_knows_none_of_the_items_and_a_closed_stdout(table, tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("the cat sat on the mat\n" * 50)
    model = tmp_path / "words.w2v"
    assert run_cli("train", words, "-o", model, "--min-count", "1", "--epochs", "1",
                   "-q").returncode == 0
    result = run_cli("evaluate-recs", table, "--model", model, "-q")
    assert result.returncode == 1 and "knows none of the 40 items" in result.stderr
    assert "is a word model" in result.stderr
    closed = subprocess.run([*CLI, "evaluate-recs", str(table), "-q"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, timeout=60,
                            preexec_fn=lambda: os.close(1))
    assert closed.returncode == 1 and "standard output is closed" in closed.stderr


def test_cli_on_an_empty_or_missing_input_is_an_error(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    for path in (empty, tmp_path / "nope.csv"):
        result = run_cli("evaluate-recs", path, "-q")
        assert result.returncode == 1 and result.stderr.startswith("Error: "), result.stderr
