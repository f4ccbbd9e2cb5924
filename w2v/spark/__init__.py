"""Train w2v models on an Apache Spark cluster (``pip install 'w2v[spark]'``).

Data-parallel skip-gram and CBOW with negative sampling, in synchronisation
rounds: each round every partition trains w2v's own compiled kernel on its
share from the current vectors, and the driver merges the rows each
partition changed, weighted by how often it updated them (the algorithm and
its equations: docs/derivation.md, section 10; what runs where and what it
costs: docs/scaling.md). Spark is the engine: no scheduler or parameter
server of w2v's own.

>>> import w2v, w2v.spark
>>> spark = w2v.spark.start_session("local[4]")                        # doctest: +SKIP
>>> model = w2v.spark.train("corpus.txt.bz2", w2v.Word2Vec(epochs=3))  # doctest: +SKIP
>>> model.save("corpus.w2v")                                          # doctest: +SKIP
>>> w2v.load("corpus.w2v").wv.most_similar("king")                    # doctest: +SKIP

A DataFrame works as well, with a column of text (tokenized on the
executors with w2v's tokenizer) or of token arrays::

    model = w2v.spark.train(frame, w2v.Word2Vec(sg=False), column="text", partitions=8)

and item vectors come from an interactions DataFrame (user, item, time)::

    items = w2v.spark.train_items(events, w2v.Item2Vec(), session_gap=1800)

The result is an ordinary ``Word2Vec`` (or ``Item2Vec``): ``save`` writes a
model file that ``w2v.load`` reads on any machine, and `vectors_frame` gives
the vectors back as a DataFrame. PySpark is imported only when a function
here is called; without it (or without Java) the call is one `SparkError`
saying what to install.
"""

from __future__ import annotations

from .data import SparkReadStats, open_input
from .session import SparkError, active_session, start_session
from .sessions import SparkSessions, sessions, train_items
from .training import train
from .vocab import vocabulary_of

__all__ = ["SparkError", "SparkReadStats", "SparkSessions", "build_vocab", "sessions",
           "start_session", "train", "train_items", "vectors_frame"]


def build_vocab(data, *, column: str | None = None, min_count: int = 5,
                max_vocab_size: int | None = None, lowercase: bool = True,
                max_sentence_length: int = 10_000, spark=None):
    """Count the words of ``data`` on the cluster: the ``Vocabulary`` that
    ``w2v.Vocabulary.build`` gives for the same text on one machine.

    ``data`` is what `train` takes (a DataFrame, or text or Parquet paths).
    Returns a ``w2v.Vocabulary``; its ``read_stats`` attribute holds what
    reading found (`SparkReadStats`).
    """
    session = active_session(spark if spark is not None else getattr(data, "sparkSession", None))
    stats = SparkReadStats()
    vocab = vocabulary_of(open_input(session, data, column), min_count, max_vocab_size,
                          lowercase=lowercase, max_sentence_length=max_sentence_length,
                          stats=stats)
    vocab.read_stats = stats
    return vocab


def vectors_frame(vectors, spark=None, rows_per_part: int = 50_000):
    """Vectors as a Spark DataFrame: columns ``word`` (string), ``vector``
    (array<float>) and ``count`` (long), most frequent first.

    ``vectors`` is a trained model (its ``wv``) or ``KeyedVectors``. The
    driver sends them in parts of ``rows_per_part`` rows, so no copy of all
    of them as Python lists is ever made.
    """
    from .session import spark_errors

    kv = getattr(vectors, "wv", vectors)
    session = active_session(spark)
    from pyspark.sql.types import ArrayType, FloatType, LongType, StringType, StructField, StructType

    schema = StructType([StructField("word", StringType(), False),
                         StructField("vector", ArrayType(FloatType(), False), False),
                         StructField("count", LongType(), True)])
    counts = getattr(kv, "counts", None)
    frames = []
    with spark_errors("making a DataFrame of the vectors"):
        for start in range(0, len(kv), rows_per_part):
            stop = min(start + rows_per_part, len(kv))
            rows = [(kv.index_to_key[i], kv.vectors[i].tolist(),
                     int(counts[i]) if counts is not None else None) for i in range(start, stop)]
            frames.append(session.createDataFrame(rows, schema))
        frame = frames[0]
        for more in frames[1:]:
            frame = frame.unionAll(more)
    return frame
