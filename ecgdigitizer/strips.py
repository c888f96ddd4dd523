"""Canonical lead strips: one page row, cut out and rescaled to a fixed paper scale.

The learned trace extractor sees every row of every page the same way: a band
``STRIP_HALF_MM`` above and below the row's baseline, from time 0 to the
end of the page, resampled to ``STRIP_PX_PER_MM`` pixels per millimetre. So a
strip is ``STRIP_HEIGHT`` rows tall and 50 columns per second of ECG
(25 mm/s x 2 px/mm); its row ``r`` is about ``STRIP_HALF_MM - r / STRIP_PX_PER_MM``
millimetres above the baseline. Two pixels per millimetre (one pixel is
0.05 mV) is coarse, but the model's sub-pixel output recovers a tenth of a
pixel, and four times fewer pixels than 4 px/mm is what keeps it within
budget on a CPU.

``Strip`` remembers the crop so that page pixels (e.g. ground-truth sample
positions) map into strip coordinates exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["STRIP_PX_PER_MM", "STRIP_HALF_MM", "STRIP_HEIGHT", "Strip", "strip_extract"]

STRIP_PX_PER_MM = 2.0
STRIP_HALF_MM = 24.0   # row spacing on 3x4 pages is 35-40 mm: neighbours' baselines stay outside
STRIP_HEIGHT = int(2 * STRIP_HALF_MM * STRIP_PX_PER_MM)


@dataclass(frozen=True)
class Strip:
    """A canonical strip and where it came from.

    Attributes
    ----------
    image : (STRIP_HEIGHT, W, 3) uint8 ndarray
    top, left : int
        Page pixel of the crop's top-left corner (may lie outside the page:
        padding is white).
    scale_y, scale_x : float
        Strip pixels per page pixel, down and across (equal up to rounding).
    """
    image: np.ndarray
    top: int
    left: int
    scale_y: float
    scale_x: float

    def points_map(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Page (row, col) pixel coordinates to strip coordinates (pixel centres at integers)."""
        return ((rows - self.top + 0.5) * self.scale_y - 0.5, (cols - self.left + 0.5) * self.scale_x - 0.5)

    def points_unmap(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Strip (row, col) coordinates back to page pixels; the inverse of ``points_map``."""
        return ((rows + 0.5) / self.scale_y - 0.5 + self.top, (cols + 0.5) / self.scale_x - 0.5 + self.left)


def strip_extract(image: np.ndarray, baseline_row: float, x_start: float, x_end: float,
                  px_per_mm: float) -> Strip:
    """Cut the band around ``baseline_row`` between columns ``x_start`` and ``x_end``.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        A levelled page.
    baseline_row : float
        Page row (px) of the strip's baseline.
    x_start, x_end : float
        Page columns (px) of the strip's first and last time.
    px_per_mm : float
        Page scale.

    Returns
    -------
    Strip
        ``round((x_end - x_start) / px_per_mm * STRIP_PX_PER_MM)`` columns wide.
    """
    scale = STRIP_PX_PER_MM / px_per_mm
    half = STRIP_HALF_MM * px_per_mm
    top = int(round(baseline_row - half))
    left = int(round(x_start))
    height = int(round(2 * half))
    width = max(1, int(round(x_end - x_start)))
    out_width = max(1, int(round(width * scale)))
    crop = _crop_padded(image, top, left, height, width)
    resized = cv2.resize(crop, (out_width, STRIP_HEIGHT),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    return Strip(resized, top, left, STRIP_HEIGHT / height, out_width / width)


def _crop_padded(image: np.ndarray, top: int, left: int, height: int, width: int) -> np.ndarray:
    """``image[top:top+height, left:left+width]`` with white where it falls off the page."""
    out = np.full((height, width, 3), 255, np.uint8)
    h, w = image.shape[:2]
    r0, r1 = max(0, top), min(h, top + height)
    c0, c1 = max(0, left), min(w, left + width)
    if r1 > r0 and c1 > c0:
        out[r0 - top:r1 - top, c0 - left:c1 - left] = image[r0:r1, c0:c1]
    return out
