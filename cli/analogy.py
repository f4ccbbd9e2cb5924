"""``w2v analogy``: the words closest to A - B + C (king - man + woman)."""

import click

import w2v

from .similar import cosine_rows, model_option, topn_option
from .table import print_table


@click.command()
@click.argument("a")
@click.argument("b")
@click.argument("c")
@model_option
@topn_option(5)
@click.option("--method", type=click.Choice(["3cosadd", "3cosmul"]), default="3cosadd",
              show_default=True,
              help="3cosadd: cosine to A - B + C; 3cosmul: Levy and Goldberg's product of shifted cosines.")
def analogy(a, b, c, model_path, topn, method):
    """Show the words closest to A - B + C, in the order of plot-analogy:
    `w2v analogy king man woman` asks "man is to king as woman is to ?" (queen)."""
    kv = w2v.load_vectors(model_path)
    found = kv.analogy(b, a, c, topn=topn, method=method)
    print_table(["word", "cosine" if method == "3cosadd" else "score"], cosine_rows(found),
                title=f"{a} - {b} + {c}  ({b} is to {a} as {c} is to ?)")
