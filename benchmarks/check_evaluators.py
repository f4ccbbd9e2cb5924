"""Check that w2v's evaluators give gensim's figures on the same vectors.

Trains w2v (one worker, fixed seed) on the first tokens of the shared corpus,
writes the vectors in word2vec binary format, loads that file into both w2v
and gensim, and runs each tool's analogy (3CosAdd, and 3CosMul) and WordSim-353
evaluators on it. The figures, their differences and the command go to
benchmarks/results/evaluators.md.

    pip install -e ".[bench]"
    python benchmarks/check_evaluators.py                   # about 7 minutes (see below)
    python benchmarks/check_evaluators.py --vectors v.bin   # any vectors, no training

Training takes about 2 minutes on one core; gensim's evaluators take most of
the rest (about 2 minutes each for 3CosAdd and 3CosMul, against seconds for
w2v's, which answer a block of questions with one matrix product).

gensim has no 3CosMul evaluator (its ``evaluate_word_analogies`` always uses
``most_similar``), so 3CosMul is checked against a loop over gensim's
``most_similar_cosmul`` that follows the same protocol as its evaluator.
"""

import argparse
import lzma
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
DATA = HERE.parent / "w2v" / "data"
RESTRICT_VOCAB = 30_000


def first_tokens(corpus: Path, tokens: int, target: Path) -> int:
    """Copy whole lines from the start of ``corpus`` until ``tokens`` tokens."""
    opener = lzma.open if corpus.suffix == ".xz" else open
    written = 0
    with opener(corpus, "rt", encoding="utf-8") as source, open(target, "w", encoding="utf-8") as sink:
        for line in source:
            if written >= tokens:
                break
            sink.write(line)
            written += len(line.split())
    return written


def train(corpus: Path, args) -> Path:
    import w2v
    model = w2v.Word2Vec(dim=args.dim, epochs=args.epochs, workers=1, seed=1)
    started = time.perf_counter()
    model.train(str(corpus), progress=None)
    print(f"trained {len(model.wv):,} words in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    vectors = HERE / "work" / "evaluators.bin"
    model.wv.save_word2vec_format(vectors, binary=True)
    return vectors


def gensim_cosmul_accuracy(kv, path) -> tuple[int, int]:
    """gensim's evaluator protocol (upper-cased words, first RESTRICT_VOCAB
    words, question words skipped among the top 5), answered by
    most_similar_cosmul, which ignores restrict_vocab: hence a copy holding
    only the first RESTRICT_VOCAB vectors."""
    from gensim.models import KeyedVectors
    restricted = KeyedVectors(kv.vector_size)
    restricted.add_vectors(kv.index_to_key[:RESTRICT_VOCAB], kv.vectors[:RESTRICT_VOCAB])
    ok = {w.upper(): w for w in reversed(restricted.index_to_key)}  # most frequent casing wins
    correct = asked = 0
    for line in open(path, encoding="utf-8"):
        if line.startswith(":"):
            continue
        a, b, c, expected = line.upper().split()
        if not all(w in ok for w in (a, b, c, expected)):
            continue
        asked += 1
        found = restricted.most_similar_cosmul(positive=[ok[b], ok[c]], negative=[ok[a]], topn=5)
        predicted = next((w.upper() for w, _ in found if w.upper() not in (a, b, c)), None)
        correct += predicted == expected
    return correct, asked


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "corpus-en.sentences.txt.xz")
    parser.add_argument("--tokens", type=int, default=5_000_000, help="train on this many first tokens")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--vectors", type=Path, help="evaluate these word2vec vectors instead of training")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "evaluators.md")
    args = parser.parse_args()

    import gensim
    from gensim.models import KeyedVectors as GensimKeyedVectors

    import w2v

    (HERE / "work").mkdir(exist_ok=True)
    if args.vectors is None:
        corpus = HERE / "work" / f"first-{args.tokens}.txt"
        tokens = first_tokens(args.corpus, args.tokens, corpus)
        source = (f"w2v skip-gram, dim {args.dim}, {args.epochs} epochs, min_count 5, window 5, "
                  f"1 worker, seed 1, trained on the first {tokens:,} tokens of `{args.corpus.name}`")
        vectors = train(corpus, args)
    else:
        vectors, source = args.vectors, f"`{args.vectors}`"

    ours = w2v.load_word2vec_format(vectors)
    binary = w2v.detect_format(vectors) == "word2vec-binary"
    theirs = GensimKeyedVectors.load_word2vec_format(str(vectors), binary=binary)
    assert theirs.vectors.tobytes() == ours.vectors.tobytes()
    analogies, pairs = DATA / "questions-words.txt", DATA / "wordsim353.tsv"

    add, add_s = timed(ours.evaluate_word_analogies, analogies, restrict_vocab=RESTRICT_VOCAB)
    (g_score, g_sections), g_add_s = timed(theirs.evaluate_word_analogies, str(analogies),
                                           restrict_vocab=RESTRICT_VOCAB)
    mul, mul_s = timed(ours.evaluate_word_analogies, analogies, restrict_vocab=RESTRICT_VOCAB,
                       method="3cosmul")
    (g_mul_correct, g_mul_asked), g_mul_s = timed(gensim_cosmul_accuracy, theirs, analogies)
    sim, sim_s = timed(ours.evaluate_word_pairs, pairs)
    (g_pearson, g_spearman, g_oov), g_sim_s = timed(theirs.evaluate_word_pairs, str(pairs))

    g_total = g_sections[-1]
    g_asked = len(g_total["correct"]) + len(g_total["incorrect"])
    rows = [
        ("analogies 3CosAdd, accuracy %", f"{100 * add.accuracy:.2f}", f"{100 * g_score:.2f}",
         f"{100 * (add.accuracy - g_score):+.2f}"),
        ("analogies 3CosAdd, correct / asked", f"{add.correct:,} / {add.asked:,}",
         f"{len(g_total['correct']):,} / {g_asked:,}", f"{add.correct - len(g_total['correct']):+d}"),
        ("analogies 3CosMul, accuracy %", f"{100 * mul.accuracy:.2f}",
         f"{100 * g_mul_correct / g_mul_asked:.2f}",
         f"{100 * (mul.accuracy - g_mul_correct / g_mul_asked):+.2f}"),
        ("analogies 3CosMul, correct / asked", f"{mul.correct:,} / {mul.asked:,}",
         f"{g_mul_correct:,} / {g_mul_asked:,}", f"{mul.correct - g_mul_correct:+d}"),
        ("WordSim-353 Spearman", f"{sim.spearman:.4f}", f"{g_spearman.statistic:.4f}",
         f"{sim.spearman - g_spearman.statistic:+.5f}"),
        ("WordSim-353 Pearson", f"{sim.pearson:.4f}", f"{g_pearson.statistic:.4f}",
         f"{sim.pearson - g_pearson.statistic:+.5f}"),
        ("WordSim-353 pairs out of vocabulary %", f"{100 * sim.oov_ratio:.1f}", f"{g_oov:.1f}", ""),
    ]
    sections = [(name, f"{s.correct} / {s.asked}",
                 f"{len(g['correct'])} / {len(g['correct']) + len(g['incorrect'])}")
                for (name, s), g in zip(add.sections.items(), g_sections)]

    command = "python " + " ".join(shlex.quote(a) for a in ["benchmarks/check_evaluators.py", *sys.argv[1:]])
    lines = [
        "# w2v's evaluators against gensim's, on the same vectors", "",
        f"Command: `{command}`", "",
        f"Vectors: {source}; {len(ours):,} words. Both tools read the same word2vec binary file "
        f"(their matrices are identical bit for bit). Analogies: the bundled Google set, "
        f"`restrict_vocab={RESTRICT_VOCAB:,}`, case-insensitive; similarity: the bundled WordSim-353.", "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, gensim {gensim.__version__}.", "",
        "| figure | w2v | gensim | w2v - gensim |", "|---|---|---|---|",
        *[f"| {' | '.join(row)} |" for row in rows], "",
        f"Questions skipped for unknown words: w2v {add.skipped:,} of {add.asked + add.skipped:,}.", "",
        "| seconds | w2v | gensim |", "|---|---|---|",
        f"| analogies 3CosAdd | {add_s:.1f} | {g_add_s:.1f} |",
        f"| analogies 3CosMul | {mul_s:.1f} | {g_mul_s:.1f} (loop over `most_similar_cosmul`) |",
        f"| WordSim-353 | {sim_s:.2f} | {g_sim_s:.2f} |", "",
        "3CosAdd per section (correct / asked):", "",
        "| section | w2v | gensim |", "|---|---|---|",
        *[f"| {' | '.join(row)} |" for row in sections], "",
    ]
    args.output.parent.mkdir(exist_ok=True)
    args.output.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
