"""The clean paper page: grid, traces, calibration pulses, labels and text.

``page_draw`` turns a window of a record into an undistorted page and the
page-space position of everything the ground truth needs (every plotted
sample, every lead box and label box). Geometry follows ECG-Image-Kit's pages
(see ``shared/data/eik-dev``): traces start 15 mm from the left edge after a
0.2-s calibration pulse, column ``c`` of ``n`` shows ``[c T/n, (c+1) T/n)`` at
its own place on the time axis, lead labels sit under the start of each
window, short thick ticks separate the columns, and "25mm/s  10mm/mV" is
printed at the bottom.

Coordinates are in image pixels with integer values at pixel centres (the
OpenCV and numpy convention), ``[row, col]`` as in ECG-Image-Kit's JSON.
Everything is drawn with OpenCV: ``cv2.polylines`` with ``LINE_AA`` and a
4-bit sub-pixel ``shift`` for traces, numpy outer products for the grid
(cached per size, resolution and colour).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..layouts import Layout, lead_name_normalize, lead_window
from ..spans import true_spans
from .presets import GRID_COLORS

__all__ = ["PAPERS", "PageStyle", "Canvas", "LeadEntry", "page_draw", "page_seconds"]

PAPERS: dict[str, tuple[float, float]] = {   # landscape (width, height) in mm
    "letter": (279.4, 215.9),
    "a4": (297.0, 210.0),
}
TRACE_START_MM = 15.0        # left edge to the first sample (ECG-Image-Kit: 118 px at 200 dpi)
RIGHT_MARGIN_MM = 10.0
TOP_MM = 32.0                # room for a printed header above the first baseline
BOTTOM_BASELINE_MM = 21.0    # last baseline above the bottom edge
ROW_SPACING_MM = 36.0        # ECG-Image-Kit's 3x4 row spacing at letter size
PULSE_SECONDS = 0.2
LABEL_GAP_MM = 4.2           # baseline to the top of a lead label
LABEL_HEIGHT_MM = 2.8
MINOR_TINT = 0.16            # minor-line colour: this fraction of the way from white to major


@dataclass(frozen=True)
class PageStyle:
    """How a clean page is printed.

    Attributes
    ----------
    paper : {"letter", "a4"}
        Landscape paper size.
    dpi : int
        Resolution in pixels per inch (100-300 typical).
    speed : float
        Paper speed in mm/s (25 standard; 50 shows 5 s per page).
    gain : float
        Voltage gain in mm/mV (10 standard).
    grid_color : str
        A key of ``GRID_COLORS`` (``"none"`` prints no grid).
    grid_rgb : ((int, int, int), (int, int, int)), optional
        RGB 0-255 of the major and the minor lines; when given, it replaces
        ``grid_color``'s colour and its tinted minor lines.
    trace_color : tuple of int
        RGB 0-255.
    trace_width_mm : float
        Stroke width of traces and pulses.
    dc_pulse, lead_labels, separators, printed_text, antialias : bool
        Calibration pulse at the left of each row; lead names; column ticks;
        an invented patient header; anti-aliased strokes.
    """
    paper: str = "letter"
    dpi: int = 200
    speed: float = 25.0
    gain: float = 10.0
    grid_color: str = "red"
    grid_rgb: tuple[tuple[int, int, int], tuple[int, int, int]] | None = None
    trace_color: tuple[int, int, int] = (0, 0, 0)
    trace_width_mm: float = 0.25
    dc_pulse: bool = True
    lead_labels: bool = True
    separators: bool = True
    printed_text: bool = False
    antialias: bool = True

    def __post_init__(self):
        if self.paper not in PAPERS:
            raise ValueError(f"unknown paper {self.paper!r}; known papers: {', '.join(PAPERS)}")
        if not 30 <= self.dpi <= 1200:
            raise ValueError(f"dpi must be in [30, 1200], got {self.dpi}")
        if self.grid_color not in GRID_COLORS:
            raise ValueError(f"unknown grid colour {self.grid_color!r}; known: {', '.join(GRID_COLORS)}")
        if self.speed <= 0 or self.gain <= 0:
            raise ValueError(f"speed and gain must be positive, got {self.speed} mm/s, {self.gain} mm/mV")
        if self.grid_rgb is not None and (len(self.grid_rgb) != 2 or any(
                len(c) != 3 or not all(0 <= v <= 255 for v in c) for c in self.grid_rgb)):
            raise ValueError(f"grid_rgb must be two RGB colours with values in [0, 255], got {self.grid_rgb}")

    @property
    def grid_line_colors(self) -> tuple[tuple[float, float, float], tuple[float, float, float]] | None:
        """RGB of the major and the minor lines, or None for no grid."""
        if self.grid_rgb is not None:
            major, minor = self.grid_rgb
            return tuple(float(v) for v in major), tuple(float(v) for v in minor)
        major = GRID_COLORS[self.grid_color]
        if major is None:
            return None
        return tuple(float(v) for v in major), tuple(255 - (255 - float(v)) * MINOR_TINT for v in major)

    @property
    def px_per_mm(self) -> float:
        return self.dpi / 25.4

    @property
    def size_px(self) -> tuple[int, int]:
        """(height, width) of the page in pixels."""
        w_mm, h_mm = PAPERS[self.paper]
        return round(h_mm * self.px_per_mm), round(w_mm * self.px_per_mm)


@dataclass
class Canvas:
    """An image with its trace mask and the points the ground truth tracks.

    Attributes
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB.
    mask : (H, W) uint8 ndarray
        0 = background, k = 1 + index of the lead entry.
    points : (M, 2) float64 ndarray
        ``[row, col]`` of every tracked point; NaN where a sample is NaN.
    """
    image: np.ndarray
    mask: np.ndarray
    points: np.ndarray


@dataclass
class LeadEntry:
    """One drawn lead window and where its points sit in ``Canvas.points``."""
    lead_name: str
    start_sample: int
    end_sample: int
    pixels: slice            # plotted samples, in order
    lead_box: slice          # 4 corners: top-left, top-right, bottom-right, bottom-left
    text_box: slice | None   # 4 corners of the label, when one is printed
    extra: dict = field(default_factory=dict)


def page_seconds(style: PageStyle) -> float:
    """Seconds one page shows: 10 s, or less where the paper is too narrow at ``style.speed``."""
    w_mm = PAPERS[style.paper][0]
    fit = (w_mm - TRACE_START_MM - RIGHT_MARGIN_MM) / style.speed
    return min(10.0, math.floor(fit * 4) / 4)


# ---------------------------------------------------------------------------- grid

def _line_profile(n: int, spacing: float, width: float) -> np.ndarray:
    """(n,) float32 coverage of pixels by lines every ``spacing`` px, each ``width`` px wide."""
    prof = np.zeros(n, np.float32)
    for k in range(int(n / spacing) + 2):
        p = k * spacing
        lo, hi = p - width / 2, p + width / 2
        for i in range(max(0, math.floor(lo + 0.5)), min(n, math.ceil(hi + 0.5))):
            prof[i] = max(prof[i], min(hi, i + 0.5) - max(lo, i - 0.5))
    return np.clip(prof, 0, 1)


@functools.lru_cache(maxsize=4)
def _grid_alpha(height: int, width: int, px_per_mm: float) -> np.ndarray:
    """(H, W, 2) uint8 coverage (0-255) of minor lines not under major lines, and of major lines."""
    minor_w = max(0.8, 0.1 * px_per_mm)
    major_w = max(1.0, 0.15 * px_per_mm)
    a_minor = np.maximum.outer(_line_profile(height, px_per_mm, minor_w),
                               _line_profile(width, px_per_mm, minor_w))          # (H, W)
    a_major = np.maximum.outer(_line_profile(height, 5 * px_per_mm, major_w),
                               _line_profile(width, 5 * px_per_mm, major_w))      # (H, W)
    out = np.round(np.stack([a_minor * (1 - a_major), a_major], axis=-1) * 255).astype(np.uint8)
    out.flags.writeable = False
    return out


def _grid_image(height: int, width: int, px_per_mm: float,
                colors: tuple[tuple[float, float, float], tuple[float, float, float]] | None) -> np.ndarray:
    """(H, W, 3) uint8 paper with 1-mm minor and 5-mm major lines.

    ``colors`` are the (major, minor) RGB (``PageStyle.grid_line_colors``), None for
    bare paper. Per channel: 255 - coverage_minor * (255 - minor) -
    coverage_major * (255 - major), one ``cv2.transform`` over the cached
    coverage maps.
    """
    if colors is None:
        return np.full((height, width, 3), 255, np.uint8)
    major_c, minor_c = (np.asarray(c, np.float32) for c in colors)
    m = np.stack([-(255 - minor_c) / 255, -(255 - major_c) / 255, np.full(3, 255.0)], axis=1)
    return cv2.transform(_grid_alpha(height, width, px_per_mm), m.astype(np.float32))


@functools.lru_cache(maxsize=8)
def _palette_grid_image(height: int, width: int, px_per_mm: float,
                        colors: tuple[tuple[float, float, float], tuple[float, float, float]] | None
                        ) -> np.ndarray:
    """``_grid_image``, read-only and cached: a palette's few grids recur on page after page."""
    out = _grid_image(height, width, px_per_mm, colors)
    out.flags.writeable = False
    return out


# -------------------------------------------------------------------------- text

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _text(img: np.ndarray, text: str, left: float, top: float, height_px: float,
          color: tuple[int, int, int], line_type: int) -> tuple[float, float, float, float]:
    """Draw ``text`` with its top-left at (left, top); return its box (top, left, bottom, right)."""
    scale = height_px / 22.0   # Hershey simplex capitals are about 22 px high at scale 1
    thick = max(1, round(scale * 1.1))
    (w, h), base = cv2.getTextSize(text, _FONT, scale, thick)
    org = (round(left), round(top + h))
    cv2.putText(img, text, org, _FONT, scale, color, thick, line_type)
    return top, left, top + h + base, left + w


def _header_lines(rng: np.random.Generator) -> list[str]:
    """An invented patient header: never taken from a record."""
    sex = rng.choice(["Male", "Female"])
    y, m, d = rng.integers(2005, 2025), rng.integers(1, 13), rng.integers(1, 29)
    return [f"ID: {rng.integers(10 ** 6, 10 ** 7)}",
            f"Age: {rng.integers(18, 95)} yrs   Sex: {sex}",
            f"Date: {y}-{m:02d}-{d:02d} {rng.integers(0, 24):02d}:{rng.integers(0, 60):02d}",
            f"HR: {rng.integers(45, 130)} bpm   PR: {rng.integers(120, 220)} ms   QRS: {rng.integers(70, 130)} ms"]


# ------------------------------------------------------------------------- page

def _row_baselines_mm(num_rows: int, height_mm: float) -> list[float]:
    """Baselines top to bottom: 36 mm apart (ECG-Image-Kit) or closer when many rows."""
    bottom = height_mm - BOTTOM_BASELINE_MM
    spacing = ROW_SPACING_MM if num_rows < 2 else min(ROW_SPACING_MM, (bottom - TOP_MM) / (num_rows - 1))
    return [round(bottom - (num_rows - 1 - r) * spacing) for r in range(num_rows)]


def page_draw(signal: np.ndarray, fs: float, lead_names: list[str], layout: Layout,
              style: PageStyle, rng: np.random.Generator) -> tuple[Canvas, list[LeadEntry], dict]:
    """Draw one clean page from a window of a record.

    Parameters
    ----------
    signal : (N, L) ndarray
        The window to draw, in mV; sample 0 is drawn at the start of the page.
        NaN samples leave gaps. ``N`` may be shorter than a page.
    fs : float
        Sampling frequency in Hz.
    lead_names : list of str
        One per column of ``signal``; matched to the layout case-insensitively.
    layout : Layout
    style : PageStyle
    rng : numpy Generator
        Draws the invented header text.

    Returns
    -------
    canvas : Canvas
    leads : list of LeadEntry
        In ECG-Image-Kit's order: grid rows bottom to top, columns left to
        right, then the rhythm strips top to bottom. Leads absent from the
        record, or whose window starts after the record ends, are left out.
    fields : dict
        Page-level ground-truth fields (ECG-Image-Kit's names).
    """
    h, w = style.size_px
    ppmm = style.px_per_mm
    seconds = page_seconds(style)
    page_samples = round(seconds * fs)
    n_avail = min(signal.shape[0], page_samples)
    px_per_sample = style.speed * ppmm / fs
    x0 = TRACE_START_MM * ppmm
    grid = style.grid_line_colors
    if style.grid_rgb is None:                                 # writable copy, (H, W, 3)
        image = np.array(_palette_grid_image(h, w, ppmm, grid))
    else:   # random colours never recur: painted afresh, so they do not evict the palette's grids
        image = _grid_image(h, w, ppmm, grid)
    mask = np.zeros((h, w), np.uint8)
    line = cv2.LINE_AA if style.antialias else cv2.LINE_8
    color = tuple(int(c) for c in style.trace_color)
    thick = max(1, round(style.trace_width_mm * ppmm))
    index = {}
    for j, name in enumerate(lead_names):
        index.setdefault(lead_name_normalize(name).casefold(), j)

    baselines = [b * ppmm for b in _row_baselines_mm(layout.num_rows, PAPERS[style.paper][1])]
    label_h = LABEL_HEIGHT_MM * ppmm
    # Entries in ECG-Image-Kit's order: grid rows bottom to top, then rhythm strips.
    order = [(r, c) for r in reversed(range(len(layout.grid))) for c in range(layout.num_columns)]
    order += [(len(layout.grid) + k, 0) for k in range(len(layout.rhythm))]
    points, entries = [], []
    n_points = 0

    def add(p: np.ndarray) -> slice:
        nonlocal n_points
        points.append(p)
        n_points += len(p)
        return slice(n_points - len(p), n_points)

    for r, c in order:
        lead = layout.row_leads(r)[c]
        ncols = layout.num_columns if r < len(layout.grid) else 1
        j = index.get(lead_name_normalize(lead).casefold())
        start, end = lead_window(c, ncols, page_samples)
        end = min(end, n_avail)
        if j is None or start >= end:
            continue
        base = baselines[r]
        n = np.arange(start, end)
        values = signal[start:end, j].astype(np.float64)
        xy = np.stack([x0 + n * px_per_sample, base - values * style.gain * ppmm], axis=1)  # (n, 2) x, y
        k = len(entries) + 1
        fixed = np.round(np.nan_to_num(xy) * 16).astype(np.int32)
        runs = [fixed[a:b] for a, b in true_spans(np.isfinite(values))]
        if runs:
            cv2.polylines(image, runs, False, color, thick, line, shift=4)
            cv2.polylines(mask, runs, False, k, thick, cv2.LINE_8, shift=4)
        left, right = xy[0, 0], xy[-1, 0]
        xy[~np.isfinite(values)] = np.nan                      # a missing sample has no position
        pix = add(xy[:, ::-1].copy())
        finite = xy[np.isfinite(values)]
        top = finite[:, 1].min() if len(finite) else base
        bottom = finite[:, 1].max() if len(finite) else base
        box = add(np.array([[top, left], [top, right], [bottom, right], [bottom, left]]))
        text_box = None
        if style.lead_labels:
            t, lft, b, rgt = _text(image, lead, left + (0 if c == 0 else 0.5 * ppmm),
                                   base + LABEL_GAP_MM * ppmm, label_h, color, line)
            text_box = add(np.array([[t, lft], [t, rgt], [b, rgt], [b, lft]]))
        entries.append(LeadEntry(lead, int(start), int(end), pix, box, text_box))

    # Calibration pulses, column ticks, footer and header: ink, but no ground truth.
    for r, base in enumerate(baselines):
        if style.dc_pulse:
            pw = PULSE_SECONDS * style.speed * ppmm
            top = base - style.gain * ppmm
            pulse = np.array([[x0 - pw, base], [x0 - pw, top], [x0, top], [x0, base]])
            cv2.polylines(image, [np.round(pulse * 16).astype(np.int32)], False, color, thick, line, shift=4)
        ncols = layout.num_columns if r < len(layout.grid) else 1
        if style.separators:
            for c in range(1, ncols):
                x = x0 + lead_window(c, ncols, page_samples)[0] * px_per_sample
                half = 3.4 * ppmm
                tick = np.array([[x, base - half], [x, base + half]])
                cv2.polylines(image, [np.round(tick * 16).astype(np.int32)], False, color,
                              max(thick + 1, round(0.6 * ppmm)), line, shift=4)
    foot_y = h - 6.5 * ppmm
    _text(image, f"{style.speed:g}mm/s", 50 * ppmm, foot_y, label_h, color, line)
    _text(image, f"{style.gain:g}mm/mV", 100 * ppmm, foot_y, label_h, color, line)
    if style.printed_text:
        for i, text in enumerate(_header_lines(rng)):
            _text(image, text, 5 * ppmm, (4 + 5 * i) * ppmm, label_h, color, line)

    major, minor = grid if grid is not None else ((255.0, 255.0, 255.0), (255.0, 255.0, 255.0))
    fields = {
        "sampling_frequency": float(fs),
        "width": int(w),
        "height": int(h),
        "grid_line_color_major": [round(v, 2) for v in major],
        "grid_line_color_minor": [round(v, 2) for v in minor],
        "ecg_plot_color": [float(v) for v in color],
        "x_grid": round(5 * ppmm, 2),
        "y_grid": round(5 * ppmm, 2),
        "resolution": int(style.dpi),
        "pad_inches": 0,
        "dc_pulse": bool(style.dc_pulse),
        "bw": False,
        "gridlines": grid is not None,
        "printed_text": bool(style.printed_text),
        "number_of_columns_in_image": int(layout.num_columns),
        "full_mode_lead": layout.rhythm[0] if layout.rhythm else "None",
        "handwritten_text": False,
        "paper": style.paper,
        "speed_mm_per_s": float(style.speed),
        "gain_mm_per_mV": float(style.gain),
        "layout": layout.name,
    }
    pts = np.concatenate(points) if points else np.zeros((0, 2))
    return Canvas(image, mask, pts), entries, fields
