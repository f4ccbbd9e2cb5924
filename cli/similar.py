"""``w2v similar`` and ``w2v neighbours``: the words closest to given words."""

import click

import w2v

from .table import print_table

MODEL_HELP = "Model file, or word2vec .vec/.bin file, or projector folder."


def model_option(function):
    """The ``-m/--model`` option every query command shares."""
    return click.option("-m", "--model", "model_path", default="model.w2v", show_default=True,
                        type=click.Path(), help=MODEL_HELP)(function)


def topn_option(default):
    return click.option("-n", "--topn", default=default, show_default=True,
                        type=click.IntRange(min=1), help="How many words to show.")


def cosine_rows(found):
    return [(word, f"{score:.4f}") for word, score in found]


@click.command()
@click.argument("words", nargs=-1, required=True)
@model_option
@topn_option(10)
@click.option("--negative", multiple=True, metavar="WORD",
              help="Subtract this word's direction (repeatable): king --negative man woman.")
def similar(words, model_path, topn, negative):
    """Show the words closest to WORDS (their mean direction when several)."""
    kv = w2v.load_vectors(model_path)
    neighbours = kv.most_similar(positive=list(words), negative=list(negative), topn=topn)
    title = " + ".join(words) + "".join(f" - {w}" for w in negative)
    print_table(["word", "cosine"], cosine_rows(neighbours), title=title)


@click.command()
@click.argument("words", nargs=-1, required=True)
@model_option
@topn_option(10)
def neighbours(words, model_path, topn):
    """Show the words closest to each of WORDS, one table per word."""
    kv = w2v.load_vectors(model_path)
    for k, (word, found) in enumerate(zip(words, kv.neighbours(list(words), topn=topn))):
        if k:
            click.echo()
        print_table(["word", "cosine"], cosine_rows(found), title=word)
