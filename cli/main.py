"""The ``w2v`` command group and how failures are shown: one ``Error:`` line, no traceback."""

import errno
import os
import sys
import warnings

import click

from w2v import W2VError

from .analogy import analogy
from .evaluate import evaluate
from .index import index
from .evaluate_recs import evaluate_recs
from .export import export
from .item2vec import item2vec
from .phrases import phrases
from .plot import plot, plot_analogy, plot_loss
from .recommend import recommend
from .run import exit_status, restore_handlers, stop_on_termination, stopped_word
from .similar import neighbours, similar
from .train import train

#: Set to see the traceback of an unexpected error (a bug in w2v).
DEBUG_VARIABLE = "W2V_DEBUG"
#: Commands whose job is what they print, not a file they write.
PRINTS_RESULTS = {"similar", "neighbours", "analogy", "evaluate", "recommend", "evaluate-recs"}


class FriendlyGroup(click.Group):
    """Turn every failure into one line and a non-zero exit status.

    A ``W2VError`` is a mistake in the input or the options, and its message
    says what to change. Other exceptions are shown as one line too, since a
    traceback helps nobody who ran a command: the system's own limits (memory,
    a full disk, a closed pipe) say so, and anything else is a bug in w2v,
    reported as such (``W2V_DEBUG=1`` shows the traceback).
    """

    def invoke(self, ctx):
        if sys.stdout is None and ctx.protected_args[:1] and ctx.protected_args[0] in PRINTS_RESULTS:
            # With standard output closed (w2v similar king >&-) the answer would vanish.
            raise click.ClickException("standard output is closed: nowhere to print the results")
        handlers, show_warning = stop_on_termination(), warnings.showwarning
        warnings.showwarning = _one_line_warning
        try:
            return self._invoke_friendly(ctx)
        finally:
            restore_handlers(handlers)
            warnings.showwarning = show_warning

    def _invoke_friendly(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except W2VError as error:
            raise click.ClickException(str(error)) from None
        except KeyboardInterrupt as stop:
            click.echo(f"\n{stopped_word(stop)}", err=True)
            ctx.exit(exit_status(stop))
        except BrokenPipeError:
            _quiet_broken_pipe()
        except MemoryError:
            raise click.ClickException("out of memory: use smaller settings or input") from None
        except OSError as error:
            if os.environ.get(DEBUG_VARIABLE):
                raise
            raise click.ClickException(_describe_os_error(error)) from None
        except Exception as error:
            if os.environ.get(DEBUG_VARIABLE):
                raise
            raise click.ClickException(
                f"internal error ({type(error).__name__}: {error}); this is a bug in w2v, please "
                f"report it with the command you ran ({DEBUG_VARIABLE}=1 shows the traceback)") from None


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings from the libraries w2v uses (numpy, scipy, matplotlib), as one
    line for the user instead of a file name, a line number and source code."""
    click.echo(f"warning: {message}", err=True)


def _describe_os_error(error: OSError) -> str:
    """'cannot write out.txt: No space left on device', from any OSError."""
    reason = error.strerror or str(error) or errno.errorcode.get(error.errno, "unknown error")
    return f"{error.filename}: {reason}" if error.filename else reason


def _quiet_broken_pipe():
    """The reader of our output went away (``w2v similar king | head -1``):
    stop quietly, as command-line tools do, without a second error when
    Python flushes stdout on exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(141)  # 128 + SIGPIPE, what a shell reports for such a tool


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
main.add_command(index)
main.add_command(evaluate_recs)
main.add_command(phrases)
