"""Train w2v and its peers with identical settings on the same corpus,
alternating, and write words/s, peak memory and quality for each to a results
file. Peers: gensim (default), fastText (`--tools w2v,gensim,fasttext`; it runs
without character n-grams, i.e. as word2vec, and its time includes its
vocabulary scan) and the original word2vec C tool (`word2vec-c`, built from
source by the `word2vec` package; its time includes writing its vectors).

    pip install -e ".[bench]"
    python benchmarks/compare.py                      # skip-gram and CBOW, 1 and 2 workers
    python benchmarks/compare.py --modes sg --workers 2 --repeat 1

The corpus (default: the shared Wikipedia corpus, one sentence a line) is
decompressed once into benchmarks/work/ and both tools read that plain file.
Each run is a fresh process (benchmarks/run_one.py), so peak RSS is its own.
words/s = corpus tokens x epochs / training seconds (vocabulary scan excluded,
and timed separately).
"""

import argparse
import json
import lzma
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"


def plain_corpus(path: Path) -> Path:
    """A decompressed copy of ``path`` in benchmarks/work/ (made once)."""
    if path.suffix != ".xz":
        return path
    target = HERE / "work" / path.with_suffix("").name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        with lzma.open(path, "rb") as source, open(partial, "wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
        partial.rename(target)
    return target


def machine() -> str:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def versions() -> str:
    found = []
    for package in ("w2v", "gensim", "fasttext-wheel", "word2vec", "numba", "numpy"):
        try:
            from importlib.metadata import version
            found.append(f"{package} {version(package)}")
        except Exception:
            pass
    return ", ".join(found)


def table(rows):
    columns = ["tool", "mode", "workers", "words_per_second", "train_seconds", "vocab_seconds",
               "peak_rss_mb", "analogy_accuracy", "analogy_semantic", "analogy_syntactic",
               "wordsim_spearman"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(f"{row[c]:,}" if isinstance(row[c], int) else str(row[c])
                                       for c in columns) + " |")
    return "\n".join(lines)


def ratios(rows):
    """w2v / each peer for each (mode, workers), from the mean of repeated runs."""
    out = []
    keys = sorted({(r["mode"], r["workers"]) for r in rows})
    for mode, workers in keys:
        def mean(tool, field):
            values = [r[field] for r in rows if (r["tool"], r["mode"], r["workers"]) == (tool, mode, workers)]
            return sum(values) / len(values) if values else None
        ours = mean("w2v", "words_per_second")
        for peer in ("gensim", "fasttext", "word2vec-c"):
            theirs = mean(peer, "words_per_second")
            if ours and theirs:
                out.append(
                    f"- {mode}, {workers} worker(s): speed w2v/{peer} = {ours / theirs:.2f}; "
                    f"analogy {mean('w2v', 'analogy_accuracy'):.2f} vs {mean(peer, 'analogy_accuracy'):.2f}; "
                    f"WordSim-353 {mean('w2v', 'wordsim_spearman'):.4f} vs {mean(peer, 'wordsim_spearman'):.4f}; "
                    f"peak RSS {mean('w2v', 'peak_rss_mb'):.0f} vs {mean(peer, 'peak_rss_mb'):.0f} MB")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "corpus-en.sentences.txt.xz")
    parser.add_argument("--analogies", type=Path, default=SHARED / "eval" / "questions-words.txt")
    parser.add_argument("--similarity", type=Path, default=SHARED / "eval" / "wordsim353.tsv")
    parser.add_argument("--modes", default="sg,cbow")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--tools", default="w2v,gensim")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--ns-exponent", type=float, default=0.75,
                        help="noise distribution exponent for w2v and gensim")
    parser.add_argument("--out", type=Path, default=None, help="results file (Markdown; a .json beside it)")
    args = parser.parse_args()

    corpus = plain_corpus(args.corpus)
    runs = []
    for _ in range(args.repeat):
        for mode in args.modes.split(","):
            for workers in args.workers.split(","):
                for tool in args.tools.split(","):  # alternate tools run by run
                    command = [sys.executable, str(HERE / "run_one.py"), tool, "--corpus", str(corpus),
                               "--mode", mode, "--workers", workers, "--epochs", str(args.epochs),
                               "--ns-exponent", str(args.ns_exponent),
                               "--analogies", str(args.analogies), "--similarity", str(args.similarity)]
                    print("$", shlex.join(command), file=sys.stderr, flush=True)
                    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                    row = json.loads(output.strip().splitlines()[-1])
                    print(json.dumps(row), file=sys.stderr, flush=True)
                    runs.append(row)

    stamp = time.strftime("%Y-%m-%d %H:%M")
    out = args.out or HERE / "results" / f"compare-{time.strftime('%Y%m%d-%H%M')}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = (f"# w2v vs {', '.join(t for t in args.tools.split(',') if t != 'w2v')}, {stamp}\n\n"
              f"Command: `python benchmarks/{Path(__file__).name} {shlex.join(sys.argv[1:])}`\n\n"
              f"Machine: {machine()}\n\nVersions: {versions()}\n\n"
              f"Corpus: {args.corpus.name} ({runs[0]['corpus_words']:,} tokens); settings: dim 100, window 5, "
              f"negative 5, sample 1e-3, min_count 5, noise exponent {args.ns_exponent} (fastText: 0.5), "
              f"{args.epochs} epochs; analogies over the 30,000 most "
              f"frequent words; every tool scored by w2v's evaluators.\n\n"
              f"{table(runs)}\n\n{ratios(runs)}\n")
    out.write_text(report)
    out.with_suffix(".json").write_text(json.dumps(runs, indent=1))
    print(report)


if __name__ == "__main__":
    main()
