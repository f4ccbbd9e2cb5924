"""``w2v recommend``: items for someone who has some, from an item model."""

import click

from w2v.item2vec import Item2Vec
from w2v.sessions import read_item_titles

from .table import print_table


@click.command()
@click.argument("items", nargs=-1, required=True)
@click.option("-m", "--model", "model_path", default="items.w2v", show_default=True,
              type=click.Path(dir_okay=False), help="Item model to query.")
@click.option("-n", "--topn", default=10, show_default=True, type=click.IntRange(min=1),
              help="How many items to recommend.")
@click.option("--exclude", multiple=True, metavar="ITEM",
              help="Never recommend this item (repeatable), e.g. ones already bought.")
@click.option("--score", default="context", show_default=True,
              type=click.Choice(["context", "cosine"]),
              help="context: items the model expects in the same session as ITEMS; "
                   "cosine: items whose vectors are closest (alike, substitutes).")
@click.option("--items-file", type=click.Path(dir_okay=False),
              help="Item metadata to show titles: id, then title, separated by |, tab or "
                   "comma (e.g. MovieLens u.item).")
def recommend(items, model_path, topn, exclude, score, items_file):
    """Recommend items for people who have ITEMS (the mean of their vectors
    when several); ITEMS themselves are never recommended."""
    model = Item2Vec.load(model_path)
    found = model.recommend(list(items), topn=topn, exclude=exclude, score=score)
    rows = [(item, f"{value:.4f}") for item, value in found]
    if items_file is None:
        print_table(["item", score], rows, title=" + ".join(items))
        return
    titles = read_item_titles(items_file)
    title = " + ".join(f"{titles[i]} ({i})" if i in titles else i for i in items)
    print_table(["title", "item", score],
                [(titles.get(item, "?"), item, value) for item, value in rows], title=title)
