"""Page layout: where the rows of traces are, where time starts, which lead is where.

Works on a deskewed page whose scale is known (see ``geometry``). Rows are the
peaks of the trace-ink row profile that are filled across most of the page
(printed text is gappy); the time axis ends where the traces end, and starts
``PAGE_SECONDS`` earlier at the paper speed, unless calibration pulses place
it more exactly (``pulse_time_axis``). The number of rows picks the layout
(``LAYOUT_BY_ROWS``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import cv2
import numpy as np
from scipy.signal import find_peaks

from .layouts import MM_PER_S, PAGE_SECONDS, Layout, layout_get
from .spans import true_spans

__all__ = ["PageLayout", "ink_mask", "rows_find", "time_axis_find", "pulse_time_axis", "tick_present", "layout_detect",
           "LAYOUT_BY_ROWS"]

log = logging.getLogger(__name__)

# Rows of traces -> layout. Six rows are 3x4 with three rhythm strips (II, V1,
# V5) or 6x2; ``_six_rows_layout`` tells them apart by the column ticks.
LAYOUT_BY_ROWS = {2: "2x6", 3: "3x4", 4: "3x4+1", 6: "3x4+3", 7: "6x2+1", 12: "12x1"}


@dataclass(frozen=True)
class PageLayout:
    """Where the leads are on a deskewed page.

    Attributes
    ----------
    layout : Layout
    row_y : (R,) ndarray
        Baseline row (px) of each page row, top to bottom.
    x_start, x_end : float
        Columns (px) of time 0 and of ``PAGE_SECONDS``.
    px_per_mm : float
    time_from : str
        What placed the time axis: ``"ink ends"`` (``time_axis_find``) or
        ``"pulses"`` (``pulse_time_axis``).
    """
    layout: Layout
    row_y: np.ndarray
    x_start: float
    x_end: float
    px_per_mm: float
    time_from: str = "ink ends"


def ink_mask(ink: np.ndarray, *, low: float = 0.12, high: float = 0.3) -> np.ndarray:
    """Binary trace mask by hysteresis, without the blobs that touch the image border.

    Pixels above ``low`` are kept when their connected blob reaches ``high``
    somewhere (thin anti-aliased traces are only partly dark). Rotated or
    photographed pages have dark corners and edges outside the paper; ECG
    traces stay inside it, so blobs touching the border are dropped.
    """
    mask = (ink > low).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    strong = np.zeros(count, bool)
    strong[np.unique(labels[ink > high])] = True
    h, w = mask.shape
    x, y, bw, bh = (stats[:, i] for i in range(4))
    touches = (x == 0) | (y == 0) | (x + bw >= w) | (y + bh >= h)
    touches[0] = True  # background label
    keep = strong & ~touches
    return keep[labels]


def rows_find(mask: np.ndarray, px_per_mm: float, *, min_fill: float = 0.45) -> np.ndarray:
    """Baseline rows (px) of the trace rows, top to bottom.

    Parameters
    ----------
    mask : (H, W) bool ndarray
        Trace ink of a deskewed page (``ink_mask``).
    px_per_mm : float
    min_fill : float
        Smallest share of the inked width that a row's band must cover to be
        a trace row (text lines are gappy and fall below it).
    """
    profile = cv2.GaussianBlur(mask.sum(axis=1).astype(np.float32).reshape(-1, 1),
                               (0, 0), 1.0 * px_per_mm).ravel()
    peaks, _ = find_peaks(profile, distance=max(1, int(8 * px_per_mm)),
                          prominence=0.15 * profile.max() if profile.max() > 0 else 1.0)
    if peaks.size == 0 or not mask.any():
        return np.empty(0)
    return peaks[_row_fills(mask, peaks, px_per_mm) >= min_fill].astype(float)


def _row_fills(mask: np.ndarray, row_y: np.ndarray, px_per_mm: float) -> np.ndarray:
    """Share of the inked width that the ink within 3 mm of each row covers (gaps under 1 mm closed)."""
    columns = np.flatnonzero(mask.any(axis=0))
    width = columns[-1] - columns[0] + 1
    half = max(1, int(3 * px_per_mm))
    fills = [_filled_share(mask[max(0, y - half): y + half + 1].any(axis=0), int(1 * px_per_mm))
             for y in np.round(row_y).astype(int)]
    return np.asarray(fills) * mask.shape[1] / width


def _rows_to_a_layout(mask: np.ndarray, row_y: np.ndarray, px_per_mm: float, *,
                      weak: float = 0.75) -> np.ndarray:
    """``row_y`` less its weakest rows, while their number matches no layout and the weakest is clearly weak.

    Handwriting, a stamp or the page's cropped edge can fill a band as much
    as ``rows_find`` asks of a row; traces fill theirs nearly end to end. So
    a row whose fill is under ``weak`` times the median row's is dropped,
    weakest first, until the count is a layout's. On the renderer's hard
    pages of 12 validation records, two pages showed a fifth row at the top
    edge (fill 0.54 against 0.89-0.94 for the traces) and were refused.
    """
    if row_y.size in LAYOUT_BY_ROWS:
        return row_y
    fills = _row_fills(mask, row_y, px_per_mm)
    while row_y.size not in LAYOUT_BY_ROWS and row_y.size > 1:
        weakest = int(np.argmin(fills))
        if fills[weakest] >= weak * np.median(fills):
            break
        row_y, fills = np.delete(row_y, weakest), np.delete(fills, weakest)
    return row_y


def _filled_share(present: np.ndarray, bridge: int) -> float:
    """Share of columns covered once gaps up to ``bridge`` columns are closed."""
    closed = cv2.morphologyEx(present.astype(np.uint8).reshape(1, -1), cv2.MORPH_CLOSE,
                              np.ones((1, 2 * bridge + 1), np.uint8)).ravel()
    return float(closed.mean())


def time_axis_find(mask: np.ndarray, row_y: np.ndarray, px_per_mm: float, *, gap_mm: float = 4.0,
                   min_stretch_mm: float = 5.0) -> tuple[float, float]:
    """Columns (px) of time 0 and time ``PAGE_SECONDS`` of the page.

    Every row's trace ends at the same column: the median right end of the
    rows' ink is taken as the end, and the start lies one page length (250 mm
    at 25 mm/s) to its left. A row's ink ends where its last stretch at least
    ``min_stretch_mm`` long does, once gaps up to ``gap_mm`` are bridged:
    noise beyond the trace's end, in specks a few millimetres apart, does not
    count (eik-dev aug E00009: specks on three of four rows put the end
    4 mm late, and every lead 0.17 s early; masked SNR 8.4 -> 8.9 dB, the
    other eik-dev pages unchanged; the renderer's pages of 12 validation
    records +0.11 to +0.19 dB in each of the five sets). The band is 3 mm
    either side of the baseline, so that neighbouring rows stay out; a trace
    that ends on a steep stroke leaves it, and the ink connected to the
    band's last column is followed to its right end (eik-dev clean JS45547
    and JS45549 were read 59 and 31 ms early, and the first 59 ms of each
    lead's window held the previous lead's trace; now 5 and 2 ms).
    """
    half = max(1, int(3 * px_per_mm))
    # Odd widths, so that neither shifts the ink (an even opening moved the end a pixel right).
    speck = np.ones((1, 2 * int(px_per_mm / 2) + 1), np.uint8)             # opens specks under 1 mm
    bridge = np.ones((1, 2 * int(gap_mm / 2 * px_per_mm) + 1), np.uint8)  # closes gaps up to gap_mm
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    rightmost = stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH] - 1
    ends = []
    for y in row_y.astype(int):
        band = slice(max(0, y - half), y + half + 1)
        present = mask[band].any(axis=0).astype(np.uint8).reshape(1, -1)
        opened = cv2.morphologyEx(present, cv2.MORPH_OPEN, speck)
        stretches = true_spans(cv2.morphologyEx(opened, cv2.MORPH_CLOSE, bridge).ravel().astype(bool))
        long_ends = [end for start, end in stretches if end - start >= min_stretch_mm * px_per_mm]
        if long_ends:
            last = long_ends[-1] - 1
            # The stroke the trace ends on may leave the band: follow its ink.
            touching = labels[band, last][mask[band, last]]
            if touching.size:
                last = max(last, int(rightmost[touching].max()))
            ends.append(last + 0.5)   # the last inked column's right edge
    if not ends:
        raise ValueError("no trace ink found in any row")
    x_end = float(np.median(ends))
    x_start = x_end - _page_length_px(px_per_mm)
    return max(0.0, x_start), x_end


def tick_present(mask: np.ndarray, row_y: float, x: float, px_per_mm: float) -> bool:
    """Whether a column tick (a short thick bar across the baseline) stands at column ``x``.

    Printers mark where one column of leads ends and the next begins with a
    bar reaching at least 2 mm above and below the baseline and thicker than
    the trace; a QRS complex is thin, and rarely both above and below.
    """
    half = max(1, int(round(0.6 * px_per_mm)))
    reach = int(round(2.0 * px_per_mm))
    y, x = int(round(row_y)), int(round(x))
    if y - reach < 0 or y + reach >= mask.shape[0] or x - half < 0 or x + half >= mask.shape[1]:
        return False
    band = mask[y - reach:y + reach + 1, x - half:x + half + 1]
    full_columns = band.all(axis=0)
    return int(full_columns.sum()) >= 2


def pulse_time_axis(page: PageLayout, darkness: np.ndarray, fs: float) -> PageLayout:
    """``page`` with its time axis set by the calibration pulses, where they show it.

    ECG-Image-Kit draws each row's 1-mV pulse just before the row's trace, on
    a time axis of its own that ends with two samples at the baseline: the
    pulse's falling edge lies between 1 and 2 sample periods after the
    trace's first sample (Challenge 2024 generator, ``ecg_plot.py``). A
    vertical line's centre does not depend on its width or on blur, as the
    traces' ink ends do, so the edges place time 0 to a few hundredths of a
    pixel: on eik-dev's pages with pulses, all within 0.08 px of the truth,
    where the ink ends (``time_axis_find``) lie a median 0.47 to 0.96 px late
    (``bench/time_axis_error.py``).
    That matters because the scorer aligns by whole samples, and what is left
    is a fraction of one (see the README's "The time axis's phase").

    An edge counts where a line darker than 0.2 crosses the band 2 to 8 mm
    above a row's baseline within ``_PULSE_SEARCH_MM`` of the ink ends' time
    0; the axis moves only when two or more rows' edges agree to within
    ``_PULSE_AGREE_MM``. Pages without pulses, or with pulses drawn
    elsewhere, keep the ink ends' axis.

    Parameters
    ----------
    page : PageLayout
        From ``layout_detect``.
    darkness : (H, W) float ndarray
        The level page's trace darkness (``geometry.grid_suppress`` of ``ink_darkness``).
    fs : float
        The record's sampling rate (Hz): the edge's offset is in samples.
    """
    ppmm = page.px_per_mm
    edges = [e for e in (_pulse_edge(darkness, y, page.x_start, ppmm) for y in page.row_y) if e is not None]
    if len(edges) < 2:
        return page
    middle = float(np.median(edges))
    agreeing = [e for e in edges if abs(e - middle) <= _PULSE_AGREE_MM * ppmm]
    if len(agreeing) < 2:
        return page
    x_start = float(np.mean(agreeing)) - _PULSE_EDGE_SAMPLES / fs * MM_PER_S * ppmm
    if abs(x_start - page.x_start) > _PULSE_SEARCH_MM * ppmm:
        return page
    log.debug("time axis from %d pulses: %.2f px (ink ends: %.2f px)", len(agreeing), x_start, page.x_start)
    return replace(page, x_start=x_start, x_end=x_start + _page_length_px(ppmm), time_from="pulses")


def _page_length_px(px_per_mm: float) -> float:
    """Columns from time 0 to time ``PAGE_SECONDS`` at the paper speed."""
    return PAGE_SECONDS * MM_PER_S * px_per_mm


_PULSE_EDGE_SAMPLES = 1.5   # ECG-Image-Kit's pulse edge, in samples after time 0
_PULSE_SEARCH_MM = 0.6      # how far from the ink ends' time 0 an edge is looked for
_PULSE_AGREE_MM = 0.15      # how closely the rows' edges must agree
# Half the window the edge's centre is taken over: the line and its blur, and
# little of what lies beside it (on ECG-Image-Kit pages time 0 sits on a major
# grid line, 1.5 samples left of the edge). +-1 px at 100 dpi, +-2 px at 150
# and 200. A +-2 px window at 100 dpi put eik-dev aug's and wrinkle's time 0 a
# median 0.05 px early, which (a quarter of a sample) cost 0.5 dB on wrinkle.
_PULSE_HALF_WIDTH_MM = 0.3


def _pulse_edge(darkness: np.ndarray, row_y: float, x_start: float, px_per_mm: float) -> float | None:
    """Sub-pixel column of a pulse's falling edge near ``x_start`` on the row at ``row_y``, or None.

    The band 2 to 8 mm above the baseline holds the pulse's vertical edges and
    little else; its mean darkness per column peaks on the edge, and the
    peak's centre of mass (above the window's floor, over
    ``_PULSE_HALF_WIDTH_MM`` either side) is the edge's centre.
    """
    top, bottom = int(round(row_y - 8 * px_per_mm)), int(round(row_y - 2 * px_per_mm))
    left = int(round(x_start - _PULSE_SEARCH_MM * px_per_mm))
    right = int(round(x_start + _PULSE_SEARCH_MM * px_per_mm)) + 1
    if top < 0 or left < 0 or right > darkness.shape[1]:
        return None
    band = darkness[top:bottom, left:right]
    profile = band.mean(axis=0)
    k = int(np.argmax(profile))
    if profile[k] < 0.2 or np.mean(band[:, max(0, k - 1):k + 2].max(axis=1) > 0.1) < 0.8:
        return None               # no dark line across the whole band: no pulse here
    half = max(1, round(_PULSE_HALF_WIDTH_MM * px_per_mm))
    lo, hi = max(0, k - half), min(profile.size, k + half + 1)
    weight = profile[lo:hi] - profile.min()
    total = float(weight.sum())
    if total <= 0:
        return None               # dark all across the window: a blot, not a line
    return left + float(np.sum(np.arange(lo, hi) * weight)) / total


def _six_rows_layout(mask: np.ndarray, row_y: np.ndarray, x_start: float, x_end: float,
                     px_per_mm: float) -> str:
    """"3x4+3" when the top three rows have ticks at 2.5 s and 7.5 s, else "6x2"."""
    quarter = (x_end - x_start) / 4.0
    ticks = [tick_present(mask, y, x_start + k * quarter, px_per_mm) for y in row_y[:3] for k in (1, 3)]
    return "3x4+3" if sum(ticks) >= 3 else "6x2"


def layout_detect(mask: np.ndarray, px_per_mm: float, *, layout: str | None = None) -> PageLayout:
    """Rows, time axis and layout of a deskewed page.

    Parameters
    ----------
    mask : (H, W) bool ndarray
        Trace ink (``ink_mask``).
    px_per_mm : float
    layout : str, optional
        Force a layout name instead of choosing one from the number of rows.

    Raises
    ------
    ValueError
        When no trace row is found, or the number of rows matches no layout.
    """
    row_y = rows_find(mask, px_per_mm)
    if row_y.size == 0:
        raise ValueError("no rows of ECG trace found on the page")
    if layout is None:
        row_y = _rows_to_a_layout(mask, row_y, px_per_mm)
        if row_y.size not in LAYOUT_BY_ROWS:
            raise ValueError(f"found {row_y.size} rows of traces; known layouts have "
                             f"{sorted(LAYOUT_BY_ROWS)} rows")
        layout = LAYOUT_BY_ROWS[row_y.size]
    chosen = layout_get(layout)
    if chosen.num_rows != row_y.size:
        raise ValueError(f"layout {layout} has {chosen.num_rows} rows, the page shows {row_y.size}")
    x_start, x_end = time_axis_find(mask, row_y, px_per_mm)
    if row_y.size == 6 and layout == LAYOUT_BY_ROWS[6]:
        chosen = layout_get(_six_rows_layout(mask, row_y, x_start, x_end, px_per_mm))
    log.debug("layout %s, rows at %s px, time axis %.1f-%.1f px", layout, row_y.round(1), x_start, x_end)
    return PageLayout(chosen, row_y, x_start, x_end, px_per_mm)
