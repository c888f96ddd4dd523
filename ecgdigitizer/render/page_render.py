"""One page from a signal: style draws, the clean page, distortions, ground truth.

``page_render`` is the renderer's recipe, one stage per line; the folder
command and the training ``Dataset`` both call it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..layouts import Layout, layout_get, lead_name_normalize
from .distort import distortions_apply
from .ground_truth import ground_truth_build
from .page import PageStyle, page_draw, page_seconds
from .presets import Preset, preset_get

__all__ = ["RenderedPage", "page_render", "style_draw", "layout_resolve"]


@dataclass
class RenderedPage:
    """A rendered page and its exact ground truth.

    Attributes
    ----------
    image : (H, W, 3) uint8 ndarray
        RGB.
    ground_truth : dict
        ECG-Image-Kit's JSON schema; ``plotted_pixels`` are after distortions.
    trace_mask : (H, W) uint8 ndarray
        0 = background, ``k`` = 1 + index of the lead entry in ``ground_truth["leads"]``.
    layout : str
        Name of the layout drawn.
    """
    image: np.ndarray
    ground_truth: dict
    trace_mask: np.ndarray
    layout: str


def style_draw(preset: Preset, rng: np.random.Generator, *, dpi: int | None = None,
               paper: str = "letter", speed: float = 25.0, gain: float = 10.0) -> PageStyle:
    """Draw a page style from a preset (grid colour, trace, pulse, header, resolution)."""
    if dpi is None:
        dpi = int(preset.dpi[int(rng.integers(len(preset.dpi)))])
    grid = preset.grid_colors[int(rng.integers(len(preset.grid_colors)))]
    if rng.random() < preset.bw_grid_probability:
        grid = ("grey", "black")[int(rng.integers(2))]
    grid_rgb = None
    if preset.random_grid_probability > 0:
        # From a child generator, which leaves ``rng``'s stream as it was: the page
        # differs from the same preset's without random grids in its grid alone.
        colours = rng.spawn(1)[0]
        if colours.random() < preset.random_grid_probability:
            major, minor = (tuple(int(v) for v in colours.integers(0, 256, 3)) for _ in range(2))
            grid_rgb = (major, minor)
    grey = int(rng.integers(preset.trace_grey[0], preset.trace_grey[1] + 1))
    width = 0.15 if preset.name == "clean" else float(rng.uniform(0.12, 0.35))
    return PageStyle(paper=paper, dpi=int(dpi), speed=speed, gain=gain, grid_color=grid, grid_rgb=grid_rgb,
                     trace_color=(grey, grey, grey), trace_width_mm=width,
                     dc_pulse=bool(rng.random() < preset.dc_pulse_probability),
                     printed_text=bool(rng.random() < preset.printed_text_probability))


def layout_resolve(layout: str | Layout, lead_names: list[str]) -> Layout:
    """The layout to draw: ``layout`` when the record has any of its leads, else one row per lead.

    Raises
    ------
    ValueError
        When the layout is unknown, or the record has no lead of it and more
        than 12 leads (too many rows for a page).
    """
    lay = layout if isinstance(layout, Layout) else layout_get(layout)
    have = {lead_name_normalize(n).casefold() for n in lead_names}
    wanted = {lead_name_normalize(n).casefold() for row in lay.grid for n in row} | \
             {lead_name_normalize(n).casefold() for n in lay.rhythm}
    if have & wanted:
        return lay
    if not 1 <= len(lead_names) <= 12:
        raise ValueError(f"the record's leads {lead_names} are not in layout {lay.name!r}, and "
                         f"{len(lead_names)} leads are too many to draw one per row")
    return Layout(f"{len(lead_names)}x1", tuple((n,) for n in lead_names))


def page_render(signal: np.ndarray, fs: float, lead_names: list[str], *, layout: str | Layout = "3x4+1",
                dpi: int | None = 200, preset: str | Preset = "clean",
                seed: int | np.random.Generator = 0, start_sample: int = 0, paper: str = "letter",
                speed: float = 25.0, gain: float = 10.0) -> RenderedPage:
    """Render the page showing ``signal[start_sample:]`` (10 s at 25 mm/s) with its ground truth.

    Parameters
    ----------
    signal : (N, L) ndarray
        The record in mV; NaN samples leave gaps in the trace.
    fs : float
        Sampling frequency in Hz.
    lead_names : list of str
        ``L`` names, in any order; leads the layout does not name are not drawn.
        A record with none of the layout's leads gets one row per lead.
    layout : str or Layout
        A key of ``ecgdigitizer.layouts.LAYOUTS`` ("3x4", "3x4+1", "3x4+3", "6x2", "6x2+1", "2x6", "12x1").
    dpi : int or None
        Resolution; ``None`` draws one from the preset.
    preset : str or Preset
        "clean", "aug", "wrinkle", "varied" or "hard".
    seed : int or numpy Generator
        Everything random (style, header text, distortions) comes from it.
    start_sample : int
        First sample of the page's window; ``start_sample``/``end_sample`` in
        the ground truth count from here.
    paper : {"letter", "a4"}
    speed, gain : float
        mm/s and mm/mV.

    Returns
    -------
    RenderedPage

    Raises
    ------
    ValueError
        When the signal is not 2-D, its lead count differs from ``lead_names``,
        ``fs`` is not positive, ``start_sample`` is outside the record, or the
        window has no finite sample.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((5000, 12)); x[::500] = 1.0
    >>> names = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    >>> page = page_render(x, 500, names, dpi=100)
    >>> page.image.shape, len(page.ground_truth["leads"])
    ((850, 1100, 3), 13)
    """
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim != 2:
        raise ValueError(f"page_render: signal must be (num_samples, num_leads), got shape {signal.shape}")
    if signal.shape[1] != len(lead_names):
        raise ValueError(f"page_render: signal has {signal.shape[1]} leads but {len(lead_names)} "
                         f"lead names were given ({lead_names})")
    if not np.isfinite(fs) or fs <= 0:
        raise ValueError(f"page_render: sampling frequency must be positive and finite, got {fs}")
    if not 0 <= start_sample < signal.shape[0]:
        raise ValueError(f"page_render: start_sample {start_sample} is outside the record's "
                         f"{signal.shape[0]} samples")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    preset = preset_get(preset)
    style = style_draw(preset, rng, dpi=dpi, paper=paper, speed=speed, gain=gain)     # grid, trace, dpi
    lay = layout_resolve(layout, list(lead_names))                                      # which lead where
    window = signal[start_sample:start_sample + round(page_seconds(style) * fs)]        # what the page shows
    if not np.isfinite(window).any():
        raise ValueError(f"page_render: samples {start_sample}-{start_sample + len(window)} are all NaN; "
                         "nothing to draw")
    canvas, leads, fields = page_draw(window, fs, list(lead_names), lay, style, rng)    # clean page
    fields["bw"] = style.grid_rgb is None and style.grid_color in ("grey", "black") \
        and preset.bw_grid_probability > 0
    canvas, applied = distortions_apply(canvas, preset, rng)                            # damage, camera, file
    gt = ground_truth_build(canvas, leads, fields, applied, window_start=start_sample)  # points -> JSON
    return RenderedPage(canvas.image, gt, canvas.mask, lay.name)
