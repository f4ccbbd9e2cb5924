"""Labels beside their points, where they overlap nothing."""

from __future__ import annotations

import numpy as np

from .figure import QUIET

# the eye reads on), the diagonals beside it, above, below, then the left side.
SIDES = np.array([(1, 0), (1, 1), (1, -1), (0, 1), (0, -1), (-1, 0), (-1, 1), (-1, -1)],
                 dtype=float)


def place_labels(ax, texts, anchors, marker_radius, away_from=None, rings=6, pad=2.0):
    """Put each label beside its point where it overlaps no other label and no point.

    Label by label, in the order given (so the important ones come first), in
    pixels: try the eight places touching the point's marker, right first (or
    away from the point ``away_from``, in data coordinates), then the same
    directions one label-height further out, ring after ring; keep the first
    place that is free and inside the axes. A label set apart from its point
    gets a leader line. When no place is free (a crowded map), the label stays
    touching its point where it overlaps least: leader lines across a crowd
    would be worse than the overlap.
    """
    n = len(texts)
    if n == 0:
        return
    renderer = ax.figure.canvas.get_renderer()
    to_pixels = ax.transData
    points = to_pixels.transform(anchors)
    radius = np.broadcast_to(np.asarray(marker_radius, dtype=float), (n,)) + pad
    extents = [text.get_window_extent(renderer) for text in texts]
    half = np.array([[e.width, e.height] for e in extents]) / 2 + pad
    step = 2 * np.median(half[:, 1])
    frame = ax.get_window_extent(renderer)

    # Obstacles as centres and half-sizes: every point's marker, then each
    # label once placed.
    centres = np.vstack([points, np.zeros((n, 2))])
    halves = np.vstack([np.column_stack([radius, radius]), np.zeros((n, 2))])
    placed = np.zeros(n, dtype=bool)
    directions = SIDES / np.linalg.norm(SIDES, axis=1, keepdims=True)
    further = np.arange(rings + 1)[:, None, None] * step  # (rings + 1, 1, 1)
    for k in range(n):
        order = np.arange(len(SIDES))
        if away_from is not None:
            outward = points[k] - to_pixels.transform(np.atleast_2d(away_from))[0]
            order = np.argsort(-(directions @ outward), kind="stable")
        # Boxes touching the marker's box on each side, then ring after ring
        # further out: (rings + 1) * 8 candidate centres, nearest first.
        # (+0.5 px: touching exactly would count as overlap by rounding.)
        candidates = (points[k] + SIDES[order] * (half[k] + radius[k] + 0.5)
                      + further * directions[order]).reshape(-1, 2)
        inside = ((candidates - half[k] >= [frame.x0, frame.y0])
                  & (candidates + half[k] <= [frame.x1, frame.y1])).all(axis=1)
        # Only obstacles within reach of the farthest candidate can collide.
        reach = half[k] + radius[k] + rings * step + 2 * half[k]
        near = np.concatenate([np.ones(n, dtype=bool), placed])
        near &= (np.abs(centres - points[k]) - halves <= reach).all(axis=1)
        overlap = (half[k] + halves[near])[None] - np.abs(candidates[:, None] - centres[near][None])
        area = np.clip(overlap, 0, None).prod(axis=2).sum(axis=1)
        free = np.flatnonzero(inside & (area == 0))
        touching = np.flatnonzero(inside[:len(SIDES)])
        if len(free):
            best = free[0]
        elif len(touching):
            best = touching[np.argmin(area[touching])]
        else:
            best = 0
        low = np.array([frame.x0, frame.y0]) + half[k]
        high = np.maximum([frame.x1, frame.y1] - half[k], low)
        centres[n + k] = np.clip(candidates[best], low, high)
        halves[n + k] = half[k]
        placed[k] = True

    centre = centres[n:]
    to_data = to_pixels.inverted()
    for text, xy in zip(texts, to_data.transform(centre)):
        text.set_position(xy)
    # A leader line for labels that ended up more than a ring away from their point.
    nearest = np.clip(points, centre - half, centre + half)
    away = np.linalg.norm(nearest - points, axis=1) > radius + 1.5 * step
    for k in np.flatnonzero(away):
        line = to_data.transform(np.stack([points[k], nearest[k]]))
        ax.plot(line[:, 0], line[:, 1], color=QUIET, linewidth=0.5, zorder=2)
