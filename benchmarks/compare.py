"""Train w2v and its peers with identical settings on the same corpus,
alternating, and write words/s, peak memory and quality for each to a results
file. Peers: gensim (default), fastText (`--tools w2v,gensim,fasttext`; it runs
without character n-grams, i.e. as word2vec, and its time includes its
vocabulary scan) and the original word2vec C tool (`word2vec-c`, built from
source by the `word2vec` package; its time includes writing its vectors).

    pip install -e ".[bench]"
    python benchmarks/compare.py                      # skip-gram and CBOW, 1 and 2 workers
    python benchmarks/compare.py --modes sg --workers 2 --repeat 1
    python benchmarks/compare.py --tools w2v,w2v-minibatch,gensim   # the minibatched kernels too
    python benchmarks/compare.py --scaling --modes sg --epochs 1   # 1, 2, 4, ... workers up to
                                                                   # the CPUs this process may use

The machine may be shared: each run records the load average when it starts
and ends (load_start, load_end), and the report says when it was above zero
by more than the runs themselves explain.

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
               "wordsim_spearman", "load_start", "load_end"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(f"{row.get(c, ''):,}" if isinstance(row.get(c), int) else str(row.get(c, ''))
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
        for ours in ("w2v", "w2v-minibatch"):
            for peer in ("w2v", "gensim", "fasttext", "word2vec-c"):
                if peer == ours or (ours, peer) == ("w2v", "w2v"):
                    continue
                mine, theirs = mean(ours, "words_per_second"), mean(peer, "words_per_second")
                if mine and theirs and not (ours == "w2v" and peer == "w2v-minibatch"):
                    out.append(
                        f"- {mode}, {workers} worker(s): speed {ours}/{peer} = {mine / theirs:.2f}; "
                        f"analogy {mean(ours, 'analogy_accuracy'):.2f} vs {mean(peer, 'analogy_accuracy'):.2f}; "
                        f"WordSim-353 {mean(ours, 'wordsim_spearman'):.4f} vs {mean(peer, 'wordsim_spearman'):.4f}; "
                        f"peak RSS {mean(ours, 'peak_rss_mb'):.0f} vs {mean(peer, 'peak_rss_mb'):.0f} MB")
    return "\n".join(out)


def scaling(rows):
    """Words/s by worker count for each tool and mode, and the gain over one worker."""
    out = []
    for tool, mode in sorted({(r["tool"], r["mode"]) for r in rows}):
        speeds = {}
        for r in rows:
            if (r["tool"], r["mode"]) == (tool, mode):
                speeds.setdefault(r["workers"], []).append(r["words_per_second"])
        mean = {w: sum(v) / len(v) for w, v in sorted(speeds.items())}
        one = mean.get(1)
        out.append(f"- {tool} {mode}: " + ", ".join(
            f"{w} worker(s) {v:,.0f} words/s" + (f" ({v / one:.2f}x)" if one else "")
            for w, v in mean.items()))
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
    parser.add_argument("--scaling", action="store_true",
                        help="run 1, 2, 4, ... workers up to the CPUs this process may use "
                             "(overrides --workers)")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--alpha", type=float, default=None)
    parser.add_argument("--cbow-group", type=int, default=4, help="w2v-minibatch's CBOW group")
    parser.add_argument("--share-noise", action="store_true", help="w2v: noise shared by a window")
    parser.add_argument("--out", type=Path, default=None, help="results file (Markdown; a .json beside it)")
    args = parser.parse_args()

    corpus = plain_corpus(args.corpus)
    if args.scaling:
        sys.path.insert(0, str(HERE.parent))
        from w2v.machine import available_cpus
        counts, n = [], 1
        while n < available_cpus():
            counts.append(n)
            n *= 2
        args.workers = ",".join(map(str, counts + [available_cpus()]))
    extra = ["--dim", str(args.dim), "--window", str(args.window),
             "--cbow-group", str(args.cbow_group)]
    extra += ["--alpha", str(args.alpha)] if args.alpha else []
    extra += ["--share-noise"] if args.share_noise else []
    runs = []
    for _ in range(args.repeat):
        for mode in args.modes.split(","):
            for workers in args.workers.split(","):
                for tool in args.tools.split(","):  # alternate tools run by run
                    command = [sys.executable, str(HERE / "run_one.py"), tool, "--corpus", str(corpus),
                               "--mode", mode, "--workers", workers, "--epochs", str(args.epochs),
                               "--ns-exponent", str(args.ns_exponent),
                               "--analogies", str(args.analogies), "--similarity", str(args.similarity),
                               *extra]
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
              f"Load average (1 min) from {min(r['load_start'] for r in runs):.1f} to "
              f"{max(r['load_end'] for r in runs):.1f} on {os.cpu_count()} cores"
              f"{': the machine was shared with other jobs' if max(r['load_start'] for r in runs) > 1.5 else ''}.\n\n"
              f"Corpus: {args.corpus.name} ({runs[0]['corpus_words']:,} tokens); settings: dim {args.dim}, window {args.window}, "
              f"negative 5, sample 1e-3, min_count 5, noise exponent {args.ns_exponent} (fastText: 0.5), "
              f"alpha {args.alpha or 'default'}, CBOW group {args.cbow_group} (w2v-minibatch), "
              f"share_noise {args.share_noise} (w2v), "
              f"{args.epochs} epochs; analogies over the 30,000 most "
              f"frequent words; every tool scored by w2v's evaluators.\n\n"
              f"{table(runs)}\n\n{ratios(runs)}\n"
              + (f"\nScaling:\n\n{scaling(runs)}\n" if args.scaling else ""))
    out.write_text(report)
    out.with_suffix(".json").write_text(json.dumps(runs, indent=1))
    print(report)


if __name__ == "__main__":
    main()
