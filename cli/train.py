"""``w2v train``: train vectors on a corpus and save the model."""

import sys
from pathlib import Path

import click

import w2v
from w2v.corpus import MAX_TOKEN_CHARS
from w2v.phrases import Phrases
from w2v.progress import format_count, format_duration
from w2v.vocabfile import save_vocab

from .options import check_writable, training_options, vocabulary_file_options
from .run import train_and_save
from .spark_options import pop_spark_options, spark_options, train_on_spark
from .types import FiniteFloat


@click.command()
@click.argument("corpus", type=click.Path())
@click.option("-o", "--output", default="model.w2v", show_default=True,
              type=click.Path(dir_okay=False), help="Where to save the model.")
@click.option("--sg/--cbow", default=True, show_default=True, help="Skip-gram or CBOW.")
@click.option("--window", default=5, show_default=True, type=click.IntRange(min=1),
              help="Largest distance between a word and its context.")
@click.option("--ns-exponent", default=0.75, show_default=True, type=FiniteFloat(),
              help="Noise distribution: word counts to this power.")
@click.option("--max-vocab-size", type=click.IntRange(min=1),
              help="Keep about the N most frequent words, counting in bounded memory "
                   "(at most 2 x max(N, 1024) distinct words held).")
@click.option("--lowercase/--no-lowercase", default=True, show_default=True,
              help="Lower-case the text.")
@training_options(unit="word", data="corpus", min_count=5, sample=1e-3,
                  epochs=5, alpha="0.025 skip-gram, 0.05 CBOW", hs=True)
@click.option("--minibatch", is_flag=True,
              help="Train with the minibatched kernels (a window's updates as small matrix "
                   "products, HogBatch): skip-gram at the per-pair kernel's quality, CBOW about "
                   "1 analogy point lower at 5 epochs (benchmarks/results/minibatch.md). Not "
                   "with --hs or --spark.")
@click.option("--checkpoint", is_flag=True,
              help="Save the model to OUTPUT after every epoch, so that an interrupted run "
                   "can be finished with --resume OUTPUT.")
@click.option("--resume", type=click.Path(dir_okay=False), metavar="MODEL",
              help="Finish MODEL's interrupted run, or (if it finished) train it --epochs more "
                   "on CORPUS, keeping its vocabulary and settings.")
@click.option("--update-vocab", is_flag=True,
              help="With --resume MODEL whose run finished: first add the words of CORPUS "
                   "that MODEL lacks and CORPUS holds MODEL's --min-count times (counted on "
                   "CORPUS alone), with new vectors after the old rows. MODEL's words keep "
                   "their vectors and rows and are never removed; their counts add CORPUS's; "
                   "MODEL's --max-vocab-size, if any, caps the words added.")
@vocabulary_file_options(unit="word", data="corpus")
@click.option("--phrases", "phrases_path", type=click.Path(dir_okay=False), metavar="PHRASE_MODEL",
              help="Join the phrases of PHRASE_MODEL (saved by w2v phrases --save-model) in "
                   "CORPUS as it is read, so that new_york gets a vector.")
@spark_options
@click.pass_context
def train(ctx, corpus, output, checkpoint, resume, update_vocab, quiet, epochs, phrases_path,
          save_vocab, read_vocab, **settings):
    """Train word vectors on CORPUS (a text file, .gz/.bz2/.xz, a folder of them,
    or - for standard input; one sentence per line) and save them to a model file."""
    spark = pop_spark_options(ctx, settings)
    _check_output_layer(settings, spark)
    if spark is not None and phrases_path is not None:
        raise click.UsageError("--phrases cannot be used with --spark: join the phrases first "
                               "(w2v phrases CORPUS -o PHRASED) and train on PHRASED")
    _check_update_vocab(update_vocab, resume, spark)
    vocabulary = _vocabulary_files(corpus, output, save_vocab, read_vocab, resume, spark,
                                   update=update_vocab)
    check_writable(output, reads=corpus)
    if phrases_path is not None:
        check_writable(output, reads=phrases_path)
    phrase_model = None if phrases_path is None else Phrases.load(phrases_path)
    if spark is not None:
        model = (_resumed_model(ctx, resume, 1) if resume else
                 w2v.Word2Vec(epochs=epochs, **{k: v for k, v in settings.items() if v is not None}))
        if model.hs:  # a resumed model's own setting
            raise click.UsageError(f"{resume} was trained with hierarchical softmax, which "
                                   "--spark does not train: resume it without --spark")
        train_on_spark(ctx, spark, corpus, model, output, checkpoint=checkpoint, quiet=quiet,
                       epochs=epochs if resume and not model.unfinished else None,
                       resume_command=f"w2v train {corpus} --spark {spark.master} --resume "
                                      f"{output} -o {output}")
        if not quiet:
            _summary(model, output)
        return
    log = None if quiet else sys.stderr
    if resume:
        model = _resumed_model(ctx, resume, settings["workers"])
        words_before = len(model.vocab_)
        if update_vocab and model.unfinished:
            raise click.UsageError(
                f"--update-vocab goes on from a finished run, but {resume} has "
                f"{model.run_['completed']} of its {model.run_['epochs']} epochs done: finish "
                f"it first with --resume {resume} alone")
        corpus, source = _phrased(phrase_model, corpus, model, phrases_path)
        if model.unfinished:
            def run(on_epoch_end):
                vocabulary(model, corpus)
                model.resume(corpus, progress=log, on_epoch_end=on_epoch_end)
        else:
            def run(on_epoch_end):
                vocabulary(model, corpus)
                model.train(corpus, epochs=epochs, progress=log, on_epoch_end=on_epoch_end)
    else:
        model = w2v.Word2Vec(epochs=epochs, **{k: v for k, v in settings.items() if v is not None})
        corpus, source = _phrased(phrase_model, corpus, model, phrases_path)

        def run(on_epoch_end):
            vocabulary(model, corpus)
            model.train(corpus, progress=log, on_epoch_end=on_epoch_end)
    again = "" if phrases_path is None else f" --phrases {phrases_path}"
    try:
        train_and_save(ctx, model, run, output, checkpoint=checkpoint,
                       resume_command=f"w2v train {source}{again} --resume {output} -o {output}")
    finally:
        if phrase_model is not None:
            corpus.close()  # a pipe's temporary copy
    if not quiet:
        _summary(model, output)
        if update_vocab:
            _update_summary(model, words_before, source)


def _check_update_vocab(update_vocab, resume, spark):
    if not update_vocab:
        return
    if not resume:
        raise click.UsageError("--update-vocab needs --resume MODEL: the model whose vocabulary "
                               "grows (a new model counts CORPUS anyway)")
    if spark is not None:
        raise click.UsageError("--update-vocab cannot be used with --spark yet: update the "
                               "vocabulary on one machine")


def _update_summary(model, words_before, source):
    added = len(model.vocab_) - words_before
    if added:
        click.echo(f"vocabulary update: {added:,} new words from {source} "
                   f"(rows {words_before:,} on); {len(model.vocab_):,} words in all", err=True)
    else:
        full = " (or max_vocab_size is reached)" if model.max_vocab_size else ""
        click.echo(f"note: {source} has no word new to the model seen min_count="
                   f"{model.min_count} times{full}: the vocabulary is unchanged (its counts "
                   f"now include {source}'s)", err=True)


def _check_output_layer(settings, spark):
    """--negative 0 means hierarchical softmax alone; Spark trains negative sampling only."""
    if settings["negative"] == 0 and not settings["hs"]:
        raise click.UsageError("--negative 0 trains nothing without --hs: add --hs for "
                               "hierarchical softmax alone, or give --negative 1 or more")
    if settings["hs"] and spark is not None:
        raise click.UsageError("--hs cannot be used with --spark, which trains negative "
                               "sampling only")
    if settings["hs"] and settings["minibatch"]:
        raise click.UsageError("--hs cannot be used with --minibatch: the minibatched kernels "
                               "train negative sampling only")
    if settings["minibatch"] and spark is not None:
        raise click.UsageError("--minibatch cannot be used with --spark, which trains with "
                               "the per-pair kernels")


def _vocabulary_files(corpus, output, save, read, resume, spark, update=False):
    """Check --save-vocab and --read-vocab before any work; return what gives
    the model its vocabulary before training: read from a file, or counted
    and saved, or (neither given) left to training; with ``update``, the
    resumed model's vocabulary grown by CORPUS (and saved, with --save-vocab)."""
    given = "--save-vocab" if read is None else "--read-vocab"
    if spark is not None and (save or read):
        raise click.UsageError(f"{given} cannot be used with --spark, which counts on the "
                               "cluster")
    if read is not None and update:
        raise click.UsageError("--read-vocab cannot be used with --update-vocab, which counts "
                               "CORPUS to find its new words")
    if read is not None and resume:
        raise click.UsageError("--read-vocab cannot be used with --resume: the model keeps its "
                               "vocabulary")
    if read == "-" and corpus == "-":
        raise click.UsageError("--read-vocab - and CORPUS - cannot both be standard input")
    if save is not None:
        check_writable(save, reads=corpus)
        if Path(save).resolve() == Path(output).resolve():
            raise click.UsageError(f"--save-vocab {save} and -o {output} are the same file")

    def vocabulary(model, corpus):
        if read is not None:
            model.build_vocab_from(read)
        elif update:  # train() then reads the corpus with the same reader
            model.build_vocab(corpus, update=True)
        elif save is not None and model.vocab_ is None:
            model.build_vocab(corpus)  # train() then reads the corpus with the same reader
        if save is not None:
            save_vocab(model.vocab_, save)
    return vocabulary


def _phrased(phrase_model, corpus, model, phrases_path):
    """CORPUS read with the phrases joined (as the model tokenizes), and its name."""
    if phrase_model is None:
        return corpus, corpus
    if isinstance(model, w2v.Item2Vec):
        raise click.UsageError("--phrases joins words of text: an item model reads baskets")
    if phrase_model.lowercase != model.lowercase:
        click.echo(f"warning: the phrases of {phrases_path} were learned on "
                   f"{'lower-cased' if phrase_model.lowercase else 'case-kept'} text and this "
                   f"model {'lower-cases' if model.lowercase else 'keeps case'}: few may match",
                   err=True)
    return phrase_model.phrased(corpus, lowercase=model.lowercase,
                                max_sentence_length=model.max_sentence_length), corpus


def _resumed_model(ctx, path, workers):
    """The model to go on training, refusing options it would ignore."""
    _refuse_settings_with_resume(ctx)
    model = w2v.load(path)
    if not isinstance(model, w2v.Word2Vec):
        raise click.ClickException(
            f"{path} holds vectors only; --resume needs a w2v model file (it keeps "
            "the output vectors and counts that training goes on from)")
    if model.unfinished and _given(ctx, "epochs"):
        run = model.run_
        raise click.UsageError(
            f"--epochs cannot be changed when finishing an interrupted run: {path} has "
            f"{run['completed']} of its {run['epochs']} epochs done, and resuming trains the rest")
    model.workers = workers
    if isinstance(model, w2v.Item2Vec):
        # Its file says it is an item model: reading CORPUS as text would make words of ids.
        click.echo(f"note: {path} is an item model: the input is read as baskets or an "
                   "interactions table, as w2v item2vec reads it", err=True)
    return model


def _given(ctx, name) -> bool:
    return ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE


def _refuse_settings_with_resume(ctx):
    """A resumed model keeps its own settings: say so rather than ignore options."""
    given = [name for name in ("sg", "dim", "window", "negative", "hs", "minibatch", "min_count",
                               "sample", "alpha",
                               "min_alpha", "ns_exponent", "max_vocab_size", "lowercase", "seed")
             if _given(ctx, name)]
    if given:
        options = ", ".join("--" + name.replace("_", "-") for name in given)
        raise click.UsageError(f"{options} cannot be changed when resuming: the model keeps its settings")


def _summary(model, output):
    seconds = model.training_seconds_
    speed = model.words_trained_ / seconds if seconds else 0
    stats = model.read_stats_
    click.echo(f"{len(model.vocab_):,} words x {model.dim} dims, "
               f"{model.words_trained_:,} words trained in {format_duration(seconds)} "
               f"({format_count(speed)} words/s); saved {output}", err=True)
    if stats is None or not hasattr(stats, "replaced_chars"):  # none, or an item model's
        return
    if stats.replaced_chars:
        click.echo(f"warning: {stats.replaced_chars:,} invalid UTF-8 sequences were replaced", err=True)
    if stats.long_tokens_dropped:
        click.echo(f"warning: {stats.long_tokens_dropped:,} tokens longer than {MAX_TOKEN_CHARS:,} "
                   "characters were left out", err=True)
    if stats.special_files_skipped:
        click.echo(f"warning: {stats.special_files_skipped:,} entries of the corpus folder are not "
                   "regular files (FIFOs, sockets, devices) and were skipped", err=True)
    if getattr(stats, "broken_links_skipped", 0):
        click.echo(f"warning: {stats.broken_links_skipped:,} links in the corpus folder lead "
                   "nowhere and were skipped", err=True)
    if getattr(stats, "repeats_skipped", 0):
        click.echo(f"note: {stats.repeats_skipped:,} entries of the corpus folder lead to a folder "
                   "or file already read (a link to . or .., a second link) and were skipped", err=True)
    if stats.long_lines_split:
        click.echo(f"note: {stats.long_lines_split:,} long lines were cut into sentences of at most "
                   f"{model.max_sentence_length:,} tokens, between tokens", err=True)
