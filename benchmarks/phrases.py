"""Phrases on the shared corpus: what they find, what learning them costs, and
what they do to the Google analogy set.

    python benchmarks/phrases.py                       # everything, about 30 minutes
    python benchmarks/phrases.py --skip-training       # phrases only, a few minutes

Each step runs in a fresh process (`--step`), so that its peak RSS is its own:

1. learn the phrases (default: word2vec's recipe, 2 passes, thresholds 200
   then 100, min_count 5), timed, with peak memory;
2. the same first pass with the table bounded far below what the corpus needs
   (--pruned-size), to show what pruning costs in phrases;
3. train w2v with its defaults (skip-gram, 5 epochs) on the corpus, and on the
   corpus with the phrases joined on the fly (`Phrases.phrased`), same
   settings and seed, 2 workers, and score both with w2v's evaluators
   (Google analogies over each model's 30,000 most frequent words, 3CosAdd;
   WordSim-353 Spearman), as benchmarks/compare.py does.

Writes benchmarks/results/phrases.md (and .json) with the command, the
machine and the load average before and after each step.
"""

import argparse
import importlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
CORPUS = SHARED / "corpus" / "corpus-en.txt.xz"
ANALOGIES = SHARED / "eval" / "questions-words.txt"
WORDSIM = SHARED / "eval" / "wordsim353.tsv"
WORK = ROOT / "benchmarks" / "work"


def step_learn(args) -> dict:
    from w2v.phrases import Phrases
    started = time.perf_counter()
    phrases = Phrases(min_count=args.min_count, threshold=args.threshold, passes=args.passes,
                      scoring=args.scoring, max_vocab_size=args.max_vocab_size)
    phrases.learn(args.corpus, progress=None)
    seconds = time.perf_counter() - started
    phrases.save(args.model)
    return {"seconds": round(seconds, 1), "peak_rss_mb": _peak_mb(),
            "phrases": [len(table) for table in phrases.phrases_],
            "stats": [vars(stats) for stats in phrases.stats_],
            "top_by_count": [row[:3] for row in phrases.top(40, by="count")],
            "top_by_score": [row[:3] for row in phrases.top(15, by="score")],
            "longer_top": _longer(phrases)}


def _longer(phrases, n=25) -> list:
    """The most frequent phrases of three or more words: pairs of a later pass
    with a phrase of an earlier one in them."""
    joined = {token for table in phrases._joins[:-1] for token in table.values()}
    rows = [(a + phrases.delimiter + b, score, count)
            for table in phrases.phrases_[1:] for (a, b), (score, count) in table.items()
            if a in joined or b in joined]
    return sorted(rows, key=lambda row: -row[2])[:n]


def step_import(args) -> dict:
    importlib.import_module("w2v")  # numba and numpy: the floor under every step's RSS
    return {"peak_rss_mb": _peak_mb()}


def step_train(args) -> dict:
    import w2v
    from w2v.phrases import Phrases
    model = w2v.Word2Vec(workers=args.workers, seed=1)
    corpus = args.corpus
    if args.model:
        corpus = Phrases.load(args.model).phrased(args.corpus)
    started = time.perf_counter()
    model.train(corpus, progress=None)
    seconds = time.perf_counter() - started
    if args.model:
        corpus.close()
    kv = model.wv
    figures = {"train_seconds": round(seconds, 1), "peak_rss_mb": _peak_mb(),
               "vocab_size": len(kv), "corpus_tokens": int(model.vocab_.corpus_tokens),
               "phrase_tokens_in_vocab": sum("_" in word for word in kv.index_to_key),
               "phrase_tokens_in_top30k": sum("_" in word for word in kv.index_to_key[:30_000])}
    figures.update(_scores(kv, "all"))
    model.save(WORK / ("trained-phrases.w2v" if args.model else "trained-plain.w2v"))
    if args.model:
        # The same model with its phrase tokens left out of the candidates: the
        # 30,000 most frequent single words, as the model without phrases is scored.
        keep = [i for i, word in enumerate(kv.index_to_key) if "_" not in word]
        single = w2v.KeyedVectors([kv.index_to_key[i] for i in keep], kv.vectors[keep])
        figures.update(_scores(single, "single"))
    return figures


def _scores(kv, prefix) -> dict:
    analogies = kv.evaluate_word_analogies(str(ANALOGIES), restrict_vocab=30_000)
    similarity = kv.evaluate_word_pairs(str(WORDSIM))
    return {f"{prefix}_analogy": round(100 * analogies.accuracy, 2),
            f"{prefix}_semantic": round(100 * analogies.semantic_accuracy, 2),
            f"{prefix}_syntactic": round(100 * analogies.syntactic_accuracy, 2),
            f"{prefix}_asked": analogies.asked,
            f"{prefix}_sections": {name: [section.correct, section.asked]
                                   for name, section in analogies.sections.items()},
            f"{prefix}_wordsim": round(similarity.spearman, 4)}


def _peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def step_absorbed(args) -> dict:
    """For each section of the analogy set: the share of its words' occurrences
    that the phrases join into phrase tokens (so that the single word has
    fewer examples left), and how many of its words fall out of the 30,000
    most frequent tokens once joined."""
    from collections import Counter

    from w2v.corpus import Corpus
    from w2v.phrases import Phrases
    sections, words = {}, set()
    for line in open(ANALOGIES, encoding="utf-8"):
        if line.startswith(":"):
            name = line[1:].strip()
            sections.setdefault(name, set())
        elif line.strip():
            sections[name].update(word.lower() for word in line.split())
    for members in sections.values():
        words |= members
    phrases = Phrases.load(args.model)
    raw, joined = Counter(), Counter()
    with Corpus(args.corpus) as corpus:
        for sentence in corpus:
            raw.update(sentence)
            joined.update(phrases.apply(sentence))
    top_raw = {w for w, _ in raw.most_common(30_000)}
    top_joined = {w for w, _ in joined.most_common(30_000)}
    rows = {}
    for name, members in sections.items():
        before = sum(raw[w] for w in members)
        after = sum(joined[w] for w in members)
        rows[name] = {"words": len(members), "absorbed_share": round(1 - after / before, 4),
                      "in_top30k_before": sum(w in top_raw for w in members),
                      "in_top30k_after": sum(w in top_joined for w in members)}
    worst = sorted(((1 - joined[w] / raw[w], w) for w in words if raw[w] >= 100), reverse=True)
    return {"sections": rows,
            "most_absorbed": [[w, round(share, 3), raw[w]] for share, w in worst[:25]]}


STEPS = {"learn": step_learn, "train": step_train, "import": step_import,
         "absorbed": step_absorbed}


def run_step(args, step, **options) -> dict:
    command = [sys.executable, __file__, "--step", step, "--corpus", str(args.corpus)]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    before = os.getloadavg()
    print("running", " ".join(command[1:]), file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"step {step} failed:\n{done.stderr}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["load_before"] = [round(x, 2) for x in before]
    figures["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(figures), file=sys.stderr, flush=True)
    return figures


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--threshold", default="200,100")
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--scoring", default="word2phrase")
    parser.add_argument("--max-vocab-size", type=int, default=20_000_000)
    parser.add_argument("--pruned-size", type=int, default=1_000_000,
                        help="table bound of the pruned run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the report from the JSON of an earlier run, adding the "
                             "absorption step if it is missing")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "phrases.md")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--model", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        args.threshold = [float(x) for x in str(args.threshold).split(",")]
        print(json.dumps(STEPS[args.step](args)))
        return
    if not args.corpus.exists():
        sys.exit(f"no corpus at {args.corpus}")
    WORK.mkdir(parents=True, exist_ok=True)
    model = WORK / "phrases.json"
    if args.report_only:
        results = json.loads(args.out.with_suffix(".json").read_text())
        if "absorbed" not in results:
            results["absorbed"] = run_step(args, "absorbed", model=model)
            results["absorbed_command"] = " ".join(["python", "benchmarks/phrases.py",
                                                    *sys.argv[1:]])
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
        args.out.write_text(report(results))
        return
    pruned_model = WORK / "phrases-pruned.json"
    results = {"command": " ".join(["python", "benchmarks/phrases.py", *sys.argv[1:]]),
               "machine": machine(), "corpus": str(args.corpus), "pruned_size": args.pruned_size,
               "settings": {"passes": args.passes, "threshold": args.threshold,
                            "min_count": args.min_count, "scoring": args.scoring}}
    results["import"] = run_step(args, "import")
    results["learn"] = run_step(args, "learn", model=model, passes=args.passes,
                                threshold=args.threshold, min_count=args.min_count,
                                scoring=args.scoring, max_vocab_size=args.max_vocab_size)
    first = args.threshold.split(",")[0]
    results["learn_one_pass"] = run_step(args, "learn", model=WORK / "phrases-1pass.json",
                                         passes=1, threshold=first, min_count=args.min_count,
                                         scoring=args.scoring, max_vocab_size=args.max_vocab_size)
    results["learn_pruned"] = run_step(args, "learn", model=pruned_model, passes=1,
                                       threshold=first, min_count=args.min_count,
                                       scoring=args.scoring, max_vocab_size=args.pruned_size)
    results["pruned_overlap"] = overlap(WORK / "phrases-1pass.json", pruned_model)
    if not args.skip_training:
        results["train_plain"] = run_step(args, "train", workers=args.workers)
        results["train_phrases"] = run_step(args, "train", workers=args.workers, model=model)
        results["absorbed"] = run_step(args, "absorbed", model=model)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    args.out.write_text(report(results))
    print(f"wrote {args.out}", file=sys.stderr)


def overlap(exact_path, pruned_path) -> dict:
    """How many of the phrases learned with exact counts the pruned run found."""
    from w2v.phrases import Phrases
    exact, pruned = Phrases.load(exact_path), Phrases.load(pruned_path)
    exact_set, pruned_set = set(exact.phrases_[0]), set(pruned.phrases_[0])
    by_count = [pair for pair, _ in sorted(exact.phrases_[0].items(), key=lambda kv: -kv[1][1])]
    return {"exact": len(exact_set), "pruned": len(pruned_set),
            "both": len(exact_set & pruned_set),
            "top1000_kept": sum(pair in pruned_set for pair in by_count[:1000]),
            "top10000_kept": sum(pair in pruned_set for pair in by_count[:10000])}


def report(r) -> str:
    learn, one, pruned, ov = r["learn"], r["learn_one_pass"], r["learn_pruned"], r["pruned_overlap"]
    s = r["settings"]
    lines = [
        "# Phrases on the shared corpus", "",
        f"Command: `{r['command']}`  ",
        f"Machine: {r['machine']}; the 2 cores are shared with other engineers' jobs, so the "
        "load average (1, 5, 15 min) is given before and after each step.  ",
        f"Corpus: `{r['corpus']}`, {learn['stats'][0]['tokens']:,} tokens, read as `w2v train` "
        "reads it (lines longer than 10,000 tokens cut into sentences of 10,000).", "",
        "## Learning", "",
        f"Settings: {s['passes']} passes, thresholds {s['threshold']}, min_count "
        f"{s['min_count']}, scoring {s['scoring']}. Peak RSS includes `import w2v` "
        f"(numpy and numba: {r['import']['peak_rss_mb']} MB alone).", "",
        "| run | phrases per pass | time | peak RSS | prunings | entries held at most | load before -> after |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, run in (("2 passes", learn), ("pass 1 alone", one),
                      (f"pass 1, table bounded to {r['pruned_size']:,} entries", pruned)):
        found = ", ".join(f"{n:,}" for n in run["phrases"])
        prunings = ", ".join(str(stats["prunings"]) for stats in run["stats"])
        held = ", ".join(f"{stats['peak_entries']:,}" for stats in run["stats"])
        lines.append(f"| {name} | {found} | {run['seconds']} s | {run['peak_rss_mb']} MB | "
                     f"{prunings} | {held} | {run['load_before'][0]} -> {run['load_after'][0]} |")
    lines += [
        "",
        f"Pruning: with the table bounded, pass 1 found {ov['pruned']:,} phrases against "
        f"{ov['exact']:,} with exact counts ({ov['both']:,} in both); of the exact run's 1,000 "
        f"most frequent phrases it kept {ov['top1000_kept']:,}, of the 10,000 most frequent "
        f"{ov['top10000_kept']:,}.", "",
        "Most frequent phrases (2 passes; count, score):", "",
        ", ".join(f"{p} ({c:,}; {sc:.0f})" for p, sc, c in learn["top_by_count"]), "",
        "Highest scores:", "",
        ", ".join(f"{p} ({c:,}; {sc:.0f})" for p, sc, c in learn["top_by_score"]), "",
        "Most frequent phrases of three or more words (a later pass joining an earlier "
        "pass's phrase; count):", "",
        ", ".join(f"{p} ({c:,})" for p, sc, c in learn["longer_top"]) or "none", "",
    ]
    if "train_plain" in r:
        plain, phr = r["train_plain"], r["train_phrases"]
        lines += [
            "## Training with and without the phrases", "",
            "w2v defaults (skip-gram, dim 100, window 5, negative 5, sample 1e-3, min_count 5, "
            "5 epochs), seed 1, 2 workers, same corpus; with phrases, the 2-pass model above "
            "joined on the fly (`Phrases.phrased`, what `w2v train --phrases` does). Analogies: "
            "3CosAdd over each model's 30,000 most frequent words. With 2 workers analogy "
            "scores move by about +-0.7 points from run to run (README).", "",
            "| training | vocab | train time | peak RSS | analogy | semantic | syntactic | questions asked | WordSim-353 | load before -> after |",
            "|---|---|---|---|---|---|---|---|---|---|",
            _train_row("without phrases", plain, "all"),
            _train_row("with phrases", phr, "all"),
            _train_row("with phrases, phrase tokens not candidates", phr, "single"),
            "",
            f"The phrased model has {phr['phrase_tokens_in_vocab']:,} phrase tokens in its "
            f"vocabulary, {phr['phrase_tokens_in_top30k']:,} of them among its 30,000 most "
            "frequent words.", "",
        ]
    if "absorbed" in r:
        absorbed = r["absorbed"]
        lines += [
            "## Where the analogy words go", "",
            "For each section of the analogy set: the share of its words' occurrences that the "
            "2-pass phrases join into phrase tokens (the single word keeps only the rest as "
            "training examples), and how many of its words are among the 30,000 most frequent "
            "tokens without and with the phrases"
            + (f" (`{r['absorbed_command']}`, added after the run above)"
               if "absorbed_command" in r else "") + ".", "",
            "| section | words | occurrences joined into phrases | in top 30k without -> with |",
            "|---|---|---|---|",
        ]
        for name, row in absorbed["sections"].items():
            lines.append(f"| {name} | {row['words']} | {100 * row['absorbed_share']:.1f}% | "
                         f"{row['in_top30k_before']} -> {row['in_top30k_after']} |")
        lines += ["", "Analogy words (seen 100+ times) that lose the largest share of their "
                  "occurrences to phrases: " + ", ".join(
                      f"{w} ({100 * share:.0f}% of {n:,})"
                      for w, share, n in absorbed["most_absorbed"]) + ".", ""]
    return "\n".join(lines) + "\n"


def _train_row(name, run, prefix) -> str:
    return (f"| {name} | {run['vocab_size']:,} | {run['train_seconds']} s | {run['peak_rss_mb']} MB "
            f"| {run[prefix + '_analogy']}% | {run[prefix + '_semantic']}% | "
            f"{run[prefix + '_syntactic']}% | {run[prefix + '_asked']:,} | "
            f"{run[prefix + '_wordsim']} | {run['load_before'][0]} -> {run['load_after'][0]} |")


if __name__ == "__main__":
    main()
