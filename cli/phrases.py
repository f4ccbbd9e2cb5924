"""``w2v phrases``: learn word2vec-style phrases ("new_york") and write the corpus joined."""

import sys
import time
from pathlib import Path

import click

from w2v.atomic import atomic_write
from w2v.corpus import Corpus
from w2v.phrases import (DEFAULT_MAX_VOCAB_SIZE, DEFAULT_THRESHOLD, MAX_PASSES,
                         MIN_MAX_VOCAB_SIZE, SCORINGS, Phrases, progress_line)
from w2v.progress import Progress, format_duration

from .options import check_writable
from .types import FiniteFloat

#: Phrases shown at the end.
TOP = 20


class _Thresholds(click.ParamType):
    """One finite number, or one per pass separated by commas (``200,100``)."""

    name = "float[,float...]"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        return [FiniteFloat().convert(part.strip(), param, ctx) for part in str(value).split(",")]


@click.command()
@click.argument("corpus", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write the corpus with phrases joined, one sentence a line "
                   "(- for standard output).")
@click.option("--threshold", type=_Thresholds(),
              help="Join pairs scoring above it; one value, or one per pass (200,100)  "
                   f"[default: {DEFAULT_THRESHOLD['word2phrase']:g} word2phrase, "
                   f"{DEFAULT_THRESHOLD['npmi']:g} npmi]")
@click.option("--min-count", default=5, show_default=True, type=click.IntRange(min=1),
              help="Never join words seen fewer times (npmi: nor pairs).")
@click.option("--passes", default=1, show_default=True, type=click.IntRange(1, MAX_PASSES),
              help="Learning passes; each learns on the text the passes before joined, so 2 "
                   "passes find new_york_city.")
@click.option("--scoring", default="word2phrase", show_default=True, type=click.Choice(SCORINGS),
              help="word2phrase: (count(a b) - delta) / (count(a) count(b)) x tokens; "
                   "npmi: normalised pointwise mutual information, in [-1, 1].")
@click.option("--delta", type=FiniteFloat(min=0),
              help="word2phrase's discount of the pair count  [default: --min-count]")
@click.option("--max-vocab-size", default=DEFAULT_MAX_VOCAB_SIZE, show_default=True,
              type=click.IntRange(min=MIN_MAX_VOCAB_SIZE, max=2**31),
              help="Most words + pairs held while counting; beyond, the rarest are pruned "
                   "as word2vec C does (a pair takes 16-32 bytes, a word about 100).")
@click.option("--save-model", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also save the phrases (JSON), for w2v train --phrases FILE.")
@click.option("--lowercase/--no-lowercase", default=True, show_default=True,
              help="Lower-case the text.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def phrases(corpus, output, threshold, min_count, passes, scoring, delta, max_vocab_size,
            save_model, lowercase, quiet):
    """Learn phrases of CORPUS (a text file, .gz/.bz2/.xz, a folder of them, or - for
    standard input), pairs of words seen together far more often than chance, and
    write CORPUS with each phrase joined into one token (new york -> new_york), as
    word2vec's word2phrase does. Text is tokenized as w2v train does: the output is
    the tokens, space-separated, one sentence a line."""
    if output == "-":
        if sys.stdout is None:
            raise click.ClickException("standard output is closed: nowhere to write the corpus")
    else:
        check_writable(output, reads=corpus)
    if save_model == "-":
        raise click.UsageError("--save-model needs a file name (standard output carries the "
                               "text, with -o -)")
    if save_model is not None:
        check_writable(save_model, reads=corpus)
        if output != "-" and Path(save_model).resolve() == Path(output).resolve():
            raise click.UsageError("--save-model and -o are the same file: choose two")
    log = None if quiet else sys.stderr
    model = Phrases(min_count=min_count, threshold=threshold, scoring=scoring, delta=delta,
                    passes=passes, max_vocab_size=max_vocab_size, lowercase=lowercase)
    model._validate()  # before reading anything: a wrong threshold fails at once
    with Corpus(corpus, lowercase=lowercase) as source:
        model.learn(source, progress=log)
        if save_model is not None:
            model.save(save_model)
        sentences, tokens = _write(model, source, output, log)
    if log is not None:
        _summary(model, source.stats, sentences, tokens, output, save_model)


def _write(model, source, output, log):
    """Write ``source`` joined; progress against the tokens the first pass read."""
    total = source.stats.tokens
    report = Progress(1, stream=log)
    started, last = time.perf_counter(), -float("inf")
    sentences = tokens = raw = 0
    if output == "-":
        sink = _nullcontext(sys.stdout.buffer)
    else:
        sink = atomic_write(output, "wb")
    with sink as out:
        block, held = [], 0
        for raw_sentence in source:
            raw += len(raw_sentence)
            sentence = model.apply(raw_sentence)
            block.append(" ".join(sentence))
            held += len(block[-1])
            sentences += 1
            tokens += len(sentence)
            if held > 1 << 20:
                out.write(("\n".join(block) + "\n").encode("utf-8"))
                block, held = [], 0
                now = time.perf_counter()
                if log is not None and now - last >= report.every:
                    last = now
                    report._write(progress_line("writing", raw, total, now - started))
        if block:
            out.write(("\n".join(block) + "\n").encode("utf-8"))
        out.flush()
        if log is not None:
            report.message(f"wrote {sentences:,} sentences, {tokens:,} tokens "
                           f"({raw - tokens:,} fewer: joined) in "
                           f"{format_duration(time.perf_counter() - started)}")
    return sentences, tokens


class _nullcontext:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self.value

    def __exit__(self, *exception):
        return False


def _summary(model, stats, sentences, tokens, output, save_model):
    found = len(model)
    click.echo(f"{found:,} phrase{'' if found == 1 else 's'} in {model.passes} pass{'es' if model.passes > 1 else ''}"
               + (f"; saved {save_model}" if save_model else "")
               + ("" if output == "-" else f"; corpus written to {output}"), err=True)
    pruned = [number for number, pass_stats in enumerate(model.stats_, start=1)
              if pass_stats.prunings]
    if pruned:
        last = model.stats_[pruned[-1] - 1]
        click.echo(f"note: the counts were pruned to stay within --max-vocab-size "
                   f"{model.max_vocab_size:,} (pass {', '.join(map(str, pruned))}; last cut-off "
                   f"{last.min_reduce - 1}): rare pairs may be missed", err=True)
    if stats is not None and stats.replaced_chars:
        click.echo(f"warning: {stats.replaced_chars:,} invalid UTF-8 sequences were replaced", err=True)
    if stats is not None and stats.long_tokens_dropped:
        click.echo(f"warning: {stats.long_tokens_dropped:,} over-long tokens were left out", err=True)
    if not found:
        click.echo("no pair scored above the threshold: lower --threshold or --min-count", err=True)
        return
    top = model.top(TOP)
    click.echo(f"the {len(top)} phrase{'' if len(top) == 1 else 's'} seen most:", err=True)
    width = max(len(phrase) for phrase, *_ in top)
    click.echo(f"  {'phrase':<{width}}  {'count':>9}  {'score':>10}  pass", err=True)
    for phrase, score, count, number in top:
        click.echo(f"  {phrase:<{width}}  {count:>9,}  {score:>10.4g}  {number:>4}", err=True)
