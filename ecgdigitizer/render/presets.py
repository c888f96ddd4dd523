"""Distortion presets: which distortions a page gets, how often and how strongly.

A :class:`Preset` is data only (frozen dataclasses, no code): the page style
draws (grid colours, calibration pulse, printed header, resolution) plus one
:class:`DistortionSpec` per distortion with its probability and the range its
strength is drawn from. The units of each strength are listed in
``ecgdigitizer.render.distort.DISTORTIONS``.

The first four presets follow the four eik-dev conditions (see
``shared/data/README.md`` and each condition's ``images.csv``); ``hard`` goes
beyond them with every distortion ECG-Image-Kit lacks (perspective, stains,
shadows, blur, JPEG, handwriting, scanner margins and crops).
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["GRID_COLORS", "DistortionSpec", "Preset", "PRESETS", "preset_get"]

# Major-line colours (RGB 0-255); minor lines are the same colour blended
# towards white. "none" draws no grid at all.
GRID_COLORS: dict[str, tuple[int, int, int] | None] = {
    "red": (255, 0, 0),
    "pink": (235, 110, 150),
    "orange": (240, 120, 20),
    "blue": (40, 90, 220),
    "green": (20, 150, 60),
    "grey": (120, 120, 120),
    "black": (0, 0, 0),
    "none": None,
}


@dataclass(frozen=True)
class DistortionSpec:
    """One distortion of a preset.

    Attributes
    ----------
    name : str
        A key of ``ecgdigitizer.render.distort.DISTORTIONS``.
    probability : float
        Chance, in [0, 1], that a page gets it.
    strength : tuple of float
        ``(low, high)``: the strength is drawn uniformly from this range; its
        unit depends on the distortion (degrees, pixels, sigma, ...).
    """
    name: str
    probability: float
    strength: tuple[float, float]


@dataclass(frozen=True)
class Preset:
    """Page style draws and distortions.

    Attributes
    ----------
    name : str
    dpi : tuple of int
        Resolutions to draw from when the caller does not fix one.
    grid_colors : tuple of str
        Keys of ``GRID_COLORS`` drawn uniformly.
    bw_grid_probability : float
        Chance of a grey/black grid regardless of ``grid_colors`` (ECG-Image-Kit's
        black-and-white grid, 0.2 in its ``aug`` runs).
    random_grid_probability : float
        Chance that the major and the minor lines each take a uniformly random
        RGB colour instead (overriding the black-and-white grid; drawn from a
        generator of its own, so the rest of the page is as without it).
        ECG-Image-Kit draws its coloured grids so: every eik-dev aug and
        varied page but one has such a grid, often with dark minor lines
        (eik-dev aug E00009: major (8, 37, 50), minor (32, 128, 35)), where
        ``grid_colors`` tints its minor lines towards white. The aug and
        varied presets draw such grids on most pages, so that the models
        learn from both kinds.
    dc_pulse_probability, printed_text_probability : float
        Chances of a calibration pulse and of a printed (invented) patient header.
    trace_grey : tuple of int
        Range of the trace's grey level (0 = black).
    distortions : tuple of DistortionSpec
        Applied in the order of ``ecgdigitizer.render.distort.DISTORTION_ORDER``.
    """
    name: str
    dpi: tuple[int, ...] = (200,)
    grid_colors: tuple[str, ...] = ("red",)
    bw_grid_probability: float = 0.0
    random_grid_probability: float = 0.0
    dc_pulse_probability: float = 1.0
    printed_text_probability: float = 0.0
    trace_grey: tuple[int, int] = (0, 5)
    distortions: tuple[DistortionSpec, ...] = field(default_factory=tuple)


_COLOURED = ("red", "pink", "orange", "blue", "green", "grey", "black")

PRESETS: dict[str, Preset] = {
    # eik-dev clean: red grid, pulse, near-black trace, 200 dpi, nothing else.
    "clean": Preset("clean"),
    # eik-dev aug: random RGB grid colours on 80 % of pages, a palette colour
    # (or a bw grid, 0.2) on the rest; rotation -5..5 deg,
    # Gaussian noise sigma 40, random colour temperature.
    "aug": Preset("aug", dpi=(200,), grid_colors=_COLOURED, bw_grid_probability=0.2,
                  random_grid_probability=0.8, trace_grey=(0, 40), distortions=(
                      DistortionSpec("rotate", 1.0, (5.0, 5.0)),
                      DistortionSpec("temperature", 1.0, (2000.0, 20000.0)),
                      DistortionSpec("noise", 1.0, (40.0, 40.0)))),
    # eik-dev wrinkle: red grid, wrinkle texture, 1-4 creases each way at 0-45
    # deg, rotation -3..3 deg, noise sigma 1-20, colour temperature.
    "wrinkle": Preset("wrinkle", dpi=(200,), trace_grey=(0, 40), distortions=(
        DistortionSpec("wrinkles", 1.0, (0.5, 1.0)),
        DistortionSpec("creases", 1.0, (1.0, 4.0)),
        DistortionSpec("rotate", 1.0, (3.0, 3.0)),
        DistortionSpec("temperature", 1.0, (2000.0, 20000.0)),
        DistortionSpec("noise", 1.0, (1.0, 20.0)))),
    # eik-dev varied: grid colours as aug's (no bw), pulse 0.5, printed header 0.5,
    # rotation -2..2 deg, noise 1-10, colour temperature, 150 or 300 dpi.
    "varied": Preset("varied", dpi=(150, 300), grid_colors=_COLOURED,
                     random_grid_probability=0.8, dc_pulse_probability=0.5,
                     printed_text_probability=0.5, trace_grey=(0, 40),
                     distortions=(
                         DistortionSpec("rotate", 1.0, (2.0, 2.0)),
                         DistortionSpec("temperature", 1.0, (2000.0, 20000.0)),
                         DistortionSpec("noise", 1.0, (1.0, 10.0)))),
    # Beyond eik-dev: a phone photo or a bad scan of a handled printout.
    "hard": Preset("hard", dpi=(100, 150, 200, 300), grid_colors=_COLOURED + ("none",),
                   bw_grid_probability=0.1, dc_pulse_probability=0.7,
                   printed_text_probability=0.7, trace_grey=(0, 70), distortions=(
                       DistortionSpec("handwriting", 0.5, (1.0, 6.0)),
                       DistortionSpec("stains", 0.4, (1.0, 4.0)),
                       DistortionSpec("wrinkles", 0.5, (0.3, 1.0)),
                       DistortionSpec("creases", 0.4, (1.0, 4.0)),
                       DistortionSpec("perspective", 0.6, (0.01, 0.05)),
                       DistortionSpec("rotate", 0.9, (8.0, 8.0)),
                       DistortionSpec("margins", 0.3, (0.01, 0.06)),
                       DistortionSpec("crop", 0.2, (0.0, 0.04)),
                       DistortionSpec("shadows", 0.5, (0.2, 0.6)),
                       DistortionSpec("temperature", 0.8, (2500.0, 15000.0)),
                       DistortionSpec("blur", 0.4, (0.5, 1.5)),
                       DistortionSpec("noise", 0.7, (2.0, 25.0)),
                       DistortionSpec("salt_pepper", 0.2, (0.001, 0.01)),
                       DistortionSpec("bw", 0.1, (110.0, 170.0)),
                       DistortionSpec("jpeg", 0.5, (30.0, 90.0)))),
}


def preset_get(name: str | Preset) -> Preset:
    """The preset called ``name`` (a :class:`Preset` passes through)."""
    if isinstance(name, Preset):
        return name
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}")
    return PRESETS[name]
