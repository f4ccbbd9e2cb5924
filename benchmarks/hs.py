"""Hierarchical softmax alone (negative 0) in w2v, gensim and word2vec C:
speed and quality on the same corpus, tools alternated in one run, each run
in a fresh process.

    pip install -e ".[bench]"
    python benchmarks/hs.py                       # 10M tokens, sg and cbow, 3 epochs, 2 workers
    python benchmarks/hs.py --modes sg --tools w2v,gensim
    python benchmarks/hs.py --tools w2v,w2v-plain   # w2v without private copies of the
                                                    # tree's top rows (plain Hogwild)

Settings for every tool: hierarchical softmax with no negative sampling
(w2v --hs --negative 0, gensim hs=1 negative=0, word2vec -hs 1 -negative 0),
dim 100, window 5, sample 1e-3, min_count 5, word2vec's default learning
rates. Every tool's vectors are scored by w2v's evaluators (analogies over
the 30,000 most frequent words, WordSim-353). words/s = corpus tokens x
epochs / training seconds (vocabulary scan excluded; word2vec C's time
includes writing its vectors). The machine may be shared: the load average
is recorded before and after each run.
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
sys.path.insert(0, str(HERE))
from compare import machine, versions  # noqa: E402
from run_one import count_words, word2vec_c_binary  # noqa: E402


def alpha(args):
    return 0.025 if args.mode == "sg" else 0.05


def train_w2v(args, hot_rows=True):
    import w2v
    import w2v.model
    if not hot_rows:  # plain Hogwild: no private copies of W_hs's top rows
        w2v.model.HOT_ROWS_BYTES = 0
    model = w2v.Word2Vec(sg=args.mode == "sg", hs=True, negative=0, dim=args.dim,
                         window=args.window, epochs=args.epochs, workers=args.workers)
    started = time.perf_counter()
    model.build_vocab(args.corpus)
    vocab_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model.train(args.corpus, progress=None)
    return model.wv, vocab_seconds, time.perf_counter() - started, model.vocab_.corpus_tokens


def train_gensim(args):
    import numpy as np
    import w2v
    from gensim.models import Word2Vec
    model = Word2Vec(sg=int(args.mode == "sg"), hs=1, negative=0, vector_size=args.dim,
                     window=args.window, epochs=args.epochs, workers=args.workers,
                     min_count=5, sample=1e-3, alpha=alpha(args))
    started = time.perf_counter()
    model.build_vocab(corpus_file=args.corpus)
    vocab_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model.train(corpus_file=args.corpus, total_words=model.corpus_total_words,
                total_examples=model.corpus_count, epochs=args.epochs)
    seconds = time.perf_counter() - started
    kv = w2v.KeyedVectors(list(model.wv.index_to_key), np.asarray(model.wv.vectors))
    return kv, vocab_seconds, seconds, model.corpus_total_words


def train_word2vec_c(args):
    import w2v
    with tempfile.TemporaryDirectory() as scratch:
        output = os.path.join(scratch, "vectors.bin")
        command = [word2vec_c_binary(), "-train", args.corpus, "-output", output, "-binary", "1",
                   "-cbow", str(int(args.mode == "cbow")), "-size", str(args.dim),
                   "-window", str(args.window), "-negative", "0", "-hs", "1", "-sample", "1e-3",
                   "-min-count", "5", "-threads", str(args.workers), "-iter", str(args.epochs),
                   "-alpha", str(alpha(args))]
        if shutil.which("stdbuf"):
            command = ["stdbuf", "-oL", *command]
        started = time.perf_counter()
        vocab_seconds = None
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as tool:
            for line in tool.stdout:  # printed when its vocabulary scan ends and training starts
                if vocab_seconds is None and line.startswith("Words in train file"):
                    vocab_seconds = time.perf_counter() - started
                    training_started = time.perf_counter()
        if tool.returncode or vocab_seconds is None:
            sys.exit(f"word2vec C failed (exit {tool.returncode}): {' '.join(command)}")
        seconds = time.perf_counter() - training_started
        kv = w2v.load_word2vec_format(output, binary=True)
    keep = [i for i, word in enumerate(kv.index_to_key) if word != "</s>"]
    kv = w2v.KeyedVectors([kv.index_to_key[i] for i in keep], kv.vectors[keep])
    return kv, vocab_seconds, seconds, count_words(args.corpus)


TRAINERS = {"w2v": train_w2v, "w2v-plain": lambda args: train_w2v(args, hot_rows=False),
            "gensim": train_gensim, "word2vec-c": train_word2vec_c}


def run_one(args):
    """One tool, one mode, in this process: print a JSON line of figures."""
    load_start = os.getloadavg()[0]
    kv, vocab_seconds, seconds, words = TRAINERS[args.one](args)
    analogies = kv.evaluate_word_analogies(args.analogies, restrict_vocab=30_000)
    similarity = kv.evaluate_word_pairs(args.similarity)
    print(json.dumps({
        "tool": args.one, "mode": args.mode, "workers": args.workers,
        "train_seconds": round(seconds, 1), "vocab_seconds": round(vocab_seconds, 1),
        "words_per_second": round(int(words) * args.epochs / seconds),
        "analogy_accuracy": round(100 * analogies.accuracy, 2),
        "wordsim_spearman": round(similarity.spearman, 4), "vocab_size": len(kv),
        "corpus_words": int(words),
        "load_start": round(load_start, 2), "load_end": round(os.getloadavg()[0], 2)}))


def report(args, rows, load_before, load_after):
    columns = ["tool", "mode", "workers", "train_seconds", "words_per_second",
               "analogy_accuracy", "wordsim_spearman", "vocab_size", "load_start", "load_end"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(f"{r[c]:,}" if isinstance(r[c], int) else str(r[c])
                                for c in columns) + " |" for r in rows]
    means = ["| tool | mode | runs | words_per_second | analogy_accuracy | wordsim_spearman |",
             "|---|---|---|---|---|---|"]
    for tool, mode in dict.fromkeys((r["tool"], r["mode"]) for r in rows):
        mine = [r for r in rows if (r["tool"], r["mode"]) == (tool, mode)]
        mean = {c: sum(r[c] for r in mine) / len(mine)
                for c in ("words_per_second", "analogy_accuracy", "wordsim_spearman")}
        means.append(f"| {tool} | {mode} | {len(mine)} | {mean['words_per_second']:,.0f} | "
                     f"{mean['analogy_accuracy']:.2f} | {mean['wordsim_spearman']:.4f} |")
    return (f"# Hierarchical softmax: w2v vs gensim vs word2vec C, "
            f"{time.strftime('%Y-%m-%d %H:%M')}\n\n"
            f"Command: `python benchmarks/hs.py {shlex.join(sys.argv[1:])}`\n\n"
            f"Machine: {machine()}\n\nVersions: {versions()}\n\n"
            f"Load average (1 min) {load_before:.2f} before the runs, {load_after:.2f} after, "
            f"on {os.cpu_count()} cores: the machine is shared with other jobs, so the "
            f"speeds are indicative (each row also gives the load at its start and end).\n\n"
            f"Corpus: {Path(args.corpus).name} ({rows[0]['corpus_words']:,} tokens); hierarchical "
            f"softmax alone (negative 0), dim {args.dim}, window {args.window}, sample 1e-3, "
            f"min_count 5, {args.epochs} epochs, {args.workers} workers, alpha 0.025 skip-gram, "
            f"0.05 CBOW; analogies over the 30,000 most frequent words, every tool scored by "
            f"w2v's evaluators.\n\nEvery run, in the order run:\n\n" + "\n".join(lines)
            + "\n\nMeans over the runs:\n\n" + "\n".join(means) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(HERE / "work" / "corpus-en-10000k.txt"))
    parser.add_argument("--analogies", default=str(SHARED / "eval" / "questions-words.txt"))
    parser.add_argument("--similarity", default=str(SHARED / "eval" / "wordsim353.tsv"))
    parser.add_argument("--modes", default="sg,cbow")
    parser.add_argument("--tools", default="w2v,gensim,word2vec-c")
    parser.add_argument("--mode", default="sg", help=argparse.SUPPRESS)
    parser.add_argument("--one", choices=sorted(TRAINERS), help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=1, help="passes over all modes and tools")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--out", default=str(HERE / "results" / "hs.md"))
    args = parser.parse_args()
    if args.one:
        return run_one(args)

    load_before = os.getloadavg()[0]
    rows = []
    for mode in [m for _ in range(args.repeat) for m in args.modes.split(",")]:
        for tool in args.tools.split(","):  # alternated, each in a fresh process
            command = [sys.executable, __file__, "--one", tool, "--mode", mode,
                       "--corpus", args.corpus, "--analogies", args.analogies,
                       "--similarity", args.similarity, "--epochs", str(args.epochs),
                       "--workers", str(args.workers), "--dim", str(args.dim),
                       "--window", str(args.window)]
            print("$", shlex.join(command), file=sys.stderr, flush=True)
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            rows.append(json.loads(output.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    text = report(args, rows, load_before, os.getloadavg()[0])
    Path(args.out).write_text(text)
    Path(args.out).with_suffix(".json").write_text(json.dumps(rows, indent=1))
    print(text)


if __name__ == "__main__":
    main()
