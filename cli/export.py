"""``w2v export``: write vectors in formats other tools read."""

from pathlib import Path

import click

import w2v
from w2v.formats import VECTOR_FORMATS, save_vectors

from .model_option import chosen_model, model_argument_or_option

FORMAT_BY_SUFFIX = {".bin": "word2vec-binary", ".vec": "word2vec-text", ".txt": "word2vec-text"}


@click.command()
@model_argument_or_option()
@click.option("-o", "--output", required=True, type=click.Path(),
              help="File to write; a folder for projector (vectors.tsv and metadata.tsv).")
@click.option("--format", "format_name", type=click.Choice(VECTOR_FORMATS),
              help="Output format  [default: from the output's suffix: .bin binary, .vec/.txt text]")
def export(model_argument, model_path, output, format_name):
    """Write the vectors of -m MODEL (a model file, or any vector file w2v
    reads) as word2vec text or binary, as word2vec C, gensim and fastText read
    them, or as TensorBoard projector files (load both at
    projector.tensorflow.org). MODEL may also be given as the argument:
    w2v export MODEL -o FILE."""
    model_path = chosen_model(model_argument, model_path)
    format_name = format_name or FORMAT_BY_SUFFIX.get(Path(output).suffix.lower())
    if format_name is None:
        raise click.UsageError(f"cannot tell the format from {output!r}: "
                               f"add --format {'|'.join(VECTOR_FORMATS)}")
    if _same_file(model_path, output):
        raise click.UsageError(f"{output} is MODEL itself: exporting over it would replace the "
                               "model; choose another output")
    kv = w2v.load_vectors(model_path)
    save_vectors(kv, output, format_name)
    click.echo(f"{len(kv):,} vectors of dimension {kv.vector_size} written to {output} ({format_name})")


def _same_file(a, b) -> bool:
    try:
        return Path(a).resolve(strict=True).samefile(Path(b).resolve(strict=True))
    except OSError:
        return False  # one of them does not exist (yet)
