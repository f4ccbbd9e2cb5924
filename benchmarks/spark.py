"""w2v.spark against Spark MLlib's Word2Vec and single-machine w2v, in one run.

    pip install -e ".[spark]"
    timeout 7200 python benchmarks/spark.py                    # writes results/spark.md
    python benchmarks/spark.py --tokens 2000000 --out results/spark-small.md

All on the same corpus (the first ``--tokens`` tokens of the shared corpus,
one sentence a line, decompressed once into benchmarks/work/), dim 100,
window 5, min_count 5, on one local Spark (``--master``, local[2] by
default) started once:

- w2v.spark, skip-gram with negative sampling, on 2 and 4 partitions;
- ``pyspark.ml.feature.Word2Vec`` (skip-gram with hierarchical softmax, no
  subsampling, 1 iteration: its default) on 1 and 2 partitions;
- single-machine w2v, 2 worker threads.

Seconds are wall time from the call to the trained vectors, vocabulary
counting and reading the data included (the Spark session is started
before, and not counted); words/s = corpus tokens x epochs / seconds. Both
scores are w2v's evaluators on each tool's vectors: Google analogies over the
30,000 most frequent words (MLlib's vectors ordered by w2v's counts of the
same tokens) and WordSim-353 Spearman.
"""

from __future__ import annotations

import argparse
import lzma
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import w2v  # noqa: E402
import w2v.spark  # noqa: E402
from compare import machine  # noqa: E402  (the same machine line as the peers' benchmark)

SHARED = HERE.parent.parent / "shared" / "data"
CORPUS = SHARED / "corpus" / "corpus-en.sentences.txt.xz"
SETTINGS = dict(dim=100, window=5, min_count=5, seed=1)


def first_tokens(source: Path, tokens: int) -> Path:
    """The first whole lines of ``source`` holding ``tokens`` tokens, as a
    plain file in benchmarks/work/ (made once)."""
    target = HERE / "work" / f"{source.name.split('.')[0]}-{tokens // 1000}k.txt"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    count = 0
    with lzma.open(source, "rt", encoding="utf-8") as lines, open(partial, "w") as out:
        for line in lines:
            out.write(line)
            count += len(line.split())
            if count >= tokens:
                break
    partial.rename(target)
    return target


def scores(kv) -> tuple[float, float]:
    analogies = kv.evaluate_word_analogies(restrict_vocab=30_000)
    return round(100 * analogies.accuracy, 2), round(kv.evaluate_word_pairs().spearman, 4)


def run_single(path, epochs, workers=2):
    started = time.perf_counter()
    model = w2v.Word2Vec(**SETTINGS, epochs=epochs, workers=workers).train(str(path), progress=None)
    return time.perf_counter() - started, model.wv


def run_spark(path, spark, partitions, epochs, rounds):
    started = time.perf_counter()
    model = w2v.spark.train(str(path), w2v.Word2Vec(**SETTINGS, epochs=epochs), spark=spark,
                            partitions=partitions, rounds_per_epoch=rounds, progress=None)
    return time.perf_counter() - started, model.wv


def run_mllib(path, spark, partitions, counts):
    """MLlib's Word2Vec on the same tokens: the text split on spaces (the
    corpus is lower-case a-z words separated by single spaces)."""
    from pyspark.ml.feature import Word2Vec as MLlibWord2Vec
    from pyspark.sql import functions as F

    started = time.perf_counter()
    frame = spark.read.text(str(path)).select(F.split("value", " ").alias("tokens"))
    fitted = MLlibWord2Vec(vectorSize=SETTINGS["dim"], windowSize=SETTINGS["window"],
                           minCount=SETTINGS["min_count"], numPartitions=partitions, maxIter=1,
                           seed=SETTINGS["seed"], inputCol="tokens").fit(frame)
    rows = fitted.getVectors().collect()
    seconds = time.perf_counter() - started
    # Most frequent first, as w2v's evaluators expect for "the top 30,000".
    rows.sort(key=lambda row: (-counts.get(row["word"], 0), row["word"]))
    words = [row["word"] for row in rows]
    vectors = np.array([row["vector"].toArray() for row in rows], dtype=np.float32)
    return seconds, w2v.KeyedVectors(words, vectors)


def versions() -> str:
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in ("w2v", "pyspark", "numba", "numpy"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--tokens", type=int, default=10_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--epochs", default="1,2,3", help="w2v.spark on 2 partitions, and w2v")
    parser.add_argument("--rounds", type=int, default=None, help="w2v.spark rounds per epoch")
    parser.add_argument("--skip", default="", help="comma-separated: mllib, spark4, coarse, single")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "spark.md")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    epochs = [int(e) for e in args.epochs.split(",")]
    path = first_tokens(args.corpus, args.tokens)
    vocab = w2v.Vocabulary.build(w2v.Corpus(path), min_count=SETTINGS["min_count"])
    counts = dict(zip(vocab.words, vocab.counts.tolist()))
    tokens = vocab.corpus_tokens
    load_before = os.getloadavg()
    spark = w2v.spark.start_session(args.master, conf={"spark.driver.memory": "2g",
                                                       "spark.sql.shuffle.partitions": "2"})
    # (tool, partitions or threads, epochs, rounds per epoch: None for the default),
    # the tools taking turns, so that a change in the machine's load falls on all of them.
    spark2 = [("w2v.spark", 2, e, args.rounds) for e in epochs]
    single = [("w2v, one machine", 2, e, None) for e in epochs] if "single" not in skip else []
    mllib = [("MLlib", 1, 1, None), ("MLlib", 2, 1, None)] if "mllib" not in skip else []
    rest = [("w2v.spark", 4, max(epochs), args.rounds)] if "spark4" not in skip else []
    if "coarse" not in skip:  # the former default, rounds of 1M words a partition
        rest.append(("w2v.spark", 2, max(epochs), 5))
    plan = [run for turn in _turns(spark2, single, mllib, rest) for run in turn]
    rows = []
    try:
        for tool, parallel, passes, rounds in plan:
            if tool == "w2v.spark":
                seconds, kv = run_spark(path, spark, parallel, passes, rounds)
            elif tool == "MLlib":
                seconds, kv = run_mllib(path, spark, parallel, counts)
            else:
                seconds, kv = run_single(path, passes, workers=parallel)
            analogy, wordsim = scores(kv)
            rows.append((tool, parallel, passes, rounds, seconds, tokens * passes / seconds,
                         analogy, wordsim))
            print(f"{tool:18} {parallel} x {passes} epochs: {seconds:6.1f} s  "
                  f"{tokens * passes / seconds:,.0f} words/s  analogy {analogy:5.2f}%  "
                  f"WordSim {wordsim:.4f}", flush=True)
    finally:
        spark.stop()
    load_after = os.getloadavg()
    write(args, path, tokens, rows, load_before, load_after)


def _turns(*tools):
    """One run of each list in turn: [a1, b1, c1], [a2, b2, ...], ..."""
    longest = max(len(runs) for runs in tools)
    return [[runs[k] for runs in tools if k < len(runs)] for k in range(longest)]


def write(args, path, tokens, rows, load_before, load_after):
    command = "python " + " ".join(shlex.quote(a) for a in [f"benchmarks/{Path(__file__).name}",
                                                            *sys.argv[1:]])
    lines = [
        f"# w2v.spark vs Spark MLlib vs single-machine w2v, {time.strftime('%Y-%m-%d %H:%M')}",
        "", f"Command: `{command}`", "",
        f"Machine: {machine()}; Spark master {args.master}. Load average (1 min) "
        f"{load_before[0]:.1f} before and {load_after[0]:.1f} after: "
        + ("**the machine was shared with other work** (a quiet 2-core machine shows under 1), "
           "so seconds are pessimistic and comparable only within this run."
           if max(load_before[0], load_after[0]) > 1.5 else "a quiet machine."),
        "", f"Versions: {versions()}", "",
        f"Corpus: the first {tokens:,} tokens of {args.corpus.name} ({path.name}); dim 100, "
        "window 5, min_count 5; w2v: skip-gram, negative 5, sample 1e-3; MLlib: skip-gram with "
        "hierarchical softmax, no subsampling, 1 iteration. Seconds: wall time of the call, "
        "vocabulary and reading included, Spark session start excluded. Analogies: 30,000 most "
        "frequent words; both scores by w2v's evaluators.", "",
        "| tool | partitions / threads | epochs | rounds per epoch | seconds | words/s | "
        "analogy % | WordSim-353 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for tool, parallel, passes, rounds, seconds, speed, analogy, wordsim in rows:
        shown = "-" if tool != "w2v.spark" else (rounds or "default")
        lines.append(f"| {tool} | {parallel} | {passes} | {shown} | {seconds:.1f} | {speed:,.0f} | "
                     f"{analogy:.2f} | {wordsim:.4f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
