"""item2vec against two baselines on MovieLens-100K, leave-last-out.

Split: each user's ratings are put in time order (equal timestamps keep the
order of ``u.data``); the last one is the test item, everything before is
training data. Every rating counts as an interaction, whatever its value.
Settings are chosen on a validation split made the same way from the training
data (the second-to-last item held out); then each method is trained once
more on the full training data and scored on the test items.

Query protocol, the same for every method: a user's query is their last ``k``
training items (``k`` chosen on validation, per method), candidates are all
items the user has not rated in training, and a candidate's score is the sum
of its scores against each query item. That is the ranking of
``Item2Vec.recommend`` for item2vec, with either of its scores: ``context``
(query item's input vector . candidate's output vector, the default) or
``cosine`` (of the input vectors). The item-item baseline scores by the cosine
of the items' columns in the binary user x item training matrix; the
popularity baseline by training interaction count. Reported: hit rate@10 (the
test item is among the 10 recommended) and NDCG@10 (1 / log2(1 + rank) for a
hit), averaged over the 943 users.

    python benchmarks/movielens.py --out benchmarks/results/movielens.md   # ~4 min, 2 cores

MovieLens may not be redistributed: this reads it from ../shared/data/items/
and writes only figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from w2v.item2vec import Item2Vec
from w2v.sessions import read_interactions

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "items"
TOPN = 10
HISTORY_LENGTHS = (1, 2, 3, 5, 10, 20, 50, None)  # k; None: the whole training history
SCORES = ("context", "cosine")  # Item2Vec.recommend's scores

# item2vec's validation search starts from BASE and tries GRID's values one
# setting at a time, keeping any that improves hit rate@10 with the context
# score (a coordinate search keeps this to minutes). BASE comes from a wider
# exploration on the same validation split during development. The whole
# session as window (the default for baskets) is left out: MovieLens histories
# reach 737 items, so it costs 20 times more per epoch than a window of 10, and
# in development (dim 32, 10 epochs) it reached validation HR@10 0.13 with the
# context score and 0.18 with cosine: whole histories lose what is recent.
BASE = dict(dim=64, window=10, negative=5, ns_exponent=0.0, epochs=40, min_count=1)
GRID = dict(window=[5, 20], ns_exponent=[-0.5, 0.5, 0.75, 1.0])


@dataclass
class Split:
    """Training sessions (time order) and the held-out item of each user."""

    train: list[list[str]]
    held_out: list[str]
    items: list[str]  # every item id, in a fixed order: the columns of all score matrices

    @classmethod
    def leave_last_out(cls, histories: list[list[str]], items: list[str]) -> Split:
        return cls([h[:-1] for h in histories], [h[-1] for h in histories], items)


# --- the three recommenders, as item x item similarity matrices ------------------------


def popularity_scores(split: Split) -> np.ndarray:
    """Training interaction count of each item (one row, the same for everyone)."""
    column = {item: j for j, item in enumerate(split.items)}
    counts = np.zeros(len(split.items))
    for history in split.train:
        for item in history:
            counts[column[item]] += 1
    return counts


def cooccurrence_similarity(split: Split) -> np.ndarray:
    """Cosine between items' columns of the binary user x item training matrix."""
    column = {item: j for j, item in enumerate(split.items)}
    users_by_item = np.zeros((len(split.train), len(split.items)), dtype=np.float32)
    for u, history in enumerate(split.train):
        users_by_item[u, [column[i] for i in history]] = 1.0
    norms = np.linalg.norm(users_by_item, axis=0)
    unit = users_by_item / np.maximum(norms, 1e-12)
    return unit.T @ unit


def item2vec_similarities(split: Split, settings: dict, workers: int,
                          seed: int) -> dict[str, np.ndarray]:
    """Item x item scores of an item2vec model trained on ``split``, for each of
    ``Item2Vec.recommend``'s scores: ``context`` (input vector of the query item
    . output vector of the candidate) and ``cosine`` (of the input vectors).
    Candidates not in the model get -inf; query items not in it add nothing."""
    model = Item2Vec(workers=workers, seed=seed, **settings).train(split.train, progress=None)
    rows = np.array([model.wv.key_to_index.get(item, -1) for item in split.items])
    known = rows >= 0

    def aligned(matrix):  # rows in split.items order, zero for unknown items
        out = np.zeros((len(split.items), matrix.shape[1]), dtype=np.float32)
        out[known] = matrix[rows[known]]
        return out

    unit = aligned(model.wv.unit_vectors)
    similarities = {"context": aligned(model.W_in_) @ aligned(model.W_out_).T,
                    "cosine": unit @ unit.T}
    for score, similarity in similarities.items():
        similarity[:, ~known] = -np.inf
        _check_against_recommend(model, split, similarity, score)
    return similarities


def _check_against_recommend(model, split, similarity, score, users=20):
    """The matrix route must rank as ``Item2Vec.recommend`` does."""
    column = {item: j for j, item in enumerate(split.items)}
    for history in split.train[:users]:
        query = [i for i in history[-5:] if i in model.wv]
        if not query:
            continue
        scores = similarity[[column[i] for i in query]].sum(axis=0)
        scores[[column[i] for i in history]] = -np.inf
        mine = np.sort(scores)[::-1][:TOPN]
        theirs = [column[i] for i, _ in model.recommend(query, TOPN, exclude=history, score=score)]
        assert np.allclose(mine, np.sort(scores[theirs])[::-1], rtol=1e-4, atol=1e-5), score


# --- scoring ----------------------------------------------------------------------------


def evaluate(split: Split, similarity: np.ndarray | None, history_length: int | None,
             popularity: np.ndarray | None = None) -> dict:
    """Hit rate@10 and NDCG@10 over users; see the module docstring for the protocol.
    With ``popularity``, every user's scores are that row instead."""
    column = {item: j for j, item in enumerate(split.items)}
    hits, gains = [], []
    for history, target in zip(split.train, split.held_out):
        seen = [column[i] for i in history]
        if popularity is not None:
            scores = popularity.astype(np.float64).copy()
        else:
            query = seen if history_length is None else seen[-history_length:]
            scores = similarity[query].sum(axis=0, dtype=np.float64)
        scores[seen] = -np.inf
        # rank 1 is best; items tied with the target count as ranked above it
        rank = int(np.sum(scores >= scores[column[target]]))
        hits.append(rank <= TOPN)
        gains.append(1 / np.log2(1 + rank) if rank <= TOPN else 0.0)
    return {"hr": float(np.mean(hits)), "ndcg": float(np.mean(gains))}


def best_history_length(split: Split, similarity: np.ndarray) -> tuple[int | None, dict]:
    results = {k: evaluate(split, similarity, k) for k in HISTORY_LENGTHS}
    best = max(HISTORY_LENGTHS, key=lambda k: (results[k]["hr"], results[k]["ndcg"]))
    return best, results[best]


# --- the run ------------------------------------------------------------------------------


def load_histories(data: Path) -> tuple[list[list[str]], list[str]]:
    sessions = read_interactions(data / "u.data", header=False,
                                 columns=["user", "item", "rating", "timestamp"],
                                 on_bad_rows="error")
    items = sorted({i for s in sessions for i in s}, key=int)
    return sessions.sessions, items


@dataclass
class Trial:
    """One item2vec setting scored on validation: per score, the best k and its figures."""

    settings: dict
    results: dict[str, tuple[int | None, dict]]
    seconds: float


def tune_item2vec(validation: Split, workers: int, seed: int, log) -> list[Trial]:
    """Coordinate search on validation (see GRID); the first trial is BASE and
    the best by the context score is returned first."""
    trials = []

    def trial(settings):
        started = time.perf_counter()
        similarities = item2vec_similarities(validation, settings, workers, seed)
        results = {score: best_history_length(validation, similarities[score])
                   for score in SCORES}
        trials.append(Trial(dict(settings), results, time.perf_counter() - started))
        log("  " + _describe(settings) + "".join(
            f"  | {score}: k={_k(k)} HR@10 {r['hr']:.4f} NDCG@10 {r['ndcg']:.4f}"
            for score, (k, r) in results.items()) + f"  ({trials[-1].seconds:.0f} s)")
        return _key(results["context"][1])

    best = dict(BASE)
    best_key = trial(best)
    for name, values in GRID.items():
        for value in values:
            candidate = {**best, name: value}
            key = trial(candidate)
            if key > best_key:
                best, best_key = candidate, key
    return trials


def _key(result):
    return result["hr"], result["ndcg"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding u.data")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=3,
                        help="item2vec's test figures are the mean over seeds 1..SEEDS")
    parser.add_argument("--out", type=Path, help="also write the Markdown report here")
    args = parser.parse_args(argv)
    if not (args.data / "u.data").exists():
        parser.error(f"no u.data in {args.data}")

    def log(text):
        print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    histories, items = load_histories(args.data)
    test = Split.leave_last_out(histories, items)
    validation = Split.leave_last_out(test.train, items)
    log(f"{len(histories)} users, {len(items)} items, {sum(map(len, histories))} ratings")
    log("item2vec on validation (seed 1):")
    trials = tune_item2vec(validation, args.workers, 1, log)

    rows = [("most popular unseen", "", "-",
             evaluate(test, None, None, popularity=popularity_scores(test)))]
    k_cooc, _ = best_history_length(validation, cooccurrence_similarity(validation))
    cooc = cooccurrence_similarity(test)
    rows.append(("item-item cosine (co-occurrence)", "", _k(k_cooc), evaluate(test, cooc, k_cooc)))
    by_k = {"item-item": {k: evaluate(test, cooc, k) for k in HISTORY_LENGTHS}}
    chosen = {}
    trained = {}  # (settings, seed) -> similarities: both scores share a model when they can
    for score in SCORES:
        trial = max(trials, key=lambda t: _key(t.results[score][1]))
        k = trial.results[score][0]
        runs = []
        for seed in range(1, args.seeds + 1):
            key = (tuple(trial.settings.items()), seed)
            if key not in trained:
                trained[key] = item2vec_similarities(test, trial.settings, args.workers, seed)
            similarity = trained[key][score]
            runs.append(evaluate(test, similarity, k))
            if seed == 1:
                by_k[f"item2vec {score}"] = {j: evaluate(test, similarity, j)
                                             for j in HISTORY_LENGTHS}
            log(f"test, item2vec {score}, seed {seed}: HR@10 {runs[-1]['hr']:.4f}")
        mean = {m: float(np.mean([r[m] for r in runs])) for m in ("hr", "ndcg")}
        spread = {m: (min(r[m] for r in runs), max(r[m] for r in runs)) for m in ("hr", "ndcg")}
        rows.append((f"item2vec, {score} score", spread, _k(k), mean))
        chosen[score] = trial.settings
    report = _report(args, histories, items, rows, by_k, chosen, trials,
                     time.perf_counter() - started)
    print(report)
    if args.out:
        args.out.write_text(report)
        log(f"wrote {args.out}")
    return 0


def _k(k):
    return "all" if k is None else str(k)


def _describe(settings):
    return ", ".join(f"{name} {value}" for name, value in settings.items())


def _report(args, histories, items, rows, by_k, chosen, trials, elapsed):
    seeds = f"mean of seeds 1-{args.seeds} (min-max)" if args.seeds > 1 else "seed 1"
    lines = [
        "# item2vec on MovieLens-100K, leave-last-out",
        "",
        f"`python benchmarks/movielens.py --workers {args.workers} --seeds {args.seeds}`: "
        f"{len(histories)} users, {len(items):,} items, {sum(map(len, histories)):,} ratings; "
        f"{elapsed / 60:.1f} min in all. The split, the query protocol and the search are "
        f"described in the docstring of `benchmarks/movielens.py`. item2vec figures: {seeds}.",
        "",
        "| method | query: last k items | HR@10 | NDCG@10 |",
        "|---|---|---|---|",
    ]
    for name, spread, k, r in rows:
        if spread:
            (h0, h1), (n0, n1) = spread["hr"], spread["ndcg"]
            lines.append(f"| {name} | {k} | {r['hr']:.4f} ({h0:.4f}-{h1:.4f}) "
                         f"| {r['ndcg']:.4f} ({n0:.4f}-{n1:.4f}) |")
        else:
            lines.append(f"| {name} | {k} | {r['hr']:.4f} | {r['ndcg']:.4f} |")
    lines += ["", "item2vec settings, chosen on validation (skip-gram, sample 0, alpha 0.025):", ""]
    lines += [f"- {score} score: {_describe(settings)}" for score, settings in chosen.items()]
    names = list(by_k)
    lines += ["", "## Test HR@10 for every k (seed 1; k above was chosen on validation)", "",
              "| k | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    lines += [f"| {_k(k)} | " + " | ".join(f"{by_k[n][k]['hr']:.4f}" for n in names) + " |"
              for k in HISTORY_LENGTHS]
    lines += ["", "## Validation search (second-to-last item held out, seed 1)", "",
              "| settings | context: k, HR@10, NDCG@10 | cosine: k, HR@10, NDCG@10 | seconds |",
              "|---|---|---|---|"]
    for t in trials:
        cells = [f"{_k(k)}, {r['hr']:.4f}, {r['ndcg']:.4f}" for k, r in
                 (t.results[score] for score in SCORES)]
        lines.append(f"| {_describe(t.settings)} | " + " | ".join(cells) + f" | {t.seconds:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
