"""Where a command finds its model: ``-m/--model MODEL``, the one documented way.

Every command that reads vectors takes ``-m MODEL`` and defaults to the file
``w2v train`` writes (``model.w2v``; ``items.w2v`` for ``recommend``). MODEL
as the first argument works too, as ``evaluate``, ``export`` and ``plot*``
took it before, so that scripts written either way keep working: it is left
out of the usage line and told in each command's help.

For the commands that also take words (``similar``, ``analogy``...), the first
argument is MODEL when the words would otherwise be too many, or when it
names one: an existing file, a projector folder, or a name ending like a
vector file (``.w2v``, ``.vec``, ``.bin``...). A word that happens to be such
a name is still read as a word with ``-m``.
"""

from pathlib import Path

import click

DEFAULT_MODEL = "model.w2v"
MODEL_HELP = "Model file, word2vec .vec/.bin file, or projector folder."
#: Endings of the files w2v writes or reads vectors from; no word ends so.
MODEL_SUFFIXES = (".w2v", ".vec", ".bin", ".txt", ".tsv", ".gz", ".bz2", ".xz")


class HiddenArgument(click.Argument):
    """A positional argument kept out of the usage line (click's arguments
    have no ``hidden=``); the command's help says it is accepted."""

    def get_usage_pieces(self, ctx):
        return []


def model_option(default=DEFAULT_MODEL, help=MODEL_HELP, dir_okay=True):
    """``-m/--model``, as ``model_path`` (None when not given, so that a
    model given as an argument can be told apart from the default)."""
    return click.option("-m", "--model", "model_path", metavar="MODEL",
                        type=click.Path(dir_okay=dir_okay), help=f"{help}  [default: {default}]")


def model_argument_or_option(default=DEFAULT_MODEL, help=MODEL_HELP):
    """For commands whose only positional is MODEL: ``-m MODEL`` or ``MODEL``,
    both passed on as ``model_path`` (see `chosen_model`)."""
    def decorate(command):
        command = model_option(default, help)(command)
        return click.argument("model_argument", required=False, cls=HiddenArgument,
                              type=click.Path())(command)
    return decorate


def chosen_model(model_argument, model_path, default=DEFAULT_MODEL) -> str:
    """The model of `model_argument_or_option`: given once, either way."""
    if model_argument is not None and model_path is not None and model_argument != model_path:
        raise click.UsageError(f"two models given, {model_argument} and -m {model_path}: "
                               "give one, with -m MODEL")
    return model_path or model_argument or default


def split_model(arguments, model_path, *, least: int, most: int | None = None,
                default=DEFAULT_MODEL) -> tuple[str, list[str]]:
    """(MODEL, words) from a word command's positional ``arguments``.

    ``least`` and ``most`` bound how many words the command takes. Without
    ``-m``, the first argument is MODEL when more than ``most`` were given,
    or when it names a model and at least ``least`` words follow it.
    """
    arguments = list(arguments)
    if model_path is None and arguments and len(arguments) > least and (
            (most is not None and len(arguments) > most) or names_model(arguments[0])):
        model_path, arguments = arguments[0], arguments[1:]
    return model_path or default, arguments


def names_model(text: str) -> bool:
    """Whether ``text`` is a model's name rather than a word."""
    path = Path(text)
    if path.suffix.lower() in MODEL_SUFFIXES:
        return True
    try:
        return path.is_file() or (path / "vectors.tsv").is_file()
    except (OSError, ValueError):  # a name too long, or with a NUL: a word, then
        return False
