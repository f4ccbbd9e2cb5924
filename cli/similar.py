"""``w2v similar``: nearest neighbours of a word."""

import click

import w2v

from .table import print_table


@click.command()
@click.argument("words", nargs=-1, required=True)
@click.option("-m", "--model", "model_path", default="model.w2v", show_default=True,
              type=click.Path(dir_okay=False), help="Model file to query.")
@click.option("-n", "--topn", default=10, show_default=True, type=click.IntRange(min=1),
              help="How many neighbours to show.")
@click.option("--negative", multiple=True, metavar="WORD",
              help="Subtract this word's direction (repeatable): king --negative man woman.")
def similar(words, model_path, topn, negative):
    """Show the words closest to WORDS (their mean direction when several)."""
    kv = w2v.load(model_path).wv
    neighbours = kv.most_similar(positive=list(words), negative=list(negative), topn=topn)
    title = " + ".join(words) + "".join(f" - {w}" for w in negative)
    print_table(["word", "cosine"], [(w, f"{s:.4f}") for w, s in neighbours], title=title)
