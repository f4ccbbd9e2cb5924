"""Aligned plain-text tables for the terminal."""

import click


def print_table(header, rows, title=None):
    """Print ``rows`` under ``header``, each column as wide as its widest cell;
    columns after the first are right-aligned (they hold numbers)."""
    cells = [list(map(str, header))] + [list(map(str, row)) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row):
        first = row[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        return "  ".join([first, *rest]).rstrip()

    if title:
        click.echo(title)
    click.echo(line(cells[0]))
    click.echo("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        click.echo(line(row))
