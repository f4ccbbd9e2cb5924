"""``w2v similar`` and ``w2v neighbours``: the words closest to given words."""

import click

import w2v

from .model_option import model_option, names_model, split_model
from .table import print_table

def topn_option(default):
    return click.option("-n", "--topn", default=default, show_default=True,
                        type=click.IntRange(min=1), help="How many words to show.")


def cosine_rows(found):
    return [(word, f"{score:.4f}") for word, score in found]


def query_words(arguments, model_path, *, least, most=None, wanted="at least one WORD"):
    """(MODEL, words) from a query command's arguments, refusing too few or
    too many words; ``wanted`` says what the command takes."""
    given_model = model_path
    model_path, words = split_model(arguments, model_path, least=least, most=most)
    if len(words) < least or (most is not None and len(words) > most):
        if given_model is None and len(words) == len(arguments) and words and names_model(words[0]):
            model_path, words = words[0], words[1:]  # `w2v analogy model.w2v man king`
        given = f"{len(words)} word{'' if len(words) == 1 else 's'}"
        if len(words) < len(arguments):
            given += f" after the model {model_path}"
        raise click.UsageError(f"expected {wanted}, got {given}")
    return model_path, words


@click.command()
@click.argument("words", nargs=-1, metavar="WORD...")
@model_option()
@topn_option(10)
@click.option("--minus", multiple=True, metavar="WORD",
              help="Subtract this word's direction (repeatable): king woman --minus man.")
@click.option("--negative", "negative", multiple=True, hidden=True)  # the old name of --minus
def similar(words, model_path, topn, minus, negative):
    """Show the words closest to WORDS (their mean direction when several),
    less the direction of each --minus word.

    \b
    w2v similar france -m model.w2v
    w2v similar king woman --minus man

    MODEL may also come first, before the words.
    """
    model_path, words = query_words(words, model_path, least=1)
    if negative:
        # In w2v train, --negative is the number of noise words: one name, one meaning.
        click.echo("note: similar --negative is now --minus (--negative will go away)", err=True)
    minus = list(minus) + list(negative)
    kv = w2v.load_vectors(model_path)
    neighbours = kv.most_similar(positive=list(words), negative=minus, topn=topn)
    title = " + ".join(words) + "".join(f" - {w}" for w in minus)
    print_table(["word", "cosine"], cosine_rows(neighbours), title=title)


@click.command()
@click.argument("words", nargs=-1, metavar="WORD...")
@model_option()
@topn_option(10)
def neighbours(words, model_path, topn):
    """Show the words closest to each of WORDS, one table per word. MODEL may
    also come first, before the words."""
    model_path, words = query_words(words, model_path, least=1)
    kv = w2v.load_vectors(model_path)
    for k, (word, found) in enumerate(zip(words, kv.neighbours(list(words), topn=topn))):
        if k:
            click.echo()
        print_table(["word", "cosine"], cosine_rows(found), title=word)
