"""Paper-ECG conventions and page layouts, shared by the renderer and the digitizer.

A layout is a grid of short lead windows (rows x columns) plus zero or more
full-length rhythm strips below it. Column ``c`` of ``n`` shows the time window
``[c * T / n, (c + 1) * T / n)`` of a ``T``-second page (10 s as printed by
most electrocardiographs and by ECG-Image-Kit), so lead aVR in a 3x4 page
shows 2.5-5.0 s. Rhythm strips show the whole ``T``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["STANDARD_LEADS", "LIMB_BASIS", "MM_PER_S", "MM_PER_MV", "PAGE_SECONDS", "Layout", "LAYOUTS",
           "layout_get", "lead_name_normalize", "lead_window"]

STANDARD_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
# The six limb leads (STANDARD_LEADS' first six) as linear functions of (I, II):
# Einthoven's III = II - I and Goldberger's aVR = -(I + II) / 2, aVL = I - II / 2,
# aVF = II - I / 2. They follow from the electrodes' potentials, so every
# recording obeys them, to its quantisation.
LIMB_BASIS = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 1.0],
                       [-0.5, -0.5], [1.0, -0.5], [-0.5, 1.0]])
MM_PER_S = 25.0    # paper speed
MM_PER_MV = 10.0   # gain
PAGE_SECONDS = 10.0


@dataclass(frozen=True)
class Layout:
    """Which lead is drawn where.

    Attributes
    ----------
    name : str
        e.g. ``"3x4"`` or ``"3x4+3"`` (three rhythm strips).
    grid : tuple of tuple of str
        Lead names row by row, columns left to right.
    rhythm : tuple of str
        Leads drawn as full-length strips under the grid, top to bottom.
    """
    name: str
    grid: tuple[tuple[str, ...], ...]
    rhythm: tuple[str, ...] = ()

    @property
    def num_columns(self) -> int:
        return len(self.grid[0])

    @property
    def num_rows(self) -> int:
        """Rows of traces on the page, rhythm strips included."""
        return len(self.grid) + len(self.rhythm)

    def row_leads(self, row: int) -> tuple[str, ...]:
        """Leads of page row ``row`` (rhythm strips are one-column rows)."""
        return self.grid[row] if row < len(self.grid) else (self.rhythm[row - len(self.grid)],)


_3X4 = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
LAYOUTS: dict[str, Layout] = {
    "3x4": Layout("3x4", _3X4),
    "3x4+1": Layout("3x4+1", _3X4, ("II",)),
    "3x4+3": Layout("3x4+3", _3X4, ("II", "V1", "V5")),
    "6x2": Layout("6x2", (("I", "V1"), ("II", "V2"), ("III", "V3"),
                          ("aVR", "V4"), ("aVL", "V5"), ("aVF", "V6"))),
    "6x2+1": Layout("6x2+1", (("I", "V1"), ("II", "V2"), ("III", "V3"),
                              ("aVR", "V4"), ("aVL", "V5"), ("aVF", "V6")), ("II",)),
    "2x6": Layout("2x6", (("I", "II", "III", "aVR", "aVL", "aVF"),
                          ("V1", "V2", "V3", "V4", "V5", "V6"))),
    "12x1": Layout("12x1", tuple((lead,) for lead in STANDARD_LEADS)),
}


def layout_get(name: str) -> Layout:
    """The layout called ``name``; ``ValueError`` lists the known names."""
    if name not in LAYOUTS:
        raise ValueError(f"unknown layout {name!r}; known layouts: {', '.join(LAYOUTS)}")
    return LAYOUTS[name]


def lead_name_normalize(name: str) -> str:
    """Canonical spelling of a lead name (``avr`` -> ``aVR``, ``v1`` -> ``V1``).

    Names that are not standard leads come back stripped but otherwise unchanged.
    """
    key = name.strip().casefold()
    for lead in STANDARD_LEADS:
        if lead.casefold() == key:
            return lead
    return name.strip()


def lead_window(column: int, num_columns: int, num_samples: int) -> tuple[int, int]:
    """Samples ``[start, end)`` shown by column ``column`` of a page of ``num_samples``."""
    start = round(column * num_samples / num_columns)
    end = round((column + 1) * num_samples / num_columns)
    return start, end
