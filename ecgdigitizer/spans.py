"""Spans of consecutive True values in a 1-D mask (plotted windows, seen parts of a lead)."""
from __future__ import annotations

import numpy as np

__all__ = ["true_spans"]


def true_spans(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` of each run of True in ``mask``, in order.

    >>> true_spans(np.array([0, 1, 1, 0, 1], bool))
    [(1, 3), (4, 5)]
    """
    edges = np.diff(np.concatenate(([0], np.asarray(mask, bool).astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))
