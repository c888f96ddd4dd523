"""The digitizer's recipe: one page image in, one record's signal out.

``digitize_image`` chains the stages one line each, so that a page can be
followed through the pipeline::

    image -> deskew -> scale -> ink -> layout -> traces -> leads -> signal

``method="classical"`` is the training-free baseline described in the
modules it calls.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from .assemble import leads_cut, page_samples, signal_assemble
from .geometry import grid_detect, grid_suppress, image_rotate, ink_darkness, line_darkness, page_deskew
from .layout import PageLayout, ink_mask, layout_detect
from .trace import trace_extract

__all__ = ["Digitization", "digitize_image", "METHODS"]

log = logging.getLogger(__name__)

METHODS = ("classical",)


@dataclass
class Digitization:
    """What the digitizer read from one page.

    Attributes
    ----------
    signal : (num_samples, num_leads) float ndarray
        Millivolts in the header's lead order; NaN where the page shows nothing.
    seen : (num_samples, num_leads) bool ndarray
        True where the value was read from the page.
    angle_deg : float
        Rotation applied to level the page (counter-clockwise).
    page : PageLayout
    notes : list of str
        Human-readable remarks for verbose output.
    """
    signal: np.ndarray
    seen: np.ndarray
    angle_deg: float
    page: PageLayout
    notes: list[str] = field(default_factory=list)


def digitize_image(image: np.ndarray, lead_names: list[str], fs: float, num_samples: int, *,
                   method: str = "classical", layout: str | None = None) -> Digitization:
    """Digitize one page.

    Parameters
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB page.
    lead_names : list of str
        Leads wanted, in output order (the header's).
    fs : float
        Output sampling rate (Hz).
    num_samples : int
        Output length.
    method : {"classical"}
    layout : str, optional
        Force a layout (see ``ecgdigitizer.layouts.LAYOUTS``) instead of detecting it.

    Raises
    ------
    ValueError
        When ``method`` is unknown or the page's layout cannot be read.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    angle = page_deskew(line_darkness(image))                        # level the page
    level = image_rotate(image, angle) if abs(angle) > 0.01 else image
    grid = grid_detect(line_darkness(level))                          # paper scale
    ink = ink_mask(grid_suppress(ink_darkness(level)))                # trace ink, grid removed
    page = layout_detect(ink, grid.px_per_mm, layout=layout)          # rows, columns, leads
    rows = _rows_trace(ink, page)                                     # one row per column
    leads = leads_cut(rows, page.layout, page.x_start, page.x_end, page_samples(fs))
    signal = signal_assemble(leads, lead_names, fs, num_samples, grid.px_per_mm)
    notes = [f"rotation {angle:+.2f} deg", f"{grid.px_per_mm:.3f} px/mm "
             f"({'grid' if grid.from_grid else 'page-size prior'})", f"layout {page.layout.name}"]
    return Digitization(signal, np.isfinite(signal), angle, page, notes)


def _rows_trace(mask: np.ndarray, page: PageLayout) -> list[np.ndarray]:
    """Trace every page row over the time axis.

    Each row is searched from 85 % of the way up to the row above to 85 % of
    the way down to the row below: deflections beyond that are rare, and the
    neighbours' own baselines stay out of the band.
    """
    ys = page.row_y
    spacing = np.diff(ys).mean() if ys.size > 1 else 20.0 * page.px_per_mm
    x0, x1 = int(round(page.x_start)), int(round(page.x_end))
    traces = []
    for i, y in enumerate(ys):
        top = y - 0.85 * ((y - ys[i - 1]) if i > 0 else spacing)
        bottom = y + 0.85 * ((ys[i + 1] - y) if i + 1 < ys.size else spacing)
        r0, r1 = max(0, int(top)), min(mask.shape[0], int(bottom) + 1)
        strip = mask[r0:r1, x0:x1]
        trace = trace_extract(strip, y - r0, px_per_mm=page.px_per_mm) + r0
        traces.append(_edges_blank(trace, len(page.layout.row_leads(i)), page.px_per_mm))
    return traces


def _edges_blank(trace: np.ndarray, num_columns: int, px_per_mm: float) -> np.ndarray:
    """Blank the columns next to the page's vertical marks.

    The calibration pulse ends where time starts, and printers draw a short
    separator bar where one column of leads ends and the next begins; both
    are vertical lines that are not part of the signal. The blanked columns
    (0.6 mm each side) are interpolated from their neighbours later.
    """
    out = trace.copy()
    half = max(1, int(round(0.6 * px_per_mm)))
    for c in range(num_columns + 1):
        x = int(round(c * (trace.size - 1) / num_columns))
        out[max(0, x - half): x + half + 1] = np.nan
    return out
