"""The ``w2v`` command group and how user mistakes are shown: one line, no traceback."""

import click

from w2v import W2VError

from .analogy import analogy
from .evaluate import evaluate
from .export import export
from .item2vec import item2vec, recommend
from .plot import plot, plot_analogy, plot_loss
from .similar import neighbours, similar
from .train import train


class FriendlyGroup(click.Group):
    """Turn the library's user-facing errors into click's one-line errors."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (W2VError, FileNotFoundError, IsADirectoryError, PermissionError) as error:
            raise click.ClickException(str(error)) from None


@click.group(cls=FriendlyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="w2v", prog_name="w2v")
def main():
    """w2v: train word vectors (skip-gram or CBOW with negative sampling) and query them."""


main.add_command(train)
main.add_command(similar)
main.add_command(neighbours)
main.add_command(analogy)
main.add_command(evaluate)
main.add_command(export)
main.add_command(plot)
main.add_command(plot_analogy)
main.add_command(plot_loss)
main.add_command(item2vec)
main.add_command(recommend)
