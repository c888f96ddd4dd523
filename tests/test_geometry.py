"""Page geometry on synthetic pages with known answers."""
from dataclasses import replace

import cv2
import numpy as np
import pytest

from ecgdigitizer.geometry import grid_detect, grid_suppress, image_rotate, ink_darkness, line_darkness, page_deskew
from ecgdigitizer.render import page_render
from ecgdigitizer.render.presets import PRESETS
from render_helpers import LEADS12, synthetic_ecg


def grid_page(px_per_mm: float, width_mm: float = 279.4, height_mm: float = 215.9,
              colour=(255, 120, 120)) -> np.ndarray:
    """A white page with a 1-mm minor and 5-mm major grid in ``colour`` (RGB)."""
    w, h = int(round(width_mm * px_per_mm)), int(round(height_mm * px_per_mm))
    page = np.full((h, w, 3), 255, np.uint8)
    for k in range(int(width_mm) + 1):
        x = int(round(k * px_per_mm))
        page[:, x:x + (2 if k % 5 == 0 else 1)] = colour if k % 5 == 0 else (255, 210, 210)
    for k in range(int(height_mm) + 1):
        y = int(round(k * px_per_mm))
        page[y:y + (2 if k % 5 == 0 else 1)] = colour if k % 5 == 0 else (255, 210, 210)
    return page


@pytest.mark.parametrize("dpi", [100, 150, 200, 300])
def test_grid_period_at_several_resolutions(dpi):
    ppmm = dpi / 25.4
    est = grid_detect(line_darkness(grid_page(ppmm)))
    assert est.from_grid
    assert est.px_per_mm == pytest.approx(ppmm, rel=0.005), (est, ppmm)


def test_grid_period_on_a4_page():
    ppmm = 200 / 25.4
    est = grid_detect(line_darkness(grid_page(ppmm, width_mm=297.0, height_mm=210.0)))
    assert est.px_per_mm == pytest.approx(ppmm, rel=0.005)


def test_blank_page_falls_back_to_letter_scale():
    blank = np.full((850, 1100, 3), 250, np.uint8)
    est = grid_detect(line_darkness(blank))
    assert not est.from_grid
    assert est.px_per_mm == pytest.approx(1100 / 279.4)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_page_of_beats_without_a_grid_falls_back_to_letter_scale(seed):
    # The beats repeat often enough to look like a weak period; only a grid has 1-mm lines.
    gridless = replace(PRESETS["clean"], name="gridless", grid_colors=("none",), dc_pulse_probability=0.0)
    page = page_render(synthetic_ecg(10.0, 500.0), 500.0, LEADS12, dpi=100, preset=gridless, seed=seed)
    est = grid_detect(line_darkness(page.image))
    assert not est.from_grid
    assert est.px_per_mm == pytest.approx(100 / 25.4, rel=0.01)


@pytest.mark.parametrize("angle", [-9.5, -4.0, -1.5, 0.0, 2.5, 9.0])
def test_deskew_recovers_rotation(angle):
    page = grid_page(100 / 25.4)
    cv2.line(page, (100, 400), (1000, 400), (0, 0, 0), 2)
    rotated = image_rotate(page, angle, border_value=(255, 255, 255))
    assert page_deskew(line_darkness(rotated)) == pytest.approx(-angle, abs=0.15)


def test_ink_darkness_prefers_grey_trace_over_coloured_grid():
    page = grid_page(100 / 25.4, colour=(230, 40, 40))
    x = np.arange(50, 900)
    y = np.round(300 + 12 * np.sin(x / 25.0)).astype(np.int32)
    cv2.polylines(page, [np.stack([x, y], 1)], False, (30, 30, 30), 1)
    ink = grid_suppress(ink_darkness(page))
    assert ink[y, x].mean() > 0.3  # the strong threshold of layout.ink_mask
    grid_rows = [int(round(k * 5 * 100 / 25.4)) for k in (10, 20)]
    assert max(ink[y, 100:900].mean() for y in grid_rows) < 0.1


def test_a_narrow_shadow_is_not_ink_and_a_trace_across_it_is():
    # A wrinkle's shadow: a band 20 px wide (5 mm at 100 dpi), a third darker,
    # with sharp edges; a grey trace runs across the page and through it.
    page = np.full((850, 1100, 3), 245, np.uint8)
    page[320:340] = (page[320:340] * 0.65).astype(np.uint8)
    x = np.arange(50, 1050)
    y = np.round(330 + 40 * np.sin(x / 40.0)).astype(np.int32)
    cv2.polylines(page, [np.stack([x, y], 1)], False, (60, 60, 60), 2)
    ink = ink_darkness(page)
    clear = np.abs(np.arange(850)[:, None] - y[None, :]) > 4   # shadow pixels away from the trace
    shadow = ink[320:340, 50:1050][clear[320:340]]
    assert shadow.max() < 0.3 and np.median(shadow) < 0.12  # layout.ink_mask's strong and low thresholds
    inside = (y >= 322) & (y < 338)
    assert np.median(ink[y[inside], x[inside]]) > 0.3
