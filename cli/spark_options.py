"""``--spark MASTER`` for ``w2v train`` and ``w2v item2vec``: the same training,
on a Spark cluster (w2v.spark), saved to the same kind of model file.

The commands keep their own options and defaults; these add where to train
(``--spark``), how many partitions train side by side and how often they
synchronise, and call the library. Options that only mean something on one
machine (``--workers``) or only on Spark (``--partitions``) are refused
where they would be ignored.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click

from w2v.spark.training import MAX_ROUNDS

from .run import train_and_save

#: The options this module adds, as the command functions receive them.
SPARK_OPTIONS = ("spark", "partitions", "rounds_per_epoch", "column")


@dataclass
class SparkRun:
    """Where and how to train on Spark, from the command line."""

    master: str
    partitions: int | None
    rounds_per_epoch: int | None
    column: str | None


def spark_options(command):
    """Add ``--spark``, ``--partitions``, ``--rounds-per-epoch`` and ``--column``."""
    options = [
        click.option("--spark", metavar="MASTER",
                     help="Train on Spark: local[N] (N cores here), spark://HOST:PORT, yarn or "
                          "k8s://... (needs pip install 'w2v[spark]' and Java 17)."),
        click.option("--partitions", type=click.IntRange(min=1),
                     help="With --spark: partitions training side by side  [default: the "
                          "cluster's cores]"),
        click.option("--rounds-per-epoch", type=click.IntRange(1, MAX_ROUNDS),
                     help="With --spark: times per epoch the partitions merge their vectors  "
                          "[default: one per 150,000 words a partition trains, at least 4]"),
        click.option("--column", metavar="NAME",
                     help="With --spark: the Parquet column to train on, when it has several."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def pop_spark_options(ctx, settings: dict) -> SparkRun | None:
    """Take this module's options out of ``settings``; a `SparkRun` when
    ``--spark`` is given, None (after refusing the others) when not."""
    given = {name: settings.pop(name) for name in SPARK_OPTIONS}
    if given["spark"] is None:
        extra = [name for name in SPARK_OPTIONS[1:] if given[name] is not None]
        if extra:
            verb = "applies" if len(extra) == 1 else "apply"
            raise click.UsageError(f"{_flags(extra)} only {verb} with --spark MASTER")
        return None
    if ctx.get_parameter_source("workers") == click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("--workers is for training on one machine; with --spark, "
                               "--partitions sets how many train side by side")
    settings.pop("workers", None)
    return SparkRun(given["spark"], given["partitions"], given["rounds_per_epoch"],
                    given["column"])


def _flags(names) -> str:
    return ", ".join("--" + name.replace("_", "-") for name in names)


def train_on_spark(ctx, run: SparkRun, data, model, output, *, checkpoint: bool, quiet: bool,
                   resume_command: str, epochs: int | None = None, items: dict | None = None):
    """Train ``model`` on ``data`` on the cluster ``run`` names, and save it.

    ``model`` is a new or resumed ``Word2Vec`` / ``Item2Vec``; an unfinished
    run is finished, a finished one trained ``epochs`` more. ``items``, for
    item models, are the options of `w2v.spark.sessions` when ``data`` is an
    interactions table (see `item2vec_on_spark`). Spark's session starts
    here and stops when training ends, however it ends.
    """
    import w2v.spark

    log = None if quiet else sys.stderr
    session = w2v.spark.start_session(run.master, app_name=f"w2v {ctx.info_name}")
    try:
        frame = data
        if items is not None:
            frame, ordered = _item_frame(session, data, items)
            if model.mode == "auto" and model.vocab_ is None:
                model.mode = "sessions" if ordered else "baskets"

        def train(on_epoch_end):
            w2v.spark.train(frame, model, column=run.column if items is None else "items",
                            partitions=run.partitions, rounds_per_epoch=run.rounds_per_epoch,
                            epochs=epochs, resume=model.unfinished, spark=session,
                            progress=log, on_epoch_end=on_epoch_end)

        train_and_save(ctx, model, train, output, checkpoint=checkpoint,
                       resume_command=resume_command)
    finally:
        session.stop()


# --- item2vec: reading the input on the cluster ------------------------------------------------


def item2vec_on_spark(ctx, run: SparkRun, path, output, *, form, columns, header, delimiter,
                      min_rating, session_gap, on_bad_rows, checkpoint, quiet, model):
    """``w2v item2vec INPUT --spark MASTER``: read INPUT on the cluster (a
    baskets file, an interactions CSV/TSV, or Parquet), group interactions
    into sessions there, train ``model`` (an ``Item2Vec``) and save it."""
    items = {"form": form, "columns": columns, "header": header, "delimiter": delimiter,
             "min_rating": min_rating, "session_gap": session_gap, "on_bad_rows": on_bad_rows}
    train_on_spark(ctx, run, path, model, output, checkpoint=checkpoint, quiet=quiet,
                   resume_command=f"w2v item2vec {path} --spark {run.master} --resume {output} "
                                  f"-o {output} (with the same reading options)",
                   items=items)
    if not quiet:
        click.echo(f"{len(model.vocab_):,} items x {model.dim} dims, trained in "
                   f"{model.training_seconds_:.0f} s on Spark; saved {output}", err=True)


def _item_frame(session, path, items: dict):
    """One column ``items`` of item-id arrays (or baskets as text), from
    INPUT read by Spark as the single-machine reader would read it; and
    whether the sessions are in time order."""
    import w2v.spark
    from pyspark.sql import functions as F
    from w2v.errors import CorpusError

    frame = _table_frame(session, path, items)
    if frame is None:  # baskets: one per line
        if items["min_rating"] is not None or items["session_gap"] is not None:
            raise CorpusError(f"{path} is read as baskets, which have no ratings or "
                              "timestamps: --min-rating and --session-gap need a table")
        return session.read.text(str(path)).select(F.col("value").alias("items")), False
    roles = _column_roles(frame, items["columns"])
    grouped = w2v.spark.sessions(frame, **roles, min_rating=items["min_rating"],
                                 session_gap=items["session_gap"],
                                 on_bad_rows=items["on_bad_rows"])
    return grouped.frame.select("items"), grouped.ordered


def _table_frame(session, path, items: dict):
    """The interactions as a DataFrame, or None for a baskets file."""
    from w2v.sessions import _detect_delimiter, _is_interactions_header
    from w2v.tables import table_format

    text = str(path)
    if text.endswith(".parquet") or table_format(text) == "parquet":
        return session.read.parquet(text)
    if items["form"] == "baskets":
        return None
    first = _first_line(session, text)
    if items["form"] == "auto" and not items["columns"] and not (
            items["header"] and first is not None and _is_interactions_header(first)):
        return None
    delimiter = items["delimiter"] or _detect_delimiter(first or "", text)
    return session.read.csv(text, sep=delimiter, header=items["header"], inferSchema=False,
                            mode="PERMISSIVE")


def _first_line(session, path: str) -> str | None:
    from w2v.spark.session import spark_errors

    with spark_errors(f"reading {path}"):
        rows = session.read.text(path).limit(1).collect()
    return rows[0][0] if rows else None


def _column_roles(frame, columns) -> dict:
    """``user=``, ``item=``... for `w2v.spark.sessions`: from --columns (roles
    in column order), else left to be recognised by the header's names."""
    if not columns:
        return {}
    from w2v.errors import CorpusError

    names = frame.columns
    if len(columns) > len(names):
        raise CorpusError(f"--columns names {len(columns)} roles but the table has "
                          f"{len(names)} columns")
    roles = {}
    for role, name in zip(columns, names):
        if role == "-":
            continue
        if role not in ("user", "item", "timestamp", "rating"):
            raise CorpusError(f"unknown column role {role!r}: use user, item, timestamp, "
                              "rating, or - for a column to ignore")
        roles[role] = name
    return roles
