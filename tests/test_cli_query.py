"""The query, evaluation and export commands through click's CliRunner."""

import numpy as np
import pytest
from click.testing import CliRunner

import w2v
from w2v import KeyedVectors
from w2v_cli.main import main


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def royal(tmp_path):
    """Vectors where king - man + woman is queen, as a word2vec text file, plus
    the first WordSim-353 words and the capitals of the first Google section."""
    words = ["man", "king", "woman", "queen", "apple", "love", "sex", "tiger", "cat",
             "athens", "greece", "baghdad", "iraq"]
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(words), 6)).astype(np.float32) * 0.1
    vectors[:4, :3] += np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1]])
    kv = KeyedVectors(words, vectors)
    path = tmp_path / "royal.vec"
    kv.save_word2vec_format(path)
    return kv, path


def run_ok(runner, args):
    result = runner.invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def table_rows(output, title):
    """The data rows of the table under ``title``."""
    lines = output.splitlines()
    start = lines.index(title) + 3
    rows = []
    for line in lines[start:]:
        if not line:
            break
        rows.append(line)
    return rows


def test_similar_reads_vector_files_and_model_files_alike(runner, royal, tmp_path, topics):
    kv, vec = royal
    kv.save_word2vec_format(tmp_path / "royal.bin", binary=True)
    outputs = {run_ok(runner, ["similar", "king", "-m", path, "-n", 3])
               for path in (vec, tmp_path / "royal.bin")}
    assert len(outputs) == 1
    assert [row.split()[0] for row in table_rows(outputs.pop(), "king")] == \
        [w for w, _ in kv.most_similar("king", topn=3)]
    model = w2v.Word2Vec(dim=8, min_count=1, epochs=1, workers=1).train(topics, progress=None)
    model.save(tmp_path / "m.w2v")
    run_ok(runner, ["export", tmp_path / "m.w2v", "-o", tmp_path / "m.vec"])
    assert run_ok(runner, ["similar", "a1", "-m", tmp_path / "m.w2v"]) == \
        run_ok(runner, ["similar", "a1", "-m", tmp_path / "m.vec"])


def test_neighbours_prints_one_table_per_word(runner, royal):
    kv, vec = royal
    output = run_ok(runner, ["neighbours", "king", "apple", "tiger", "-m", vec, "-n", 4])
    for word in ("king", "apple", "tiger"):
        rows = table_rows(output, word)
        assert len(rows) == 4 and len({len(r) for r in rows}) == 1
        assert [r.split()[0] for r in rows] == [w for w, _ in kv.most_similar(word, topn=4)]


def test_analogy_reads_a_is_to_b_as_c_is_to_what(runner, royal):
    """The order of the analogy files and of kv.analogy: `man king woman` is
    man : king :: woman : ?, whose answer is queen (the old order, A - B + C,
    gives greece here); the title says what was computed."""
    kv, vec = royal
    for method in ("3cosadd", "3cosmul"):
        output = run_ok(runner, ["analogy", "man", "king", "woman", "-m", vec, "--method", method])
        assert output.splitlines()[3].split()[0] == "queen"  # the best answer, whatever the title
        computed = ("king - man + woman" if method == "3cosadd" else
                    "3CosMul: cos(x, king) cos(x, woman) / cos(x, man)")
        rows = table_rows(output, f"man : king :: woman : ?  ({computed})")
        assert rows[0].split()[0] == "queen" and len(rows) == 5
        assert [row.split()[0] for row in rows] == \
            [w for w, _ in kv.analogy("man", "king", "woman", topn=5, method=method)]
    # Typed in the other order, the question is another one, and the title says which.
    output = run_ok(runner, ["analogy", "king", "man", "woman", "-m", vec])
    rows = table_rows(output, "king : man :: woman : ?  (man - king + woman)")
    assert rows[0].split()[0] != "queen"


def test_analogy_answers_the_questions_of_an_analogy_file(runner, royal, tmp_path):
    """A line of questions-words.txt, typed as it is, is asked as evaluate asks it."""
    kv, vec = royal
    output = run_ok(runner, ["analogy", "athens", "greece", "baghdad", "-m", vec, "-n", 1])
    (row,) = table_rows(output, "athens : greece :: baghdad : ?  (greece - athens + baghdad)")
    questions = tmp_path / "q.txt"
    questions.write_text(f": capitals\nathens greece baghdad {row.split()[0]}\n")
    assert kv.evaluate_word_analogies(questions).correct == 1


def test_evaluate_prints_sections_totals_and_similarity(runner, royal, tmp_path):
    kv, vec = royal
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("king queen 9\nman woman 8\napple tiger 1\nking unknown 3\n")
    output = run_ok(runner, ["evaluate", vec, "--similarity", pairs, "--similarity", pairs,
                             "--restrict-vocab", 12])
    title = "Analogies: questions-words.txt (3cosadd, 12 most frequent words)"
    lines = output.splitlines()
    expected = kv.evaluate_word_analogies(restrict_vocab=12)
    assert expected.asked == 2 and expected.skipped == 19_542  # "iraq", 13th, is left out
    sections = table_rows(output, title)
    assert [row.split()[:4] for row in sections] == \
        [[name, str(s.correct), str(s.asked), str(s.skipped)] for name, s in expected.sections.items()]
    assert len({len(row) for row in sections}) == 1  # aligned
    totals = lines[lines.index(title) + 3 + 15:][:3]
    assert [row.split()[0] for row in totals] == ["semantic", "syntactic", "overall"]
    assert totals[2].split()[1:] == [str(expected.correct), "2", "19542", f"{100 * expected.accuracy:.2f}%"]
    assert "19,542 questions skipped: a word is unknown or not among the 12 most frequent" in output
    similarity = table_rows(output, "Similarity")
    assert [row.split()[0] for row in similarity] == ["pairs.txt", "pairs.txt"]
    assert similarity[0].split()[3:] == ["3", "1"]
    # Without --similarity: the bundled WordSim-353.
    default = table_rows(run_ok(runner, ["evaluate", vec, "--method", "3cosmul"]), "Similarity")
    wordsim = kv.evaluate_word_pairs()
    assert default[0].split() == ["wordsim353.tsv", f"{wordsim.spearman:.4f}", f"{wordsim.pearson:.4f}",
                                  str(wordsim.pairs), str(wordsim.oov_pairs)]


@pytest.mark.parametrize("fmt, name", [("word2vec-text", "out.txt"), ("word2vec-binary", "out.bin"),
                                       ("projector", "out")])
def test_export_writes_each_format(runner, royal, tmp_path, fmt, name):
    kv, vec = royal
    output = run_ok(runner, ["export", vec, "--format", fmt, "-o", tmp_path / name])
    assert "13 vectors of dimension 6 written to" in output
    loaded = w2v.load(tmp_path / name)
    assert loaded.index_to_key == kv.index_to_key and loaded.vectors.tobytes() == kv.vectors.tobytes()


def test_export_guesses_the_format_from_the_suffix(runner, royal, tmp_path):
    _, vec = royal
    run_ok(runner, ["export", vec, "-o", tmp_path / "v.bin"])
    assert w2v.detect_format(tmp_path / "v.bin") == "word2vec-binary"
    result = runner.invoke(main, ["export", str(vec), "-o", str(tmp_path / "v.data")])
    assert result.exit_code == 2 and "add --format" in result.output


def test_mistakes_are_one_line_errors(runner, royal, tmp_path):
    _, vec = royal
    bad = tmp_path / "bad.vec"
    bad.write_text("2 3\nking 1 2 3\nqueen 1 2\n")
    cases = [
        (["neighbours", "king", "kingg", "-m", vec], "'kingg' is not in the vocabulary; did you mean: king"),
        (["analogy", "king", "man", "wman", "-m", vec], "'wman' is not in the vocabulary"),
        (["similar", "king", "-m", bad], "bad.vec, line 3: expected a word and 3 numbers, found 2"),
        (["evaluate", bad], "line 3: expected a word and 3 numbers"),
        (["export", vec, "-o", tmp_path / "nowhere" / "v.vec"], "does not exist"),
        (["neighbours", "king", "-m", tmp_path / "missing.vec"], "no such model file"),
    ]
    for args, message in cases:
        result = runner.invoke(main, [str(a) for a in args])
        assert result.exit_code == 1, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], (args, lines)
