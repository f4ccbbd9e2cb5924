"""Words per CPU-second of each kernel on one thread, over the same batches.

The machine is shared, so wall-clock speed moves with other people's jobs;
the CPU time of the training thread (time.thread_time) moves much less. This
times the kernels alone (no reader thread, no queue): batches of the first
``--words`` words of the corpus, trained ``--repeat`` times from the same
start, best of the repeats.

    python benchmarks/kernel_speed.py --words 2000000 --modes sg,cbow
"""

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import w2v  # noqa: E402
from w2v import kernels  # noqa: E402
from w2v.batches import make_batches  # noqa: E402
from w2v.sampling import alias_table, seed_state  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(HERE / "work" / "corpus-en-10000k.txt"))
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument("--modes", default="sg,cbow")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--groups", default="4", help="CBOW minibatch group sizes to time")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with open(args.corpus, encoding="utf-8") as handle:
        sentences, n = [], 0
        for line in handle:
            words = line.lower().split()
            sentences.append(words)
            n += len(words)
            if n >= args.words:
                break
    model = w2v.Word2Vec(dim=args.dim, window=args.window, negative=args.negative, min_count=5)
    model.build_vocab(sentences)
    batches = list(make_batches(sentences, model.vocab_.index, 50_000, 10_000))
    words = sum(len(ids) for ids, _ in batches)
    keep = model.vocab_.keep_probabilities(1e-3)
    accept, alias = alias_table(model.vocab_.noise_distribution(0.75))
    d, K, win = args.dim, args.negative, args.window
    print(f"{words:,} words, vocabulary {len(model.vocab_):,}, dim {d}, window {win}, "
          f"negative {K}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    def timed(name, call):
        best = None
        for _ in range(args.repeat):
            W_in, W_out = model.W_in_.copy(), model.W_out_.copy()
            state = seed_state(1)
            started = time.thread_time()
            loss = pairs = 0
            for ids, ends in batches:
                batch_loss, batch_pairs = call(W_in, W_out, ids, ends, state)
                loss += batch_loss
                pairs += batch_pairs
            seconds = time.thread_time() - started
            best = seconds if best is None else min(best, seconds)
        print(f"{name:32s} {words / best:12,.0f} words/CPU-s   loss/pair {loss / pairs:.4f}",
              flush=True)

    kept = np.empty(10_000, np.int32)
    noise = np.empty((2 * win, K), np.int64)
    dv, h = np.empty(d, np.float32), np.empty(d, np.float32)
    none = np.empty((2, 0, d), np.float32)
    for mode in args.modes.split(","):
        if mode == "sg":
            for share in (False, True):
                timed(f"sg per-pair share_noise={share}", lambda W_in, W_out, ids, ends, state: kernels.train_skipgram(
                    W_in, W_out, ids, ends, keep, accept, alias, win, True, share, 0.025, 0.02,
                    state, kept, noise, dv, none))
            scratch = kernels.MinibatchScratch(d, win, K)
            timed("sg minibatch", lambda W_in, W_out, ids, ends, state: kernels.train_skipgram_minibatch(
                W_in, W_out, ids, ends, keep, accept, alias, win, True, 0.025, 0.02, state, kept,
                noise, dv, scratch, none))
        else:
            timed("cbow per-pair", lambda W_in, W_out, ids, ends, state: kernels.train_cbow(
                W_in, W_out, ids, ends, keep, accept, alias, win, True, 0.05, 0.04, state, kept,
                noise, dv, h, none))
            for group in map(int, args.groups.split(",")):
                scratch = kernels.MinibatchScratch(d, win, K, group)
                timed(f"cbow minibatch group={group}", lambda W_in, W_out, ids, ends, state, s=scratch: kernels.train_cbow_minibatch(
                    W_in, W_out, ids, ends, keep, accept, alias, win, True, 0.05, 0.04, state,
                    kept, noise, dv, s, none))


if __name__ == "__main__":
    main()
