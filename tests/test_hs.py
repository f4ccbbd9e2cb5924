"""Hierarchical softmax: the Huffman tree, the gradients of its loss, the
compiled kernels against the reference, and the wiring into training, model
files and the CLI (docs/derivation.md, section 11)."""

import heapq
import itertools

import numpy as np
import pytest

from w2v import huffman, kernels_hs, reference_hs, sgns
from w2v.sampling import alias_table, seed_state

V, D = 30, 8
NO_HOT_ROWS = np.empty((2, 0, D), np.float32)


# --- the tree -------------------------------------------------------------------

def huffman_cost(counts):
    """The optimal sum of count x code length, by the textbook heap algorithm."""
    if len(counts) < 2:
        return 0
    heap = list(counts)
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged  # every merge adds one bit to each word below it
        heapq.heappush(heap, merged)
    return cost


def code_strings(tree):
    return ["".join(map(str, tree.path(w)[1])) for w in range(len(tree.offsets) - 1)]


@pytest.mark.parametrize("seed", range(8))
def test_huffman_codes_are_prefix_free_and_optimal(seed):
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 50, size=int(rng.integers(2, 40)))
    if seed % 2:
        counts = np.sort(counts)[::-1]  # as a vocabulary holds them; unsorted works too
    tree = huffman.build_tree(counts)
    codes = code_strings(tree)
    assert all(codes)  # every word of a vocabulary of 2+ has a decision to make
    for a, b in itertools.permutations(codes, 2):
        assert not b.startswith(a), f"{a} is a prefix of {b}"
    assert int((tree.lengths * counts).sum()) == huffman_cost(counts)


def test_huffman_paths_are_inner_nodes_from_the_root():
    counts = np.array([40, 30, 10, 10, 5, 3, 2, 1, 1])
    tree = huffman.build_tree(counts)
    V = len(counts)
    assert tree.inner_nodes == V - 1
    assert tree.points.min() == 0 and tree.points.max() == V - 2
    for w in range(V):
        points, codes = tree.path(w)
        assert points[0] == 0  # the root
        assert (np.diff(points) > 0).all()  # nodes nearer the root have smaller numbers
        assert len(set(points.tolist())) == len(points)  # a path visits a node once
        assert set(codes.tolist()) <= {0, 1}
    # Every inner node is on some path, and two words sharing a node share the path above it.
    assert set(tree.points.tolist()) == set(range(V - 1))
    # The more frequent of two words never has the longer code.
    assert (np.diff(tree.lengths) >= 0).all()


def test_huffman_tree_is_deterministic_with_ties_and_follows_word_order():
    counts = np.array([5, 5, 5, 5, 5, 5, 5])
    first, again = huffman.build_tree(counts), huffman.build_tree(counts.copy())
    for name in ("offsets", "codes", "points"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    # An unsorted vocabulary gets the tree of its sorted counts, word by word.
    rng = np.random.default_rng(3)
    counts = rng.integers(1, 100, size=25)
    order = np.argsort(-counts, kind="stable")
    shuffled, ranked = huffman.build_tree(counts), huffman.build_tree(counts[order])
    for rank, word in enumerate(order):
        for a, b in zip(shuffled.path(word), ranked.path(rank)):
            np.testing.assert_array_equal(a, b)


def test_huffman_tree_of_one_and_two_words():
    one = huffman.build_tree([7])
    assert one.inner_nodes == 0 and len(one.codes) == 0
    two = huffman.build_tree([7, 3])
    # The rarer node is joined first (code 0), the second node joined takes code 1.
    assert code_strings(two) == ["1", "0"]
    assert two.points.tolist() == [0, 0]


# --- the loss and its gradients -------------------------------------------------

def test_hs_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    x, U = rng.normal(0, 1, D), rng.normal(0, 1, (5, D))
    codes = np.array([0, 1, 1, 0, 1])
    dx, dU = sgns.hs_gradients(x, U, codes)
    eps = 1e-6
    for i in range(D):
        e = np.zeros(D)
        e[i] = eps
        numeric = (sgns.hs_loss(x + e, U, codes) - sgns.hs_loss(x - e, U, codes)) / (2 * eps)
        assert dx[i] == pytest.approx(numeric, rel=1e-6, abs=1e-8)
    for j, i in itertools.product(range(5), range(D)):
        E = np.zeros_like(U)
        E[j, i] = eps
        numeric = (sgns.hs_loss(x, U + E, codes) - sgns.hs_loss(x, U - E, codes)) / (2 * eps)
        assert dU[j, i] == pytest.approx(numeric, rel=1e-6, abs=1e-8)


def test_hs_loss_is_a_softmax_over_the_leaves():
    # exp(-loss) is the probability of each word; over all words they sum to one (11.1).
    rng = np.random.default_rng(1)
    counts = rng.integers(1, 30, size=12)
    tree = huffman.build_tree(counts)
    W_hs, x = rng.normal(0, 1, (11, D)), rng.normal(0, 1, D)
    total = sum(np.exp(-sgns.hs_loss(x, W_hs[p], c)) for p, c in map(tree.path, range(12)))
    assert total == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("cbow", [False, True])
@pytest.mark.parametrize("negative", [False, True])
def test_hs_update_is_the_gradient_step(cbow, negative):
    rng = np.random.default_rng(2)
    W_in, W_out, W_hs = (rng.normal(0, 0.5, (n, D)) for n in (V, V, V - 1))
    points, codes = np.array([28, 5, 17]), np.array([1, 0, 1])
    targets, labels = np.array([3, 9, 11]), np.array([1.0, 0.0, 0.0])
    eta = 0.1
    context = np.array([4, 7, 7]) if cbow else 4
    x = W_in[context].mean(axis=0) if cbow else W_in[context]
    dx, dU = sgns.hs_gradients(x, W_hs[points], codes)
    if negative:
        dx_ns, dU_ns = sgns.skipgram_gradients(x, W_out[targets], labels)
        dx = dx + dx_ns
    new_in, new_out, new_hs = W_in.copy(), W_out.copy(), W_hs.copy()
    update = sgns.cbow_hs_update if cbow else sgns.skipgram_hs_update
    extra = (new_out, targets, labels) if negative else ()
    update(new_in, new_hs, context, points, codes, eta, *extra)
    np.testing.assert_allclose(new_hs[points], W_hs[points] - eta * dU, rtol=1e-12)
    untouched = np.setdiff1d(np.arange(V - 1), points)
    np.testing.assert_array_equal(new_hs[untouched], W_hs[untouched])
    if negative:
        np.testing.assert_allclose(new_out[targets], W_out[targets] - eta * dU_ns, rtol=1e-12)
    else:
        np.testing.assert_array_equal(new_out, W_out)
    if cbow:  # each occurrence of a context word takes the whole step (eq. 44)
        np.testing.assert_allclose(new_in[4], W_in[4] - eta * dx, rtol=1e-12)
        np.testing.assert_allclose(new_in[7], W_in[7] - 2 * eta * dx, rtol=1e-12)
    else:
        np.testing.assert_allclose(new_in[4], W_in[4] - eta * dx, rtol=1e-12)


# --- the kernels against the reference ------------------------------------------

def batch(seed, sentences=15):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 12, size=sentences)
    ids = rng.integers(0, V, size=lengths.sum()).astype(np.int32)
    ends = np.cumsum(lengths).astype(np.int64)
    keep = np.where(rng.random(V) < 0.3, rng.uniform(0.2, 0.9, V), 1.0).astype(np.float32)
    counts = np.sort(rng.integers(1, 1000, V))[::-1]
    accept, alias = alias_table(counts ** 0.75)
    W_in = rng.normal(0, 0.3, (V, D)).astype(np.float32)
    W_out = rng.normal(0, 0.3, (V, D)).astype(np.float32)
    W_hs = rng.normal(0, 0.3, (V - 1, D)).astype(np.float32)
    return ids, ends, keep, accept, alias, huffman.build_tree(counts), W_in, W_out, W_hs


@pytest.mark.parametrize("seed", [0, 1])
# Shared noise needs noise words: HS alone (negative 0) has none to share.
@pytest.mark.parametrize("mode, share_noise, negative", [
    ("skipgram", False, 0), ("skipgram", False, 3), ("skipgram", True, 3),
    ("cbow", False, 0), ("cbow", False, 3)])
@pytest.mark.parametrize("shrink", [True, False])
def test_hs_kernel_matches_reference(mode, share_noise, negative, seed, shrink):
    ids, ends, keep, accept, alias, tree, W_in, W_out, W_hs = batch(seed)
    window, eta_start, eta_end = 3, 0.1, 0.05
    fast = [W_in.copy(), W_out.copy(), W_hs.copy()]
    slow = [W_in.copy(), W_out.copy(), W_hs.copy()]
    fast_state, slow_state = seed_state(seed), seed_state(seed)
    data = (ids, ends, keep, accept, alias, window, shrink)
    kept, noise, dv, h = (np.empty(64, np.int32), np.empty((2 * window, negative), np.int64),
                          np.empty(D, np.float32), np.empty(D, np.float32))
    if mode == "skipgram":
        fast_loss, fast_pairs = kernels_hs.train_skipgram_hs(
            *fast, tree, *data, share_noise, eta_start, eta_end, fast_state, kept, noise, dv,
            NO_HOT_ROWS)
        slow_loss, slow_pairs = reference_hs.train_skipgram_hs(
            *slow, tree, *data, share_noise, negative, eta_start, eta_end, slow_state)
    else:
        fast_loss, fast_pairs = kernels_hs.train_cbow_hs(
            *fast, tree, *data, eta_start, eta_end, fast_state, kept, noise, dv, h, NO_HOT_ROWS)
        slow_loss, slow_pairs = reference_hs.train_cbow_hs(
            *slow, tree, *data, negative, eta_start, eta_end, slow_state)
    assert fast_state[0] == slow_state[0], "the kernel and the reference drew differently"
    assert fast_pairs == slow_pairs > 0
    assert fast_loss == pytest.approx(slow_loss, rel=1e-2)
    assert np.abs(fast[2] - W_hs).max() > 1e-3  # the tree's rows learned
    assert (np.abs(fast[1] - W_out).max() > 1e-3) == bool(negative)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-6)


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
@pytest.mark.parametrize("negative", [0, 3])
@pytest.mark.parametrize("hot", [1, 6, V - 1])
def test_private_tree_rows_change_nothing_for_a_single_thread(mode, negative, hot):
    # Long enough for several merges (every MERGE_WORDS words).
    ids, ends, keep, accept, alias, tree, W_in, W_out, W_hs = batch(4, sentences=6_000)
    assert len(ids) > 3 * kernels_hs.MERGE_WORDS
    window, eta_start, eta_end = 3, 0.02, 0.01
    results = []
    for hs_hot in (None, np.empty((2, hot, D), np.float32)):
        matrices = [W_in.copy(), W_out.copy(), W_hs.copy()]
        scratch = (seed_state(4), np.empty(64, np.int32), np.empty((2 * window, negative), np.int64),
                   np.empty(D, np.float32))
        data = (ids, ends, keep, accept, alias, window, True)
        hot_out = np.empty((2, 2, D), np.float32)  # and W_out's, merged under the same lock
        if mode == "skipgram":
            loss, pairs = kernels_hs.train_skipgram_hs(*matrices, tree, *data, False, eta_start,
                                                       eta_end, *scratch, hot_out, hs_hot)
        else:
            loss, pairs = kernels_hs.train_cbow_hs(*matrices, tree, *data, eta_start, eta_end,
                                                   *scratch, np.empty(D, np.float32), hot_out,
                                                   hs_hot)
        results.append((matrices, loss, pairs))
    (plain, loss_a, pairs_a), (private, loss_b, pairs_b) = results
    assert pairs_a == pairs_b and loss_b == pytest.approx(loss_a, rel=1e-4)
    assert np.abs(private[2][:hot] - W_hs[:hot]).max() > 1e-3  # the copies were merged back
    for a, b in zip(plain, private):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


def test_hs_kernel_refuses_a_tree_that_does_not_fit():
    ids, ends, keep, accept, alias, tree, W_in, W_out, W_hs = batch(0)
    args = (ids, ends, keep, accept, alias, 3, True, False, 0.1, 0.05, seed_state(0),
            np.empty(64, np.int32), np.empty((6, 0), np.int64), np.empty(D, np.float32),
            NO_HOT_ROWS)
    with pytest.raises(ValueError, match="W_hs has shape"):
        kernels_hs.train_skipgram_hs(W_in, W_out, W_hs[:-1], tree, *args)
    small = huffman.build_tree(np.arange(V - 1, 0, -1))  # a tree of V - 1 words
    with pytest.raises(ValueError, match="tree.offsets"):
        kernels_hs.train_skipgram_hs(W_in, W_out, W_hs, small, *args)
    with pytest.raises(ValueError, match="hot rows for"):
        kernels_hs.train_skipgram_hs(W_in, W_out, W_hs, tree, *args,
                                     np.empty((2, V, D), np.float32))


# --- training, model files, the command line ------------------------------------

import subprocess  # noqa: E402
import sys  # noqa: E402

import w2v  # noqa: E402
from w2v.errors import ModelFormatError, SettingsError  # noqa: E402

from conftest import rewrite_archive, topic_corpus  # noqa: E402


def topic_margin(model):
    """Mean cosine within a topic minus across the two topics."""
    kv = model.wv
    within = np.mean([kv.similarity(f"a{i}", f"a{j}") for i in range(5) for j in range(5, 10)])
    across = np.mean([kv.similarity(f"a{i}", f"b{j}") for i in range(5) for j in range(5, 10)])
    return within - across


@pytest.mark.parametrize("sg", [True, False])
@pytest.mark.parametrize("negative", [0, 3])
def test_hs_training_learns_the_topics(topics, sg, negative):
    model = w2v.Word2Vec(sg=sg, hs=True, negative=negative, dim=16, min_count=1, epochs=3,
                         sample=0, seed=3).train(topics, progress=None)
    assert model.W_hs_.shape == (len(model.vocab_) - 1, 16)
    assert np.abs(model.W_hs_).max() > 0.01
    assert (np.abs(model.W_out_).max() > 0) == bool(negative)  # negative 0: W_out untouched
    assert np.isfinite(model.loss_history_[:, 3]).all()
    assert topic_margin(model) > 0.3


def test_hs_single_worker_runs_are_reproducible(topics):
    runs = [w2v.Word2Vec(hs=True, negative=0, dim=8, min_count=1, epochs=1, seed=5)
            .train(topics, progress=None) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].W_in_, runs[1].W_in_)
    np.testing.assert_array_equal(runs[0].W_hs_, runs[1].W_hs_)


def test_hs_model_file_round_trip_and_continued_training(topics, tmp_path):
    model = w2v.Word2Vec(hs=True, negative=0, dim=8, min_count=1, epochs=1).train(
        topics, progress=None)
    path = tmp_path / "hs.w2v"
    model.save(path)
    loaded = w2v.load(path)
    assert loaded.hs and loaded.negative == 0
    np.testing.assert_array_equal(loaded.W_hs_, model.W_hs_)
    before = loaded.W_hs_.copy()
    loaded.train(topics, epochs=1, progress=None)  # goes on from the saved inner nodes
    assert np.abs(loaded.W_hs_ - before).max() > 0


def test_model_files_without_hs_load_as_before(topics, tmp_path):
    model = w2v.Word2Vec(dim=8, min_count=1, epochs=1).train(topics, progress=None)
    path = tmp_path / "ns.w2v"
    model.save(path)

    def without_hs(name, data):  # a file as w2v wrote it before hs existed
        if name == "meta.json":
            import json
            meta = json.loads(data)
            del meta["params"]["hs"]
            return json.dumps(meta)
        return data
    rewrite_archive(path, without_hs)
    loaded = w2v.load(path)
    assert loaded.hs is False and loaded.W_hs_ is None
    np.testing.assert_array_equal(loaded.W_in_, model.W_in_)


def test_hs_model_file_with_a_wrong_tree_matrix_is_refused(topics, tmp_path):
    model = w2v.Word2Vec(hs=True, dim=8, min_count=1, epochs=1).train(topics, progress=None)
    path, other = tmp_path / "hs.w2v", tmp_path / "other.w2v"
    model.save(path)
    w2v.Word2Vec(hs=True, dim=8, min_count=1, epochs=1).train(topics[:30] + [["x", "y"]],
                                                              progress=None).save(other)
    with pytest.raises(ModelFormatError, match="W_hs"):
        rewrite_archive(path, lambda name, data: data if name != "W_hs.npy" else None)
        w2v.load(path)
    model.save(path)

    def other_tree(name, data):
        import zipfile
        with zipfile.ZipFile(other) as archive:
            return archive.read("W_hs.npy") if name == "W_hs.npy" else data
    rewrite_archive(path, other_tree)
    assert len(w2v.load(other).vocab_) != len(model.vocab_)
    with pytest.raises(ModelFormatError, match="inner nodes"):
        w2v.load(path)


@pytest.mark.parametrize("params, message", [
    ({"negative": 0}, "negative must be >= 1 without hs"),
    ({"hs": 1}, "hs must be True or False"),
    ({"hs": True, "minibatch": True}, "hs cannot be combined with minibatch"),
    ({"hs": True, "negative": -1}, "negative must be"),
])
def test_output_layer_settings_are_checked(topics, params, message):
    with pytest.raises(SettingsError, match=message):
        w2v.Word2Vec(min_count=1, **params).train(topics, progress=None)


def test_hs_follows_a_vocabulary_update(topics):
    model = w2v.Word2Vec(hs=True, negative=0, dim=8, min_count=1, epochs=1).train(
        topics, progress=None)
    old = model.W_hs_.copy()
    more = [s + ["c1", "c2"] for s in topic_corpus(200, seed=4)]
    model.train(more, epochs=1, progress=None, update_vocab=True)
    assert model.W_hs_.shape == (len(model.vocab_) - 1, 8) and len(old) < len(model.W_hs_)


def run_cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-c", "from w2v_cli.main import main; main()", *args],
                          capture_output=True, text=True, timeout=timeout)


def test_cli_trains_hierarchical_softmax_alone(corpus_file, tmp_path):
    out = tmp_path / "hs.w2v"
    result = run_cli("train", str(corpus_file), "-o", str(out), "--hs", "--negative", "0",
                     "--dim", "8", "--min-count", "1", "--epochs", "1", "--workers", "2", "-q")
    assert result.returncode == 0, result.stderr
    model = w2v.load(out)
    assert model.hs and model.negative == 0 and model.W_hs_.any()


@pytest.mark.parametrize("args, message", [
    (["--negative", "0"], "--negative 0 trains nothing without --hs"),
    (["--hs", "--spark", "local[1]"], "--hs cannot be used with --spark"),
])
def test_cli_refuses_what_hs_cannot_do(corpus_file, tmp_path, args, message):
    result = run_cli("train", str(corpus_file), "-o", str(tmp_path / "x.w2v"), *args)
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0]


def test_cli_help_describes_hs():
    result = run_cli("train", "--help")
    assert "--hs" in result.stdout and "Hierarchical softmax" in result.stdout
