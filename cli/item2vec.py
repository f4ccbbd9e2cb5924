"""``w2v item2vec``: item vectors from baskets or sessions."""

import sys

import click

from w2v.item2vec import (DIM, EPOCHS, HISTORY_EVEN_SHARE, HISTORY_HALF_LIFE, MODES,
                          NS_EXPONENT, WINDOW, Item2Vec)
from w2v.progress import format_duration

from w2v.tune import format_trials
from w2v.tune import tune as run_tune

from .options import check_writable, training_options, vocabulary_file_options
from .reading import READING_OPTIONS, duration, read_input, reading_options
from .run import train_and_save
from .spark_options import item2vec_on_spark, pop_spark_options, spark_options
from .train import _vocabulary_files
from .types import FiniteFloat

# How INPUT is read, besides its form (--input-format, declared here: in w2v
# export, --format is the output's format).
READING = tuple(name for name in READING_OPTIONS if name != "form")

# Model settings --tune keeps when they are given on the command line.
TUNABLE = ("window", "history_half_life", "history_even_share", "ns_exponent", "dim",
           "negative", "epochs", "min_count", "sample", "alpha", "min_alpha")


@click.command()
@click.argument("sessions", metavar="INPUT", type=click.Path())
@click.option("-o", "--output", default="items.w2v", show_default=True,
              type=click.Path(dir_okay=False), help="Where to save the model.")
@click.option("--input-format", "form", default="auto", show_default=True,
              type=click.Choice(["auto", "baskets", "interactions"]),
              help="auto: a table when --columns is given or the header names user and item "
                   "columns, else one basket per line.")
@click.option("--format", "form_alias", type=click.Choice(["auto", "baskets", "interactions"]),
              hidden=True)  # the old name of --input-format
@reading_options(READING)
@click.option("--mode", default="auto", show_default=True,
              type=click.Choice(list(MODES)),
              help="sessions: in time order, so near items are context and recent ones weigh "
                   "more in queries; baskets: sets, every item is context of every other; "
                   "auto: sessions for a table with timestamps, baskets otherwise.")
@click.option("--window", type=click.IntRange(min=1),
              help=f"Context: items at most this far apart in a session  [default: {WINDOW} "
                   "for sessions, the whole basket for baskets]")
@click.option("--history-half-life", type=FiniteFloat(min=0, min_open=True), metavar="ITEMS",
              help="In recommendations, the recent part of a history's weight halves every "
                   f"this many items back  [default: {HISTORY_HALF_LIFE:g} for sessions]")
@click.option("--history-even-share", type=FiniteFloat(min=0, max=1), metavar="SHARE",
              help="In recommendations, the share of a history's weight spread evenly over "
                   f"all its items  [default: {HISTORY_EVEN_SHARE:g} for sessions, 1 (all "
                   "alike) for baskets]")
@click.option("--ns-exponent", default=NS_EXPONENT, show_default=True, type=FiniteFloat(),
              help="Noise distribution: item counts to this power; 0 (uniform) ranks by "
                   "co-occurrence probability, higher values discount popular items.")
@training_options(unit="item", data="sessions", min_count=1, sample=0.0,
                  epochs=EPOCHS, alpha="0.025", dim=DIM)
@click.option("--checkpoint", is_flag=True,
              help="Save the model to OUTPUT after every epoch, so that an interrupted run "
                   "can be finished with --resume OUTPUT.")
@click.option("--resume", type=click.Path(dir_okay=False), metavar="MODEL",
              help="Finish MODEL's interrupted run on INPUT, keeping its items and settings.")
@vocabulary_file_options(unit="item", data="sessions", max_vocab_size=False)
@click.option("--tune", is_flag=True,
              help="First search the settings not given on the command line (window, "
                   "ns-exponent, epochs, dim, negative, the query rule) on each user's last "
                   "item held out, then train on everything with the best; prints the trials.")
@click.option("--budget", default="10m", show_default=True, callback=duration,
              metavar="DURATION", help="Time for the --tune search (600, 10m, 1h).")
@spark_options
@click.pass_context
def item2vec(ctx, sessions, output, checkpoint, resume, tune, budget, quiet, **settings):
    """Train item vectors on INPUT and save them to a model file.

    INPUT holds one basket or session per line (item ids separated by spaces or
    commas), or is an interactions table (CSV/TSV: user, item, optional
    timestamp and rating), grouped by user into sessions in time order; - reads
    standard input. Item ids are kept exactly as written. With --spark MASTER,
    INPUT (a file, or Parquet) is read and trained on the cluster.
    """
    _input_format(ctx, settings)
    spark = pop_spark_options(ctx, settings)
    read_vocab = settings.pop("read_vocab")
    vocabulary = _vocabulary_files(sessions, output, settings.pop("save_vocab"), read_vocab,
                                   resume, spark)
    check_writable(output, reads=sessions)
    log = None if quiet else sys.stderr
    if resume and tune:
        raise click.UsageError("--tune chooses the settings of a new model; a resumed model "
                               "keeps its own")
    model = _resumed_model(ctx, resume, settings) if resume else None
    if spark is not None:
        _train_on_spark(ctx, spark, sessions, output, model, settings, checkpoint=checkpoint,
                        tune=tune, quiet=quiet)
        return
    data = read_input(sessions, quiet=quiet,
                      **{name: settings.pop(name) for name in READING_OPTIONS})
    if model is None:
        chosen = {key: value for key, value in settings.items() if value is not None}
        if tune:
            chosen = _tuned_settings(ctx, data, chosen, budget, log)
        model = Item2Vec(**chosen)

    def run(on_epoch_end):
        vocabulary(model, data)
        if model.unfinished:
            model.resume(data, progress=log, on_epoch_end=on_epoch_end)
        else:
            model.train(data, progress=log, on_epoch_end=on_epoch_end)
    train_and_save(ctx, model, run, output, checkpoint=checkpoint,
                   resume_command=f"w2v item2vec {sessions} --resume {output} -o {output} "
                                  "(with the same reading options)")
    if not quiet:
        distinct = len({item for session in data for item in session})
        click.echo(f"{len(model.vocab_):,} items x {model.dim} dims from {len(data):,} sessions "
                   f"({data.stats.items:,} interactions), trained in "
                   f"{format_duration(model.training_seconds_)}; saved {output}", err=True)
        if distinct > len(model.vocab_):
            why = ("not in the resumed model" if resume
                   else f"not kept from {read_vocab}" if read_vocab
                   else f"seen fewer than {model.min_count} times")
            click.echo(f"note: {distinct - len(model.vocab_):,} items {why} were left out",
                       err=True)


def _input_format(ctx, settings):
    """--format, the old name of --input-format, still works."""
    alias = settings.pop("form_alias")
    if alias is None:
        return
    if (ctx.get_parameter_source("form") == click.core.ParameterSource.COMMANDLINE
            and settings["form"] != alias):
        raise click.UsageError(f"--input-format {settings['form']} and --format {alias} "
                               "disagree: give --input-format only")
    settings["form"] = alias


def _train_on_spark(ctx, spark, path, output, model, settings, *, checkpoint, tune, quiet):
    """w2v item2vec INPUT --spark MASTER: read, group and train on the cluster."""
    if tune:
        raise click.UsageError("--tune searches on this machine, not on Spark: tune without "
                               "--spark, then train with --spark and the settings it chose")
    if spark.column is not None:
        raise click.UsageError("--column is for w2v train --spark (a Parquet column of text); "
                               "item2vec names a table's columns with --columns")
    if path == "-":
        raise click.UsageError("--spark reads INPUT on the cluster, which cannot read standard "
                               "input: save it to a file first")
    reading = {name: settings.pop(name) for name in READING_OPTIONS}
    columns = reading.pop("columns")
    if model is None:
        model = Item2Vec(**{key: value for key, value in settings.items() if value is not None})
    item2vec_on_spark(ctx, spark, path, output, **reading,
                      columns=columns.split(",") if columns else None,
                      checkpoint=checkpoint, quiet=quiet, model=model)


def _tuned_settings(ctx, data, settings, budget, log):
    """The settings --tune finds best, keeping those given on the command line."""
    fixed = {name: value for name, value in settings.items() if name in TUNABLE
             and ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE}
    if settings["mode"] != "auto":  # the search reads the mode from the data
        data.ordered = settings["mode"] == "sessions"
    result = run_tune(data, budget, seed=settings["seed"], workers=settings["workers"],
                      progress=log, fixed=fixed)
    click.echo(format_trials(result))
    click.echo(f"chosen on validation ({result.validation_users:,} users, "
               f"{format_duration(result.seconds)}); training on everything", err=True)
    return {**settings, **result.best}


def _resumed_model(ctx, path, settings):
    """An item model whose interrupted run goes on; it keeps its own settings."""
    given = [name for name in ("dim", "window", "negative", "min_count", "sample", "alpha",
                               "min_alpha", "ns_exponent", "seed", "epochs", "mode",
                               "history_half_life", "history_even_share")
             if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE]
    if given:
        options = ", ".join("--" + name.replace("_", "-") for name in given)
        raise click.UsageError(f"{options} cannot be changed when resuming: the model keeps "
                               "its settings")
    model = Item2Vec.load(path)
    if not model.unfinished:
        raise click.UsageError(f"{path} has no interrupted run to finish (it completed its "
                               f"{model.epochs_trained_} epochs)")
    model.workers = settings.get("workers", model.workers)  # none with --spark
    return model
