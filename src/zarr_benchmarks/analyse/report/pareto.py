"""Pareto front of (compression ratio, throughput) points, both maximised."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import groupby

__all__ = ["pareto_front"]


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the non-dominated points when maximising both coordinates.

    A point is dominated when another point is at least as good in both coordinates
    and strictly better in one.  Identical points are all on the front.  Points with
    a non-finite coordinate are never on it.

    Parameters
    ----------
    points
        ``(x, y)`` pairs, e.g. ``(throughput MB/s, compression ratio)``.

    Returns
    -------
    list of int
        Indices into ``points``, sorted by ``x`` ascending (so ``y`` descends): the
        order in which to draw the front as a line.

    Examples
    --------
    >>> pareto_front([(1, 5), (2, 4), (1.5, 3), (3, 1), (3, 0.5)])
    [0, 1, 3]
    """
    finite = [
        (i, float(x), float(y))
        for i, (x, y) in enumerate(points)
        if math.isfinite(x) and math.isfinite(y)
    ]
    # Sweep from the largest x down: a point is on the front iff its y beats the best y
    # seen at strictly larger x, and it is not beaten at the same x.
    finite.sort(key=lambda p: (-p[1], -p[2]))
    front: list[int] = []
    best_y = -math.inf
    for _, group_iter in groupby(finite, key=lambda p: p[1]):
        group = list(group_iter)  # same x, y descending
        top_y = group[0][2]
        if top_y > best_y:
            front.extend(p[0] for p in group if p[2] == top_y)
            best_y = top_y
    return sorted(front, key=lambda k: (points[k][0], -points[k][1]))
