"""Pictures (w2v/plot/ and the plot commands): each is rendered to a file and
read back; layouts are reproducible; user mistakes are clear errors."""

import copy
import os
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import topic_corpus
from matplotlib.image import imread

import w2v
import w2v.plot
from w2v.errors import OutputError, SettingsError, W2VError
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
    ("map", "cannot tell the picture format from the name; end the name with one of .png, .svg, "
            ".pdf"),
    ("map.docx", "cannot tell the picture format"),
])
def test_unwritable_outputs_fail_before_any_work(model, tmp_path, name, message):
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownWordsWarning)  # project() would warn of "zebra"
        with pytest.raises(W2VError, match=re.escape(message)):
            w2v.plot.tsne(model.wv, ["a0", "b0", "zebra"], path=tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "folder"]


def test_a_failed_save_leaves_no_file(model, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    fig = w2v.plot.draw(w2v.plot.project(model.wv, TOPIC_A, "pca"), **SMALL)
    monkeypatch.setattr(type(fig), "savefig", refuse)
    with pytest.raises(OutputError, match="nothing was saved to .*map.png: Permission denied"):
        w2v.plot.pca(model.wv, TOPIC_A, path=tmp_path / "map.png", **SMALL)
    assert list(tmp_path.iterdir()) == []


# --- formats, sizes and settings ---------------------------------------------------------

MAGIC = {"png": b"\x89PNG", "pdf": b"%PDF", "jpg": b"\xff\xd8\xff", "gif": b"GIF8",
         "eps": b"%!PS", "ps": b"%!PS", "svgz": b"\x1f\x8b"}


def test_every_format_offered_is_drawn(model, tmp_path):
    formats = w2v.plot.picture_formats()
    assert {"png", "svg", "pdf"} <= set(formats) and "raw" not in formats
    layout = w2v.plot.project(model.wv, TOPIC_A, "pca")
    for fmt in formats:
        w2v.plot.draw(layout, path=tmp_path / f"map.{fmt}", figsize=(2.0, 2.0), dpi=20)
        data = (tmp_path / f"map.{fmt}").read_bytes()
        assert data.startswith(MAGIC.get(fmt, b"")) and len(data) > 100, fmt


def test_pgf_without_latex_is_refused_naming_the_formats_that_work(model, tmp_path, monkeypatch):
    import shutil
    monkeypatch.setattr(shutil, "which", lambda program: None)
    assert "pgf" not in w2v.plot.picture_formats()
    with pytest.raises(PlotError, match=r"map.pgf: .pgf needs xelatex \(LaTeX\), which is not "
                                        r"available here; end the name with one of .png, .svg, .pdf"):
        w2v.plot.analogy(model.wv, "a1", "a0", "b0", path=tmp_path / "map.pgf")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("figsize, dpi, message", [
    ((10, 8), 100_000, "would be 1,000,000 x 800,000 pixels: at most 16,000 a side and 40 million"),
    ((200, 200), 60, "would be 12,000 x 12,000 pixels"),  # each side fits, not the whole
    ((10, 8), 1e300, "would be 1e+301 x 8e+300 pixels"),
    ((10, 8), 5, "dpi must be at least 10"),
    ((10, 8), float("nan"), "dpi must be a number"),
    ((10, 8), float("inf"), "dpi must be a number"),
    ((10, 8), "100", "dpi must be a number"),
    ((0, 8), 100, "each side must be 1 to 200 inches"),
    ((10, 1e6), 100, "each side must be 1 to 200 inches"),
    ((-10, 8), 100, "each side must be 1 to 200 inches"),
    ((float("nan"), 8), 100, "figsize must be"),
    ((float("inf"), 8), 100, "figsize must be"),
    ((10,), 100, "figsize must be"),
    ("10x8", 100, "figsize must be"),
    ((True, 8), 100, "figsize must be"),
])
def test_picture_sizes_are_checked_before_any_work(model, tmp_path, figsize, dpi, message):
    path = tmp_path / "map.png"
    for draw in (lambda: w2v.plot.tsne(model.wv, ["zebra"], path=path, figsize=figsize, dpi=dpi),
                 lambda: w2v.plot.analogy(model.wv, "a1", "zebra", "b0", figsize=figsize, dpi=dpi),
                 lambda: w2v.plot.loss(model.wv, figsize=figsize, dpi=dpi)):
        with pytest.raises(SettingsError, match=re.escape(message)):
            draw()  # a size error, not the unknown word or the missing history found later
    assert list(tmp_path.iterdir()) == []


def test_a_title_must_be_a_reasonable_string(model):
    with pytest.raises(SettingsError, match="the title has 1,001 characters: at most 1,000"):
        w2v.plot.loss(model, title="x" * 1001)
    with pytest.raises(SettingsError, match="title must be a string"):
        w2v.plot.pca(model.wv, TOPIC_A, title=42)


@pytest.mark.parametrize("settings, message", [
    (dict(perplexity=float("nan")), "perplexity must be a finite number > 0, got nan"),
    (dict(perplexity=float("inf")), "perplexity must be a finite number > 0"),
    (dict(perplexity=0), "perplexity must be a finite number > 0"),
    (dict(perplexity=-3.0), "perplexity must be a finite number > 0"),
    (dict(perplexity="30"), "perplexity must be a finite number > 0"),
    (dict(seed=-1), "seed must be a whole number from 0 to 4294967295"),
    (dict(seed=2**32), "seed must be a whole number"),
    (dict(seed=1.5), "seed must be a whole number"),
    (dict(method="umap"), "method must be 'tsne' or 'pca'"),
    (dict(words="a0 a1"), "words must be a sequence of strings"),
    (dict(words=["a0", 1]), "words must be a sequence of strings"),
    (dict(groups=["x"]), "10 words need as many groups"),
])
def test_projection_settings_are_checked(model, settings, message):
    settings = {"words": TOPIC_A, **settings}
    with pytest.raises(SettingsError, match=re.escape(message)):
        w2v.plot.project(model.wv, settings.pop("words"), **settings)


def test_too_many_words_are_refused_before_t_sne(monkeypatch):
    from w2v.plot import projection
    monkeypatch.setattr(projection, "MAX_MAP_WORDS", 5)
    kv = w2v.KeyedVectors([f"w{i}" for i in range(6)], np.eye(6, dtype=np.float32))
    with pytest.raises(SettingsError, match="6 words to map: at most 5"):
        w2v.plot.project(kv, kv.index_to_key)
    with pytest.raises(SettingsError, match="2 words with 3 neighbours each would map more than 5"):
        w2v.plot.neighbours(kv, ["w0", "w1"], topn=3)
    for topn in (0, -1, 6, 2.0, True):
        with pytest.raises(SettingsError, match="topn must be a whole number from 1 to 5"):
            w2v.plot.neighbours(kv, ["w0"], topn=topn)


@pytest.mark.parametrize("vectors, message", [
    ([[1, 0], [0, np.nan], [1, 1]], "the vectors of b are not finite numbers"),
    ([[1], [2], [-1]], "the vectors have 1 dimension: a 2D map needs at least 2"),
    ([[0, 0], [0, 0], [0, 0]], "all 3 words have the same direction (or a zero vector)"),
    ([[1, 2], [2, 4], [3, 6]], "all 3 words have the same direction"),
])
@pytest.mark.parametrize("method", ["tsne", "pca"])
def test_vectors_that_cannot_be_mapped_are_a_clear_error(vectors, message, method):
    kv = w2v.KeyedVectors(["a", "b", "c"], np.array(vectors, dtype=np.float32))
    with pytest.raises(PlotError, match=re.escape(message)):
        w2v.plot.project(kv, ["a", "b", "c"], method)


@pytest.mark.parametrize("layout, message", [
    (Layout(["a", "b"], np.zeros((3, 2)), None, [], "x", "y"), "needs xy of shape (2, 2)"),
    (Layout(["a", "b"], np.array([[0, 0], [np.inf, 1]]), None, [], "x", "y"), "must be finite"),
    (Layout([], np.zeros((0, 2)), None, [], "x", "y"), "a map draws 1 to 2,000 words, got 0"),
    (Layout(["a", "b"], np.zeros((2, 2)), ["g"], [], "x", "y"), "2 words need as many groups"),
])
def test_a_layout_made_by_hand_is_checked(layout, message):
    with pytest.raises(SettingsError, match=re.escape(message)):
        w2v.plot.draw(layout, **SMALL)


def test_text_that_looks_like_mathtext_is_drawn_as_it_is(tmp_path):
    words = ["$\\frac$", "$^^$", "$x$", "plain"]
    kv = w2v.KeyedVectors(words, np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32))
    groups = [words[0]] * 2 + [words[2]] * 2
    fig = w2v.plot.pca(kv, words, groups=groups, title="$\\frac{$", path=tmp_path / "m.png", **SMALL)
    texts = {t.get_text() for t in fig.axes[0].texts} | {fig.axes[0].get_title(loc="left")}
    texts |= {t.get_text() for t in fig.axes[0].get_legend().get_texts()}
    assert set(words) | {"$\\frac{$"} <= texts
    fig = w2v.plot.analogy(kv, *words[:3], title="$^$", path=tmp_path / "a.png", **SMALL)
    assert fig.axes[0].get_title(loc="left") == "$^$"
    assert (tmp_path / "m.png").stat().st_size and (tmp_path / "a.png").stat().st_size


def test_analogy_needs_words_to_answer_with_and_strings(model):
    kv = w2v.KeyedVectors(["a", "b", "c"], np.eye(3, dtype=np.float32))
    with pytest.raises(PlotError, match="the vocabulary has 3 words: none is left to answer"):
        w2v.plot.analogy(kv, "a", "b", "c")
    with pytest.raises(SettingsError, match="the words of an analogy must be strings"):
        w2v.plot.analogy(model.wv, "a1", "a0", 3)


def test_a_damaged_loss_history_draws_what_is_finite_or_says_why_not(model):
    damaged = copy.copy(model)
    damaged.loss_history_ = model.loss_history_.copy()
    damaged.loss_history_[::2] = np.nan
    damaged.loss_history_[1, 1] = 1e300  # epochs: no million ticks
    fig = w2v.plot.loss(damaged, **SMALL)
    assert len(fig.axes[0].lines[0].get_ydata()) == len(model.loss_history_[1::2])
    damaged.loss_history_ = np.full((4, 4), np.inf)
    with pytest.raises(PlotError, match="holds no finite numbers"):
        w2v.plot.loss(damaged)
    damaged.loss_history_ = np.zeros((4, 3))
    with pytest.raises(PlotError, match=r"has shape \(4, 3\)"):
        w2v.plot.loss(damaged)


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


# --- the commands under hostile options --------------------------------------------------

MISSING = "{tmp}/missing.w2v"  # a check that came after loading would say "no such model file"


@pytest.mark.parametrize("args, message", [
    (["plot", MISSING, "--perplexity", "nan"], "'nan' is not a finite number"),
    (["plot", MISSING, "--perplexity", "inf"], "'inf' is not a finite number"),
    (["plot", MISSING, "--perplexity", "0"], "'0' is not in (0, inf]"),
    (["plot", MISSING, "--perplexity", ""], "'' is not a number"),
    (["plot", MISSING, "--size", "nanxinf"], "expected WIDTHxHEIGHT in inches"),
    (["plot", MISSING, "--size", ""], "expected WIDTHxHEIGHT in inches"),
    (["plot", MISSING, "--size", "0x8"], "each side must be 1 to 200 inches"),
    (["plot", MISSING, "--size", "99999999999999999999x8"], "each side must be 1 to 200 inches"),
    (["plot", MISSING, "--dpi", "100000"], "would be 1,000,000 x 800,000 pixels"),
    (["plot", MISSING, "--dpi", "9" * 40], "pixels: at most 16,000 a side"),
    (["plot", MISSING, "--dpi", "0"], "0 is not in the range x>=10"),
    (["plot", MISSING, "--dpi", "nan"], "'nan' is not a valid integer"),
    (["plot", MISSING, "--top", "0"], "0 is not in the range 2<=x<=2000"),
    (["plot", MISSING, "--top", "1000000"], "1000000 is not in the range 2<=x<=2000"),
    (["plot", MISSING, "--n-neighbours", "0"], "0 is not in the range 1<=x<=2000"),
    (["plot", MISSING, "--n-neighbours", "99999"], "99999 is not in the range 1<=x<=2000"),
    (["plot", MISSING, "--seed", "-1"], "-1 is not in the range 0<=x<=4294967295"),
    (["plot", MISSING, "--seed", str(2**64)], "is not in the range 0<=x<=4294967295"),
    (["plot", MISSING, "--method", "umap"], "'umap' is not one of 'tsne', 'pca'"),
    (["plot", MISSING, "--title", "x" * 1001], "the title has 1,001 characters: at most 1,000"),
    (["plot", MISSING, "-o", "{tmp}/m.docx"], "cannot tell the picture format from the name"),
    (["plot", MISSING, "-o", ""], "it is a folder"),
    (["plot", MISSING, "-o", "{tmp}/no/m.png"], "folder {tmp}/no does not exist"),
    (["plot", MISSING, "--words-file", "{tmp}/none.txt"], "no such words file"),
    (["plot", MISSING, "--words-file", "{tmp}/words.png"], "is binary (a NUL byte at 8)"),
    (["plot", MISSING, "--words-file", "{tmp}/latin1.txt"], "is not UTF-8 text (byte 3)"),
    (["plot", MISSING, "--words-file", "/dev/zero"], "larger than 1 MiB"),
    (["plot", MISSING, "--words-file", "{tmp}"], "is a directory"),
    (["plot", MISSING, "--words-file", "{tmp}/comments.txt"], "comments.txt lists no words"),
    (["plot-analogy", MISSING, "a", "b", "c", "--dpi", "100000"], "would be 700,000 x 600,000"),
    (["plot-analogy", MISSING, "a", "b", "c", "--size", "7x0.5"], "each side must be 1 to 200"),
    (["plot-analogy", MISSING, "a", "b", "c", "-o", "{tmp}"], "it is a folder"),
    (["plot-loss", MISSING, "--dpi", "100000"], "would be 800,000 x 600,000"),
    (["plot-loss", MISSING, "--size", "infx6"], "expected WIDTHxHEIGHT"),
    (["plot-loss", MISSING, "-o", "{tmp}/l.raw"], "cannot tell the picture format"),
    # Bad files, found once the picture is known to be possible:
    (["plot", MISSING], "no such model file"),
    (["plot", "{tmp}/garbage.w2v"], "garbage.w2v"),
    (["plot", "{tmp}/truncated.w2v"], "truncated.w2v"),
    (["plot", "{tmp}"], "is a folder without a projector vectors.tsv"),
    (["plot", "{model}", "--neighbours", "a0,a1,a2,a3,a4", "--n-neighbours", "500"],
     "5 words with 500 neighbours each would map more than 2,000 words"),
    (["plot-analogy", "{tmp}/garbage.w2v", "a", "b", "c"], "garbage.w2v"),
    (["plot-analogy", "{model}", "a1", "a1", "b0"], "an analogy needs different words"),
    (["plot-loss", "{tmp}/truncated.w2v"], "truncated.w2v"),
    (["plot-loss", "{tmp}/garbage.w2v"], "garbage.w2v"),
    (["plot-loss", "{tmp}/vectors.txt"], "plot-loss needs a w2v model file"),
])
def test_hostile_options_are_one_error_line_before_any_work(model_file, tmp_path, args, message):
    (tmp_path / "words.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 na\xefve".encode("latin-1"))
    (tmp_path / "garbage.w2v").write_bytes(np.random.default_rng(0).bytes(3000))
    (tmp_path / "truncated.w2v").write_bytes(model_file.read_bytes()[:500])
    (tmp_path / "vectors.txt").write_text("2 2\na 0.5 1\nb 1 0.5\n")
    (tmp_path / "comments.txt").write_text("# only a comment\n\n")
    before = sorted(tmp_path.iterdir())
    args = [a.format(tmp=tmp_path, model=model_file) for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "out.png")]
    result = run(*args)
    assert result.exit_code in (1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: ") and message.format(tmp=tmp_path) in last, result.output
    assert "Traceback" not in result.output
    assert sorted(tmp_path.iterdir()) == before  # nothing written


def test_titles_and_words_like_mathtext_or_control_characters_are_shown_as_they_are(tmp_path):
    vectors = tmp_path / "vectors.txt"
    rng = np.random.default_rng(0)
    words = ["$\\frac$", "$^^$", "\x1b[2Jclear", "plain"]
    vectors.write_text("4 3\n" + "".join(f"{w} {' '.join(map(str, rng.normal(size=3)))}\n"
                                         for w in words))
    result = run("plot", vectors, "--method", "pca", "--title", "$\\frac{$", "--words",
                 "plain,$^^$,\x1b[31mred", "-o", tmp_path / "m.png", "--size", "3x3", "--dpi", "30")
    assert result.exit_code == 0, result.output
    assert "warning: not in the vocabulary: \\x1b[31mred" in result.stderr
    assert "\x1b" not in result.stderr  # a word cannot drive the terminal
    result = run("plot-analogy", vectors, *words[:3], "--title", "$^$", "-o", tmp_path / "a.png")
    assert result.exit_code == 0, result.output


W2V = [str(Path(sys.executable).with_name("w2v"))]


def w2v_cli(*args, env=None, timeout=120):
    return subprocess.run(W2V + [str(arg) for arg in args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_a_huge_dpi_is_refused_at_once_by_the_real_command(model_file, tmp_path):
    result = w2v_cli("plot", model_file, "--dpi", "100000", "-o", tmp_path / "m.png", timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: a picture of 10 x 8 inches at 100000 dpi would be 1,000,000 x 800,000 pixels: "
        "at most 16,000 a side and 40 million in all; lower the dpi or the size"]
    assert list(tmp_path.iterdir()) == []


def test_pgf_without_latex_is_one_line_from_the_real_command(model_file, tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no xelatex, whatever is installed
    result = w2v_cli("plot", model_file, "-o", tmp_path / "m.pgf", env=env, timeout=60)
    assert result.returncode == 1, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: cannot save {tmp_path / 'm.pgf'}: .pgf needs xelatex")
    assert "end the name with one of .png, .svg, .pdf" in line
    assert list(tmp_path.iterdir()) == []


def test_projector_folders_are_read_by_plot_and_plot_analogy_not_plot_loss(model, tmp_path):
    folder = tmp_path / "projector"  # as TensorBoard's projector reads it
    folder.mkdir()
    kv = model.wv
    (folder / "vectors.tsv").write_text("".join("\t".join(f"{x:.6f}" for x in kv[word]) + "\n"
                                                for word in kv.index_to_key))
    (folder / "metadata.tsv").write_text("".join(word + "\n" for word in kv.index_to_key))
    result = w2v_cli("plot", folder, "--words", "a0,a1,b0,b1", "--method", "pca",
                     "-o", tmp_path / "m.png", "--size", "4x3", "--dpi", "50")
    assert result.returncode == 0, result.stderr
    assert_picture(tmp_path / "m.png", 200, 150)
    result = w2v_cli("plot-analogy", folder, "a1", "a0", "b0", "-o", tmp_path / "a.png",
                     "--size", "4x3", "--dpi", "50")
    assert result.returncode == 0, result.stderr
    assert_picture(tmp_path / "a.png", 200, 150)
    result = w2v_cli("plot-loss", folder, "-o", tmp_path / "l.png")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: plot-loss needs a w2v model file (from w2v train): {folder} is not one (it reads "
        "as projector vectors, and vectors carry no loss history)"]
    assert not (tmp_path / "l.png").exists()


def test_a_words_file_may_be_a_pipe_and_a_fifo_without_writer_does_not_hang(model_file, tmp_path):
    fifo = tmp_path / "words.fifo"
    os.mkfifo(fifo)
    result = w2v_cli("plot", model_file, "--words-file", fifo, "-o", tmp_path / "m.png",
                     timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: words file {fifo} lists no words (nothing was writing to the FIFO)"]
    # As from `--words-file <(...)`: a pipe whose writer is still at work.
    read_end, write_end = os.pipe()
    args = ["plot", model_file, "--words-file", f"/dev/fd/{read_end}", "--method", "pca",
            "-o", tmp_path / "m.png", "--size", "4x3", "--dpi", "50"]
    process = subprocess.Popen(W2V + [str(arg) for arg in args], pass_fds=[read_end],
                               stderr=subprocess.PIPE, text=True)
    os.close(read_end)
    time.sleep(0.5)
    os.write(write_end, b"a0 a1\nb0 b1\n")
    os.close(write_end)
    stderr = process.communicate(timeout=60)[1]
    assert process.returncode == 0, stderr
    assert "PCA of 4 words" in stderr
    assert_picture(tmp_path / "m.png", 200, 150)
