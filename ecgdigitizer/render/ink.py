"""Does the ground truth fall on ink? The check behind the renderer's accuracy claims.

``ink_fraction`` counts the plotted samples (inside the image) that have trace
ink within 1 px: the darkest 3x3 mean in the 3x3 neighbourhood of the point is
at least ``contrast`` grey levels below the local paper level (the brightest
21x21 median within 31x31).
The 3x3 mean keeps Gaussian noise of sigma 40 from passing for ink (its sigma
drops to about 13), so points moved off the trace by a few pixels fail; the
tests check that as a negative control. ``mask_fraction`` asks the same of the
trace mask: the sample's own lead id within 1 px.
"""
from __future__ import annotations

import cv2
import numpy as np

from .ground_truth import plotted_pixels_array

__all__ = ["ink_fraction", "mask_fraction", "plotted_points"]


def plotted_points(ground_truth: dict, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Rounded ``[row, col]`` (K, 2) int of finite samples at least 1 px inside ``shape``, and their lead ids (K,)."""
    h, w = shape
    pts, ids = [], []
    for k, lead in enumerate(ground_truth["leads"]):
        p = plotted_pixels_array(lead)
        p = p[np.isfinite(p).all(axis=1)]
        p = np.round(p).astype(int)
        keep = (p[:, 0] >= 1) & (p[:, 0] < h - 1) & (p[:, 1] >= 1) & (p[:, 1] < w - 1)
        pts.append(p[keep])
        ids.append(np.full(keep.sum(), k + 1))
    if not pts:
        return np.zeros((0, 2), int), np.zeros(0, int)
    return np.concatenate(pts), np.concatenate(ids)


def ink_fraction(image: np.ndarray, ground_truth: dict, *, contrast: float = 40.0,
                 offset: tuple[float, float] = (0.0, 0.0)) -> float:
    """Fraction of plotted samples with trace ink within 1 px.

    Parameters
    ----------
    image : (H, W, 3) or (H, W) uint8 ndarray
    ground_truth : dict
        ECG-Image-Kit-style ground truth of ``image``.
    contrast : float
        Grey levels below the local background that count as ink.
    offset : (float, float)
        Added to every ``[row, col]`` before the check (a negative control).
    """
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    mean3 = cv2.blur(grey.astype(np.float32), (3, 3))
    darkest = cv2.erode(mean3, np.ones((3, 3), np.uint8))          # min over the 3x3 neighbourhood
    # Paper level: a 21x21 median, then the brightest within 31x31, so that a
    # patch of solid ink (a trace crossing a label or a column tick) still sees paper.
    background = cv2.dilate(cv2.medianBlur(grey, 21), np.ones((31, 31), np.uint8)).astype(np.float32)
    gt = ground_truth
    if offset != (0.0, 0.0):
        gt = {"leads": [{"plotted_pixels": (plotted_pixels_array(l) + offset).tolist()} for l in gt["leads"]]}
    pts, _ = plotted_points(gt, grey.shape)
    if len(pts) == 0:
        return float("nan")
    r, c = pts[:, 0], pts[:, 1]
    return float(np.mean(darkest[r, c] <= background[r, c] - contrast))


def mask_fraction(trace_mask: np.ndarray, ground_truth: dict) -> float:
    """Fraction of plotted samples whose own lead id is in the trace mask within 1 px."""
    pts, ids = plotted_points(ground_truth, trace_mask.shape)
    if len(pts) == 0:
        return float("nan")
    hit = np.zeros(len(pts), bool)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            hit |= trace_mask[pts[:, 0] + dr, pts[:, 1] + dc] == ids
    return float(hit.mean())
