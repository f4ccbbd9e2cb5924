"""Is a whole history as good a query as the best hand-picked last k items?

The issue behind item2vec's query rule asked that passing everything a user
did work at least as well as the best "last k" a user could pick by hand. On
each protocol's test split of `item2vec_defaults.py` (MovieLens-100K), one
`Item2Vec()` with no option is trained per seed and asked in several ways:
the whole history with the model's own rule (`history_weights`: half of the
weight even over all items, half halving with each step back), and the last
k items only, weighted alike, for several k. Same model, same evaluator; only
the query differs.

    python benchmarks/item2vec_history.py --seeds 3 --out benchmarks/results/item2vec-history.md
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from item2vec_defaults import DATA, TOPN, item2vec, make_split, protocols, read_ratings  # noqa: E402
from w2v.recs_eval import evaluate  # noqa: E402

LAST_K = (1, 2, 3, 5, 10, 20)


class LastK:
    """The model asked with a history's last ``k`` items, weighted alike."""

    def __init__(self, model, k):
        self.model, self.k = model, k

    def recommend_many(self, histories, topn=TOPN, exclude=None):
        # Items cut from the query are still the user's: they stay excluded.
        exclude = [set(h) | set(e or ()) for h, e in zip(histories, exclude or [()] * len(histories))]
        queries = [list(h)[-self.k:] for h in histories]
        return self.model.recommend_many(queries, topn=topn, exclude=exclude,
                                         half_life=math.inf, even_share=1.0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"{DATA} is missing: this benchmark needs MovieLens-100K", file=sys.stderr)
        return 1
    started, load = time.perf_counter(), os.getloadavg()[0]
    rows = read_ratings(DATA)
    rules = ["whole history (model's rule)"] + [f"last {k}" for k in LAST_K]
    hits: dict[tuple[str, str], list[float]] = {}
    for seed in range(1, args.seeds + 1):
        for name, train, held in protocols(rows, seed, validation=False):
            split = make_split(train, held)
            model = item2vec(split, seed, args.workers)
            asked = [model] + [LastK(model, k) for k in LAST_K]
            for rule, recommender in zip(rules, asked):
                hits.setdefault((name, rule), []).append(evaluate(recommender, split, TOPN).hit_rate)
            print(f"seed {seed}, {name}: " + ", ".join(
                f"{rule} {hits[(name, rule)][-1]:.4f}" for rule in rules), file=sys.stderr)
    report = _report(hits, rules, args, time.perf_counter() - started, load, os.getloadavg()[0])
    print(report)
    if args.out:
        args.out.write_text(report)
    return 0


def _report(hits, rules, args, seconds, load_before, load_after) -> str:
    names = list(dict.fromkeys(name for name, _ in hits))
    command = "python " + " ".join(shlex.quote(a) for a in ["benchmarks/item2vec_history.py",
                                                            *sys.argv[1:]])
    lines = [f"# A whole history against the last k items as the query", "",
             f"`{command}`: {seconds / 60:.0f} min; load average {load_before:.1f} before, "
             f"{load_after:.1f} after (2 cores). HR@10 on each protocol's test split, "
             f"`Item2Vec()` with no option, seeds 1-{args.seeds}, mean; the same model for "
             "every row of a column.", "",
             "| query | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    best = {name: max(sum(hits[(name, r)]) for r in rules[1:]) / args.seeds for name in names}
    for rule in rules:
        cells = []
        for name in names:
            mean = sum(hits[(name, rule)]) / args.seeds
            cells.append(f"**{mean:.4f}**" if rule != rules[0] and mean == best[name]
                         else f"{mean:.4f}")
        lines.append(f"| {rule} | " + " | ".join(cells) + " |")
    lines += ["", "Bold: the best last k of each protocol (the hand-picked k a user would need "
              "to know in advance)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
