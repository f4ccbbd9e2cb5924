"""The training options that ``w2v train`` and ``w2v item2vec`` share.

Each command gives its own defaults (items want more epochs, no subsampling,
every item kept); the names, types, ranges and help are declared once here.
"""

import os
from pathlib import Path

import click

from w2v.atomic import check_target
from w2v.machine import available_cpus

from .types import FiniteFloat


def training_options(*, unit: str, data: str, min_count: int, sample: float, epochs: int,
                     alpha: str, dim: int = 100, hs: bool = False):
    """Decorate a command with the shared options; ``unit`` ("word", "item")
    and ``data`` ("corpus", "sessions") word the help, the rest are defaults
    (``alpha`` only as shown: the library picks it). ``hs``: the command has
    --hs (hierarchical softmax), and --negative may then be 0."""
    negative_help = f"Noise {unit}s per positive example."
    if hs:
        negative_help += " 0: none, hierarchical softmax alone (needs --hs)."
    options = [
        click.option("--dim", default=dim, show_default=True, type=click.IntRange(min=1),
                     help="Dimension of the vectors."),
        click.option("--negative", default=5, show_default=True,
                     type=click.IntRange(min=0 if hs else 1), help=negative_help),
        *([click.option("--hs", is_flag=True,
                        help="Hierarchical softmax over a Huffman tree of the word counts, "
                             "summed with negative sampling (or alone with --negative 0), as "
                             "word2vec C's -hs 1.")] if hs else []),
        click.option("--min-count", default=min_count, show_default=True,
                     type=click.IntRange(min=1), help=f"Leave out {unit}s seen fewer times."),
        click.option("--sample", default=sample, show_default=True, type=FiniteFloat(min=0),
                     help=f"Subsampling threshold for frequent {unit}s (0: off)."),
        click.option("--epochs", default=epochs, show_default=True, type=click.IntRange(min=1),
                     help=f"Passes over the {data}."),
        click.option("--alpha", type=FiniteFloat(min=0, min_open=True),
                     help=f"Initial learning rate  [default: {alpha}]"),
        click.option("--min-alpha", type=FiniteFloat(min=0),
                     help="Final learning rate  [default: alpha * 1e-4; CBOW alpha / (2 * epochs)]"),
        click.option("--workers", default=available_cpus(),
                     show_default="the CPUs this process may use",
                     type=click.IntRange(min=1),
                     help="Training threads (1 for bit-identical reruns)."),
        click.option("--seed", default=1, show_default=True, type=click.IntRange(min=0),
                     help="Random seed."),
        click.option("-q", "--quiet", is_flag=True, help="No progress output."),
    ]

    def decorate(command):
        for option in reversed(options):  # listed in --help in the order above
            command = option(command)
        return command

    return decorate


def vocabulary_file_options(*, unit: str, data: str, max_vocab_size: bool = True):
    """Decorate a command with word2vec C's -save-vocab and -read-vocab, as
    ``--save-vocab FILE`` and ``--read-vocab FILE`` (``unit`` and ``data``
    word the help as in `training_options`; ``max_vocab_size``: whether the
    command has that option)."""
    caps = "--min-count and --max-vocab-size apply" if max_vocab_size else "--min-count applies"
    options = [
        click.option("--save-vocab", type=click.Path(dir_okay=False), metavar="FILE",
                     help=f"Save the vocabulary to FILE once it is counted, before training: "
                          f"one '{unit} count' a line, most frequent first, as word2vec C's "
                          "-save-vocab writes it."),
        click.option("--read-vocab", type=click.Path(dir_okay=False), metavar="FILE",
                     help=f"Take the vocabulary from FILE (word2vec C's format, as --save-vocab "
                          f"writes it) instead of counting the {data}; {caps} to its "
                          "counts. With no counting pass, the "
                          "learning rate is scheduled over the total of the counts kept: they "
                          f"must be counted on this {data}."),
    ]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def check_writable(output, reads=None):
    """Fail before hours of training rather than at the save: the folder must
    exist and be writable, an existing target must be a regular file, and it
    must not be the input ``reads`` (a file, or a folder it would land in)."""
    check_target(output)
    if reads is None:
        return
    target = Path(output).resolve()
    if reads == "-":  # standard input may be the very file: w2v train - -o f < f
        same = target.exists() and _same_inode(os.stat(target), _stdin_stat())
    else:
        source = Path(reads).resolve()
        same = target == source or source in target.parents or (
            target.exists() and source.exists() and target.samefile(source))
    if same:
        raise click.UsageError(f"-o {output} would overwrite or land in the input {reads}: "
                               "choose another output")


def _stdin_stat():
    try:
        return os.fstat(0)
    except OSError:
        return None


def _same_inode(a, b) -> bool:
    return b is not None and (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
