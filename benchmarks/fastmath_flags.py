"""Training speed with the kernels of two revisions, alternating runs.

    python benchmarks/fastmath_flags.py --before 096539f

Copies the current w2v package twice into a temporary folder, one copy with
w2v/kernels.py as it is at ``--before`` and one as it is now (nothing else
differs). Then, on the first ``--tokens`` tokens (whole lines) of the shared
sentence corpus:

1. end to end: each copy trains (1 epoch, ``--workers``) in a fresh process,
   alternating before/after, after one untimed run of each that compiles the
   kernels into the copy's numba cache; wall-clock and CPU seconds of
   ``Word2Vec.train`` (the vocabulary scan excluded);
2. the kernel alone: one process imports both copies and calls each one's
   ``train_skipgram`` / ``train_cbow`` on the same batch (the first
   ``--kernel-words`` tokens, the same start vectors and seed) in one thread, alternating, ``--calls``
   times; the fastest call of each is the least disturbed by other work on the
   machine.

3. the machine code: both copies' kernels compiled afresh (an empty numba
   cache), and their x86 instructions counted: how many, and how many work on
   packed floats (the vectorised dot products and updates) or are FMAs.

Prints Markdown tables.
"""

import argparse
import json
import lzma
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "corpus" / "corpus-en.sentences.txt.xz"

END_TO_END = """
import json, resource, sys, time
sys.path.insert(0, {scratch!r})
import {package} as w2v
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
model = w2v.Word2Vec(sg={sg}, workers={workers}, epochs=1, seed=1)
model.build_vocab({corpus!r})
wall, cpu_start = time.perf_counter(), cpu()
model.train({corpus!r}, progress=None)
print(json.dumps({{"seconds": time.perf_counter() - wall, "cpu_seconds": cpu() - cpu_start,
                  "words": model.vocab_.corpus_tokens,
                  "loss": float(model.loss_history_[-1, -1])}}))
"""

KERNEL_ALONE = """
import json, sys, time
import numpy as np
sys.path.insert(0, {scratch!r})
import w2v_before.kernels, w2v_after.kernels
from w2v_after import Vocabulary
from w2v_after.corpus import read_sentences
from w2v_after.sampling import alias_table, seed_state

sentences = []
for sentence in read_sentences({corpus!r}):
    sentences.append(sentence)
    if sum(map(len, sentences)) >= {kernel_words}:
        break
vocab = Vocabulary.build(sentences, min_count=5)
rows = [[vocab.index[w] for w in s if w in vocab.index] for s in sentences]
ids = np.array([i for r in rows for i in r], dtype=np.int32)
ends = np.cumsum([len(r) for r in rows]).astype(np.int64)
keep = vocab.keep_probabilities(1e-3)
accept, alias = alias_table(vocab.noise_distribution(0.75))
dim, window, negative = 100, 5, 5
rng = np.random.default_rng(1)
start_in = ((rng.random((len(vocab), dim), dtype=np.float32) - 0.5) / dim)
start_out = np.zeros_like(start_in)

def call(kernels, mode, n):
    W_in, W_out = start_in.copy(), start_out.copy()
    scratch = (seed_state(1), np.empty(10_000, np.int32), np.empty((2 * window, negative), np.int64),
               np.empty(dim, np.float32))
    no_hot_rows = np.empty((2, 0, dim), np.float32)
    args = (W_in, W_out, ids[:ends[n - 1]], ends[:n], keep, accept, alias, window, True)
    started = time.perf_counter()
    if mode == "sg":
        loss, pairs = kernels.train_skipgram(*args, False, 0.025, 0.02, *scratch, no_hot_rows)
    else:
        loss, pairs = kernels.train_cbow(*args, 0.05, 0.04, *scratch, np.empty(dim, np.float32),
                                         no_hot_rows)
    return time.perf_counter() - started, loss / pairs

versions = {{"before": w2v_before.kernels, "after": w2v_after.kernels}}
for mode in ("sg", "cbow"):
    for kernels in versions.values():
        call(kernels, mode, 10)  # compile (or load from the cache), untimed
    for i in range({calls}):
        for name in (list(versions) if i % 2 == 0 else list(versions)[::-1]):
            seconds, loss = call(versions[name], mode, len(ends))
            print(json.dumps({{"mode": mode, "version": name, "seconds": seconds,
                              "words": int(ends[-1]), "loss": loss}}), flush=True)
"""


MACHINE_CODE = """
import collections, json, sys
import numpy as np
sys.path.insert(0, {scratch!r})
import w2v_before.kernels, w2v_after.kernels
from w2v_after.sampling import alias_table, seed_state

V, D = 30, 8
ids, ends = np.zeros(20, np.int32), np.array([10, 20])
keep, (accept, alias) = np.ones(V, np.float32), alias_table(np.ones(V))
W, hot = np.zeros((V, D), np.float32), np.empty((2, 0, D), np.float32)
for name, kernels in (("before", w2v_before.kernels), ("after", w2v_after.kernels)):
    scratch = (seed_state(1), np.empty(64, np.int32), np.empty((6, 4), np.int64), np.empty(D, np.float32))
    args = (W.copy(), W.copy(), ids, ends, keep, accept, alias, 3, True)
    kernels.train_skipgram(*args, False, 0.1, 0.05, *scratch, hot)
    kernels.train_cbow(*args, 0.1, 0.05, *scratch, np.empty(D, np.float32), hot)
    for mode, f in (("sg", kernels.train_skipgram), ("cbow", kernels.train_cbow)):
        asm = next(iter(f.inspect_asm().values()))
        ops = collections.Counter(line.split()[0] for line in asm.splitlines()
                                  if line.startswith("\t") and not line.strip().startswith("."))
        print(json.dumps({{"mode": mode, "version": name, "instructions": sum(ops.values()),
                          "packed": sum(n for op, n in ops.items() if op.startswith("v") and op.endswith("ps")),
                          "fma": sum(n for op, n in ops.items() if "fmadd" in op or "fmsub" in op),
                          "ymm": asm.count("%ymm")}}))
"""


def first_tokens(tokens: int, target: Path) -> None:
    with lzma.open(CORPUS, "rt", encoding="utf-8") as source, open(target, "w") as sink:
        seen = 0
        for line in source:
            sink.write(line)
            seen += len(line.split())
            if seen >= tokens:
                break


def package_copy(scratch: Path, name: str, kernels_source: str) -> None:
    shutil.copytree(ROOT / "w2v", scratch / name, ignore=shutil.ignore_patterns("__pycache__"))
    (scratch / name / "kernels.py").write_text(kernels_source)


def run(code: str, env=None) -> list[dict]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=7200, env=env)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def end_to_end(scratch, corpus, args):
    results = []
    for mode in args.modes.split(","):
        def train(version):
            return run(END_TO_END.format(scratch=str(scratch), package=f"w2v_{version}",
                                         sg=mode == "sg", workers=args.workers,
                                         corpus=str(corpus)))[0]
        for version in ("before", "after"):  # compile into each copy's cache, untimed
            train(version)
        for repeat in range(args.runs):
            for version in ("before", "after"):
                figures = dict(train(version), mode=mode, version=version)
                print(json.dumps(figures), file=sys.stderr, flush=True)
                results.append(figures)
    print(f"End to end: `Word2Vec(sg=..., workers={args.workers}, epochs=1, seed=1).train` on "
          f"{results[0]['words']:,} tokens, each run a fresh process, alternating.\n")
    print("| mode | kernels | words/s per run (wall clock) | median | CPU s per run | median CPU s "
          "| final loss per run |")
    print("|---|---|---|---|---|---|---|")
    for mode in args.modes.split(","):
        for version in ("before", "after"):
            runs = [r for r in results if r["mode"] == mode and r["version"] == version]
            speeds = [r["words"] / r["seconds"] for r in runs]
            cpu = [r["cpu_seconds"] for r in runs]
            print(f"| {mode} | {version} | {', '.join(f'{s:,.0f}' for s in speeds)} "
                  f"| {statistics.median(speeds):,.0f} | {', '.join(f'{c:.1f}' for c in cpu)} "
                  f"| {statistics.median(cpu):.1f} "
                  f"| {', '.join(format(r['loss'], '.4f') for r in runs)} |")
    print()


def kernel_alone(scratch, corpus, args):
    results = run(KERNEL_ALONE.format(scratch=str(scratch), corpus=str(corpus), calls=args.calls,
                                      kernel_words=args.kernel_words))
    print(f"The kernel alone: one thread, {results[0]['words']:,} words (after min_count=5) per "
          f"call, the same inputs, alternating; {args.calls} calls each.\n")
    print("| mode | kernels | fastest words/s | median words/s | loss per pair |")
    print("|---|---|---|---|---|")
    for mode in ("sg", "cbow"):
        for version in ("before", "after"):
            runs = [r for r in results if r["mode"] == mode and r["version"] == version]
            speeds = [r["words"] / r["seconds"] for r in runs]
            print(f"| {mode} | {version} | {max(speeds):,.0f} | {statistics.median(speeds):,.0f} "
                  f"| {runs[0]['loss']:.6f} |")
    print()


def machine_code(scratch):
    cache = scratch / "empty-numba-cache"  # cached code cannot be inspected: compile afresh
    results = run(MACHINE_CODE.format(scratch=str(scratch)),
                  env={**os.environ, "NUMBA_CACHE_DIR": str(cache)})
    print("Machine code of the kernels (x86 instructions in the compiled function):\n")
    print("| mode | kernels | instructions | packed-float ops | FMAs | ymm operands |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['mode']} | {r['version']} | {r['instructions']:,} | {r['packed']} | {r['fma']} "
              f"| {r['ymm']} |")
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", required=True, help="git revision of the old kernels.py")
    parser.add_argument("--tokens", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=7)
    parser.add_argument("--kernel-words", type=int, default=1_000_000,
                        help="corpus tokens in the batch of the kernel-alone part")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--modes", default="sg,cbow")
    parser.add_argument("--parts", default="code,kernel,end-to-end")
    args = parser.parse_args()
    old = subprocess.run(["git", "-C", str(ROOT), "show", f"{args.before}:w2v/kernels.py"],
                         capture_output=True, text=True, check=True).stdout
    new = (ROOT / "w2v" / "kernels.py").read_text()
    print(f"`python {' '.join(sys.argv)}` ({os.cpu_count()} cores)\n")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        corpus = scratch / "corpus.txt"
        first_tokens(args.tokens, corpus)
        package_copy(scratch, "w2v_before", old)
        package_copy(scratch, "w2v_after", new)
        parts = args.parts.split(",")
        if "code" in parts:
            machine_code(scratch)
        if "kernel" in parts:
            kernel_alone(scratch, corpus, args)
        if "end-to-end" in parts:
            end_to_end(scratch, corpus, args)


if __name__ == "__main__":
    main()
