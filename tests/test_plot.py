"""Pictures (w2v/plot/ and the plot commands): each is rendered to a file and
read back; layouts are reproducible; user mistakes are clear errors."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import topic_corpus
from matplotlib.image import imread

import w2v
import w2v.plot
from w2v.plot import Layout, PlotError, UnknownWordsWarning
from w2v_cli.main import main

SMALL = dict(figsize=(6.0, 4.0), dpi=50)  # 300 x 200 pixels: quick to draw
TOPIC_A = [f"a{i}" for i in range(10)]
TOPIC_B = [f"b{i}" for i in range(10)]


@pytest.fixture(scope="module")
def model():
    # Small batches: the loss history gets a point per batch.
    return w2v.Word2Vec(dim=16, min_count=1, epochs=5, workers=1, batch_words=1000).train(
        topic_corpus(800), progress=None)


@pytest.fixture(scope="module")
def model_file(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("plot") / "topics.w2v"
    model.save(path)
    return path


def assert_picture(path, width, height):
    """A PNG of ``width`` x ``height`` pixels with something drawn on it."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.shape[:2] == (height, width)
    pixels = image[..., :3].reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 20  # not a single colour, not a few
    assert (pixels < 0.8).any(axis=1).mean() > 0.002  # ink, not a blank page


# --- maps -------------------------------------------------------------------------------


def test_tsne_map_is_a_png_of_the_asked_size(model, tmp_path):
    words, groups = w2v.plot.neighbours(model.wv, ["a0", "b0"], topn=5)
    fig = w2v.plot.tsne(model.wv, words, groups=groups, path=tmp_path / "map.png", **SMALL)
    assert_picture(tmp_path / "map.png", 300, 200)
    assert fig.get_size_inches().tolist() == [6.0, 4.0]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["a0", "b0"]


def test_tsne_layout_is_reproducible_and_is_what_is_drawn(model):
    words = TOPIC_A + TOPIC_B
    first = w2v.plot.project(model, words, "tsne", seed=3)
    second = w2v.plot.project(model.wv, words, "tsne", seed=3)
    assert first.xy.shape == (20, 2) and np.isfinite(first.xy).all()
    np.testing.assert_array_equal(first.xy, second.xy)
    assert first.words == words
    assert first.description == "t-SNE of 20 words (perplexity 6.33, seed 3)"
    fig = w2v.plot.draw(first, **SMALL)
    np.testing.assert_allclose(fig.axes[0].collections[0].get_offsets(), first.xy)


@pytest.mark.parametrize("method", ["tsne", "pca"])
def test_map_keeps_topics_apart(model, method):
    layout = w2v.plot.project(model.wv, TOPIC_A + TOPIC_B, method)
    distance = np.linalg.norm(layout.xy[:, None] - layout.xy[None], axis=2)
    np.fill_diagonal(distance, np.inf)
    nearest = distance.argmin(axis=1)
    same_topic = [layout.words[i][0] == layout.words[j][0] for i, j in enumerate(nearest)]
    assert np.mean(same_topic) >= 0.9


def test_pca_map_writes_svg_and_pdf_by_extension(model, tmp_path):
    layout = w2v.plot.project(model.wv, TOPIC_A, "pca")
    assert layout.method == "PCA" and layout.axis_labels[0].startswith("PC1 (")
    w2v.plot.pca(model.wv, TOPIC_A, path=tmp_path / "map.svg", **SMALL)
    w2v.plot.pca(model.wv, TOPIC_A, path=tmp_path / "map.PDF", **SMALL)
    assert b"<svg" in (tmp_path / "map.svg").read_bytes()[:1000]
    assert (tmp_path / "map.PDF").read_bytes().startswith(b"%PDF")


def test_small_word_sets_work_with_a_lowered_perplexity(model):
    layout = w2v.plot.project(model.wv, ["a0", "b0", "a1"], "tsne", perplexity=30)
    assert layout.xy.shape == (3, 2) and "perplexity 1," in layout.settings
    assert w2v.plot.project(model.wv, ["a0", "b0"], "tsne").xy.shape == (2, 2)


def test_unknown_words_are_listed_and_the_rest_plotted(model):
    with pytest.warns(UnknownWordsWarning) as caught:
        layout = w2v.plot.project(model.wv, ["a0", "zebra", "b0", "a0", "yak", "b1"], "pca")
    assert caught[0].message.words == ["zebra", "yak"]
    assert str(caught[0].message) == "not in the vocabulary: zebra, yak"
    assert layout.words == ["a0", "b0", "b1"] and layout.missing == ["zebra", "yak"]


@pytest.mark.parametrize("words", [[], ["a0"], ["a0", "zebra"], ["a0", "a0"]])
def test_fewer_than_two_known_words_are_refused(model, words):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownWordsWarning)
        with pytest.raises(PlotError, match="at least 2 words"):
            w2v.plot.project(model.wv, words, "tsne")


def test_neighbours_groups_each_word_with_its_own_topic(model):
    words, groups = w2v.plot.neighbours(model.wv, ["a0", "b0", "zebra"], topn=4)
    assert len(words) == len(set(words)) == 1 + 4 + 1 + 4 + 1
    assert groups == ["a0"] * 5 + ["b0"] * 5 + ["zebra"]
    assert all(w.startswith("a") for w in words[1:5])
    assert all(w.startswith("b") for w in words[6:10])


def test_a_words_first_group_wins(model):
    layout = w2v.plot.project(model.wv, ["a0", "a1", "a1"], "pca", groups=["x", "x", "y"])
    assert layout.groups == ["x", "x"]


def test_labels_overlap_neither_each_other_nor_the_points(tmp_path):
    # 20 points in a clump far smaller than a label, and a few others spread out.
    rng = np.random.default_rng(0)
    xy = np.vstack([rng.normal(0, 0.01, (20, 2)), rng.uniform(-1, 1, (6, 2))])
    words = [f"word{i}" for i in range(len(xy))]
    fig = w2v.plot.draw(Layout(words, xy, None, [], "test", "clumped"), figsize=(6, 5), dpi=100)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    boxes = np.array([t.get_window_extent(renderer).extents for t in ax.texts])  # x0 y0 x1 y1
    x0, y0, x1, y1 = boxes.T + np.array([[0.5], [0.5], [-0.5], [-0.5]])  # a half-pixel slack
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            apart_x = x1[i] <= x0[j] or x1[j] <= x0[i]
            apart_y = y1[i] <= y0[j] or y1[j] <= y0[i]
            assert apart_x or apart_y, (words[i], words[j])
    points = ax.transData.transform(xy)
    inside = ((points[:, None, 0] > boxes[None, :, 0]) & (points[:, None, 0] < boxes[None, :, 2])
              & (points[:, None, 1] > boxes[None, :, 1]) & (points[:, None, 1] < boxes[None, :, 3]))
    assert not inside.any()
    axes_box = ax.get_window_extent(renderer)
    assert (boxes[:, :2] >= [axes_box.x0 - 1, axes_box.y0 - 1]).all()
    assert (boxes[:, 2:] <= [axes_box.x1 + 1, axes_box.y1 + 1]).all()


# --- analogies and training curves ---------------------------------------------------


def test_analogy_is_a_png_and_finds_the_answer(model, tmp_path):
    fig = w2v.plot.analogy(model.wv, "a1", "a0", "b0", path=tmp_path / "analogy.png", **SMALL)
    assert_picture(tmp_path / "analogy.png", 300, 200)
    best = model.wv.most_similar(positive=["a1", "b0"], negative=["a0"], topn=1)[0][0]
    title = fig.axes[0].get_title(loc="left")
    assert title.startswith(f"a1 − a0 + b0 ≈ {best}\n{best}: answer #1 ")
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_text()]  # arrows have none
    assert labels[:4] == ["a0", "a1", "b0", best]


def test_analogy_parallelogram_is_exact_in_its_plane(model):
    fig = w2v.plot.analogy(model, "a1", "a0", "b0", "b1", **SMALL)
    # The label anchors were moved; the points are in the first scatter and the cross.
    b, a, c, _ = fig.axes[0].collections[0].get_offsets()
    predicted = fig.axes[0].collections[1].get_offsets()[0]
    np.testing.assert_allclose(b, [0, 0], atol=1e-6)
    np.testing.assert_allclose(a[1], 0, atol=1e-6)
    np.testing.assert_allclose(predicted, a - b + c, atol=1e-5)


@pytest.mark.parametrize("words, message", [
    (("a1", "zebra", "b0", "yak"), "not in the vocabulary: zebra, yak"),
    (("a1", "a0", "a1"), "different words"),
])
def test_analogy_mistakes(model, words, message):
    with pytest.raises(PlotError, match=message):
        w2v.plot.analogy(model.wv, *words)


def test_loss_curve_is_a_png(model, tmp_path):
    fig = w2v.plot.loss(model, path=tmp_path / "loss.png", **SMALL)
    assert_picture(tmp_path / "loss.png", 300, 200)
    top, bottom = fig.axes[:2]
    np.testing.assert_allclose(top.lines[0].get_ydata(), model.loss_history_[:, 3])
    np.testing.assert_allclose(bottom.lines[0].get_ydata(), model.loss_history_[:, 2])
    assert "skip-gram, dim 16, 5 epochs" in top.get_title(loc="left")


def test_loss_needs_a_history(model):
    untrained = w2v.Word2Vec(dim=8, min_count=1).build_vocab(topic_corpus(10))
    with pytest.raises(PlotError, match="no loss history"):
        w2v.plot.loss(untrained)
    with pytest.raises(PlotError, match="word vectors alone"):
        w2v.plot.loss(model.wv)


# --- output paths ----------------------------------------------------------------------


@pytest.mark.parametrize("name, message", [
    ("missing/map.png", "missing does not exist"),
    ("folder", "it is a folder"),
    ("file.txt/map.png", "file.txt is not a folder"),
    ("map", "end the name with .png, .svg or .pdf"),
    ("map.docx", "end the name with .png, .svg or .pdf"),
])
def test_unwritable_outputs_fail_before_any_work(model, tmp_path, name, message):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownWordsWarning)  # project() would warn of "zebra"
        with pytest.raises(PlotError, match=message):
            w2v.plot.tsne(model.wv, ["a0", "b0", "zebra"], path=tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "folder"]


def test_a_failed_save_leaves_no_file(model, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    fig = w2v.plot.draw(w2v.plot.project(model.wv, TOPIC_A, "pca"), **SMALL)
    monkeypatch.setattr(type(fig), "savefig", refuse)
    with pytest.raises(PlotError, match="cannot write .*map.png: Permission denied"):
        w2v.plot.pca(model.wv, TOPIC_A, path=tmp_path / "map.png", **SMALL)
    assert list(tmp_path.iterdir()) == []


def test_importing_w2v_does_not_import_matplotlib():
    code = "import sys, w2v, w2v.plot; print(sorted({'matplotlib', 'sklearn'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the commands --------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def test_plot_command_warns_about_unknown_words_and_draws_the_rest(model, model_file, tmp_path):
    out = tmp_path / "map.png"
    result = run("plot", model_file, "--neighbours", "a0,b0", "--words", "zebra b5", "-o", out,
                 "--size", "4x3", "--dpi", "50", "--n-neighbours", "3")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == "warning: not in the vocabulary: zebra"
    near, _ = w2v.plot.neighbours(model.wv, ["a0", "b0"], topn=3)
    assert f"t-SNE of {len(set(near) | {'b5'})} words" in result.stderr
    assert_picture(out, 200, 150)


def test_plot_command_reads_a_words_file_and_the_top_words(model, model_file, tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("# topic a\na0, a1\na2 a3\n")
    out = tmp_path / "map.svg"
    result = run("plot", model_file, "--words-file", words, "--top", "3", "--method", "pca",
                 "-o", out, "--size", "4x3")
    assert result.exit_code == 0, result.output
    expected = len({"a0", "a1", "a2", "a3"} | set(model.wv.index_to_key[:3]))
    assert f"PCA of {expected} words" in result.stderr
    assert out.read_bytes().lstrip().startswith(b"<?xml")


def test_plot_analogy_and_plot_loss_commands(model_file, tmp_path):
    result = run("plot-analogy", model_file, "a1", "a0", "b0", "-o", tmp_path / "a.png",
                 "--size", "4x3", "--dpi", "50")
    assert result.exit_code == 0, result.output
    assert_picture(tmp_path / "a.png", 200, 150)
    result = run("plot-loss", model_file, "-o", tmp_path / "l.png", "--size", "4x3", "--dpi", "50")
    assert result.exit_code == 0, result.output
    assert_picture(tmp_path / "l.png", 200, 150)


@pytest.mark.parametrize("args, message", [
    (["plot", "{model}", "--words", "a0,zebra", "-o", "{tmp}/m.png"], "at least 2 words"),
    (["plot", "{model}", "-o", "{tmp}/missing/m.png"], "does not exist"),
    (["plot", "{model}", "--words-file", "{tmp}/none.txt", "-o", "{tmp}/m.png"],
     "no such words file"),
    (["plot-analogy", "{model}", "a1", "a0", "zebra", "-o", "{tmp}/a.png"],
     "not in the vocabulary"),
    (["plot-loss", "{tmp}/none.w2v", "-o", "{tmp}/l.png"], "no such model file"),
])
def test_plot_command_mistakes_are_one_line(model_file, tmp_path, args, message):
    result = run(*[a.format(model=model_file, tmp=tmp_path) for a in args])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: ") and message in lines[-1], lines
    assert "Traceback" not in result.output


def test_plot_commands_take_vector_files_where_vectors_suffice(model, tmp_path):
    kv = model.wv
    text = tmp_path / "vectors.txt"  # word2vec's text format, written by hand
    text.write_text(f"{len(kv)} {kv.vector_size}\n" + "".join(
        word + " " + " ".join(f"{x:.6f}" for x in kv[word]) + "\n" for word in kv.index_to_key))
    result = run("plot", text, "--words", "a0,a1,b0", "-o", tmp_path / "m.png", "--size", "4x3")
    assert result.exit_code == 0, result.output
    result = run("plot-analogy", text, "a1", "a0", "b0", "-o", tmp_path / "a.png")
    assert result.exit_code == 0, result.output
    result = run("plot-loss", text, "-o", tmp_path / "l.png")
    assert result.exit_code == 1 and "no loss history" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "m.png", "vectors.txt"]
