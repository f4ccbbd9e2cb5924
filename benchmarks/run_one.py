"""Train one tool once and print one JSON line of figures.

Run by compare.py in a fresh process per run, so that peak memory (ru_maxrss)
belongs to that run alone. Both tools' vectors are scored by w2v's
evaluators, so the quality figures differ only by the vectors; gensim's own
evaluators are also run on gensim's vectors as a cross-check.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def train_w2v(args, minibatch=False):
    import w2v
    import w2v.model
    w2v.model.CBOW_GROUP = args.cbow_group
    model = w2v.Word2Vec(sg=args.mode == "sg", dim=args.dim, window=args.window,
                         negative=args.negative, sample=args.sample, min_count=args.min_count,
                         epochs=args.epochs, workers=args.workers, seed=args.seed, alpha=args.alpha,
                         ns_exponent=args.ns_exponent, minibatch=minibatch,
                         share_noise=args.share_noise)
    started = time.perf_counter()
    model.build_vocab(args.corpus)
    vocab_seconds = time.perf_counter() - started
    started = time.perf_counter()
    model.train(args.corpus, progress=None)
    train_seconds = time.perf_counter() - started
    return model.wv, vocab_seconds, train_seconds, model.vocab_.corpus_tokens


def train_gensim(args):
    from gensim.models import Word2Vec
    model = Word2Vec(sg=int(args.mode == "sg"), vector_size=args.dim, window=args.window,
                     negative=args.negative, hs=0, sample=args.sample, min_count=args.min_count,
                     epochs=args.epochs, workers=args.workers, seed=args.seed,
                     ns_exponent=args.ns_exponent,
                     alpha=args.alpha or (0.025 if args.mode == "sg" else 0.05))
    started = time.perf_counter()
    model.build_vocab(corpus_file=args.corpus)
    vocab_seconds = time.perf_counter() - started
    started = time.perf_counter()
    # corpus_file mode is gensim's fastest multi-core path; it keeps only the first
    # 10,000 tokens of a line, so compare.py feeds it one sentence per line.
    model.train(corpus_file=args.corpus, total_words=model.corpus_total_words,
                total_examples=model.corpus_count, epochs=args.epochs)
    train_seconds = time.perf_counter() - started
    return model.wv, vocab_seconds, train_seconds, model.corpus_total_words


def train_fasttext(args):
    import fasttext
    started = time.perf_counter()
    # maxn=0: no character n-grams, so the model is word2vec's. fastText builds
    # its vocabulary inside the same call, so its time includes that scan.
    model = fasttext.train_unsupervised(
        args.corpus, model="skipgram" if args.mode == "sg" else "cbow", dim=args.dim,
        ws=args.window, neg=args.negative, t=args.sample, minCount=args.min_count,
        epoch=args.epochs, thread=args.workers, maxn=0, verbose=0,
        lr=args.alpha or (0.025 if args.mode == "sg" else 0.05))
    train_seconds = time.perf_counter() - started
    words = model.get_words()
    keep = [i for i, w in enumerate(words) if w != "</s>"]  # fastText's end-of-line token
    vectors = np.asarray(model.get_input_matrix())[keep]
    return ([words[i] for i in keep], vectors), 0.0, train_seconds, count_words(args.corpus)


def count_words(path):
    with open(path, encoding="utf-8") as handle:
        return sum(len(line.split()) for line in handle)


def word2vec_c_binary():
    """The original C tool, as built by the `word2vec` package (bench extra)."""
    beside = os.path.join(os.path.dirname(sys.executable), "word2vec")
    found = beside if os.access(beside, os.X_OK) else shutil.which("word2vec")
    if not found:
        sys.exit("word2vec C not found: pip install word2vec (it compiles word2vec.c with gcc)")
    return found


def train_word2vec_c(args):
    import w2v
    with tempfile.TemporaryDirectory() as scratch:
        output = os.path.join(scratch, "vectors.bin")
        command = [word2vec_c_binary(), "-train", args.corpus, "-output", output, "-binary", "1",
                   "-cbow", str(int(args.mode == "cbow")), "-size", str(args.dim),
                   "-window", str(args.window), "-negative", str(args.negative), "-hs", "0",
                   "-sample", str(args.sample), "-min-count", str(args.min_count),
                   "-threads", str(args.workers), "-iter", str(args.epochs),
                   "-alpha", str(args.alpha or (0.025 if args.mode == "sg" else 0.05))]
        if shutil.which("stdbuf"):  # line-buffered, so the end of its vocabulary scan is seen on time
            command = ["stdbuf", "-oL", *command]
        started = time.perf_counter()
        vocab_seconds = None
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as tool:
            for line in tool.stdout:
                # word2vec C prints this line once its vocabulary scan is done and
                # training starts; its time therefore includes writing the vectors (< 1 s).
                if vocab_seconds is None and line.startswith("Words in train file"):
                    vocab_seconds = time.perf_counter() - started
                    training_started = time.perf_counter()
        if tool.returncode or vocab_seconds is None:
            sys.exit(f"word2vec C failed (exit {tool.returncode}): {' '.join(command)}")
        train_seconds = time.perf_counter() - training_started
        kv = w2v.load_word2vec_format(output, binary=True)
    keep = [i for i, word in enumerate(kv.index_to_key) if word != "</s>"]  # its end-of-line token
    kv = w2v.KeyedVectors([kv.index_to_key[i] for i in keep], kv.vectors[keep])
    return kv, vocab_seconds, train_seconds, count_words(args.corpus)


TRAINERS = {"w2v": train_w2v, "w2v-minibatch": lambda args: train_w2v(args, minibatch=True),
            "gensim": train_gensim, "fasttext": train_fasttext,
            "word2vec-c": train_word2vec_c}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("tool", choices=sorted(TRAINERS))
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--mode", choices=["sg", "cbow"], default="sg")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--negative", type=int, default=5)
    parser.add_argument("--sample", type=float, default=1e-3)
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--alpha", type=float, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ns-exponent", type=float, default=0.75,
                        help="noise distribution exponent (w2v and gensim; fastText uses 0.5 "
                             "and word2vec C 0.75, fixed)")
    parser.add_argument("--cbow-group", type=int, default=4,
                        help="w2v-minibatch: centre words per CBOW step")
    parser.add_argument("--share-noise", action="store_true", help="w2v: noise shared by a window")
    parser.add_argument("--analogies", required=True)
    parser.add_argument("--similarity", required=True)
    args = parser.parse_args()
    if args.ns_exponent != 0.75 and args.tool not in ("w2v", "w2v-minibatch", "gensim"):
        parser.error(f"{args.tool} has no setting for the noise exponent")

    load_start = os.getloadavg()[0]  # the machine is shared: record how busy it was
    import w2v
    vectors, vocab_seconds, train_seconds, corpus_words = TRAINERS[args.tool](args)
    # word2vec C trains in a child process: its peak is the child's.
    who = resource.RUSAGE_CHILDREN if args.tool == "word2vec-c" else resource.RUSAGE_SELF
    peak_rss_mb = resource.getrusage(who).ru_maxrss / 1024

    if args.tool in ("w2v", "w2v-minibatch", "word2vec-c"):
        kv = vectors
    elif args.tool == "gensim":
        kv = w2v.KeyedVectors(list(vectors.index_to_key), np.asarray(vectors.vectors))
    else:
        kv = w2v.KeyedVectors(*vectors)
    analogies = kv.evaluate_word_analogies(args.analogies, restrict_vocab=30_000)
    similarity = kv.evaluate_word_pairs(args.similarity)
    figures = {
        "tool": args.tool, "mode": args.mode, "workers": args.workers, "epochs": args.epochs,
        "dim": args.dim, "window": args.window,
        "load_start": round(load_start, 2), "load_end": round(os.getloadavg()[0], 2),
        "ns_exponent": args.ns_exponent if args.tool != "fasttext" else 0.5,
        "vocab_size": len(kv), "corpus_words": int(corpus_words),
        "vocab_seconds": round(vocab_seconds, 2), "train_seconds": round(train_seconds, 2),
        "words_per_second": round(corpus_words * args.epochs / train_seconds),
        "peak_rss_mb": round(peak_rss_mb),
        "analogy_accuracy": round(100 * analogies.accuracy, 2),
        "analogy_semantic": round(100 * analogies.semantic_accuracy, 2),
        "analogy_syntactic": round(100 * analogies.syntactic_accuracy, 2),
        "analogy_questions": analogies.asked,
        "wordsim_spearman": round(similarity.spearman, 4),
    }
    if args.tool == "gensim":
        score, _ = vectors.evaluate_word_analogies(args.analogies, restrict_vocab=30_000)
        figures["gensim_own_analogy_accuracy"] = round(100 * score, 2)
        figures["gensim_own_wordsim_spearman"] = round(
            float(vectors.evaluate_word_pairs(args.similarity)[1][0]), 4)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
