"""Training on Spark (w2v/spark/), on a local Spark with two cores.

One Spark session serves the whole module (starting one takes about ten
seconds). The tests are skipped only when PySpark or a Java it can run on
is missing; CI installs both (.ci/run, the test extra).
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import SAMPLE

pytest.importorskip("pyspark", reason="PySpark is not installed (pip install 'w2v[spark]')")

import w2v  # noqa: E402
import w2v.spark  # noqa: E402
from w2v import CorpusError, SettingsError, VocabularyError  # noqa: E402
from w2v.corpus import Corpus  # noqa: E402
from w2v.spark import SparkError  # noqa: E402
from w2v.spark.session import JAVA_NEEDED, _java_command, java_version  # noqa: E402
from w2v.vocab import Vocabulary  # noqa: E402


def _java_problem():
    import pyspark

    java = _java_command()
    if java is None:
        return "Java is not installed"
    version = java_version(java)
    needed = JAVA_NEEDED.get(int(pyspark.__version__.split(".")[0]), 17)
    if version is not None and version < needed:
        return f"PySpark {pyspark.__version__} needs Java {needed}, found {version}"
    return None


if _java_problem():
    pytest.skip(_java_problem(), allow_module_level=True)

CLI = [sys.executable, "-c", "from w2v_cli.main import main; main()"]


@pytest.fixture(scope="module")
def spark():
    session = w2v.spark.start_session("local[2]", conf={"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()


def same_vocabulary(a: Vocabulary, b: Vocabulary) -> None:
    assert a.words == b.words
    assert np.array_equal(a.counts, b.counts)
    assert a.corpus_tokens == b.corpus_tokens


# --- the vocabulary ---------------------------------------------------------------------------


def test_vocabulary_of_a_file_is_the_single_machine_one(spark):
    counted = w2v.spark.build_vocab(str(SAMPLE), min_count=5, spark=spark)
    same_vocabulary(counted, Vocabulary.build(Corpus(SAMPLE), min_count=5))
    assert counted.read_stats.tokens == counted.corpus_tokens


HOSTILE_LINES = [
    "Straße STRASSE straße, Ünïcödé-words! ΣΊΣΥΦΟΣ ΟΔΟΣ",  # case folding, final sigma
    "e\u0301te\u0301 café CAFÉ naïve",  # combining marks
    "tie1 tie2 tie3 tie1 tie2 tie3 zz aa",  # equal counts: ordered by the word itself
    " ".join(["long"] * 25),  # longer than max_sentence_length below
    "x" * 70_000 + " after the over-long token",  # a token longer than MAX_TOKEN_CHARS
    "",
    "crlf line\r",
    "日本語 テキスト 中文 العربية हिन्दी",
]


def test_vocabulary_of_hostile_text_is_the_single_machine_one(spark, tmp_path):
    path = tmp_path / "hostile.txt"
    path.write_bytes(("\n".join(HOSTILE_LINES) + "\n").encode() + b"bad \xff\xfe utf8 bytes\n")
    for min_count, cap in ((1, None), (2, None), (1, 7)):
        counted = w2v.spark.build_vocab(str(path), min_count=min_count, max_vocab_size=cap,
                                        max_sentence_length=10, spark=spark)
        single = Vocabulary.build(Corpus(path, max_sentence_length=10), min_count, cap)
        same_vocabulary(counted, single)
    assert counted.read_stats.long_tokens_dropped == 1


def test_vocabulary_of_dataframe_text_and_token_arrays(spark, tmp_path):
    lines = [line for line in HOSTILE_LINES if "\r" not in line] * 3
    text = spark.createDataFrame([(line,) for line in lines] + [(None,)], "text string")
    sentences = [line.split() for line in lines]
    tokens = spark.createDataFrame([(s, i) for i, s in enumerate(sentences)],
                                   "tokens array<string>, n int")
    path = tmp_path / "lines.txt"
    path.write_text("\n".join(lines) + "\n")
    from_text = w2v.spark.build_vocab(text, min_count=2)
    same_vocabulary(from_text, Vocabulary.build(Corpus(path), 2))  # rows read as lines
    assert from_text.read_stats.null_rows == 1
    from_tokens = w2v.spark.build_vocab(tokens, min_count=2)
    same_vocabulary(from_tokens, Vocabulary.build(sentences, 2))  # arrays are kept as given


# --- training ---------------------------------------------------------------------------------


def quality(kv):
    pairs = kv.evaluate_word_pairs()
    analogies = kv.evaluate_word_analogies().total()
    return pairs.spearman, analogies.correct


@pytest.fixture(scope="module")
def trained(spark):
    """A skip-gram model trained on Spark on two partitions, and the same
    settings trained on one machine."""
    settings = dict(dim=50, epochs=10, seed=1)
    epochs_seen = []
    distributed = w2v.spark.train(str(SAMPLE), w2v.Word2Vec(**settings), partitions=2,
                                  spark=spark, progress=None,
                                  on_epoch_end=lambda m: epochs_seen.append(m.epochs_trained_))
    single = w2v.Word2Vec(**settings, workers=1).train(SAMPLE, progress=None)
    return distributed, single, epochs_seen


def test_distributed_training_reaches_single_machine_quality(trained):
    distributed, single, epochs_seen = trained
    spearman, correct = quality(distributed.wv)
    single_spearman, single_correct = quality(single.wv)
    # Random vectors score about 0 +- 0.08 on these 167 pairs and find no analogy.
    assert single_spearman > 0.12 and single_correct >= 20
    assert spearman >= single_spearman - 0.05
    assert correct >= 0.7 * single_correct
    assert epochs_seen == list(range(1, 11))
    assert distributed.words_trained_ == single.words_trained_
    assert distributed.loss_history_[-1, 3] < distributed.loss_history_[0, 3]


def test_model_file_loads_and_answers_queries(trained, tmp_path):
    distributed, single, _ = trained
    path = tmp_path / "spark.w2v"
    distributed.save(path)
    loaded = w2v.load(path)
    assert type(loaded) is w2v.Word2Vec
    same_vocabulary(loaded.vocab_, single.vocab_)
    assert np.array_equal(loaded.W_in_, distributed.W_in_)
    assert loaded.run_["completed"] == loaded.run_["epochs"] == 10
    neighbours = [word for word, _ in loaded.wv.most_similar("france", topn=10)]
    assert len(neighbours) == 10 and "france" not in neighbours


def test_cbow_trains_and_vectors_come_back_as_a_dataframe(spark):
    model = w2v.spark.train(str(SAMPLE), w2v.Word2Vec(sg=False, dim=20, epochs=2, seed=3),
                            partitions=2, rounds_per_epoch=2, progress=None)
    assert np.isfinite(model.W_in_).all() and model.epochs_trained_ == 2
    frame = w2v.spark.vectors_frame(model, rows_per_part=2000)
    rows = frame.orderBy(frame["count"].desc()).take(2)
    assert [row["word"] for row in rows] == model.wv.index_to_key[:2]
    assert np.allclose(rows[0]["vector"], model.wv.vectors[0])
    assert frame.count() == len(model.wv)


def test_same_seed_and_partitions_give_the_same_vectors(spark):
    lines = [" ".join(f"w{(i * 7 + j) % 40}" for j in range(12)) for i in range(400)]
    frame = spark.createDataFrame([(line,) for line in lines], "text string").repartition(2)
    runs = [w2v.spark.train(frame, w2v.Word2Vec(dim=8, epochs=2, min_count=1, seed=5),
                            partitions=2, rounds_per_epoch=3, progress=None) for _ in range(2)]
    assert np.array_equal(runs[0].W_in_, runs[1].W_in_)
    assert np.array_equal(runs[0].W_out_, runs[1].W_out_)


def test_a_callback_stops_after_a_round_and_resume_trains_only_the_rest(spark, tmp_path):
    lines = [" ".join(f"w{(i * 7 + j) % 40}" for j in range(12)) for i in range(400)]
    frame = spark.createDataFrame([(line,) for line in lines], "text string").repartition(2)
    options = dict(partitions=2, rounds_per_epoch=3, progress=None)
    settings = dict(dim=8, epochs=2, min_count=1, seed=5)
    states = []
    whole = w2v.spark.train(frame, w2v.Word2Vec(**settings), callbacks=states.append, **options)
    rounds = [s for s in states if not s.epoch_end]
    assert [s.epoch for s in states if s.epoch_end] == [1, 2]
    assert [s.words for s in rounds] == sorted(s.words for s in rounds)
    assert rounds[-1].words == rounds[-1].total_words == whole.words_trained_

    def stop_in_second_epoch(state):
        if state.epoch == 2 and not state.epoch_end:
            raise w2v.StopTraining

    stopped = w2v.spark.train(frame, w2v.Word2Vec(**settings), callbacks=stop_in_second_epoch,
                              **options)
    assert stopped.unfinished and stopped.run_["partial_epoch"]["rounds"] == 1
    assert stopped.words_trained_ < whole.words_trained_
    stopped.save(tmp_path / "stopped.w2v")  # the record survives the file
    resumed = w2v.spark.train(frame, w2v.Word2Vec.load(tmp_path / "stopped.w2v"), resume=True,
                              **options)
    assert resumed.words_trained_ == whole.words_trained_  # no word trained twice
    assert np.array_equal(resumed.W_in_, whole.W_in_)
    assert np.array_equal(resumed.W_out_, whole.W_out_)


# --- item2vec ---------------------------------------------------------------------------------


def interactions(spark, users=60, seed=0):
    """Each user views the items of one of three groups, a minute apart, then
    comes back a day later for another group: sessions must be cut there."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(users):
        for visit, group in enumerate((user % 3, (user + 1) % 3)):
            items = rng.permutation(6)
            for k, item in enumerate(items):
                rows.append((f"u{user}", f"g{group}-{item}", 86_400.0 * visit + 60.0 * k, 5.0))
    rows.append((None, "g0-0", 0.0, 5.0))  # a bad row: no user
    rows.append(("u0", "g0-1", 10.0, 1.0))  # rated below min_rating
    return spark.createDataFrame(rows, "userId string, movieId string, timestamp double, "
                                       "rating double")


def test_sessions_are_grouped_in_time_order_and_cut_at_gaps(spark):
    events = interactions(spark)
    grouped = w2v.spark.sessions(events, min_rating=3, session_gap=3600)
    assert grouped.ordered
    rows = grouped.frame.filter("user = 'u4'").orderBy("session").collect()
    assert [row["session"] for row in rows] == [0, 1]
    assert {item.split("-")[0] for item in rows[0]["items"]} == {"g1"}
    assert {item.split("-")[0] for item in rows[1]["items"]} == {"g2"}
    stats = grouped.stats()
    assert (stats.sessions, stats.items, stats.bad_rows, stats.below_min_rating) == (120, 720, 1, 1)


def test_item_vectors_from_an_interactions_dataframe(spark, tmp_path):
    model = w2v.spark.train_items(interactions(spark), w2v.Item2Vec(dim=16, epochs=30, seed=2),
                                  min_rating=3, session_gap=3600, partitions=2, progress=None)
    assert model.mode == "sessions" and len(model.vocab_) == 18
    path = tmp_path / "items.w2v"
    model.save(path)
    loaded = w2v.load(path)
    assert type(loaded) is w2v.Item2Vec
    together = [item for item, _ in loaded.recommend(["g1-0", "g1-1"], topn=4)]
    assert all(item.startswith("g1-") for item in together)


def test_a_baskets_file_settles_auto_mode_as_on_one_machine(spark, tmp_path):
    baskets = tmp_path / "baskets.txt"
    baskets.write_text("".join(f"a{i % 5} b{i % 3} c{i % 4}\n" for i in range(60)))
    local = w2v.Item2Vec(dim=4, epochs=1, seed=1).train(str(baskets), progress=None)
    on_spark = w2v.spark.train(str(baskets), w2v.Item2Vec(dim=4, epochs=1, seed=1),
                               partitions=1, progress=None)
    assert local.mode == on_spark.mode == "baskets"
    assert on_spark.window == local.window and on_spark.history_half_life == local.history_half_life


# --- mistakes ---------------------------------------------------------------------------------


def test_empty_dataframe_is_an_error(spark):
    empty = spark.createDataFrame([], "text string")
    with pytest.raises(VocabularyError, match="no tokens"):
        w2v.spark.train(empty, w2v.Word2Vec(), progress=None)


def test_hierarchical_softmax_is_refused_before_spark_is_asked_for(tmp_path):
    # No session is started: the refusal comes first, so this needs no Spark.
    with pytest.raises(SettingsError, match="hierarchical softmax"):
        w2v.spark.train(str(SAMPLE), w2v.Word2Vec(hs=True), progress=None)
    with pytest.raises(SettingsError, match="minibatch"):
        w2v.spark.train(str(SAMPLE), w2v.Word2Vec(minibatch=True), progress=None)


def test_wrong_column_type_names_the_column_and_the_cast(spark):
    numbers = spark.createDataFrame([(1, [1, 2])], "n int, ids array<int>")
    with pytest.raises(CorpusError, match="'ids' holds array<int>.*cast"):
        w2v.spark.train(numbers, w2v.Word2Vec(), column="ids", progress=None)
    with pytest.raises(CorpusError, match="no column 'missing'"):
        w2v.spark.train(numbers, w2v.Word2Vec(), column="missing", progress=None)
    with pytest.raises(CorpusError, match="no column of text"):
        w2v.spark.train(numbers, w2v.Word2Vec(), progress=None)


def test_inputs_spark_cannot_read_are_refused(spark, tmp_path):
    import lzma

    packed = tmp_path / "corpus.txt.xz"
    packed.write_bytes(lzma.compress(b"some words here\n"))
    with pytest.raises(CorpusError, match="xz-compressed.*bzip2"):
        w2v.spark.train(str(packed), progress=None)
    with pytest.raises(CorpusError, match="standard input"):
        w2v.spark.train("-", progress=None)
    with pytest.raises(CorpusError, match="no such file"):
        w2v.spark.train(str(tmp_path / "missing.txt"), progress=None)
    with pytest.raises(SettingsError, match="partitions"):
        w2v.spark.train(str(SAMPLE), partitions=0, progress=None)


@pytest.mark.parametrize("master, message", [
    ("localhost[2]", "not a Spark master URL"),
    ("spark://127.0.0.1:1", "cannot reach the Spark master"),
])
def test_bad_master_urls_are_one_error(master, message):
    with pytest.raises(SparkError, match=message):
        w2v.spark.start_session(master)


# --- the command line ---------------------------------------------------------------------------


def run_cli(*args, timeout=240):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_cli_trains_on_spark(tmp_path):
    out = tmp_path / "model.w2v"
    done = run_cli("train", str(SAMPLE), "--spark", "local[2]", "-o", str(out), "--epochs", "2",
                   "--dim", "20", "--rounds-per-epoch", "2")
    assert done.returncode == 0, done.stderr
    # Two rounds an epoch, the first epoch's first cut finer (warm-up rounds).
    last = re.findall(r"round (\d+)/(\d+) \(epoch (\d+)/2\)", done.stderr)[-1]
    assert last[0] == last[1] and last[2] == "2" and int(last[1]) >= 4
    assert "Error" not in done.stderr and "WARN" not in done.stderr
    model = w2v.load(out)
    assert model.epochs_trained_ == 2 and model.dim == 20


@pytest.mark.parametrize("args, message", [
    (["--spark", "nonsense"], "is not a Spark master URL"),
    (["--spark", "local[2]", "--partitions", "0"], "partitions"),
])
def test_cli_mistakes_are_one_error_line(tmp_path, args, message):
    done = run_cli("train", str(SAMPLE), "-o", str(tmp_path / "m.w2v"), *args, timeout=60)
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], done.stderr
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr


def test_first_epoch_starts_with_short_rounds_and_covers_every_batch_once():
    from types import SimpleNamespace

    from w2v.spark.training import _rounds_of_epoch

    words = np.array([[70, 50, 40], [60, 50, 40]])            # 2 partitions x 3 shares
    first_share = np.array([[10] * 7, [10] * 6 + [0]])        # share 0's batches, 0-padded
    prepared = SimpleNamespace(words=words, first_share=first_share)
    warm = list(_rounds_of_epoch(prepared, warm_up=True))
    assert [b for _, b, _ in warm[:3]] == [(0, 1), (1, 3), (3, None)]  # 1, 2, then the rest
    assert [s for s, _, _ in warm] == [0, 0, 0, 1, 2]
    assert sum(w for s, _, w in warm if s == 0) == words[:, 0].sum()
    assert [w for _, _, w in warm] == [20, 40, 70, 100, 80]
    later = list(_rounds_of_epoch(prepared, warm_up=False))
    assert later == [(0, (0, None), 130), (1, (0, None), 100), (2, (0, None), 80)]


def test_partitions_beyond_the_words_are_cut_with_a_warning():
    from w2v.spark.training import PARTITION_WORDS, _useful_partitions

    with pytest.warns(UserWarning, match="100,000 partitions for 250 words: training on 3"):
        assert _useful_partitions(100_000, 250) == 3
    with pytest.warns(UserWarning, match="training on 1"):
        assert _useful_partitions(8, 1) == 1
    assert _useful_partitions(2, 720) == 2
    assert _useful_partitions(4, PARTITION_WORDS * 4) == 4


LAUNCH_INTERRUPTED = """
import subprocess
import time
from pyspark import SparkConf, java_gateway
from w2v.spark import session

started, real, sleep = [], subprocess.Popen, time.sleep
def recording(*args, **kwargs):
    started.append(real(*args, **kwargs))
    return started[-1]
def interrupted(seconds):  # the launch waits for the JVM in steps of 0.1 s: Ctrl-C in the first
    time.sleep = sleep
    raise KeyboardInterrupt
subprocess.Popen, time.sleep = recording, interrupted
try:
    session._launch(SparkConf(), {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL})
except KeyboardInterrupt:
    pass
print(len(started), started[0].poll())
for process in started:
    if process.poll() is None:
        process.kill()
"""


def test_an_interrupted_launch_leaves_no_jvm_behind():
    # PySpark abandons a JVM whose launch is interrupted: it would wait for a connection forever.
    done = subprocess.run([sys.executable, "-c", LAUNCH_INTERRUPTED], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    processes, status = done.stdout.split()
    assert processes == "1" and status != "None"  # started, and no longer running
