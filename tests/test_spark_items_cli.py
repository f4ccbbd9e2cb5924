"""``w2v item2vec INPUT --spark MASTER``: item vectors trained on Spark from the
command line, as ``w2v train CORPUS --spark MASTER`` trains words.

The run on local[2] (under a minute) is skipped only when PySpark or a
Java it can run on is missing; CI installs both (.ci/run, the test extra).
The options refused with --spark are refused before Spark starts, so those
tests run everywhere.
"""

import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from w2v_cli.main import main

CLI = [sys.executable, "-c", "from w2v_cli.main import main; main()"]


def spark_problem():
    """Why Spark cannot run here, or None."""
    try:
        import pyspark
    except ImportError:
        return "PySpark is not installed (pip install 'w2v[spark]')"
    from w2v.spark.session import SparkError, check_java

    try:
        check_java(pyspark.__version__)
    except SparkError as error:
        return str(error)
    return None


needs_spark = pytest.mark.skipif(spark_problem() is not None, reason=str(spark_problem()))


@pytest.fixture
def interactions(tmp_path):
    """60 users, each with 8 timed events among the 6 items of one of 3 genres."""
    path = tmp_path / "events.csv"
    rows = ["user,item,timestamp"]
    for user in range(60):
        for k in range(8):
            rows.append(f"u{user},g{user % 3}-{(user + 5 * k) % 6},{1000 * user + k}")
    path.write_text("\n".join(rows) + "\n")
    return path


@needs_spark
def test_item2vec_trains_on_spark_with_progress_per_round(interactions, tmp_path):
    out = tmp_path / "items.w2v"
    done = subprocess.run([*CLI, "item2vec", str(interactions), "--spark", "local[2]",
                           "-o", str(out), "--epochs", "10", "--dim", "16", "--seed", "2",
                           "--rounds-per-epoch", "1"],
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr
    # A line per round, numbered in order, through every epoch (Spark may split
    # the little data so that an epoch takes more than one round).
    rounds = [tuple(map(int, found)) for found in
              re.findall(r"^round (\d+)/(\d+) \(epoch (\d+)/10\) ", done.stderr, re.M)]
    assert len(rounds) >= 10, done.stderr
    assert [r[0] for r in rounds] == list(range(1, len(rounds) + 1)), done.stderr
    epochs = [r[2] for r in rounds]
    assert epochs == sorted(epochs) and set(epochs) == set(range(1, 11)), done.stderr
    last = [line for line in done.stderr.splitlines() if line.startswith("round ")][-1]
    assert " 100.0% " in last, done.stderr
    assert "Error" not in done.stderr and "Traceback" not in done.stderr
    assert re.search(rf"^18 items x 16 dims, trained in \d+ s on Spark; saved {re.escape(str(out))}$",
                     done.stderr, re.M), done.stderr
    import w2v

    model = w2v.load(out)
    assert type(model) is w2v.Item2Vec
    assert model.mode == "sessions" and model.epochs_trained_ == 10  # timestamps: sessions
    together = [item for item, _ in model.recommend(["g1-0", "g1-1"], topn=3)]
    assert all(item.startswith("g1-") for item in together), together


@pytest.mark.parametrize("args, message", [
    (["--spark", "local[2]", "--tune"], "--tune searches on this machine, not on Spark"),
    (["--spark", "local[2]", "--workers", "2"], "--workers is for training on one machine"),
    (["--spark", "local[2]", "--column", "items"], "--column is for w2v train --spark"),
    (["--partitions", "2"], "--partitions only applies with --spark MASTER"),
])
def test_options_spark_would_ignore_are_refused_before_it_starts(interactions, tmp_path, args,
                                                                 message):
    result = CliRunner().invoke(main, ["item2vec", str(interactions), "-o",
                                       str(tmp_path / "i.w2v"), *args])
    assert result.exit_code == 2 and f"Error: {message}" in result.output
    assert not (tmp_path / "i.w2v").exists()


def test_standard_input_is_refused_with_spark(tmp_path):
    result = CliRunner().invoke(main, ["item2vec", "-", "--spark", "local[2]",
                                       "-o", str(tmp_path / "i.w2v")], input="a b\n")
    assert result.exit_code == 2 and "cannot read standard input" in result.output
