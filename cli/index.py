"""``w2v index``: build a model's approximate nearest-neighbour index and save it beside it."""

import time

import click

from w2v.ann import INDEX_THRESHOLD, VectorIndex, index_paths, save_index_beside
from w2v.atomic import check_target
from w2v.formats import detect_format, load_vectors
from w2v.model import Word2Vec
from w2v.progress import format_duration


@click.command("index")
@click.argument("model_path", metavar="MODEL", type=click.Path(dir_okay=True))
@click.option("--metric", type=click.Choice(["auto", "cosine", "ip"]), default="auto",
              show_default=True,
              help="cosine: the index of similar/neighbours (word vectors); ip: the index of "
                   "recommend (an item model's output vectors); auto: cosine, and ip too for "
                   "an item model.")
@click.option("--threads", default=0, show_default="all cores", type=click.IntRange(min=0),
              help="Build threads (1 builds the same graph every run).")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def index(model_path, metric, threads, quiet):
    """Build the approximate nearest-neighbour index of MODEL and save it beside
    it (MODEL.cosine.ann with its .json; MODEL.ip.ann for an item model).

    Queries on vocabularies of 200,000 words or more then use it. It holds only
    ids and counts; loading checks it against the model, so an index left from
    before the model was retrained is refused, not used. Needs usearch
    (pip install 'w2v[ann]').
    """
    matrices = _matrices(model_path, metric)
    for name, _ in matrices:  # fail now rather than after minutes of building
        for path in index_paths(model_path, name):
            check_target(path)
    for name, vectors in matrices:
        started = time.perf_counter()
        built = _build(vectors, name, threads, quiet)
        saved = save_index_beside(model_path, built)
        size = saved.stat().st_size / 2**20
        click.echo(f"saved {saved} ({name}, {built.rows:,} rows x {built.dim}, {size:,.1f} MB, "
                   f"built in {format_duration(time.perf_counter() - started)})")
    if len(matrices[0][1]) < INDEX_THRESHOLD:
        click.echo(f"note: queries use the index by default from {INDEX_THRESHOLD:,} rows; this "
                   f"model has {len(matrices[0][1]):,}, so they stay exact unless asked "
                   "(exact=False)")


def _matrices(model_path, metric):
    """(metric, vectors) for each index to build. A model is loaded without
    any index beside it, so a stale one cannot stop its own rebuild."""
    if detect_format(model_path) == "w2v-model":
        model = Word2Vec.load(model_path)
        words, outputs = model.wv.vectors, model.W_out_
        is_item_model = model.KIND == "item2vec"
    else:  # word2vec text/binary or projector vectors: no output vectors
        words, outputs, is_item_model = (load_vectors(model_path, index=False).vectors,
                                            None, False)
    if metric == "ip" and not is_item_model:
        raise click.UsageError(f"--metric ip indexes an item model's output vectors for "
                               f"recommend; {model_path} is not an item model")
    chosen = []
    if metric in ("auto", "cosine"):
        chosen.append(("cosine", words))
    if metric == "ip" or (metric == "auto" and is_item_model):
        chosen.append(("ip", outputs))
    return chosen


def _build(vectors, metric, threads, quiet) -> VectorIndex:
    if quiet:
        return VectorIndex.build(vectors, metric, threads=threads)
    with click.progressbar(length=len(vectors), label=f"indexing ({metric})", show_eta=True,
                           file=click.get_text_stream("stderr")) as bar:
        done = [0]

        def progress(rows_done, _total):
            bar.update(rows_done - done[0])
            done[0] = rows_done

        return VectorIndex.build(vectors, metric, threads=threads, progress=progress)
