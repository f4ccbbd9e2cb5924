"""``w2v evaluate``: the standard analogy and word-similarity tests."""

from pathlib import Path

import click

import w2v
from w2v.evaluate import ANALOGY_METHODS, GOOGLE_ANALOGIES, WORDSIM353

from .model_option import chosen_model, model_argument_or_option
from .table import print_table


def percent(section) -> str:
    return f"{100 * section.accuracy:.2f}%" if section.asked else "-"


@click.command()
@model_argument_or_option()
@click.option("--analogies", type=click.Path(exists=True, dir_okay=False),
              help="Analogy questions in the Google format  [default: the bundled Google set]")
@click.option("--similarity", "pair_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Word pairs with human scores, e.g. SimLex-999 (repeatable)  "
                   "[default: the bundled WordSim-353]")
@click.option("--restrict-vocab", default=30_000, show_default=True, type=click.IntRange(min=1),
              help="Analogies use only this many most frequent words, as questions and answers.")
@click.option("--method", type=click.Choice(ANALOGY_METHODS), default="3cosadd", show_default=True,
              help="How analogies are answered: cosine to b - a + c, or Levy and Goldberg's 3CosMul.")
@click.option("--case-sensitive", is_flag=True, help="Compare words as spelled, not lower-cased.")
def evaluate(model_argument, model_path, analogies, pair_files, restrict_vocab, method,
             case_sensitive):
    """Score the vectors of -m MODEL (a model file, word2vec .vec/.bin file or
    projector folder) on analogy questions (accuracy per section, semantic,
    syntactic, overall) and word-pair similarity (Spearman and Pearson
    correlations). MODEL may also be given as the argument: w2v evaluate MODEL."""
    kv = w2v.load_vectors(chosen_model(model_argument, model_path))
    analogies = Path(analogies or GOOGLE_ANALOGIES)
    result = kv.evaluate_word_analogies(analogies, restrict_vocab=restrict_vocab,
                                        case_insensitive=not case_sensitive, method=method)
    rows = [(name, s.correct, s.asked, s.skipped, percent(s)) for name, s in result.sections.items()]
    rows.append(("",) * 5)
    for name, total in (("semantic", result.total(syntactic=False)),
                        ("syntactic", result.total(syntactic=True)), ("overall", result.total())):
        rows.append((name, total.correct, total.asked, total.skipped, percent(total)))
    print_table(["section", "correct", "asked", "skipped", "accuracy"], rows,
                title=f"Analogies: {analogies.name} ({method}, {restrict_vocab:,} most frequent words)")
    if result.skipped:
        click.echo(f"{result.skipped:,} questions skipped: a word is unknown or not among the "
                   f"{restrict_vocab:,} most frequent")
    click.echo()
    rows = []
    for path in pair_files or [WORDSIM353]:
        scores = kv.evaluate_word_pairs(path, case_insensitive=not case_sensitive)
        rows.append((Path(path).name, f"{scores.spearman:.4f}", f"{scores.pearson:.4f}",
                     scores.pairs, scores.oov_pairs))
    print_table(["word pairs", "spearman", "pearson", "pairs", "oov"], rows, title="Similarity")
