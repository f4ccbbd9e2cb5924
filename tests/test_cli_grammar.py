"""One grammar for the commands: every command that reads vectors takes
``-m MODEL`` (documented) or MODEL as its first argument (as before), and
defaults to model.w2v; option names mean one thing across commands."""

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import topic_corpus

import w2v
from w2v import KeyedVectors
from w2v_cli.main import main


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A trained model, its vectors as text and as a projector folder, and an item model."""
    root = tmp_path_factory.mktemp("grammar")
    model = w2v.Word2Vec(dim=8, min_count=1, epochs=2, workers=1).train(topic_corpus(300),
                                                                         progress=None)
    model.save(root / "model.w2v")
    model.wv.save_word2vec_format(root / "model.vec")
    w2v.formats.save_vectors(model.wv, root / "projector", "projector")
    (root / "pairs.txt").write_text("a1 a2 9\na1 b1 1\nb1 b2 8\na3 b3 2\n")
    w2v.Item2Vec(dim=6, epochs=2).train(topic_corpus(300), progress=None).save(root / "items.w2v")
    return root


def invoke(runner, args):
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def ok(runner, args):
    result = invoke(runner, args)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


QUERIES = [  # (command with "{m}" where MODEL goes first, the words)
    ("similar", ["a1", "a2"]),
    ("neighbours", ["a1", "b1"]),
    ("analogy", ["a1", "a2", "b1"]),
    ("evaluate", ["--restrict-vocab", "15", "--similarity", "{files}/pairs.txt"]),
]


@pytest.mark.parametrize("command, rest", QUERIES)
@pytest.mark.parametrize("source", ["model.w2v", "model.vec", "projector"])
def test_printing_commands_take_the_model_either_way(runner, files, command, rest, source):
    model = files / source
    rest = [arg.format(files=files) for arg in rest]
    with_option = ok(runner, [command, *rest, "-m", model])
    assert ok(runner, [command, model, *rest]) == with_option
    assert ok(runner, [command, "--model", model, *rest]) == with_option


@pytest.mark.parametrize("command, rest", QUERIES)
def test_the_default_model_is_model_w2v(runner, files, command, rest, monkeypatch):
    monkeypatch.chdir(files)
    rest = [arg.format(files=files) for arg in rest]
    assert ok(runner, [command, *rest]) == ok(runner, [command, *rest, "-m", "model.w2v"])


def test_recommend_takes_the_item_model_either_way(runner, files, monkeypatch):
    items = files / "items.w2v"
    with_option = ok(runner, ["recommend", "a1", "a2", "-m", items])
    assert ok(runner, ["recommend", items, "a1", "a2"]) == with_option
    monkeypatch.chdir(files)
    assert ok(runner, ["recommend", "a1", "a2"]) == with_option  # items.w2v by default


@pytest.mark.parametrize("command, rest, output", [
    ("export", ["--format", "word2vec-text"], "out.vec"),
    ("plot", ["--words", "a0,a1,b0,b1", "--method", "pca", "--size", "3x3", "--dpi", "30"],
     "out.png"),
    ("plot-analogy", ["a1", "a2", "b1", "--size", "3x3", "--dpi", "30"], "out.png"),
    ("plot-loss", ["--size", "3x3", "--dpi", "30"], "out.png"),
])
def test_writing_commands_take_the_model_either_way(runner, files, tmp_path, command, rest,
                                                    output):
    written = []
    for model_first in (True, False):
        target = tmp_path / f"{int(model_first)}{output}"
        args = [command, files / "model.w2v", *rest] if model_first else \
            [command, *rest, "-m", files / "model.w2v"]
        ok(runner, args + ["-o", target])
        written.append(target.read_bytes())
    if command == "export":
        assert written[0] == written[1]
    assert all(data for data in written)


def test_two_different_models_are_refused(runner, files):
    result = invoke(runner, ["evaluate", files / "model.w2v", "-m", files / "model.vec"])
    assert result.exit_code == 2
    assert "two models given" in result.output and "give one, with -m MODEL" in result.output


def test_with_m_every_argument_is_a_word_even_one_named_like_a_file(runner, files,
                                                                    monkeypatch):
    result = invoke(runner, ["similar", files / "model.vec", "a1", "-m", files / "model.w2v"])
    assert result.exit_code == 1 and "is not in the vocabulary" in result.output
    # Without -m, one argument alone is always a word (of the default model.w2v).
    monkeypatch.chdir(files)
    result = invoke(runner, ["similar", "model.vec"])
    assert result.exit_code == 1
    assert "'model.vec' is not in the vocabulary" in result.output


@pytest.mark.parametrize("args, message", [
    (["analogy", "a1", "a2"], "expected three words A B C (A is to B as C is to ?), got 2 words"),
    (["analogy", "{m}", "a1", "a2", "b1", "b2"],
     "expected three words A B C (A is to B as C is to ?), got 4 words after the model"),
    (["plot-analogy", "a1", "a2", "-o", "{tmp}/a.png"],
     "expected three or four words A B C [D]"),
    (["similar"], "expected at least one WORD, got 0 words"),
    (["neighbours", "-m", "{m}"], "expected at least one WORD, got 0 words"),
])
def test_a_wrong_number_of_words_is_a_usage_error(runner, files, tmp_path, args, message):
    result = invoke(runner, [a.format(m=files / "model.w2v", tmp=tmp_path) for a in args])
    assert result.exit_code == 2 and f"Error: {message}" in result.output
    assert "Traceback" not in result.output


def test_similar_subtracts_with_minus_and_still_with_negative_saying_so(runner, files):
    model = files / "model.w2v"
    minus = invoke(runner, ["similar", "a1", "b2", "--minus", "b1", "-m", model])
    assert minus.exit_code == 0 and minus.stderr == ""
    assert minus.stdout.splitlines()[0] == "a1 + b2 - b1"
    old = invoke(runner, ["similar", "a1", "b2", "--negative", "b1", "-m", model])
    assert old.exit_code == 0 and old.stdout == minus.stdout
    assert old.stderr.splitlines() == [
        "note: similar --negative is now --minus (--negative will go away)"]
    kv = w2v.load_vectors(model)
    expected = [w for w, _ in kv.most_similar(positive=["a1", "b2"], negative=["b1"])]
    assert [line.split()[0] for line in minus.stdout.splitlines()[3:]] == expected
    assert "--negative" not in ok(runner, ["similar", "--help"])  # hidden, not documented


def test_plot_analogy_reads_a_is_to_b_as_c_is_to_d(runner, tmp_path):
    """`w2v plot-analogy man king woman queen` draws king - man + woman = queen,
    as `w2v analogy man king woman` asks it; the message says which."""
    words = ["man", "king", "woman", "queen", "apple"]
    vectors = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [-1, -1, 0.2]],
                       dtype=np.float32)
    path = tmp_path / "royal.vec"
    KeyedVectors(words, vectors).save_word2vec_format(path)
    result = invoke(runner, ["plot-analogy", "man", "king", "woman", "-m", path,
                             "-o", tmp_path / "a.png", "--size", "3x3", "--dpi", "30"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == (
        f"saved {tmp_path / 'a.png'}: man : king :: woman : ?, drawn as king - man + woman")


def test_item2vec_reads_its_input_format_by_input_format_and_still_by_format(runner, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("user,item\n" + "".join(f"u{k % 7},i{k % 5}\n" for k in range(70)))
    vocabularies = {}
    for option in ("--input-format", "--format"):
        for form in ("baskets", "interactions"):
            out = tmp_path / f"{option}-{form}.w2v"
            result = invoke(runner, ["item2vec", table, option, form, "-o", out, "-q",
                                     "--epochs", "1", "--dim", "4", "--workers", "1"])
            assert result.exit_code == 0, result.output
            vocabularies[option, form] = sorted(w2v.load(out).wv.index_to_key)
    assert vocabularies["--input-format", "interactions"] == [f"i{k}" for k in range(5)]
    assert {"user", "u0"} <= set(vocabularies["--input-format", "baskets"])  # lines as baskets
    for form in ("baskets", "interactions"):
        assert vocabularies["--format", form] == vocabularies["--input-format", form]
    result = invoke(runner, ["item2vec", table, "--format", "baskets", "--input-format",
                             "interactions", "-o", tmp_path / "x.w2v"])
    assert result.exit_code == 2 and "disagree: give --input-format only" in result.output
    help_text = ok(runner, ["item2vec", "--help"])
    assert "--input-format" in help_text and "--format" not in help_text.replace(
        "--input-format", "")


def test_plots_read_an_exported_projector_folder_and_plot_loss_says_what_it_lacks(
        runner, files, tmp_path):
    """A folder from `w2v export --format projector` (metadata with a count column)."""
    folder = files / "projector"
    picture = ["--size", "3x3", "--dpi", "30"]
    ok(runner, ["plot", "-m", folder, "--top", "8", "--method", "pca", "-o", tmp_path / "m.png",
                *picture])
    ok(runner, ["plot-analogy", "a1", "a2", "b1", "-m", folder, "-o", tmp_path / "a.png",
                *picture])
    assert (tmp_path / "m.png").stat().st_size and (tmp_path / "a.png").stat().st_size
    result = invoke(runner, ["plot-loss", "-m", folder, "-o", tmp_path / "l.png", *picture])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert result.output.startswith("Error: plot-loss needs a w2v model file")
    assert "vectors carry no loss history" in result.output
    assert not (tmp_path / "l.png").exists()
