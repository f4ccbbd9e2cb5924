"""Vocabulary cap against exact counts: words kept, overlap with the true
top N, count error and time, for each cap. Writes a Markdown table.

    python benchmarks/vocab_cap.py data/sample-en.txt --caps 1000,30000
    python benchmarks/vocab_cap.py ../shared/data/corpus/corpus-en.txt.xz --caps 1000,30000

A compressed corpus is decompressed once into a temporary file, so that every
pass reads the same plain text; each build is one pass through
w2v.corpus.read_sentences (the exact counts too, once).
"""

import argparse
import lzma
import os
import shutil
import sys
import tempfile
import time

import numpy as np

from w2v import Vocabulary
from w2v.corpus import read_sentences


def timed_build(path, min_count, max_size):
    """The vocabulary, and the wall-clock and CPU seconds it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    vocab = Vocabulary.build(read_sentences(path), min_count=min_count, max_size=max_size)
    return vocab, (time.perf_counter() - wall, time.process_time() - cpu)


def compare(capped, exact, cap):
    """Overlap with the exact top ``cap`` (ties at its last count broken as
    build breaks them, by the word) and the error of the capped counts."""
    true_top = set(exact.words[:cap])
    last = exact.counts[min(cap, len(exact)) - 1]
    true = np.array([exact.counts[exact.index[w]] for w in capped.words])
    error = (true - capped.counts) / true
    assert (error >= 0).all(), "a capped count above the true count"
    return {"kept": len(capped), "overlap": len(true_top.intersection(capped.words)),
            "at_least_nth": int((true >= last).sum()), "exact_counts": int((error == 0).sum()),
            "mean_error": float(error.mean()), "max_error": float(error.max())}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus")
    parser.add_argument("--caps", default="1000,30000")
    parser.add_argument("--min-count", type=int, default=1)
    args = parser.parse_args()
    caps = [int(c) for c in args.caps.split(",")]
    with tempfile.TemporaryDirectory() as scratch:
        path = args.corpus
        if path.endswith(".xz"):
            path = os.path.join(scratch, "corpus.txt")
            with lzma.open(args.corpus, "rb") as source, open(path, "wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
        exact, exact_seconds = timed_build(path, args.min_count, None)
        rows = []
        for cap in caps:
            capped, seconds = timed_build(path, args.min_count, cap)
            rows.append((cap, seconds, capped.pruned_words, compare(capped, exact, cap)))
    print(f"`python {' '.join(sys.argv)}` (min_count={args.min_count}; "
          f"{exact.corpus_tokens:,} tokens, {len(exact):,} words at min_count; "
          f"exact count: {exact_seconds[0]:.1f} s, {exact_seconds[1]:.1f} s of CPU)\n")
    print("| cap N | seconds (CPU) | dropped while counting | words kept | in the exact top N "
          "| true count >= the exact N-th | exact counts | mean count error | max count error |")
    print("|---|---|---|---|---|---|---|---|---|")
    for cap, seconds, dropped, r in rows:
        print(f"| {cap:,} | {seconds[0]:.1f} ({seconds[1]:.1f}) | {dropped:,} | {r['kept']:,} | {r['overlap']:,} "
              f"| {r['at_least_nth']:,} | {r['exact_counts']:,} | {100 * r['mean_error']:.2f}% "
              f"| {100 * r['max_error']:.1f}% |")


if __name__ == "__main__":
    main()
