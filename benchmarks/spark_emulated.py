"""w2v.spark's rounds emulated in one process, to study the merge without Spark.

    python benchmarks/spark_emulated.py --partitions 4 --epochs 3
    python benchmarks/spark_emulated.py --partitions 4 --contraction 0.1 --round-words 75000

Every round, each of ``--partitions`` partitions trains its share from the same
vectors, one after another, with the very functions an executor runs
(`w2v.spark.rounds.train_share`), and the driver's merge (eq. 27) combines them.
Batches are dealt to partitions and shares as `w2v.spark.training` deals them,
and the first epoch starts with the same short warm-up rounds. Without Spark's
per-round cost (a broadcast, a job, the changes sent back), a 10M-token, 3-epoch
run takes a minute or two, so the merge's settings can be swept. One kernel
thread per partition and fixed seeds: a run is reproducible.

``--momentum m`` adds block momentum to the merged change (Chen & Huo 2016,
"BMUF"): each round moves the vectors by its change plus m times the last move.
Prints one line: settings, analogy (top 30,000 words), WordSim-353, seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import w2v  # noqa: E402
from w2v.batches import make_batches  # noqa: E402
from w2v.sampling import alias_table  # noqa: E402
from w2v.spark import rounds  # noqa: E402
from w2v.spark import training as spark_training  # noqa: E402

from spark import CORPUS, first_tokens  # noqa: E402  (the same 10M-token slice)


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=10_000_000)
    parser.add_argument("--round-words", type=int, default=spark_training.ROUND_WORDS,
                        help="words a partition trains in a round")
    parser.add_argument("--contraction", type=float, default=spark_training.CONTRACTION,
                        help="c of a = c * eta in eq. 27")
    parser.add_argument("--momentum", type=float, default=0.0)
    parser.add_argument("--cbow", action="store_true")
    parser.add_argument("--alpha", type=float, default=None)
    return parser.parse_args()


def dealt(model, path, partitions: int, round_words: int):
    """The batches of each partition tagged with their share, as Spark caches
    them, and the `Prepared` sizes the driver's loop reads."""
    total = model.vocab_.total_count
    shares = max(int(np.ceil(total / partitions / round_words)), spark_training.MIN_ROUNDS)
    per_share = total / (partitions * shares)
    batch_words = int(min(spark_training.SHARE_BATCH_WORDS, max(per_share / 4, 100)))
    batches = make_batches(model._sentences(path), model.vocab_.index, batch_words,
                           model.max_sentence_length)
    items = [[] for _ in range(partitions)]
    for k, batch in enumerate(batches):
        items[k % partitions].append(batch)
    items = [[(k % shares, ids, ends) for k, (ids, ends) in enumerate(part)] for part in items]
    words = np.zeros((partitions, shares), dtype=np.int64)
    first = [[len(ids) for share, ids, _ in part if share == 0] for part in items]
    for p, part in enumerate(items):
        for share, ids, _ in part:
            words[p, share] += len(ids)
    first_share = np.zeros((partitions, max(map(len, first))), dtype=np.int64)
    for p, sizes in enumerate(first):
        first_share[p, :len(sizes)] = sizes
    return items, spark_training.Prepared(None, words, None, first_share)


def train(model, items, prepared, contraction: float, momentum: float) -> int:
    keep = model.vocab_.keep_probabilities(model.sample)
    noise = model.vocab_.noise_distribution(model.ns_exponent)
    tables = SimpleNamespace(value=(keep, *alias_table(noise), noise))
    settings = rounds.Settings(model.sg, model.window, model.shrink_windows, model.negative,
                               False, model.max_sentence_length, model.seed)
    per_epoch = int(prepared.words.sum())
    total = per_epoch * model.epochs
    moves = [np.zeros_like(model.W_in_), np.zeros_like(model.W_out_)]
    serial = 0
    for epoch in range(model.epochs):
        done = epoch * per_epoch
        for share, batches, words in spark_training._rounds_of_epoch(prepared, epoch == 0):
            eta_mid = spark_training._eta(model, done + words / 2, total)
            plan = rounds.RoundPlan(share, serial, done, int(words), total, model.start_alpha,
                                    model.end_alpha, contraction * eta_mid, batches)
            vectors = SimpleNamespace(value=(rounds.for_transport(model.W_in_),
                                             rounds.for_transport(model.W_out_)))
            updates = [next(rounds.train_share(settings, plan, vectors, tables, p, part))
                       for p, part in enumerate(items)]
            merged = updates[0]
            for update in updates[1:]:
                merged = rounds.merge(merged, update)
            before = [model.W_in_.copy(), model.W_out_.copy()] if momentum else None
            merged.apply(model.W_in_, model.W_out_, plan.contraction)
            if momentum:
                for W, start, move in zip((model.W_in_, model.W_out_), before, moves):
                    move *= momentum
                    move += W - start
                    W[:] = start + move
            done += merged.words
            serial += 1
    return serial


def main():
    args = arguments()
    path = first_tokens(CORPUS, args.tokens)
    extra = {"alpha": args.alpha} if args.alpha else {}
    model = w2v.Word2Vec(dim=100, window=5, min_count=5, seed=1, epochs=args.epochs,
                         sg=not args.cbow, **extra)
    model.build_vocab(path)
    spark_training.initialise(model, model.vocab_)
    items, prepared = dealt(model, path, args.partitions, args.round_words)
    started = time.perf_counter()
    serial = train(model, items, prepared, args.contraction, args.momentum)
    seconds = time.perf_counter() - started
    model._wv = None
    analogy = 100 * model.wv.evaluate_word_analogies(restrict_vocab=30_000).accuracy
    wordsim = model.wv.evaluate_word_pairs().spearman
    print(f"partitions {args.partitions}  epochs {args.epochs}  round words {args.round_words}  "
          f"contraction {args.contraction}  momentum {args.momentum}  "
          f"{'cbow' if args.cbow else 'sg'}  alpha {model.start_alpha}:  analogy {analogy:.2f}  "
          f"wordsim {wordsim:.4f}  rounds {serial}  {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
