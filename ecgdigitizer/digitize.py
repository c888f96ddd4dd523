"""The digitizer's recipe: one page image in, one record's signal out.

``digitize_image`` chains the stages one line each, so that a page can be
followed through the pipeline::

    image -> deskew -> perspective -> scale -> ink -> layout -> traces -> leads -> signal

in three calls: ``page_geometry`` (deskew to layout), ``page_rows`` (the
traces, a row per pixel column or per point within it) and ``rows_signal``
(leads and signal).

Two trace extractors share everything else (``METHODS``):

* ``classical``: ink by colour and darkness, dynamic programming over the
  ink's vertical runs (``trace``); needs no training;
* ``learned``: the image model (``models.strip_model``) reads each row's
  canonical strip (``strips``) and gives a sub-pixel row and a confidence
  per column; it steers the same ink tracking.

The column model (``models.column_model``), when given (the pipeline gives
it to the learned method), then moves the rows of steep columns (QRS
strokes) to where the ink's darkness shows the line's centre, and reads the
stroke's course inside each of them at a few points per column.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import torch

from .assemble import leads_cut, leads_place, limb_leads_reconcile, page_samples, signal_assemble
from .beat_pool import beats_pool, beats_typical, edges_from_beats
from .geometry import (NOISE_FREE, grid_detect, grid_suppress, image_noise, image_warp, ink_darkness, line_darkness,
                       page_deskew, perspective_find, rotation_matrix)
from .layout import PageLayout, ink_mask, layout_detect, pulse_time_axis
from .layouts import MM_PER_S
from .models.column_model import ColumnModel, points_per_column, rows_refine
from .models.strip_model import StripModel, rows_decode
from .strips import strip_extract
from .trace import Trace, trace_extract

__all__ = ["Digitization", "PageGeometry", "PageTraces", "page_geometry", "points_level", "page_rows",
           "rows_signal", "digitize_image", "METHODS"]

log = logging.getLogger(__name__)

METHODS = ("classical", "learned")
# Ink farther than GUIDE_STRAY_MM from a model row at least
# GUIDE_STRAY_CONFIDENCE sure is taken to be noise or a neighbour's trace, and
# the model's row is used. On the renderer's pages of 12 validation records
# (masked SNR, clean / aug presets): no rule 13.09 / 8.70 dB, 3 mm at 90 %
# 13.04 / 8.86, 1.5 mm 12.81 / 8.86, 3 mm at 50 % 12.68 / 8.86.
# A short piece of path cut off from the rest needs only a 50 %-sure model
# row (``trace_extract``); added after a speck on an eik-dev aug page
# (E00001, lead I) made a 2-mV spike: eik-dev masked SNR aug 7.47 -> 7.73,
# wrinkle 6.77 -> 6.85, clean and varied unchanged; the validation pages
# above unchanged (13.04 / 8.86).
GUIDE_STRAY_MM = 3.0
GUIDE_STRAY_CONFIDENCE = 0.9
# Ink that two neighbouring rows both took is left by a row whose value lies
# over SHARED_INK_MM from its model row (``_shared_ink_yield``); eik-dev
# masked SNR clean 15.98 -> 16.10, aug 8.84 -> 8.88, wrinkle 8.82 -> 9.15,
# varied 10.98 -> 10.99 (2 mm: the same); the renderer's pages of 12
# validation records unchanged (15.63 / 11.49).
SHARED_INK_MM = 3.0
# A row whose confident model rows (GUIDE_CHECK_CONFIDENCE) lie on the
# trace's darkness (over GUIDE_CHECK_DARKNESS within GUIDE_CHECK_MM) in fewer
# than GUIDE_CHECK_SHARE of their columns gets no guide (``_guides_check``).
# Over the 103 pages of eik-dev and the renderer's validation pages, one row
# fell below: 0.25 (eik-dev varied ludb_049, lead I row on orange paper, the
# model 90 % sure of a grid line 6.6 mm below the trace); every other row
# scored 0.82 or more.
GUIDE_CHECK_CONFIDENCE = 0.9
GUIDE_CHECK_DARKNESS = 0.12
GUIDE_CHECK_MM = 0.5
GUIDE_CHECK_SHARE = 0.5
# On a noisy page (``geometry.image_noise`` at least ``NOISE_FREE``) the row
# read from the ink and the model's row are two readings with independent
# errors, and where the model is at least NOISY_MEAN_CONFIDENCE sure the row
# is their mean (``_rows_guided``). Masked SNR (learned, NaN unplotted, with
# ``beat_pool``, and the column model trained before this rule) on eik-dev
# aug / wrinkle / varied: 15.96 / 17.65 / 18.01 dB
# with the ink's row alone, 16.07 / 17.71 / 18.09 with 0.3 of the model's,
# 16.10 / 17.76 / 18.07 with the mean; the renderer's 100-dpi pages of 8
# validation records (aug / wrinkle, seed 5) 9.85 / 5.90 -> 10.02 / 5.91.
# On clean pages the ink's row is the better one: with the mean everywhere,
# eik-dev clean 22.45 -> 21.78.
NOISY_MEAN_CONFIDENCE = 0.9
# The trace is not read within MARK_BLANK_MM of the calibration pulse's edge
# and of the separator bars between lead windows (``_edges_blank``); each lead
# window's first and last MARK_BLANK_MM of time are then taken from the
# lead's other beats (``beat_pool.edges_from_beats``), where they were
# interpolated or the image model's coarse row. Masked SNR (learned, NaN
# unplotted) on eik-dev clean / aug / wrinkle / varied: 22.17 / 16.24 / 17.96 /
# 18.02 dB without that, 23.30 / 16.41 / 18.24 / 18.22 with it; over 16 /
# 32 / 48 ms instead of 24 (0.6 mm): 23.20 / 16.40 / 18.24 / 18.20, 23.23 /
# 16.46 / 18.22 / 18.21, 23.06 / 16.29 / 18.17 / 18.23. A QRS complex that
# starts a window is the case it is for: under the bar it is lost.
MARK_BLANK_MM = 0.6


@dataclass
class PageGeometry:
    """A page made level, its scale, its trace ink and its layout.

    Attributes
    ----------
    level : (H, W, 3) uint8 ndarray
        The page rotated by ``angle_deg``, and rectified where it was
        photographed at an angle.
    angle_deg : float
        Rotation applied (counter-clockwise).
    transform : (3, 3) float ndarray
        Homography from the input image's pixels ``(x, y, 1)`` to ``level``'s:
        the rotation, then the perspective correction if any.
    rectified : bool
        Whether a perspective correction was applied (``geometry.perspective_find``).
    px_per_mm : float
    from_grid : bool
        Whether the scale came from the grid (else from the page size).
    noise : float
        The pixel noise of ``level`` (``geometry.image_noise``, grey levels).
    darkness : (H, W) float32 ndarray
        Trace darkness of ``level`` in [0, 1], grid removed.
    ink : (H, W) bool ndarray
        Trace ink: ``darkness`` thresholded (``layout.ink_mask``).
    page : PageLayout
    """
    level: np.ndarray
    angle_deg: float
    transform: np.ndarray
    rectified: bool
    px_per_mm: float
    from_grid: bool
    noise: float
    darkness: np.ndarray
    ink: np.ndarray
    page: PageLayout


def page_geometry(image: np.ndarray, *, layout: str | None = None, fs: float | None = None) -> PageGeometry:
    """Level the page, measure its scale, find its trace ink and its layout.

    With the record's sampling rate ``fs``, calibration pulses drawn the way
    ECG-Image-Kit draws them set the time axis (``layout.pulse_time_axis``);
    without it, or without such pulses, the traces' ink ends do.

    Raises
    ------
    ValueError
        When no layout can be read from the page.
    """
    lines = line_darkness(image)
    angle = page_deskew(lines)                                        # level the page
    rotation = rotation_matrix(image.shape, angle)
    level = image_warp(image, rotation) if abs(angle) > 0.01 else image
    lines = line_darkness(level) if level is not image else lines
    grid = grid_detect(lines)                                         # paper scale
    transform, perspective = rotation, perspective_find(lines)        # a photo's converging lines
    if perspective is not None:
        candidate = perspective @ rotation
        rectified = image_warp(image, candidate)                      # one resampling of the input
        rectified_grid = grid_detect(line_darkness(rectified))
        # Kept where the rectified page shows a grid: without one, vertical
        # strokes alone set the vertical lines' slopes, and 2 of 13 level
        # gridless renderer pages were bent (masked SNR 8.9 -> 8.3 dB). The
        # grid is looked for after rectifying, as converging lines can hide it.
        if rectified_grid.from_grid:
            level, grid, transform = rectified, rectified_grid, candidate
        else:
            perspective = None
    noise = image_noise(level)
    darkness = grid_suppress(ink_darkness(level, noise=noise))        # trace darkness, grid removed
    ink = ink_mask(darkness)                                          # trace ink
    page = layout_detect(ink, grid.px_per_mm, layout=layout)          # rows, columns, leads
    if fs is not None:
        page = pulse_time_axis(page, darkness, fs)                    # time 0 from the pulses
    return PageGeometry(level, angle, transform, perspective is not None, grid.px_per_mm, grid.from_grid,
                        noise, darkness, ink, page)


def points_level(geo: PageGeometry, xy: np.ndarray) -> np.ndarray:
    """Points ``(x, y)`` of the input image, ``(N, 2)``, where they lie on ``geo.level``."""
    mapped = np.c_[xy, np.ones(len(xy))] @ geo.transform.T
    return mapped[:, :2] / mapped[:, 2:]


@dataclass
class PageTraces:
    """Every page row's trace (``page_rows``).

    Attributes
    ----------
    rows : list of (W * per_column,) float ndarray
        One per page row: the trace's row (page pixels) at ``per_column``
        points per pixel column of the time axis; point ``k`` lies at page
        column ``round(x_start) + (k - per_column // 2) / per_column``. NaN
        where nothing was read.
    confidence : list of float ndarray
        The reading's confidence in [0, 1] at the same points.
    per_column : int
        Points per pixel column: 1, or the column model's (``points_per_column``).
    """
    rows: list[np.ndarray]
    confidence: list[np.ndarray]
    per_column: int = 1


@dataclass
class Digitization:
    """What the digitizer read from one page.

    Attributes
    ----------
    signal : (num_samples, num_leads) float ndarray
        Millivolts in the header's lead order; NaN where the page shows nothing.
    confidence : (num_samples, num_leads) float ndarray
        In [0, 1] where seen (1 for the classical method), NaN elsewhere.
    geometry : PageGeometry
    notes : list of str
        Human-readable remarks for verbose output.
    """
    signal: np.ndarray
    confidence: np.ndarray
    geometry: PageGeometry
    notes: list[str] = field(default_factory=list)


def digitize_image(image: np.ndarray, lead_names: list[str], fs: float, num_samples: int, *,
                   method: str = "classical", layout: str | None = None,
                   strip_model: StripModel | None = None, column_model: ColumnModel | None = None
                   ) -> Digitization:
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
    method : {"classical", "learned"}
    layout : str, optional
        Force a layout (see ``ecgdigitizer.layouts.LAYOUTS``) instead of detecting it.
    strip_model : StripModel, optional
        The image model; required by ``method="learned"``.
    column_model : ColumnModel, optional
        Refines the rows of steep columns; without it they stay the tracker's.

    Raises
    ------
    ValueError
        When ``method`` is unknown, the learned method has no model, or the
        page's layout cannot be read.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method == "learned" and strip_model is None:
        raise ValueError("method 'learned' needs the image model (strip_model), and none was loaded")
    geo = page_geometry(image, layout=layout, fs=fs)                  # level, scale, ink, layout
    traces = page_rows(geo, method, strip_model, column_model)       # rows per column
    signal, confidence = rows_signal(traces, geo, lead_names, fs, num_samples)
    notes = [f"rotation {geo.angle_deg:+.2f} deg" + (", perspective corrected" if geo.rectified else ""),
             f"{geo.px_per_mm:.3f} px/mm "
             f"({'grid' if geo.from_grid else 'page-size prior'})", f"layout {geo.page.layout.name}",
             f"time axis from the {geo.page.time_from}", f"method {method}"]
    return Digitization(signal, confidence, geo, notes)


def page_rows(geo: PageGeometry, method: str, strip_model: StripModel | None = None,
              column_model: ColumnModel | None = None) -> PageTraces:
    """Every page row's trace: its row (px) and confidence per column of the time axis.

    Columns run from ``round(x_start)`` to ``round(x_end)``; NaN where nothing
    was read. With ``column_model``, the steep columns' rows are then refined
    and read at several points per column (``models.column_model.rows_refine``).
    """
    if method == "classical":
        rows = _rows_trace(geo)
        confidence = [np.where(np.isfinite(r), 1.0, np.nan) for r in rows]
    else:
        guides, guide_confidence = _rows_learned(geo, strip_model)    # where the model sees the trace
        guide_confidence = _guides_check(geo, guides, guide_confidence)   # ... unless it reads no trace
        rows, confidence = _rows_guided(_rows_trace(geo, guides, guide_confidence, GUIDE_STRAY_MM), guides,
                                        guide_confidence, noisy=geo.noise >= NOISE_FREE)
    if column_model is None:
        return PageTraces(rows, confidence)
    # steep columns, to a fraction of a pixel and at several points each
    per_column = points_per_column(column_model.config)
    rows = rows_refine(rows, geo.darkness, int(round(geo.page.x_start)), geo.px_per_mm, column_model)
    return PageTraces(rows, [np.repeat(c, per_column) for c in confidence], per_column)


def rows_signal(traces: PageTraces, geo: PageGeometry, lead_names: list[str], fs: float,
                num_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Page rows' traces (``page_rows``) to the signal and its confidence, ``(num_samples, len(lead_names))``.

    The limb leads' readings are reconciled where three or more are seen at
    once (``limb_leads_reconcile``); on a noisy page, each QRS complex is then
    pulled toward its lead's other beats (``beat_pool``), and on every page
    the ends of each lead window, hidden by the page's vertical marks, are
    taken from the lead's other beats.
    """
    page = geo.page
    samples = page_samples(fs)

    def cut(rows: list[np.ndarray]):                                  # rows -> lead windows
        return leads_cut(rows, page.layout, page.x_start, page.x_end, samples, traces.per_column)

    signal = limb_leads_reconcile(signal_assemble(cut(traces.rows), lead_names, fs, num_samples, geo.px_per_mm),
                                  lead_names, fs)
    beats = beats_typical(signal, fs)
    if geo.noise >= NOISE_FREE:
        signal = beats_pool(signal, beats, fs)
    signal = edges_from_beats(signal, beats, fs, MARK_BLANK_MM / MM_PER_S)
    confidence = leads_place(cut(traces.confidence), lead_names, fs, num_samples, geo.px_per_mm)
    return signal, confidence


def _rows_learned(geo: PageGeometry, model: StripModel) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The image model's trace row and confidence per page column, for every page row.

    The model reads each row's canonical strip (2 px/mm); its sub-pixel rows
    are mapped back to page rows and interpolated at every page column of the
    time axis, ``round(x_start)`` to ``round(x_end)``, like ``_rows_trace``.
    """
    page = geo.page
    strips = [strip_extract(geo.level, y, page.x_start, page.x_end, geo.px_per_mm) for y in page.row_y]
    width = min(s.image.shape[1] for s in strips)
    padded = -(-width // 4) * 4  # the network halves twice
    batch = np.stack([np.pad(s.image[:, :width], ((0, 0), (0, padded - width), (0, 0)), mode="edge")
                      for s in strips])
    device = next(model.parameters()).device
    x = torch.from_numpy(batch).to(device).permute(0, 3, 1, 2).float().div_(255.0)
    with torch.inference_mode(), _autocast(device):
        logits, _ = model(x)
        rows, confidence = rows_decode(logits)
    rows = rows[:, :width].float().cpu().numpy().astype(np.float64)
    confidence = confidence[:, :width].float().cpu().numpy().astype(np.float64)
    columns = np.arange(int(round(page.x_start)), int(round(page.x_end)), dtype=np.float64)
    guides, confidences = [], []
    for strip, r, c in zip(strips, rows, confidence):
        page_rows, strip_cols = strip.points_unmap(r, np.arange(width, dtype=np.float64))
        guides.append(np.interp(columns, strip_cols, page_rows))
        confidences.append(np.interp(columns, strip_cols, c))
    return guides, confidences


def _guides_check(geo: PageGeometry, guides: list[np.ndarray], confidences: list[np.ndarray]
                  ) -> list[np.ndarray]:
    """The guides' confidences, zero over a row whose guide mostly misses the trace's darkness.

    The image model can be sure of the wrong line: on paper and grid colours
    it was not trained on, it may follow a grid line or a row of text along a
    whole row. Ink tracking alone then reads that row better than with the
    model's say (its steering, gap filling and stray rule). A row is judged
    on the columns where the model is at least ``GUIDE_CHECK_CONFIDENCE``
    sure: the trace's darkness must reach ``GUIDE_CHECK_DARKNESS`` within
    ``GUIDE_CHECK_MM`` of the model's row in at least ``GUIDE_CHECK_SHARE``
    of them. A faint trace that the ink mask loses still passes, since its
    darkness shows (eik-dev wrinkle E00009, where the guide is what reads
    the rhythm strip).
    """
    first = int(round(geo.page.x_start))
    reach = int(round(GUIDE_CHECK_MM * geo.px_per_mm))
    out = []
    for i, (guide, confidence) in enumerate(zip(guides, confidences)):
        sure = np.flatnonzero((confidence >= GUIDE_CHECK_CONFIDENCE) & np.isfinite(guide))
        x = first + sure
        y = np.round(guide[sure]).astype(int)
        darkest = np.zeros(sure.size)
        for dy in range(-reach, reach + 1):
            darkest = np.maximum(darkest, geo.darkness[np.clip(y + dy, 0, geo.darkness.shape[0] - 1), x])
        on_trace = float(np.mean(darkest > GUIDE_CHECK_DARKNESS)) if sure.size else 1.0
        if on_trace < GUIDE_CHECK_SHARE:
            log.debug("page row %d: the image model's row lies on the trace in %.0f%% of its sure columns; "
                      "ink tracking reads it alone", i, 100 * on_trace)
            confidence = np.zeros_like(confidence)
        out.append(confidence)
    return out


def _rows_guided(rows: list[np.ndarray], guides: list[np.ndarray], confidences: list[np.ndarray], *,
                 min_confidence: float = 0.5, noisy: bool = False) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The ink's rows, with the model's rows where no ink was found and the model is confident.

    The ink keeps full resolution (narrow QRS peaks that a 2 px/mm strip
    cannot show); the model already steered which ink was chosen
    (``trace_extract``'s guide), and here fills the columns where noise or a
    faint print left no ink at all. On a ``noisy`` page, where both read the
    row and the model is at least ``NOISY_MEAN_CONFIDENCE`` sure, the row is
    the mean of the two. Returns the rows and their confidence: 1 where ink
    was read, the model's own confidence where it filled in.
    """
    out_rows, out_confidence = [], []
    for r, g, c in zip(rows, guides, confidences):
        n = min(r.size, g.size)
        r, g, c = r[:n].copy(), g[:n], c[:n]
        inked = np.isfinite(r)
        fill = ~inked & (c >= min_confidence)
        r[fill] = g[fill]
        if noisy:
            both = inked & (c >= NOISY_MEAN_CONFIDENCE) & np.isfinite(g)
            r[both] = (r[both] + g[both]) / 2.0
        out_rows.append(r)
        out_confidence.append(np.where(inked, 1.0, np.where(fill, c, np.nan)))
    return out_rows, out_confidence


def _autocast(device: torch.device):
    """Mixed precision on CUDA; a no-op context on the CPU."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    return torch.autocast("cpu", enabled=False)


def _rows_trace(geo: PageGeometry, guides: list[np.ndarray] | None = None,
                guide_confidences: list[np.ndarray] | None = None, stray_mm: float | None = None
                ) -> list[np.ndarray]:
    """Trace every page row over the time axis.

    Each row is searched from 85 % of the way up to the row above to 85 % of
    the way down to the row below: deflections beyond that are rare, and the
    neighbours' own baselines stay out of the band. ``guides`` (page rows per
    column of the time axis, from the image model) steer the choice of ink,
    and settle which row owns ink that two neighbouring rows both chose.
    """
    page, mask = geo.page, geo.ink
    ys = page.row_y
    spacing = np.diff(ys).mean() if ys.size > 1 else 20.0 * page.px_per_mm
    x0, x1 = int(round(page.x_start)), int(round(page.x_end))
    traces = []
    for i, y in enumerate(ys):
        top = y - 0.85 * ((y - ys[i - 1]) if i > 0 else spacing)
        bottom = y + 0.85 * ((ys[i + 1] - y) if i + 1 < ys.size else spacing)
        r0, r1 = max(0, int(top)), min(mask.shape[0], int(bottom) + 1)
        strip = mask[r0:r1, x0:x1]
        guide = None if guides is None else guides[i][:strip.shape[1]] - r0
        confidence = None if guide_confidences is None else guide_confidences[i][:strip.shape[1]]
        trace = trace_extract(strip, y - r0, px_per_mm=page.px_per_mm, darkness=geo.darkness[r0:r1, x0:x1],
                              guide=guide, guide_confidence=confidence, stray_mm=stray_mm,
                              stray_confidence=GUIDE_STRAY_CONFIDENCE)
        traces.append(Trace(trace.rows + r0, trace.top + r0, trace.bottom + r0))   # page rows
    rows = [t.rows for t in traces]
    if guides is not None:
        rows = _shared_ink_yield(traces, guides, guide_confidences, page.px_per_mm, ys)
    return [_edges_blank(r, len(page.layout.row_leads(i)), page.px_per_mm) for i, r in enumerate(rows)]


def _shared_ink_yield(traces: list[Trace], guides: list[np.ndarray], confidences: list[np.ndarray],
                      px_per_mm: float, baselines: np.ndarray, *, far_mm: float = SHARED_INK_MM,
                      min_confidence: float = 0.5) -> list[np.ndarray]:
    """Rows of traces, where a row that took a neighbouring row's ink takes the model's row.

    Neighbouring rows' search bands overlap, and a tall QRS of one lead can
    reach into the next row and touch its trace; that row's path then runs
    up the neighbour's spike. Where the runs two neighbouring rows chose
    overlap, a row whose value lies more than ``far_mm`` from its model row
    (the model at least ``min_confidence`` sure) takes the model's row, if
    the ink is the neighbour's by one of two signs: the value lies past the
    midline between the two rows' baselines, or the neighbour's own model
    row (as sure) lies within ``far_mm`` of it.

    Without those signs a row also gave up the tip of its own tall R wave
    whenever the neighbour's S wave ran into it: at 2 px/mm the model's row
    cuts a one-column tip off, and, barely sure there, it replaced the ink
    (eik-dev aug JS00007 V4: a 1.8-mV tip read 2.2 mV low). Masked SNR
    (learned, NaN unplotted): eik-dev clean 21.33 -> 21.32, aug 14.57 ->
    14.64, wrinkle 16.75 -> 16.78, varied 16.52 -> 16.58; the renderer's
    pages of the 20 validation records (100 dpi aug / wrinkle, 200 dpi
    clean / aug) +0.02 / +0.03 / -0.01 / +0.04.
    """
    out = []
    for i, trace in enumerate(traces):
        rows = trace.rows.copy()
        for j in (i - 1, i + 1):
            if not 0 <= j < len(traces):
                continue
            other = traces[j]
            n = min(rows.size, other.rows.size, guides[i].size, guides[j].size)
            value, guide, confidence = trace.rows[:n], guides[i][:n], confidences[i][:n]
            midline = (baselines[i] + baselines[j]) / 2.0
            with np.errstate(invalid="ignore"):   # NaN where a column has no ink
                shared = (trace.top[:n] <= other.bottom[:n]) & (other.top[:n] <= trace.bottom[:n])
                far = np.abs(value - guide) > far_mm * px_per_mm
                past_midline = (value - midline) * np.sign(baselines[j] - baselines[i]) > 0
                claimed = ((confidences[j][:n] >= min_confidence)
                           & (np.abs(guides[j][:n] - value) <= far_mm * px_per_mm))
            take = shared & far & (confidence >= min_confidence) & np.isfinite(guide) & (past_midline | claimed)
            rows[:n][take] = guide[take]
        out.append(rows)
    return out


def _edges_blank(trace: np.ndarray, num_columns: int, px_per_mm: float) -> np.ndarray:
    """Blank the columns next to the page's vertical marks.

    The calibration pulse ends where time starts, and printers draw a short
    separator bar where one column of leads ends and the next begins; both
    are vertical lines that are not part of the signal. The blanked columns
    (``MARK_BLANK_MM`` each side) are interpolated from their neighbours
    later, and then taken from the lead's other beats (``rows_signal``).
    """
    out = trace.copy()
    half = max(1, int(round(MARK_BLANK_MM * px_per_mm)))
    for c in range(num_columns + 1):
        x = int(round(c * (trace.size - 1) / num_columns))
        out[max(0, x - half): x + half + 1] = np.nan
    return out
