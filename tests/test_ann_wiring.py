"""The approximate index in use: loaded beside a model by ``w2v.load``, asked by
``recommend`` and ``most_similar``, dropped when the model it indexes is saved
over, and never in the way of rebuilding it."""

import shutil
import subprocess
import sys

import numpy as np
import pytest

import w2v
from w2v import Item2Vec, SettingsError, Word2Vec
from w2v.ann import VectorIndex, index_paths, save_index_beside

usearch = pytest.importorskip("usearch.index", reason="usearch is not installed (w2v[ann])")

TIMEOUT = 120
CLI = [sys.executable, "-c", "from w2v_cli.main import main; main()"]


def sessions(users=200, items=300, length=12, seed=0):
    """Sessions that walk a ring of items: neighbours on the ring go together."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(items, size=users)
    return [[f"i{(s + k + rng.integers(3)) % items}" for k in range(length)] for s in starts]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A saved item model with both of its indexes beside it."""
    path = tmp_path_factory.mktemp("m") / "items.w2v"
    model = Item2Vec(dim=16, epochs=5, seed=3).train(sessions(), progress=None)
    model.save(path)
    build_indexes(model, path)
    return path


def build_indexes(model, path):
    save_index_beside(path, VectorIndex.build(model.wv.vectors, "cosine", threads=1))
    save_index_beside(path, VectorIndex.build(model.W_out_, "ip", threads=1))


def index_files(path):
    return [p for metric in ("cosine", "ip") for p in index_paths(path, metric) if p.exists()]


HISTORIES = [["i1", "i2", "i3"], ["i100"], ["i250", "i7", "i251", "i252"], ["unknown"]]


@pytest.mark.parametrize("score", ["context", "cosine"])
def test_index_answers_as_exact_search_does(indexed, score):
    model = w2v.load(indexed)
    exclude = [["i4", "i5"], [], ["i253"], []]
    exact = model.recommend_many(HISTORIES, topn=10, exclude=exclude, score=score, exact=True)
    approximate = model.recommend_many(HISTORIES, topn=10, exclude=exclude, score=score,
                                       exact=False)
    for mine, truth in zip(approximate, exact):
        assert [item for item, _ in mine] == [item for item, _ in truth]
        assert np.allclose([s for _, s in mine], [s for _, s in truth], atol=1e-5)
    for found, history, banned in zip(approximate, HISTORIES, exclude):
        assert not {item for item, _ in found} & (set(history) | set(banned))
    assert approximate[-1] == []  # no known item, no recommendations


def test_most_similar_uses_the_loaded_index(indexed):
    kv = w2v.load(indexed).wv
    assert kv.ann_index is not None
    approximate, exact = (kv.most_similar("i10", topn=5, exact=e) for e in (False, True))
    assert [w for w, _ in approximate] == [w for w, _ in exact]
    assert np.allclose([s for _, s in approximate], [s for _, s in exact], atol=1e-5)
    assert w2v.load_vectors(indexed).ann_index is not None


def test_loading_without_the_index(indexed):
    for model in (Word2Vec.load(indexed), w2v.load(indexed, index=False)):
        assert model.wv.ann_index is None
        with pytest.raises(SettingsError, match="needs an approximate index"):
            model.recommend(["i1"], exact=False)
        assert model.recommend(["i1"], topn=3)  # exact search still answers


def test_an_index_does_not_outlive_more_training(indexed, tmp_path):
    model = w2v.load(indexed)
    model.train(sessions(seed=1), epochs=1, progress=None)
    with pytest.raises(SettingsError, match="needs an approximate index"):
        model.recommend(["i1"], exact=False)


def test_saving_new_vectors_drops_the_old_index_and_keeps_a_current_one(indexed, tmp_path):
    path = tmp_path / "items.w2v"
    for source in [indexed, *index_files(indexed)]:
        shutil.copy(source, tmp_path / source.name)
    assert len(index_files(path)) == 4

    w2v.load(path).save(path)  # the same vectors: the index still fits them
    assert len(index_files(path)) == 4
    assert w2v.load(path).wv.ann_index is not None

    retrained = Item2Vec(dim=16, epochs=2, seed=9).train(sessions(seed=2), progress=None)
    retrained.save(path)
    assert index_files(path) == []
    assert w2v.load(path).wv.ann_index is None


def test_a_stale_index_is_not_used_on_load_and_rebuilt_by_the_command(indexed, tmp_path):
    path = tmp_path / "items.w2v"
    for source in index_files(indexed):
        shutil.copy(source, tmp_path / source.name)
    # A model put in place by hand (not by save), beside an index of other vectors.
    Item2Vec(dim=16, epochs=2, seed=9).train(sessions(seed=2), progress=None).save(
        tmp_path / "other.w2v")
    shutil.copy(tmp_path / "other.w2v", path)
    with pytest.warns(UserWarning, match="cannot be used: it indexes.*queries are exact"):
        loaded = w2v.load(path)
    assert loaded.wv.ann_index is None and loaded._recs_index is None
    assert loaded.recommend(["i1", "i2"], topn=3) == loaded.recommend(["i1", "i2"], topn=3,
                                                                       exact=True)
    done = subprocess.run([*CLI, "index", str(path), "-q"],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert w2v.load(path).wv.ann_index is not None


def test_recommend_command_reads_the_index(indexed):
    done = subprocess.run([*CLI, "recommend", "i1", "i2", "-m",
                           str(indexed), "--topn", "3"], capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    exact = w2v.load(indexed).recommend(["i1", "i2"], topn=3, exact=True)
    assert all(item in done.stdout for item, _ in exact)


def test_saving_beside_what_cannot_be_deleted_warns_and_keeps_the_model(tmp_path):
    path = tmp_path / "items.w2v"
    graph, meta = index_paths(path, "ip")
    meta.mkdir()  # not an index: a folder where its description would be
    graph.write_bytes(b"old graph")
    model = Item2Vec(dim=8, epochs=1, seed=1).train(sessions(users=20), progress=None)
    with pytest.warns(UserWarning, match="could not be deleted"):
        model.save(path)
    assert not graph.exists() and meta.is_dir()
    assert Word2Vec.load(path).vocab_.words == model.vocab_.words
    with pytest.warns(UserWarning, match="cannot be used"):
        assert w2v.load(path).wv.ann_index is None


def test_an_index_whose_description_names_the_other_metric_is_refused(indexed, tmp_path):
    path = tmp_path / "items.w2v"
    for source in [indexed, *index_files(indexed)]:
        shutil.copy(source, tmp_path / source.name)
    _, meta = index_paths(path, "ip")
    meta.write_text(meta.read_text().replace('"metric": "ip"', '"metric": "cosine"'))
    with pytest.warns(UserWarning, match="a cosine index where an ip one belongs"):
        w2v.load(path)


def test_a_damaged_index_beside_a_small_model_does_not_stop_its_queries(tmp_path):
    # The model is fine and too small for queries to use an index: a bad cache beside
    # it must not turn every query into an error.
    path = tmp_path / "m.w2v"
    Word2Vec(dim=8, epochs=1, min_count=1, sample=0, seed=1).train(
        [["a", "b", "c", "d"]] * 50, progress=None).save(path)
    graph, meta = index_paths(path, "cosine")
    graph.write_bytes(b"garbage")
    meta.write_text("{not json")
    done = subprocess.run([*CLI, "similar", "a", "-m", str(path)], capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    assert "cannot be used" in done.stderr and "queries are exact" in done.stderr
    assert "Traceback" not in done.stderr and "b" in done.stdout
