"""item2vec's self-tuning against its defaults on MovieLens-100K, leave-last-out.

Test split: each user's last rating in time order is the test item
(`w2v.recs_eval.leave_last_out`); the rest is the training data.
`w2v.tune.tune` sees only the training data: it holds out each user's last
training item for validation, searches within the budget, and returns the
best settings. Then models are trained on the whole training data with
Item2Vec's defaults and with the tuned settings, each with `REPEATS` training
seeds (two threads do not give bit-identical runs, so one run's figure moves
by about 0.01), and scored on the test items (`w2v.recs_eval.evaluate`: the
whole training history as the query, seen items excluded, HR@10 and NDCG@10
over the 943 users). Each search seed runs one search. First,
``w2v evaluate-recs`` prints its table (the defaults beside the baselines)
on the same data and split.

    python benchmarks/tune.py --budget 10m --seeds 1 2 --out benchmarks/results/tune.md

About 15 minutes per seed with a 10-minute budget. MovieLens may not be
redistributed: this reads it from ../shared/data/items/ and writes only figures.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from w2v.item2vec import Item2Vec
from w2v.recs_eval import evaluate, leave_last_out
from w2v.sessions import parse_duration, read_interactions
from w2v.tune import format_trials, tune

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "items"
COLUMNS = ["user", "item", "rating", "timestamp"]
#: Training seeds per final model: seed, seed + 100, ...
REPEATS = 3


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_seed(test, budget: float, seed: int, workers: int) -> dict:
    """One search and the two test scores for ``seed``."""
    started = time.perf_counter()
    result = tune(test.train, budget, seed=seed, workers=workers, progress=sys.stderr)
    searched = time.perf_counter() - started
    scores = {}
    for name, settings in (("defaults", {}), ("tuned", result.best)):
        runs = [evaluate(Item2Vec(**settings, seed=seed + 100 * k, workers=workers)
                         .train(test.train, progress=None), test, 10) for k in range(REPEATS)]
        scores[name] = {metric: [getattr(r, metric) for r in runs]
                        for metric in ("hit_rate", "ndcg")}
    log(f"seed {seed}: test HR@10 defaults {np.mean(scores['defaults']['hit_rate']):.4f}, "
        f"tuned {np.mean(scores['tuned']['hit_rate']):.4f}")
    return {"seed": seed, "result": result, "searched": searched, "test": scores}


def evaluate_recs_table(data: Path, workers: int) -> tuple[str, str]:
    """The command and what ``w2v evaluate-recs`` prints for it."""
    args = ["evaluate-recs", os.path.relpath(data / "u.data", ROOT), "--columns",
            ",".join(COLUMNS), "--no-header", "--workers", str(workers), "--seed", "1", "-q"]
    done = subprocess.run([sys.executable, "-c", "from w2v_cli.main import main; main()", *args],
                          capture_output=True, text=True, timeout=900, check=True, cwd=ROOT)
    return " ".join(["w2v", *args]), done.stdout


def item2vec_source() -> str:
    """A short hash of w2v/item2vec.py as it is now, to tell whether the
    defaults changed while the benchmark ran (other work goes on meanwhile)."""
    return hashlib.sha256((ROOT / "w2v" / "item2vec.py").read_bytes()).hexdigest()[:12]


def git_state() -> str:
    try:
        done = subprocess.run(["git", "log", "-1", "--format=%h"], capture_output=True,
                              text=True, cwd=ROOT, timeout=30)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "w2v/item2vec.py"],
                               capture_output=True, text=True, cwd=ROOT, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() + (" with uncommitted changes to w2v/item2vec.py"
                                  if dirty.stdout.strip() else "")


def spread(values) -> str:
    return f"{np.mean(values):.4f} ({min(values):.4f}-{max(values):.4f})"


def report(args, runs, users, command, table, elapsed, load, source) -> str:
    defaults = Item2Vec(mode="sessions")
    shown = ", ".join(f"{name} {getattr(defaults, name)}" for name in
                      ("window", "dim", "negative", "ns_exponent", "epochs", "history_half_life",
                       "history_even_share") if hasattr(defaults, name))
    changed = ("" if source[0] == source[1] else " w2v/item2vec.py changed while it ran "
               f"({source[0]} at the start, {source[1]} at the end): the figures may mix two "
               "versions.")
    lines = [
        "# Self-tuning item2vec on MovieLens-100K, leave-last-out",
        "",
        f"`python benchmarks/tune.py --budget {args.budget} --seeds "
        f"{' '.join(map(str, args.seeds))} --workers {args.workers}`: {users} users; "
        f"{elapsed / 60:.1f} min in all, on 2 cores shared with other work (load average "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end). The protocol is in the "
        "docstring of `benchmarks/tune.py`: test = each user's last item; the search sees "
        "only the training part and validates on each user's last training item.",
        "",
        f"Code: {source[2]}; Item2Vec's defaults for sessions: {shown}.{changed}",
        "",
        f"## Test figures (943 users, whole history as the query; mean (min-max) of "
        f"{REPEATS} trainings)",
        "",
        "| search seed | defaults HR@10 | tuned HR@10 | defaults NDCG@10 | tuned NDCG@10 "
        "| validation HR@10: defaults / best | trials (full) | search s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        r, t = run["result"], run["test"]
        full = sum(trial.full for trial in r.trials)
        lines.append(
            f"| {run['seed']} | {spread(t['defaults']['hit_rate'])} "
            f"| {spread(t['tuned']['hit_rate'])} | {spread(t['defaults']['ndcg'])} "
            f"| {spread(t['tuned']['ndcg'])} "
            f"| {r.defaults_trial.hit_rate:.4f} / {r.best_trial.hit_rate:.4f} "
            f"| {len(r.trials)} ({full}) | {run['searched']:.0f} |")
    if len(runs) > 1:
        cells = [spread([v for run in runs for v in run["test"][name][metric]])
                 for name, metric in (("defaults", "hit_rate"), ("tuned", "hit_rate"),
                                      ("defaults", "ndcg"), ("tuned", "ndcg"))]
        lines.append(f"| all | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} | | | |")
    lines += ["", "Settings chosen:", ""]
    for run in runs:
        best = run["result"].best
        lines.append(f"- seed {run['seed']}: " + ", ".join(f"{k} {v}" for k, v in best.items()))
    lines += ["", "## `w2v evaluate-recs` on the same data (item2vec with its defaults)", "",
              f"`{command}`", "", "```", table.rstrip(), "```"]
    for run in runs:
        lines += ["", f"## Trials, seed {run['seed']} (validation figures)", "", "```",
                  format_trials(run["result"]), "```"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding u.data")
    parser.add_argument("--budget", default="10m", help="search budget per seed (600, 10m)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="also write the Markdown report here")
    args = parser.parse_args(argv)
    if not (args.data / "u.data").exists():
        parser.error(f"no u.data in {args.data}")
    started, load_start = time.perf_counter(), os.getloadavg()[1]
    source = [item2vec_source(), None, git_state()]
    command, table = evaluate_recs_table(args.data, args.workers)
    sessions = read_interactions(args.data / "u.data", header=False, columns=COLUMNS,
                                 on_bad_rows="error")
    test = leave_last_out(sessions)
    runs = [run_seed(test, parse_duration(args.budget), seed, args.workers)
            for seed in args.seeds]
    source[1] = item2vec_source()
    text = report(args, runs, len(test.users), command, table,
                  time.perf_counter() - started, (load_start, os.getloadavg()[1]), source)
    print(text)
    if args.out:
        args.out.write_text(text)
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
