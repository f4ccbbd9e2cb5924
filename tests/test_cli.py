"""The command line through click's CliRunner: outputs and one-line errors."""

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from w2v_cli.main import main


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def trained(runner, corpus_file, tmp_path):
    model = tmp_path / "m.w2v"
    result = runner.invoke(main, ["train", str(corpus_file), "-o", str(model), "--dim", "8",
                                  "--min-count", "1", "--epochs", "2", "--workers", "1"])
    assert result.exit_code == 0, result.output
    return model


def test_train_reports_and_saves(trained, runner, corpus_file, tmp_path):
    assert trained.stat().st_size > 0
    result = runner.invoke(main, ["train", str(corpus_file), "-o", str(tmp_path / "n.w2v"),
                                  "--dim", "8", "--min-count", "1", "--epochs", "1"])
    assert "20 words x 8 dims" in result.output and "words/s" in result.output
    assert "100.0%" in result.output


def test_quiet_prints_nothing(runner, corpus_file, tmp_path):
    result = runner.invoke(main, ["train", str(corpus_file), "-o", str(tmp_path / "q.w2v"),
                                  "--min-count", "1", "--epochs", "1", "--quiet"])
    assert result.exit_code == 0 and result.output == ""


def test_similar_prints_an_aligned_table(trained, runner):
    result = runner.invoke(main, ["similar", "a1", "--model", str(trained), "--topn", "4"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "a1" and lines[1].split() == ["word", "cosine"]
    rows = lines[3:]
    assert len(rows) == 4
    assert len({len(row) for row in rows}) == 1  # aligned
    assert sum(row.startswith("a") for row in rows) >= 3  # same topic


def test_resume_continues_training(trained, runner, corpus_file, tmp_path):
    out = tmp_path / "resumed.w2v"
    result = runner.invoke(main, ["train", str(corpus_file), "--resume", str(trained), "-o", str(out),
                                  "--epochs", "1", "-q"])
    assert result.exit_code == 0, result.output
    import w2v
    assert w2v.load(out).epochs_trained_ == 3


@pytest.mark.parametrize("args, message", [
    (["train", "missing.txt"], "no such file or folder: missing.txt"),
    (["similar", "a1", "--model", "missing.w2v"], "no such model file: missing.w2v"),
])
def test_missing_files(runner, tmp_path, args, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {message}"


def test_user_mistakes_are_one_line_without_traceback(runner, trained, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "binary.dat"
    binary.write_bytes(bytes(range(256)) * 10)
    rare = tmp_path / "rare.txt"
    rare.write_text("each word here occurs once\n")
    cases = [
        (["train", str(empty), "-o", str(tmp_path / "e.w2v")], "no tokens"),
        (["train", str(binary), "-o", str(tmp_path / "b.w2v")], "binary"),
        (["train", str(rare), "-o", str(tmp_path / "r.w2v")], "min_count=5"),
        (["train", str(rare), "-o", str(tmp_path / "nowhere" / "r.w2v")], "does not exist"),
        (["similar", "zebra", "--model", str(trained)], "'zebra' is not in the vocabulary"),
        (["similar", "a1", "--model", str(empty)], "not a w2v model file"),
    ]
    for args, message in cases:
        result = runner.invoke(main, args)
        assert result.exit_code == 1, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], (args, lines)
        assert "Traceback" not in result.output


def test_resume_refuses_settings_it_would_ignore(trained, runner, corpus_file):
    result = runner.invoke(main, ["train", str(corpus_file), "--resume", str(trained), "--dim", "50"])
    assert result.exit_code == 2 and "--dim cannot be changed when resuming" in result.output


def test_an_output_that_is_the_input_is_refused_before_any_work(runner, corpus_file, tmp_path):
    before = corpus_file.read_bytes()
    for command in (["train", str(corpus_file)], ["item2vec", str(corpus_file)],
                    ["train", str(tmp_path)]):  # -o inside a corpus folder
        target = corpus_file if command[1] == str(corpus_file) else tmp_path / "m.w2v"
        result = runner.invoke(main, command + ["-o", str(target), "-q"])
        assert result.exit_code == 2 and "would overwrite or land in the input" in result.output
    assert corpus_file.read_bytes() == before and not (tmp_path / "m.w2v").exists()


def test_export_refuses_to_write_over_its_own_model(trained, runner):
    before = trained.read_bytes()
    result = runner.invoke(main, ["export", str(trained), "-o", str(trained),
                                  "--format", "word2vec-text"])
    assert result.exit_code == 2 and "is MODEL itself" in result.output
    assert trained.read_bytes() == before


def test_library_warnings_are_one_line_each(runner, tmp_path):
    vectors = tmp_path / "d.vec"
    vectors.write_text("2 2\na 1 2\na 3 4\n")  # a word twice: kept once, with a warning
    result = runner.invoke(main, ["neighbours", "a", "-m", str(vectors)])
    assert result.exit_code == 0
    warnings = [line for line in result.output.splitlines() if "repeated words" in line]
    assert warnings == [f"warning: {vectors}: 1 repeated words; kept the first vector of each"]
    assert ".py:" not in result.output  # no file name and line of source code


def test_a_closed_standard_output_is_an_error_for_commands_that_print(trained):
    command = [sys.executable, "-c", "from w2v_cli.main import main; main()",
               "similar", "a1", "-m", str(trained)]
    closed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            timeout=60, preexec_fn=lambda: os.close(1))
    assert closed.returncode == 1
    assert "standard output is closed" in closed.stderr


@pytest.mark.parametrize("delimiter", ["TAB", ",,", "\\n", "x", '"'])
def test_a_delimiter_that_is_not_one_separator_is_refused(runner, tmp_path, delimiter):
    table = tmp_path / "t.csv"
    table.write_text("user,item\nu1,a\nu1,b\n")
    result = runner.invoke(main, ["item2vec", str(table), "--delimiter", delimiter, "-q",
                                  "-o", str(tmp_path / "i.w2v")])
    assert result.exit_code == 2 and "is not one field-separating character" in result.output


def test_standard_input_redirected_from_the_output_is_refused(corpus_file):
    before = corpus_file.read_bytes()
    with open(corpus_file, "rb") as stdin:
        result = subprocess.run([sys.executable, "-c", "from w2v_cli.main import main; main()",
                                 "train", "-", "-o", str(corpus_file), "-q"], stdin=stdin,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "would overwrite or land in the input -" in result.stderr
    assert corpus_file.read_bytes() == before


def test_the_cli_leaves_the_callers_signal_handlers_and_warnings_as_they_were(runner, trained):
    import signal
    import warnings
    before = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP), warnings.showwarning)
    result = runner.invoke(main, ["similar", "a1", "-m", str(trained)])
    assert result.exit_code == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGHUP),
            warnings.showwarning) == before
