"""``w2v analogy``: A is to B as C is to ?, in the order of the analogy files
and of ``kv.analogy(a, b, c)``: the words closest to B - A + C."""

import click

import w2v

from .model_option import model_option
from .similar import cosine_rows, query_words, topn_option
from .table import print_table


def question(a, b, c, method="3cosadd") -> str:
    """'man : king :: woman : ?  (king - man + woman)': the question and what answers it."""
    computed = (f"{b} - {a} + {c}" if method == "3cosadd" else
                f"3CosMul: cos(x, {b}) cos(x, {c}) / cos(x, {a})")
    return f"{a} : {b} :: {c} : ?  ({computed})"


@click.command()
@click.argument("words", nargs=-1, metavar="A B C")
@model_option()
@topn_option(5)
@click.option("--method", type=click.Choice(["3cosadd", "3cosmul"]), default="3cosadd",
              show_default=True,
              help="3cosadd: cosine to B - A + C; 3cosmul: Levy and Goldberg's product of shifted cosines.")
def analogy(words, model_path, topn, method):
    """A is to B as C is to what? Show the words closest to B - A + C.

    The order is that of the analogy files (questions-words.txt: "athens
    greece baghdad iraq") and of kv.analogy(a, b, c) in Python:

    \b
    w2v analogy man king woman        man : king :: woman : ?  (queen)

    MODEL may also come first, before the words.
    """
    model_path, (a, b, c) = query_words(words, model_path, least=3, most=3,
                                        wanted="three words A B C (A is to B as C is to ?)")
    kv = w2v.load_vectors(model_path)
    found = kv.analogy(a, b, c, topn=topn, method=method)
    print_table(["word", "cosine" if method == "3cosadd" else "score"], cosine_rows(found),
                title=question(a, b, c, method))
