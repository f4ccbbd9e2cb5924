"""How to read baskets or an interactions table: the options ``w2v item2vec``,
``w2v evaluate-recs`` and ``w2v recommend --users`` share, and what is said
after reading."""

import click

from w2v.sessions import describe_bad_rows, parse_duration, read_sessions

from .types import FiniteFloat


def duration(ctx, param, value):
    """A click callback: '30m' and the like as seconds."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _delimiter(ctx, param, value):
    value = "\t" if value in ("tab", "\\t") else value
    if value is not None and (len(value) != 1 or value in "\r\n\0\"" or value.isalnum()):
        raise click.BadParameter(f"{value!r} is not one field-separating character (e.g. , ; | "
                                 "or 'tab')")
    return value


def _options(prefix: str) -> dict:
    """Each reading option by its parameter name, its help led by ``prefix``."""
    def lead(text):
        return prefix + text[0].lower() + text[1:] if prefix else text

    return {
        "form": click.option(
            "--format", "form", default="auto", show_default=True,
            type=click.Choice(["auto", "baskets", "interactions"]),
            help=lead("auto: a table when --columns is given or the header names user and "
                      "item columns, else one basket per line.")),
        "columns": click.option(
            "--columns", metavar="ROLES",
            help=lead("Roles of the table's columns in order, from user, item, timestamp, "
                      "rating and - (ignore), e.g. user,item,rating,timestamp for MovieLens "
                      "u.data.")),
        "header": click.option(
            "--header/--no-header", default=True, show_default=True,
            help=lead("The table's first line names its columns.")),
        "delimiter": click.option(
            "--delimiter", callback=_delimiter, metavar="CHAR",
            help=lead("Field separator of the table ('tab' for a tab)  [default: detected]")),
        "min_rating": click.option(
            "--min-rating", type=FiniteFloat(), help=lead("Keep only rows rated at least this.")),
        "session_gap": click.option(
            "--session-gap", callback=duration, metavar="DURATION",
            help=lead("Start a new session after this long without activity (1800, 30m, 2h, "
                      "1d).")),
        "on_bad_rows": click.option(
            "--on-bad-rows", default="skip", show_default=True,
            type=click.Choice(["skip", "error"]),
            help=lead("Rows with missing fields or unreadable timestamps or ratings: skip "
                      "them (with a warning) or stop.")),
    }


#: Every reading option's parameter name, in --help order.
READING_OPTIONS = tuple(_options(""))


def reading_options(names=READING_OPTIONS, prefix: str = ""):
    """Decorate a command with the reading options ``names``."""
    chosen = [option for name, option in _options(prefix).items() if name in names]

    def decorate(command):
        for option in reversed(chosen):
            command = option(command)
        return command

    return decorate


def read_input(path, *, quiet: bool, columns=None, **reading):
    """Read ``path`` with the reading options' values, and report what was left out."""
    data = read_sessions(path, columns=columns.split(",") if columns else None, **reading)
    report_reading(data.stats, quiet)
    return data


def report_reading(stats, quiet: bool) -> None:
    # Skipped rows are reported even with --quiet: data was left out.
    warning = describe_bad_rows(stats)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    if stats.below_min_rating and not quiet:
        click.echo(f"note: {stats.below_min_rating:,} rows rated below --min-rating left out",
                   err=True)
