"""``w2v recommend``: items for someone who has some, or for every user of a
table, from an item model."""

import sys
import time

import click

from w2v.batch_recs import BatchStats, output_format, recommend_for_users, write_recommendations
from w2v.errors import CorpusError
from w2v.item2vec import Item2Vec
from w2v.progress import format_duration
from w2v.sessions import read_item_titles

from .model_option import model_option, split_model
from .options import check_writable
from .reading import read_input, reading_options
from .table import print_table

# Options that only say how to read the --users table.
# How --users TABLE is read (a table, so no --format; no ratings or sessions needed).
BATCH_READING = ("columns", "header", "delimiter", "on_bad_rows")


@click.command()
@click.argument("items", nargs=-1)
@model_option(default="items.w2v", help="Item model to query.", dir_okay=False)
@click.option("-n", "--topn", default=10, show_default=True, type=click.IntRange(min=1),
              help="How many items to recommend (per user, with --users).")
@click.option("--exclude", multiple=True, metavar="ITEM",
              help="Never recommend this item (repeatable), e.g. ones already bought.")
@click.option("--score", default="context", show_default=True,
              type=click.Choice(["context", "cosine"]),
              help="context: items the model expects in the same session as ITEMS; "
                   "cosine: items whose vectors are closest (alike, substitutes).")
@click.option("--items-file", type=click.Path(dir_okay=False),
              help="Item metadata to show titles: id, then title, separated by |, tab or "
                   "comma (e.g. MovieLens u.item).")
@click.option("--users", "users_path", type=click.Path(dir_okay=False), metavar="TABLE",
              help="Recommend for every user of this interactions table (CSV, TSV, Parquet or "
                   "Arrow: user, item, optional timestamp), each user's whole history as the "
                   "query, never an item they have; written to -o.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              metavar="FILE",
              help="With --users: .csv or .tsv (user, rank, item, score[, title]) or .parquet; "
                   "- for CSV on standard output.")
@reading_options(BATCH_READING, prefix="With --users: ")
@click.option("-q", "--quiet", is_flag=True, help="With --users: no progress or summary.")
@click.pass_context
def recommend(ctx, items, model_path, topn, exclude, score, items_file, users_path, output,
              quiet, **reading):
    """Recommend items for people who have ITEMS, oldest first (a sessions
    model weighs the recent ones most); ITEMS themselves are never recommended.
    With --users TABLE -o FILE, recommend for every user of TABLE. MODEL may
    also come first, before the items."""
    model_path, items = split_model(items, model_path, least=0 if users_path else 1,
                                    default="items.w2v")
    ctx.params["items"] = items
    if users_path is None:
        _refuse_batch_options(ctx, output)
        _recommend_for_items(items, model_path, topn, exclude, score, items_file)
        return
    if items:
        raise click.UsageError("give ITEMS or --users TABLE, not both")
    if output is None:
        raise click.UsageError("--users needs -o FILE (.csv, .tsv or .parquet), or -o - for "
                               "CSV on standard output")
    _recommend_for_users(users_path, output, model_path, topn, exclude, score, items_file,
                         reading, quiet)


def _refuse_batch_options(ctx, output):
    if output is not None:
        raise click.UsageError("-o is for --users TABLE; ITEMS' recommendations are printed")
    given = [name for name in BATCH_READING + ("quiet",)
             if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE]
    if given:
        names = ", ".join("--" + name.replace("_", "-") for name in given)
        raise click.UsageError(f"{names}: only with --users TABLE")
    if not ctx.params["items"]:
        raise click.UsageError("give the ITEMS to recommend for, or --users TABLE -o FILE to "
                               "recommend for every user of a table")


def _recommend_for_items(items, model_path, topn, exclude, score, items_file):
    model = Item2Vec.load(model_path).load_indexes(model_path)
    found = model.recommend(list(items), topn=topn, exclude=exclude, score=score)
    rows = [(item, f"{value:.4f}") for item, value in found]
    if items_file is None:
        print_table(["item", score], rows, title=" + ".join(items))
        return
    titles = read_item_titles(items_file)
    title = " + ".join(f"{titles[i]} ({i})" if i in titles else i for i in items)
    print_table(["title", "item", score],
                [(titles.get(item, "?"), item, value) for item, value in rows], title=title)


def _recommend_for_users(users_path, output, model_path, topn, exclude, score, items_file,
                         reading, quiet):
    output_format(output)  # a wrong extension fails before any work
    if output != "-":
        for source in (users_path, model_path, items_file):
            if source is not None:
                check_writable(output, reads=source)
    started = time.perf_counter()
    model = Item2Vec.load(model_path).load_indexes(model_path)
    titles = read_item_titles(items_file) if items_file else None
    data = read_input(users_path, quiet=quiet, form="interactions", **reading)
    if not data.sessions:
        raise CorpusError(f"{users_path} holds no interactions: no user to recommend for")
    stats = BatchStats()
    rows = recommend_for_users(model, data, topn, exclude=exclude, score=score, stats=stats,
                               progress=None if quiet else sys.stderr)
    write_recommendations(rows, output, titles=titles)
    if stats.unknown:
        click.echo(f"note: {stats.unknown:,} of {_count(stats.users, 'user')} have no item in "
                   f"the model (all too rare or new): no recommendations for them", err=True)
    if not quiet:
        where = "standard output" if output == "-" else output
        click.echo(f"{_count(stats.rows, 'recommendation')} for {_count(stats.recommended, 'user')}"
                   f" written to {where} in {format_duration(time.perf_counter() - started)}",
                   err=True)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
