"""Recommendations for all 943 MovieLens-100K users: ``w2v recommend --users``
against a loop of one recommendation per user.

Timed, each the median of ``--repeats`` runs:

1. **CLI, batch**: ``w2v recommend --users u.data ... -o recs.csv``, the
   whole command (start-up, loading the model, reading u.data, recommending
   in chunks, writing the CSV);
2. **library, batch**: `w2v.batch_recs.recommend_for_users` and
   `write_recommendations`, given the loaded model and the read table;
3. **library, loop**: ``Item2Vec.recommend(history, topn=10)`` once per user,
   rows written to the same CSV;
4. **CLI, loop**: ``w2v recommend ITEM...`` once per user (a process each),
   timed on the first ``--cli-sample`` users and scaled to 943.

Every user's query is their whole history, oldest first; the loop's items
are checked to be the batch's. The model is trained by ``w2v item2vec`` on
u.data with its default settings, unless ``--model`` names one.

    python benchmarks/batch_recs.py --out benchmarks/results/batch-recs.md

MovieLens may not be redistributed: this reads it from ../shared/data/items/
and writes only figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from w2v.batch_recs import Recommendation, recommend_for_users, write_recommendations
from w2v.item2vec import Item2Vec
from w2v.sessions import read_interactions

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "items"
COLUMNS = "user,item,rating,timestamp"
CLI = [sys.executable, "-c", "from w2v_cli.main import main; main()"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="an item model of u.data (default: train one)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cli-sample", type=int, default=20,
                        help="users for the one-process-per-user loop")
    parser.add_argument("--topn", type=int, default=10)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="batch-recs-"))
    model_path = args.model or train_model(work)
    table = DATA / "u.data"
    model = Item2Vec.load(model_path)
    data = read_interactions(table, columns=COLUMNS.split(","), header=False)
    histories = dict(zip(data.users, data.sessions))  # no session gap: one session per user

    def batch():
        write_recommendations(recommend_for_users(model, data, args.topn), work / "batch.csv")

    def loop():
        write_recommendations(loop_rows(model, histories, args.topn), work / "loop.csv")

    timings = {
        "CLI, batch (`w2v recommend --users`)": repeat(args.repeats, lambda: cli_batch(
            table, model_path, work / "cli.csv", args.topn)),
        "library, batch (`recommend_for_users`)": repeat(args.repeats, batch),
        "library, loop (`Item2Vec.recommend` per user)": repeat(args.repeats, loop),
    }
    timings["CLI start-up alone (`w2v --version`)"] = repeat(
        args.repeats, lambda: subprocess.run([*CLI, "--version"], check=True, capture_output=True))
    sample = list(histories.items())[:args.cli_sample]
    one_process_each = repeat(1, lambda: cli_loop(sample, model_path, args.topn))
    timings[f"CLI, loop (`w2v recommend ITEM...` per user; {len(sample)} users timed, "
            f"x {len(histories) / len(sample):.2f})"] = [t * len(histories) / len(sample)
                                                         for t in one_process_each]
    swapped = check_same(work / "batch.csv", work / "loop.csv", work / "cli.csv")
    loads = (load_before, os.getloadavg()[0])
    report = render(args, model_path, timings, len(histories), swapped, loads)
    print(report)
    if args.out:
        args.out.write_text(report)


def train_model(work: Path) -> Path:
    path = work / "ml.w2v"
    command = [*CLI, "item2vec", str(DATA / "u.data"), "--columns", COLUMNS, "--no-header",
               "-o", str(path), "-q"]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    print(f"trained {path} in {time.perf_counter() - started:.0f} s: "
          f"w2v item2vec u.data --columns {COLUMNS} --no-header", file=sys.stderr)
    return path


def repeat(times: int, work) -> list[float]:
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return seconds


def cli_batch(table: Path, model: Path, out: Path, topn: int) -> None:
    subprocess.run([*CLI, "recommend", "--users", str(table), "--columns", COLUMNS,
                    "--no-header", "-m", str(model), "-o", str(out), "-n", str(topn), "-q"],
                   check=True)


def loop_rows(model, histories: dict, topn: int):
    for user, history in histories.items():
        for rank, (item, score) in enumerate(model.recommend(history, topn=topn), 1):
            yield Recommendation(user, rank, item, score)


def cli_loop(sample, model: Path, topn: int) -> None:
    for _, history in sample:
        subprocess.run([*CLI, "recommend", *history, "-m", str(model), "-n", str(topn)],
                       check=True, capture_output=True)


def check_same(*paths: Path) -> int:
    """That every file holds the same users and items in the same order, but
    for items whose scores tie at float32 precision (a matrix product of one
    row and of many rounds differently): the number of such swapped rows."""
    def rows(path):
        lines = path.read_text().splitlines()[1:]
        return [(user, item, float(score)) for user, _, item, score in
                (line.split(",") for line in lines)]
    first, swapped = rows(paths[0]), 0
    for path in paths[1:]:
        other = rows(path)
        assert len(other) == len(first), f"{path} has {len(other)} rows, not {len(first)}"
        for (user, item, score), (user2, item2, score2) in zip(first, other):
            assert user == user2, f"{path}: users differ from {paths[0]}"
            if item != item2:
                assert abs(score - score2) <= 1e-5 * max(abs(score), 1), \
                    f"{path}: {user} gets {item2} where {paths[0]} has {item}"
                swapped += 1
    return swapped


def agreement(swapped: int, rows: int) -> str:
    same = "All methods gave the same users and items in the same order"
    if not swapped:
        return same + "."
    return (f"{same}, but for {swapped} of the {rows:,} rows: items whose scores tie at float32 "
            "precision, in the other order (one row's matrix product rounds differently from "
            "many rows').")


def render(args, model_path: Path, timings: dict, users: int, swapped: int, loads) -> str:
    batch = statistics.median(timings["library, batch (`recommend_for_users`)"])
    lines = [
        "# Batch recommendations: all MovieLens-100K users",
        "",
        f"`python benchmarks/batch_recs.py{' --out ' + str(args.out) if args.out else ''}` "
        f"on {platform.machine()}, {os.cpu_count()} cores shared with other jobs (load "
        f"average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end), "
        f"Python {platform.python_version()}. {users} users, top {args.topn} each, whole "
        f"histories as queries; model: `w2v item2vec u.data --columns {COLUMNS} --no-header`"
        f"{' (' + str(model_path) + ')' if args.model else ''} with its defaults. Median of "
        f"{args.repeats} runs (min-max; the per-user CLI loop: one run of a sample). "
        + agreement(swapped, users * args.topn),
        "",
        "| method | seconds for all users | users/s | vs library batch |",
        "|---|---|---|---|",
    ]
    for method, seconds in timings.items():
        median = statistics.median(seconds)
        spread = f" ({min(seconds):.2f}-{max(seconds):.2f})" if len(seconds) > 1 else ""
        speed = "-" if method.startswith("CLI start-up") else f"{users / median:,.1f}"
        lines.append(f"| {method} | {median:.2f}{spread} | {speed} | {median / batch:.1f}x |")
    lines += ["", "The CLI batch time includes start-up (the row above), loading the model "
              "and reading u.data; the CLI loop pays all of it once per user."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
