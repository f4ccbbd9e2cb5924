"""``w2v evaluate-recs``: item2vec beside three baselines, leave-last-out."""

import sys

import click

from w2v.errors import CorpusError, SettingsError
from w2v.item2vec import Item2Vec
from w2v.machine import available_cpus
from w2v.model import Word2Vec
from w2v.recs_eval import (EASE_LAMBDA, EASE_MAX_ITEMS, Row, baselines, compare,
                           held_out_seen, leave_last_out)

from .reading import read_input, reading_options
from .table import print_table
from .types import FiniteFloat

@click.command("evaluate-recs")
@click.argument("sessions", metavar="INPUT", type=click.Path())
@reading_options()
@click.option("-m", "--model", "model_path", type=click.Path(dir_okay=False),
              help="Evaluate this item model instead of training one. It must not have seen "
                   "the held-out items: one trained on all of INPUT is refused.")
@click.option("--retrain", is_flag=True,
              help="With --model: train a model with MODEL's settings on the training split "
                   "and evaluate that (honest for any MODEL).")
@click.option("-n", "--topn", default=10, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Recommendations per user (the N of HR@N and NDCG@N).")
@click.option("--holdout", default=1, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Distinct items held out at the end of each user's history.")
@click.option("--ease-lambda", default=EASE_LAMBDA, show_default=True,
              type=FiniteFloat(min=0, min_open=True), help="EASE's L2 penalty.")
@click.option("--ease-max-items", default=EASE_MAX_ITEMS, show_default=True,
              type=click.IntRange(1, 10**9),
              help="EASE models at most this many items, the most popular (fewer if memory "
                   "is short): its item x item matrices take 16 bytes per pair.")
@click.option("--workers", default=available_cpus(), type=click.IntRange(min=1),
              show_default="the CPUs this process may use",
              help="Training threads for item2vec (1 for bit-identical reruns).")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(min=0),
              help="Random seed of item2vec's training.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def evaluate_recs(sessions, model_path, retrain, topn, holdout, ease_lambda, ease_max_items,
                  workers, seed, quiet, **reading):
    """Compare item2vec with most-popular, item-kNN and EASE on INPUT.

    Each user's last --holdout distinct items (in time order when INPUT has
    timestamps) are held out; every method learns from the rest and
    recommends --topn items per user, leaving out what the user has. The
    table shows hit rate (a held-out item among them), NDCG and coverage
    (share of the items recommended to anyone), over all users: one with no
    training history left, or whose held-out items never occur in training,
    is a miss for every method. item2vec is trained on the training split
    with its defaults unless --model is given.

    INPUT is read as by w2v item2vec: one basket per line, or an interactions
    table (CSV/TSV: user, item, optional timestamp and rating).
    """
    if sys.stdout is None:  # w2v evaluate-recs ... >&-: the table would vanish
        raise click.ClickException("standard output is closed: nowhere to print the results")
    if retrain and model_path is None:
        raise click.UsageError("--retrain needs --model (whose settings to train with)")
    log = None if quiet else sys.stderr
    given = _load_item_model(model_path) if model_path else None  # fails before reading INPUT
    data = read_input(sessions, quiet=quiet, **reading)
    split = leave_last_out(data, holdout)
    if not split.train.sessions:
        raise CorpusError(f"{sessions}: no user has more than {holdout} distinct item"
                          f"{'s' if holdout > 1 else ''}, so nothing is left to learn from "
                          "once they are held out (lower --holdout)")
    methods = baselines(split, ease_lambda, ease_max_items=ease_max_items)
    name, model, seconds = _item_model(split, given, model_path, retrain, workers, seed, log)
    methods[name] = (model, seconds, "")
    rows = compare(split, methods, topn)
    _print(sessions, split, rows, topn)


def _item_model(split, given, path, retrain, workers, seed, log):
    """The item2vec model to evaluate: (name, model, seconds it took to train)."""
    if given is not None and not retrain:
        _refuse_if_seen(given, path, split)
        return f"item2vec ({path})", given, 0.0
    settings = {} if given is None else given.get_params()
    settings.update(seed=seed, workers=workers)
    model = Item2Vec(**settings).train(split.train, progress=log)
    what = "defaults" if given is None else f"{path}'s settings"
    return f"item2vec ({what})", model, model.training_seconds_


def _load_item_model(path):
    model = Word2Vec.load(path)
    if not isinstance(model, Item2Vec):
        click.echo(f"warning: {path} is a word model (w2v train), not an item model (w2v "
                   "item2vec): its words are read as item ids", err=True)
        model = Item2Vec.load(path)
    return model


def _refuse_if_seen(model, path, split):
    """A given model trained on all of INPUT has seen the held-out items: its
    figures would look better than what it does for new interactions."""
    if not any(item in model.wv for item in split.catalog):
        raise SettingsError(f"{path} knows none of the {len(split.catalog):,} items of the "
                            "training data: is it a model of other data?")
    counts = dict(zip(model.vocab_.words, model.vocab_.counts.tolist()))
    above, known = held_out_seen(counts, split)
    if known and above > known / 2:
        raise SettingsError(
            f"{path} has seen the held-out items: it counts {above:,} of the {known:,} it knows "
            f"more often than the training split holds them, as a model trained on all of "
            f"INPUT does, so its figures would be inflated; add --retrain to train its settings "
            f"on the training split, or leave out --model")
    if above:
        click.echo(f"warning: {path} counts {above:,} of the {known:,} held-out items it knows "
                   "more often than the training split: it was trained on other data, and may "
                   "have seen some held-out interactions", err=True)


def _print(sessions, split, rows: list[Row], topn):
    without, unknown = split.users_without_history, split.users_with_unknown_items
    held = "last item" if split.n == 1 else f"last {split.n} distinct items"
    click.echo(f"{sessions}: {len(split.users):,} users, {len(split.catalog):,} items in training; "
               f"each user's {held} held out")
    print_table(["method", f"HR@{topn}", f"NDCG@{topn}", "coverage", "users", "seconds"],
                [(row.name, f"{row.metrics.hit_rate:.4f}", f"{row.metrics.ndcg:.4f}",
                  f"{100 * row.metrics.coverage:.1f}%", f"{row.metrics.users:,}",
                  f"{row.fit_seconds + row.seconds:.1f}") for row in rows])
    if without or unknown:
        click.echo(f"counted as misses for every method: {without:,} users with no training "
                   f"history left, {unknown:,} whose held-out items are not in the training data")
    for row in rows:
        if row.note:
            click.echo(f"note: {row.name} {row.note}")
