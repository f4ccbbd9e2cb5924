"""The approximate index (w2v/ann.py): recall against exact search, exclusions,
its files beside a model and what loading them refuses, and KeyedVectors'
use of it."""

import hashlib
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy import sparse

import w2v
import w2v.ann as ann
from w2v import KeyedVectors, ModelFormatError, SettingsError
from w2v.ann import VectorIndex, index_paths, load_index_beside, save_index_beside
from w2v.topk import top_k


def _have_usearch() -> bool:
    try:
        import usearch.index  # noqa: F401
    except ImportError:
        return False
    return True


# usearch is optional: without it only the test of its absence runs.
needs_usearch = pytest.mark.skipif(not _have_usearch(),
                                   reason="usearch is not installed (pip install 'w2v[ann]')")

TIMEOUT = 120


def clustered(n=5000, dim=16, clusters=50, spread=0.3, seed=0):
    """Rows around random centres: a neighbour structure, as real vectors have."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    rows = centres[rng.integers(clusters, size=n)] + spread * rng.standard_normal((n, dim))
    return rows.astype(np.float32)


def exact_top(vectors, queries, k, metric="cosine", exclude=None):
    if metric == "cosine":
        vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    scores = queries @ vectors.T
    for q, banned in enumerate(exclude or []):
        scores[q, list(banned)] = -np.inf
    best = top_k(scores, k)
    return best, np.take_along_axis(scores, best, axis=1)


def recall(found, truth):
    return np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, truth)])


@pytest.fixture(scope="module")
def vectors():
    return clustered()


@pytest.fixture(scope="module")
def cosine_index(vectors):
    return VectorIndex.build(vectors, "cosine", threads=2)


def saved(index, tmp_path, name="m.w2v"):
    return save_index_beside(tmp_path / name, index)


# --- answers ----------------------------------------------------------------------------

@needs_usearch
def test_cosine_recall_and_exact_scores(vectors, cosine_index):
    queries = clustered(200, seed=1)
    ids, scores = cosine_index.search(queries, 10)
    truth, _ = exact_top(vectors, queries, 10)
    assert recall(ids, truth) >= 0.95
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    unit_queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    true_scores = np.einsum("bd,bkd->bk", unit_queries, unit[ids])
    np.testing.assert_allclose(scores, true_scores, rtol=1e-5, atol=1e-6)
    assert (np.diff(scores, axis=1) <= 0).all()  # best first


@needs_usearch
def test_inner_product_recall_with_rows_of_unequal_length():
    rng = np.random.default_rng(3)
    rows = clustered(seed=2) * rng.lognormal(0, 0.5, (5000, 1)).astype(np.float32)
    index = VectorIndex.build(rows, "ip", threads=2)
    queries = rows[rng.integers(5000, size=(200, 5))].mean(axis=1)  # mean of a history
    ids, scores = index.search(queries, 10)
    truth, _ = exact_top(rows, queries, 10, metric="ip")
    assert recall(ids, truth) >= 0.95
    np.testing.assert_allclose(scores, np.einsum("bd,bkd->bk", queries, rows[ids]), rtol=1e-5)


@needs_usearch
def test_exclusions_never_come_back_and_k_results_still_do(vectors, cosine_index):
    queries = vectors[:50]
    nearest, _ = exact_top(vectors, queries, 30)
    banned = [set(row) for row in nearest]  # each query's 30 best, itself among them
    ids, scores = cosine_index.search(queries, 10, exclude=banned)
    assert (ids >= 0).all() and np.isfinite(scores).all()
    assert not any(set(row) & b for row, b in zip(ids, banned))
    truth, _ = exact_top(vectors, queries, 10, exclude=banned)
    assert recall(ids, truth) >= 0.9
    as_matrix = sparse.lil_matrix((50, len(vectors)), dtype=bool)
    for q, b in enumerate(banned):
        as_matrix[q, sorted(b)] = True
    same_ids, _ = cosine_index.search(queries, 10, exclude=as_matrix.tocsr())
    np.testing.assert_array_equal(same_ids, ids)


@needs_usearch
def test_excluding_all_but_three_rows_returns_those_three(vectors, cosine_index):
    keep = {7, 4000, 123}
    banned = set(range(len(vectors))) - keep
    ids, scores = cosine_index.search(vectors[:1], 5, exclude=[banned])
    assert set(ids[0, :3]) == keep and (ids[0, 3:] == -1).all()
    assert np.isfinite(scores[0, :3]).all() and np.isneginf(scores[0, 3:]).all()


@needs_usearch
def test_more_wanted_than_rows_and_zero_queries():
    rows = clustered(40, dim=4, clusters=3)
    index = VectorIndex.build(rows, "cosine", threads=1)
    ids, _ = index.search(rows[:2], 100)
    assert sorted(ids[0, :40]) == list(range(40)) and (ids[:, 40:] == -1).all()
    ids, scores = index.search(np.zeros((1, 4)), 5)
    assert (ids == -1).all() and np.isneginf(scores).all()  # no direction, no neighbours


@needs_usearch
@pytest.mark.parametrize("call, message", [
    (lambda i: i.search(np.full((1, 16), np.nan), 5), "NaN"),
    (lambda i: i.search(np.ones((1, 15)), 5), "shape"),
    (lambda i: i.search(np.ones((1, 16)), 0), "k must be"),
    (lambda i: i.search(np.ones((1, 16)), 5, exclude=[{5000}]), "row 5000"),
    (lambda i: i.search(np.ones((1, 16)), 5, exclude=[{1}, {2}]), "1 queries but 2"),
    (lambda i: i.search(np.ones((1, 16)), 5, exclude=[["a"]]), "row numbers"),
])
def test_bad_queries_are_named(cosine_index, call, message):
    with pytest.raises(SettingsError, match=message):
        call(cosine_index)


@needs_usearch
@pytest.mark.parametrize("rows, metric, message", [
    (np.full((3, 2), np.nan, dtype=np.float32), "cosine", "row 0 holds NaN"),
    (np.zeros((0, 4), dtype=np.float32), "cosine", "non-empty"),
    (np.ones(4, dtype=np.float32), "cosine", "non-empty"),
    (np.ones((3, 2), dtype=np.float32), "l2", "metric must be"),
])
def test_build_refuses_what_it_cannot_index(rows, metric, message):
    with pytest.raises(SettingsError, match=message):
        VectorIndex.build(rows, metric)


@needs_usearch
def test_single_thread_builds_are_reproducible(tmp_path):
    rows = clustered(2000, dim=8)
    first = save_index_beside(tmp_path / "a", VectorIndex.build(rows, threads=1))
    second = save_index_beside(tmp_path / "b", VectorIndex.build(rows, threads=1))
    assert first.read_bytes() == second.read_bytes()


# --- files ----------------------------------------------------------------------------------

@needs_usearch
def test_save_and_load_give_the_same_answers(vectors, cosine_index, tmp_path):
    path = saved(cosine_index, tmp_path)
    assert path == tmp_path / "m.w2v.cosine.ann" and index_paths(tmp_path / "m.w2v")[0] == path
    meta = json.loads((tmp_path / "m.w2v.cosine.ann.json").read_text())
    assert meta["rows"] == len(vectors) and meta["bytes"] == path.stat().st_size
    # The vectors stay in the model: the file is usearch's less its matrix.
    assert path.stat().st_size == len(cosine_index._graph.save()) - 8 - vectors.nbytes
    loaded = load_index_beside(tmp_path / "m.w2v", vectors)
    queries, banned = vectors[100:160], [{q} for q in range(100, 160)]
    for got, want in zip(loaded.search(queries, 10, exclude=banned),
                         cosine_index.search(queries, 10, exclude=banned)):
        np.testing.assert_array_equal(got, want)
    assert loaded.expansion_search == cosine_index.expansion_search


@needs_usearch
def test_no_index_beside_a_model_is_none(vectors, tmp_path):
    assert load_index_beside(tmp_path / "m.w2v", vectors) is None


@needs_usearch
def test_an_index_of_other_vectors_is_refused(vectors, cosine_index, tmp_path):
    saved(cosine_index, tmp_path)
    retrained = vectors.copy()
    retrained[17, 3] += 1e-3
    with pytest.raises(ModelFormatError, match="built from other vectors.*w2v index .*m.w2v"):
        load_index_beside(tmp_path / "m.w2v", retrained)
    with pytest.raises(ModelFormatError, match="indexes 5000 x 16 vectors, but the model has 4999"):
        load_index_beside(tmp_path / "m.w2v", vectors[:-1])


def rewrite(path, data, keep_checksum=False):
    """Replace the graph file; unless ``keep_checksum``, describe the new bytes
    in its JSON as a forger would, so that only the structure checks stand."""
    path.write_bytes(bytes(data))
    if not keep_checksum:
        meta_path = path.with_name(path.name + ".json")
        meta = json.loads(meta_path.read_text())
        meta.update(bytes=len(data), sha256=hashlib.sha256(bytes(data)).hexdigest())
        meta_path.write_text(json.dumps(meta))


def first_record(rows):
    return 64 + 40 + 2 * rows  # usearch's head, the graph header, the level table


@needs_usearch
@pytest.mark.parametrize("damage, message", [
    (lambda data, meta: data[:len(data) // 2], "holds .* bytes, its description says"),
    (lambda data, meta: data[:5], "holds 5 bytes"),
    (lambda data, meta: data[:-100] + bytes([data[-100] ^ 4]) + data[-99:],
     "checksum does not match"),
])
def test_a_truncated_or_damaged_file_is_refused(vectors, cosine_index, tmp_path, damage, message):
    path = saved(cosine_index, tmp_path)
    meta = json.loads((tmp_path / "m.w2v.cosine.ann.json").read_text())
    rewrite(path, damage(path.read_bytes(), meta), keep_checksum=True)
    with pytest.raises(ModelFormatError, match=message):
        load_index_beside(tmp_path / "m.w2v", vectors)


def neighbour_out_of_range(data, rows):
    at = first_record(rows) + 10 + 4  # the first level-0 neighbour slot of row record 0
    data[at:at + 4] = (rows + 5).to_bytes(4, "little")
    return data


@needs_usearch
@pytest.mark.parametrize("forge, message", [
    (lambda data, rows: b"not an index at all" + bytes(len(data) - 19), "not a usearch graph"),
    (lambda data, rows: data[:7] + b"\x09\x00" + data[9:], "usearch 9.x"),
    (lambda data, rows: data[:25] + (99).to_bytes(8, "little") + data[33:], "99 deleted"),
    (neighbour_out_of_range, "a neighbour is not a row"),
    (lambda data, rows: data + bytes(64), "its levels need"),
])
def test_a_forged_file_with_a_good_checksum_is_refused(vectors, cosine_index, tmp_path, forge,
                                                       message):
    path = saved(cosine_index, tmp_path)
    rewrite(path, forge(bytearray(path.read_bytes()), len(vectors)))
    with pytest.raises(ModelFormatError, match=message):
        load_index_beside(tmp_path / "m.w2v", vectors)


@needs_usearch
@pytest.mark.parametrize("edit, message", [
    (lambda meta: "{not json", "not valid JSON"),
    (lambda meta: json.dumps(dict(meta, format="other")), "does not describe a w2v index"),
    (lambda meta: json.dumps(dict(meta, version=2)), "format version 2"),
    (lambda meta: json.dumps(dict(meta, rows="5000")), "no valid 'rows'"),
    (lambda meta: json.dumps(dict(meta, metric="l2")), "unknown metric"),
    (lambda meta: json.dumps(dict(meta, connectivity=100000)), "out of range"),
    (lambda meta: " " * (ann.MAX_META_BYTES + 1), "larger than"),
])
def test_a_bad_description_is_refused(vectors, cosine_index, tmp_path, edit, message):
    saved(cosine_index, tmp_path)
    meta_path = tmp_path / "m.w2v.cosine.ann.json"
    meta_path.write_text(edit(json.loads(meta_path.read_text())))
    with pytest.raises(ModelFormatError, match=message):
        load_index_beside(tmp_path / "m.w2v", vectors)


@needs_usearch
def test_a_graph_without_its_description_is_refused(vectors, cosine_index, tmp_path):
    saved(cosine_index, tmp_path)
    (tmp_path / "m.w2v.cosine.ann.json").unlink()
    with pytest.raises(ModelFormatError, match="description m.w2v.cosine.ann.json is missing"):
        load_index_beside(tmp_path / "m.w2v", vectors)


@needs_usearch
def test_a_file_written_by_usearch_itself_is_refused(vectors, cosine_index, tmp_path):
    path = saved(cosine_index, tmp_path)
    rewrite(path, cosine_index._graph.save())  # with the vectors in front: not our layout
    with pytest.raises(ModelFormatError):
        load_index_beside(tmp_path / "m.w2v", vectors)


@needs_usearch
def test_random_damage_never_crashes_the_process(tmp_path):
    """Bit flips, overwritten words and truncations, each described with a
    matching checksum: every load must give an index that answers or a
    ModelFormatError. Run in a child, so that a crash fails the test."""
    script = textwrap.dedent(f"""
        import hashlib, json, sys
        import numpy as np
        from w2v.ann import VectorIndex
        from w2v.errors import ModelFormatError
        rng = np.random.default_rng(5)
        rows = rng.standard_normal((1500, 8)).astype(np.float32)
        path = {str(tmp_path / "f.ann")!r}
        VectorIndex.build(rows, "ip", threads=2).save(path)
        good, meta = open(path, "rb").read(), json.load(open(path + ".json"))
        refused = 0
        for trial in range(150):
            data = bytearray(good)
            kind = trial % 3
            if kind == 0:
                for _ in range(3):
                    data[rng.integers(len(data))] ^= 1 << int(rng.integers(8))
            elif kind == 1:
                at = int(rng.integers(len(data) - 8))
                data[at:at + 8] = int(rng.integers(2**63)).to_bytes(8, "little")
            else:
                data = data[:int(rng.integers(len(data)))]
            open(path, "wb").write(data)
            json.dump(dict(meta, bytes=len(data), sha256=hashlib.sha256(data).hexdigest()),
                      open(path + ".json", "w"))
            try:
                VectorIndex.load(path, rows).search(rows[:20], 10, exclude=[{{0}}] * 20)
            except ModelFormatError:
                refused += 1
        print(refused)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 50 <= int(done.stdout) <= 150  # most damage is caught; the rest is harmless


# --- without usearch ---------------------------------------------------------------------

def test_missing_library_is_a_clear_error(monkeypatch, tmp_path):
    vectors = clustered(100, dim=4)
    for path in index_paths(tmp_path / "m.w2v"):
        path.write_bytes(b"an index from a machine that has usearch")
    monkeypatch.setitem(sys.modules, "usearch", None)
    monkeypatch.setitem(sys.modules, "usearch.index", None)
    with pytest.raises(ann.MissingDependencyError, match=r"pip install 'w2v\[ann\]'") as caught:
        VectorIndex.build(vectors)
    assert isinstance(caught.value, (w2v.W2VError, ImportError))
    with pytest.warns(UserWarning, match="not used: .*queries are exact"):
        assert load_index_beside(tmp_path / "m.w2v", vectors) is None


# --- KeyedVectors ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def kv():
    rows = clustered(3000, dim=12, clusters=30, spread=0.05, seed=7)
    kv = KeyedVectors([f"w{i}" for i in range(len(rows))], rows)
    kv.build_index(threads=2)
    return kv


@needs_usearch
def test_most_similar_with_the_index_equals_exact(kv):
    for word in ("w0", "w17", "w2999"):
        approximate = kv.most_similar(word, topn=8, exact=False)
        exact = kv.most_similar(word, topn=8, exact=True)
        assert [w for w, _ in approximate] == [w for w, _ in exact]
        np.testing.assert_allclose([s for _, s in approximate], [s for _, s in exact], rtol=1e-5)
    analogy = dict(positive=["w1", "w2"], negative=["w3"], topn=5)
    assert [w for w, _ in kv.most_similar(**analogy, exact=False)] == \
        [w for w, _ in kv.most_similar(**analogy, exact=True)]
    vector = kv["w5"] + 0.01
    assert [w for w, _ in kv.similar_by_vector(vector, exact=False)] == \
        [w for w, _ in kv.similar_by_vector(vector, exact=True)]
    assert [[w for w, _ in found] for found in kv.neighbours(["w1", "w2"], topn=4, exact=False)] \
        == [[w for w, _ in found] for found in kv.neighbours(["w1", "w2"], topn=4, exact=True)]


@needs_usearch
def test_the_index_answers_by_default_only_for_large_vocabularies(kv, monkeypatch):
    asked = []
    search = kv.ann_index.search
    monkeypatch.setattr(kv.ann_index, "search", lambda *a, **k: asked.append(1) or search(*a, **k))
    kv.most_similar("w1")
    assert not asked  # 3,000 words: exact
    monkeypatch.setattr(ann, "INDEX_THRESHOLD", 1000)
    kv.most_similar("w1")
    kv.neighbours(["w1"])
    assert len(asked) == 2
    kv.most_similar("w1", restrict_vocab=100)
    kv.most_similar("w1", exact=True)
    assert len(asked) == 2


@needs_usearch
def test_exact_false_without_an_index_and_a_foreign_index(kv):
    plain = KeyedVectors(["a", "b"], np.eye(2, dtype=np.float32))
    with pytest.raises(SettingsError, match="build_index"):
        plain.most_similar("a", exact=False)
    with pytest.raises(ValueError, match="cannot answer cosine queries"):
        plain.ann_index = kv.ann_index
    assert plain.most_similar("a", topn=0, exact=None) == []


# --- w2v index ------------------------------------------------------------------------------

def run_cli(*args):
    return subprocess.run([sys.executable, "-c", "from w2v_cli.main import main; main()", *args],
                          capture_output=True, text=True, timeout=TIMEOUT)


@needs_usearch
def test_cli_index_builds_the_index_beside_the_model(tmp_path):
    rows = clustered(2000, dim=8)
    vectors_path = tmp_path / "v.bin"
    KeyedVectors([f"w{i}" for i in range(len(rows))], rows).save_word2vec_format(vectors_path,
                                                                                 binary=True)
    done = run_cli("index", str(vectors_path), "--threads", "1", "-q")
    assert done.returncode == 0, done.stderr
    assert "saved" in done.stdout and "v.bin.cosine.ann" in done.stdout
    index = load_index_beside(vectors_path, w2v.load_vectors(vectors_path).vectors)
    assert index.rows == 2000 and index.metric == "cosine"
    refused = run_cli("index", str(vectors_path), "--metric", "ip")
    assert refused.returncode == 2 and "not an item model" in refused.stderr
    missing = run_cli("index", str(tmp_path / "none.w2v"))
    assert missing.returncode == 1 and missing.stderr.startswith("Error:")
    assert "Traceback" not in missing.stderr


def test_ctrl_c_inside_usearch_is_an_interrupt():
    """usearch stops on Ctrl-C with RuntimeError('Operation has been
    terminated'); the CLI must see the KeyboardInterrupt it was."""
    def stopped(*args, **kwargs):
        raise RuntimeError("Operation has been terminated")

    with pytest.raises(KeyboardInterrupt):
        ann._interruptible(stopped)
    with pytest.raises(RuntimeError, match="other"):
        ann._interruptible(lambda: (_ for _ in ()).throw(RuntimeError("other")))
